"""EventBridge targets that call an API destination have a retry policy and a dead-letter queue.

Applies to ``aws:cloudwatch/eventTarget:EventTarget`` resources whose ARN is an API destination
(or, while the ARN is unknown, that carry ``httpTarget`` settings). Compliant when the target has
a ``retryPolicy`` allowing at least ``minRetryAttempts`` retries (default 1) and a
``deadLetterConfig``.

Why: Dynatrace answers 429/5xx under load or during maintenance, and EventBridge never retries a
4xx such as an expired token; without retries and a dead-letter queue those governance events are
lost instead of kept for replay and audit.

Fix: set ``ai-observability:eventForwarding.retry.maximumRetryAttempts`` (default 185) and
``maximumEventAgeSeconds``, and keep the component's SQS dead-letter queue
(``ai-observability:eventForwarding.deadLetter``).
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._event_forwarding import EVENT_TARGET, dlq_arn, targets_api_destination
from ._support import (
    ResourceRule,
    Verdict,
    is_unknown,
    judge,
    label,
    not_applicable,
    number,
    obj,
    schema,
    settings,
    violation,
)

TARGET_CONFIG = schema(
    minRetryAttempts={
        "type": "integer",
        "minimum": 0,
        "default": 1,
        "description": "Fewest retries the target's retry policy must allow (EventBridge: 0-185).",
    }
)


def check(args: ResourceValidationArgs) -> Verdict:
    """An API-destination target has a retry policy and a dead-letter queue."""
    if args.resource_type != EVENT_TARGET or not targets_api_destination(args.props):
        return not_applicable("only EventBridge targets pointing at an API destination")
    minimum = int(settings(args, TARGET_CONFIG)["minRetryAttempts"])
    props = args.props
    findings = []
    attempts = number(props, "retryPolicy", "maximumRetryAttempts")
    if not obj(props, "retryPolicy") or (attempts is not None and attempts < minimum):
        findings.append(
            violation(
                f"target {label(args)} has no retry policy allowing at least {minimum} retries "
                f"(maximumRetryAttempts={attempts})",
                "Dynatrace answers 429/5xx under load or during maintenance; without retries those "
                "governance events are lost",
                "set ai-observability:eventForwarding.retry.maximumRetryAttempts (default 185) and "
                "maximumEventAgeSeconds",
            )
        )
    if dlq_arn(props) is None and not is_unknown(props, "deadLetterConfig", "arn"):
        findings.append(
            violation(
                f"target {label(args)} has no dead-letter queue",
                "EventBridge drops events it cannot deliver (4xx such as an expired token are never "
                "retried); a dead-letter queue keeps them for replay and audit",
                "keep the event-forwarding component's SQS dead-letter queue "
                "(ai-observability:eventForwarding.deadLetter)",
            )
        )
    return judge(findings)


api_destination_targets_retry_with_dlq = ResourceRule(
    "api-destination-targets-retry-with-dlq",
    "EventBridge targets that call an API destination have a retry policy and a dead-letter queue.",
    check,
    config_schema=TARGET_CONFIG,
    remediation_steps="Configure ai-observability:eventForwarding.retry and keep the dead-letter queue.",
)
