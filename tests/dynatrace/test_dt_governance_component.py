"""``DynatraceGovernance`` under Pulumi mocks: what it registers, with which inputs, parents,
dependencies and secrets — and the stack wiring of ``components.stack._governance``."""

from __future__ import annotations

import threading
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from components.config import parse_stack_config
from components.config.governance import SEED_INGEST_SCOPES, GovernanceConfig
from components.dynatrace import IngestToken
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.governance import COMPONENT_TYPE, DynatraceGovernance, DynatraceGovernanceArgs
from tests.dynatrace.conftest import CANARY_API_TOKEN, CANARY_PLATFORM_TOKEN

SECRET_KEY = rpc._special_sig_key


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_KEY) == rpc._special_secret_sig


class Recorder(pulumi_mocks.Mocks):
    def __init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        with self.lock:
            self.resources.setdefault(args.name, {}).update(type=args.typ, inputs=args.inputs, custom=args.custom)
        state = dict(args.inputs)
        state.pop("__provider", None)
        if args.typ.endswith(":OpenPipelinePipeline"):
            state["object_id"] = "vu9U3hXa3q0AAAABACpipeline"
        if args.typ.endswith(":IngestToken"):
            state.update(token_id="dt0c01.MINTED00000000000000000", token="dt0c01.MINTED.SECRET")
        return f"{args.name}-id", state

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class Monitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: Recorder) -> None:
        super().__init__(mocks)
        self.recorder = mocks
        self.urns: dict[str, str] = {}

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        with self.recorder.lock:
            self.urns[urn] = request.name
            self.recorder.resources.setdefault(request.name, {}).update(
                parent=request.parent,
                dependencies=list(request.dependencies),
                secret_outputs=list(request.additionalSecretOutputs),
            )
        return super().RegisterResource(request)

    def names(self, urns: list[str]) -> set[str]:
        return {self.urns.get(u, u) for u in urns}


@pytest.fixture
def mocked() -> tuple[Recorder, Monitor]:
    recorder = Recorder()
    monitor = Monitor(recorder)
    pulumi.runtime.set_mocks(recorder, project="ai-observability", stack="dev", preview=False, monitor=monitor)
    return recorder, monitor


def _args(config: GovernanceConfig | None = None) -> DynatraceGovernanceArgs:
    return DynatraceGovernanceArgs(
        environment_url="https://abc12345.live.dynatrace.com",
        platform_url="https://abc12345.apps.dynatrace.com",
        api_token=pulumi.Output.secret(CANARY_API_TOKEN),
        platform_auth=PlatformAuth.platform_token(CANARY_PLATFORM_TOKEN),
        owner="ai-observability/dev",
        config=config or GovernanceConfig(),
    )


def test_component_registers_the_seed_chain_with_dependencies_and_secrets(mocked: tuple[Recorder, Monitor]) -> None:
    recorder, monitor = mocked
    seen: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        gov = DynatraceGovernance("governance", _args())
        assert gov.ingest_token is not None
        return pulumi.Output.all(
            gov.bucket_name, gov.pipeline_id, gov.route_description, gov.ingest_token, gov.ingest_token.is_secret()
        ).apply(lambda values: seen.update(values=values))

    run()
    res = recorder.resources
    assert res["governance"]["type"] == COMPONENT_TYPE
    assert res["governance"]["custom"] is False
    kinds = {name: r["type"] for name, r in res.items() if name != "governance"}
    assert kinds == {
        "governance-ingest-token": "pulumi-python:dynamic/dynatrace:IngestToken",
        "governance-bucket": "pulumi-python:dynamic/dynatrace:GrailBucket",
        "governance-pipeline": "pulumi-python:dynamic/dynatrace:OpenPipelinePipeline",
        "governance-route": "pulumi-python:dynamic/dynatrace:OpenPipelineRoute",
    }
    component_urn = next(u for u, n in monitor.urns.items() if n == "governance")
    assert all(res[name]["parent"] == component_urn for name in kinds)

    # Seed defaults reach the providers.
    bucket = res["governance-bucket"]["inputs"]
    assert (bucket["bucket_name"], bucket["table"], bucket["retention_days"]) == ("gen_ai_events", "bizevents", 1825)
    assert bucket["platform_url"] == "https://abc12345.apps.dynatrace.com"
    pipeline = res["governance-pipeline"]["inputs"]
    assert (pipeline["display_name"], pipeline["custom_id"], pipeline["matcher"]) == (
        "AI Data Governance",
        "ai-data-governance",
        "true",
    )
    assert pipeline["bucket_name"] == "gen_ai_events"  # taken from the bucket's output
    route = res["governance-route"]["inputs"]
    assert route["description"] == "AI Event Routing"
    assert route["matcher"] == 'matchesValue(event.type,"gen_ai.auditing")'
    assert route["position"] == 0
    assert route["pipeline_id"] == "vu9U3hXa3q0AAAABACpipeline"  # the pipeline's objectId, not its customId
    token = res["governance-ingest-token"]["inputs"]
    assert token["scopes"] == [
        "bizevents.ingest",
        "metrics.ingest",
        "logs.ingest",
        "events.ingest",
        "openTelemetryTrace.ingest",
    ]
    assert list(SEED_INGEST_SCOPES) == token["scopes"]

    # Dependencies: pipeline ← bucket, route ← pipeline; the token stands alone.
    assert "governance-bucket" in monitor.names(res["governance-pipeline"]["dependencies"])
    assert "governance-pipeline" in monitor.names(res["governance-route"]["dependencies"])
    assert monitor.names(res["governance-bucket"]["dependencies"]).isdisjoint(kinds)
    assert monitor.names(res["governance-ingest-token"]["dependencies"]).isdisjoint(kinds)

    # Secrets: admin tokens arrive wrapped; the minted token is a secret output, never plain.
    assert _is_secret(bucket["platform_token"])
    assert bucket["platform_token"]["value"] == CANARY_PLATFORM_TOKEN
    for name in ("governance-pipeline", "governance-route", "governance-ingest-token"):
        assert _is_secret(res[name]["inputs"]["api_token"])
    assert "token" in res["governance-ingest-token"]["secret_outputs"]
    assert "platform_token" in res["governance-bucket"]["secret_outputs"]
    for name in kinds:
        assert _is_secret(res[name]["inputs"]["__provider"])
    bucket_name, pipeline_id, route_description, ingest_token, token_is_secret = seen["values"]
    assert (bucket_name, pipeline_id, route_description) == (
        "gen_ai_events",
        "vu9U3hXa3q0AAAABACpipeline",
        "AI Event Routing",
    )
    assert ingest_token == "dt0c01.MINTED.SECRET"
    assert token_is_secret is True


