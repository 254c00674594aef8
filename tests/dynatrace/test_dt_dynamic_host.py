"""The providers through the Pulumi SDK's own dynamic-provider host (``python -m pulumi.dynamic``),
driven over gRPC the way the engine drives it during ``pulumi up`` / ``refresh`` / ``destroy``.

Proves what direct calls cannot: the provider pickles by reference and unpickles in a separate
process started from the project root, the wire format (floats, property names) round-trips,
and errors reach the engine without token text.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import SignalsConfig
from components.dynatrace import (
    GrailBucketProvider,
    IngestTokenProvider,
    OpenPipelinePipelineProvider,
    OpenPipelineRouteProvider,
)
from components.dynatrace.scopes import PLATFORM, scopes_for
from components.dynatrace.settings_object import SettingsObjectProvider
from components.dynatrace.signals.detectors import SCHEMA_ID as DETECTORS_SCHEMA
from components.dynatrace.signals.detectors import detector_specs
from components.secret_wire import secret_wrapper
from tests.dynatrace.conftest import CANARY_SECRETS, OWNER, ROOT, Env
from testsupport.dynatrace.emulator import TOKEN_USER_ID
from testsupport.dynatrace.netfixtures import NETWORK_VARIABLES
from testsupport.plugin_host import plugin_process

PROJECT = "ai-observability"


FAKETIME = shutil.which("faketime")


@contextlib.contextmanager
def _start_host(faketime_offset: str | None = None) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """``python -m pulumi.dynamic`` as the engine starts it; optionally under libfaketime's
    ``faketime -f <offset>`` (its wall clock moved, its monotonic clock left alone)."""
    env = {**os.environ, "PULUMI_PROJECT": PROJECT}
    for name in NETWORK_VARIABLES:  # a developer's proxy/CA settings must not reach the test host
        env.pop(name, None)
        env.pop(name.lower(), None)
    env.pop("PYTHONPATH", None)  # the project root must be importable from the cwd alone, as under the engine
    command = [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"]
    if faketime_offset is not None:
        assert FAKETIME is not None
        command = [FAKETIME, "-f", faketime_offset, *command]
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    with plugin_process(command, cwd=ROOT, env=env) as (_, port):
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)])
        grpc.channel_ready_future(channel).result(timeout=20)
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        # The engine configures first; stack config is namespaced, secrets wrapped with the signature.
        config = {
            f"{PROJECT}:dynatrace": '{"environmentUrl":"https://abc12345.live.dynatrace.com"}',
            f"{PROJECT}:dynatraceApiToken": secret_wrapper("never-used-by-the-providers"),
        }
        response = stub.Configure(provider_pb2.ConfigureRequest(args=_struct(config), acceptSecrets=True))
        assert response.acceptSecrets is False  # so the engine sends plain values, secrets stripped
        yield stub
        channel.close()


@pytest.fixture(scope="module")
def host() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    with _start_host() as stub:
        yield stub


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in values.items() if v is not None})
    return struct


def _provider_blob(provider: ResourceProvider) -> str:
    """``__provider`` exactly as ``pulumi.dynamic.Resource`` produces it for ``pulumi up``."""
    blob, contains_secrets = _serialize(True, serialize_provider, provider)
    assert not contains_secrets
    return str(blob)


def _props(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct))


class Wire:
    """Engine-side calls for one resource type."""

    def __init__(self, stub: provider_pb2_grpc.ResourceProviderStub, provider: ResourceProvider, kind: str) -> None:
        self.stub = stub
        self.blob = _provider_blob(provider)
        self.urn = f"urn:pulumi:test::{PROJECT}::pulumi-python:dynamic/dynatrace:{kind}::{kind.lower()}"

    def _with_provider(self, props: dict[str, Any]) -> struct_pb2.Struct:
        return _struct({**props, "__provider": self.blob})

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        resp = self.stub.Check(
            provider_pb2.CheckRequest(urn=self.urn, olds=self._with_provider(olds), news=self._with_provider(news))
        )
        return _props(resp.inputs), list(resp.failures)

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resp = self.stub.Create(provider_pb2.CreateRequest(urn=self.urn, properties=self._with_provider(props)))
        return resp.id, _props(resp.properties)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        resp = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=self.urn, properties=self._with_provider(props)))
        return resp.id, _props(resp.properties)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_, urn=self.urn, olds=self._with_provider(olds), news=self._with_provider(news)
            )
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        resp = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_, urn=self.urn, olds=self._with_provider(olds), news=self._with_provider(news)
            )
        )
        return _props(resp.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=self.urn, properties=self._with_provider(props)))


def _strip(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != "__provider"}


def test_provider_blob_is_a_small_reference_not_code() -> None:
    # Pickled by reference: a few hundred bytes that name the class, stable across code edits.
    for provider in (
        GrailBucketProvider(),
        OpenPipelinePipelineProvider(),
        OpenPipelineRouteProvider(),
        IngestTokenProvider(),
    ):
        blob = _provider_blob(provider)
        assert len(blob) < 400, len(blob)
        assert _provider_blob(type(provider)()) == blob


def test_whole_chain_round_trips_through_the_dynamic_provider_host(
    host: provider_pb2_grpc.ResourceProviderStub, env: Env
) -> None:
    dt = env.dt
    bucket = Wire(host, GrailBucketProvider(), "GrailBucket")
    pipeline = Wire(host, OpenPipelinePipelineProvider(), "OpenPipelinePipeline")
    route = Wire(host, OpenPipelineRouteProvider(), "OpenPipelineRoute")
    token = Wire(host, IngestTokenProvider(), "IngestToken")

    # Check normalises and validates (numbers arrive as floats on the wire).
    inputs, failures = bucket.check({}, env.bucket_props())
    assert failures == []
    _bad, failures = bucket.check({}, env.bucket_props(bucket_name="dt_reserved", retention_days=4000))
    assert {f.property for f in failures} == {"bucket_name", "retention_days"}
    assert dt.calls() == []  # check never calls the API

    bucket_id, bucket_outs = bucket.create(_strip(inputs))
    assert bucket_id == "gen_ai_events"
    assert bucket_outs["status"] == "active"
    assert dt.bucket("gen_ai_events")["retentionDays"] == 1825

    p_inputs, failures = pipeline.check({}, env.pipeline_props())
    assert failures == []
    pipeline_id, pipeline_outs = pipeline.create(_strip(p_inputs))
    assert [p.object_id for p in dt.pipelines()] == [pipeline_id]

    r_inputs, failures = route.check({}, env.route_props(pipeline_id))
    assert failures == []
    route_id, route_outs = route.create(_strip(r_inputs))
    assert [e["description"] for e in dt.routing_entries()] == ["AI Event Routing"]

    t_inputs, failures = token.check({}, env.token_props())
    assert failures == []
    token_id, token_outs = token.create(_strip(t_inputs))
    assert token_outs["token"].startswith(token_id + ".")

    # Diff with the old *outputs* (floats after the wire) against unchanged inputs: no change.
    for wire, id_, outs, ins in (
        (bucket, bucket_id, bucket_outs, inputs),
        (pipeline, pipeline_id, pipeline_outs, p_inputs),
        (route, route_id, route_outs, r_inputs),
        (token, token_id, token_outs, t_inputs),
    ):
        assert wire.diff(id_, _strip(outs), _strip(ins)).changes == provider_pb2.DiffResponse.DIFF_NONE

    # Read (refresh) returns the live state.
    read_id, read_outs = bucket.read(bucket_id, _strip(bucket_outs))
    assert read_id == bucket_id
    assert read_outs["retention_days"] == 1825

    # Update in place: retention is not a replace trigger; a name change is.
    changed = {**_strip(inputs), "retention_days": 365}
    diff = bucket.diff(bucket_id, _strip(bucket_outs), changed)
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == []
    renamed = bucket.diff(bucket_id, _strip(bucket_outs), {**changed, "bucket_name": "other_bucket"})
    assert list(renamed.replaces) == ["bucket_name"]
    assert renamed.deleteBeforeReplace is False
    dt.clear_log()
    bucket_outs = bucket.update(bucket_id, _strip(bucket_outs), changed)
    assert bucket_outs["retention_days"] == 365
    assert dt.bucket("gen_ai_events")["retentionDays"] == 365
    assert [(c.method, c.status) for c in dt.writes()] == [("PATCH", 200)]

    route_moved = route.diff(route_id, _strip(route_outs), {**_strip(r_inputs), "position": 3})
    assert route_moved.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(route_moved.replaces) == []
    foreign = {"enabled": True, "pipelineType": "builtin", "builtinPipelineId": "default", "matcher": "true"}
    dt.set_routing([*dt.routing_entries(), {**foreign, "description": "foreign"}])
    route_outs = route.update(route_id, _strip(route_outs), {**_strip(r_inputs), "position": 3})
    assert [e["description"] for e in dt.routing_entries()] == ["foreign", "AI Event Routing"]
    assert route_outs["position"] == 3
    assert route_outs["routing_object_id"] == dt.routing().object_id
    scopes_changed = token.diff(token_id, _strip(token_outs), {**_strip(t_inputs), "scopes": ["bizevents.ingest"]})
    assert list(scopes_changed.replaces) == ["scopes"]

    # Delete in dependency order; then Read reports every one gone (empty id).
    route.delete(route_id, _strip(route_outs))
    pipeline.delete(pipeline_id, _strip(pipeline_outs))
    bucket.delete(bucket_id, _strip(bucket_outs))
    token.delete(token_id, _strip(token_outs))
    assert [e["description"] for e in dt.routing_entries()] == ["foreign"]  # only ours was removed
    assert dt.pipelines() == []
    assert dt.api_tokens(name_contains="ingest") == []
    assert route.read(route_id, _strip(route_outs))[0] == ""
    assert pipeline.read(pipeline_id, _strip(pipeline_outs))[0] == ""
    assert token.read(token_id, _strip(token_outs))[0] == ""


def test_a_detector_the_tenant_completed_with_an_actor_stays_unchanged_through_the_host(
    host: provider_pb2_grpc.ResourceProviderStub, env: Env
) -> None:
    """The tenant fills ``executionSettings.actor``: refresh reports no drift, the re-apply diff is
    empty and writes nothing, and an update made with another user's token keeps the actor."""
    dt = env.dt
    wire = Wire(host, SettingsObjectProvider(), "SettingsObject")
    [spec] = [s for s in detector_specs(SignalsConfig(), GovernanceConfig(), KongConfig()) if s.name == "nimQueue"]
    news = env.platform(owner=OWNER, schema_id=DETECTORS_SCHEMA, key=spec.key, value=spec.value)
    inputs, failures = wire.check({}, news)
    assert failures == []
    object_id, outs = wire.create(_strip(inputs))
    assert dt.settings[object_id].value["executionSettings"] == {"actor": TOKEN_USER_ID}

    dt.clear_log()
    read_id, refreshed = wire.read(object_id, _strip(outs))  # pulumi refresh
    assert read_id == object_id
    assert refreshed["value"] == outs["value"]
    checked, _ = wire.check(_strip(inputs), news)  # the next pulumi up
    assert wire.diff(object_id, _strip(refreshed), _strip(checked)).changes == provider_pb2.DiffResponse.DIFF_NONE
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in dt.calls()] == [("GET", object_id)]
    assert dt.writes() == []

    other = dt.add_token(kind="platform", scopes=scopes_for(PLATFORM), user_id="0b1e5c1a-7f0e-4a47-9a55-2c9b3a1d2e01")
    value = json.loads(json.dumps(spec.value))
    value["enabled"] = False
    changed = {**_strip(checked), "platform_token": other, "value": value}
    assert wire.diff(object_id, _strip(refreshed), changed).changes == provider_pb2.DiffResponse.DIFF_SOME
    wire.update(object_id, _strip(refreshed), changed)
    assert [c.method for c in dt.writes()] == ["PUT"]
    assert dt.settings[object_id].value["enabled"] is False
    assert dt.settings[object_id].value["executionSettings"] == {"actor": TOKEN_USER_ID}


