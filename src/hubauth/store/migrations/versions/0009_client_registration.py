"""client_registrations: RFC 7592 registration access token digests of dynamically registered
clients.

Revision ID: 0009_client_registration
Revises: 0008_key_ids
Create Date: 2026-12-07

Expand-only: one new table the release before this one never reads, so it still serves this
schema (compatible from 0008_key_ids). It deletes apps without their row here; a registration
row older than its app is ignored (``SqlStore.find_registration``), so a reused app id does not
inherit it.
"""

import sqlalchemy as sa
from alembic import op

from hubauth.store.migrate import record_compat

revision = "0009_client_registration"
down_revision = "0008_key_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_registrations",
        sa.Column("app_id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        # the server key the digest was made under, as for client secrets (0008_key_ids)
        sa.Column("key_id", sa.String(16), nullable=True),
        sa.Column("auth_method", sa.String(32), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    record_compat(revision, compatible_from="0008_key_ids")


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM schema_compat WHERE revision = :r").bindparams(r=revision))
    op.drop_table("client_registrations")
