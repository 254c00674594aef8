"""Errors raised by the Dynatrace client and providers, and the redaction that keeps tokens out of them.

Every message names the HTTP method, the path (never the host's query string with secrets: the
APIs take none) and Dynatrace's own error text. Token text never appears: the client never puts
it in a message, and server-supplied text passes through :func:`redact` first (a server that
echoes an ``Authorization`` header back must not leak it into logs or Pulumi's output).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# dt0c01 (classic), dt0s16 (platform) and friends: "<prefix>.<public id>.<secret>".
# The part up to the second dot is the token id and is safe to show; the rest is not.
_DT_TOKEN = re.compile(r"\b(dt0[a-z][0-9]{2}\.[A-Za-z0-9]+)\.[A-Za-z0-9]{8,}")
# "Api-Token abc", "Bearer abc": whatever follows the scheme is a credential.
_AUTH_VALUE = re.compile(r"(?i)\b(Api-Token|Bearer)\s+[A-Za-z0-9._~+/=-]+")
REDACTED = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every known secret and anything shaped like a Dynatrace token masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _DT_TOKEN.sub(lambda m: f"{m.group(1)}.{REDACTED}", text)
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


class DynatraceError(Exception):
    """Base class: something went wrong talking to Dynatrace."""


class DynatraceApiError(DynatraceError):
    """Dynatrace answered with an error status (after any retries)."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int,
        message: str,
        *,
        details: tuple[str, ...] = (),
        attempts: int = 1,
        hint: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        self.details = details
        self.attempts = attempts
        self.hint = hint
        text = f"Dynatrace {method} {path} failed with HTTP {status}: {message}"
        if details:
            text += " (" + "; ".join(details) + ")"
        if attempts > 1:
            text += f" [after {attempts} attempts]"
        if hint:
            text += f". {hint}"
        super().__init__(text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.method!r}, {self.path!r}, {self.status}, {self.message!r})"

    def mentions(self, *fragments: str) -> bool:
        """True when the message or details contain any fragment (case-insensitive)."""
        haystack = " ".join((self.message, *self.details)).lower()
        return any(fragment.lower() in haystack for fragment in fragments)


class DynatraceConnectionError(DynatraceError):
    """No HTTP answer (connection refused/reset, timeout) after the retries allowed for this call.

    ``ambiguous`` is true when the request may have reached the server (a write may have
    happened): callers with an idempotency key re-read before trying again.
    """

    def __init__(self, method: str, path: str, reason: str, *, ambiguous: bool, attempts: int = 1) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        self.ambiguous = ambiguous
        self.attempts = attempts
        text = f"Dynatrace {method} {path}: no response ({reason})"
        if attempts > 1:
            text += f" [after {attempts} attempts]"
        super().__init__(text)


class DynatraceNetworkSetupError(DynatraceConnectionError):
    """The network path to Dynatrace is misconfigured on this machine; repeating cannot help.

    Raised at once, without retries: a TLS certificate that does not verify against the trusted
    CAs, TLS spoken to a plain-HTTP port, a proxy that refuses the tunnel, or a CA-bundle
    variable that names a missing file. ``hint`` says which setting to change.
    """

    def __init__(self, method: str, path: str, reason: str, *, hint: str) -> None:
        self.hint = hint
        super().__init__(method, path, reason, ambiguous=False)
        self.args = (f"Dynatrace {method} {path}: {reason}. {hint}",)


class DynatraceTlsError(DynatraceNetworkSetupError):
    """TLS verification failed (unknown CA, wrong host name, expired certificate, or not TLS at all)."""


class DynatraceProxyError(DynatraceNetworkSetupError):
    """The HTTP proxy refused to open a tunnel to Dynatrace (403, 407, ...)."""


class DynatraceTimeoutError(DynatraceError):
    """A wait (bucket activation, retry budget, conflict loop) ran out of time or attempts."""


class DynatraceConflictError(DynatraceError):
    """The desired state conflicts with what exists and cannot be adopted (e.g. same bucket name, other table)."""