def test_provider_errors_reach_the_engine_clean_and_without_tokens(
    host: provider_pb2_grpc.ResourceProviderStub, env: Env
) -> None:
    env.dt.put_bucket("gen_ai_events", table="logs")
    env.dt.faults.echo_credentials = True  # the server even quotes the credential back
    bucket = Wire(host, GrailBucketProvider(), "GrailBucket")
    inputs, _ = bucket.check({}, env.bucket_props())
    with pytest.raises(grpc.RpcError) as conflict:
        bucket.create(_strip(inputs))
    assert conflict.value.code() == grpc.StatusCode.UNKNOWN
    assert "already exists with table 'logs', not 'bizevents'" in conflict.value.details()

    # A token lacking a scope: the 403 message is passed on, the token text is not.
    weak = env.dt.add_token(kind="platform", scopes=("storage:bucket-definitions:read",))
    with pytest.raises(grpc.RpcError) as denied:
        bucket.create(_strip({**inputs, "platform_token": weak, "bucket_name": "other_bucket"}))
    details = denied.value.details()
    assert "POST /platform/storage/management/v1/bucket-definitions failed with HTTP 403" in details
    assert weak.split(".")[2] not in details
    assert all(secret not in details for secret in CANARY_SECRETS)


def test_check_accepts_unknown_values_during_preview(host: provider_pb2_grpc.ResourceProviderStub, env: Env) -> None:
    pipeline = Wire(host, OpenPipelinePipelineProvider(), "OpenPipelinePipeline")
    news = env.pipeline_props(bucket_name=rpc.UNKNOWN)
    checked, failures = pipeline.check({}, news)
    assert failures == []
    assert env.dt.calls() == []
    assert checked["custom_id"] == "ai-data-governance"


