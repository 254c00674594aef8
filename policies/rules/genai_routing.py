"""GenAI events reach the governance bucket: the route is first and matches the event type; the
pipeline stores into the governance bucket.

- ``genai-route-first-matches-auditing`` (resource): the OpenPipeline route of this stack
  matches ``event.type == "gen_ai.auditing"`` and sits at position 0 of the routing table.
- ``governance-pipeline-stores-to-bucket`` (stack): every OpenPipeline pipeline of this stack
  has an enabled bucket-assignment storage processor targeting a bizevents Grail bucket of this
  stack, and is routed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from ._support import (
    Finding,
    ResourceRule,
    StackRule,
    Verdict,
    first,
    get,
    is_dynamic_kind,
    judge,
    label,
    not_applicable,
    number,
    of_kind,
    schema,
    settings,
    text,
    violation,
    walk,
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


def _route_entry(props: Mapping[str, Any]) -> Any:
    """The route's own entry: top-level props, or a nested ``entry``/``routingEntry`` object."""
    for key in ("entry", "routingEntry", "routing_entry"):
        nested = get(props, key)
        if isinstance(nested, Mapping):
            return nested
    return props


def check_route(args: ResourceValidationArgs) -> Verdict:
    """The GenAI route matches the configured event type and is at position 0."""
    if not is_dynamic_kind(args, "OpenPipelineRoute"):
        return not_applicable("only OpenPipeline routes of this stack")
    event_type = str(settings(args, ROUTE_CONFIG)["eventType"])
    entry = _route_entry(args.props)
    findings = []
    matcher = text(entry, "matcher")
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
    if position is None:
        position = number(entry, "position")
    if position != 0:
        findings.append(
            violation(
                f"route {label(args)} is at position {position}, not first",
                "the first matching route wins: a catch-all route above it would divert GenAI audit "
                "events to the default pipeline (the seed procedure places the AI route first)",
                "set ai-observability:governance.route.position to 0",
            )
        )
    if get(entry, "enabled") is False:
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
    check_route,
    config_schema=ROUTE_CONFIG,
    remediation_steps="Keep ai-observability:governance.route.position at 0 and the default matcher.",
)


def bucket_assignments(props: Mapping[str, Any]) -> list[str]:
    """Bucket names the pipeline's enabled storage processors assign to."""
    names: list[str] = []
    for path, value in walk(props):
        if not path or path[-1] not in ("bucketName", "bucket_name") or not isinstance(value, str):
            continue
        # .../<processor>/bucketAssignment/bucketName (wire shape) or a flat bucket_name input.
        processor_path = path[:-2] if len(path) >= 2 and path[-2] in ("bucketAssignment", "bucket_assignment") else None
        if processor_path is not None:
            if get(props, *processor_path, "enabled") is False:
                continue
        elif len(path) != 1:
            continue
        names.append(value)
    return names


def _bucket_name(resource: PolicyResource) -> str | None:
    found = first(resource.props, "bucketName", "bucket_name")
    return found if isinstance(found, str) else None


def check_pipeline(args: StackValidationArgs) -> Verdict:
    """Every pipeline stores into a bizevents Grail bucket of this stack and is routed."""
    pipelines = of_kind(args.resources, "OpenPipelinePipeline")
    if not pipelines:
        return not_applicable("the stack creates no OpenPipeline pipeline")
    buckets = {
        name: bucket
        for bucket in of_kind(args.resources, "GrailBucket")
        if (name := _bucket_name(bucket)) is not None and first(bucket.props, "table") == "bizevents"
    }
    routes = of_kind(args.resources, "OpenPipelineRoute")
    findings: list[Finding] = []
    for pipeline in pipelines:
        assigned = bucket_assignments(pipeline.props)
        if not any(name in buckets for name in assigned):
            findings.append(
                violation(
                    f"pipeline {label(pipeline)} stores into {assigned or 'no bucket'}, "
                    f"not into a bizevents Grail bucket of this stack ({sorted(buckets) or 'none'})",
                    "without a bucket-assignment storage processor, GenAI audit events land in the default "
                    "bizevents bucket and its short retention",
                    "keep the pipeline's storage processor assigned to ai-observability:governance.bucket.name",
                    urn=pipeline.urn,
                )
            )
        if not routes:
            findings.append(
                violation(
                    f"pipeline {label(pipeline)} has no route",
                    "an unrouted pipeline never receives events",
                    "enable ai-observability:governance (it creates the route with the pipeline)",
                    urn=pipeline.urn,
                )
            )
    return judge(findings)


governance_pipeline_stores_to_bucket = StackRule(
    "governance-pipeline-stores-to-bucket",
    "Every OpenPipeline pipeline of the stack stores into its bizevents governance bucket and is routed.",
    check_pipeline,
    remediation_steps="Keep the pipeline's bucketAssignment on ai-observability:governance.bucket.name.",
)
