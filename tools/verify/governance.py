"""Governance chain health, read-only: ingest token → bucket → pipeline → route, and the stack's
detectors and dashboards.

Each check compares what the tenant holds now with what the stack's configuration asks for, and says
what differs in the words of the UI (the route's position, who is ahead of it, a detector switched off).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from components.config.governance import DEFAULT_ROTATE_BEFORE_DAYS
from components.dynatrace.api import BucketApi, SettingsApi, TokenApi
from components.dynatrace.client import DynatraceClient, token_id
from components.dynatrace.errors import DynatraceError
from components.dynatrace.ingest_token import parse_expiry
from components.dynatrace.models import PIPELINES_SCHEMA, ROUTING_SCHEMA
from components.dynatrace.pipeline import external_id_for

from .inputs import VerifyInputs
from .report import Check, Status
from .tenant import Connections, StackObjects, refusal_state

ROTATION_GRACE_DAYS = 7
"""The scheduled deploy runs weekly: a token more than a week inside its rotation window was missed."""


REDEPLOY = "run `pulumi refresh` then `pulumi up`"


def _missing(
    check_id: str, title: str, summary: str, *, hint: str = REDEPLOY, details: dict[str, Any] | None = None
) -> Check:
    """A stack-owned object the tenant no longer holds."""
    return Check(
        id=check_id, title=title, status="fail", state="missing", summary=summary, hint=hint, details=details or {}
    )


def _guard(check_id: str, title: str, body: Callable[[], Check]) -> Check:
    try:
        return body()
    except DynatraceError as error:
        state = refusal_state(error) or "api-error"
        return Check(id=check_id, title=title, status="fail", summary=str(error), state=state)
    except ValidationError as error:  # an answer of a shape the API does not document
        summary = f"unexpected answer from Dynatrace ({error.error_count()} problem(s) in its shape)"
        return Check(id=check_id, title=title, status="fail", summary=summary, state="api-error")


def check_governance(
    inputs: VerifyInputs, connections: Connections, objects: StackObjects, now: datetime
) -> list[Check]:
    governance = inputs.config.governance
    checks: list[Check] = []
    if not governance.enabled:
        checks.append(
            Check(
                id="governance",
                title="governance chain",
                status="skip",
                summary="ai-observability:governance.enabled is false: the stack owns no token, bucket, pipeline, "
                "route",
            )
        )
    else:
        classic = connections.classic
        platform = connections.platform
        # inputs.read_tokens requires both credentials when the governance section runs
        assert classic is not None
        assert platform is not None
        checks.append(_guard("ingest-token", "ingest token", lambda: _ingest_token(inputs, classic, now)))
        checks.append(_guard("bucket", "Grail bucket", lambda: _bucket(inputs, platform.client("bucket"))))
        pipeline_id: list[str | None] = [None]
        checks.append(_guard("pipeline", "pipeline", lambda: _pipeline(inputs, classic, pipeline_id)))
        checks.append(_guard("route", "route", lambda: _route(inputs, classic, pipeline_id[0])))
    checks.extend(_signal_objects(inputs, objects))
    return checks


# --- ingest token -------------------------------------------------------------------------------


def _ingest_token(inputs: VerifyInputs, classic: DynatraceClient, now: datetime) -> Check:
    config = inputs.config.governance.ingest_token
    title = "ingest token"
    wanted_id = inputs.outputs.dynatrace_ingest_token_id or (
        token_id(inputs.tokens.ingest) if inputs.tokens.ingest else None
    )
    if not wanted_id or wanted_id == "<token>":
        return Check(
            id="ingest-token",
            title=title,
            status="fail",
            summary="no ingest token to check: the outputs hold no dynatraceIngestTokenId and no token was given",
            hint="pass the outputs of a deployed stack (pulumi stack output --json --show-secrets), "
            "or set DT_INGEST_TOKEN",
        )
    meta = TokenApi(classic).get(wanted_id)
    details: dict[str, Any] = {"tokenId": wanted_id}
    if meta is None:
        return _missing(
            "ingest-token",
            title,
            "the ingest token the stack minted does not exist (revoked or deleted)",
            hint=f"{REDEPLOY}: the stack mints a new token and hands it to EventBridge and the collector"
            if config.create
            else "create a new ingest token and set ai-observability:dynatraceIngestToken",
            details=details,
        )
    problems: list[str] = []
    if not meta.enabled:
        problems.append("disabled")
    wanted, live = set(config.scopes), set(meta.scopes)
    if wanted != live:
        missing, extra = sorted(wanted - live), sorted(live - wanted)
        problems.append(
            "scopes differ"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; extra {', '.join(extra)}" if extra else "")
        )
    details.update(name=meta.name, enabled=meta.enabled, scopes=sorted(live))
    expiry = parse_expiry(meta.expiration_date)
    window = config.rotation_days if config.create else DEFAULT_ROTATE_BEFORE_DAYS
    status: Status = "pass"
    expiry_text = "never expires"
    hint = None
    if expiry is not None:
        days_left = (expiry - now).total_seconds() / 86400
        details.update(
            expiresAt=expiry.astimezone(UTC).isoformat(), daysLeft=round(days_left, 1), rotationWindowDays=window
        )
        expiry_text = f"{days_left:.0f} days left (rotation window {window} days)"
        if days_left <= 0:
            problems.append("expired")
        elif window is not None and days_left <= max(0, window - ROTATION_GRACE_DAYS):
            problems.append(f"expires in {days_left:.1f} days: rotation is overdue")
            hint = (
                "the weekly deploy has not rotated it: run `pulumi up` (or re-enable the scheduled deploy)"
                if config.create
                else "renew the token in Dynatrace and update ai-observability:dynatraceIngestToken"
            )
        elif window is not None and days_left <= window:
            status = "warn"
            hint = "the next `pulumi up` rotates it" if config.create else "renew the token soon"
    if problems:
        return Check(
            id="ingest-token",
            title=title,
            status="fail",
            summary=f"token {meta.name!r}: {'; '.join(problems)}",
            hint=hint or "run `pulumi up`: the stack replaces a disabled or changed token",
            details=details,
        )
    return Check(
        id="ingest-token",
        title=title,
        status=status,
        summary=f"token {meta.name!r} enabled, scopes {', '.join(sorted(live))}, {expiry_text}",
        hint=hint,
        details=details,
    )


# --- bucket -----------------------------------------------------------------------------------------


def _bucket(inputs: VerifyInputs, platform: DynatraceClient) -> Check:
    config = inputs.config.governance.bucket
    name = inputs.outputs.governance_bucket_name or config.name
    bucket = BucketApi(platform).get(name)
    if bucket is None:
        return _missing(
            "bucket",
            "Grail bucket",
            f"bucket {name} does not exist (deleted?); governance events have nowhere to go",
            hint=f"{REDEPLOY} to recreate it (its former records are gone)",
            details={"bucket": name},
        )
    problems = []
    if bucket.status != "active":
        problems.append(f"status {bucket.status}")
    if bucket.table != config.table:
        problems.append(f"table {bucket.table}, configured {config.table}")
    if bucket.retention_days != config.retention_days:
        problems.append(f"retention {bucket.retention_days} days, configured {config.retention_days}")
    details = {"bucket": name, "status": bucket.status, "table": bucket.table, "retentionDays": bucket.retention_days}
    if problems:
        return Check(
            id="bucket",
            title="Grail bucket",
            status="warn" if problems == ["status updating"] else "fail",
            summary=f"bucket {name}: {'; '.join(problems)}",
            hint="run `pulumi up` to restore the configured bucket settings",
            details=details,
        )
    return Check(
        id="bucket",
        title="Grail bucket",
        status="pass",
        summary=f"bucket {name} active, table {bucket.table}, retention {bucket.retention_days} days",
        details=details,
    )


# --- pipeline and route -------------------------------------------------------------------------------


def _pipeline(inputs: VerifyInputs, classic: DynatraceClient, found: list[str | None]) -> Check:
    governance = inputs.config.governance
    api = SettingsApi(classic)
    object_id = inputs.outputs.governance_pipeline_id
    live = api.get(object_id) if object_id else None
    if live is None:
        wanted = external_id_for(inputs.owner, "pipeline", governance.pipeline.custom_id)
        matches = api.list(PIPELINES_SCHEMA, external_ids=[wanted])
        live = matches[0] if matches else None
    if live is None:
        return _missing("pipeline", "pipeline", f"pipeline {governance.pipeline.custom_id} does not exist")
    found[0] = live.object_id
    bucket = inputs.outputs.governance_bucket_name or governance.bucket.name
    storage = live.value.get("storage")
    listed = storage.get("processors") if isinstance(storage, dict) else None
    processors = [p for p in listed if isinstance(p, dict)] if isinstance(listed, list) else []
    assigning = [p for p in processors if p.get("type") == "bucketAssignment"]
    ours = [p for p in assigning if p.get("enabled", True) is True and _bucket_name(p) == bucket]
    assignments = [
        {
            "id": p.get("id"),
            "enabled": p.get("enabled", True),
            "bucket": _bucket_name(p),
        }
        for p in assigning
    ]
    details = {"objectId": live.object_id, "storageAssignments": assignments}
    if not ours:
        what = ", ".join(f"{a['id']} → {a['bucket']}{'' if a['enabled'] else ' (disabled)'}" for a in assignments)
        return Check(
            id="pipeline",
            title="pipeline",
            status="fail",
            summary=f"pipeline {governance.pipeline.custom_id} assigns nothing to bucket {bucket}"
            + (f" (storage stage: {what})" if what else " (no storage assignment)"),
            hint="run `pulumi up` to restore the storage stage",
            details=details,
        )
    return Check(
        id="pipeline",
        title="pipeline",
        status="pass",
        summary=f"pipeline {governance.pipeline.custom_id} stores into {bucket}",
        details=details,
    )


def _bucket_name(processor: dict[str, Any]) -> Any:
    assignment = processor.get("bucketAssignment")
    return assignment.get("bucketName") if isinstance(assignment, dict) else None


def _route(inputs: VerifyInputs, classic: DynatraceClient, pipeline_id: str | None) -> Check:
    governance = inputs.config.governance
    description = inputs.outputs.governance_route_description or governance.route.description
    items = SettingsApi(classic).list(ROUTING_SCHEMA)
    listed = items[0].value.get("routingEntries") if items else None
    entries = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
    index = next((i for i, e in enumerate(entries) if e.get("description") == description), None)
    if index is None:
        return _missing(
            "route",
            "route",
            f"no routing entry {description!r}: governance events go to the default pipeline",
            hint=f"{REDEPLOY} to put the route back",
        )
    entry = entries[index]
    expected = min(governance.route.position, len(entries) - 1)
    ahead = [
        {
            "position": i,
            "description": e.get("description"),
            "matcher": e.get("matcher"),
            "enabled": e.get("enabled", True),
        }
        for i, e in enumerate(entries[:index])
        if i >= expected
    ]
    details: dict[str, Any] = {"position": index, "expectedPosition": expected, "entries": len(entries)}
    problems = []
    if not entry.get("enabled", True):
        problems.append("disabled")
    if entry.get("matcher") != governance.route_matcher:
        problems.append(f"matcher is {entry.get('matcher')!r}, configured {governance.route_matcher!r}")
    if pipeline_id is not None and (entry.get("pipelineType") != "custom" or entry.get("pipelineId") != pipeline_id):
        problems.append("it no longer points at the stack's pipeline")
    if index > expected:
        details["ahead"] = ahead
        names = "; ".join(f"{a['description']!r} (matcher {a['matcher']})" for a in ahead)
        problems.append(f"at position {index}, not {expected}; ahead of it: {names}")
    if problems:
        return Check(
            id="route",
            title="route",
            status="fail",
            summary=f"route {description!r}: {'; '.join(problems)}",
            hint="an entry ahead of ours that matches governance events takes them first: run `pulumi up` to move "
            "our route back (others' routes keep their order)",
            details=details,
        )
    where = "first" if index == 0 else f"at position {index}"
    return Check(
        id="route",
        title="route",
        status="pass",
        summary=f"route {description!r} enabled, {where}, matcher {entry.get('matcher')}",
        details=details,
    )


# --- detectors and dashboards -----------------------------------------------------------------------------


def _signal_objects(inputs: VerifyInputs, objects: StackObjects) -> list[Check]:
    if not inputs.config.signals.enabled:
        return [
            Check(
                id="signals-objects",
                title="detectors and dashboards",
                status="skip",
                summary="ai-observability:signals.enabled is false",
            )
        ]
    if objects.error is not None:
        return [
            Check(
                id="signals-objects",
                title="detectors and dashboards",
                status="fail",
                summary=objects.error,
                state=objects.error_state,
            )
        ]
    checks = []
    for detector in objects.detectors:
        check_id, title = f"detector:{detector.name}", f"detector {detector.name}"
        if detector.value is None:
            checks.append(_missing(check_id, title, "not found in the tenant (deleted?)"))
            continue
        enabled = bool(detector.value.get("enabled", True))
        details = {"objectId": detector.object_id, "enabled": enabled}
        if detector.expected_enabled and not enabled:
            checks.append(
                Check(
                    id=check_id,
                    title=title,
                    status="fail",
                    state="disabled",
                    summary="disabled in the tenant (the configuration enables it): it cannot alert",
                    hint="run `pulumi up` to enable it again, or disable it in signals.alerts to make that the plan",
                    details=details,
                )
            )
        else:
            note = "enabled" if enabled else "disabled by configuration"
            checks.append(Check(id=check_id, title=title, status="pass", summary=note, details=details))
    for board in objects.dashboards:
        check_id, title = f"dashboard:{board.name}", f"dashboard {board.name}"
        if board.content is None:
            checks.append(
                _missing(check_id, title, f"document {board.document_id} not found (deleted or in the trash)")
            )
        elif board.unreadable:
            checks.append(Check(id=check_id, title=title, status="fail", summary=board.unreadable))
        else:
            checks.append(Check(id=check_id, title=title, status="pass", summary=f"{board.title!r} exists"))
    return checks
