"""Settings: ``HUBAUTH_*`` environment variables and an optional TOML file, validated at
start-up. Precedence: explicit overrides (CLI flags) > environment > TOML file > defaults.

``docs/configuration.md`` lists every setting; ``hubauth config show`` prints the effective
values with secrets masked.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from hubauth.core.context import Policy
from hubauth.core.install_page import InstallPageRules
from hubauth.core.keys import Keyring, KeyringError, ServerKey, parse_key_list, server_key
from hubauth.core.models import RefreshPolicy
from hubauth.core.redirect_uris import RegistrationPolicy
from hubauth.core.sunset import V1Sunset
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
        Path("hubauth.key"),
        description="Where the key is kept when secret_key(s) is unset; one key per line, newest "
        "first",
    )
    secret_keys: SecretStr | None = Field(
        None,
        description="Server keys, newest first, comma-separated (rotation; overrides secret_key)",
    )
    accept_legacy_hashes: bool = Field(
        True,
        description="Accept digests stored before the keyring (raw HMAC under a listed key)",
    )
    write_legacy_hashes: bool = Field(
        False,
        description="Write pre-keyring digests: only while upgrading from a release without "
        "the keyring",
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
    v3_revoke_access_tokens: bool = Field(
        True, description="v3 revoke of a refresh token also revokes its access tokens"
    )
    default_refresh_policy: RefreshPolicy = Field(
        RefreshPolicy.STATIC,
        description="Refresh policy of apps created without --refresh-policy (static|rotate)",
    )
    revoke_on_code_replay: bool = Field(
        True, description="A replayed code revokes what its first redemption issued"
    )
    uniform_token_errors: bool = Field(
        False, description="Answer a foreign refresh token exactly as an unknown one"
    )
    rotation_grace: int = Field(
        30,
        ge=0,
        le=300,
        description="Under rotate: seconds a retired refresh token may be retried while its "
        "successor is unused (0: off; per app: apps set-rotation-grace)",
    )
    code_retry_grace: int = Field(
        0,
        ge=0,
        le=60,
        description="Seconds a used code may be redeemed again by its client (same redirect "
        "URI and PKCE verifier, first tokens unused); 0: refused, as RFC 6749 4.1.2 requires",
    )
    db_timeout: float = Field(
        10, ge=0.5, le=120, description="Longest wait for the database per request (s) before 503"
    )
    v1_refresh_token_client_auth: bool = Field(
        False,
        description="v1 refresh-token GET and DELETE also require the owning client's "
        "credentials (HTTP Basic); HubSpot requires only the token",
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token of the client registration and management API "
        "(/oauth/register, RFC 7591/7592; >= 32 characters); unset: only registration "
        "access tokens (and open registration, if on) are accepted",
    )
    open_registration: bool = Field(
        False,
        description="Anyone may register a client at POST /oauth/register (RFC 7591 open "
        "registration); off: the admin token is required",
    )
    resource_server_clients: str = Field(
        "",
        description="Comma-separated client_ids that may introspect any client's tokens "
        "(resource servers using hubauth.resource); empty: a client sees only its own",
    )
    allow_query_credentials_v1: bool = Field(
        True, description="Accept client_secret/refresh_token in the v1 token query string"
    )
    accept_json_bodies: bool = Field(
        True,
        description="v3 and dated token endpoints accept application/json bodies "
        "(hubspot-sdk); false: 415 as on v1",
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
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token GET /metrics requires (>= 32 characters); unset: /metrics is off",
    )
    session_idle_timeout: int = Field(
        3600, ge=60, le=86_400, description="Install-page session ends after this long unused (s)"
    )
    session_absolute_timeout: int = Field(
        28_800,
        ge=60,
        le=604_800,
        description="Install-page session ends this long after it began (s)",
    )
    signin_window: int = Field(
        900, ge=1, le=86_400, description="Rolling window of the install pages' sign-in limits (s)"
    )
    signin_email_failures: int = Field(
        10, ge=1, le=1_000_000, description="Failed sign-ins per e-mail address per window"
    )
    signin_address_attempts: int = Field(
        50,
        ge=1,
        le=1_000_000,
        description="Sign-in attempts (successes included) per client address per window",
    )
    signin_concurrency: int = Field(
        2, ge=1, le=64, description="Password hashes computed at once per worker"
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Least severe log level written"
    )
    log_format: Literal["json", "text"] = Field(
        "json", description="json: one JSON object per line (for log shippers); text: for humans"
    )
    redirect_uri_policy: RegistrationPolicy = Field(
        RegistrationPolicy.HUBSPOT,
        description="Redirect URIs an app may register: hubspot (https, or http on localhost; "
        "no IP addresses) or rfc8252 (also http loopback IP literals, any port, for native apps)",
    )
    install_page_rules: InstallPageRules = Field(
        InstallPageRules.HUBSPOT,
        description="hubspot: a denied install sends nothing to the app and missing required "
        "scopes are shown on the page; rfc6749: both redirect to the app with "
        "error=access_denied / invalid_scope",
    )
    client_assertion_max_lifetime: int = Field(
        300,
        ge=10,
        le=3600,
        description="Longest lifetime of a private_key_jwt client assertion (exp - iat), seconds",
    )
    v1_sunset: V1Sunset = Field(
        V1Sunset.ANNOUNCE,
        description="OAuth v1's retirement on 2027-02-16: announce (Deprecation, Sunset and Link "
        "headers on every v1 response), enforce (the same, then 410 from the sunset on the "
        "server's clock) or off",
    )
    shutdown_timeout: int = Field(
        30,
        ge=1,
        le=600,
        description="On SIGTERM, seconds a worker may spend finishing in-flight requests",
    )
    dev: bool = Field(
        False,
        description="Developer mode: the control API and dashboard under /_hubauth/ (never in "
        "production; `hubauth serve --dev`)",
    )
    dev_allow_remote: bool = Field(
        False,
        description="Allow dev mode on a non-loopback host (anyone who reaches it controls "
        "the clock, tokens and faults)",
    )

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str) -> str:
        try:
            to_async_url(value)
        except BadDatabaseURL as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("secret_key", "metrics_token", "admin_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("secret_keys")
    @classmethod
    def _valid_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Keyring(parse_key_list(value.get_secret_value(), separator=","))
            except KeyringError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # The issuer identifier: an http(s) URL with a host and no query or fragment
        # (RFC 8414 §2).
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https"):
            raise ValueError("must start with http:// or https://")
        if not parts.hostname:
            raise ValueError("has no host name")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _dev_only_on_loopback(self) -> Settings:
        # The control API has no authentication: on a reachable address anyone could move the
        # clock or revoke tokens, so a remote dev server must be asked for explicitly.
        if self.dev and not self.dev_allow_remote and not is_loopback_host(self.host):
            raise ValueError(
                f"dev mode on the non-loopback host {self.host!r} would expose the control "
                "API to the network; use --host 127.0.0.1, or --dev-allow-remote "
                "(HUBAUTH_DEV_ALLOW_REMOTE=true) if that is really wanted"
            )
        return self

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
            v3_revoke_access_tokens=self.v3_revoke_access_tokens,
            revoke_on_code_replay=self.revoke_on_code_replay,
            uniform_token_errors=self.uniform_token_errors,
            rotation_grace_s=self.rotation_grace,
            code_retry_grace_s=self.code_retry_grace,
            v1_refresh_token_client_auth=self.v1_refresh_token_client_auth,
            resource_server_clients=frozenset(
                part.strip() for part in self.resource_server_clients.split(",") if part.strip()
            ),
            hublet=self.hublet,
            redirect_uri_policy=self.redirect_uri_policy,
            install_page_rules=self.install_page_rules,
            client_assertion_max_lifetime_s=self.client_assertion_max_lifetime,
        )

    def keyring(self) -> Keyring:
        """The server keys, newest first: ``secret_keys``, else ``secret_key`` (one key, used
        whole, as before the keyring), else the key file (one key per line; created 0600 with
        one new key when absent)."""
        if self.secret_keys is not None:
            keys = parse_key_list(self.secret_keys.get_secret_value(), separator=",")
        elif self.secret_key is not None:
            keys = [server_key(self.secret_key.get_secret_value().encode())]
        else:
            keys = read_or_create_keys(self.secret_key_file)
        try:
            return Keyring(
                keys,
                accept_legacy=self.accept_legacy_hashes,
                write_legacy=self.write_legacy_hashes,
            )
        except KeyringError as exc:
            raise ConfigError(f"server keys: {exc}") from None

    def server_key(self) -> bytes:
        """The newest server key (raw); code needing key material asks :meth:`keyring`."""
        return self.keyring().newest.secret

    def masked(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["database_url"] = redacted(self.database_url)
        if self.redis_url is not None:
            data["redis_url"] = redacted(self.redis_url)
        for name in SECRET_FIELDS:
            if data.get(name) is not None:
                data[name] = "********"
        return data


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1): reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_or_create_keys(path: Path) -> list[ServerKey]:
    """The key file's keys, newest first (one per line; a file hubauth created has one)."""
    text = read_or_create_key(path, whole=False).decode()
    try:
        keys = parse_key_list(text, separator="\n")
    except KeyringError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not keys:
        raise ConfigError(f"{path}: no server key in the file")
    return keys


