"""The pack loads as the Pulumi engine loads it: ``python -u -m pulumi.policy <engine> <pack dir>``
from the pack directory (what ``runtime: python`` in PulumiPolicy.yaml means). The analyzer
prints its port; we speak the Analyzer gRPC protocol to it, as the CLI would."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from policy_samples import DT, GRAIL_BUCKET, GUARDRAIL, PLATFORM_TOKEN, urn, with_
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import ResourceValidationPolicy

from components.secret_wire import secret_wrapper
from policies.registry import all_policies
from policies.runner import load_pack_config, resolve, run_policies
from testsupport.plugin_host import plugin_process

ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = ROOT / "policies"
POLICY_DESCRIPTIONS = {p.name: p.description for p in all_policies()}
LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    runtime = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())["runtime"]
    assert runtime == "python"
    env = {**os.environ, "PULUMI_PROJECT": "ai-observability", "PULUMI_STACK": "prod", "PULUMI_DRY_RUN": "true"}
    env.pop("PYTHONPATH", None)  # the pack must find its own modules
    command = [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK_DIR)]
    with plugin_process(command, cwd=PACK_DIR, env=env) as (_, port):
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=10)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def configure(stub: analyzer_pb2_grpc.AnalyzerStub, stack: str) -> None:
    """What the CLI sends for ``--policy-pack-config policies/config/<stack>.json``."""
    pack_config = load_pack_config(stack)
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for policy in all_policies():
        level, settings = resolve(policy, pack_config)
        request.policyConfig[policy.name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level.value], properties=struct(settings))
        )
    stub.Configure(request, timeout=10)


def grail_bucket_request(retention: float) -> analyzer_pb2.AnalyzeRequest:
    # As the engine sends inputs: secrets wrapped with the signature key.
    props = with_(GRAIL_BUCKET, "retention_days", retention)
    props["platform_token"] = secret_wrapper(PLATFORM_TOKEN)
    type_ = DT + "GrailBucket"
    return analyzer_pb2.AnalyzeRequest(type=type_, properties=struct(props), urn=urn(type_, "bucket"), name="bucket")


def test_plugin_and_analyzer_info_list_every_policy(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    assert analyzer.GetPluginInfo(empty_pb2.Empty(), timeout=10).version
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
    assert info.name == "ai-observability-policies"
    assert info.supportsConfig
    listed = {p.name: p for p in info.policies}
    expected = {p.name: p for p in all_policies()}
    assert set(listed) == set(expected)
    for name, policy in expected.items():
        entry = listed[name]
        assert entry.description == policy.description
        assert entry.enforcementLevel == LEVELS[(policy.enforcement_level or "advisory").value]  # type: ignore[union-attr]
        kind = (
            analyzer_pb2.POLICY_TYPE_RESOURCE
            if isinstance(policy, ResourceValidationPolicy)
            else analyzer_pb2.POLICY_TYPE_STACK
        )
        assert entry.policy_type == kind
        schema = policy.config_schema.properties if policy.config_schema else {}
        listed_schema = json_format.MessageToDict(entry.configSchema.properties)
        assert listed_schema == json.loads(json.dumps(schema))
    bucket = json_format.MessageToDict(listed["governance-bucket-retains-bizevents"].configSchema.properties)
    assert bucket["minRetentionDays"]["default"] == 184


@pytest.mark.parametrize(("stack", "level"), [("prod", analyzer_pb2.MANDATORY), ("dev", analyzer_pb2.ADVISORY)])
def test_engine_path_enforces_the_committed_config(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, stack: str, level: int
) -> None:
    configure(analyzer, stack)
    ok = analyzer.Analyze(grail_bucket_request(1825.0), timeout=10)
    assert [d.policyName for d in ok.diagnostics] == []
    bad = analyzer.Analyze(grail_bucket_request(30.0), timeout=10)
    assert [(d.policyName, d.enforcementLevel) for d in bad.diagnostics] == [
        ("governance-bucket-retains-bizevents", level)
    ]
    message = bad.diagnostics[0].message
    assert "30.0 days; at least 184" in message
    assert "Why: " in message
    assert "Fix: " in message
    # the offline plan runs the same rule: same message (the engine prefixes the description)
    request = grail_bucket_request(30.0)
    planned = SimpleNamespace(
        urn=request.urn,
        type=request.type,
        name=request.name,
        parent="",
        custom=True,
        inputs=json_format.MessageToDict(request.properties),
    )
    # (stack policies also judge this one-resource stack for what it lacks: compare the resource rule)
    [offline] = [
        v for v in run_policies([planned], load_pack_config(stack)) if v.policy == "governance-bucket-retains-bizevents"
    ]
    assert message == f"{POLICY_DESCRIPTIONS[offline.policy]}\n{offline.message}"
    # tri-state: policies that do not understand a Grail bucket say so instead of passing silently
    not_applicable = {n.policy_name for n in bad.not_applicable}
    assert "gpu-node-groups-use-nvidia-ami" in not_applicable
    # the engine cannot see secrecy: that rule is not applicable on this path
    assert "credentials-reach-resources-as-secrets" in not_applicable


def test_engine_path_runs_stack_policies(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    configure(analyzer, "prod")
    type_ = "aws:bedrock/guardrail:Guardrail"
    resource = analyzer_pb2.AnalyzerResource(type=type_, properties=struct(GUARDRAIL), urn=urn(type_, "g"), name="g")
    started = time.monotonic()
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[resource]), timeout=10)
    assert time.monotonic() - started < 5
    found = {(d.policyName, d.urn) for d in response.diagnostics}
    assert ("guardrails-have-pinned-version", urn(type_, "g")) in found
    assert ("model-invocation-logging-retained", "") in found