def test_component_uses_configured_names_and_can_skip_the_token(mocked: tuple[Recorder, Monitor]) -> None:
    recorder, _ = mocked
    config = GovernanceConfig.model_validate(
        {
            "eventType": "acme.genai.audit",
            "bucket": {"name": "acme_genai", "retentionDays": 400},
            "route": {"description": "ACME GenAI", "position": 2},
            "ingestToken": {"create": False},
        }
    )

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        gov = DynatraceGovernance("gov", _args(config))
        assert gov.ingest_token is None
        assert gov.ingest_token_id is None
        return gov.bucket_name

    run()
    assert "gov-ingest-token" not in recorder.resources
    assert recorder.resources["gov-bucket"]["inputs"]["retention_days"] == 400
    route = recorder.resources["gov-route"]["inputs"]
    assert route["matcher"] == 'matchesValue(event.type,"acme.genai.audit")'
    assert route["position"] == 2
    assert route["description"] == "ACME GenAI"


RAW = {
    "ai-observability:dynatrace": {"environmentUrl": "https://abc12345.live.dynatrace.com"},
    "ai-observability:dynatraceApiToken": CANARY_API_TOKEN,
    "ai-observability:dynatracePlatformToken": CANARY_PLATFORM_TOKEN,
    "ai-observability:eventForwarding": {"enabled": False},
    "ai-observability:guardrails": {"guardrails": []},
    "ai-observability:collector": {"enabled": False},
    "ai-observability:kong": {"enabled": False},
}


def _wire(raw: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from components import stack

    config = parse_stack_config(raw, {}, stack="dev")
    outputs: dict[str, Any] = {}
    return stack._governance(config, outputs), outputs


def test_stack_wiring_returns_the_minted_token_as_a_secret(mocked: tuple[Recorder, Monitor]) -> None:
    recorder, _ = mocked
    seen: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        token, outputs = _wire(RAW)
        assert set(outputs) >= {
            "governanceBucketName",
            "governancePipelineId",
            "governanceRouteDescription",
            "dynatraceIngestTokenId",
            "dynatraceIngestTokenExpiresAt",
        }
        assert all(not isinstance(v, str) or "dt0c01" not in v for v in outputs.values())
        return pulumi.Output.all(token, token.is_secret(), outputs["governanceBucketName"]).apply(
            lambda v: seen.update(v=v)
        )

    run()
    token, is_secret, bucket = seen["v"]
    assert token == "dt0c01.MINTED.SECRET"
    assert is_secret is True
    assert bucket == "gen_ai_events"
    # The platform URL is derived from the classic one; the owner names project and stack.
    assert recorder.resources["governance-bucket"]["inputs"]["platform_url"] == "https://abc12345.apps.dynatrace.com"
    assert recorder.resources["governance-pipeline"]["inputs"]["owner"] == "ai-observability/dev"
    token_inputs = recorder.resources["governance-ingest-token"]["inputs"]
    assert (token_inputs["expires_in_days"], token_inputs["rotate_before_days"]) == (365, 30)  # the defaults
    assert "expiration_date" not in IngestToken.SECRET_OUTPUTS  # the expiry is a plain, showable output


def test_stack_wiring_falls_back_to_the_configured_ingest_token(mocked: tuple[Recorder, Monitor]) -> None:
    recorder, _ = mocked
    configured = "dt0c01.CONFIGUREDINGEST00000001." + "C" * 64
    raw = {
        **RAW,
        "ai-observability:governance": {"ingestToken": {"create": False}},
        "ai-observability:dynatraceIngestToken": configured,
    }
    seen: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        from components import stack

        minted, outputs = _wire(raw)
        assert minted is None
        assert "dynatraceIngestTokenId" not in outputs
        token = stack._ingest_token(parse_stack_config(raw, {}, stack="dev"), minted)
        return pulumi.Output.all(token, token.is_secret()).apply(lambda v: seen.update(v=v))

    run()
    assert seen["v"] == [configured, True]
    assert "governance-ingest-token" not in recorder.resources


def test_stack_wiring_without_governance_registers_nothing(mocked: tuple[Recorder, Monitor]) -> None:
    recorder, _ = mocked
    raw = {**RAW, "ai-observability:governance": {"enabled": False}}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> Any:
        token, outputs = _wire(raw)
        assert token is None
        assert "governanceBucketName" not in outputs
        return pulumi.Output.from_input(1)

    run()
    assert recorder.resources == {}
