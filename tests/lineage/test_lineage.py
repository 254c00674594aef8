"""Every DQL query of every detector and dashboard tile of the planned dev and prod stacks reads only
names a producer really emits (see :mod:`tests.lineage.producers`), and the check catches a query
that goes back to the names of the previous release."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.config import parse_stack_config
from components.dynatrace.governance_fields import dql_script
from components.dynatrace.signals import metrics
from components.dynatrace.signals.detectors import SCHEMA_ID
from tests.conftest import FAKE_ENV, stack_file
from tests.lineage.dql_lineage import Problem, check_producer, check_query, outputs, segments, title_dimensions
from tests.lineage.otlp_capture import OtlpOutput
from tests.lineage.producers import Observed, observe, openllmetry
from tests.lineage.record_producer import PRODUCERS, load
from tools import plan

STACKS = ("dev", "prod")
ENV = dict(FAKE_ENV)


@dataclass(frozen=True)
class Planned:
    where: str
    query: str
    title: str | None = None


@dataclass
class StackSignals:
    stack: str
    queries: list[Planned]
    pipeline_script: str | None
    observed: Observed


def _planned_queries(document: dict[str, Any]) -> list[Planned]:
    found: list[Planned] = []
    for resource in document["resources"]:
        inputs = resource["inputs"]
        if resource["type"].endswith(":SettingsObject") and inputs.get("schema_id") == SCHEMA_ID:
            value = inputs["value"]
            query = next(i["value"] for i in value["analyzer"]["input"] if i["key"] == "query")
            found.append(Planned(f"detector {inputs['key']}", query, value["title"]))
        elif resource["type"].endswith(":Document"):
            for tile_id, tile in json.loads(inputs["content"])["tiles"].items():
                if tile["type"] == "data":
                    found.append(
                        Planned(f"dashboard {inputs['name']!r} tile {tile_id} {tile['title']!r}", tile["query"])
                    )
    return found


_CACHE: dict[str, StackSignals] = {}


def signals_of(stack: str) -> StackSignals:
    """The stack planned offline (its detectors, tiles, pipeline) and its producers observed."""
    if stack not in _CACHE:
        document = plan.plan_document(plan.evaluate_stack(stack, env=ENV))
        [pipeline] = [r for r in document["resources"] if r["type"].endswith(":OpenPipelinePipeline")]
        config = parse_stack_config(stack_file(stack), ENV, stack)
        observed = observe(config.collector, config.kong, config.governance)
        _CACHE[stack] = StackSignals(
            stack, _planned_queries(document), pipeline["inputs"].get("processing_script"), observed
        )
    return _CACHE[stack]


@pytest.fixture(scope="module", params=STACKS)
def stack(request: pytest.FixtureRequest) -> StackSignals:
    return signals_of(request.param)


def _report(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


def test_every_detector_and_tile_reads_only_what_producers_emit(stack: StackSignals) -> None:
    assert len([q for q in stack.queries if q.where.startswith("detector")]) == 9
    assert len(stack.queries) > 30
    problems = [p for q in stack.queries for p in check_query(q.query, f"{stack.stack} {q.where}", stack.observed)]
    assert not problems, "\n" + _report(problems)


def test_detector_titles_name_dimensions_their_query_outputs(stack: StackSignals) -> None:
    for planned in stack.queries:
        for dimension in title_dimensions(planned.title or ""):
            assert dimension in outputs(planned.query), (planned.where, planned.title, planned.query)


_SERIES_COMMAND = re.compile(r"(?:^|\|)\s*(?:append \[)?\s*((?:timeseries|makeTimeseries)\b[^|\]]*)")


def test_every_detector_query_makes_one_minute_bins(stack: StackSignals) -> None:
    """The detector runs every minute over 1-minute bins: each timeseries/makeTimeseries command of a
    detector query (append subqueries included) sets ``interval:1m`` (Davis Anomaly Detection DQL
    writing guide)."""
    detectors = [q for q in stack.queries if q.where.startswith("detector")]
    for planned in detectors:
        commands = _SERIES_COMMAND.findall(planned.query)
        assert len(commands) == len(segments(planned.query)), planned.query
        assert all(re.search(r"\binterval:1m\b", c) for c in commands), planned.query


def test_governance_tiles_and_the_forwarding_alert_leave_out_verify_probes(stack: StackSignals) -> None:
    """``isNull(probe)`` keeps every record without the field (the forwarded events) and drops the
    probe events, which carry it; ``probe != …`` or ``not(probe == …)`` would drop them all (null)."""
    governance = [q for q in stack.queries if any(s.source == "bizevents" for s in segments(q.query))]
    assert len(governance) >= 5
    for planned in governance:
        assert "\n| filter isNull(probe)\n" in planned.query, planned.where


def test_the_pipeline_processing_is_the_catalogue_extraction(stack: StackSignals) -> None:
    assert stack.pipeline_script == dql_script()


# --- the check fails on the names of the previous release ---------------------------------------


@dataclass(frozen=True)
class Revert:
    """Queries edited back to an old name: ``(pattern, replacement)`` applied to every planned query."""

    old_name: str
    """A pattern the name reported by the check matches."""
    edits: tuple[tuple[str, str], ...]


REVERTS = {
    "gen_ai.system alone": Revert(
        "gen_ai.system", ((r"coalesce\(gen_ai\.provider\.name, gen_ai\.system\)", "gen_ai.system"),)
    ),
    "gen_ai.system on metrics": Revert(
        "gen_ai.system", ((r"by:\{gen_ai\.response\.model, gen_ai\.request\.model", "by:{gen_ai.system"),)
    ),
    "gen_ai.request.model as the only split on metrics": Revert(
        "gen_ai.request.model", ((r"by:\{gen_ai\.response\.model, gen_ai\.request\.model", "by:{gen_ai.request.model"),)
    ),
    "prompt/completion token names alone": Revert(
        "gen_ai.usage.prompt_tokens",
        ((r"coalesce\(gen_ai\.usage\.input_tokens, gen_ai\.usage\.prompt_tokens\)", "gen_ai.usage.prompt_tokens"),),
    ),
    "ai_llm_* without kong_": Revert(r"ai_llm_\w+", ((r"\bkong_ai_llm_", "ai_llm_"),)),
    "ai_llm_provider_latency": Revert(
        "ai_llm_provider_latency", ((r"\bkong_ai_llm_provider_latency_ms\b", "ai_llm_provider_latency"),)
    ),
    "the guessed CloudWatch key": Revert(
        "cloud.aws.bedrock.guardrails.invocationsintervened",
        (
            (
                r"cloud\.aws\.bedrock_guardrails\.InvocationsIntervened\.By\.GuardrailArn\.GuardrailVersion",
                "cloud.aws.bedrock.guardrails.invocationsintervened",
            ),
        ),
    ),
    "lower-case guardrail dimension": Revert("guardrailarn", ((r"(?<!\.)\bGuardrailArn\b(?!\.)", "guardrailarn"),)),
    "data.eventName": Revert("data.eventName", ((r"\bgovernance\.event_name\b", "data.eventName"),)),
    "data.userIdentity.arn": Revert("data.userIdentity.arn", ((r"\bgovernance\.user_arn\b", "data.userIdentity.arn"),)),
    "k8s.node.name on GPU metrics": Revert("k8s.node.name", ((r"by:\{hostname, Hostname\}", "by:{k8s.node.name}"),)),
}


@pytest.mark.parametrize("case", REVERTS.values(), ids=REVERTS.keys())
def test_reverting_a_query_to_an_old_name_fails_the_check(case: Revert) -> None:
    stack = signals_of("dev")
    edited = 0
    for planned in stack.queries:
        query = planned.query
        for pattern, replacement in case.edits:
            query = re.sub(pattern, replacement, query)
        if query == planned.query:
            continue
        edited += 1
        problems = check_query(query, planned.where, stack.observed)
        assert [p for p in problems if re.fullmatch(case.old_name, p.name)], (planned.where, query)
        assert not check_query(planned.query, planned.where, stack.observed)
    assert edited, "the edit must apply to at least one planned query"


PREVIOUS_RELEASE = {
    "llmErrorRate": "fetch spans\n| filter isNotNull(gen_ai.system)\n| makeTimeseries {total = count(), "
    'errors = countIf(span.status_code == "error")}, by:{gen_ai.system}, interval:1m\n'
    "| fieldsAdd error_rate = 100 * errors[] / total[]\n| fields timeframe, interval, error_rate, gen_ai.system",
    "llmLatency": "timeseries p95 = percentile(gen_ai.client.operation.duration, 95), by:{gen_ai.request.model}",
    "tokenUsage": "timeseries tokens = sum(gen_ai.client.token.usage), by:{gen_ai.request.model}",
    "guardrailActivations": "timeseries intervened = sum(cloud.aws.bedrock.guardrails.invocationsintervened), "
    "by:{guardrailarn}",
    "kongLatency": "timeseries latency_p95 = percentile(ai_llm_provider_latency, 95), by:{ai_provider}",
    "kong requests": "timeseries requests = sum(ai_llm_requests_total, rate:1m), by:{ai_provider}",
    "actions by identity": 'fetch bizevents\n| filter dt.system.bucket == "gen_ai_events"\n'
    '| filter event.type == "gen_ai.auditing"\n| summarize events = count(), '
    "by:{data.userIdentity.arn, data.eventName}\n| sort events desc\n| limit 50",
    "span table": "fetch spans, samplingRatio:$sampling\n| filter isNotNull(gen_ai.system)\n"
    '| summarize {requests = count(), errors = countIf(span.status_code == "error"), '
    "p95_duration = percentile(duration, 95), input_tokens = sum(gen_ai.usage.prompt_tokens), "
    "output_tokens = sum(gen_ai.usage.completion_tokens)}, by:{gen_ai.system, gen_ai.request.model}",
    "GPU tile": "timeseries gpu = avg(DCGM_FI_DEV_GPU_UTIL), by:{k8s.node.name}",
}


@pytest.mark.parametrize("name", PREVIOUS_RELEASE)
def test_the_previous_releases_queries_fail_the_check(name: str) -> None:
    problems = check_query(PREVIOUS_RELEASE[name], name, signals_of("dev").observed)
    assert problems
    assert all(p.query == PREVIOUS_RELEASE[name] and p.expected for p in problems)


def test_a_failure_names_the_query_the_name_and_the_expected_producer() -> None:
    [problem] = check_query(
        PREVIOUS_RELEASE["kongLatency"], "detector kong-provider-latency", signals_of("dev").observed
    )
    text = str(problem)
    assert "detector kong-provider-latency" in text
    assert "'ai_llm_provider_latency'" in text
    assert PREVIOUS_RELEASE["kongLatency"] in text
    [problem] = check_query(
        "timeseries p95 = percentile(gen_ai.client.operation.duration, 95), by:{gen_ai.request.model}",
        "detector llm-latency-p95",
        signals_of("dev").observed,
    )
    assert "OpenTelemetry contrib GenAI instrumentations" in str(problem)
    assert "older name of 'gen_ai.response.model'" in str(problem)


# --- other producers: older OpenLLMetry, the OTel contrib instrumentations, LangChain -------------

RECORDINGS = sorted((Path(__file__).resolve().parent / "recordings").glob("*.json"))
PINNED_RUN = "openllmetry-0.62.4 (run)"


def _llm(title: str) -> str:
    return f"'LLM services' tile \\d+ '{re.escape(title)}'"


GENAI_QUERIES = (
    "detector llm-error-rate",
    "detector llm-latency-p95",
    "detector token-usage-spike",
    "detector guardrail-activations",
    *(_llm(t) for t in ("Requests per model", "Failed requests per error type", "p95 latency per model (s)")),
    *(_llm(t) for t in ("Tokens per model and type", "Guardrail interventions per guardrail (CloudWatch and apps)")),
    _llm("Requests, errors, p95 and tokens per provider and model (sampled spans)"),
)
"""Every planned query that reads what instrumented apps send (spans, gen_ai.* metrics)."""
_EVERY_APP = frozenset(
    {
        "detector llm-error-rate",
        "detector llm-latency-p95",
        "detector token-usage-spike",
        _llm("Requests per model"),
        _llm("p95 latency per model (s)"),
        _llm("Tokens per model and type"),
        _llm("Requests, errors, p95 and tokens per provider and model (sampled spans)"),
    }
)
_FAILED_METRIC = frozenset({_llm("Failed requests per error type")})
_GUARDRAIL_APP = frozenset(
    {"detector guardrail-activations", _llm("Guardrail interventions per guardrail (CloudWatch and apps)")}
)
FEEDS = {
    PINNED_RUN: _EVERY_APP | _FAILED_METRIC | _GUARDRAIL_APP,
    "openllmetry-0.40.14.json": _EVERY_APP | _FAILED_METRIC | _GUARDRAIL_APP,
    "openllmetry-0.47.5.json": _EVERY_APP | _FAILED_METRIC | _GUARDRAIL_APP,
    "openllmetry-0.54.0.json": _EVERY_APP | _FAILED_METRIC | _GUARDRAIL_APP,
    # contrib: no Bedrock guardrail metric; the guardrail alert needs the CloudWatch side
    "otel-contrib-openai-v2-2.4b0-botocore-0.66b2.json": _EVERY_APP | _FAILED_METRIC,
    # LangChain: a failed call leaves a span in error but no gen_ai.client.operation.duration point
    "openllmetry-langchain-0.62.4.json": _EVERY_APP,
}
"""Per producer, the GenAI queries that must find its data (``docs/alerts.md``, "Instrumentations");
every other GenAI query must not, so the table stays the truth."""


def producer_output(name: str) -> OtlpOutput:
    return openllmetry() if name == PINNED_RUN else load(Path(__file__).resolve().parent / "recordings" / name)[1]


def test_the_recordings_are_the_ones_the_docs_list_each_saying_how_it_was_made() -> None:
    assert {p.name for p in RECORDINGS} == set(FEEDS) - {PINNED_RUN}
    for path in RECORDINGS:
        header, output = load(path)
        assert header["producer"] in PRODUCERS, path.name
        assert header["command"].startswith(f"python -m tests.lineage.record_producer {header['producer']} "), path.name
        assert header["installed_with"], path.name
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", header["date"]), path.name
        assert header["versions"] == output.versions, path.name
        assert output.spans, path.name
        assert output.points, path.name
        instrumentations = [v for k, v in header["versions"].items() if k.startswith("opentelemetry-instrumentation-")]
        assert all(v in path.name for v in instrumentations), (path.name, instrumentations)


@pytest.mark.parametrize("name", FEEDS)
def test_each_producer_feeds_exactly_the_queries_the_docs_promise(stack: StackSignals, name: str) -> None:
    output = producer_output(name)
    spans, dims = output.span_fields(), output.metric_dimensions()
    finding, missing = set(), {}
    for pattern in GENAI_QUERIES:
        [planned] = [q for q in stack.queries if re.search(pattern + "$", q.where)]
        per_pipeline = check_producer(planned.query, planned.where, spans, dims)
        if any(not problems for problems in per_pipeline):
            finding.add(pattern)
        else:
            missing[pattern] = [str(p) for problems in per_pipeline for p in problems]
    assert finding == FEEDS[name], {k: v for k, v in missing.items() if k in FEEDS[name]}


def _first(record: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((record[n] for n in names if record.get(n) is not None), None)


def _reads(stack: StackSignals, key: str) -> set[str]:
    [planned] = [q for q in stack.queries if q.where == f"detector {key}"]
    return {name for segment in segments(planned.query) for name in (*segment.reads, *segment.outputs)}


@pytest.mark.parametrize("name", FEEDS)
def test_the_error_latency_and_token_detectors_split_each_producers_data(stack: StackSignals, name: str) -> None:
    """The records and points the three detectors select, split by what they split by (provider on
    spans, model on metrics, reading every name the query reads): the failed call counts as an error,
    every span of a model call names its provider, and no point of a call that names its provider falls
    into the null model group."""
    output = producer_output(name)
    provider, model = metrics.GENAI_PROVIDER, metrics.METRIC_MODEL
    assert set(provider.names) <= _reads(stack, "llm-error-rate")
    calls = [s for s in output.spans if "gen_ai.request.model" in s]
    assert all(_first(s, provider.names) for s in calls), (name, calls)
    assert [s for s in calls if s["span.status_code"] == metrics.SPAN_STATUS_ERROR], name
    for key, metric in (
        ("llm-latency-p95", metrics.GENAI_OPERATION_DURATION),
        ("token-usage-spike", metrics.GENAI_TOKEN_USAGE),
    ):
        assert set(model.names) <= _reads(stack, key)
        calls = [p.attributes for p in output.points_of(metric.key) if _first(p.attributes, provider.names)]
        assert calls, (name, metric.key)
        assert all(_first(a, model.names) is not None for a in calls), (name, metric.key, calls)


def test_every_fallback_name_is_emitted_by_a_recorded_producer() -> None:
    """An older name in the catalogue is only worth reading if an older (or other) producer really
    emits it: each one is in a recording."""
    seen: set[str] = set()
    for path in RECORDINGS:
        output = load(path)[1]
        seen |= output.span_fields() | {d for dims in output.metric_dimensions().values() for d in dims}
    genai = [*metrics.SPAN_FIELDS, metrics.METRIC_MODEL, metrics.GENAI_PROVIDER]
    fallbacks = {fb.name for f in genai for fb in f.fallbacks}
    assert fallbacks >= {"gen_ai.system", "gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens"}
    assert not fallbacks - seen


def test_bedrock_calls_are_named_differently_by_each_producer() -> None:
    """The provider value the error-rate alert splits by changes with the instrumentation (the
    catalogue's GENAI_PROVIDER note; an upgrade starts new series)."""
    values = {}
    for name in FEEDS:
        spans = producer_output(name).spans
        values[name] = {
            _first(s, metrics.GENAI_PROVIDER.names) for s in spans if "claude" in str(s.get("gen_ai.request.model"))
        }
    assert values["openllmetry-0.40.14.json"] == {"anthropic"}
    assert values["openllmetry-0.47.5.json"] == values["openllmetry-0.54.0.json"] == {"AWS"}
    assert values[PINNED_RUN] == values["otel-contrib-openai-v2-2.4b0-botocore-0.66b2.json"] == {"aws.bedrock"}
