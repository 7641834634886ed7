"""Rotation grace: each rotated refresh token's successor points back at it, and an app may
override the server-wide grace period (docs/decisions.md, "Rotation grace").

Revision ID: 0004_refresh_grace
Revises: 0003_secret_grace
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_refresh_grace"
down_revision = "0003_secret_grace"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("parent_id", BigId, nullable=True))
    # Partial: only rotated successors have a parent, so static tokens cost the index nothing.
    op.create_index(
        "ix_refresh_tokens_parent_id",
        "refresh_tokens",
        ["parent_id"],
        postgresql_where=sa.text("parent_id IS NOT NULL"),
        sqlite_where=sa.text("parent_id IS NOT NULL"),
    )
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("rotation_grace_s", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("rotation_grace_s")
    op.drop_index("ix_refresh_tokens_parent_id", table_name="refresh_tokens")
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("parent_id")
