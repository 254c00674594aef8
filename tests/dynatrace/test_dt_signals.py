"""Davis anomaly detectors end to end: the real ``DynatraceSignals`` component, its generic
settings-object providers unpickled and driven like ``pulumi up``/``refresh``/``destroy``
(``dt_engine``) against the emulator's ``builtin:davis.anomaly-detectors`` schema."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests

from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import SignalsConfig
from components.dynatrace.scopes import PLATFORM, scopes_for
from components.dynatrace.signals import metrics
from components.dynatrace.signals.detectors import SCHEMA_ID, STATIC_ANALYZER, detector_specs
from tests.dynatrace.conftest import CANARY_SECRETS, Env
from tests.dynatrace.signals_stack import SignalsStack
from testsupport.dynatrace import emulator_detectors
from testsupport.dynatrace.emulator import PLATFORM_CLASSIC_PREFIX, SETTINGS_PATH, TOKEN_USER_ID, Faults

PLATFORM_SETTINGS = PLATFORM_CLASSIC_PREFIX + "/settings/objects"
PLATFORM_SCOPES = scopes_for(PLATFORM)
ALL_ALERTS = 9


def _detectors(env: Env) -> list[Any]:
    return env.dt.objects(SCHEMA_ID)


def _inputs(record: Any) -> dict[str, str]:
    return {i["key"]: i["value"] for i in record.value["analyzer"]["input"]}


def _foreign_detector() -> dict[str, Any]:
    [spec] = [s for s in detector_specs(SignalsConfig(), GovernanceConfig(), KongConfig()) if s.name == "llmLatency"]
    return {**spec.value, "title": "Team B latency alert"}


@pytest.fixture
def stack(env: Env) -> SignalsStack:
    return SignalsStack(env)


def test_create_reapply_update_and_destroy_touch_only_our_detectors(stack: SignalsStack, env: Env) -> None:
    foreign = env.dt.put_object(SCHEMA_ID, _foreign_detector())
    outputs = stack.up()
    ours = [d for d in _detectors(env) if d.object_id != foreign]
    assert len(ours) == ALL_ALERTS
    assert sorted(outputs["ids"].values()) == sorted(d.object_id for d in ours)
    assert all(d.external_id and d.external_id.startswith("ai-observability:ai-observability/test:") for d in ours)
    assert all(c.path.startswith((PLATFORM_SETTINGS, "/platform/document/")) for c in env.dt.writes())
    assert env.dt.writes(path_contains="/settings/")
    assert not env.dt.writes(path_contains="/api/v2/settings")

    env.dt.clear_log()
    stack.up()
    assert env.dt.writes() == []

    stack.up(alerts={"llmLatency": {"threshold": 12}})
    writes = env.dt.writes()
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in writes] == [("PUT", outputs["ids"]["llmLatency"])]
    latency = next(d for d in _detectors(env) if d.object_id == outputs["ids"]["llmLatency"])
    assert _inputs(latency)["threshold"] == "12"

    stack.engine.destroy()
    assert [d.object_id for d in _detectors(env)] == [foreign]


def test_kong_detector_only_when_kong_is_enabled_and_disabled_alerts_stay_visible(
    stack: SignalsStack, env: Env
) -> None:
    stack.kong = False
    stack.up(alerts={"tokenUsage": {"enabled": False}})
    titles = {d.value["title"]: d.value["enabled"] for d in _detectors(env)}
    assert len(titles) == ALL_ALERTS - 1
    assert not any("Kong" in t for t in titles)
    assert titles["Token usage spike ({dims:gen_ai.response.model})"] is False


def test_the_guardrail_detector_reaches_the_tenant_with_an_integer_query_offset(stack: SignalsStack, env: Env) -> None:
    """Numbers cross the engine as floats; the schema's queryOffset is an integer (1-60)."""
    outputs = stack.up()
    offset = env.dt.settings[outputs["ids"]["guardrailActivations"]].value["executionSettings"]["queryOffset"]
    assert offset == 10
    assert isinstance(offset, int)


def test_rerun_after_lost_state_adopts_instead_of_duplicating(stack: SignalsStack, env: Env) -> None:
    stack.up()
    stack.engine.state.clear()  # a crash between the API call and the state write
    stack.up()
    assert len(_detectors(env)) == ALL_ALERTS


