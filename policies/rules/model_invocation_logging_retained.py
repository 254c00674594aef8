"""Bedrock model invocation logging is configured and its log group keeps records at least ``minRetentionDays``.

A stack rule: applies when the stack manages Bedrock resources (guardrails, guardrail versions,
invocation logging) and ``required`` is true (default). Compliant when the stack configures
invocation logging with a CloudWatch destination, the log group is one the stack manages, and its
retention is at least ``minRetentionDays`` (default 365; 0 or unset means forever).

Why: prompts and completions are the audit trail of an AI system (EU AI Act Art. 12/19:
automatically generated logs, at least six months); the retention of an unmanaged log group
cannot be verified.

Fix: enable ``ai-observability:guardrails.invocationLogging`` with ``retentionDays`` of 365 or
more; a stack whose logging another stack owns in the same region sets ``required: false`` for
this rule in ``policies/config/<stack>.json``.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, StackValidationArgs

from ._bedrock import GUARDRAIL, GUARDRAIL_VERSION, INVOCATION_LOGGING
from ._support import (
    Finding,
    StackRule,
    Verdict,
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

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
BEDROCK_TYPES = (GUARDRAIL, GUARDRAIL_VERSION, INVOCATION_LOGGING)
CONFIG = schema(
    minRetentionDays={
        "type": "integer",
        "minimum": 1,
        # The longest retention the stack can configure (CloudWatch Logs' 10-year option): a higher
        # minimum could never be met.
        "maximum": 3653,
        "default": 365,
        "description": "Fewest days the invocation log group must keep records (0/absent = forever).",
    },
    required={
        "type": "boolean",
        "default": True,
        "description": "Whether a stack with Bedrock resources must configure invocation logging "
        "(false for a second stack in a region whose logging another stack owns).",
    },
)


def _log_group_names(group: PolicyResource) -> set[str]:
    return {n for n in (text(group.props, "name"), group.name) if n}


def check(args: StackValidationArgs) -> Verdict:
    """Invocation logging is configured and its log group retains records long enough."""
    config = settings(args, CONFIG)
    minimum = int(config["minRetentionDays"])
    configurations = of_type(args.resources, INVOCATION_LOGGING)
    if not configurations:
        if not of_type(args.resources, *BEDROCK_TYPES) or not config["required"]:
            return not_applicable("the stack manages no Bedrock resources (or logging is owned elsewhere)")
        return judge(
            [
                violation(
                    "the stack manages Bedrock guardrails but no model invocation logging",
                    "prompts and completions are the audit trail of an AI system (EU AI Act Art. 12/19: "
                    "automatically generated logs)",
                    "set ai-observability:guardrails.invocationLogging.enabled to true, or set "
                    "model-invocation-logging-retained.required=false in the policy pack config when another "
                    "stack owns logging in this region",
                )
            ]
        )
    groups = of_type(args.resources, LOG_GROUP)
    findings: list[Finding] = []
    for logging in configurations:
        name = text(obj(logging.props, "loggingConfig", "cloudwatchConfig"), "logGroupName")
        if name is None:
            findings.append(
                violation(
                    f"{label(logging)} delivers no logs to CloudWatch",
                    "the CloudWatch destination is where retention is enforced and searched",
                    "keep the CloudWatch destination of ai-observability:guardrails.invocationLogging",
                    urn=logging.urn,
                )
            )
            continue
        matching = [g for g in groups if name in _log_group_names(g)]
        if not matching:
            findings.append(
                violation(
                    f"{label(logging)} logs to '{name}', a log group this stack does not manage",
                    "the retention of an unmanaged log group cannot be verified or guaranteed",
                    "let the guardrails component create the log group (ai-observability:guardrails."
                    "invocationLogging.retentionDays)",
                    urn=logging.urn,
                )
            )
            continue
        for group in matching:
            retention = number(group.props, "retentionInDays")
            if retention is not None and 0 < retention < minimum:
                findings.append(
                    violation(
                        f"log group '{name}' of model invocation logging keeps records {retention:g} days; "
                        f"at least {minimum} required",
                        "the EU AI Act asks for at least six months of automatically generated logs; CloudWatch's "
                        "180-day option can be shorter than that",
                        "raise ai-observability:guardrails.invocationLogging.retentionDays (365 or more)",
                        urn=group.urn,
                    )
                )
    return judge(findings)


model_invocation_logging_retained = StackRule(
    "model-invocation-logging-retained",
    "Bedrock model invocation logging is configured and its log group keeps records at least minRetentionDays.",
    check,
    config_schema=CONFIG,
    remediation_steps="Enable ai-observability:guardrails.invocationLogging with retentionDays >= 365.",
)
