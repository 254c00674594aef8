"""Configuration errors that name the full key path, the bad value and what is allowed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from ._base import NAMESPACE

# A validator may point below the location pydantic reports by starting its
# message with "@<relative.key>: " (e.g. "@existingTrailArn: required when ...").
_SUBKEY_MARK = "@"
_MAX_VALUE_CHARS = 80


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in the stack configuration."""

    path: str  # full key path, e.g. "ai-observability:governance.bucket.retentionDays"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """The stack configuration is invalid; ``str()`` lists every issue, one per line."""

    def __init__(self, issues: Sequence[ConfigIssue]) -> None:
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"invalid stack configuration ({len(self.issues)} problem(s)):\n{lines}")


# pydantic's location element for "the key of this mapping entry" (after the key itself).
_KEY_MARK = "[key]"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key_path(top_key: str, loc: Iterable[str | int] = ()) -> str:
    """``ai-observability:<top>.<a>[0].<b>`` from a top-level key and a pydantic location.

    Map keys that are not plain words are quoted (``tags["team:owner"]``) so the path stays
    unambiguous; pydantic's ``[key]`` marker (the entry's key is at fault) is dropped, the
    message says so instead.
    """
    text = f"{NAMESPACE}:{top_key}"
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


def _show_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


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


def _field_at(model: type[BaseModel], loc: Sequence[str | int]) -> FieldInfo | None:
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
        hint = ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            hint = '; quote it in YAML ("1.30", not 1.30: an unquoted number loses digits such as a trailing 0)'
        return f"must be a string, not {shown}{hint}"
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
            loc.extend(int(p) if p.isdigit() else p for p in sub.split("."))
        kind = err["type"]
        if kind == "extra_forbidden":
            parent = loc[:-1]
            allowed = _allowed_keys(model, parent)
            hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
            message = f"unknown key{hint}"
        elif kind == "missing":
            message = "is required"
        elif kind == "string_pattern_mismatch" and str(err.get("ctx", {}).get("pattern")) in _PATTERNS:
            described = _PATTERNS[str(err["ctx"]["pattern"])]
            message = described if secret else f"{described} (got {_show_value(err.get('input'))})"
        elif not secret and (typed := _type_message(kind, err.get("input"), _field_at(model, loc))) is not None:
            message = f"{typed} (got {_show_value(err['input'])})"
        elif not secret and not redirected and "input" in err and kind not in ("model_type", "dict_type"):
            message = f"{message} (got {_show_value(err['input'])})"
        issues.append(ConfigIssue(key_path(top_key, loc), message))
    return issues
