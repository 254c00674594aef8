"""The producers as they really are, and the catalogue checked against them."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest

from components.config import CollectorConfig, KongConfig
from components.config.event_forwarding import GOVERNANCE_OPERATIONS
from components.config.governance import GovernanceConfig
from components.dynatrace import governance_fields
from components.dynatrace.governance_fields import EXTRACTIONS, dql_script
from components.dynatrace.signals import metrics
from components.dynatrace.signals.metrics import BIZEVENT_FIELDS, SPAN_FIELDS, Field
from tests.lineage.otlp_capture import OtlpOutput
from tests.lineage.producers import (
    DA_AWS_KEYS,
    PROBE_SOURCE,
    Observed,
    extract,
    observe,
    openllmetry,
    processed_governance_events,
    stored_governance_events,
)
from testsupport.genai.model_server import GUARDRAIL_ID

GOVERNANCE = GovernanceConfig()


@pytest.fixture(scope="module")
def run() -> OtlpOutput:
    return openllmetry()


@pytest.fixture(scope="module")
def observed() -> Observed:
    return observe(CollectorConfig(), KongConfig(enabled=True), GOVERNANCE)


@pytest.fixture(scope="module")
def governance_records() -> list[dict[str, Any]]:
    return stored_governance_events(GOVERNANCE)


# --- OpenLLMetry 0.62, run for real ---------------------------------------------------------------


def test_the_pinned_openllmetry_version_ran(run: OtlpOutput) -> None:
    assert run.versions["opentelemetry-instrumentation-openai"].startswith("0.62.")
    assert run.versions["opentelemetry-instrumentation-bedrock"].startswith("0.62.")
    assert len(run.spans) == 5  # chat, failed chat, converse, two invoke_model


def test_openllmetry_spans_carry_provider_and_input_output_tokens_not_the_older_names(run: OtlpOutput) -> None:
    fields = run.span_fields()
    assert {"gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.operation.name"} <= fields
    assert {"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"} <= fields
    assert not fields & {"gen_ai.system", "gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens"}
    assert {s["gen_ai.provider.name"] for s in run.spans} == {"openai", "aws.bedrock"}


def test_openllmetry_metrics_carry_the_response_model_and_no_request_model(run: OtlpOutput) -> None:
    dims = run.metric_dimensions()
    for key in ("gen_ai.client.operation.duration", "gen_ai.client.token.usage"):
        assert {"gen_ai.provider.name", "gen_ai.response.model"} <= dims[key]
        assert "gen_ai.request.model" not in dims[key]
        assert "gen_ai.system" not in dims[key]
    assert "gen_ai.token.type" in dims["gen_ai.client.token.usage"]


def test_bedrock_converse_leaves_the_response_model_out(run: OtlpOutput) -> None:
    """0.62.4 leaves the response model out of Converse spans and sets it empty on their metrics: the
    span queries fall back to the request model; the metric series group under ""."""
    converse = [s for s in run.spans if s["gen_ai.provider.name"] == "aws.bedrock" and "gen_ai.response.id" not in s]
    assert converse
    assert all("gen_ai.response.model" not in s and s["gen_ai.request.model"] for s in converse)
    assert "" in {p.attributes.get("gen_ai.response.model") for p in run.points_of(metrics.GENAI_TOKEN_USAGE.key)}


def test_openllmetry_counts_every_converse_call_as_a_guardrail_activation(run: OtlpOutput) -> None:
    """0.62.4's ``is_guardrail_activated`` treats a response without ``amazon-bedrock-guardrailAction``
    as activated, so a Converse call without any guardrail counts; only a response with a guardrail
    trace names the guardrail (``gen_ai.guardrail``) — what the guardrail alert keeps."""
    points = run.points_of(metrics.GENAI_GUARDRAIL_ACTIVATION.key)
    unnamed = [p for p in points if "gen_ai.guardrail" not in p.attributes]
    named = [p for p in points if "gen_ai.guardrail" in p.attributes]
    assert sum(p.value for p in unnamed) == 1  # the plain Converse call
    assert [(p.attributes["gen_ai.guardrail"], p.value) for p in named] == [(GUARDRAIL_ID, 1)]


# --- the catalogue against what the producers emit -------------------------------------------------


def _current(fields: tuple[Field, ...]) -> set[str]:
    return {f.name for f in fields}


def test_every_catalogued_metric_and_dimension_is_emitted(observed: Observed) -> None:
    for metric in metrics.ALL_METRICS:
        assert metric.key in observed.metric_dimensions, (metric.key, metric.producer.name)
        missing = _current(metric.dimensions) - observed.metric_dimensions[metric.key]
        assert not missing, (metric.key, missing, metric.producer.name)


def test_every_catalogued_span_and_business_event_field_is_emitted(observed: Observed) -> None:
    assert not _current(SPAN_FIELDS) - observed.span_fields
    assert not _current(BIZEVENT_FIELDS) - observed.bizevent_fields


def _all_fields() -> list[Field]:
    dims = [d for m in metrics.ALL_METRICS for d in m.dimensions]
    return [*SPAN_FIELDS, *BIZEVENT_FIELDS, *dims]


def test_fallbacks_are_names_of_other_producers_or_versions_each_cited() -> None:
    fallbacks = [(f, fb) for f in _all_fields() for fb in f.fallbacks]
    assert {fb.name for _, fb in fallbacks} >= {"gen_ai.system", "gen_ai.usage.prompt_tokens", "gen_ai.request.model"}
    for current, fallback in fallbacks:
        assert fallback.name != current.name
        assert fallback.producer.versions
        assert fallback.producer.source
        assert current.alias or current not in SPAN_FIELDS, (
            f"{current.name}: a record field with fallbacks needs an alias"
        )


def test_every_producer_says_what_the_user_must_run() -> None:
    producers = {m.producer for m in metrics.ALL_METRICS} | {f.producer for f in _all_fields()}
    for producer in producers:
        assert producer.name
        assert producer.versions
        assert producer.source
        assert producer.needs


def test_kong_metrics_carry_the_kong_prefix(observed: Observed) -> None:
    kong = [key for key, origin in observed.metric_origin.items() if origin.startswith("kong")]
    assert {"kong_ai_llm_requests_total", "kong_ai_llm_provider_latency_ms"} <= set(kong)
    assert all(key.startswith("kong_") for key in kong)
    assert "le" not in observed.metric_dimensions["kong_ai_llm_provider_latency_ms"]  # one histogram


def test_the_cloudwatch_keys_are_the_ones_dynatrace_stores() -> None:
    for metric in (metrics.BEDROCK_GUARDRAIL_INTERVENED, metrics.BEDROCK_GUARDRAIL_INVOCATIONS):
        assert metric.key in DA_AWS_KEYS


def test_gpu_tiles_split_by_the_node_the_dcgm_exporter_names(observed: Observed) -> None:
    for metric in metrics.GPU_METRICS:
        assert "hostname" in observed.metric_dimensions[metric.key]
        assert "k8s.node.name" not in observed.metric_dimensions[metric.key]


# --- the governance CloudEvent as ingest stores it, and the pipeline's extractions -----------------


def test_a_cloudevents_data_lands_as_top_level_fields_nested_objects_as_strings(
    governance_records: list[dict[str, Any]],
) -> None:
    trail = next(r for r in governance_records if r.get("eventName") == "CreateGuardrail")
    assert trail["event.type"] == GOVERNANCE.event_type
    assert trail["event.provider"] == "aws.bedrock"
    assert trail["awsRegion"] == "eu-central-1"
    assert json.loads(trail["userIdentity"])["arn"] == "arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice"
    assert not any(key == "data" or key.startswith("data.") for r in governance_records for key in r)


def test_the_extractions_name_who_what_where_and_which(governance_records: list[dict[str, Any]]) -> None:
    trail = next(r for r in governance_records if r.get("eventName") == "CreateGuardrail")
    assert extract(trail) == {
        "governance.event_name": "CreateGuardrail",
        "governance.user_arn": "arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice",
        "governance.source_ip": "203.0.113.10",
        "aws.region": "eu-central-1",
        "governance.guardrail_id": "abcd1234efgh",
    }
    job = next(r for r in governance_records if r.get("awsdetailtype") == "Model Customization Job State Change")
    fields = extract(job)
    assert fields["governance.event_name"] == "Model Customization Job State Change"
    assert fields["governance.model_id"].startswith("arn:aws:bedrock:eu-central-1::foundation-model/")
    assert fields["aws.region"] == "eu-central-1"


def test_every_extraction_finds_a_value_in_the_samples() -> None:
    records = processed_governance_events(GOVERNANCE)
    for extraction in EXTRACTIONS:
        assert any(r.get(extraction.target) is not None for r in records), extraction.target


def test_extraction_keys_are_members_of_the_bedrock_api_shapes() -> None:
    """CloudTrail copies the API request into requestParameters and the response into
    responseElements; each key read must be a member of a governance operation's shape."""
    model = botocore.session.get_session().get_service_model("bedrock")
    inputs: set[str] = set()
    outputs: set[str] = set()
    for name in GOVERNANCE_OPERATIONS:
        if name in model.operation_names:
            operation = model.operation_model(name)
            inputs |= set(operation.input_shape.members) if operation.input_shape else set()
            outputs |= set(operation.output_shape.members) if operation.output_shape else set()
    for extraction in EXTRACTIONS:
        for source in extraction.sources:
            if source.field == "requestParameters":
                assert source.key in inputs, source
            elif source.field == "responseElements":
                assert source.key in outputs, source


