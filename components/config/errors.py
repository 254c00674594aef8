"""Configuration errors that name the full key path, the bad value and what is allowed."""

from __future__ import annotations

import base64
import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from ._base import NAMESPACE
from .text import ERROR_TYPE as TEXT_ERROR

# A validator may point below the location pydantic reports by starting its
# message with "@<relative.key>: " (e.g. "@existingTrailArn: required when ...").
_SUBKEY_MARK = "@"
_INDEX = re.compile(r"[0-9]+")
_MAX_VALUE_CHARS = 80

REDACTED_MARK = "[redacted]"

# Secret-shaped text that may sit inside a value an error would otherwise echo.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Credentials in a URL (RFC 3986 userinfo): scheme://user:password@host or scheme://token@host.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s'\"]+@"), rf"\1{REDACTED_MARK}@"),
    # Dynatrace tokens: dt0<letter><2 digits>.<public part>.<secret part> (classic dt0c01, platform dt0s16, ...).
    (re.compile(r"\bdt0[a-z][0-9]{2}\.[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)?"), f"dt0…{REDACTED_MARK}"),
    # NVIDIA NGC personal/service keys.
    (re.compile(r"\bnvapi-[A-Za-z0-9_-]+"), f"nvapi-{REDACTED_MARK}"),
    # AWS access key ids and JSON Web Tokens.
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), REDACTED_MARK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED_MARK),
    # Authorization header values and credential-named query parameters or assignments.
    (re.compile(r"(?i)\b(bearer|api-token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED_MARK}"),
    (
        re.compile(r"(?i)\b((?:api[_-]?)?(?:token|key|secret|password|passwd|pwd)s?=)[^&\s'\"]+"),
        rf"\1{REDACTED_MARK}",
    ),
)
_KNOWN_SECRETS: set[str] = set()
_MIN_KNOWN_SECRET_CHARS = 8


_URL_SAFE = str.maketrans("+/", "-_")


def base64_forms(value: str) -> tuple[str, ...]:
    """The text that base64 of ``value`` contains wherever ``value`` sits in the encoded bytes.

    Base64 turns 3 bytes into 4 characters, so the encoding of a secret inside longer data depends on its
    offset modulo 3. For each offset the characters that only the secret's bytes determine are kept
    (no padding, no neighbour bits): a match of any of them, in the standard or the URL-safe alphabet,
    with or without padding around it, is the secret.
    """
    data = value.encode()
    forms: list[str] = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode()
        core = encoded[-(-4 * offset // 3) : (8 * (offset + len(data))) // 6]
        forms += [core, core.translate(_URL_SAFE)]
    return tuple(dict.fromkeys(form for form in forms if len(form) >= _MIN_KNOWN_SECRET_CHARS))


def remember_secret(value: str) -> None:
    """Make ``redact_text`` hide ``value`` wherever it appears (the configured secret values), as written
    or base64-encoded."""
    if len(value) >= _MIN_KNOWN_SECRET_CHARS:
        _KNOWN_SECRETS.add(value)
        _KNOWN_SECRETS.update(base64_forms(value))


# Values that are credentials by their shape, named for the message that refuses them in plain config.
_CREDENTIAL_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bdt0[a-z][0-9]{2}\.[A-Za-z0-9]{8,}\.[A-Za-z0-9]{16,}"), "a Dynatrace token"),
    (re.compile(r"\bnvapi-[A-Za-z0-9_-]{16,}"), "an NGC API key"),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), "an AWS access key id"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), "a JSON Web Token"),
    (re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/?#@\s]+@"), "a URL with credentials"),
)


def credential_kind(text: str) -> str | None:
    """What kind of credential ``text`` holds by its shape, or None."""
    for pattern, kind in _CREDENTIAL_SHAPES:
        if pattern.search(text):
            return kind
    return None


def redact_text(text: str) -> str:
    """``text`` with every secret-shaped part and every known secret value replaced by ``[redacted]``.

    Every message shown to a user (config errors, the plan's errors) passes through here.
    """
    for secret in sorted(_KNOWN_SECRETS, key=len, reverse=True):
        text = text.replace(secret, REDACTED_MARK)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the stack configuration."""

    path: str  # full key path, e.g. "ai-observability:governance.bucket.retentionDays"
    message: str

    def __str__(self) -> str:
        return redact_text(f"{self.path}: {self.message}")


class ConfigError(Exception):
    """The stack configuration is invalid; ``str()`` lists every issue, one per line (secrets redacted)."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid stack configuration ({len(self.issues)} problem(s)):\n{lines}")


# pydantic's location element for "the key of this mapping entry" (after the key itself).
_KEY_MARK = "[key]"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _loc_text(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == _KEY_MARK:
            continue
        elif _PLAIN_KEY.match(part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(part)}]"
    return text


def key_path(top_key: str, loc: Iterable[str | int] = ()) -> str:
    """``ai-observability:<top>.<a>[0].<b>`` from a top-level key and a pydantic location.

    Map keys that are not plain words are quoted (``tags["team:owner"]``) so the path stays
    unambiguous; pydantic's ``[key]`` marker (the entry's key is at fault) is dropped, the
    message says so instead.
    """
    return f"{NAMESPACE}:{top_key}{_loc_text(loc)}"


