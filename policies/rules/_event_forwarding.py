"""Reading the EventBridge → API destination forwarding: targets, dead-letter queues, queue policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _iam
from ._support import get, is_unknown, json_value, text

EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
QUEUE = "aws:sqs/queue:Queue"
EVENTS_PRINCIPAL = "events.amazonaws.com"


def targets_api_destination(props: Mapping[str, Any]) -> bool:
    """The target's ARN names an API destination (unknown ARN: it has ``httpTarget`` settings)."""
    arn = text(props, "arn")
    if arn is not None:
        return ":api-destination/" in arn
    return is_unknown(props, "arn") and get(props, "httpTarget") is not None


def dlq_arn(props: Mapping[str, Any]) -> str | None:
    return text(props, "deadLetterConfig", "arn")


def queue_policy_document(resource_type: str, props: Mapping[str, Any]) -> Any:
    """The parsed policy of a queue or queue policy (None for other types)."""
    if resource_type in (QUEUE_POLICY, QUEUE):
        return json_value(props, "policy")
    return None


def eventbridge_statements(document: Any) -> list[Mapping[str, Any]]:
    """The Allow statements of ``document`` that admit the EventBridge service principal."""
    return [s for s in _iam.statements(document) if _iam.allows(s) and EVENTS_PRINCIPAL in _iam.service_principals(s)]
