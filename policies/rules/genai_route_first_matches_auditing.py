"""The GenAI OpenPipeline route matches the audit event type and is the first routing entry.

Applies to ``OpenPipelineRoute`` dynamic resources. Compliant when the route's matcher is
``matchesValue(event.type, "<eventType>")`` or ``event.type == "<eventType>"`` (any spacing or
quoting; ``eventType`` defaults to ``gen_ai.auditing``), it sits at position 0 of the bizevents
routing table, and it is enabled.

Why: the first matching route wins, so a catch-all route above this one diverts the audit events
to the default pipeline; a broader matcher lets unrelated events into the long-retention bucket.

Fix: keep ``ai-observability:governance.route.position`` at 0 and leave
``ai-observability:governance.route.matcher`` unset (the default matches
``ai-observability:governance.eventType``).
"""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs

from ._support import (
    ResourceRule,
    Verdict,
    get,
    is_dynamic_kind,
    judge,
    label,
    not_applicable,
    number,
    schema,
    settings,
    text,
    violation,
)

DEFAULT_EVENT_TYPE = "gen_ai.auditing"
ROUTE_CONFIG = schema(
    eventType={
        "type": "string",
        "default": DEFAULT_EVENT_TYPE,
        "description": "The CloudEvent type the route must match (what the forwarder sends).",
    }
)


def _normalise(matcher: str) -> str:
    return re.sub(r"\s+", "", matcher).replace("'", '"')


def matches_only_event_type(matcher: str, event_type: str) -> bool:
    """True for ``matchesValue(event.type, "<type>")`` or ``event.type == "<type>"`` (any spacing)."""
    normalised = _normalise(matcher)
    return normalised in (f'matchesValue(event.type,"{event_type}")', f'event.type=="{event_type}"')


def check(args: ResourceValidationArgs) -> Verdict:
    """The GenAI route matches the configured event type and is at position 0."""
    if not is_dynamic_kind(args, "OpenPipelineRoute"):
        return not_applicable("only OpenPipeline routes of this stack")
    event_type = str(settings(args, ROUTE_CONFIG)["eventType"])
    findings = []
    matcher = text(args.props, "matcher")
    if matcher is None or not matches_only_event_type(matcher, event_type):
        findings.append(
            violation(
                f'route {label(args)} matches {matcher!r}, not matchesValue(event.type,"{event_type}")',
                "only events of the GenAI audit type may land in the long-retention governance bucket, "
                "and every such event must",
                "remove ai-observability:governance.route.matcher (the default matches "
                "ai-observability:governance.eventType)",
            )
        )
    position = number(args.props, "position")
    if position != 0:
        findings.append(
            violation(
                f"route {label(args)} is at position {position}, not first",
                "the first matching route wins: a catch-all route above it would divert GenAI audit "
                "events to the default pipeline",
                "set ai-observability:governance.route.position to 0",
            )
        )
    if get(args.props, "enabled") is False:
        findings.append(
            violation(
                f"route {label(args)} is disabled",
                "a disabled route forwards nothing to the governance pipeline",
                "enable the route (the governance component creates it enabled)",
            )
        )
    return judge(findings)


genai_route_first_matches_auditing = ResourceRule(
    "genai-route-first-matches-auditing",
    "The GenAI OpenPipeline route matches gen_ai.auditing and is the first routing entry.",
    check,
    config_schema=ROUTE_CONFIG,
    remediation_steps="Keep ai-observability:governance.route.position at 0 and the default matcher.",
)
