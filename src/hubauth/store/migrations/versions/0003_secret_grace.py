"""apps: the previous client secret's hash and when it stops working (``apps rotate-secret
--grace``).

Revision ID: 0003_secret_grace
Revises: 0002_browser_sessions
Create Date: 2026-12-07

Expand-only: two nullable columns, so the release before this one keeps working on the
migrated schema (docs/operations.md, rolling deploys).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_secret_grace"
down_revision = "0002_browser_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("previous_secret_hash", sa.LargeBinary(32), nullable=True))
        batch.add_column(sa.Column("previous_secret_until_ms", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("previous_secret_until_ms")
        batch.drop_column("previous_secret_hash")
