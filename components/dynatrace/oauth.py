"""OAuth client credentials: access tokens from Dynatrace SSO for platform and account calls.

The flow ("OAuth clients", Dynatrace documentation; "Authentication for the Account Management
API"): ``POST https://sso.dynatrace.com/sso/oauth2/token`` with
``application/x-www-form-urlencoded`` fields ``grant_type=client_credentials``, ``client_id``,
``client_secret``, ``scope`` (space-separated) and, for the Account Management API,
``resource=urn:dtaccount:<account-uuid>``. The answer is ``{"token_type": "Bearer",
"access_token": …, "expires_in": 300, "scope": …, "resource": …}``; the token goes into
``Authorization: Bearer …``. Platform calls send no ``resource``, as Dynatrace's own clients do
(Monaco ``cmd/monaco/dynatrace/dynatrace.go`` and the Terraform provider's
``dynatrace/rest/platform_request.go`` configure only client id, secret and token URL).

- **Scopes per call.** Each caller asks for the scopes its API needs, so a client without, say,
  the extension scopes still serves the bucket and the dashboards.
- **Cached** per (token URL, client, scopes, resource) in this process until shortly before
  ``expires_in`` (20 % of the lifetime, at most a minute, early), so one ``pulumi up`` fetches a
  handful of tokens, not one per request. The dynamic-provider host serves many resources from
  several threads: the cache is shared and locked.
- **Renewed once on 401:** a token the server no longer accepts is dropped from the cache and the
  request is repeated once with a fresh token (:meth:`DynatraceClient.request`).
- **Refused once:** when SSO refuses the client or its scopes (:class:`OAuthRefusedError`: a wrong id
  or secret, a scope the client may not grant), the credential raises that refusal for every later
  request without asking SSO again; repeating cannot help, and a burst of failed client
  authentications is what an identity provider throttles or alerts on.
- **Never stored or shown:** tokens live only in this process's memory; the client secret and
  every issued token are redacted from messages; ``repr`` shows neither.
- **Network:** the token request goes through the same client as every other call, so
  ``HTTPS_PROXY``/``NO_PROXY`` (evaluated for the SSO host), the CA bundle and the retry policy
  apply to the SSO host too; a ``POST`` to the token endpoint is safe to repeat. The Terraform
  provider retries the token endpoint the same way (``dynatrace/rest/retry_transport.go``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import requests

from .client import ClientSettings, Credential, DynatraceClient, NoAuth, TokenAuth
from .errors import DynatraceApiError

_log = logging.getLogger(__name__)

SSO_URL: Final = "https://sso.dynatrace.com"
"""Dynatrace SSO (production). The token endpoint is ``SSO_URL + TOKEN_PATH``."""
TOKEN_PATH: Final = "/sso/oauth2/token"  # noqa: S105 (a URL path, not a password)
ACCOUNT_API_URL: Final = "https://api.dynatrace.com"
"""The Account Management API (production)."""
DEFAULT_EXPIRES_IN: Final = 300
"""Lifetime assumed when the answer has no ``expires_in`` (the documented example's 300 s)."""
MAX_EARLY_REFRESH: Final = 60.0
CLIENT_SETTING: Final = (
    "ai-observability:dynatraceOAuthClientId and dynatraceOAuthClientSecret (or DT_CLIENT_ID and DT_CLIENT_SECRET)"
)


def platform_credential(
    *,
    token: str | None,
    client_id: str | None,
    client_secret: str | None,
    scopes: Iterable[str],
    sso_url: str | None = None,
    settings: ClientSettings | None = None,
) -> Credential:
    """The credential for platform calls: the OAuth client when both its id and secret are given (it
    wins over a platform token given as well), else the platform token."""
    if client_id and client_secret:
        return OAuthClientAuth(client_id, client_secret, scopes, sso_url=sso_url or SSO_URL, settings=settings)
    if token:
        return TokenAuth("Bearer", token)
    raise ValueError("platform calls need a platform token or an OAuth client (id and secret)")


def account_resource(account_uuid: str) -> str:
    """The ``resource`` of a token for the Account Management API."""
    return f"urn:dtaccount:{account_uuid}"


def usable_seconds(expires_in: float) -> float:
    """How long a token that lives ``expires_in`` seconds is used before a fresh one is fetched."""
    return max(0.0, expires_in - min(MAX_EARLY_REFRESH, expires_in * 0.2))


@dataclass(frozen=True)
class AccessToken:
    value: str
    usable_until: float
    """On the monotonic clock."""

    def __repr__(self) -> str:
        return f"AccessToken(***, usable_until={self.usable_until:.1f})"


CacheKey = tuple[str, str, str, tuple[str, ...], str]


class TokenCache:
    """Access tokens of this process, by (token URL, client id, secret digest, scopes, resource)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[CacheKey, AccessToken] = {}
        self.fetches = 0
        """Tokens fetched from SSO by this process (for tests and benchmarks)."""

    def get_or_fetch(self, key: CacheKey, now: float, fetch: Callable[[], AccessToken]) -> AccessToken:
        with self._lock:  # one fetch at a time: the other threads then find the fresh token
            token = self._tokens.get(key)
            if token is not None and now < token.usable_until:
                return token
            token = fetch()
            self.fetches += 1
            self._tokens[key] = token
            return token

    def discard(self, key: CacheKey, value: str) -> None:
        """Forget ``value`` if it is still the cached token for ``key`` (another thread may have
        renewed it already)."""
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and token.value == value:
                del self._tokens[key]

    def issued(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(t.value for t in self._tokens.values())

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKEN_CACHE: Final = TokenCache()


class OAuthRefusedError(DynatraceApiError):
    """Dynatrace SSO refused to issue an access token (RFC 6749 5.2: ``invalid_client``, a wrong id or
    secret; ``invalid_scope``, a scope the client may not grant): no API request was sent."""


class OAuthClientAuth(Credential):
    """``Authorization: Bearer <access token>`` for an OAuth client, fetched and cached as above."""

    scheme = "Bearer"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str],
        *,
        resource: str | None = None,
        sso_url: str = SSO_URL,
        settings: ClientSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        cache: TokenCache = TOKEN_CACHE,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(dict.fromkeys(scopes))
        if not self.scopes:
            raise ValueError("an OAuth token needs at least one scope")
        self.resource = resource
        self.sso_url = sso_url.rstrip("/")
        self._settings = settings or ClientSettings()
        self._clock = clock
        self._cache = cache
        digest = hashlib.sha256(client_secret.encode()).hexdigest()
        self._key: CacheKey = (self.sso_url, client_id, digest, self.scopes, resource or "")
        self._used: str | None = None
        self._refused: OAuthRefusedError | None = None

    def __repr__(self) -> str:
        return f"OAuthClientAuth(scopes={' '.join(self.scopes)!r}, resource={self.resource!r})"

    def secrets(self) -> tuple[str, ...]:
        return (self._client_secret, *self._cache.issued())

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._refused is not None:
            raise _copy(self._refused)
        try:
            token = self._cache.get_or_fetch(self._key, self._clock(), self._fetch)
        except OAuthRefusedError as exc:
            self._refused = exc
            raise
        self._used = token.value
        request.headers["Authorization"] = f"Bearer {token.value}"
        return request

    def renew(self, rejected: requests.PreparedRequest) -> bool:
        header = rejected.headers.get("Authorization", "")
        value = header.partition(" ")[2] if header.startswith("Bearer ") else self._used
        if value:
            self._cache.discard(self._key, value)
        return True

    def failure_hint(self, status: int) -> str | None:
        scopes = " ".join(self.scopes)
        if status == 401:
            return (
                "Dynatrace refused a fresh OAuth access token: check that the OAuth client in "
                f"{CLIENT_SETTING} is active and belongs to this account and environment"
            )
        if status == 403:
            return (
                f"The OAuth access token (scopes {scopes}) does not allow this call: give the OAuth client "
                "these scopes in Account Management > Identity & access management > OAuth clients, and its "
                "service user the matching permissions (IAM policies)"
            )
        return None

    def _fetch(self) -> AccessToken:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": " ".join(self.scopes),
        }
        if self.resource:
            form["resource"] = self.resource
        started = self._clock()
        with DynatraceClient(self.sso_url, NoAuth(self._client_secret), self._settings) as sso:
            try:
                answer = sso.request("POST", TOKEN_PATH, data=form, idempotent=True)
            except DynatraceApiError as exc:
                raise _token_error(exc, self.scopes) from None
        body: Any = answer.body
        token = body.get("access_token") if isinstance(body, dict) else None
        kind = body.get("token_type", "Bearer") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token.strip() or str(kind).lower() != "bearer":
            raise DynatraceApiError("POST", TOKEN_PATH, answer.status, "the answer holds no Bearer access_token")
        granted = body.get("scope")
        if isinstance(granted, str):
            missing = [s for s in self.scopes if s not in granted.split()]
            if missing:
                raise DynatraceApiError(
                    "POST",
                    TOKEN_PATH,
                    answer.status,
                    f"the access token lacks the requested scopes {' '.join(missing)}",
                    hint=_SCOPE_HINT,
                )
        lifetime = body.get("expires_in", DEFAULT_EXPIRES_IN)
        expires_in = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_EXPIRES_IN
        _log.debug("OAuth access token fetched (scopes %s, expires in %.0fs)", " ".join(self.scopes), expires_in)
        return AccessToken(token.strip(), started + usable_seconds(expires_in))


_SCOPE_HINT = (
    "Give the OAuth client these scopes in Account Management > Identity & access management > OAuth clients "
    f"({CLIENT_SETTING})"
)


def _token_error(exc: DynatraceApiError, scopes: tuple[str, ...]) -> DynatraceApiError:
    """The SSO's refusal with what to fix (RFC 6749 5.2 error codes: invalid_client, invalid_scope)."""
    if exc.mentions("invalid_scope", "scope"):
        hint = f"The OAuth client may not grant the scopes {' '.join(scopes)}. {_SCOPE_HINT}"
    elif exc.status in (400, 401) and exc.mentions("invalid_client", "client"):
        hint = f"Dynatrace SSO did not accept the OAuth client: check {CLIENT_SETTING}"
    else:
        hint = exc.hint
    # A refusal is final; anything else (429/5xx after the retries) may pass on a later request.
    final = exc.status in (400, 401) and hint != exc.hint
    error = OAuthRefusedError if final else DynatraceApiError
    return error(exc.method, exc.path, exc.status, exc.message, details=exc.details, attempts=exc.attempts, hint=hint)


def _copy(exc: OAuthRefusedError) -> OAuthRefusedError:
    """A fresh exception with the same text (each raise gets its own traceback)."""
    return OAuthRefusedError(
        exc.method, exc.path, exc.status, exc.message, details=exc.details, attempts=exc.attempts, hint=exc.hint
    )