def read_or_create_key(path: Path, *, whole: bool = True) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; use its key
            return read_or_create_key(path, whole=whole)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
    if whole and len(key) < 32:
        raise ConfigError(f"{path}: the server key must be at least 32 characters")
    return key


#: ``HUBAUTH_*`` variables that are not settings: the config file path, and test-only knobs.
#: ``HUBAUTH_USER_PASSWORD``: read by ``hubauth users create`` only (a password must not have
#: to appear on a command line, where ``ps`` shows it).
NOT_SETTINGS = frozenset(
    {"HUBAUTH_CONFIG", "HUBAUTH_JSON_STRUCTURE_ASSETS", "HUBAUTH_USER_PASSWORD"}
)
NOT_SETTINGS_PREFIXES = ("HUBAUTH_TEST_",)
ENV_PREFIX = "HUBAUTH_"
#: Values never echoed back in an error message.
SECRET_FIELDS = frozenset({"secret_key", "secret_keys", "metrics_token", "admin_token"})


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper()


def unknown_environment(environ: dict[str, str] | None = None) -> list[str]:
    """``HUBAUTH_*`` variables that name no setting: almost always a typo that would otherwise
    be silently ignored (pydantic-settings only reads the variables it knows)."""
    env = os.environ if environ is None else environ
    return sorted(
        name
        for name in env
        if name.upper().startswith(ENV_PREFIX)
        and name.upper()[len(ENV_PREFIX) :].lower() not in Settings.model_fields
        and name.upper() not in NOT_SETTINGS
        and not name.upper().startswith(NOT_SETTINGS_PREFIXES)
    )


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror})") from None


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from overrides, environment and the TOML file (``HUBAUTH_CONFIG``).

    Every problem is reported at once, one line each, naming the setting, where the bad value
    came from (option, environment variable or file) and what is allowed.
    """
    raw_path = config_file or os.environ.get("HUBAUTH_CONFIG")
    file = Path(raw_path) if raw_path else None
    if file is not None and not file.is_file():
        raise ConfigError(f"configuration file not found: {file}")
    file_data = _read_toml(file) if file is not None else {}
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

    problems = [
        f"  {name}: unknown setting (environment variable){_did_you_mean(name)}"
        for name in unknown_environment()
    ]
    settings = None
    try:
        settings = _FromFile(**clean)
    except ValidationError as exc:
        problems += _describe(exc, _Sources(clean, file, file_data))
    if len(problems) == 1:  # the common case reads as one line
        raise ConfigError(f"invalid configuration: {problems[0].strip()}")
    if problems or settings is None:
        raise ConfigError("\n".join(["invalid configuration:", *problems]))
    return settings


class _Sources:
    """Where a setting's value came from, for error messages (same precedence as loading)."""

    def __init__(self, overrides: dict[str, Any], file: Path | None, file_data: dict[str, Any]):
        self.overrides, self.file, self.file_data = overrides, file, file_data

    def of(self, key: str) -> str:
        from_env = os.environ.get(env_name(key))
        if key in self.overrides and str(self.overrides[key]) != from_env:
            return "command-line option"
        if from_env is not None:
            return f"environment variable {env_name(key)}"
        if key in self.file_data:
            return f"{self.file}"
        return "default"


