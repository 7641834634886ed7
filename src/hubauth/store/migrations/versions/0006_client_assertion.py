"""app_jwks and client_assertion_jtis: public keys and single-use ``jti`` values for
``private_key_jwt`` client authentication (RFC 7523).

Revision ID: 0006_client_assertion
Revises: 0005_devplane
Create Date: 2026-12-07

Expand-only: two new tables, so the release before this one keeps working on the migrated
schema (docs/operations.md, rolling deploys).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_client_assertion"
down_revision = "0005_devplane"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_jwks",
        sa.Column(
            "app_id",
            sa.Integer,
            sa.ForeignKey("apps.app_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("jwks", sa.Text, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "client_assertion_jtis",
        sa.Column("jti_hash", sa.LargeBinary(32), primary_key=True),
        sa.Column("app_id", sa.Integer, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_client_assertion_jtis_expires_ms", "client_assertion_jtis", ["expires_ms"])


def downgrade() -> None:
    op.drop_index("ix_client_assertion_jtis_expires_ms", table_name="client_assertion_jtis")
    op.drop_table("client_assertion_jtis")
    op.drop_table("app_jwks")
