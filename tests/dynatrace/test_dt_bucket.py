"""GrailBucket provider, called directly: validation, create/adopt/wait, optimistic-locking
updates, precise diffs, refresh and delete."""

from __future__ import annotations

import time
from typing import Any

import pytest

from components.dynatrace import DynatraceApiError, DynatraceConflictError, GrailBucketProvider
from tests.dynatrace.conftest import FAST, Env
from testsupport.dynatrace.emulator import BUCKETS_PATH, DynatraceEmulator

P = GrailBucketProvider()


def _create(env: Env, **props: Any) -> tuple[str, dict[str, Any]]:
    checked = P.check({}, env.bucket_props(**props))
    assert checked.failures == []
    result = P.create(checked.inputs)
    assert result.outs is not None
    return result.id, result.outs


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("bucket_name", "ab", "3-100 characters"),
        ("bucket_name", "1abc", "starting with a letter"),
        ("bucket_name", "Upper_case", "3-100 characters"),
        ("bucket_name", "dt_audit", "reserved by Dynatrace"),
        ("bucket_name", "default_audit", "reserved by Dynatrace"),
        ("table", "metrics", "Input should be"),
        ("retention_days", 0, "greater than or equal to 1"),
        ("retention_days", 3658, "less than or equal to 3657"),
        ("display_name", "x" * 201, "at most 200 characters"),
        ("platform_url", "http://tenant.example.com", "https://"),
        ("platform_token", "  ", "non-empty token"),
    ],
)
def test_check_enforces_the_api_rules_before_any_call(env: Env, field: str, value: Any, reason: str) -> None:
    result = P.check({}, env.bucket_props(**{field: value}))
    assert [f.property for f in result.failures] == [field]
    assert reason in result.failures[0].reason
    assert env.dt.calls() == []
    assert "CANARY" not in result.failures[0].reason


def test_check_normalises_wire_floats(env: Env) -> None:
    result = P.check({}, env.bucket_props(retention_days=1825.0))
    assert result.failures == []
    assert result.inputs["retention_days"] == 1825
    assert isinstance(result.inputs["retention_days"], int)


def test_create_waits_until_active_through_the_404_lag(env: Env) -> None:
    started = time.monotonic()
    bucket_id, outs = _create(env)
    elapsed = time.monotonic() - started
    assert bucket_id == "gen_ai_events"
    assert outs["status"] == "active"
    statuses = [c.status for c in env.dt.calls(method="GET")]
    assert 404 in statuses
    assert statuses[-1] == 200
    assert elapsed >= env.dt.timing.bucket_activation_delay
    assert env.dt.bucket("gen_ai_events")["status"] == "active"


def test_bucket_create_convergence_ratio_to_activation_delay(env: Env) -> None:
    """Measured for the report: how close to the activation delay does create return?"""
    env.dt.timing.bucket_activation_delay = 0.3
    env.dt.timing.bucket_visibility_lag = 0.3
    started = time.monotonic()
    _create(env)
    ratio = (time.monotonic() - started) / 0.3
    gets = len(env.dt.calls(method="GET"))
    print(f"\nbucket create: {ratio:.2f} x activation delay (0.3 s), {gets} GET polls")
    assert 1.0 <= ratio <= 1.8  # bounded backoff, no fixed sleep, no 10x "active" confirmation


def test_existing_bucket_with_same_table_is_adopted_and_reconciled(env: Env) -> None:
    env.dt.put_bucket("gen_ai_events", table="bizevents", retention_days=35)
    _, outs = _create(env, retention_days=1825)
    assert outs["adopted"] is True
    assert outs["retention_days"] == 1825
    assert [(c.method, c.status) for c in env.dt.writes()] == [("POST", 409), ("PATCH", 200)]


def test_existing_bucket_with_another_table_fails_clearly(env: Env) -> None:
    env.dt.put_bucket("gen_ai_events", table="logs")
    with pytest.raises(DynatraceConflictError, match="already exists with table 'logs', not 'bizevents'"):
        _create(env)
    assert env.dt.bucket("gen_ai_events")["table"] == "logs"  # untouched


def test_create_waits_for_a_bucket_of_that_name_being_deleted(env: Env) -> None:
    env.dt.timing.bucket_delete_delay = 0.2
    _create(env)
    P.delete("gen_ai_events", env.bucket_props())
    _, outs = _create(env, retention_days=90)  # e.g. a table change: delete-before-replace
    assert outs["adopted"] is False
    assert env.dt.bucket("gen_ai_events")["retentionDays"] == 90


def test_update_without_changes_writes_nothing(env: Env) -> None:
    _, outs = _create(env)
    env.dt.clear_log()
    result = P.update("gen_ai_events", outs, P.check({}, env.bucket_props(display_name=None)).inputs)
    assert env.dt.writes() == []
    assert result.outs is not None
    assert result.outs["retention_days"] == 1825


