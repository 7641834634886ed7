"""What every core operation needs: storage, the clock, the hasher, policy and the audit sink."""

from __future__ import annotations

from dataclasses import dataclass, field

from hubauth.core.audit import AuditSink, log_audit
from hubauth.core.clock import Clock
from hubauth.core.install_page import InstallPageRules
from hubauth.core.ports import Store
from hubauth.core.redirect_uris import RegistrationPolicy
from hubauth.core.tokens import TokenHasher, TokenShape


@dataclass(frozen=True, slots=True)
class Policy:
    """Behaviour switches. Defaults are HubSpot's observed behaviour (spec §3, §6);
    each safer alternative is documented in ``docs/security.md``."""

    access_token_ttl_s: int = 1800
    client_credentials_ttl_s: int = 1800
    auth_code_ttl_s: int = 300
    token_shape: TokenShape = TokenShape.HUBSPOT
    #: HubSpot's v1 DELETE leaves minted access tokens alive (spec §1.5); True kills them too.
    revoke_access_tokens_with_refresh: bool = False
    #: v3 revoke of a refresh token also revokes the access tokens minted from it (RFC 7009
    #: §2.1 SHOULD; HubSpot's v3 behaviour is unconfirmed, spec §7 item 3). False mirrors v1.
    v3_revoke_access_tokens: bool = True
    #: RFC 6749 §4.1.2: a replayed code revokes the tokens its first redemption issued.
    revoke_on_code_replay: bool = True
    #: HubSpot says "refresh token was not issued to this client" for a foreign token
    #: (spec §3.3); True answers exactly as for an unknown token.
    uniform_token_errors: bool = False
    #: Under rotation, how long (seconds) a retired refresh token may be presented again by its
    #: own client, while its successor is still unused, to recover a lost response
    #: (docs/decisions.md, "Rotation grace"); 0 disables. An app may override it.
    rotation_grace_s: int = 30
    #: Off by default (RFC 6749 §4.1.2: a used code MUST be refused). When > 0, a used code
    #: presented again by its client, with the same redirect URI and PKCE verifier, within
    #: this many seconds, while nothing its first redemption issued was used, replaces that
    #: redemption (docs/decisions.md, "Code exchange after a lost response").
    code_retry_grace_s: int = 0
    #: HubSpot's v1 refresh-token GET and DELETE need only the token (spec §1.4-§1.5); True
    #: also requires the owning client's credentials (HTTP Basic, RFC 6749 §2.3.1).
    v1_refresh_token_client_auth: bool = False
    #: RFC 7662 §4 lets a server tell a protected resource about any token; HubSpot's v3
    #: introspection answers only about the caller's own tokens. These client_ids (resource
    #: servers, see ``hubauth.resource``) may introspect every client's tokens.
    resource_server_clients: frozenset[str] = frozenset()
    hublet: str = "na1"
    #: Which redirect URIs an app may register: HubSpot's rules, or also RFC 8252 loopback IPs.
    redirect_uri_policy: RegistrationPolicy = RegistrationPolicy.HUBSPOT
    #: HubSpot: a denial is not sent to the app, missing required scopes are shown on the
    #: page; rfc6749: both are redirected to the app (``error=access_denied``/``invalid_scope``).
    install_page_rules: InstallPageRules = InstallPageRules.HUBSPOT
    #: Longest lifetime (exp - iat, or exp - now) of a private_key_jwt client assertion.
    client_assertion_max_lifetime_s: int = 300


@dataclass(frozen=True, slots=True)
class Context:
    store: Store
    clock: Clock
    hasher: TokenHasher
    policy: Policy = field(default_factory=Policy)
    audit: AuditSink = log_audit

    def now_ms(self) -> int:
        return self.clock.now_ms()
