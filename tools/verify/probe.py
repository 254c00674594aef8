"""The end-to-end probe: one marked business event in through the ingest API, found in Grail.

The probe is a CloudEvent (``application/cloudevent+json``) of the stack's governance event type, sent
with the ingest token the stack wired to ``/api/v2/bizevents/ingest``:
``source`` = ``ai-observability.verify``, ``id`` = a unique run id, ``data`` = ``{"probe": <run id>}``.
Dashboards and the forwarding alert leave probe events out.

It is then looked up by its ``event.id`` through the Grail Query API (execute, then poll with the
request token) until it is found or the timeout passes. Outcomes (``state``):

- ``found``: in the governance bucket; the ingest-to-queryable latency is reported;
- ``misrouted``: in another bucket (typically ``default_bizevents``): the route is not first, or its
  matcher does not match the event type;
- ``token-refused``: the ingest API answered 401/403 to the ingest token;
- ``ingest-rejected``: the ingest API refused the event (another 4xx);
- ``query-refused``: the platform credential may not read the event (401/403 on the query);
- ``credential-refused``: Dynatrace SSO issued no access token for the lookup (the OAuth client's id or
  secret is wrong, or it may not grant the probe's scopes);
- ``not-found``: not queryable within the timeout (ingest lag, or the event was dropped).
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from components.dynatrace.errors import DynatraceApiError, DynatraceError
from components.dynatrace.grail_query import GrailQueryApi
from components.dynatrace.oauth import OAuthRefusedError

from .inputs import VerifyInputs
from .lookup import lookup_until
from .report import Check
from .settings import VerifySettings
from .tenant import Connections, PlatformAccess

PROBE_SOURCE = "ai-observability.verify"
INGEST_PATH = "/api/v2/bizevents/ingest"
CLOUDEVENT_TYPE = "application/cloudevent+json"
_TITLE = "probe event"


def new_run_id(stack: str, now: datetime) -> str:
    """Unique per run: the stack, the UTC time and 8 random hex digits (CloudEvent ``id`` and ``data.probe``)."""
    return f"verify-{stack}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"


def probe_event(event_type: str, run_id: str, now: datetime) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": run_id,
        "source": PROBE_SOURCE,
        "type": event_type,
        "time": now.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": {"probe": run_id},
    }


def lookup_query(run_id: str) -> str:
    return "\n".join(
        (
            "fetch bizevents",
            f"| filter event.id == {json.dumps(run_id)}",
            "| fields timestamp, event.id, event.type, dt.system.bucket",
            "| limit 10",
        )
    )


def check_probe(inputs: VerifyInputs, connections: Connections, settings: VerifySettings) -> list[Check]:
    governance = inputs.config.governance
    if not governance.enabled:
        return [Check(id="probe", title=_TITLE, status="skip", summary="ai-observability:governance.enabled is false")]
    if connections.ingest is None:
        return [
            Check(
                id="probe",
                title=_TITLE,
                status="fail",
                state="no-token",
                summary="no ingest token to send the probe with",
                hint="pass outputs from `pulumi stack output --json --show-secrets` (they hold dynatraceIngestToken), "
                "or set DT_INGEST_TOKEN",
            )
        ]
    assert connections.platform is not None
    sent_at = settings.now()
    run_id = new_run_id(inputs.stack, sent_at)
    details: dict[str, Any] = {
        "runId": run_id,
        "eventType": governance.event_type,
        "tokenSource": inputs.tokens.ingest_source,
    }
    try:
        connections.ingest.request(
            "POST",
            INGEST_PATH,
            json_body=probe_event(governance.event_type, run_id, sent_at),
            headers={"Content-Type": CLOUDEVENT_TYPE},
            ok=(202, 200, 204),
        )
    except DynatraceApiError as error:
        refused = error.status in (401, 403)
        hint = (
            "the ingest token the stack wired is revoked, expired or lacks bizevents.ingest: EventBridge and the "
            "collector are refused too; run `pulumi refresh` then `pulumi up` to mint a new one"
        )
        summary = f"the ingest API refused the probe: HTTP {error.status} {error.message}"
        return [_fail("token-refused" if refused else "ingest-rejected", summary, hint if refused else None, details)]
    except DynatraceError as error:
        return [_fail("ingest-error", str(error), None, details)]
    accepted = settings.clock()
    return [_find(inputs, connections.platform, run_id, sent_at, accepted, settings, details)]


def _find(
    inputs: VerifyInputs,
    platform: PlatformAccess,
    run_id: str,
    sent_at: datetime,
    accepted: float,
    settings: VerifySettings,
    details: dict[str, Any],
) -> Check:
    bucket = inputs.outputs.governance_bucket_name or inputs.config.governance.bucket.name
    api = GrailQueryApi(platform.client("probe"), sleep=settings.sleep, clock=settings.clock)
    try:
        found = lookup_until(
            api,
            lookup_query(run_id),
            settings,
            since=accepted,
            timeout=settings.probe_timeout_seconds,
            earliest=sent_at - timedelta(minutes=10),
        )
    except OAuthRefusedError as error:
        return _fail("credential-refused", f"the probe was accepted, but {error}", None, details)
    except DynatraceApiError as error:
        if error.status in (401, 403):
            return _fail(
                "query-refused",
                f"the probe was accepted, but Grail refused the lookup: HTTP {error.status} {error.message}",
                platform.needs("probe"),
                details,
            )
        return _fail("query-error", str(error), None, details)
    except DynatraceError as error:
        return _fail("query-error", str(error), None, details)
    details.update(attempts=found.attempts)
    buckets = sorted({str(r.get("dt.system.bucket")) for r in found.records if r.get("event.id") == run_id})
    if buckets:
        details.update(bucket=bucket if bucket in buckets else buckets[0], latencySeconds=round(found.seconds, 3))
    if bucket in buckets:
        summary = f"found in {bucket} {found.seconds:.1f} s after ingest"
        return Check(id="probe", title=_TITLE, status="pass", state="found", summary=summary, details=details)
    if buckets:
        return _fail(
            "misrouted",
            f"the probe landed in {', '.join(buckets)}, not in {bucket}: route not first or matcher wrong",
            "another routing entry ahead of ours takes governance events, or our matcher does not match "
            f"event.type {inputs.config.governance.event_type!r}: see the route check, then `pulumi up`",
            details,
        )
    return _fail(
        "not-found",
        f"not queryable within {settings.probe_timeout_seconds:g} s of ingest ({found.attempts} lookups)",
        "the ingest API accepted it, so look at the pipeline and bucket checks; Grail may also be slow today: "
        "raise --probe-timeout",
        details,
    )


def _fail(state: str, summary: str, hint: str | None, details: dict[str, Any]) -> Check:
    return Check(id="probe", title=_TITLE, status="fail", state=state, summary=summary, hint=hint, details=details)
