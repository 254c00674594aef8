"""EventBridge input transformation, simulated offline for tests (pure functions, no Pulumi).

``render_input_template`` produces the text EventBridge would deliver to a target for one
event, given a rule target's ``input_paths`` and ``input_template``, following the substitution
rules of the Amazon EventBridge User Guide, "Transforming target input" (input paths, input
template, reserved variables):

- a placeholder *outside* JSON quotes is replaced by the value as JSON: a string becomes a
  JSON string (EventBridge escapes it), objects/arrays/numbers/booleans/null their JSON text;
- a placeholder *inside* quotes of the template gets the raw text, **without escaping** (a
  value holding ``"``, ``\\`` or a newline then breaks the JSON — Dynatrace answers 400, which
  EventBridge does not retry);
- a placeholder whose path is absent from the event is left out (empty text);
- reserved placeholders: ``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event.ingestion-time`` (strings) and ``aws.events.event.json`` /
  ``aws.events.event`` (the event, resp. the event without ``detail``, as unescaped JSON).

``validate_transformer`` refuses what EventBridge's ``PutTargets`` refuses (limits of the
EventBridge API Reference, ``InputTransformer``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_INPUT_PATHS = 100
MAX_TEMPLATE_CHARS = 8192
_PATH_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")
_PATH_SEGMENT = re.compile(r"\.([A-Za-z0-9_/-]+)|\[(\d+)\]")
_ABSENT = object()

RESERVED_STRING_PLACEHOLDERS = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time")
RESERVED_JSON_PLACEHOLDERS = ("aws.events.event.json", "aws.events.event")

# CloudEvents 1.0 "Attribute Naming Convention": lowercase ASCII letters and digits only, and
# no longer than 20 characters (the spec recommends the limit).
CLOUDEVENT_ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]{1,20}$")


@dataclass(frozen=True)
class DeliveryContext:
    """What EventBridge knows besides the event: the rule and when it ingested the event
    (example values by default: a fictitious account and rule)."""

    rule_arn: str = "arn:aws:events:eu-central-1:123456789012:rule/example"
    rule_name: str = "example"
    ingestion_time: str = "2025-03-04T10:15:31Z"


def json_path_value(event: Any, path: str) -> Any:
    """The value at ``path`` (``$.a.b-c[0]``: dot notation, dashes, array indices), or ``_ABSENT``.

    Wildcards are not modelled (the forwarder does not use them): they raise ``ValueError``.
    """
    if not path.startswith("$"):
        raise ValueError(f"input path {path!r} must start with '$'")
    rest = path[1:]
    node: Any = event
    position = 0
    while position < len(rest):
        match = _PATH_SEGMENT.match(rest, position)
        if match is None:
            raise ValueError(f"unsupported JSON path syntax in {path!r} (dot notation and [index] only)")
        key, index = match.group(1), match.group(2)
        if key is not None:
            if not isinstance(node, dict) or key not in node:
                return _ABSENT
            node = node[key]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                return _ABSENT
            node = node[int(index)]
        position = match.end()
    return node


def validate_transformer(input_paths: Mapping[str, str], input_template: str) -> None:
    """Raise ``ValueError`` where EventBridge's PutTargets would refuse the transformer."""
    if len(input_paths) > MAX_INPUT_PATHS:
        raise ValueError(f"{len(input_paths)} input paths; EventBridge allows {MAX_INPUT_PATHS}")
    if len(input_template) > MAX_TEMPLATE_CHARS:
        raise ValueError(
            f"input template has {len(input_template)} characters; EventBridge allows {MAX_TEMPLATE_CHARS}"
        )
    for key in input_paths:
        if not _PATH_KEY.match(key) or key.upper().startswith("AWS."):
            raise ValueError(f"input path key {key!r} must match [A-Za-z0-9_-]+ and not start with 'AWS.'")
    reserved = set(RESERVED_STRING_PLACEHOLDERS) | set(RESERVED_JSON_PLACEHOLDERS)
    for name in _PLACEHOLDER.findall(input_template):
        if name not in input_paths and name not in reserved:
            raise ValueError(f"placeholder <{name}> is neither an input path nor a reserved aws.events.* variable")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _raw_text(value: Any) -> str:
    """What EventBridge inserts inside quotes: strings verbatim, anything else as its JSON text."""
    return value if isinstance(value, str) else _json_text(value)


def _placeholder_value(
    name: str, event: Mapping[str, Any], input_paths: Mapping[str, str], ctx: DeliveryContext
) -> Any:
    if name in input_paths:
        return json_path_value(event, input_paths[name])
    if name == "aws.events.rule-arn":
        return ctx.rule_arn
    if name == "aws.events.rule-name":
        return ctx.rule_name
    if name == "aws.events.event.ingestion-time":
        return ctx.ingestion_time
    if name == "aws.events.event.json":
        return _RawJson(_json_text(dict(event)))
    if name == "aws.events.event":
        return _RawJson(_json_text({k: v for k, v in event.items() if k != "detail"}))
    raise ValueError(f"placeholder <{name}> is not defined")


@dataclass(frozen=True)
class _RawJson:
    """Text EventBridge inserts as-is (the whole-event placeholders), quoted or not."""

    text: str


def render_input_template(
    event: Mapping[str, Any],
    input_paths: Mapping[str, str],
    input_template: str,
    context: DeliveryContext | None = None,
) -> str:
    """The text EventBridge would deliver for ``event`` (see the module docstring for the rules).

    Only JSON templates (starting with ``{`` or ``[``) are modelled; quote state is tracked
    through the template's own characters (``\\"`` inside a template string does not close it).
    """
    validate_transformer(input_paths, input_template)
    if not input_template.lstrip().startswith(("{", "[")):
        raise ValueError("only JSON input templates are modelled")
    ctx = context or DeliveryContext()
    out: list[str] = []
    in_string = False
    escaped = False
    position = 0
    while position < len(input_template):
        char = input_template[position]
        if char == "<":
            match = _PLACEHOLDER.match(input_template, position)
            if match is not None:
                value = _placeholder_value(match.group(1), event, input_paths, ctx)
                if isinstance(value, _RawJson):
                    out.append(value.text)
                elif value is _ABSENT:
                    pass  # left out
                elif in_string:
                    out.append(_raw_text(value))
                else:
                    out.append(_json_text(value))
                position = match.end()
                escaped = False
                continue
        out.append(char)
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        position += 1
    return "".join(out)
