"""Developer mode: shared clock offset and counters, queued faults, recent audit events.

Revision ID: 0005_devplane
Revises: 0004_refresh_grace
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_devplane"
down_revision = "0004_refresh_grace"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dev_values",
        sa.Column("name", sa.String(160), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "dev_faults",
        sa.Column("fault_id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path_prefix", sa.String(200), nullable=False),
        sa.Column("remaining", sa.Integer, nullable=True),
        sa.Column("error", sa.String(64), nullable=True),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("retry_after", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Integer, nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "dev_events",
        sa.Column("event_id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dev_events")
    op.drop_table("dev_faults")
    op.drop_table("dev_values")
