"""A routed OpenPipeline pipeline of the stack stores GenAI audit events into a bizevents Grail bucket of the stack.

A stack rule for stacks of this project (with an ``ai-observability:*`` component): compliant
when the stack has an ``OpenPipelineRoute`` and at least one ``OpenPipelinePipeline`` whose
storage matcher can match (not a constant false such as ``false`` or ``not true``) and whose
bucket is a ``bizevents`` Grail bucket of the stack. A stack without governance violates it.

Why: forwarded Bedrock governance events are otherwise dropped, or kept only for the default
bucket's short retention: the audit trail is lost.

Fix: enable ``ai-observability:governance`` and keep ``governance.pipeline.matcher`` able to
match (default ``true``); a stack whose governance pipeline lives in another stack sets this
rule to ``disabled`` in its ``policies/config/<stack>.json``.
"""

from __future__ import annotations

import re

from pulumi_policy import PolicyResource, StackValidationArgs

from ._governance import bizevents_buckets, pipeline_bucket
from ._project import DISABLE_HINT, NOT_OURS, is_project_stack
from ._support import StackRule, Verdict, compliant, judge, label, not_applicable, of_kind, text, violation

NAME = "stack-stores-genai-audit-events"

# DQL conditions that can never be true (whitespace, case and outer parentheses ignored).
_NEVER = frozenset({"false", "nottrue", "not(true)", "!true", "true==false", "false==true"})


def never_matches(matcher: str) -> bool:
    """True for a DQL matcher that is the constant false (``false``, ``not true``, ``(false)``)."""
    normalised = re.sub(r"\s+", "", matcher).lower()
    while normalised.startswith("(") and normalised.endswith(")"):
        normalised = normalised[1:-1]
    return normalised in _NEVER


def _stores(pipeline: PolicyResource, buckets: set[str]) -> str | None:
    """Why ``pipeline`` stores no event into one of ``buckets`` (None when it does)."""
    matcher = text(pipeline.props, "matcher")
    if matcher is not None and never_matches(matcher):
        return f"pipeline {label(pipeline)} has a storage matcher {matcher!r} that never matches"
    assigned = pipeline_bucket(pipeline.props)
    if assigned not in buckets:
        where = repr(assigned) if assigned else "no bucket"
        return f"pipeline {label(pipeline)} assigns to {where}, not a bizevents bucket of the stack"
    return None


def check(args: StackValidationArgs) -> Verdict:
    """A routed pipeline of the stack stores GenAI audit events into a bizevents bucket of the stack."""
    if not is_project_stack(args):
        return not_applicable(NOT_OURS)
    buckets = bizevents_buckets(args.resources)
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
    return judge(
        [
            violation(
                what,
                "forwarded Bedrock governance events are then dropped or kept only for the default bucket's "
                "short retention: the audit trail is lost",
                "enable ai-observability:governance and keep governance.pipeline.matcher able to match "
                f"(default 'true'), {DISABLE_HINT.format(name=NAME)}",
            )
        ]
    )


stack_stores_genai_audit_events = StackRule(
    NAME,
    "A routed OpenPipeline pipeline of the stack stores GenAI audit events into its bizevents Grail bucket.",
    check,
    remediation_steps="Enable ai-observability:governance with a storage matcher that can match.",
)
