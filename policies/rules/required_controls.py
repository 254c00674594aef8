"""Stack-level controls that must be present, not merely well configured when present.

Resource rules never fire on what a stack leaves out: a stack that disables guardrails or
points its pipeline at nothing has no resource to flag. These stack rules judge absence.

- ``stack-has-bedrock-guardrails``: the stack creates at least one Bedrock guardrail.
- ``stack-has-model-invocation-logging``: the stack configures Bedrock model invocation logging.
- ``stack-stores-genai-audit-events``: an OpenPipeline pipeline of the stack, with a route, has a
  storage processor that can match events and assigns them to a bizevents Grail bucket of the stack.

They apply to a stack of this project (one with an ``ai-observability:*`` component), so
they never fire on a stack they do not understand. Each is mandatory by default; a stack
whose controls live elsewhere (a second stack in a region whose invocation logging another
stack owns) disables the rule in its ``policies/config/<stack>.json``.
"""

from __future__ import annotations

import re

from pulumi_policy import PolicyResource, StackValidationArgs

from ._support import (
    StackRule,
    Verdict,
    compliant,
    first,
    judge,
    label,
    not_applicable,
    of_kind,
    of_type,
    violation,
)
from .genai_routing import bucket_assignments

GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
LOGGING = "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
DISABLE_HINT = "or, when another stack owns this control, set '{name}' to disabled in policies/config/<stack>.json"

PROJECT_PREFIX = "ai-observability:"
NOT_OURS = "the stack has no ai-observability component"

# DQL conditions that can never be true (whitespace, case and outer parentheses ignored).
_NEVER = frozenset({"false", "nottrue", "not(true)", "!true", "true==false", "false==true"})


def never_matches(matcher: str) -> bool:
    """True for a DQL matcher that is the constant false (``false``, ``not true``, ``(false)``)."""
    normalised = re.sub(r"\s+", "", matcher).lower()
    while normalised.startswith("(") and normalised.endswith(")"):
        normalised = normalised[1:-1]
    return normalised in _NEVER


def is_project_stack(args: StackValidationArgs) -> bool:
    """True when the stack holds a component of this project (``ai-observability:<area>:<Name>``)."""
    return any(r.resource_type.startswith(PROJECT_PREFIX) for r in args.resources)


def check_guardrails(args: StackValidationArgs) -> Verdict:
    """The stack creates at least one Bedrock guardrail."""
    if not is_project_stack(args):
        return not_applicable(NOT_OURS)
    if of_type(args.resources, GUARDRAIL):
        return compliant()
    name = "stack-has-bedrock-guardrails"
    return judge(
        [
            violation(
                "the stack creates no Bedrock guardrail",
                "without a guardrail no prompt or completion is filtered for prompt attacks, PII or denied topics",
                "set ai-observability:guardrails.enabled to true with at least one entry in "
                f"ai-observability:guardrails.guardrails, {DISABLE_HINT.format(name=name)}",
            )
        ]
    )


stack_has_bedrock_guardrails = StackRule(
    "stack-has-bedrock-guardrails",
    "The stack creates at least one Bedrock guardrail.",
    check_guardrails,
    remediation_steps="Enable ai-observability:guardrails with at least one guardrail.",
)


def check_invocation_logging(args: StackValidationArgs) -> Verdict:
    """The stack configures Bedrock model invocation logging."""
    if not is_project_stack(args):
        return not_applicable(NOT_OURS)
    if of_type(args.resources, LOGGING):
        return compliant()
    name = "stack-has-model-invocation-logging"
    return judge(
        [
            violation(
                "the stack configures no Bedrock model invocation logging",
                "prompts and completions are the audit trail of an AI system (EU AI Act Art. 12/19: "
                "automatically generated logs)",
                "set ai-observability:guardrails.enabled and ai-observability:guardrails.invocationLogging.enabled "
                f"to true, {DISABLE_HINT.format(name=name)}",
            )
        ]
    )


stack_has_model_invocation_logging = StackRule(
    "stack-has-model-invocation-logging",
    "The stack configures Bedrock model invocation logging.",
    check_invocation_logging,
    remediation_steps="Enable ai-observability:guardrails.invocationLogging.",
)


def _stores(pipeline: PolicyResource, buckets: set[str]) -> str | None:
    """Why ``pipeline`` stores no event into one of ``buckets`` (None when it does)."""
    matcher = first(pipeline.props, "matcher")
    if isinstance(matcher, str) and never_matches(matcher):
        return f"pipeline {label(pipeline)} has a storage matcher {matcher!r} that never matches"
    assigned = bucket_assignments(pipeline.props)
    if not any(name in buckets for name in assigned):
        return f"pipeline {label(pipeline)} assigns to {assigned or 'no bucket'}, not a bizevents bucket of the stack"
    return None


def check_storing_pipeline(args: StackValidationArgs) -> Verdict:
    """A routed pipeline of the stack stores GenAI audit events into a bizevents bucket of the stack."""
    if not is_project_stack(args):
        return not_applicable(NOT_OURS)
    buckets = {
        name
        for bucket in of_kind(args.resources, "GrailBucket")
        if isinstance(name := first(bucket.props, "bucketName", "bucket_name"), str)
        and first(bucket.props, "table") == "bizevents"
    }
    pipelines = of_kind(args.resources, "OpenPipelinePipeline")
    reasons = [reason for pipeline in pipelines if (reason := _stores(pipeline, buckets)) is not None]
    routed = bool(of_kind(args.resources, "OpenPipelineRoute"))
    if pipelines and len(reasons) < len(pipelines) and routed:
        return compliant()
    if not pipelines:
        what = "the stack creates no OpenPipeline pipeline for GenAI audit events"
    elif not routed:
        what = "the stack's OpenPipeline pipeline has no route"
    else:
        what = "; ".join(reasons)
    name = "stack-stores-genai-audit-events"
    return judge(
        [
            violation(
                what,
                "forwarded Bedrock governance events are then dropped or kept only for the default bucket's "
                "short retention: the audit trail is lost",
                "enable ai-observability:governance and keep governance.pipeline.matcher able to match "
                f"(default 'true'), {DISABLE_HINT.format(name=name)}",
            )
        ]
    )


stack_stores_genai_audit_events = StackRule(
    "stack-stores-genai-audit-events",
    "A routed OpenPipeline pipeline of the stack stores GenAI audit events into its bizevents Grail bucket.",
    check_storing_pipeline,
    remediation_steps="Enable ai-observability:governance with a storage matcher that can match.",
)