def test_refresh_sees_a_manual_threshold_edit_and_up_restores_it(stack: SignalsStack, env: Env) -> None:
    outputs = stack.up()
    record = env.dt.settings[outputs["ids"]["nimQueue"]]
    for item in record.value["analyzer"]["input"]:
        if item["key"] == "threshold":
            item["value"] = "500"  # someone raised the threshold in the Anomaly Detection app
    stack.engine.refresh()
    env.dt.clear_log()
    stack.up()
    assert [c.method for c in env.dt.writes()] == ["PUT"]
    assert _inputs(env.dt.settings[outputs["ids"]["nimQueue"]])["threshold"] == "10"


def _actors(env: Env) -> set[str]:
    return {d.value["executionSettings"].get("actor") for d in _detectors(env)}


def test_a_tenant_that_fills_actor_sees_no_drift_and_no_write_on_reapply(stack: SignalsStack, env: Env) -> None:
    stack.up()
    assert _actors(env) == {TOKEN_USER_ID}  # the tenant filled in the caller
    before = {e.key: e.outs["value"] for e in stack.engine.state.values() if "schema_id" in e.outs}
    stack.engine.refresh()
    after = {e.key: e.outs["value"] for e in stack.engine.state.values() if "schema_id" in e.outs}
    assert after == before  # refresh shows no drift
    env.dt.clear_log()
    start = len(stack.engine.ops)
    stack.up()
    assert {op for op, _ in stack.engine.ops_since(start)} == {"same"}
    assert env.dt.writes() == []

    stack.engine.state.clear()  # lost state: every detector is adopted by its externalId
    stack.up()
    assert env.dt.writes(path_contains="/settings/") == []
    assert len(_detectors(env)) == ALL_ALERTS


def test_an_update_keeps_the_actor_the_tenant_filled_in(stack: SignalsStack, env: Env) -> None:
    outputs = stack.up()
    # The platform token is rotated to one of another user: the detectors must keep running as before.
    other_user = "0b1e5c1a-7f0e-4a47-9a55-2c9b3a1d2e01"
    stack.env = Env(
        env.dt, env.api_token, env.dt.add_token(kind="platform", scopes=PLATFORM_SCOPES, user_id=other_user)
    )
    env.dt.clear_log()
    stack.up(alerts={"nimQueue": {"threshold": 25}})
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in env.dt.writes()] == [("PUT", outputs["ids"]["nimQueue"])]
    record = env.dt.settings[outputs["ids"]["nimQueue"]]
    assert _inputs(record)["threshold"] == "25"
    assert record.value["executionSettings"]["actor"] == TOKEN_USER_ID
    assert _actors(env) == {TOKEN_USER_ID}


