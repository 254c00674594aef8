"""The emulator's Grail Query API (states and the request-token flow as Dynatrace's client-query SDK
documents them), its record store (routing, ingest lag, permissions), and the project's client of it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from components.dynatrace.client import DynatraceClient, TokenAuth
from components.dynatrace.errors import DynatraceApiError, DynatraceTimeoutError
from components.dynatrace.grail_query import GrailQueryApi, QueryFailedError, QueryOptions
from tests.dynatrace.conftest import FAST, Env
from testsupport.dynatrace.emulator import DynatraceEmulator
from testsupport.dynatrace.emulator_grail import CANCEL_PATH, EXECUTE_PATH, POLL_PATH, VERIFY_PATH

READ_SCOPES = ("storage:buckets:read", "storage:bizevents:read", "storage:spans:read", "storage:metrics:read")


def _post(dt: DynatraceEmulator, token: str, path: str, body: Any, **params: str) -> requests.Response:
    return requests.post(
        dt.url + path, json=body, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def _poll(dt: DynatraceEmulator, token: str, request_token: str, wait_ms: int = 0) -> requests.Response:
    params = {"request-token": request_token, "request-timeout-milliseconds": str(wait_ms)}
    return requests.get(dt.url + POLL_PATH, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=5)


@pytest.fixture
def reader(dt: DynatraceEmulator) -> str:
    return dt.add_token(kind="platform", scopes=READ_SCOPES, name="reader")


def test_a_quick_query_answers_200_with_records_types_and_metadata(dt: DynatraceEmulator, reader: str) -> None:
    dt.grail.add_span({"gen_ai.provider.name": "openai"})
    answer = _post(dt, reader, EXECUTE_PATH, {"query": "fetch spans | fields gen_ai.provider.name"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "SUCCEEDED"
    assert "requestToken" not in body
    result = body["result"]
    assert result["records"] == [{"gen_ai.provider.name": "openai"}]
    assert result["types"] == [{"indexRange": [0, 0], "mappings": {"gen_ai.provider.name": {"type": "string"}}}]
    grail = result["metadata"]["grail"]
    assert grail["scannedRecords"] == 1
    assert grail["scannedBytes"] > 0
    assert set(grail["analysisTimeframe"]) == {"start", "end"}


def test_a_long_query_is_polled_with_its_request_token_until_it_succeeds(dt: DynatraceEmulator, reader: str) -> None:
    dt.queries.query_duration = 0.3
    started = _post(dt, reader, EXECUTE_PATH, {"query": "fetch spans", "requestTimeoutMilliseconds": 10})
    assert started.status_code == 202
    body = started.json()
    assert (body["state"], body["progress"]) == ("RUNNING", 0)
    assert body["ttlSeconds"] > 0
    token = body["requestToken"]
    assert _poll(dt, reader, token).json()["state"] == "RUNNING"  # no wait: answered at once
    done = _poll(dt, reader, token, wait_ms=2000)  # long poll: held until the result is ready
    assert (done.status_code, done.json()["state"]) == (200, "SUCCEEDED")
    assert done.json()["result"]["records"] == []
    assert _poll(dt, reader, token).json()["state"] == "SUCCEEDED"  # kept for the result's lifetime
    dt.queries.result_ttl = 0
    time.sleep(0.01)
    gone = _poll(dt, reader, token)
    assert gone.status_code == 410
    assert gone.json()["error"]["message"] == "The query for the given request-token is not available anymore."


def test_cancel_stops_a_running_query_and_returns_a_finished_one(dt: DynatraceEmulator, reader: str) -> None:
    dt.queries.query_duration = 5
    running = _post(dt, reader, EXECUTE_PATH, {"query": "fetch spans"}).json()["requestToken"]
    cancelled = _post(dt, reader, CANCEL_PATH, None, **{"request-token": running})
    assert (cancelled.status_code, cancelled.content) == (202, b"")
    assert _poll(dt, reader, running).json()["state"] == "CANCELLED"
    dt.queries.query_duration = 0
    finished = _post(dt, reader, EXECUTE_PATH, {"query": "fetch spans", "requestTimeoutMilliseconds": 0})
    assert finished.status_code == 200  # already done: no token to cancel with
    assert _post(dt, reader, CANCEL_PATH, None, **{"request-token": "no-such-token"}).status_code == 410
    assert requests.get(dt.url + POLL_PATH, headers={"Authorization": f"Bearer {reader}"}, timeout=5).status_code == 400


def test_verify_checks_syntax_without_scanning_data(dt: DynatraceEmulator, reader: str) -> None:
    valid = _post(dt, reader, VERIFY_PATH, {"query": "fetch spans | summarize count()"})
    assert valid.json() == {"valid": True, "notifications": []}
    broken = _post(dt, reader, VERIFY_PATH, {"query": "fetch spans\n| filter x =="}).json()
    assert broken["valid"] is False
    [note] = broken["notifications"]
    assert note["severity"] == "ERROR"
    assert note["syntaxPosition"]["start"]["line"] == 1  # zero-based, as the API counts
    unknown = _post(dt, reader, VERIFY_PATH, {"query": "fetch spans | filterr true"}).json()
    assert unknown["valid"] is False
    unsupported = _post(dt, reader, VERIFY_PATH, {"query": "fetch spans | dedup a"})
    assert unsupported.status_code == 501
    assert "Not supported by this Dynatrace emulator: the command dedup" in unsupported.json()["error"]["message"]
    assert not dt.queries.executed


def test_a_wrong_query_is_a_bad_request_with_its_position(dt: DynatraceEmulator, reader: str) -> None:
    answer = _post(dt, reader, EXECUTE_PATH, {"query": "fetch spans | filter ("})
    assert answer.status_code == 400
    details = answer.json()["error"]["details"]
    assert details["errorType"] == "PARSE_ERROR"
    assert details["syntaxErrorPosition"]["start"]["column"] == 22
    missing = _post(dt, reader, EXECUTE_PATH, {"query": "fetch nope"})
    assert (missing.status_code, missing.json()["error"]["details"]["errorType"]) == (400, "TABLE_NOT_FOUND")
    extra = _post(dt, reader, EXECUTE_PATH, {"query": "fetch spans", "timeframe": "2h"})
    assert extra.status_code == 400


@pytest.mark.parametrize(
    ("scopes", "status", "missing"),
    [
        (("storage:bizevents:read",), 403, "storage:buckets:read"),
        (("storage:buckets:read",), 403, "storage:bizevents:read"),
        (("storage:buckets:read", "storage:bizevents:read"), 200, None),
    ],
)
def test_reading_needs_the_bucket_and_the_table_permission(
    dt: DynatraceEmulator, scopes: tuple[str, ...], status: int, missing: str | None
) -> None:
    token = dt.add_token(kind="platform", scopes=scopes)
    answer = _post(dt, token, EXECUTE_PATH, {"query": "fetch bizevents"})
    assert answer.status_code == status
    if missing:
        assert missing in answer.json()["error"]["message"]
    spans = _post(dt, token, EXECUTE_PATH, {"query": "fetch spans | append [timeseries x = sum(m)]"})
    assert spans.status_code == 403
    classic = dt.add_token(kind="api", scopes=("settings.read",))
    refused = requests.post(
        dt.url + EXECUTE_PATH,
        json={"query": "fetch spans"},
        headers={"Authorization": f"Api-Token {classic}"},
        timeout=5,
    )
    assert refused.status_code == 401


def _ingest(env: Env, event: dict[str, Any]) -> None:
    token = env.dt.add_token(kind="api", scopes=("bizevents.ingest",))
    answer = requests.post(
        env.url + "/api/v2/bizevents/ingest",
        data=json.dumps(event),
        headers={"Authorization": f"Api-Token {token}", "Content-Type": "application/cloudevent+json"},
        timeout=5,
    )
    assert answer.status_code == 202


def _event(event_id: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": event_id, "source": "test", "type": "gen_ai.auditing", "data": {"probe": "x"}}


def test_ingested_events_are_routed_into_buckets_and_queryable_after_the_ingest_lag(env: Env, reader: str) -> None:
    dt = env.dt
    dt.put_bucket("gen_ai_events", "bizevents")
    pipeline = dt.put_pipeline("ai-data-governance")
    dt.settings[pipeline].value["storage"] = {
        "processors": [
            {
                "id": "store-governed-events",
                "type": "bucketAssignment",
                "description": "d",
                "matcher": "true",
                "enabled": True,
                "bucketAssignment": {"bucketName": "gen_ai_events"},
            }
        ]
    }
    dt.set_routing(
        [
            {
                "enabled": True,
                "pipelineType": "custom",
                "pipelineId": pipeline,
                "matcher": 'matchesValue(event.type,"gen_ai.auditing")',
                "description": "ours",
            }
        ]
    )
    dt.grail.ingest_lag = 0.3
    _ingest(env, _event("e-1"))
    query = {"query": 'fetch bizevents | filter event.id == "e-1" | fields dt.system.bucket, probe'}
    assert _post(dt, reader, EXECUTE_PATH, query).json()["result"]["records"] == []  # not yet
    time.sleep(0.35)
    records = _post(dt, reader, EXECUTE_PATH, query).json()["result"]["records"]
    assert records == [{"dt.system.bucket": "gen_ai_events", "probe": "x"}]
    with dt._lock:
        del dt.buckets["gen_ai_events"]  # a deleted bucket's records are gone
    assert _post(dt, reader, EXECUTE_PATH, query).json()["result"]["records"] == []


# --- the client ---------------------------------------------------------------------------------------


def _api(dt: DynatraceEmulator, token: str) -> GrailQueryApi:
    return GrailQueryApi(DynatraceClient(dt.url, TokenAuth("Bearer", token), FAST))


def test_the_client_polls_until_the_result_and_reports_scanned_bytes(dt: DynatraceEmulator, reader: str) -> None:
    dt.grail.add_span({"a": 1})
    dt.queries.query_duration = 0.15
    result = _api(dt, reader).execute("fetch spans", QueryOptions(request_timeout_ms=20, poll_pause=0.01))
    assert result.records == [
        {"a": 1, "timestamp": result.records[0]["timestamp"], "dt.system.bucket": "default_spans"}
    ]
    assert result.scanned_bytes is not None
    assert result.scanned_bytes > 0
    assert dt.calls(method="GET", path_contains="query:poll")


def test_the_client_cancels_a_query_that_outlives_its_deadline(dt: DynatraceEmulator, reader: str) -> None:
    dt.queries.query_duration = 30
    with pytest.raises(DynatraceTimeoutError, match="cancelled"):
        _api(dt, reader).execute(
            "fetch spans", QueryOptions(request_timeout_ms=20, deadline_seconds=0.2, poll_pause=0.02)
        )
    assert dt.calls(method="POST", path_contains="query:cancel")


def test_the_client_reports_verification_problems_one_based(dt: DynatraceEmulator, reader: str) -> None:
    verdict = _api(dt, reader).verify("fetch spans\n| filter ==")
    assert not verdict.valid
    assert verdict.problems()[0].startswith("line 2, column 10: ")


def test_the_client_raises_on_refusal_and_on_a_lost_result(dt: DynatraceEmulator, reader: str) -> None:
    nobody = dt.add_token(kind="platform", scopes=("settings:objects:read",))
    with pytest.raises(DynatraceApiError) as refused:
        _api(dt, nobody).execute("fetch spans")
    assert refused.value.status == 403
    dt.queries.query_duration = 0.1
    dt.queries.result_ttl = 0
    dt.before_request(lambda emu: emu.queries._queries.clear(), method="GET", path_contains="query:poll")
    with pytest.raises(QueryFailedError) as gone:
        _api(dt, reader).execute("fetch spans", QueryOptions(request_timeout_ms=0, poll_pause=0.01))
    assert gone.value.state == "RESULT_GONE"
