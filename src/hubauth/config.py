"""Settings: ``HUBAUTH_*`` environment variables and an optional TOML file, validated at
start-up. Precedence: explicit overrides (CLI flags) > environment > TOML file > defaults.

``docs/configuration.md`` lists every setting; ``hubauth config show`` prints the effective
values with secrets masked.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hubauth.core.context import Policy
from hubauth.core.tokens import TokenShape
from hubauth.store.urls import DEFAULT_URL, BadDatabaseURL, redacted, to_async_url


class ConfigError(ValueError):
    """Start-up configuration is unusable; the message says which value and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUBAUTH_", extra="forbid", frozen=True)

    database_url: str = Field(
        DEFAULT_URL, description="sqlite:///PATH or postgresql://USER@HOST/DB"
    )
    secret_key: SecretStr | None = Field(
        None, description="Server key for hashing tokens and signing (>= 32 characters)"
    )
    secret_key_file: Path = Field(
        Path("hubauth.key"), description="Where the key is kept when secret_key is unset"
    )
    host: str = Field("127.0.0.1", description="Address to listen on")
    port: int = Field(8080, ge=1, le=65535, description="Port to listen on")
    workers: int | None = Field(None, ge=1, le=256, description="Worker processes (default: CPUs)")
    public_url: str | None = Field(
        None, description="External base URL (issuer); default http://HOST:PORT"
    )
    access_token_ttl: int = Field(1800, ge=60, le=86_400, description="Access token lifetime (s)")
    client_credentials_ttl: int = Field(
        1800, ge=60, le=86_400, description="client_credentials token lifetime (s)"
    )
    auth_code_ttl: int = Field(300, ge=10, le=600, description="Authorization code lifetime (s)")
    token_shape: TokenShape = Field(
        TokenShape.HUBSPOT, description="hubspot (HubSpot's 112-bit shape) or strong (256-bit)"
    )
    revoke_access_tokens_with_refresh: bool = Field(
        False, description="v1 DELETE also revokes access tokens minted from the refresh token"
    )
    revoke_on_code_replay: bool = Field(
        True, description="A replayed code revokes what its first redemption issued"
    )
    uniform_token_errors: bool = Field(
        False, description="Answer a foreign refresh token exactly as an unknown one"
    )
    allow_query_credentials_v1: bool = Field(
        True, description="Accept client_secret/refresh_token in the v1 token query string"
    )
    max_body_bytes: int = Field(
        16_384, ge=1024, le=1_048_576, description="Largest request body accepted"
    )
    strict_contracts: bool = Field(
        False, description="Check every response body against its contract (tests turn it on)"
    )
    hublet: str = Field("na1", pattern=r"^[a-z]{2}[0-9]$", description="Default hublet prefix")
    db_pool_size: int = Field(10, ge=1, le=200, description="PostgreSQL pool size per worker")
    rate_limit_enabled: bool = Field(
        True, description="Throttle failed client authentications and token lookups (429)"
    )
    rate_limit_window: int = Field(
        10, ge=1, le=86_400, description="Rolling window of the failure limits (s)"
    )
    rate_limit_client_failures: int = Field(
        50, ge=1, le=1_000_000, description="Failed requests per client_id per window"
    )
    rate_limit_address_failures: int = Field(
        100, ge=1, le=1_000_000, description="Failed requests per source address per window"
    )
    rate_limit_max_keys: int = Field(
        100_000, ge=100, le=10_000_000, description="In-process limiter: most keys kept"
    )
    redis_url: str | None = Field(
        None, description="redis://HOST:PORT/DB: share rate-limit counts across workers/nodes"
    )
    rate_limit_redis_prefix: str = Field(
        "hubauth:rl:", min_length=1, max_length=64, description="Prefix of the Redis keys"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field("info")
    log_format: Literal["json", "text"] = Field("json")

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        try:
            to_async_url(value)
        except BadDatabaseURL as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    # --- derived ---------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def policy(self) -> Policy:
        return Policy(
            access_token_ttl_s=self.access_token_ttl,
            client_credentials_ttl_s=self.client_credentials_ttl,
            auth_code_ttl_s=self.auth_code_ttl,
            token_shape=self.token_shape,
            revoke_access_tokens_with_refresh=self.revoke_access_tokens_with_refresh,
            revoke_on_code_replay=self.revoke_on_code_replay,
            uniform_token_errors=self.uniform_token_errors,
            hublet=self.hublet,
        )

    def server_key(self) -> bytes:
        """The HMAC key: ``secret_key`` if set, else the key file (created 0600 when absent)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return read_or_create_key(self.secret_key_file)

    def masked(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["database_url"] = redacted(self.database_url)
        if self.redis_url is not None:
            data["redis_url"] = redacted(self.redis_url)
        if self.secret_key is not None:
            data["secret_key"] = "********"
        return data


def read_or_create_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; use its key
            return read_or_create_key(path)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
    if len(key) < 32:
        raise ConfigError(f"{path}: the server key must be at least 32 characters")
    return key


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from overrides, environment and the TOML file (``HUBAUTH_CONFIG``)."""
    raw_path = config_file or os.environ.get("HUBAUTH_CONFIG")
    file = Path(raw_path) if raw_path else None
    if file is not None and not file.is_file():
        raise ConfigError(f"configuration file not found: {file}")
    clean = {k: v for k, v in overrides.items() if v is not None}

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
            if file is not None:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=file))
            return tuple(sources)

    try:
        return _FromFile(**clean)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(root)"
        message = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  {key}: {message} (environment variable HUBAUTH_{key.upper()})")
    return "\n".join(lines)