def test_the_emulator_fills_the_actor_with_the_caller_and_keeps_a_given_one(env: Env) -> None:
    other_user = "0b1e5c1a-7f0e-4a47-9a55-2c9b3a1d2e01"
    token = env.dt.add_token(kind="platform", scopes=PLATFORM_SCOPES, user_id=other_user)
    item = _valid_item()
    response = requests.post(
        env.url + PLATFORM_SETTINGS, json=[item], headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert response.status_code == 200
    filled = env.dt.settings[response.json()[0]["objectId"]]
    assert filled.value["executionSettings"] == {"actor": other_user}
    item["value"]["executionSettings"] = {"actor": TOKEN_USER_ID}
    assert _post(env, item).status_code == 200
    assert {tuple(sorted(d.value["executionSettings"].items())) for d in _detectors(env)} == {
        (("actor", other_user),),
        (("actor", TOKEN_USER_ID),),
    }


def test_one_in_three_overloaded_answers_still_converge(stack: SignalsStack, env: Env) -> None:
    env.dt.faults = Faults(fail_ratio=1 / 3, statuses=(503,), retry_after="0", seed=7)
    stack.up()
    assert len(_detectors(env)) == ALL_ALERTS
    env.dt.clear_log()
    stack.up()
    assert [c for c in env.dt.writes() if not c.injected] == []
    stack.up(alerts={"forwarding": {"slidingWindow": 30, "violatingSamples": 30}})
    stack.engine.destroy()
    assert _detectors(env) == []
    assert Counter(c.status for c in env.dt.calls(injected=True))[503] > 0


def test_no_token_text_in_logs_or_state(stack: SignalsStack, env: Env, all_logs: pytest.LogCaptureFixture) -> None:
    stack.up()
    text = all_logs.text + json.dumps([e.outs for e in stack.engine.state.values()], default=str)
    state_text = text.replace(env.platform_token, "")  # the engine keeps the token as a secret input
    for secret in CANARY_SECRETS:
        assert secret not in all_logs.text
        assert secret not in state_text


# --- the emulator's schema rules -----------------------------------------------------------------


def _post(env: Env, item: dict[str, Any], *, classic: bool = False) -> requests.Response:
    if classic:
        url, auth = env.url + SETTINGS_PATH, f"Api-Token {env.api_token}"
    else:
        url, auth = env.url + PLATFORM_SETTINGS, f"Bearer {env.platform_token}"
    return requests.post(url, json=[item], headers={"Authorization": auth}, timeout=5)


def _valid_item() -> dict[str, Any]:
    [spec] = [s for s in detector_specs(SignalsConfig(), GovernanceConfig(), KongConfig()) if s.name == "nimQueue"]
    return {"schemaId": SCHEMA_ID, "scope": "environment", "value": spec.value}


def test_emulator_accepts_a_generated_detector_and_refuses_api_token_writes(env: Env) -> None:
    assert _post(env, _valid_item()).status_code == 200
    refused = _post(env, _valid_item(), classic=True)
    assert refused.status_code == 400
    assert emulator_detectors.OAUTH_REQUIRED_MESSAGE in refused.text


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda v: v.pop("title"), "title"),
        (lambda v: v["analyzer"].update(name="dt.statistics.ui.anomaly_detection.Magic"), "analyzer.name"),
        (lambda v: v["analyzer"]["input"].pop(0), "analyzer.input.alertCondition"),
        (lambda v: v["eventTemplate"]["properties"].pop(0), "eventTemplate.properties"),
        (lambda v: v.update(extra=1), "extra"),
    ],
    ids=["no-title", "unknown-analyzer", "no-alert-condition", "no-event-type", "unknown-field"],
)
def test_emulator_rejects_invalid_detectors(env: Env, edit: Callable[[dict[str, Any]], Any], path: str) -> None:
    item = _valid_item()
    edit(item["value"])
    response = _post(env, item)
    assert response.status_code == 400
    assert path in response.text


# --- generated detectors (what they read is checked against the producers in tests/lineage) -----


def test_every_generated_detector_is_valid_and_sets_no_timeframe() -> None:
    specs = detector_specs(SignalsConfig(), GovernanceConfig(), KongConfig(enabled=True))
    assert len(specs) == ALL_ALERTS
    for spec in specs:
        query = next(i["value"] for i in spec.value["analyzer"]["input"] if i["key"] == "query")
        assert not re.search(r"\b(from|to)\s*:", query)
        assert emulator_detectors.problems(spec.value) == [], spec.name
    assert {s.value["analyzer"]["name"] for s in specs} <= emulator_detectors.ANALYZERS
    assert any(s.value["analyzer"]["name"] == STATIC_ANALYZER for s in specs)


def test_only_the_cloudwatch_fed_detector_waits_for_late_metrics() -> None:
    specs = {s.name: s.value for s in detector_specs(SignalsConfig(), GovernanceConfig(), KongConfig(enabled=True))}
    offsets = {name: value["executionSettings"].get("queryOffset") for name, value in specs.items()}
    assert offsets.pop("guardrailActivations") == 10
    assert set(offsets.values()) == {None}
    custom = SignalsConfig.model_validate({"alerts": {"guardrailActivations": {"queryOffset": 30}}})
    [guardrail] = [
        s for s in detector_specs(custom, GovernanceConfig(), KongConfig()) if s.name == "guardrailActivations"
    ]
    assert guardrail.value["executionSettings"] == {"queryOffset": 30}
    assert emulator_detectors.problems({**guardrail.value, "executionSettings": {"queryOffset": 61}})


def test_dql_builders_refuse_undeclared_metrics_and_dimensions() -> None:
    from components.dynatrace.signals import dql

    made_up = metrics.Metric("made.up.metric", "gauge", "1", metrics.OPENLLMETRY)
    with pytest.raises(ValueError, match="not declared"):
        dql.timeseries("x", made_up, "max")
    with pytest.raises(ValueError, match=r"dimension 'gen_ai\.guardrail' is not declared"):
        dql.timeseries("x", metrics.GENAI_TOKEN_USAGE, "sum", by=[metrics.GENAI_GUARDRAIL])
    with pytest.raises(ValueError, match="not declared for spans"):
        dql.genai_error_rate(by=[metrics.FIELD_PROBE])
