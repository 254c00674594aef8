"""SQS queue policies that admit EventBridge are restricted to the forwarding rule by ``aws:SourceArn``.

Applies to ``aws:sqs/queuePolicy:QueuePolicy`` and ``aws:sqs/queue:Queue`` resources whose
policy has an Allow statement for ``events.amazonaws.com``. Compliant when every such statement
is conditioned on ``aws:SourceArn`` (``ArnEquals``, ``ArnLike``, ``StringEquals`` or
``StringLike``).

Why: without the condition any EventBridge rule in any account could write into the dead-letter
queue (the confused-deputy problem) and forge or flood failed-delivery records.

Fix: condition the statement on ``ArnEquals aws:SourceArn`` = the forwarding rule's ARN, as the
event-forwarding component does.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from . import _iam
from ._event_forwarding import EVENTS_PRINCIPAL, QUEUE, QUEUE_POLICY, eventbridge_statements, queue_policy_document
from ._support import ResourceRule, Verdict, judge, label, not_applicable, violation


def check(args: ResourceValidationArgs) -> Verdict:
    """A queue policy admitting EventBridge is conditioned on aws:SourceArn."""
    if args.resource_type not in (QUEUE_POLICY, QUEUE):
        return not_applicable("only SQS queue policies")
    granted = eventbridge_statements(queue_policy_document(args.resource_type, args.props))
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
    check,
    remediation_steps="Condition the events.amazonaws.com statement on ArnEquals aws:SourceArn.",
)