def test_update_with_only_connection_changes_calls_nothing(env: Env) -> None:
    _, outs = _create(env)
    new_token = env.dt.add_token(kind="platform", scopes=("storage:bucket-definitions:read",))
    news = P.check({}, env.bucket_props(platform_token=new_token)).inputs
    diff = P.diff("gen_ai_events", outs, news)
    assert diff.changes is True
    assert diff.replaces == []
    env.dt.clear_log()
    result = P.update("gen_ai_events", outs, news)
    assert env.dt.calls() == []
    assert result.outs is not None
    assert result.outs["platform_token"] == new_token


def test_retention_change_is_one_patch_with_optimistic_locking(env: Env) -> None:
    _, outs = _create(env)
    env.dt.clear_log()
    result = P.update("gen_ai_events", outs, P.check({}, env.bucket_props(retention_days=400)).inputs)
    assert result.outs is not None
    assert result.outs["retention_days"] == 400
    assert result.outs["version"] == 2
    [patch] = env.dt.writes()
    assert patch.method == "PATCH"
    assert "optimistic-locking-version=1" in patch.query


def test_version_conflict_is_re_read_and_retried(env: Env) -> None:
    _, outs = _create(env)

    def someone_else_renames(dt: DynatraceEmulator) -> None:
        record = dt.buckets["gen_ai_events"]
        record.display_name, record.version = "renamed by a colleague", record.version + 1

    env.dt.before_request(someone_else_renames, method="PATCH", path_contains=BUCKETS_PATH)
    env.dt.clear_log()
    P.update("gen_ai_events", outs, P.check({}, env.bucket_props(retention_days=400)).inputs)
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PATCH", 409), ("PATCH", 200)]
    bucket = env.dt.bucket("gen_ai_events")
    assert bucket["retentionDays"] == 400
    assert bucket["displayName"] == "GenAI"


def test_update_waits_while_the_bucket_is_updating(env: Env) -> None:
    env.dt.timing.bucket_update_delay = 0.15
    _, outs = _create(env)
    P.update("gen_ai_events", outs, P.check({}, env.bucket_props(retention_days=400)).inputs)
    P.update("gen_ai_events", outs, P.check({}, env.bucket_props(retention_days=500)).inputs)
    assert env.dt.bucket("gen_ai_events")["retentionDays"] == 500
    assert all(c.status != 409 for c in env.dt.writes())  # waited instead of colliding


def test_diff_is_precise(env: Env) -> None:
    _, outs = _create(env)
    wire_outs = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in outs.items()}
    same = P.check({}, env.bucket_props()).inputs
    assert P.diff("gen_ai_events", wire_outs, same).changes is False
    assert P.diff("gen_ai_events", outs, {**same, "display_name": None}).changes is False  # unmanaged: no diff
    retention = P.diff("gen_ai_events", outs, {**same, "retention_days": 30})
    assert retention.changes is True
    assert retention.replaces == []
    rename = P.diff("gen_ai_events", outs, {**same, "bucket_name": "gen_ai_events_v2"})
    assert rename.replaces == ["bucket_name"]
    assert rename.delete_before_replace is False
    table = P.diff("gen_ai_events", outs, {**same, "table": "logs"})
    assert table.replaces == ["table"]
    assert table.delete_before_replace is True
    assert P.diff("gen_ai_events", outs, {**same, "client": FAST.to_props()}).changes is False


def test_read_reports_drift_and_deletion(env: Env) -> None:
    _, outs = _create(env)
    env.dt.buckets["gen_ai_events"].retention_days = 10  # changed in the UI
    result = P.read("gen_ai_events", outs)
    assert result.id == "gen_ai_events"
    assert result.outs is not None
    assert result.outs["retention_days"] == 10
    assert P.diff("gen_ai_events", result.outs, P.check({}, env.bucket_props()).inputs).changes is True
    P.delete("gen_ai_events", outs)
    gone = P.read("gen_ai_events", outs)  # deleting, then 404
    assert gone.id is None
    assert gone.outs == {}


def test_delete_treats_404_as_done_and_refuses_a_referenced_bucket(env: Env) -> None:
    P.delete("never_existed", env.bucket_props(bucket_name="never_existed"))
    assert [c.status for c in env.dt.calls(method="DELETE")] == [404]
    _, outs = _create(env)
    env.dt.put_object(
        "builtin:openpipeline.bizevents.pipelines",
        {
            "customId": "someone-elses",
            "displayName": "x",
            "storage": {
                "processors": [
                    {
                        "type": "bucketAssignment",
                        "id": "keep",
                        "description": "keep",
                        "enabled": True,
                        "matcher": "true",
                        "bucketAssignment": {"bucketName": "gen_ai_events"},
                    }
                ]
            },
        },
    )
    with pytest.raises(DynatraceApiError, match="still used by pipeline"):
        P.delete("gen_ai_events", outs)
