"""Initial schema: apps, hubs, users, installs, codes, refresh and access tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("app_id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("client_secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("redirect_uris", sa.Text, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("optional_scopes", sa.Text, nullable=False),
        sa.Column("is_private_distribution", sa.Boolean, nullable=False),
        sa.Column("refresh_policy", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "hubs",
        sa.Column("hub_id", sa.Integer, primary_key=True),
        sa.Column("hub_domain", sa.String(253), nullable=False),
        sa.Column("hublet", sa.String(8), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("deleted_ms", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "hub_members",
        sa.Column("hub_id", sa.Integer, sa.ForeignKey("hubs.hub_id"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), primary_key=True),
    )
    op.create_table(
        "installs",
        sa.Column("install_id", sa.Integer, primary_key=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.app_id"), nullable=False),
        sa.Column("hub_id", sa.Integer, sa.ForeignKey("hubs.hub_id"), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.Column("uninstalled_ms", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("app_id", "hub_id", "user_id", name="uq_installs_app_hub_user"),
    )
    op.create_table(
        "auth_codes",
        sa.Column("code_hash", sa.LargeBinary(32), primary_key=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.app_id"), nullable=False),
        sa.Column("install_id", sa.Integer, sa.ForeignKey("installs.install_id"), nullable=False),
        sa.Column("hub_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("code_challenge", sa.String(64), nullable=True),
        sa.Column("code_challenge_method", sa.String(8), nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
        sa.Column("consumed_ms", sa.BigInteger, nullable=True),
        sa.Column("family_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_auth_codes_expires_ms", "auth_codes", ["expires_ms"])
    op.create_table(
        "refresh_tokens",
        sa.Column("refresh_id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.app_id"), nullable=False),
        sa.Column("install_id", sa.Integer, sa.ForeignKey("installs.install_id"), nullable=False),
        sa.Column("hub_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("family_id", sa.String(32), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("revoked_ms", sa.BigInteger, nullable=True),
        sa.Column("rotated_ms", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_app_hub", "refresh_tokens", ["app_id", "hub_id"])
    op.create_table(
        "access_tokens",
        sa.Column("access_id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.app_id"), nullable=False),
        sa.Column("hub_id", sa.Integer, nullable=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("install_id", sa.Integer, nullable=True),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("token_use", sa.String(24), nullable=False),
        sa.Column("family_id", sa.String(32), nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
        sa.Column("revoked_ms", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_access_tokens_family_id", "access_tokens", ["family_id"])
    op.create_index("ix_access_tokens_expires_ms", "access_tokens", ["expires_ms"])
    op.create_index("ix_access_tokens_app_hub", "access_tokens", ["app_id", "hub_id"])


def downgrade() -> None:
    for table in (
        "access_tokens",
        "refresh_tokens",
        "auth_codes",
        "installs",
        "hub_members",
        "users",
        "hubs",
        "apps",
    ):
        op.drop_table(table)
