"""The emulator itself follows Dynatrace's API documentation: if it accepted anything, the provider
tests would prove nothing. Raw HTTP, no provider code."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from tests.dynatrace.conftest import Env
from testsupport.dynatrace.emulator import (
    BUCKETS_PATH,
    INGEST_PATH,
    PIPELINES_SCHEMA,
    PLATFORM_CLASSIC_PREFIX,
    ROUTING_SCHEMA,
    SETTINGS_PATH,
    TOKENS_PATH,
    DynatraceEmulator,
    Faults,
    matcher_matches,
)


class Raw:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.session = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = None, scheme: str | None = None, **kw: Any) -> Any:
        if token is None:
            platform = path.startswith("/platform")
            token = self.env.platform_token if platform else self.env.api_token
            scheme = scheme or ("Bearer" if platform else "Api-Token")
        headers = {"Authorization": f"{scheme} {token}"} if token else {}
        return self.session.request(method, self.env.url + path, headers=headers, timeout=5, **kw)


@pytest.fixture
def raw(env: Env) -> Raw:
    return Raw(env)


def _pipeline(custom_id: str = "ai-data-governance", bucket: str = "gen_ai_events", **extra: Any) -> dict[str, Any]:
    processor = {
        "type": "bucketAssignment",
        "id": "store",
        "description": "store",
        "enabled": True,
        "matcher": "true",
        "bucketAssignment": {"bucketName": bucket},
    }
    return {"customId": custom_id, "displayName": custom_id, "storage": {"processors": [processor]}, **extra}


def _create_settings(raw: Raw, schema: str, value: dict[str, Any], **item: Any) -> requests.Response:
    body = [{"schemaId": schema, "scope": "environment", "value": value, **item}]
    return raw.call("POST", SETTINGS_PATH, json=body)


# -- auth -----------------------------------------------------------------------------------


def test_auth_schemes_and_scopes_per_host_path(raw: Raw, env: Env) -> None:
    assert raw.call("GET", BUCKETS_PATH, token="").status_code == 401
    assert raw.call("GET", BUCKETS_PATH, token=env.api_token, scheme="Api-Token").status_code == 401
    assert raw.call("GET", SETTINGS_PATH + "?schemaIds=x", token=env.platform_token, scheme="Bearer").status_code == 401
    assert raw.call("GET", BUCKETS_PATH, token="dt0s16.UNKNOWN.TOKEN", scheme="Bearer").status_code == 401
    reader = env.dt.add_token(kind="platform", scopes=("storage:bucket-definitions:read",))
    assert raw.call("GET", BUCKETS_PATH, token=reader, scheme="Bearer").status_code == 200
    denied = raw.call("DELETE", BUCKETS_PATH + "/x", token=reader, scheme="Bearer")
    assert denied.status_code == 403
    assert "storage:bucket-definitions:delete" in denied.json()["error"]["message"]
    # The classic settings API through the platform host takes Bearer + settings:objects:* scopes.
    via_platform = raw.call("GET", f"{PLATFORM_CLASSIC_PREFIX}/settings/objects?schemaIds={ROUTING_SCHEMA}")
    assert via_platform.status_code == 200


# -- buckets ---------------------------------------------------------------------------------


def test_bucket_life_cycle_and_timing(raw: Raw, env: Env) -> None:
    body = {"bucketName": "audit_b", "table": "bizevents", "retentionDays": 30}
    created = raw.call("POST", BUCKETS_PATH, json=body)
    assert created.status_code == 201
    assert created.json()["status"] == "creating"
    assert raw.call("GET", BUCKETS_PATH + "/audit_b").status_code == 404  # propagation lag
    assert raw.call("POST", BUCKETS_PATH, json=body).status_code == 409
    time.sleep(env.dt.timing.bucket_activation_delay + 0.02)
    assert raw.call("GET", BUCKETS_PATH + "/audit_b").json()["status"] == "active"
    assert "audit_b" in [b["bucketName"] for b in raw.call("GET", BUCKETS_PATH).json()["buckets"]]
    deleted = raw.call("DELETE", BUCKETS_PATH + "/audit_b")
    assert deleted.status_code == 202
    assert deleted.json()["status"] == "deleting"
    time.sleep(env.dt.timing.bucket_delete_delay + 0.02)
    assert raw.call("GET", BUCKETS_PATH + "/audit_b").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"bucketName": "dt_x", "table": "bizevents", "retentionDays": 1},
        {"bucketName": "default_x", "table": "bizevents", "retentionDays": 1},
        {"bucketName": "x_", "table": "bizevents", "retentionDays": 1},
        {"bucketName": "_abc", "table": "bizevents", "retentionDays": 1},
        {"bucketName": "abc", "table": "metrics", "retentionDays": 1},
        {"bucketName": "abc", "table": "logs", "retentionDays": 0},
        {"bucketName": "abc", "table": "logs", "retentionDays": 3658},
        {"bucketName": "abc", "table": "logs", "retentionDays": 5, "displayName": "x" * 201},
    ],
)
def test_bucket_validation_rules(raw: Raw, body: dict[str, Any]) -> None:
    response = raw.call("POST", BUCKETS_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["errorDetails"]


def test_bucket_optimistic_locking(raw: Raw, env: Env) -> None:
    env.dt.put_bucket("audit_b")
    path = BUCKETS_PATH + "/audit_b"
    assert raw.call("PATCH", path, json={"retentionDays": 9}).status_code == 400  # version required
    assert raw.call("PATCH", path + "?optimistic-locking-version=7", json={"retentionDays": 9}).status_code == 409
    assert raw.call("PATCH", path + "?optimistic-locking-version=1", json={"table": "logs"}).status_code == 400
    ok = raw.call("PATCH", path + "?optimistic-locking-version=1", json={"retentionDays": 9})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    put = raw.call(
        "PUT",
        path + "?optimistic-locking-version=2",
        json={"bucketName": "audit_b", "table": "bizevents", "retentionDays": 10, "version": 1},
    )
    assert put.status_code == 400  # body version must match
    assert raw.call("PATCH", BUCKETS_PATH + "/default_logs?optimistic-locking-version=1", json={}).status_code == 400


# -- settings ---------------------------------------------------------------------------------


def test_settings_create_validate_only_and_error_arrays(raw: Raw, env: Env) -> None:
    env.dt.put_bucket("gen_ai_events")
    dry = raw.call(
        "POST",
        SETTINGS_PATH + "?validateOnly=true",
        json=[{"schemaId": PIPELINES_SCHEMA, "scope": "environment", "value": _pipeline()}],
    )
    assert dry.status_code == 200
    assert dry.json() == [{"code": 200}]
    assert env.dt.pipelines() == []
    ok = _create_settings(raw, PIPELINES_SCHEMA, _pipeline(), externalId="ext-1")
    assert ok.status_code == 200
    assert ok.json()[0]["objectId"]
    # the same externalId addresses the existing object, whose customId cannot change
    renamed = _create_settings(raw, PIPELINES_SCHEMA, _pipeline("other-id"), externalId="ext-1")
    assert renamed.status_code == 400
    assert [v["path"] for v in renamed.json()[0]["error"]["constraintViolations"]] == ["customId"]
    bad = _create_settings(raw, PIPELINES_SCHEMA, {**_pipeline("dt.no"), "displayName": ""})
    violations = bad.json()[0]["error"]["constraintViolations"]
    assert bad.status_code == 400
    assert {v["path"] for v in violations} == {"customId", "displayName"}
    blank = _pipeline("blank-description")
    blank["storage"]["processors"][0]["description"] = " "
    assert _create_settings(raw, PIPELINES_SCHEMA, blank).status_code == 400
    assert _create_settings(raw, PIPELINES_SCHEMA, _pipeline("ai-data-governance")).status_code == 400  # unique
    assert _create_settings(raw, "builtin:unknown", {}).status_code == 404


def test_post_with_an_existing_external_id_updates_that_object(raw: Raw, env: Env) -> None:
    env.dt.put_bucket("gen_ai_events")
    first = _create_settings(raw, PIPELINES_SCHEMA, _pipeline(), externalId="ext-1")
    object_id = first.json()[0]["objectId"]
    token = env.dt.settings[object_id].update_token
    again = _create_settings(raw, PIPELINES_SCHEMA, {**_pipeline(), "displayName": "renamed"}, externalId="ext-1")
    assert again.status_code == 200
    assert again.json() == [{"code": 200, "objectId": object_id}]  # updated in place, not duplicated
    [pipeline] = env.dt.pipelines()
    assert pipeline.value["displayName"] == "renamed"
    assert pipeline.update_token != token
    # objectId + externalId replaces that object and gives it the externalId ...
    other = env.dt.put_pipeline("other-pipeline")
    adopted = _create_settings(raw, PIPELINES_SCHEMA, _pipeline("other-pipeline"), externalId="ext-2", objectId=other)
    assert adopted.json() == [{"code": 200, "objectId": other}]
    assert env.dt.settings[other].external_id == "ext-2"
    # ... but not when the externalId already names a different object, or the object is gone
    clash = _create_settings(raw, PIPELINES_SCHEMA, _pipeline("other-pipeline"), externalId="ext-1", objectId=other)
    assert clash.status_code == 400
    assert _create_settings(raw, PIPELINES_SCHEMA, _pipeline(), externalId="ext-3", objectId="gone").status_code == 404
    assert len(env.dt.pipelines()) == 2


def test_reserved_prefixes_are_rejected_in_any_letter_case(raw: Raw, env: Env) -> None:
    env.dt.put_bucket("gen_ai_events")
    for custom_id in ("DT.pipeline", "Dt.pipeline", "DYNATRACE.pipeline", "dynaTrace.pipeline"):
        response = _create_settings(raw, PIPELINES_SCHEMA, _pipeline(custom_id))
        assert response.status_code == 400, custom_id
        assert [v["path"] for v in response.json()[0]["error"]["constraintViolations"]] == ["customId"]
    processor_id = _pipeline("processor-prefix")
    processor_id["storage"]["processors"][0]["id"] = "DT.store"
    response = _create_settings(raw, PIPELINES_SCHEMA, processor_id)
    assert response.status_code == 400
    assert [v["path"] for v in response.json()[0]["error"]["constraintViolations"]] == ["storage.processors[0].id"]
    # the prefix only counts with its dot
    assert _create_settings(raw, PIPELINES_SCHEMA, _pipeline("dtx-pipeline")).status_code == 200


def test_routing_description_limits(raw: Raw, env: Env) -> None:
    pipeline = env.dt.put_pipeline("ai-data-governance")
    entry = {"enabled": True, "pipelineType": "custom", "pipelineId": pipeline, "matcher": "true"}
    for description in ("x" * 513, "DT.route", "Dynatrace.route", "dt.route"):
        response = _create_settings(raw, ROUTING_SCHEMA, {"routingEntries": [{**entry, "description": description}]})
        assert response.status_code == 400, description[:20]
        paths = [v["path"] for v in response.json()[0]["error"]["constraintViolations"]]
        assert paths == ["routingEntries[0].description"]
    longest = {"routingEntries": [{**entry, "description": "x" * 512}]}
    assert _create_settings(raw, ROUTING_SCHEMA, longest).status_code == 200


def test_documented_pipeline_properties_and_processor_types_are_accepted(raw: Raw, env: Env) -> None:
    env.dt.put_bucket("gen_ai_events")

    def proc(kind: str, pid: str, **attrs: Any) -> dict[str, Any]:
        return {"type": kind, "id": pid, "description": kind, "enabled": True, "matcher": "true", **attrs}

    value = _pipeline(
        "full-pipeline",
        metadataList=[{"entryKey": "owner", "entryValue": "ml-platform"}, {"entryKey": "tier", "entryValue": None}],
        routing="routable",
        groupRole="memberPipeline",
        processing={
            "processors": [
                proc("geoLookup", "geo-ip", geoLookup={"sourceIpField": "client.ip"}, sampleData='{"a":1}'),
                proc("inlineLookup", "lookup-team", inlineLookup={}),
                {"type": "technology", "id": "tech-java", "description": "java", "enabled": True, "technology": {}},
            ]
        },
        smartscapeNodeExtraction={"processors": [proc("smartscapeNode", "node-model", smartscapeNode={})]},
        smartscapeEdgeExtraction={"processors": [proc("smartscapeEdge", "edge-model", smartscapeEdge={})]},
        metricExtraction={"processors": [proc("histogramMetric", "latency-hist", histogramMetric={})]},
        davis=None,
    )
    response = _create_settings(raw, PIPELINES_SCHEMA, value)
    assert response.status_code == 200, response.json()
    object_id = response.json()[0]["objectId"]
    # groupRole, routing and customId cannot change after creation
    for key, changed in (("groupRole", "basePipeline"), ("routing", "notRoutable"), ("customId", "renamed-id")):
        put = raw.call("PUT", f"{SETTINGS_PATH}/{object_id}", json={"value": {**value, key: changed}})
        assert put.status_code == 400, key
    bad = [
        {"groupRole": "leader"},
        {"routing": "sometimes"},
        {"metadataList": [{"entryKey": "ab", "entryValue": "x"}]},
        {"metadataList": [{"entryKey": "dup", "entryValue": "1"}, {"entryKey": "dup", "entryValue": "2"}]},
        {"metadataList": [{"entryKey": f"key{i}", "entryValue": "v"} for i in range(33)]},
        {"processing": {"processors": [proc("regexExtract", "regex-x")]}},
        {"processing": {"processors": [proc("dql", "sample-x", sampleData="")]}},
        {"processing": {"processors": [{**proc("dql", "no-matcher"), "matcher": ""}]}},
        {"unknownStage": {"processors": []}},
    ]
    for i, extra in enumerate(bad):
        assert _create_settings(raw, PIPELINES_SCHEMA, _pipeline(f"bad-pipeline-{i}", **extra)).status_code == 400, (
            extra
        )


def test_a_dql_processor_needs_its_script(raw: Raw, env: Env) -> None:
    """Pipelines schema: a processor of type ``dql`` carries ``dql`` (``DqlAttributes``): ``script``
    not blank, at most 8192 characters, no other property."""
    from components.dynatrace.governance_fields import dql_script

    env.dt.put_bucket("gen_ai_events")

    def dql(pid: str, **attrs: Any) -> dict[str, Any]:
        return {"type": "dql", "id": pid, "description": "fields", "enabled": True, "matcher": "true", **attrs}

    good = _pipeline("with-dql", processing={"processors": [dql("extract-x", dql={"script": dql_script()})]})
    assert _create_settings(raw, PIPELINES_SCHEMA, good).status_code == 200
    for i, attrs in enumerate(
        [{}, {"dql": {"script": "  "}}, {"dql": {"script": "x" * 8193}}, {"dql": {"script": "a", "mode": "x"}}]
    ):
        response = _create_settings(
            raw, PIPELINES_SCHEMA, _pipeline(f"bad-dql-{i}", processing={"processors": [dql("p-x1", **attrs)]})
        )
        assert response.status_code == 400, attrs
        assert "processing.processors[0].dql" in json.dumps(response.json()), attrs


def test_builtin_pipeline_ids_are_free_text(raw: Raw, env: Env) -> None:
    def entry(builtin: Any, description: str) -> dict[str, Any]:
        return {"pipelineType": "builtin", "builtinPipelineId": builtin, "matcher": "true", "description": description}

    ok = {"routingEntries": [entry("default", "a"), entry("bizevents-default-pipeline", "b"), entry("x" * 500, "c")]}
    assert _create_settings(raw, ROUTING_SCHEMA, ok).status_code == 200
    routing_id = env.dt.routing().object_id  # type: ignore[union-attr]
    for builtin in ("", "x" * 501, None):
        put = raw.call(
            "PUT", f"{SETTINGS_PATH}/{routing_id}", json={"value": {"routingEntries": [entry(builtin, "a")]}}
        )
        assert put.status_code == 400


def test_pipelines_need_an_active_bizevents_bucket(raw: Raw, env: Env) -> None:
    missing = _create_settings(raw, PIPELINES_SCHEMA, _pipeline(bucket="nope"))
    assert missing.status_code == 400
    assert "does not exist or is not active" in json.dumps(missing.json())
    env.dt.put_bucket("log_bucket", table="logs")
    assert _create_settings(raw, PIPELINES_SCHEMA, _pipeline(bucket="log_bucket")).status_code == 400
    raw.call("POST", BUCKETS_PATH, json={"bucketName": "fresh_b", "table": "bizevents", "retentionDays": 5})
    assert _create_settings(raw, PIPELINES_SCHEMA, _pipeline(bucket="fresh_b")).status_code == 400  # creating


def test_routing_singleton_update_token_and_integrity(raw: Raw, env: Env) -> None:
    pipeline = env.dt.put_pipeline("ai-data-governance")
    entry = {"enabled": True, "pipelineType": "custom", "pipelineId": pipeline, "matcher": "true", "description": "a"}
    created = _create_settings(raw, ROUTING_SCHEMA, {"routingEntries": [entry]})
    routing_id = created.json()[0]["objectId"]
    assert _create_settings(raw, ROUTING_SCHEMA, {"routingEntries": []}).status_code == 400  # single object
    listed = raw.call("GET", f"{SETTINGS_PATH}?schemaIds={ROUTING_SCHEMA}&fields=objectId,value,updateToken").json()
    token = listed["items"][0]["updateToken"]
    stale = raw.call("PUT", f"{SETTINGS_PATH}/{routing_id}", json={"value": {"routingEntries": []}, "updateToken": "x"})
    assert stale.status_code == 409
    duplicate = {"routingEntries": [entry, entry]}
    assert raw.call("PUT", f"{SETTINGS_PATH}/{routing_id}", json={"value": duplicate}).status_code == 400
    dangling = {"routingEntries": [{**entry, "pipelineId": "gone"}]}
    assert raw.call("PUT", f"{SETTINGS_PATH}/{routing_id}", json={"value": dangling}).status_code == 400
    assert raw.call("DELETE", f"{SETTINGS_PATH}/{pipeline}").status_code == 400  # still routed
    assert raw.call("DELETE", f"{SETTINGS_PATH}/{routing_id}").status_code == 400  # cannot delete routing
    cleared = raw.call(
        "PUT", f"{SETTINGS_PATH}/{routing_id}", json={"value": {"routingEntries": []}, "updateToken": token}
    )
    assert cleared.status_code == 200
    assert raw.call("DELETE", f"{SETTINGS_PATH}/{pipeline}").status_code == 204


def test_settings_paging_rules(raw: Raw, env: Env) -> None:
    for i in range(5):
        env.dt.put_pipeline(f"pipeline-{i}")
    first = raw.call("GET", f"{SETTINGS_PATH}?schemaIds={PIPELINES_SCHEMA}&pageSize=2").json()
    assert len(first["items"]) == 2
    assert first["totalCount"] == 5
    assert set(first["items"][0]) == {"objectId", "value"}
    key = first["nextPageKey"]
    assert raw.call("GET", f"{SETTINGS_PATH}?nextPageKey={key}&pageSize=2").status_code == 400
    assert raw.call("GET", f"{SETTINGS_PATH}?nextPageKey={key}").json()["items"][0]["value"]["customId"] == "pipeline-2"
    assert raw.call("GET", f"{SETTINGS_PATH}?pageSize=2").status_code == 400  # schemaIds or scopes required
    assert raw.call("GET", f"{SETTINGS_PATH}?schemaIds={PIPELINES_SCHEMA}&pageSize=501").status_code == 400


# -- tokens and ingest ---------------------------------------------------------------------------


def test_token_api(raw: Raw, env: Env) -> None:
    made = raw.call(
        "POST", TOKENS_PATH, json={"name": "t1", "scopes": ["bizevents.ingest"], "expirationDate": "now+1d"}
    )
    assert made.status_code == 201
    assert made.json()["token"].startswith(made.json()["id"] + ".")
    assert raw.call("POST", TOKENS_PATH, json={"name": "t2", "scopes": ["no.such"]}).status_code == 400
    assert raw.call("POST", TOKENS_PATH, json={"name": "t2", "scopes": ["Settings.Read"]}).status_code == 400
    assert (
        raw.call(
            "POST", TOKENS_PATH, json={"name": "t3", "scopes": ["bizevents.ingest"], "expirationDate": 1}
        ).status_code
        == 400
    )
    meta = raw.call("GET", f"{TOKENS_PATH}/{made.json()['id']}").json()
    assert meta["scopes"] == ["bizevents.ingest"]
    assert "token" not in meta
    listed = raw.call("GET", f'{TOKENS_PATH}?apiTokenSelector=scope("bizevents.ingest")').json()
    assert [t["name"] for t in listed["apiTokens"]] == ["t1"]
    assert raw.call("DELETE", f"{TOKENS_PATH}/{made.json()['id']}").status_code == 204
    assert raw.call("DELETE", f"{TOKENS_PATH}/{made.json()['id']}").status_code == 404


@pytest.mark.parametrize(
    "scopes",
    [
        ["slo.read", "slo.write"],
        ["entities.write", "problems.read", "events.read"],
        ["ReadConfig", "WriteConfig", "InstallerDownload"],
        ["openpipeline.events_sdlc.custom", "extensionDiscoveryPmi.read", "hub.install"],
        ["activeGateTokenManagement.create", "credentialVault.write", "traces.lookup"],
    ],
)
def test_every_documented_token_scope_is_accepted(raw: Raw, scopes: list[str]) -> None:
    made = raw.call("POST", TOKENS_PATH, json={"name": "documented", "scopes": scopes})
    assert made.status_code == 201, made.text


def test_token_list_selector_accepts_only_documented_criteria(raw: Raw, env: Env) -> None:
    env.dt.add_token(scopes=("bizevents.ingest",), name="ingest-a")
    env.dt.add_token(scopes=("metrics.ingest",), name="ingest-b")

    def names(selector: str) -> list[str]:
        response = raw.call("GET", TOKENS_PATH, params={"apiTokenSelector": selector})
        assert response.status_code == 200, response.text
        return sorted(t["name"] for t in response.json()["apiTokens"])

    assert names('scope("bizevents.ingest")') == ["ingest-a"]
    assert names("personalAccessToken(false)") == ["admin", "ingest-a", "ingest-b"]
    assert names("personalAccessToken(true)") == []
    assert names('owner("admin@example.invalid"),scope("metrics.ingest")') == ["ingest-b"]
    assert names('owner("someone@else.invalid")') == []
    for undocumented in ('name("ingest-a")', 'tag("x")', "personalAccessToken(maybe)", 'scope("a")junk', "scope("):
        response = raw.call("GET", TOKENS_PATH, params={"apiTokenSelector": undocumented})
        assert response.status_code == 400, undocumented
        assert "error" in response.json()


def test_token_list_paging_rules(raw: Raw, env: Env) -> None:
    for i in range(250):
        env.dt.add_token(scopes=("bizevents.ingest",), name=f"bulk-{i:03d}")
    assert raw.call("GET", TOKENS_PATH, params={"pageSize": 99}).status_code == 400
    assert raw.call("GET", TOKENS_PATH, params={"pageSize": 10001}).status_code == 400
    assert raw.call("GET", TOKENS_PATH, params={"pageSize": "many"}).status_code == 400
    default = raw.call("GET", TOKENS_PATH).json()
    assert (default["pageSize"], len(default["apiTokens"]), default["totalCount"]) == (200, 200, 251)
    first = raw.call(
        "GET", TOKENS_PATH, params={"pageSize": 100, "apiTokenSelector": 'scope("bizevents.ingest")'}
    ).json()
    assert (len(first["apiTokens"]), first["totalCount"]) == (100, 250)
    key = first["nextPageKey"]
    assert raw.call("GET", TOKENS_PATH, params={"nextPageKey": key, "pageSize": 100}).status_code == 400
    assert raw.call("GET", TOKENS_PATH, params={"nextPageKey": "not-a-key"}).status_code == 400
    second = raw.call("GET", TOKENS_PATH, params={"nextPageKey": key}).json()
    third = raw.call("GET", TOKENS_PATH, params={"nextPageKey": second["nextPageKey"]}).json()
    assert "nextPageKey" not in third  # the last page has no cursor
    seen = [t["name"] for page in (first, second, third) for t in page["apiTokens"]]
    assert seen == [f"bulk-{i:03d}" for i in range(250)]  # the selector is kept by the cursor


def test_bizevent_ingest_validation(raw: Raw, env: Env) -> None:
    ingest = env.dt.add_token(scopes=("bizevents.ingest",))
    good = {"specversion": "1.0", "id": "1", "source": "s", "type": "t"}
    batch = [good, {"specversion": "1.0", "id": "2", "source": "s"}]

    def post(body: Any, content_type: str, token: str = ingest) -> requests.Response:
        headers = {"Authorization": f"Api-Token {token}", "Content-Type": content_type}
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return raw.session.post(env.url + INGEST_PATH, data=data, headers=headers, timeout=10)

    partial = post(batch, "application/cloudevent-batch+json")
    assert partial.status_code == 400
    assert partial.json()["errors"][0]["index"] == 1
    assert len(env.dt.events) == 1  # the valid one was kept
    assert post(good, "application/cloudevent+json").status_code == 202
    assert post({"free": "json"}, "application/json").status_code == 202
    assert post(good, "text/plain").status_code == 415
    assert post(good, "application/cloudevent+json", token=env.api_token).status_code == 403  # no ingest scope
    assert post(b"[" + b" " * (5 * 1024 * 1024) + b"]", "application/json").status_code == 413


def test_a_cloudevents_data_members_are_stored_as_top_level_fields(raw: Raw, env: Env) -> None:
    """ "Ingest business events via API": top-level fields stay top-level, complex JSON objects become
    strings; for a CloudEvent the fields are the members of ``data``."""
    ingest = env.dt.add_token(scopes=("bizevents.ingest",))
    event = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "aws.bedrock",
        "type": "gen_ai.auditing",
        "time": "2025-03-04T10:15:30Z",
        "awsregion": "eu-central-1",
        "data": {"eventName": "CreateGuardrail", "userIdentity": {"arn": "arn:aws:iam::1:user/a"}, "n": 3, "l": [1]},
    }
    headers = {"Authorization": f"Api-Token {ingest}", "Content-Type": "application/cloudevent+json"}
    assert (
        raw.session.post(env.url + INGEST_PATH, data=json.dumps(event), headers=headers, timeout=5).status_code == 202
    )
    [stored] = env.dt.events
    assert stored["eventName"] == "CreateGuardrail"
    assert json.loads(stored["userIdentity"]) == {"arn": "arn:aws:iam::1:user/a"}
    assert stored["n"] == 3
    assert stored["l"] == "[1]"
    assert (stored["event.type"], stored["event.provider"], stored["event.id"]) == (
        "gen_ai.auditing",
        "aws.bedrock",
        "e-1",
    )
    assert stored["awsregion"] == "eu-central-1"  # an extension attribute stays a field
    assert "data" not in stored
    assert not any(key.startswith("data.") for key in stored)


def test_matcher_subset() -> None:
    event = {"event.type": "gen_ai.auditing", "event.provider": "aws.bedrock"}
    assert matcher_matches('matchesValue(event.type,"gen_ai.auditing")', event)
    assert matcher_matches('matchesValue(event.type, "GEN_AI.*")', event)
    assert matcher_matches('matchesValue(event.type,"x") or matchesValue(event.provider,"aws.*")', event)
    assert not matcher_matches('matchesValue(event.type,"other")', event)
    assert matcher_matches("true", event)
    assert not matcher_matches("false", event)


# -- fault knobs and the request log ----------------------------------------------------------------


def test_fault_ratio_answers_429_or_503_with_retry_after_and_is_logged() -> None:
    with DynatraceEmulator(faults=Faults(fail_ratio=0.3, retry_after="0", seed=3)) as dt:
        token = dt.add_token(kind="platform", scopes=("storage:bucket-definitions:read",))
        statuses = []
        with requests.Session() as session:
            for _ in range(200):
                response = session.get(dt.url + BUCKETS_PATH, headers={"Authorization": f"Bearer {token}"}, timeout=5)
                statuses.append(response.status_code)
                if response.status_code != 200:
                    assert response.headers["Retry-After"] == "0"
        failed = [s for s in statuses if s != 200]
        assert set(failed) == {429, 503}
        assert 0.2 < len(failed) / 200 < 0.4
        assert len(dt.calls(injected=True)) == len(failed)
        assert len(dt.calls()) == 200


def test_latency_knob_slows_every_response(env: Env) -> None:
    env.dt.faults.latency = 0.05
    started = time.monotonic()
    Raw(env).call("GET", BUCKETS_PATH)
    assert time.monotonic() - started >= 0.05
