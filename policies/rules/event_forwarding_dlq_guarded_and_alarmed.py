"""API-destination targets have a DLQ guarded by ``aws:SourceArn``; failed invocations and DLQ depth are alarmed.

A stack rule: applies when the stack creates an EventBridge target that calls an API
destination. Compliant when, for each such target, a CloudWatch alarm watches the rule's
``AWS/Events FailedInvocations`` (by ``RuleName``), the target's dead-letter queue has a queue
policy admitting EventBridge only under an ``aws:SourceArn`` condition, and an alarm watches the
queue's ``AWS/SQS ApproximateNumberOfMessagesVisible`` (by ``QueueName``). Alarms on metric-math
queries count too.

Why: failed deliveries to Dynatrace (an expired token, a 4xx) are otherwise silent and the audit
trail stops unnoticed; events in the dead-letter queue are governance records that never reached
Dynatrace, and EventBridge can only deliver to the queue through such a policy.

Fix: set ``ai-observability:eventForwarding.alarms.enabled`` to true and keep the
event-forwarding component's queue policy (``ArnEquals aws:SourceArn`` = the rule's ARN).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, StackValidationArgs

from . import _iam
from ._event_forwarding import (
    EVENT_TARGET,
    QUEUE,
    QUEUE_POLICY,
    dlq_arn,
    eventbridge_statements,
    queue_policy_document,
    targets_api_destination,
)
from ._support import (
    Finding,
    StackRule,
    Verdict,
    compliant,
    get,
    items,
    judge,
    label,
    not_applicable,
    obj,
    of_type,
    text,
    violation,
)

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


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


def check(args: StackValidationArgs) -> Verdict:
    """Each API-destination target's DLQ is guarded by aws:SourceArn and the forwarding is alarmed."""
    targets = [t for t in of_type(args.resources, EVENT_TARGET) if targets_api_destination(t.props)]
    if not targets:
        return not_applicable("the stack creates no EventBridge target calling an API destination")
    guarded: set[str] = set()
    for resource in of_type(args.resources, QUEUE_POLICY, QUEUE):
        granted = eventbridge_statements(queue_policy_document(resource.resource_type, resource.props))
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
    check,
    remediation_steps="Set ai-observability:eventForwarding.alarms.enabled=true; keep the DLQ queue policy.",
)
