"""Could an EventBridge event pattern match an event? ("may match" semantics)

Only the fields of the probe event are known; a pattern condition on any other field is
assumed satisfiable. So ``may_match`` answers False only when a known field rules the event
out — the conservative answer for "does this rule forward inference traffic?".
Supported: exact values, ``prefix``, ``suffix``, ``equals-ignore-case``, ``anything-but``
(value, list, prefix, suffix, equals-ignore-case, wildcard), ``exists``, ``wildcard``,
``numeric``, ``cidr`` and ``$or`` at any level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ABSENT = object()
_NUMERIC_OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def may_match(pattern: Any, event: Any) -> bool:
    """False only when the known fields of ``event`` prove ``pattern`` cannot match it."""
    if not isinstance(pattern, Mapping):
        return True
    for key, rule in pattern.items():
        if key == "$or":
            if isinstance(rule, list) and not any(may_match(branch, event) for branch in rule):
                return False
            continue
        value = event.get(key, _ABSENT) if isinstance(event, Mapping) else _ABSENT
        if value is _ABSENT:
            continue
        if isinstance(rule, Mapping):
            if not isinstance(value, Mapping) or not may_match(rule, value):
                return False
        elif isinstance(rule, list):
            values = value if isinstance(value, list) else [value]
            if not any(_matches(matcher, v) for matcher in rule for v in values):
                return False
    return True


def _wildcard(expression: str, value: str) -> bool:
    return re.fullmatch(".*".join(re.escape(part) for part in expression.split("*")), value) is not None


def _matches(matcher: Any, value: Any) -> bool:
    if not isinstance(matcher, Mapping):
        if isinstance(matcher, bool) or isinstance(value, bool):
            return matcher is value
        return bool(matcher == value)
    if len(matcher) != 1:
        return True  # not a matcher we understand: assume it may match
    ((operator, operand),) = matcher.items()
    text = value if isinstance(value, str) else None
    if operator == "exists":
        return bool(operand)
    if operator == "prefix":
        return text is not None and _affix(operand, text, str.startswith)
    if operator == "suffix":
        return text is not None and _affix(operand, text, str.endswith)
    if operator == "equals-ignore-case":
        return text is not None and isinstance(operand, str) and operand.lower() == text.lower()
    if operator == "wildcard":
        return text is not None and isinstance(operand, str) and _wildcard(operand, text)
    if operator == "anything-but":
        return not _excluded(operand, value)
    if operator == "numeric":
        return _numeric(operand, value)
    if operator == "cidr":
        return text is not None
    return True


def _affix(operand: Any, text: str, test: Any) -> bool:
    if isinstance(operand, str):
        return bool(test(text, operand))
    if isinstance(operand, Mapping) and isinstance(operand.get("equals-ignore-case"), str):
        return bool(test(text.lower(), operand["equals-ignore-case"].lower()))
    return True


def _excluded(operand: Any, value: Any) -> bool:
    """True when ``anything-but: operand`` certainly excludes ``value``."""
    if isinstance(operand, list):
        return any(_matches(item, value) for item in operand)
    if isinstance(operand, Mapping):
        if not isinstance(value, str) or len(operand) != 1:
            return False
        ((operator, inner),) = operand.items()
        if operator in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
            values = inner if isinstance(inner, list) else [inner]
            return any(_matches({operator: v}, value) for v in values)
        return False
    return _matches(operand, value)


def _numeric(operand: Any, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or not isinstance(operand, list):
        return False
    for index in range(0, len(operand) - 1, 2):
        op, bound = operand[index], operand[index + 1]
        test = _NUMERIC_OPS.get(op)
        if test is None or not isinstance(bound, int | float) or not test(value, bound):
            return False
    return True
