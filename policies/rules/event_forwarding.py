"""Bedrock event forwarding to Dynatrace is reliable and observable.

- ``api-destination-targets-retry-with-dlq`` (resource): every EventBridge target that points at
  an API destination has a retry policy and a dead-letter queue.
- ``event-queue-policies-restrict-source-arn`` (resource): a queue policy that lets EventBridge
  send messages is conditioned on ``aws:SourceArn``.
- ``event-forwarding-dlq-guarded-and-alarmed`` (stack): each such target's dead-letter queue has
  a queue policy restricted by ``aws:SourceArn``, and alarms exist on the rule's
  ``FailedInvocations`` and on the queue's depth.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from . import _iam
from ._support import (
    Finding,
    ResourceRule,
    StackRule,
    Verdict,
    compliant,
    get,
    is_unknown,
    items,
    json_value,
    judge,
    label,
    not_applicable,
    number,
    obj,
    of_type,
    schema,
    settings,
    text,
    violation,
)

EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
QUEUE = "aws:sqs/queue:Queue"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENTS_PRINCIPAL = "events.amazonaws.com"

TARGET_CONFIG = schema(
    minRetryAttempts={
        "type": "integer",
        "minimum": 0,
        "default": 1,
        "description": "Fewest retries the target's retry policy must allow (EventBridge: 0-185).",
    }
)


def targets_api_destination(props: Mapping[str, Any]) -> bool:
    """The target's ARN names an API destination (unknown ARN: it has ``httpTarget`` settings)."""
    arn = text(props, "arn")
    if arn is not None:
        return ":api-destination/" in arn
    return is_unknown(props, "arn") and get(props, "httpTarget") is not None


def dlq_arn(props: Mapping[str, Any]) -> str | None:
    return text(props, "deadLetterConfig", "arn")


def check_target(args: ResourceValidationArgs) -> Verdict:
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
    check_target,
    config_schema=TARGET_CONFIG,
    remediation_steps="Configure ai-observability:eventForwarding.retry and keep the dead-letter queue.",
)


def _queue_policy_document(resource_type: str, props: Mapping[str, Any]) -> Any:
    if resource_type in (QUEUE_POLICY, QUEUE):
        return json_value(props, "policy")
    return None


def eventbridge_statements(document: Any) -> list[Mapping[str, Any]]:
    return [s for s in _iam.statements(document) if _iam.allows(s) and EVENTS_PRINCIPAL in _iam.service_principals(s)]


def check_queue_policy(args: ResourceValidationArgs) -> Verdict:
    """A queue policy admitting EventBridge is conditioned on aws:SourceArn."""
    if args.resource_type not in (QUEUE_POLICY, QUEUE):
        return not_applicable("only SQS queue policies")
    granted = eventbridge_statements(_queue_policy_document(args.resource_type, args.props))
    if not granted:
        return not_applicable("the queue policy does not admit EventBridge")
    unrestricted = [s for s in granted if not _iam.restricts_source_arn(s)]
    return judge(
        violation(
            f"{label(args)} lets {EVENTS_PRINCIPAL} send messages without an aws:SourceArn condition "
            f"(statement {s.get('Sid', '(no Sid)')})",
            "without it, any EventBridge rule in any account could write into the dead-letter queue "
            "(confused deputy) and forge or flood failed-delivery records",
            "add Condition ArnEquals aws:SourceArn = <the forwarding rule ARN> (event-forwarding component)",
        )
        for s in unrestricted
    )


event_queue_policies_restrict_source_arn = ResourceRule(
    "event-queue-policies-restrict-source-arn",
    "SQS queue policies that admit EventBridge are restricted to the forwarding rule by aws:SourceArn.",
    check_queue_policy,
    remediation_steps="Condition the events.amazonaws.com statement on ArnEquals aws:SourceArn.",
)


@dataclass(frozen=True)
class Metric:
    namespace: str | None
    name: str | None
    dimensions: Mapping[str, Any]


