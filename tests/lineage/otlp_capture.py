"""Run instrumentations for real against the loopback model server and keep what they emit.

The real ``openai`` and ``boto3`` clients (and, for LangChain, ``langchain-openai``) call a
loopback model server (:mod:`testsupport.genai.model_server`) with dummy credentials; the
instrumentations report to the OTel SDK's in-memory span exporter and metric reader. The calls
cover what apps do: an OpenAI chat completion, one that fails (HTTP 500), a Bedrock Converse call,
and Bedrock InvokeModel calls without and with a guardrail (trace enabled).

Span records are turned into what Grail's ``spans`` table holds for them: the span attributes,
``span.status_code`` (``ok``/``error``/``unset`` from the OTLP status) and ``duration``. Metric
data points keep their attributes (the dimensions Dynatrace stores). An :class:`OtlpOutput`
round-trips through JSON, so a run of a release that cannot be installed beside the pinned one is
kept as a recording (:mod:`tests.lineage.record_producer`).

Only tests and the recorder import this: the program never imports the instrumentations.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from testsupport.genai.model_server import FAILING_MODEL, GUARDRAIL_ID, ModelServer

OPENAI_MODEL = "gpt-4o"
BEDROCK_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
REGION = "eu-central-1"


@dataclass(frozen=True)
class Point:
    metric: str
    attributes: dict[str, Any]
    value: float


@dataclass
class OtlpOutput:
    """What the instrumented app sends: span records (as Grail stores them) and metric data points."""

    spans: list[dict[str, Any]] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    def metric_dimensions(self) -> dict[str, set[str]]:
        dims: dict[str, set[str]] = {}
        for point in self.points:
            dims.setdefault(point.metric, set()).update(point.attributes)
        return dims

    def span_fields(self) -> set[str]:
        return {key for span in self.spans for key in span}

    def points_of(self, metric: str) -> list[Point]:
        return [p for p in self.points if p.metric == metric]

    def to_json(self) -> dict[str, Any]:
        return {"versions": self.versions, "spans": self.spans, "points": [asdict(p) for p in self.points]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OtlpOutput:
        points = [Point(p["metric"], dict(p["attributes"]), float(p["value"])) for p in data["points"]]
        return cls(list(data["spans"]), points, dict(data["versions"]))


def _json_value(value: Any) -> Any:
    """Attribute values as JSON keeps them (OTel sequences are tuples)."""
    return list(value) if isinstance(value, tuple) else value


def _span_record(span: Any) -> dict[str, Any]:
    record = {key: _json_value(value) for key, value in (span.attributes or {}).items()}
    record["span.status_code"] = span.status.status_code.name.lower()
    record["duration"] = span.end_time - span.start_time
    record["span.name"] = span.name
    return record


def openai_and_bedrock_calls(url: str) -> None:
    """What an app does with the ``openai`` and ``boto3`` clients."""
    import boto3
    import openai

    client = openai.OpenAI(base_url=url + "/v1", api_key="sk-lineage-test", max_retries=0)
    client.chat.completions.create(model=OPENAI_MODEL, messages=[{"role": "user", "content": "hello"}])
    with contextlib.suppress(openai.InternalServerError):
        client.chat.completions.create(model=FAILING_MODEL, messages=[{"role": "user", "content": "hello"}])
    bedrock = boto3.client(
        "bedrock-runtime",
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="AKIALINEAGETEST00000",
        aws_secret_access_key="lineage-test-secret",
    )
    bedrock.converse(modelId=BEDROCK_MODEL, messages=[{"role": "user", "content": [{"text": "hello"}]}])
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
    )
    bedrock.invoke_model(modelId=BEDROCK_MODEL, body=body)
    bedrock.invoke_model(
        modelId=BEDROCK_MODEL, body=body, guardrailIdentifier=GUARDRAIL_ID, guardrailVersion="1", trace="ENABLED"
    )


def capture(instrumentors: Sequence[Any], calls: Callable[[str], None], distributions: Sequence[str]) -> OtlpOutput:
    """Instrument, make ``calls`` against a fresh loopback server, uninstrument; what was emitted
    (with the installed versions of ``distributions``)."""
    from importlib.metadata import version

    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        with ModelServer() as server, ThreadPoolExecutor(max_workers=1) as worker:
            # OpenLLMetry's OpenAI instrumentation runs asyncio.run() inside every synchronous call,
            # which leaves the calling thread without an event loop: call from a thread of our own.
            worker.submit(calls, server.url).result()
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()
    output = OtlpOutput(versions={name: version(name) for name in distributions})
    output.spans = [_span_record(span) for span in exporter.get_finished_spans()]
    data = reader.get_metrics_data()
    for resource_metrics in data.resource_metrics if data else []:
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    value = point.count if value is None else value
                    attributes = {key: _json_value(v) for key, v in (point.attributes or {}).items()}
                    output.points.append(Point(metric.name, attributes, float(value)))
    meter_provider.shutdown()
    tracer_provider.shutdown()
    return output
