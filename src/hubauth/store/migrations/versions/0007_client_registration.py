"""client_registrations: RFC 7592 registration access token digests of dynamically registered
clients.

Revision ID: 0007_client_registration
Revises: 0006_client_assertion
Create Date: 2026-12-07

Expand-only: one new table, so the release before this one keeps working on the migrated
schema (docs/operations.md, rolling deploys).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_client_registration"
down_revision = "0006_client_assertion"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_registrations",
        sa.Column("app_id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("auth_method", sa.String(32), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("client_registrations")