def test_the_processor_script_renders_every_extraction_in_order() -> None:
    script = dql_script()
    for extraction in EXTRACTIONS:
        terms = [source.dql() for source in extraction.sources]
        expression = terms[0] if len(terms) == 1 else f"coalesce({', '.join(terms)})"
        assert f"{extraction.target} = {expression}" in script
    for field in ("userIdentity", "requestParameters", "responseElements"):
        assert f'parse {field}, "JSON:governance_parsed_{field}"' in script
    assert script.splitlines()[-1].startswith("| fieldsRemove governance_parsed_")
    assert governance_fields.EVENT_NAME in EXTRACTIONS


def test_the_probe_lands_as_the_field_the_catalogue_declares(governance_records: list[dict[str, Any]]) -> None:
    [probe] = [r for r in governance_records if r.get("event.provider") == PROBE_SOURCE]
    assert probe[metrics.FIELD_PROBE.name] == probe["event.id"]
    assert all(metrics.FIELD_PROBE.name not in r for r in governance_records if r is not probe)


def test_the_program_never_imports_the_producers() -> None:
    """The instrumentations and their clients are test-only: planning the program (``__main__.py``
    under mocks) loads none of them."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys\n"
        "from tools import plan\n"
        "from tests.conftest import FAKE_ENV\n"
        "plan.plan_document(plan.evaluate_stack('dev', env=FAKE_ENV))\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'boto3', 'botocore', 'httpx2')"
        " or m.startswith('opentelemetry.instrumentation'))\n"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
    runtime = (root / "requirements.txt").read_text()
    for package in ("opentelemetry-instrumentation", "openai", "boto3"):
        assert package not in runtime
