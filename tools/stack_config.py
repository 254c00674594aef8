"""The configuration the Pulumi CLI builds for a stack from ``Pulumi.<stack>.yaml`` and ``Pulumi.yaml``,
and the text it hands the program — computed offline, mirroring pulumi/pulumi:

- keys (``config.ParseKey``, ``sdk/go/common/resource/config/key.go``): ``<namespace>:<name>``; a bare
  key belongs to the project (``stackConfigNamespacedWithProject``, ``workspace/loaders.go``); the old
  ``<namespace>:config:<name>`` means ``<namespace>:<name>``; anything else is refused. Two spellings
  of one key are refused here (the CLI would keep whichever its map iteration meets last);
- values (``config.object``, ``config/object.go``): a mapping whose only key is ``secure`` with a text
  value is ciphertext (``isSecureValue``), anywhere in a value, as ``pulumi config set --secret
  [--path]`` writes it; a top-level null is the empty string (yaml.v3 leaves the zero ``Value``); a
  timestamp is Go's ``time.Time.String()``; ±inf and NaN cannot be stored (``json: unsupported value``);
- project config (``mergeConfig``, ``pkg/workspace/config.go``): each key declared in Pulumi.yaml that the
  stack does not set gets its ``value``/``default`` (the key's name is a property path, so
  ``governance.enabled`` sets one field of the stack's ``governance``; the stack's own value always wins
  whole); a project key without either is required; declared types and ``secret: true`` are checked;
- the program receives every value as text (``RunRequest.config``): strings as they are, other scalars
  and objects as Go's ``encoding/json`` writes them, so a whole float such as ``1825.0`` arrives as
  ``1825``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from components.config import ConfigIssue, config_path

from .pulumi_project import Project, ProjectConfig, load_project, matches_type
from .stack_file import load_stack_config
from .yaml_v3 import GoTimestamp

SECURE = "secure"
PathPart = str | int


@dataclass(frozen=True)
class Encrypted:
    """A ``secure:`` ciphertext the offline plan cannot decrypt (never shown)."""

    ciphertext: str = ""

    def __repr__(self) -> str:
        return "Encrypted(…)"


class ConfigKeyError(ValueError):
    """A configuration key the CLI cannot parse."""


def parse_config_key(key: str, project: str) -> str:
    """The full key the CLI makes of ``key`` as written in a stack file or Pulumi.yaml."""
    if ":" not in key:
        return f"{project}:{key}"
    parts = key.split(":")
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config":
        return f"{parts[0]}:{parts[2]}"
    raise ConfigKeyError(
        f"could not parse {key} as a configuration key (configuration keys should be of the form `<namespace>:<name>`)"
    )


def parse_property_path(path: str) -> list[PathPart]:
    """``resource.ParsePropertyPathStrict`` (``sdk/go/common/resource/properties_path.go``):
    ``a.b``, ``a[0]``, ``a["x.y"]``; a name runs to the next ``.`` or ``[``."""
    if path.startswith("."):
        raise ValueError("expected property path to start with a name or index")
    parts: list[PathPart] = []
    rest = path
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                raise ValueError("expected property path to end with a name or index")
            if rest[0] == "[":
                raise ValueError("expected property name after '.'")
        elif rest[0] == "[":
            if rest[1:2] == '"':
                key, i = "", 2
                while True:
                    if i >= len(rest):
                        raise ValueError("missing closing quote in property name")
                    if rest[i] == '"':
                        i += 1
                        break
                    if rest[i] == "\\" and rest[i + 1 : i + 2] == '"':
                        key, i = key + '"', i + 2
                    else:
                        key, i = key + rest[i], i + 1
                if rest[i : i + 1] != "]":
                    raise ValueError("missing closing bracket in property access")
                parts.append(key)
                rest = rest[i + 1 :]
            else:
                end = rest.find("]")
                if end == -1:
                    raise ValueError("missing closing bracket in array index")
                segment = rest[1:end]
                if segment == "*":
                    parts.append("*")
                else:
                    body = segment[1:] if segment[:1] in "+-" else segment
                    if re.fullmatch("[0-9]+", body) is None:
                        raise ValueError(f"invalid array index: {segment!r}")
                    parts.append(int(segment))
                rest = rest[end + 1 :]
        else:
            end = min((i for i in (rest.find("."), rest.find("[")) if i != -1), default=len(rest))
            parts.append(rest[:end])
            rest = rest[end:]
    if not parts or not isinstance(parts[0], str) or not parts[0]:
        raise ValueError("the first segment of a config key path must be a name")
    return parts


# --- values as the CLI holds them ----------------------------------------------------------------


def _stored(value: Any, key: str, loc: tuple[PathPart, ...], issues: list[ConfigIssue]) -> Any:
    """``value`` as a config ``object``: ciphertext located, timestamps as Go text, non-JSON numbers refused."""
    if isinstance(value, GoTimestamp):
        return value.text
    if isinstance(value, float) and not math.isfinite(value):
        issues.append(
            ConfigIssue(
                config_path(key, loc),
                f"is {value!r}, which Pulumi cannot store (encoding/json: unsupported value) and `pulumi up` refuses;"
                " give a finite number, or quote it if text is meant",
            )
        )
        return None
    if isinstance(value, list):
        return [_stored(item, key, (*loc, index), issues) for index, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if set(value) == {SECURE}:  # isSecureValue: only a mapping whose single key is `secure`
        where = config_path(key, loc)
        ciphertext = value[SECURE]
        if not isinstance(ciphertext, str):
            kind = "null" if ciphertext is None else type(ciphertext).__name__
            issues.append(
                ConfigIssue(
                    where,
                    f"'secure:' holds a {kind}, not the ciphertext text that `pulumi config set --secret` writes"
                    " (Pulumi would pass it on as a plain mapping); set the secret again (value not shown)",
                )
            )
        elif not ciphertext.strip():
            issues.append(
                ConfigIssue(where, "'secure:' is empty: there is no ciphertext to decrypt; set the secret again")
            )
        else:
            return Encrypted(ciphertext)
        return None
    return {k: _stored(v, key, (*loc, k), issues) for k, v in value.items()}


@dataclass
class StackConfigValues:
    """Full key → value as the CLI holds it (``Encrypted`` where the file holds ciphertext)."""

    values: dict[str, Any]
    written: dict[str, str]  # full key → how it was written (stack file key, or "Pulumi.yaml <key>")


def read_values(raw: Mapping[Any, Any], project: Project, issues: list[ConfigIssue]) -> StackConfigValues:
    """The stack file's ``config:`` as the CLI holds it; problems go to ``issues``."""
    result = StackConfigValues({}, {})
    for key, value in raw.items():
        if not isinstance(key, str):
            continue  # refused by the key checks (components.config.pulumi_source.config_key_issues)
        try:
            full = parse_config_key(key, project.name)
        except ConfigKeyError as error:
            issues.append(ConfigIssue(key, str(error)))
            continue
        if full in result.values:
            issues.append(
                ConfigIssue(
                    full,
                    f"is set twice, as {result.written[full]!r} and {key!r} (a bare key belongs to the project"
                    f" {project.name!r}); keep one",
                )
            )
            continue
        result.values[full] = "" if value is None else _stored(value, full, (), issues)
        result.written[full] = key
    return result


# --- project config merged in (mergeConfig) --------------------------------------------------------


def _coerce(text: str) -> Any:
    """``config.coerce``: "true"/"false" and decimal digits without a leading zero become typed."""
    if text in ("true", "false"):
        return text == "true"
    if len(text) > 1 and text[0] == "0":
        return text
    body = text[1:] if text[:1] in "+-" else text
    if re.fullmatch("[0-9]+", body) is not None:
        number = int(text)
        if -(2**63) <= number < 2**64:
            return number
    return text


def _created(value: Any, nested: bool) -> Any:
    """``createConfigValue``: a primitive becomes its ``%v`` text (coerced back when set below the top)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | str):
        text = str(value)
    else:
        return value
    return _coerce(text) if nested else text


def _lookup(values: Mapping[str, Any], root: str, path: Sequence[PathPart]) -> tuple[bool, Any]:
    if root not in values:
        return False, None
    current = values[root]
    for part in path:
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            current = current[part]
            continue
        if isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            continue
        return False, None
    return True, current


def _container(accessor: PathPart) -> Any:
    return [None] * (accessor + 1) if isinstance(accessor, int) else {}


def _assign(values: dict[str, Any], root: str, path: Sequence[PathPart], new: Any) -> None:
    """``config.Map.Set`` with a path (``object.Set``): containers are created on the way."""
    if not path:
        values[root] = new
        return
    current = values.get(root)
    if not isinstance(current, dict | list):  # COMPAT in object.Set: the first level is replaced
        current = _container(path[0])
        values[root] = current
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(current, list):
            if not isinstance(part, int) or not 0 <= part <= len(current):
                raise ValueError(f"{path[: depth + 1]}: not an index of that list")
            if part == len(current):
                current.append(None)
        elif not isinstance(part, str):
            raise ValueError(f"{path[: depth + 1]}: key for a map must be a string")
        if last:
            current[part] = new  # type: ignore[index]
            return
        child = current[part] if (isinstance(current, dict) and part in current) or isinstance(current, list) else None  # type: ignore[index]
        if child is None:
            child = _container(path[depth + 1])
            current[part] = child  # type: ignore[index]
        elif not isinstance(child, dict | list):
            raise ValueError(f"{path[: depth + 1]}: expected a map or a list")
        current = child


def encrypted_locations(value: Any, loc: tuple[PathPart, ...] = ()) -> Iterator[tuple[PathPart, ...]]:
    """Where ``value`` holds ciphertext (``()`` when it is ciphertext as a whole)."""
    if isinstance(value, Encrypted):
        yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from encrypted_locations(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from encrypted_locations(item, (*loc, index))


def contains_encrypted(value: Any) -> bool:
    """Whether ``value`` is or holds ciphertext (``object.Secure`` in config/object.go)."""
    return next(encrypted_locations(value), None) is not None


def encrypted_leaves_of_stack_file(root: Path, stack: str) -> tuple[str, dict[str, tuple[tuple[PathPart, ...], ...]]]:
    """The stack file the CLI reads for ``stack`` (project in ``root``), and where it holds ciphertext:
    full key → locations. Raises what reading it raises (``OSError``, ``ValueError``)."""
    project = load_project(root)
    path = project.stack_file(root, stack)
    values = read_values(load_stack_config(path), project, [])
    locations = {key: tuple(encrypted_locations(value)) for key, value in values.values.items()}
    return path.name, {key: found for key, found in locations.items() if found}


def merge_project_config(config: StackConfigValues, project: Project, stack: str, issues: list[ConfigIssue]) -> None:
    """Merge Pulumi.yaml's ``config:`` into ``config`` and check it, as ``pulumi preview``/``up`` do."""
    missing: list[str] = []
    declared: list[tuple[ProjectConfig, str, list[PathPart]]] = []
    for entry in project.config:
        try:
            full = parse_config_key(entry.key, project.name)
            namespace, name = full.split(":", 1)
            path = parse_property_path(name)
        except ValueError as error:
            issues.append(ConfigIssue(f"Pulumi.yaml config {entry.key}", f"invalid config key path: {error}"))
            continue
        root = f"{namespace}:{path[0]}"
        declared.append((entry, root, path))
        found, _ = _lookup(config.values, root, path[1:])
        if not found and not entry.has_value:
            if namespace == project.name:
                missing.append(entry.key)
            continue
        if not found:
            try:
                _assign(config.values, root, path[1:], _created(entry.value, nested=len(path) > 1))
            except ValueError as error:
                issues.append(ConfigIssue(full, f"Pulumi.yaml sets it, but {error}"))
                continue
            config.written.setdefault(root, f"Pulumi.yaml {entry.key}")
    for key in missing:
        issues.append(
            ConfigIssue(
                config_path(parse_config_key(key, project.name), ()),
                f"is required: Pulumi.yaml declares it without a default, so `pulumi up` stops with \"Stack '{stack}'"
                f" is missing configuration value '{key}'\"; set it in Pulumi.{stack}.yaml",
            )
        )
    for entry, root, path in declared:
        if entry.type is None or entry.key in missing:
            continue
        found, value = _lookup(config.values, root, path[1:])
        if not found:
            continue
        if contains_encrypted(value):
            continue  # decrypted only at `pulumi up`; its type is checked there
        if entry.secret:
            issues.append(
                ConfigIssue(
                    config_path(root, tuple(path[1:])),
                    "must be encrypted: Pulumi.yaml declares it secret; set it with `pulumi config set --secret`",
                )
            )
            continue
        content = value if isinstance(value, dict | list) else engine_text(value)
        if not matches_type(entry.type, entry.items, content):
            issues.append(
                ConfigIssue(
                    config_path(root, tuple(path[1:])), f"must be of type '{entry.type}' (Pulumi.yaml declares it)"
                )
            )


# --- the text a program receives ---------------------------------------------------------------


def go_float_text(value: float) -> str:
    """A float as Go's ``encoding/json`` writes it: positional below 1e21 (whole numbers without a
    point), exponent form below 1e-6 or from 1e21 (``1e-7``, ``1e+21``)."""
    if value.is_integer() and abs(value) < 1e21:
        # yaml.v3 writes a whole float below 1e6 without a point, so it comes back an integer (-0.0 as 0);
        # above, Go prints the shortest digits padded with zeros, which JSON reads as that integer.
        return str(_whole(value))
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= 1e21:
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        sign = exponent[0] if exponent[:1] in "+-" else "+"
        digits = exponent.lstrip("+-")
        if sign == "-" and len(digits) == 2 and digits[0] == "0":
            digits = digits[1:]
        return f"{mantissa}e{sign}{digits}"
    return format(Decimal(repr(value)).normalize(), "f")


def _whole(value: float) -> int:
    """The integer a program reads for a whole float (the shortest digits Go prints, not the binary value)."""
    return int(Decimal(repr(value)))


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return _whole(value)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, Encrypted):
        raise ValueError("an encrypted value must be replaced before it is handed to the program")
    return value


def engine_text(value: Any) -> str:
    """What the program receives for a top-level value (``pulumi.runtime.config``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float_text(value)
    if value is None:
        return ""
    return json.dumps(_json_ready(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