def config_path(full_key: str, loc: Iterable[str | int] = ()) -> str:
    """``key_path`` for a full key of any namespace (``aws:region``, ``ai-observability:tags["a b"]``)."""
    return f"{full_key}{_loc_text(loc)}"


def did_you_mean(key: str, allowed: Iterable[str]) -> str:
    """`` did you mean retentionDays?`` for a snake_case spelling or a near miss of an allowed key, or ""."""
    choices = list(allowed)
    camel = to_camel(key) if "_" in key else key
    if camel != key and camel in choices:
        return f" did you mean {camel}? (keys are camelCase; the snake_case spelling is not read)"
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.8)
    return f" did you mean {close[0]}?" if close else ""


def _show_value(value: Any) -> str:
    text = redact_text(repr(value))
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def _number_for_string_hint(value: int | float) -> str:
    """Why a YAML number reached a string field, and the fix (``version: 1.30`` reads as 1.3)."""
    if isinstance(value, float):
        return (
            f"; YAML reads an unquoted {value!r} as a number and drops trailing zeros (1.30 becomes 1.3):"
            ' quote it as meant, e.g. "1.30"'
        )
    return f'; YAML reads an unquoted {value!r} as a number: quote it, e.g. "{value}"'


def _allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str] | None:
    """The keys the model at ``loc`` accepts (by alias), following nested models and lists."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = next(
            (f for name, f in current.model_fields.items() if (f.alias or name) == part),
            None,
        )
        if field is None:
            return None
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted((f.alias or name) for name, f in current.model_fields.items())
    return None


def field_at(model: type[BaseModel], loc: Sequence[str | int]) -> FieldInfo | None:
    """The field definition at ``loc`` (by alias), following nested models and lists."""
    current: Any = model
    found: FieldInfo | None = None
    for part in loc:
        if isinstance(part, int) or part == _KEY_MARK:
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        found = next((f for name, f in current.model_fields.items() if (f.alias or name) == part), None)
        if found is None:
            return None
        current = _model_in(found.annotation)
    return found


def _bounds(field: FieldInfo | None) -> str:
    """`` from 1 to 3657`` for a field constrained with ge/le (empty otherwise)."""
    if field is None:
        return ""
    low = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), None)
    high = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def _type_message(kind: str, value: Any, field: FieldInfo | None) -> str | None:
    """A precise message for a value of the wrong YAML type (strict fields never coerce)."""
    shown = "true/false" if isinstance(value, bool) else type(value).__name__
    if kind == "int_type":
        return f"must be a whole number (allowed: integers{_bounds(field)}), not {shown}"
    if kind == "float_type":
        return f"must be a number{_bounds(field)}, not {shown}"
    if kind == "bool_type":
        return f"must be a boolean (allowed: true, false), not {shown}"
    if kind == "string_type":
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return f"must be a string, not {shown}{_number_for_string_hint(value) if number else ''}"
    return None


# Plain-words descriptions of the name patterns the models use (pydantic would print the regex).
_PATTERNS: dict[str, str] = {
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$": "must be a Kubernetes DNS-1123 label: at most 63 of a-z, 0-9 and '-', "
    "starting and ending with a letter or digit",
    r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$": "must be a Kubernetes DNS-1035 label (it names a Service): at most 63 of "
    "a-z, 0-9 and '-', starting with a letter and ending with a letter or digit",
}


def _model_in(annotation: Any) -> Any:
    """The BaseModel class inside ``X``, ``X | None``, ``list[X]`` or ``dict[str, X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def issues_from_validation(
    top_key: str,
    model: type[BaseModel],
    error: ValidationError,
    *,
    secret: bool = False,
) -> list[ConfigIssue]:
    """Translate a pydantic error for the section ``top_key`` into key-path issues."""
    issues: list[ConfigIssue] = []
    for err in error.errors(include_url=False):
        loc = list(err["loc"])
        message = str(err["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        redirected = message.startswith(_SUBKEY_MARK) and ": " in message
        if redirected:
            sub, message = message[1:].split(": ", 1)
            loc.extend(int(p) if _INDEX.fullmatch(p) else p for p in sub.split("."))
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = loc[:-1]
            allowed = _allowed_keys(model, parent)
            hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
            near = did_you_mean(str(loc[-1]), allowed or []) if loc else ""
            message = f"unknown key;{near}{hint}" if near else f"unknown key{hint}"
        elif kind == "missing":
            message = "is required"
        elif kind == "string_pattern_mismatch" and str(err.get("ctx", {}).get("pattern")) in _PATTERNS:
            described = _PATTERNS[str(err["ctx"]["pattern"])]
            message = described if secret else f"{described} (got {_show_value(err.get('input'))})"
        elif not secret and (typed := _type_message(kind, err.get("input"), field_at(model, loc))) is not None:
            message = f"{typed} (got {_show_value(err['input'])})"
        elif not secret and not redirected and "input" in err and kind not in ("model_type", "dict_type", TEXT_ERROR):
            message = f"{message} (got {_show_value(err['input'])})"
        if loc and loc[-1] == _KEY_MARK and not message.startswith("(the key)"):
            message = f"(the key) {message}"
        issues.append(ConfigIssue(key_path(top_key, loc), message))
    return issues
