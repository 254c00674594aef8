"""The Bedrock governance event rule never forwards inference traffic and fits the pattern quota.

Applies to EventBridge rules whose event pattern selects Bedrock events. Compliant when the
pattern cannot match the CloudTrail event of any Bedrock Runtime (inference) operation
(``inferenceOperations``, default the operations in ``_bedrock_operations``) and is at most
``maxPatternLength`` characters (default 2048, the EventBridge quota).

Why: inference calls are management events too: forwarding them floods Dynatrace with every
prompt, costs per event and buries the governance signal; a pattern over the quota fails to
deploy.

Fix: list only governance operations in ``ai-observability:eventForwarding.operations`` (the
default excludes inference), so the pattern matches ``detail.eventName`` explicitly.
"""

from __future__ import annotations

import json

from pulumi_policy import ResourceValidationArgs

from ._bedrock_operations import INFERENCE_OPERATIONS
from ._event_pattern import may_match
from ._support import (
    ResourceRule,
    Verdict,
    json_value,
    judge,
    label,
    not_applicable,
    schema,
    settings,
    string_list,
    text,
    violation,
)

EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
CONFIG = schema(
    maxPatternLength={
        "type": "integer",
        "minimum": 1,
        "default": 2048,
        "description": "Most characters an event pattern may have (EventBridge quota: 2048).",
    },
    inferenceOperations=string_list(
        list(INFERENCE_OPERATIONS), "Bedrock API operations the rule must never forward (inference traffic)."
    ),
)


def inference_probe(operation: str) -> dict[str, object]:
    """The CloudTrail event EventBridge delivers for a Bedrock inference call (known fields)."""
    return {
        "source": "aws.bedrock",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventSource": "bedrock.amazonaws.com", "eventName": operation},
    }


def check(args: ResourceValidationArgs) -> Verdict:
    """A Bedrock event rule cannot match inference calls and its pattern fits the quota."""
    if args.resource_type != EVENT_RULE:
        return not_applicable("only EventBridge rules")
    pattern = json_value(args.props, "eventPattern")
    if pattern is None:
        return not_applicable("the rule has no event pattern (scheduled rule)")
    if "aws.bedrock" not in json.dumps(pattern) and "bedrock.amazonaws.com" not in json.dumps(pattern):
        return not_applicable("the rule does not select Bedrock events")
    config = settings(args, CONFIG)
    findings = []
    forwarded = [op for op in config["inferenceOperations"] if may_match(pattern, inference_probe(str(op)))]
    if forwarded:
        findings.append(
            violation(
                f"rule {label(args)} can match Bedrock inference calls: {', '.join(forwarded)}",
                "inference calls are management events too: forwarding them floods Dynatrace with every "
                "prompt, costs per event and buries the governance signal",
                "list only governance operations in ai-observability:eventForwarding.operations "
                "(the default list excludes inference) so the pattern matches detail.eventName explicitly",
            )
        )
    length = len(text(args.props, "eventPattern") or "")
    maximum = int(config["maxPatternLength"])
    if length > maximum:
        findings.append(
            violation(
                f"rule {label(args)} has an event pattern of {length} characters; at most {maximum} allowed",
                "EventBridge's quota for an event pattern is 2048 characters; a longer pattern fails to deploy",
                "shorten ai-observability:eventForwarding.operations or split the operations over two rules",
            )
        )
    return judge(findings)


bedrock_rule_excludes_inference = ResourceRule(
    "bedrock-rule-excludes-inference",
    "The Bedrock governance event rule never forwards InvokeModel/Converse traffic and fits the "
    "2048-character pattern quota.",
    check,
    config_schema=CONFIG,
    remediation_steps="Match detail.eventName explicitly with governance operations only.",
)
