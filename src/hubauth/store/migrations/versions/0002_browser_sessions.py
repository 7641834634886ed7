"""Server-side browser sessions and install flows (issue 15).

Revision ID: 0002_browser_sessions
Revises: 0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_browser_sessions"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "browser_sessions",
        sa.Column("session_id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("signed_in_ms", sa.BigInteger, nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("idle_expires_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_browser_sessions_idle_expires_ms", "browser_sessions", ["idle_expires_ms"])
    op.create_index("ix_browser_sessions_expires_ms", "browser_sessions", ["expires_ms"])
    op.create_table(
        "install_flows",
        sa.Column("flow_id", sa.String(32), primary_key=True),
        sa.Column("session_id", BigId, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("pinned_hub_id", sa.Integer, nullable=True),
        sa.Column("chosen_hub_id", sa.Integer, nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_install_flows_session_id", "install_flows", ["session_id"])
    op.create_index("ix_install_flows_expires_ms", "install_flows", ["expires_ms"])


def downgrade() -> None:
    op.drop_table("install_flows")
    op.drop_table("browser_sessions")