@pytest.mark.skipif(FAKETIME is None, reason="faketime (Debian package faketime) is not installed; .ci/run installs it")
def test_rotation_under_a_host_whose_clock_libfaketime_moved(
    host: provider_pb2_grpc.ResourceProviderStub, env: Env
) -> None:
    """The unpatched clock path: the same stored token, diffed by a host running today and by
    hosts whose wall clock libfaketime moved 3 and 29 days ahead (expiry 30 days, window 7)."""
    token = Wire(host, IngestTokenProvider(), "IngestToken")
    t_inputs, failures = token.check({}, env.token_props(expires_in_days=30, rotate_before_days=7))
    assert failures == []
    token_id, outs = token.create(_strip(t_inputs))
    assert token.diff(token_id, _strip(outs), _strip(t_inputs)).changes == provider_pb2.DiffResponse.DIFF_NONE

    with _start_host("+3d") as soon:
        later = Wire(soon, IngestTokenProvider(), "IngestToken")
        assert later.diff(token_id, _strip(outs), _strip(t_inputs)).changes == provider_pb2.DiffResponse.DIFF_NONE

    with _start_host("+29d") as near_expiry:
        late = Wire(near_expiry, IngestTokenProvider(), "IngestToken")
        diff = late.diff(token_id, _strip(outs), _strip(t_inputs))
        assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
        assert list(diff.replaces) == ["expiration_date"]
        assert diff.deleteBeforeReplace is False
        new_id, new_outs = late.create(_strip(t_inputs))  # the replacement, minted by the faked host
    faked_day = (datetime.now(UTC) + timedelta(days=29)).strftime("%Y%m%d")
    assert new_outs["dynatrace_name"].endswith(f"] {faked_day}")
    assert {t.id for t in env.dt.api_tokens(name_contains="ai-observability-test-ingest")} == {token_id, new_id}
