"""OpenPipelinePipeline provider, called directly: idempotent create through externalId, waiting
out a propagating bucket, merge-preserving updates with updateToken, refresh and delete."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.dynatrace import (
    DynatraceApiError,
    DynatraceConflictError,
    GrailBucketProvider,
    OpenPipelinePipelineProvider,
)
from tests.dynatrace.conftest import OWNER, Env
from testsupport.dynatrace.emulator import PIPELINES_SCHEMA, SETTINGS_PATH

P = OpenPipelinePipelineProvider()
FOREIGN_PROCESSOR = {  # a processor someone added in the UI
    "type": "fieldsAdd",
    "id": "tag-team",
    "description": "added in the UI",
    "enabled": True,
    "matcher": "true",
    "fieldsAdd": {"fields": [{"name": "team", "value": "ml"}]},
}


def _bucket(env: Env) -> None:
    result = GrailBucketProvider().create(GrailBucketProvider().check({}, env.bucket_props()).inputs)
    assert result.id


def _create(env: Env, **props: Any) -> tuple[str, dict[str, Any]]:
    checked = P.check({}, env.pipeline_props(**props))
    assert checked.failures == []
    result = P.create(checked.inputs)
    assert result.outs is not None
    return result.id, result.outs


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("custom_id", "abc", "4-100 characters"),
        ("custom_id", "has space", "without whitespace"),
        ("custom_id", "dt.mine", "must not start with 'dt.'"),
        ("custom_id", "dynatrace.mine", "must not start with 'dt.'"),
        ("display_name", "", "at least 1 character"),
        ("processor_description", "   ", "must not be blank"),
        ("matcher", "x" * 4097, "at most 4096"),
        ("processor_id", "abc", "at least 4"),
        ("custom_id", "DT.mine", "must not start with 'dt.'"),
        ("custom_id", "Dynatrace.mine", "must not start with 'dt.'"),
        ("processor_id", "DT.store", "must not start with 'dt.'"),
        ("processor_id", "dynatrace.store", "must not start with 'dt.'"),
    ],
)
def test_check_enforces_the_schema_rules(env: Env, field: str, value: Any, reason: str) -> None:
    result = P.check({}, env.pipeline_props(**{field: value}))
    assert [f.property for f in result.failures] == [field]
    assert reason in result.failures[0].reason
    assert env.dt.calls() == []


def test_create_builds_the_storage_processor_with_an_external_id(env: Env) -> None:
    _bucket(env)
    object_id, outs = _create(env)
    [pipeline] = env.dt.pipelines()
    assert pipeline.object_id == object_id == outs["object_id"]
    assert pipeline.external_id == f"ai-observability:{OWNER}:pipeline:ai-data-governance" == outs["external_id"]
    assert pipeline.value == {
        "customId": "ai-data-governance",
        "displayName": "AI Data Governance",
        "storage": {
            "processors": [
                {
                    "type": "bucketAssignment",
                    "id": "store-governed-events",
                    "description": "Keep governed GenAI events in the governance bucket for its retention period",
                    "enabled": True,
                    "matcher": "true",
                    "bucketAssignment": {"bucketName": "gen_ai_events"},
                }
            ]
        },
    }


def test_a_bucket_still_propagating_is_waited_for(env: Env) -> None:
    env.dt.timing.bucket_activation_delay = 0.25
    env.dt.timing.bucket_visibility_lag = 0.25
    from components.dynatrace.api import BucketApi
    from components.dynatrace.models import BucketCreate

    with _platform_client(env) as client:
        BucketApi(client).create(BucketCreate(bucket_name="gen_ai_events", table="bizevents", retention_days=30))
    _create(env)  # right after the 201, no waiting in between
    statuses = [c.status for c in env.dt.calls(method="POST", path_contains=SETTINGS_PATH)]
    assert statuses[0] == 400
    assert statuses[-1] == 200
    assert len(env.dt.pipelines()) == 1


def _platform_client(env: Env) -> Any:
    from components.dynatrace import DynatraceClient, TokenAuth
    from tests.dynatrace.conftest import FAST

    return DynatraceClient(env.url, TokenAuth("Bearer", env.platform_token), FAST)


def test_create_after_a_crash_adopts_instead_of_duplicating(env: Env) -> None:
    _bucket(env)
    env.dt.fail_after_commit(method="POST", path_contains=SETTINGS_PATH, status=500)
    with pytest.raises(DynatraceApiError, match="HTTP 500"):
        _create(env)  # the object was stored, the engine saw a failure: nothing in state
    object_id, _ = _create(env, display_name="AI Data Governance")
    assert [p.object_id for p in env.dt.pipelines()] == [object_id]
    assert len(env.dt.writes(path_contains=SETTINGS_PATH)) == 1  # adoption needed no second write


def test_another_stack_never_adopts_our_pipeline(env: Env) -> None:
    _bucket(env)
    _create(env)
    with pytest.raises(DynatraceConflictError, match="customId 'ai-data-governance' already exists"):
        _create(env, owner="ai-observability/other-stack")
    assert len(env.dt.pipelines()) == 1


def test_update_preserves_what_others_added_and_has_no_perpetual_diff(env: Env) -> None:
    _bucket(env)
    object_id, outs = _create(env)
    record = env.dt.settings[object_id]
    foreign_processor = copy.deepcopy(FOREIGN_PROCESSOR)
    record.value["processing"] = {"processors": [foreign_processor]}
    record.value["storage"]["processors"].append(
        {
            "type": "bucketAssignment",
            "id": "store-rest",
            "description": "UI fallback",
            "enabled": True,
            "matcher": "true",
            "bucketAssignment": {"bucketName": "default_bizevents"},
        }
    )
    refreshed = P.read(object_id, outs)
    assert refreshed.outs is not None
    same = P.check({}, env.pipeline_props()).inputs
    assert P.diff(object_id, refreshed.outs, same).changes is False  # UI additions are not our diff
    env.dt.clear_log()
    P.update(object_id, outs, {**same, "display_name": "AI Data Governance v2"})
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PUT", 200)]
    value = env.dt.settings[object_id].value
    assert value["displayName"] == "AI Data Governance v2"
    assert value["processing"]["processors"] == [foreign_processor]
    assert [p["id"] for p in value["storage"]["processors"]] == ["store-governed-events", "store-rest"]
    env.dt.clear_log()
    P.update(object_id, outs, {**same, "display_name": "AI Data Governance v2"})
    assert env.dt.writes() == []  # nothing left to change: no write


def test_merge_and_put_keep_pipeline_fields_the_tenant_returns_but_we_never_sent(env: Env) -> None:
    _bucket(env)
    # As the UI would store our pipeline: documented fields we do not model, on the pipeline
    # (metadataList, groupRole, routing, a smartscape stage) and on our own processor (sampleData).
    extra: dict[str, Any] = {
        "metadataList": [{"entryKey": "owner", "entryValue": "ml-platform"}],
        "groupRole": "memberPipeline",
        "routing": "routable",
        "smartscapeNodeExtraction": {
            "processors": [
                {
                    "type": "smartscapeNode",
                    "id": "model-node",
                    "description": "added in the UI",
                    "enabled": True,
                    "matcher": "true",
                    "smartscapeNode": {"nodeType": "AI_MODEL"},
                }
            ]
        },
    }
    sample = '{"event.type": "gen_ai.auditing"}'
    ours = {
        "type": "bucketAssignment",
        "id": "store-governed-events",
        "description": "edited in the UI",
        "enabled": True,
        "matcher": "true",
        "sampleData": sample,
        "bucketAssignment": {"bucketName": "gen_ai_events"},
    }
    value = {"customId": "ai-data-governance", "displayName": "old", "storage": {"processors": [ours]}, **extra}
    external_id = f"ai-observability:{OWNER}:pipeline:ai-data-governance"
    object_id = env.dt.put_object(PIPELINES_SCHEMA, value, external_id)
    env.dt.clear_log()
    adopted_id, outs = _create(env)  # adopts by externalId, then merge-and-PUT
    assert adopted_id == object_id
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PUT", 200)]
    stored = env.dt.settings[object_id].value
    assert stored["displayName"] == "AI Data Governance"
    assert {k: stored[k] for k in extra} == extra
    env.dt.clear_log()
    same = P.check({}, env.pipeline_props()).inputs
    P.update(object_id, outs, {**same, "matcher": "isNotNull(event.type)"})
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PUT", 200)]
    stored = env.dt.settings[object_id].value
    assert {k: stored[k] for k in extra} == extra
    [processor] = stored["storage"]["processors"]
    assert processor["matcher"] == "isNotNull(event.type)"
    assert processor["sampleData"] == sample


def test_update_retries_on_a_stale_update_token(env: Env) -> None:
    _bucket(env)
    object_id, outs = _create(env)

    def colleague_edits(dt: Any) -> None:
        record = dt.settings[object_id]
        record.value["processing"] = {"processors": []}
        record.update_token = "changed-by-someone"

    env.dt.before_request(colleague_edits, method="PUT", path_contains=object_id)
    env.dt.clear_log()
    news = P.check({}, env.pipeline_props(matcher="isNotNull(event.type)")).inputs
    P.update(object_id, outs, news)
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PUT", 409), ("PUT", 200)]
    value = env.dt.settings[object_id].value
    assert value["processing"] == {"processors": []}  # their edit survived
    assert value["storage"]["processors"][0]["matcher"] == "isNotNull(event.type)"  # and ours landed


def test_diff_replaces_only_on_custom_id(env: Env) -> None:
    _bucket(env)
    object_id, outs = _create(env)
    same = P.check({}, env.pipeline_props()).inputs
    assert P.diff(object_id, outs, same).changes is False
    assert P.diff(object_id, outs, {**same, "bucket_name": "other"}).replaces == []
    assert P.diff(object_id, outs, {**same, "custom_id": "ai-governance-v2"}).replaces == ["custom_id"]


def test_read_and_delete(env: Env) -> None:
    _bucket(env)
    object_id, outs = _create(env)
    env.dt.settings[object_id].value["storage"]["processors"][0]["bucketAssignment"]["bucketName"] = "default_bizevents"
    drift = P.read(object_id, outs)
    assert drift.outs is not None
    assert drift.outs["bucket_name"] == "default_bizevents"
    P.delete(object_id, outs)
    assert env.dt.objects(PIPELINES_SCHEMA) == []
    assert P.read(object_id, outs).id is None
    P.delete(object_id, outs)  # 404 = done
    assert [c.status for c in env.dt.calls(method="DELETE")] == [204, 404]


def test_a_routed_pipeline_cannot_be_deleted(env: Env) -> None:
    _bucket(env)
    object_id, outs = _create(env)
    env.dt.set_routing(
        [{"enabled": True, "pipelineType": "custom", "pipelineId": object_id, "matcher": "true", "description": "x"}]
    )
    with pytest.raises(DynatraceApiError, match="still referenced by routing entry 'x'"):
        P.delete(object_id, outs)


# --- the processing stage's DQL processor ----------------------------------------------------------


def test_the_processing_processor_is_created_first_and_others_are_kept(env: Env) -> None:
    from components.dynatrace.governance_fields import dql_script

    _bucket(env)
    object_id, outs = _create(env, processing_script=dql_script())
    record = env.dt.settings[object_id]
    [ours] = record.value["processing"]["processors"]
    assert ours == {
        "type": "dql",
        "id": "extract-governance-fields",
        "description": "Name the CloudTrail fields dashboards and auditors filter on (who, what, where, which)",
        "enabled": True,
        "matcher": "true",
        "dql": {"script": dql_script()},
    }
    foreign = copy.deepcopy(FOREIGN_PROCESSOR)
    record.value["processing"]["processors"].append(foreign)
    refreshed = P.read(object_id, outs)
    assert refreshed.outs is not None
    assert refreshed.outs["processing_script"] == dql_script()
    same = P.check({}, env.pipeline_props(processing_script=dql_script())).inputs
    assert P.diff(object_id, refreshed.outs, same).changes is False
    changed = {**same, "processing_script": "fieldsAdd governance.checked = true"}
    assert P.diff(object_id, refreshed.outs, changed).changes is True
    env.dt.clear_log()
    P.update(object_id, outs, changed)
    assert [c.method for c in env.dt.writes()] == ["PUT"]
    processors = env.dt.settings[object_id].value["processing"]["processors"]
    assert [p["id"] for p in processors] == ["extract-governance-fields", "tag-team"]
    assert processors[0]["dql"] == {"script": "fieldsAdd governance.checked = true"}
    P.update(object_id, outs, {**same, "processing_script": None})
    assert env.dt.settings[object_id].value["processing"]["processors"] == [foreign]


def test_a_processing_script_over_the_schema_limit_is_refused_before_any_call(env: Env) -> None:
    result = P.check({}, env.pipeline_props(processing_script="x" * 8193))
    assert [f.property for f in result.failures] == ["processing_script"]
    assert env.dt.calls() == []