def alarm_metrics(alarm: PolicyResource) -> Iterator[Metric]:
    """The metrics an alarm watches (plain or inside metric-math ``metricQueries``)."""
    props = alarm.props
    yield Metric(text(props, "namespace"), text(props, "metricName"), obj(props, "dimensions"))
    for query in items(props, "metricQueries"):
        metric = obj(query, "metric")
        if metric:
            yield Metric(text(metric, "namespace"), text(metric, "metricName"), obj(metric, "dimensions"))


def _queue_name(arn_or_url: str) -> str:
    return arn_or_url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def check_stack(args: StackValidationArgs) -> Verdict:
    """Each API-destination target's DLQ is guarded by aws:SourceArn and the forwarding is alarmed."""
    targets = [t for t in of_type(args.resources, EVENT_TARGET) if targets_api_destination(t.props)]
    if not targets:
        return not_applicable("the stack creates no EventBridge target calling an API destination")
    guarded: set[str] = set()
    for resource in of_type(args.resources, QUEUE_POLICY, QUEUE):
        granted = eventbridge_statements(_queue_policy_document(resource.resource_type, resource.props))
        if granted and all(_iam.restricts_source_arn(s) for s in granted):
            where = text(resource.props, "queueUrl") or text(resource.props, "name") or resource.name
            guarded.add(_queue_name(where))
    metrics = [m for alarm in of_type(args.resources, METRIC_ALARM) for m in alarm_metrics(alarm)]
    findings: list[Finding] = []
    for target in targets:
        findings.extend(_target_findings(target, guarded, metrics))
    return judge(findings) if findings else compliant()


def _target_findings(target: PolicyResource, guarded: set[str], metrics: list[Metric]) -> Iterator[Finding]:
    rule_name = text(target.props, "rule")
    failed = [
        m
        for m in metrics
        if m.namespace == "AWS/Events"
        and m.name == "FailedInvocations"
        and (rule_name is None or get(m.dimensions, "RuleName") in (None, rule_name))
    ]
    if not failed:
        yield violation(
            f"no CloudWatch alarm on FailedInvocations of rule '{rule_name}' (target {label(target)})",
            "failed deliveries to Dynatrace (expired token, 4xx) are otherwise silent: the audit trail "
            "stops without anyone noticing",
            "set ai-observability:eventForwarding.alarms.enabled to true",
            urn=target.urn,
        )
    arn = dlq_arn(target.props)
    if arn is None:
        return  # reported by api-destination-targets-retry-with-dlq
    queue = _queue_name(arn)
    if queue not in guarded:
        yield violation(
            f"dead-letter queue '{queue}' of target {label(target)} has no queue policy admitting "
            "EventBridge restricted by aws:SourceArn",
            "EventBridge can only deliver to the DLQ with such a policy, and only the forwarding rule "
            "should be allowed to",
            "keep the event-forwarding component's QueuePolicy with ArnEquals aws:SourceArn = rule ARN",
            urn=target.urn,
        )
    depth = [
        m
        for m in metrics
        if m.namespace == "AWS/SQS"
        and m.name == "ApproximateNumberOfMessagesVisible"
        and get(m.dimensions, "QueueName") == queue
    ]
    if not depth:
        yield violation(
            f"no CloudWatch alarm on the depth (ApproximateNumberOfMessagesVisible) of dead-letter queue '{queue}'",
            "events in the dead-letter queue are governance records that never reached Dynatrace",
            "set ai-observability:eventForwarding.alarms.enabled to true",
            urn=target.urn,
        )


event_forwarding_dlq_guarded_and_alarmed = StackRule(
    "event-forwarding-dlq-guarded-and-alarmed",
    "API-destination targets' dead-letter queues are restricted by aws:SourceArn, and failed "
    "invocations and DLQ depth are alarmed.",
    check_stack,
    remediation_steps="Set ai-observability:eventForwarding.alarms.enabled=true; keep the DLQ queue policy.",
)
