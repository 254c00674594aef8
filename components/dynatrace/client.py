"""HTTP transport for the Dynatrace APIs: one ``requests.Session`` per provider call.

Retry policy:

- Retried: HTTP 429 and 503 (overload: the request was not processed), the other transient
  server errors 500/502/504 for methods that are safe to repeat, and connection failures (refused,
  reset, timeouts). A ``POST`` (not idempotent) is retried on a connection failure only when the
  request cannot have reached the server (connect phase); otherwise
  :class:`DynatraceConnectionError` is raised with ``ambiguous=True`` so the caller can re-read by
  its idempotency key. A ``POST`` answered 500/502/504 may have been applied and is not repeated
  either. ``GET``/``PUT``/``PATCH``/``DELETE`` are safe to repeat (writes carry a version or
  update token, deletes treat 404 as done).
- Failed at once, with what to fix: any other 4xx (401/403 name the token setting), TLS
  certificate verification failures (name ``REQUESTS_CA_BUNDLE``/``SSL_CERT_FILE``), TLS spoken
  to a non-TLS endpoint, and a proxy that refuses the ``CONNECT`` tunnel.
- Delay: ``Retry-After`` (seconds or HTTP date), else ``X-RateLimit-Reset`` (epoch seconds,
  milliseconds or microseconds — the docs and Dynatrace's own clients disagree, so all are
  accepted), else capped exponential backoff with jitter.
- Bounded: all retries of one call fit in ``max_retry_seconds``; a server-requested delay that
  would overrun the budget fails at once with the server's message.
- Never retried: any other status (409 is handled by callers through re-read-then-write).

Network settings come from the standard environment variables of the process the provider runs
in (the Pulumi CLI passes its environment on): ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` and
``NO_PROXY`` as ``requests`` reads them, and the CA bundle from ``REQUESTS_CA_BUNDLE``, then
``CURL_CA_BUNDLE``, then ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (``requests`` alone ignores the
latter two and would trust only its bundled CAs). ``.netrc`` is never read: the session keeps
``trust_env`` off and applies exactly these settings, so no file can add credentials.

Multipart: ``request(..., form=..., files=...)`` sends ``multipart/form-data`` (the Documents API
creates and updates that way); the parts are rebuilt from the same values on every retry. A
``multipart/*`` answer (a document's metadata plus content) is decoded into :class:`MultipartBody`.

Credentials: a :class:`Credential` adds the ``Authorization`` header. :class:`TokenAuth` holds a
static token (masked ``repr``); :class:`~components.dynatrace.oauth.OAuthClientAuth` obtains access
tokens with the OAuth client-credentials flow. A 401 answer lets the credential renew itself once
(a cached access token that expired early); the request is then sent again, at most once. Every
secret a credential holds is redacted from every message this module produces.

Form bodies: ``request(..., data=...)`` sends ``application/x-www-form-urlencoded`` (the OAuth
token endpoint takes its parameters that way). ``idempotent=True`` marks a ``POST`` that is safe to
repeat (minting an access token changes nothing a retry could duplicate).

Accept: ``application/json`` by default (every JSON API); ``accept=None`` sends no ``Accept``
header, which HTTP reads as "any media type" (RFC 9110, 12.5.1). Endpoints whose documented answer
is not JSON need that: ``GET /platform/document/v1/documents/{id}`` answers ``multipart/form-data``
only, and a server that negotiates strictly refuses ``Accept: application/json`` there with 406.

Tokens live only in the :class:`TokenAuth` object (masked ``repr``), are sent in the
``Authorization`` header, and are redacted from every message this module produces.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import unquote, urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field
from requests.adapters import HTTPAdapter

from .errors import (
    DynatraceApiError,
    DynatraceConnectionError,
    DynatraceNetworkSetupError,
    DynatraceProxyError,
    DynatraceTlsError,
    redact,
)
from .scopes import credential_for, scopes_for

_log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 503})
"""Overload answers: the request was not processed, so any method may be repeated."""
RETRY_IF_IDEMPOTENT = frozenset({500, 502, 504})
"""Transient server or gateway errors after which a write may have been applied."""
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
USER_AGENT = "ai-observability-pulumi/1.0"
JSON: Final = "application/json"
_MAX_MESSAGE = 600


class ClientSettings(BaseModel):
    """Timeouts, retry budget and polling of one provider call (production defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    read_timeout: float = Field(default=30.0, gt=0, le=600)
    max_retry_seconds: float = Field(default=120.0, ge=0, le=3600)
    """Total time one request may spend waiting between retries."""
    backoff_base: float = Field(default=0.5, gt=0, le=60)
    backoff_max: float = Field(default=15.0, gt=0, le=300)
    wait_timeout: float = Field(default=300.0, gt=0, le=3600)
    """Longest wait for an asynchronous state (bucket ``active``, a bucket name freed by a delete)."""
    poll_initial: float = Field(default=1.0, gt=0, le=60)
    poll_max: float = Field(default=2.0, gt=0, le=300)
    """Longest pause between polls: a wait overshoots the moment the state is reached by at most this
    much (bucket creation takes seconds to a minute; a GET every 2 s is cheap)."""
    conflict_attempts: int = Field(default=8, ge=1, le=100)
    """Re-read-and-write rounds on optimistic-locking conflicts (HTTP 409)."""

    def to_props(self) -> dict[str, Any]:
        return self.model_dump()


class Credential(requests.auth.AuthBase):
    """What authenticates a request: sets ``Authorization``; never pickled, never shown."""

    scheme: str = "Bearer"

    def secrets(self) -> tuple[str, ...]:
        """Every secret text this credential holds or has issued (redacted from messages)."""
        return ()

    def renew(self, rejected: requests.PreparedRequest) -> bool:
        """After a 401 to ``rejected``: True when a fresh credential is ready and one more attempt
        may succeed (an expired access token); False when repeating cannot help."""
        return False

    def failure_hint(self, status: int) -> str | None:
        """What to fix after a 401/403 that no retry changes (None: the token settings' hint)."""
        return None

    def __getstate__(self) -> dict[str, Any]:  # never pickle a credential
        raise TypeError(f"{type(self).__name__} holds a credential and is not picklable")


class NoAuth(Credential):
    """No ``Authorization`` header (the OAuth token endpoint authenticates by form fields)."""

    def __init__(self, *secrets: str) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request

    def __repr__(self) -> str:
        return "NoAuth()"


class TokenAuth(Credential):
    """``Authorization: Api-Token …`` or ``Bearer …``; never shows the token."""

    def __init__(self, scheme: Literal["Api-Token", "Bearer"], token: str) -> None:
        self.scheme = scheme
        self._token = token

    @property
    def secret(self) -> str:
        return self._token

    def secrets(self) -> tuple[str, ...]:
        return (self._token,)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"{self.scheme} {self._token}"
        return request

    def __repr__(self) -> str:
        return f"TokenAuth({self.scheme}, {token_id(self._token)}.***)"


def token_id(token: str) -> str:
    """The public part of a Dynatrace token (``dt0c01.ABC…``), or ``<token>`` for other shapes."""
    parts = token.split(".")
    if len(parts) == 3 and parts[0].startswith("dt0"):
        return f"{parts[0]}.{parts[1]}"
    return "<token>"


@dataclass(frozen=True)
class FilePart:
    """One file part of a multipart request: the bytes and their Content-Type (mandatory for
    Dynatrace's Documents API, which takes the content type from the part header)."""

    filename: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class Part:
    """One part of a multipart answer."""

    name: str
    data: bytes
    content_type: str | None = None
    filename: str | None = None

    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass(frozen=True)
class MultipartBody:
    """A decoded ``multipart/*`` answer, parts by their form name."""

    parts: dict[str, Part]

    def get(self, name: str) -> Part | None:
        return self.parts.get(name)


def parse_multipart(content_type: str, data: bytes) -> MultipartBody:
    """Split a ``multipart/form-data`` (or ``multipart/mixed``) body into named parts."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + data
    )
    parts: dict[str, Part] = {}
    if not message.is_multipart():
        return MultipartBody(parts)
    for index, item in enumerate(message.iter_parts()):
        name = item.get_param("name", header="content-disposition")
        filename = item.get_filename()
        payload = item.get_payload(decode=True)
        key = str(name) if name else f"part{index}"
        parts[key] = Part(
            key,
            payload if isinstance(payload, bytes) else b"",
            item.get_content_type() if item.get("content-type") else None,
            filename,
        )
    return MultipartBody(parts)


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkSettings:
    """Proxy and CA settings for one base URL, read from the environment."""

    proxies: dict[str, str]
    verify: str | bool
    """A CA bundle file or directory, or True for the bundle ``requests`` ships (certifi)."""
    ca_source: str
    """Where ``verify`` came from, for error messages (``REQUESTS_CA_BUNDLE=/path`` ...)."""
    problem: str | None = None
    """Set when a CA variable names a path that does not exist."""
    secrets: tuple[str, ...] = ()
    """Passwords embedded in proxy URLs (redacted from every message)."""

    def proxy_display(self) -> str:
        """The proxy in use, without credentials, or ``no proxy``."""
        url = self.proxies.get("https") or self.proxies.get("all")
        if not url:
            return "no proxy"
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = parts.hostname or "?"
        return f"proxy {parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"


def network_settings(base_url: str) -> NetworkSettings:
    """Proxies (honouring ``NO_PROXY`` for ``base_url``'s host) and the CA bundle to verify with,
    from this process's environment."""
    env = os.environ
    verify: str | bool = True
    source = "the CA bundle shipped with requests (no CA variable set)"
    problem = None
    for name in CA_VARIABLES:
        value = env.get(name, "").strip()
        if not value:
            continue
        verify, source = value, f"{name}={value}"
        if not os.path.exists(value):
            problem = f"{name} names {value!r}, which does not exist"
        break
    proxies = dict(requests.utils.get_environ_proxies(base_url))
    passwords = [urlsplit(url if "://" in url else f"http://{url}").password for url in proxies.values()]
    secrets = tuple({form for password in passwords if password for form in (password, unquote(password))})
    return NetworkSettings(proxies, verify, source, problem, secrets)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or HTTP date); None if unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def parse_rate_limit_reset(value: str | None, now: float) -> float | None:
    """Seconds to wait from ``X-RateLimit-Reset``: an epoch in s, ms or µs (tolerant), else None."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number <= 0:
        return None
    if number > 1e14:  # microseconds since the epoch (what the docs say)
        epoch = number / 1e6
    elif number > 1e11:  # milliseconds
        epoch = number / 1e3
    elif number > 1e8:  # seconds (what Dynatrace's Go client assumes)
        epoch = number
    else:  # a small number: read it as a delay in seconds
        return number
    return max(0.0, epoch - now)


def backoff_delay(attempt: int, settings: ClientSettings, rng: random.Random) -> float:
    """Capped exponential backoff with 'equal jitter': between half and all of the cap."""
    ceiling: float = min(settings.backoff_max, settings.backoff_base * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def error_message(body: Any, fallback: str) -> tuple[str, tuple[str, ...]]:
    """Dynatrace's message and detail lines from any of its error bodies."""
    error: Any = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        # OAuth 2.0 error response (RFC 6749, section 5.2): {"error": code, "error_description": text}
        code = str(body["error"])
        described = body.get("error_description")
        text = f"{code}: {described}" if isinstance(described, str) and described.strip() else code
        return text[:_MAX_MESSAGE], ()
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
    elif isinstance(body, list):
        error = next((item.get("error") for item in body if isinstance(item, dict) and item.get("error")), None)
    elif isinstance(body, dict) and isinstance(body.get("errors"), list):
        lines = tuple(str(e.get("message", e)) for e in body["errors"] if isinstance(e, dict))
        return (lines[0] if lines else fallback), lines[1:]
    if not isinstance(error, dict):
        text = body if isinstance(body, str) else (json.dumps(body) if body is not None else "")
        return (text.strip()[:_MAX_MESSAGE] or fallback), ()
    message = str(error.get("message") or fallback)
    details: list[str] = []
    for item in list(error.get("constraintViolations") or []) + list(error.get("errorDetails") or []):
        if isinstance(item, dict):
            where = item.get("path") or item.get("parameterLocation") or ""
            text = str(item.get("message") or item.get("errorMessage") or item)
            details.append(f"{where}: {text}" if where else text)
        else:
            details.append(str(item))
    return message[:_MAX_MESSAGE], tuple(d[:_MAX_MESSAGE] for d in details[:10])


_SetupProblem = tuple[type[DynatraceNetworkSetupError], str, str]
_VERIFY_DETAIL = re.compile(r"certificate verify failed: ([^(\"']+)")
_TUNNEL_REFUSED = re.compile(r"Tunnel connection failed: (4[0-9]{2}[^'\")]*)")


def _setup_problem(exc: requests.RequestException, net: NetworkSettings) -> _SetupProblem | None:
    """A failure no retry can fix: (error class, what happened, what to change); None if transient."""
    text = repr(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        found = _VERIFY_DETAIL.search(text)
        detail = found.group(1).strip().rstrip(",") if found else "the server certificate is not trusted"
        return (
            DynatraceTlsError,
            f"TLS certificate verification failed ({detail}; trusted CAs: {net.ca_source})",
            "If Dynatrace (Managed, an ActiveGate, or a TLS-inspecting proxy) presents a certificate from a "
            "private CA, set REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) to a PEM file containing that CA, in the "
            "environment that runs `pulumi`",
        )
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return (
            DynatraceTlsError,
            "TLS handshake failed: the other end does not speak TLS",
            "Check that the Dynatrace URL uses https:// with a TLS port, and that HTTPS_PROXY names an "
            "http:// proxy URL",
        )
    refused = _TUNNEL_REFUSED.search(text)
    if isinstance(exc, requests.exceptions.ProxyError) and refused is not None:
        # 4xx to CONNECT is the proxy's policy (403 not allowed, 407 credentials); a 5xx (upstream
        # unreachable) is transient and retried like any connection failure.
        answer = refused.group(1).strip()
        return (
            DynatraceProxyError,
            f"the {net.proxy_display()} refused the tunnel ({answer})",
            "Check the proxy URL and credentials in HTTPS_PROXY, ask for the Dynatrace host to be allowed, "
            "or list the host in NO_PROXY if it is reachable without the proxy",
        )
    return None


def _api_hint(status: int, scheme: str) -> str:
    """What to fix for a status that repeating cannot change (scopes from :mod:`.scopes`)."""
    credential = credential_for(scheme)
    setting = credential.setting() if credential is not None else f"the {scheme} token"
    if status == 401:
        return f"The token was not accepted (wrong, expired or revoked): check {setting}"
    if status == 403:
        needed = ", ".join(scopes_for(credential)) if credential is not None else ""
        listed = (
            f"; with every feature on, the stack needs {needed} (docs/dynatrace.md, token scopes)" if needed else ""
        )
        return f"The token lacks a permission this call needs: add the scope to the token in {setting}{listed}"
    return ""


def _connect_phase(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (safe to repeat any method)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    text = repr(exc)
    markers = ("NewConnectionError", "ConnectionRefusedError", "Connection refused", "Tunnel connection failed")
    return any(marker in text for marker in markers)


class DynatraceClient:
    """One session against one Dynatrace host; use as a context manager."""

    def __init__(
        self,
        base_url: str,
        auth: Credential,
        settings: ClientSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.settings = settings or ClientSettings()
        self._auth = auth
        self._sleep = sleep
        self._clock = clock
        self._wall = wall_clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._net = network_settings(self.base_url)
        self._session = requests.Session()
        self._session.auth = auth
        # trust_env stays off so requests never consults ~/.netrc; the proxy and CA variables are
        # applied explicitly instead (see network_settings).
        self._session.trust_env = False
        self._session.proxies = dict(self._net.proxies)
        self._session.verify = self._net.verify
        # No session-wide Accept: each request states its own (see ``request``).
        self._session.headers.update({"User-Agent": USER_AGENT})
        self._session.headers.pop("Accept", None)
        adapter = HTTPAdapter(max_retries=0, pool_connections=1, pool_maxsize=4)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __enter__(self) -> DynatraceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def __repr__(self) -> str:
        return f"DynatraceClient({self.base_url!r}, {self._auth!r})"

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("DynatraceClient holds a session and a credential and is not picklable")

    def _clean(self, text: str) -> str:
        return redact(text, (*self._auth.secrets(), *self._net.secrets))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, FilePart] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Iterable[int] = (200,),
        allow: Iterable[int] = (),
        accept: str | None = JSON,
        idempotent: bool | None = None,
    ) -> ApiResponse:
        """Send with retries; return when the status is in ``ok`` or ``allow``, else raise.

        ``form``/``files`` send ``multipart/form-data`` (text fields, then file parts) instead of
        ``json_body``; ``data`` sends ``application/x-www-form-urlencoded``. ``accept`` is the ``Accept``
        header; None sends none (any media type). ``headers`` are added to (or replace) the others, e.g. a
        ``Content-Type`` other than JSON for a JSON body (``application/cloudevent+json``). ``idempotent``
        overrides the method's own safety to repeat (None: by the method).
        """
        if [json_body is not None, bool(form or files), data is not None].count(True) > 1:
            raise ValueError("send one of json_body, form/files or data")
        multipart = _multipart_fields(form, files) if (form or files) else None
        method = method.upper()
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        accepted = set(ok) | set(allow)
        renewed = False
        if self._net.problem is not None:
            raise DynatraceTlsError(
                method,
                path,
                f"cannot verify TLS: {self._net.problem}",
                hint="Point the variable at a PEM file (or directory) with the CA certificates, or unset it",
            )
        deadline = self._clock() + self.settings.max_retry_seconds
        attempt = 0
        while True:
            attempt += 1
            started = self._clock()
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=json_body,
                    files=multipart,
                    data=dict(data) if data is not None else None,
                    headers={**({"Accept": accept} if accept is not None else {}), **(headers or {})} or None,
                    timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                    allow_redirects=False,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                setup = _setup_problem(exc, self._net)
                if setup is not None:
                    error_type, what, hint = setup
                    raise error_type(method, path, self._clean(what)[:_MAX_MESSAGE], hint=hint) from None
                safe = repeatable or _connect_phase(exc)
                reason = self._clean(f"{type(exc).__name__}: {exc}")[:_MAX_MESSAGE]
                delay = backoff_delay(attempt, self.settings, self._rng)
                if not safe or self._clock() + delay > deadline:
                    raise DynatraceConnectionError(
                        method, path, reason, ambiguous=not _connect_phase(exc), attempts=attempt
                    ) from None
                _log.info("Dynatrace %s %s: %s; retry %d in %.2fs", method, path, type(exc).__name__, attempt, delay)
                self._sleep(delay)
                continue

            elapsed_ms = (self._clock() - started) * 1000
            status = response.status_code
            _log.debug("Dynatrace %s %s -> %d (%.0f ms)", method, path, status, elapsed_ms)
            body = _decode(response)
            if status in accepted:
                return ApiResponse(status, body, dict(response.headers))
            if status == 401 and not renewed and self._auth.renew(response.request):
                renewed = True  # a fresh access token: one more attempt, at once
                _log.info("Dynatrace %s %s -> 401; retrying once with a renewed access token", method, path)
                continue
            if status in RETRY_STATUSES or (status in RETRY_IF_IDEMPOTENT and repeatable):
                server_delay = parse_retry_after(response.headers.get("Retry-After"), self._wall())
                if server_delay is None:
                    server_delay = parse_rate_limit_reset(response.headers.get("X-RateLimit-Reset"), self._wall())
                delay = server_delay if server_delay is not None else backoff_delay(attempt, self.settings, self._rng)
                if self._clock() + delay <= deadline:
                    _log.info(
                        "Dynatrace %s %s -> %d; retry %d in %.2fs%s",
                        method,
                        path,
                        status,
                        attempt,
                        delay,
                        " (server asked)" if server_delay is not None else "",
                    )
                    self._sleep(delay)
                    continue
            message, details = error_message(body, response.reason or f"HTTP {status}")
            raise DynatraceApiError(
                method,
                path,
                status,
                self._clean(message),
                details=tuple(self._clean(d) for d in details),
                attempts=attempt,
                hint=self._hint(status),
            )

    def _hint(self, status: int) -> str:
        own = self._auth.failure_hint(status) if status in (401, 403) else None
        return own if own is not None else _api_hint(status, self._auth.scheme)


def _multipart_fields(
    form: Mapping[str, str] | None, files: Mapping[str, FilePart] | None
) -> list[tuple[str, tuple[str | None, bytes | str] | tuple[str, bytes, str]]]:
    """``requests``' ``files=`` list: text fields as parts without a filename, then the files."""
    fields: list[tuple[str, tuple[str | None, bytes | str] | tuple[str, bytes, str]]] = [
        (name, (None, value)) for name, value in (form or {}).items()
    ]
    fields += [(name, (part.filename, part.data, part.content_type)) for name, part in (files or {}).items()]
    return fields


def _decode(response: requests.Response) -> Any:
    if not response.content:
        return None
    content_type = response.headers.get("Content-Type", "")
    if content_type.lower().startswith("multipart/"):
        return parse_multipart(content_type, response.content)
    try:
        return response.json()
    except ValueError:
        return response.text
