"""The server key beside each stored digest (key rotation, hubauth.core.keys).

Revision ID: 0008_key_ids
Revises: 0007_schema_compat
Create Date: 2026-12-07

Expand only: nullable columns. Existing rows keep NULL, which means "legacy": a raw HMAC under
the server key, as every release before the keyring made them. Older code inserts NULL too,
which is right for what it writes, so it still serves this schema (compatible from
0006_client_assertion).
"""

import sqlalchemy as sa
from alembic import op

from hubauth.store.migrate import record_compat

revision = "0008_key_ids"
down_revision = "0007_schema_compat"
branch_labels = None
depends_on = None

_TABLES = ("apps", "auth_codes", "refresh_tokens", "access_tokens")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("key_id", sa.String(16), nullable=True))
    # The key of the previous client secret kept during a rotation's grace period.
    op.add_column("apps", sa.Column("previous_key_id", sa.String(16), nullable=True))
    record_compat(revision, compatible_from="0006_client_assertion")


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM schema_compat WHERE revision = :r").bindparams(r=revision))
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("previous_key_id")
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("key_id")
