"""The GenAI OpenPipeline route matches the audit event type and is the first routing entry.

Applies to ``OpenPipelineRoute`` dynamic resources. Compliant when the route's matcher is
``matchesValue(event.type, "<eventType>")`` or ``event.type == "<eventType>"`` (any spacing or
quoting; ``eventType`` defaults to ``gen_ai.auditing``), it sits at position 0 of the bizevents
routing table, and it is enabled.

Why: the first matching route wins, so a catch-all route above this one diverts the audit events
to the default pipeline; a broader matcher lets unrelated events into the long-retention bucket.

Fix: keep ``ai-observability:governance.route.position`` at 0 and leave
``ai-observability:governance.route.matcher`` unset (the default matches
``ai-observability:governance.eventType``). A route that matches exactly one other event type
means a custom ``governance.eventType``: set this policy's ``eventType`` to it in the policy pack
configuration (``policies/config/<stack>.json``), or set ``governance.eventType`` back.
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


_SINGLE_TYPE = re.compile(r'(?:matchesValue\(event\.type,"([^"]*)"\)|event\.type=="([^"]*)")')


def matched_event_type(matcher: str) -> str | None:
    """The event type a matcher of the single-type forms selects (None for any other matcher)."""
    found = _SINGLE_TYPE.fullmatch(_normalise(matcher))
    return None if found is None else (found.group(1) if found.group(1) is not None else found.group(2))


def matches_only_event_type(matcher: str, event_type: str) -> bool:
    """True for ``matchesValue(event.type, "<type>")`` or ``event.type == "<type>"`` (any spacing)."""
    return matched_event_type(matcher) == event_type


def _matcher_fix(matched: str | None, event_type: str) -> str:
    """The setting to change: the pack's expectation when the route follows a custom event type."""
    if matched is None:
        return (
            "remove ai-observability:governance.route.matcher (the default matches "
            "ai-observability:governance.eventType)"
        )
    return (
        f"if {matched!r} is your ai-observability:governance.eventType, set this policy's eventType to {matched!r} "
        f"in the policy pack configuration (policies/config/<stack>.json, --policy-pack-config); otherwise set "
        f"ai-observability:governance.eventType to {event_type!r} and leave governance.route.matcher unset"
    )


def check(args: ResourceValidationArgs) -> Verdict:
    """The GenAI route matches the configured event type and is at position 0."""
    if not is_dynamic_kind(args, "OpenPipelineRoute"):
        return not_applicable("only OpenPipeline routes of this stack")
    event_type = str(settings(args, ROUTE_CONFIG)["eventType"])
    findings = []
    matcher = text(args.props, "matcher")
    matched = None if matcher is None else matched_event_type(matcher)
    if matched != event_type:
        findings.append(
            violation(
                f'route {label(args)} matches {matcher!r}, not matchesValue(event.type,"{event_type}")',
                "only events of the GenAI audit type may land in the long-retention governance bucket, "
                "and every such event must",
                _matcher_fix(matched, event_type),
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