def _did_you_mean(name: str) -> str:
    key = name.lower().removeprefix(ENV_PREFIX.lower())
    close = difflib.get_close_matches(key, list(Settings.model_fields), n=1, cutoff=0.75)
    if not close:
        return ""
    return f"; did you mean {env_name(close[0]) if name.isupper() else close[0]}?"


def _shown(key: str, value: Any) -> str:
    if key in SECRET_FIELDS:
        return ""
    if key == "database_url" and isinstance(value, str):
        return f", got {redacted(value)}"
    text = str(value)
    return f", got {text[:80] + '…' if len(text) > 80 else text}"


def _range(key: str) -> str | None:
    field = Settings.model_fields.get(key)
    if field is None:
        return None
    low = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
    if low is not None and high is not None:
        return f"must be between {low} and {high}"
    return None


def _describe(exc: ValidationError, sources: _Sources) -> list[str]:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(root)"
        if err["type"] == "extra_forbidden":
            where = f"{sources.file}" if key in sources.file_data else sources.of(key)
            lines.append(f"  {key}: unknown setting (in {where}){_did_you_mean(key)}")
            continue
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] in ("greater_than_equal", "less_than_equal"):
            message = _range(key) or message
        lines.append(f"  {key}: {message}{_shown(key, err.get('input'))} (from {sources.of(key)})")
    return lines
