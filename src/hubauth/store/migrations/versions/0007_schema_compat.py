"""Schema compatibility table: which older code still serves each revision (rolling upgrades).

Revision ID: 0007_schema_compat
Revises: 0006_client_assertion
Create Date: 2026-12-07

Expand only: a new table. Every later migration records the oldest revision whose code still
works on the schema it leaves behind (``hubauth.store.migrate``); a node whose code is older
than the schema starts if its own head is at or after that revision.
"""

import sqlalchemy as sa
from alembic import op

from hubauth.store.migrate import record_compat

revision = "0007_schema_compat"
down_revision = "0006_client_assertion"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schema_compat",
        sa.Column("revision", sa.String(32), primary_key=True),
        sa.Column("compatible_from", sa.String(32), nullable=False),
    )
    record_compat(revision, compatible_from="0006_client_assertion")


def downgrade() -> None:
    op.drop_table("schema_compat")
