"""OpenPipelineRoute provider, called directly: one owned entry in a shared routing table."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from components.dynatrace import DynatraceApiError, OpenPipelineRouteProvider
from components.dynatrace._provider import parse
from components.dynatrace.models import RoutingEntry
from components.dynatrace.route import OUTPUTS_ONLY, RouteInputs, our_entry, place
from tests.dynatrace.conftest import Env
from testsupport.dynatrace.emulator import ROUTING_SCHEMA

P = OpenPipelineRouteProvider()
OURS = "AI Event Routing"


def _foreign(description: str, matcher: str = "true") -> dict[str, Any]:
    return {
        "enabled": True,
        "pipelineType": "builtin",
        "builtinPipelineId": "default",
        "matcher": matcher,
        "description": description,
    }


@pytest.fixture
def pipeline_id(env: Env) -> str:
    return env.dt.put_pipeline("ai-data-governance")


def _create(env: Env, pipeline_id: str, **props: Any) -> dict[str, Any]:
    checked = P.check({}, env.route_props(pipeline_id, **props))
    assert checked.failures == []
    result = P.create(checked.inputs)
    assert result.id == props.get("description", OURS)
    assert result.outs is not None
    return result.outs


def _descriptions(env: Env) -> list[str]:
    return [e["description"] for e in env.dt.routing_entries()]


def test_check_rules(env: Env, pipeline_id: str) -> None:
    for field, value in (("description", " "), ("matcher", ""), ("position", 3000), ("position", -1)):
        failures = P.check({}, env.route_props(pipeline_id, **{field: value})).failures
        assert [f.property for f in failures] == [field]
    assert env.dt.calls() == []


@pytest.mark.parametrize("description", ["x" * 513, "DT.ai-route", "Dynatrace.ai-route", "dT.ai-route"])
def test_check_rejects_what_the_routing_schema_rejects(env: Env, pipeline_id: str, description: str) -> None:
    failures = P.check({}, env.route_props(pipeline_id, description=description)).failures
    assert [f.property for f in failures] == ["description"]
    assert env.dt.calls() == []


def test_the_wire_model_enforces_the_same_limits(pipeline_id: str) -> None:
    entry = {"pipeline_id": pipeline_id, "matcher": "true"}
    for description in ("x" * 513, "DynaTrace.ai-route"):
        with pytest.raises(ValidationError):
            RoutingEntry(description=description, **entry)
    assert RoutingEntry(description="x" * 512, **entry).body()["description"] == "x" * 512


def test_longest_allowed_description_round_trips(env: Env, pipeline_id: str) -> None:
    _create(env, pipeline_id, description="r" * 512)
    assert _descriptions(env) == ["r" * 512]


def test_foreign_entries_with_other_builtin_pipelines_survive(env: Env, pipeline_id: str) -> None:
    other = {**_foreign("team-x"), "builtinPipelineId": "bizevents-team-x-builtin"}
    env.dt.set_routing([other])
    _create(env, pipeline_id)
    assert env.dt.routing_entries()[1] == other


def test_merge_keeps_entry_fields_the_tenant_returns_but_we_never_sent(env: Env, pipeline_id: str) -> None:
    # Schema 1.69 has no such field (the emulator rejects it); a newer schema version may add one.
    inputs = parse(RouteInputs, P.check({}, env.route_props(pipeline_id)).inputs, OUTPUTS_ONLY)
    live = [{**our_entry(inputs), "matcher": "false", "futureFlag": {"x": 1}}, _foreign("team-a")]
    merged = place(live, inputs)
    assert merged[0] == {**our_entry(inputs), "futureFlag": {"x": 1}}
    assert merged[1] == _foreign("team-a")


def test_creates_the_routing_object_when_none_exists(env: Env, pipeline_id: str) -> None:
    outs = _create(env, pipeline_id)
    assert _descriptions(env) == [OURS]
    assert outs["routing_object_id"] == env.dt.routing().object_id  # type: ignore[union-attr]
    assert [c.method for c in env.dt.writes()] == ["POST"]


def test_foreign_entries_survive_in_order_with_ours_first(env: Env, pipeline_id: str) -> None:
    env.dt.set_routing([_foreign("team-a"), _foreign("team-b", 'matchesValue(event.type,"b")'), _foreign("catch-all")])
    before = env.dt.routing_entries()
    _create(env, pipeline_id)
    after = env.dt.routing_entries()
    assert [e["description"] for e in after] == [OURS, "team-a", "team-b", "catch-all"]
    assert after[1:] == before  # byte-for-byte untouched
    assert after[0] == {
        "enabled": True,
        "pipelineType": "custom",
        "pipelineId": pipeline_id,
        "matcher": 'matchesValue(event.type,"gen_ai.auditing")',
        "description": OURS,
    }
    [put] = env.dt.writes()
    assert put.method == "PUT"


def test_configurable_position_is_clamped_to_the_end(env: Env, pipeline_id: str) -> None:
    env.dt.set_routing([_foreign("a"), _foreign("b")])
    _create(env, pipeline_id, position=1)
    assert _descriptions(env) == ["a", OURS, "b"]
    P.update(OURS, {}, P.check({}, env.route_props(pipeline_id, position=50)).inputs)
    assert _descriptions(env) == ["a", "b", OURS]


def test_re_create_of_an_identical_entry_writes_nothing(env: Env, pipeline_id: str) -> None:
    env.dt.set_routing([_foreign("team-a")])
    _create(env, pipeline_id)
    env.dt.clear_log()
    _create(env, pipeline_id)  # e.g. a create whose response was lost
    assert env.dt.writes() == []
    assert _descriptions(env) == [OURS, "team-a"]


def test_concurrent_foreign_edit_is_retried_and_both_edits_survive(env: Env, pipeline_id: str) -> None:
    env.dt.set_routing([_foreign("team-a")])
    env.dt.concurrent_routing_edit(lambda entries: [*entries, _foreign("added-meanwhile")])
    _create(env, pipeline_id)
    assert _descriptions(env) == [OURS, "team-a", "added-meanwhile"]
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PUT", 409), ("PUT", 200)]


def test_read_reports_missing_changed_and_moved(env: Env, pipeline_id: str) -> None:
    env.dt.set_routing([_foreign("team-a")])
    outs = _create(env, pipeline_id)
    same = P.check({}, env.route_props(pipeline_id)).inputs

    fresh = P.read(OURS, outs)
    assert fresh.id == OURS
    assert fresh.outs is not None
    assert P.diff(OURS, fresh.outs, same).changes is False

    env.dt.edit_routing(lambda e: [*e[1:], e[0]])  # someone moved us to the end
    moved = P.read(OURS, outs)
    assert moved.outs is not None
    assert moved.outs["position"] == 1
    assert P.diff(OURS, moved.outs, same).changes is True

    env.dt.edit_routing(lambda e: [{**x, "matcher": "true"} if x["description"] == OURS else x for x in e])
    changed = P.read(OURS, outs)
    assert changed.outs is not None
    assert changed.outs["matcher"] == "true"
    P.update(OURS, changed.outs, same)
    assert _descriptions(env) == [OURS, "team-a"]
    assert env.dt.routing_entries()[0]["matcher"] == 'matchesValue(event.type,"gen_ai.auditing")'

    env.dt.edit_routing(lambda e: [x for x in e if x["description"] != OURS])
    gone = P.read(OURS, outs)
    assert gone.id is None
    assert gone.outs == {}


def test_diff_replaces_only_on_description(env: Env, pipeline_id: str) -> None:
    outs = _create(env, pipeline_id)
    same = P.check({}, env.route_props(pipeline_id)).inputs
    assert P.diff(OURS, outs, {**same, "pipeline_id": "other"}).replaces == []
    assert P.diff(OURS, outs, {**same, "enabled": False}).replaces == []
    assert P.diff(OURS, outs, {**same, "description": "Renamed"}).replaces == ["description"]


def test_delete_removes_only_our_entry(env: Env, pipeline_id: str) -> None:
    env.dt.set_routing([_foreign("team-a"), _foreign("team-b")])
    outs = _create(env, pipeline_id, position=1)
    P.delete(OURS, outs)
    assert _descriptions(env) == ["team-a", "team-b"]
    env.dt.clear_log()
    P.delete(OURS, outs)  # already gone: no write
    assert env.dt.writes() == []
    assert len(env.dt.objects(ROUTING_SCHEMA)) == 1  # the routing object itself stays


def test_an_entry_pointing_at_a_missing_pipeline_is_rejected(env: Env) -> None:
    with pytest.raises(DynatraceApiError, match="does not exist"):
        _create(env, "no-such-pipeline")
