"""Reading IAM-style policy documents (IAM, S3 bucket and SQS queue policies)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a parsed policy document (a single statement object is allowed)."""
    if not isinstance(document, Mapping):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def allows(statement: Mapping[str, Any]) -> bool:
    return bool(statement.get("Effect", "Allow") == "Allow")


def service_principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return []
    return [str(p) for p in as_list(principal.get("Service"))]


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def resources(statement: Mapping[str, Any]) -> list[str]:
    return [str(r) for r in as_list(statement.get("Resource"))]


def condition_keys(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition key (lower-cased) → the operators it is used with (``ArnEquals``...)."""
    found: dict[str, list[str]] = {}
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return found
    for operator, block in condition.items():
        if isinstance(block, Mapping):
            for key in block:
                found.setdefault(str(key).lower(), []).append(str(operator))
    return found


def restricts_source_arn(statement: Mapping[str, Any]) -> bool:
    """True when the statement is conditioned on ``aws:SourceArn`` with an equality/like operator."""
    operators = condition_keys(statement).get("aws:sourcearn", [])
    usable = ("ArnEquals", "ArnLike", "StringEquals", "StringLike")
    return any(op.removeprefix("ForAnyValue:").removeprefix("ForAllValues:") in usable for op in operators)
