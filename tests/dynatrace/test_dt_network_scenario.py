"""The governance chain (token, bucket, pipeline, route) through the Pulumi SDK's dynamic-provider
host, in a corporate network: the tenant is reachable only through an HTTP ``CONNECT`` proxy,
speaks HTTPS with a certificate from a private CA, and answers one request in three with 503.

The host is a separate process (as under ``pulumi up``): the proxy and CA settings reach the
providers only through that process's environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.dynatrace import (
    GrailBucketProvider,
    IngestTokenProvider,
    OpenPipelinePipelineProvider,
    OpenPipelineRouteProvider,
)
from tests.dynatrace.conftest import FAST, OWNER, ROOT
from tests.dynatrace.test_dt_dynamic_host import PROJECT, Wire, _strip
from testsupport.dynatrace.emulator import Faults
from testsupport.dynatrace.netfixtures import NETWORK_VARIABLES, ProxiedTenant
from testsupport.dynatrace.tls import PrivateCa
from testsupport.plugin_host import plugin_process

FOREIGN = [
    {"enabled": True, "pipelineType": "builtin", "builtinPipelineId": "default", "matcher": "true", "description": "x"}
]
MATCHER = 'matchesValue(event.type,"gen_ai.auditing")'
INGEST_SCOPES = ["bizevents.ingest", "metrics.ingest", "logs.ingest", "events.ingest", "openTelemetryTrace.ingest"]


@contextmanager
def provider_host(network: dict[str, str]) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """``python -m pulumi.dynamic`` with exactly these network variables (and no others)."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in NETWORK_VARIABLES}
    env.pop("PYTHONPATH", None)
    env.update({"PULUMI_PROJECT": PROJECT, "NO_PROXY": "", "no_proxy": "", **network})
    command = [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"]
    with plugin_process(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL) as (_, port):
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)])
        grpc.channel_ready_future(channel).result(timeout=20)
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        stub.Configure(provider_pb2.ConfigureRequest(acceptSecrets=True))
        yield stub
        channel.close()


def _props(proxied: ProxiedTenant) -> dict[str, dict[str, Any]]:
    tenant, client = proxied.tenant, FAST.to_props()
    classic = {"environment_url": proxied.url, "api_token": tenant.api_token, "client": client}
    platform = {"platform_url": proxied.url, "platform_token": tenant.platform_token, "client": client}
    return {
        "bucket": {
            **platform,
            "bucket_name": "gen_ai_events",
            "table": "bizevents",
            "retention_days": 1825,
            "display_name": "GenAI",
        },
        "pipeline": {
            **classic,
            "owner": OWNER,
            "custom_id": "ai-data-governance",
            "display_name": "AI Data Governance",
            "bucket_name": "gen_ai_events",
        },
        "route": {**classic, "description": "AI Event Routing", "matcher": MATCHER},
        "token": {
            **classic,
            "owner": OWNER,
            "name": "ai-observability-net-ingest",
            "scopes": INGEST_SCOPES,
            "expires_in_days": 30,
        },
    }


def test_governance_chain_converges_through_a_proxy_with_a_private_ca_and_overload(
    proxied: ProxiedTenant, private_ca: PrivateCa
) -> None:
    dt = proxied.tenant.dt
    dt.set_routing(FOREIGN)
    dt.faults = Faults(fail_ratio=1 / 3, statuses=(503,), retry_after=None)
    props = _props(proxied)
    network = {"HTTPS_PROXY": proxied.proxy.url, "REQUESTS_CA_BUNDLE": str(private_ca.ca_pem)}
    with provider_host(network) as host:
        wires = {
            "token": Wire(host, IngestTokenProvider(), "IngestToken"),
            "bucket": Wire(host, GrailBucketProvider(), "GrailBucket"),
            "pipeline": Wire(host, OpenPipelinePipelineProvider(), "OpenPipelinePipeline"),
            "route": Wire(host, OpenPipelineRouteProvider(), "OpenPipelineRoute"),
        }
        ids: dict[str, str] = {}
        inputs: dict[str, dict[str, Any]] = {}
        outs: dict[str, dict[str, Any]] = {}
        for kind in ("token", "bucket", "pipeline", "route"):  # the engine's dependency order
            news = props[kind] if kind != "route" else {**props["route"], "pipeline_id": ids["pipeline"]}
            checked, failures = wires[kind].check({}, news)
            assert failures == []
            inputs[kind] = _strip(checked)
            ids[kind], outs[kind] = wires[kind].create(inputs[kind])

        injected = [c for c in dt.calls() if c.injected]
        served = [c for c in dt.calls() if not c.injected]
        assert injected, "one request in three should have been answered 503"
        assert all(c.status == 503 for c in injected)
        # Only the documented transient answers besides success: 404 while a new bucket propagates.
        assert {c.status for c in served} <= {200, 201, 202, 204, 404}, [(c.method, c.path, c.status) for c in served]
        # Converged: one of each, wired together, the foreign route kept after ours.
        assert dt.custom_buckets() == ["gen_ai_events"]
        bucket = dt.bucket("gen_ai_events")
        assert bucket is not None
        assert bucket["status"] == "active"
        assert [p.object_id for p in dt.pipelines()] == [ids["pipeline"]]
        assert [e["description"] for e in dt.routing_entries()] == ["AI Event Routing", "x"]
        assert dt.routing_entries()[0]["pipelineId"] == ids["pipeline"]
        assert dt.routing_entries()[1:] == FOREIGN
        assert [t.id for t in dt.api_tokens(name_contains="ai-observability-net-ingest")] == [ids["token"]]
        # Every call went through the proxy: the URL's port is closed, only the proxy maps it.
        assert proxied.proxy.tunnels
        assert {(t.target, t.status) for t in proxied.proxy.tunnels} == {(proxied.target, 200)}
        print(
            f"\ncreate chain: {len(served)} calls served + {len(injected)} answered 503, "
            f"{len(proxied.proxy.tunnels)} proxy tunnels"
        )

        # A second apply: check + diff on unchanged inputs, then a refresh; no write, no duplicate.
        dt.clear_log()
        for kind, wire in wires.items():
            news = props[kind] if kind != "route" else {**props["route"], "pipeline_id": ids["pipeline"]}
            checked, failures = wire.check(inputs[kind], news)
            assert failures == []
            assert wire.diff(ids[kind], _strip(outs[kind]), _strip(checked)).changes == (
                provider_pb2.DiffResponse.DIFF_NONE
            )
            read_id, _ = wire.read(ids[kind], _strip(outs[kind]))
            assert read_id == ids[kind]
        assert dt.writes() == []
        assert [e["description"] for e in dt.routing_entries()] == ["AI Event Routing", "x"]
        assert len(dt.pipelines()) == 1
        assert len(dt.api_tokens(name_contains="ai-observability-net-ingest")) == 1


def test_without_the_ca_the_host_reports_what_to_set(proxied: ProxiedTenant) -> None:
    props = _props(proxied)
    with provider_host({"HTTPS_PROXY": proxied.proxy.url}) as host:
        bucket = Wire(host, GrailBucketProvider(), "GrailBucket")
        checked, _ = bucket.check({}, props["bucket"])
        try:
            bucket.create(_strip(checked))
        except grpc.RpcError as exc:
            details = exc.details() or ""
        else:
            raise AssertionError("create succeeded without trusting the private CA")
    assert "TLS certificate verification failed" in details
    assert "REQUESTS_CA_BUNDLE" in details
    assert proxied.tenant.platform_token.split(".")[2] not in details
    assert proxied.tenant.dt.calls() == []
