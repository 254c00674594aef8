"""The scenarios verify exists for, each against the dev stack deployed into the emulator by the stack's
own wiring: what breaks without anyone noticing, and what verify says about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.dynatrace.signals.dashboards import dashboard_specs
from components.dynatrace.signals.detectors import SCHEMA_ID as DETECTOR_SCHEMA
from components.dynatrace.signals.detectors import detector_specs
from tests.verify.conftest import INSTANT, Verifier
from testsupport.dynatrace.deployed_stack import deploy, seed_signals
from testsupport.dynatrace.emulator import DynatraceEmulator, Faults
from testsupport.dynatrace.emulator_grail import EXECUTE_PATH


def test_all_green(verify: Verifier) -> None:
    seed_signals(verify.deployed)
    outcome = verify()
    assert outcome.code == 0, outcome.stdout
    report = outcome.report
    assert (report["result"], report["exitCode"], report["schemaVersion"]) == ("pass", 0, 1)
    assert {s["name"]: s["status"] for s in report["sections"]} == {
        "governance": "pass",
        "probe": "pass",
        "signals": "pass",
    }
    probe = outcome.check("probe")
    assert probe["state"] == "found"
    assert probe["details"]["bucket"] == "gen_ai_events"
    assert probe["details"]["latencySeconds"] >= 0
    signals = [c for s in report["sections"] if s["name"] == "signals" for c in s["checks"]]
    config = verify.deployed.config
    detectors = detector_specs(config.signals, config.governance, config.kong)
    tiles = [
        q
        for d in dashboard_specs(config.signals.dashboards, config.governance, config.kong)
        for q in d.dashboard.queries()
    ]
    assert len(signals) == len(detectors) + len(tiles)  # every detector and every data tile
    assert {c["state"] for c in signals} == {"live"}
    assert report["bytesScanned"] > 0
    assert all(c["details"]["bytesScanned"] >= 0 for c in signals if "bytesScanned" in c["details"])


def test_verify_writes_nothing_but_the_probe(verify: Verifier) -> None:
    verify.deployed.dt.clear_log()
    assert verify().code in (0, 1)
    writes = [
        (r.method, r.path)
        for r in verify.deployed.dt.writes()
        if not r.path.startswith("/platform/storage/query/v1/")  # queries are reads sent with POST
    ]
    assert writes == [("POST", "/api/v2/bizevents/ingest")]


def test_route_moved_to_second_place_is_found_by_the_probe_in_the_default_bucket(verify: Verifier) -> None:
    dt = verify.deployed.dt
    # Another team puts its catch-all route in front of ours in the OpenPipeline UI.
    catch_all = {
        "enabled": True,
        "pipelineType": "builtin",
        "builtinPipelineId": "default",
        "matcher": "true",
        "description": "team-x: everything else",
    }
    dt.edit_routing(lambda entries: [catch_all, *entries])
    outcome = verify()
    assert outcome.code == 1
    route = outcome.check("route")
    assert route["status"] == "fail"
    assert "at position 1, not 0" in route["summary"]
    assert route["details"]["ahead"] == [
        {"position": 0, "description": "team-x: everything else", "matcher": "true", "enabled": True}
    ]
    probe = outcome.check("probe")
    assert (probe["status"], probe["state"]) == ("fail", "misrouted")
    assert probe["details"]["bucket"] == "default_bizevents"
    assert "route not first or matcher wrong" in probe["summary"]


def test_ingest_token_revoked(verify: Verifier) -> None:
    dt = verify.deployed.dt
    token_id = verify.deployed.outputs["dynatraceIngestTokenId"]
    dt.tokens.pop(verify.deployed.ingest_token)  # revoked in the Access tokens page
    outcome = verify()
    assert outcome.code == 1
    token = outcome.check("ingest-token")
    assert (token["status"], token["state"]) == ("fail", "missing")
    assert token["details"]["tokenId"]  # redacted in the text, but present
    assert token_id not in outcome.stdout  # token ids are masked like tokens
    probe = outcome.check("probe")
    assert (probe["status"], probe["state"]) == ("fail", "token-refused")
    assert "HTTP 401" in probe["summary"]


def _set_days_left(verify: Verifier, days: float) -> None:
    dt = verify.deployed.dt
    record = dt.tokens[verify.deployed.ingest_token]
    record.expires_at = dt.wall_time() + days * 86400


def test_token_five_days_from_expiry_means_the_weekly_rotation_did_not_happen(verify: Verifier) -> None:
    _set_days_left(verify, 5)
    outcome = verify()
    assert outcome.code == 1
    token = outcome.check("ingest-token")
    assert token["status"] == "fail"
    assert "rotation is overdue" in token["summary"]
    assert "weekly deploy" in token["hint"]
    assert token["details"]["rotationWindowDays"] == 30  # dev: 90-day tokens, default 30-day window
    assert 4.9 < token["details"]["daysLeft"] <= 5
    assert outcome.check("probe")["status"] == "pass"  # the token still works


def test_token_inside_its_rotation_window_warns_and_fails_only_when_strict(verify: Verifier) -> None:
    _set_days_left(verify, 26)
    seed_signals(verify.deployed)
    outcome = verify()
    assert outcome.code == 0
    token = outcome.check("ingest-token")
    assert token["status"] == "warn"
    assert "next `pulumi up` rotates it" in token["hint"]
    strict = verify("--strict")
    assert strict.code == 1
    assert strict.report["result"] == "fail"


def test_bucket_deleted(verify: Verifier) -> None:
    dt = verify.deployed.dt
    with dt._lock:  # gone, as after a delete by someone with storage:bucket-definitions:delete
        del dt.buckets["gen_ai_events"]
    outcome = verify.with_settings(probe_timeout_seconds=0.3)()
    assert outcome.code == 1
    bucket = outcome.check("bucket")
    assert (bucket["status"], bucket["state"]) == ("fail", "missing")
    assert "gen_ai_events does not exist" in bucket["summary"]
    probe = outcome.check("probe")
    assert (probe["status"], probe["state"]) == ("fail", "not-found")


def test_detector_disabled_in_the_ui(verify: Verifier) -> None:
    dt = verify.deployed.dt
    [latency] = [o for o in dt.objects(DETECTOR_SCHEMA) if o.value["title"].startswith("LLM p95 latency")]
    latency.value["enabled"] = False
    outcome = verify()
    assert outcome.code == 1
    check = outcome.check("detector:llmLatency")
    assert (check["status"], check["state"]) == ("fail", "disabled")
    assert "cannot alert" in check["summary"]
    assert outcome.check("detector:llmErrorRate")["status"] == "pass"


def test_dashboard_tile_with_a_dql_syntax_error(verify: Verifier) -> None:
    dt = verify.deployed.dt
    doc_id = verify.deployed.outputs["signalsDashboardIds"]["governanceAudit"]
    content = json.loads(dt.documents.documents[doc_id].content)
    content["tiles"]["2"]["query"] = "fetch bizevents\n| filter event.type ==\n| summarize count()"
    dt.documents.edit(doc_id, content=json.dumps(content).encode())
    outcome = verify()
    assert outcome.code == 1
    tile = outcome.check("signal:tile:governanceAudit/2")
    assert (tile["status"], tile["state"]) == ("fail", "invalid-query")
    assert tile["summary"].startswith("DQL error: line 3, column 1:")
    assert outcome.check("signal:tile:governanceAudit/1")["state"] in ("live", "silent")


def test_silent_signals_name_their_causes_and_switched_off_producers_are_expected(
    dt: DynatraceEmulator, tmp_path: Path
) -> None:
    deployed = deploy(
        dt,
        "dev",
        overrides={
            "ai-observability:kong": {"enabled": False},
            "ai-observability:telemetry": {"dcgmExporter": {"enabled": True}, "bedrockMetrics": {"enabled": False}},
        },
    )
    deployed.write_stack_file(tmp_path)
    verify = Verifier(deployed, tmp_path)
    outcome = verify("--stack-dir", str(tmp_path), "--only", "signals")
    assert outcome.code == 0  # silence is a warning
    states = {c["id"]: (c["state"], c) for s in outcome.report["sections"] for c in s["checks"]}
    error_rate = states["signal:detector:llmErrorRate"][1]
    assert error_rate["state"] == "silent"
    assert "apps instrumented with OpenLLMetry" in error_rate["hint"]
    assert "docs/collector.md" in error_rate["hint"]
    assert "no data with gen_ai.provider.name, gen_ai.system from OpenLLMetry" in error_rate["hint"]
    [evaluations] = [c for _, c in states.values() if c["title"].endswith("Guardrail evaluations per guardrail")]
    assert evaluations["state"] == "silent-expected"  # CloudWatch only, and CloudWatch metrics are off
    assert "ai-observability:telemetry.bedrockMetrics.enabled" in evaluations["summary"]
    assert evaluations["status"] == "pass"
    guardrail = states["signal:detector:guardrailActivations"][1]  # CloudWatch or the apps' OpenLLMetry
    assert guardrail["state"] == "silent"
    assert "bedrockMetrics.enabled" in guardrail["summary"]
    assert "gen_ai.bedrock.guardrail.activation from OpenLLMetry" in guardrail["hint"]
    assert not any(key.startswith("signal:detector:kongLatency") for key in states)  # Kong off: no detector
    nim = states["signal:detector:nimQueue"][1]
    assert nim["state"] == "silent"
    assert "NIM" in nim["hint"]
    forwarding = states["signal:detector:forwarding"][1]
    assert forwarding["state"] == "silent"
    assert "dead-letter queue" in forwarding["hint"]
    strict = verify("--stack-dir", str(tmp_path), "--only", "signals", "--strict")
    assert strict.code == 1


def test_one_in_three_requests_answered_503(verify: Verifier) -> None:
    seed_signals(verify.deployed)
    dt = verify.deployed.dt
    dt.clear_log()
    dt.faults = Faults(fail_ratio=1 / 3, statuses=(503,), retry_after="0", seed=7)
    outcome = verify()
    assert outcome.code == 0, outcome.stdout
    injected = dt.calls(injected=True)
    assert len(injected) >= 10
    assert {r.status for r in injected} == {503}
    assert any(r.path == EXECUTE_PATH for r in injected)  # query starts were retried too
    assert outcome.check("probe")["state"] == "found"


def test_ingest_lag_is_reported_as_the_probe_latency(verify: Verifier) -> None:
    verify.deployed.dt.grail.ingest_lag = 0.25
    outcome = verify("--only", "probe")
    probe = outcome.check("probe")
    assert probe["state"] == "found"
    assert probe["details"]["latencySeconds"] >= 0.25
    assert probe["details"]["attempts"] >= 2


def test_only_selects_sections_and_sends_no_probe_without_it(verify: Verifier) -> None:
    dt = verify.deployed.dt
    dt.clear_log()
    outcome = verify("--only", "governance")
    assert [s["name"] for s in outcome.report["sections"]] == ["governance"]
    assert not dt.calls(path_contains="/bizevents/ingest")
    assert not dt.calls(path_contains="/platform/storage/query/")


def test_long_running_queries_are_polled_with_the_request_token(verify: Verifier) -> None:
    seed_signals(verify.deployed)
    dt = verify.deployed.dt
    dt.queries.query_duration = 0.1  # each query runs longer than verify holds a request open
    dt.clear_log()
    outcome = verify.with_settings(query_request_timeout_ms=20)("--only", "probe")
    assert outcome.code == 0, outcome.stdout
    polls = dt.calls(method="GET", path_contains="query:poll")
    assert polls
    assert all("request-token=" in r.query for r in polls)


@pytest.mark.parametrize("with_json", [True, False])
def test_no_secret_in_any_output_even_when_the_server_echoes_credentials(
    verify: Verifier, with_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    dt = verify.deployed.dt
    dt.faults = Faults(echo_credentials=True)
    dt.tokens.pop(verify.deployed.ingest_token)  # 401s that quote the Authorization header
    dt.tokens[verify.deployed.platform_token].scopes = frozenset({"settings:objects:read"})  # 403s likewise
    outcome = verify(as_json=with_json)
    text = outcome.stdout + outcome.stderr
    for secret in (verify.deployed.api_token, verify.deployed.platform_token, verify.deployed.ingest_token):
        assert secret.split(".", 2)[2] not in text
    assert outcome.code == 1


def test_a_second_environment_deploys_and_verifies_like_the_first(tmp_path: Path) -> None:
    with DynatraceEmulator(timing=INSTANT) as dt:
        deployed = deploy(dt, "prod")
        seed_signals(deployed)
        outcome = Verifier(deployed, tmp_path)()
    assert outcome.code == 0, outcome.stdout
    assert outcome.report["stack"] == "prod"


def test_objects_of_shapes_the_apis_do_not_document_fail_their_checks_without_a_traceback(verify: Verifier) -> None:
    """Someone (or a newer tenant) stored shapes verify does not expect: each check fails, the run ends."""
    dt = verify.deployed.dt
    [pipeline] = dt.pipelines()
    pipeline.value["storage"] = ["not", "an", "object"]
    [latency] = [o for o in dt.objects(DETECTOR_SCHEMA) if o.value["title"].startswith("LLM p95 latency")]
    latency.value["analyzer"] = ["no", "inputs"]
    doc_id = verify.deployed.outputs["signalsDashboardIds"]["llmServices"]
    dt.documents.edit(doc_id, content=json.dumps({"variables": 7, "tiles": {"0": {"type": "data"}}}).encode())
    outcome = verify()
    assert outcome.code == 1
    assert "assigns nothing to bucket gen_ai_events" in outcome.check("pipeline")["summary"]
    assert outcome.check("signal:detector:llmLatency")["state"] == "missing"
    assert outcome.check("signal:tile:llmServices/0")["state"] == "invalid-query"
    assert "Traceback" not in outcome.stderr


def test_the_probe_never_makes_the_forwarding_alert_or_the_audit_dashboard_look_alive(verify: Verifier) -> None:
    assert verify("--only", "probe").check("probe")["state"] == "found"  # a probe event is in the bucket now
    outcome = verify("--only", "signals")
    assert outcome.check("signal:detector:forwarding")["state"] == "silent"
    governance_tiles = [
        c for s in outcome.report["sections"] for c in s["checks"] if c["id"].startswith("signal:tile:governanceAudit/")
    ]
    assert governance_tiles
    assert {c["state"] for c in governance_tiles} == {"silent"}
