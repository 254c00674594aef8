"""Every metric key, span field and event type the signals query, in one place.

The names are the ones the stack's own pipelines produce:

- OpenTelemetry GenAI semantic conventions, as instrumented apps send them to the collector's
  OTLP receiver (Dynatrace AI Observability docs, "OpenAI"/"Amazon Bedrock" pages: metrics
  ``gen_ai.client.operation.duration`` (histogram, s) and ``gen_ai.client.token.usage``
  (histogram, tokens); span attributes ``gen_ai.system``, ``gen_ai.request.model``).
- NVIDIA NIM's Prometheus endpoint, scraped node-locally by the collector (Dynatrace docs
  "NVIDIA NIM" metrics table; sample scrape in ``tests/collector`` fixtures).
- Kong's Prometheus plugin AI LLM metrics, scraped through the ``kong-metrics`` Service
  (Dynatrace docs "Kong" metrics table).
- Business events the governance pipeline stores (``bizevents``, ``event.type`` =
  ``governance.eventType``, bucket ``governance.bucket.name``).
- Amazon Bedrock Guardrails CloudWatch metrics (namespace ``AWS/Bedrock/Guardrails``), as the
  provider-telemetry path ingests them.

DQL builders (:mod:`components.dynatrace.signals.dql`) take names only from here; a test checks that
every generated query references nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from components.telemetry_metrics import DCGM_FIELDS

MetricKind = Literal["histogram", "counter", "gauge"]


@dataclass(frozen=True)
class Metric:
    key: str
    kind: MetricKind
    unit: str
    source: str
    """Which pipeline produces it (for the README and the reference test)."""


# --- OpenTelemetry GenAI (instrumented apps → OTLP → collector → Dynatrace) -----------------------
GENAI_OPERATION_DURATION: Final = Metric("gen_ai.client.operation.duration", "histogram", "s", "otlp")
GENAI_TOKEN_USAGE: Final = Metric("gen_ai.client.token.usage", "histogram", "tokens", "otlp")

# Span fields of GenAI client spans (Grail ``spans``).
SPAN_GENAI_SYSTEM: Final = "gen_ai.system"
SPAN_GENAI_REQUEST_MODEL: Final = "gen_ai.request.model"
SPAN_GENAI_RESPONSE_MODEL: Final = "gen_ai.response.model"
SPAN_INPUT_TOKENS: Final = "gen_ai.usage.prompt_tokens"
SPAN_OUTPUT_TOKENS: Final = "gen_ai.usage.completion_tokens"
SPAN_STATUS_CODE: Final = "span.status_code"
SPAN_STATUS_ERROR: Final = "error"
SPAN_SERVICE_NAME: Final = "service.name"
SPAN_DURATION: Final = "duration"

# Metric dimensions (OTel GenAI semconv attributes on the metrics).
DIM_GENAI_MODEL: Final = "gen_ai.request.model"
DIM_GENAI_SYSTEM: Final = "gen_ai.system"
DIM_GENAI_TOKEN_TYPE: Final = "gen_ai.token.type"  # noqa: S105 - an attribute name
DIM_ERROR_TYPE: Final = "error.type"

# --- NVIDIA NIM (Prometheus scrape by the collector) ----------------------------------------------
NIM_TIME_TO_FIRST_TOKEN: Final = Metric("time_to_first_token_seconds", "histogram", "s", "nim")
NIM_E2E_LATENCY: Final = Metric("e2e_request_latency_seconds", "histogram", "s", "nim")
NIM_REQUESTS_WAITING: Final = Metric("num_requests_waiting", "gauge", "requests", "nim")
NIM_REQUESTS_RUNNING: Final = Metric("num_requests_running", "gauge", "requests", "nim")
NIM_KV_CACHE_USAGE: Final = Metric("gpu_cache_usage_perc", "gauge", "ratio", "nim")
NIM_REQUEST_SUCCESS: Final = Metric("request_success_total", "counter", "requests", "nim")
NIM_REQUEST_FAILURE: Final = Metric("request_failure_total", "counter", "requests", "nim")
NIM_PROMPT_TOKENS: Final = Metric("prompt_tokens_total", "counter", "tokens", "nim")
NIM_GENERATION_TOKENS: Final = Metric("generation_tokens_total", "counter", "tokens", "nim")
DIM_NIM_MODEL: Final = "model_name"

# --- Kong AI gateway (Prometheus plugin, AI LLM metrics) -----------------------------------------
KONG_AI_REQUESTS: Final = Metric("ai_llm_requests_total", "counter", "requests", "kong")
KONG_AI_COST: Final = Metric("ai_llm_cost_total", "counter", "cost", "kong")
KONG_AI_TOKENS: Final = Metric("ai_llm_tokens_total", "counter", "tokens", "kong")
KONG_AI_PROVIDER_LATENCY: Final = Metric("ai_llm_provider_latency", "histogram", "ms", "kong")
DIM_KONG_PROVIDER: Final = "ai_provider"
DIM_KONG_MODEL: Final = "ai_model"

# --- Amazon Bedrock Guardrails (CloudWatch namespace AWS/Bedrock/Guardrails) ----------------------
# The Dynatrace key under which the provider-telemetry path stores the CloudWatch metric
# ``InvocationsIntervened``; kept here so alerts and dashboards never spell it twice.
BEDROCK_GUARDRAIL_INTERVENED: Final = Metric(
    "cloud.aws.bedrock.guardrails.invocationsintervened", "counter", "invocations", "cloudwatch"
)
BEDROCK_GUARDRAIL_INVOCATIONS: Final = Metric(
    "cloud.aws.bedrock.guardrails.invocations", "counter", "invocations", "cloudwatch"
)
DIM_GUARDRAIL_ARN: Final = "guardrailarn"
DIM_GUARDRAIL_POLICY_TYPE: Final = "guardrailpolicytype"

# --- Governance business events (bizevents → governance bucket) ----------------------------------
BIZEVENTS_TABLE: Final = "bizevents"
FIELD_EVENT_TYPE: Final = "event.type"
FIELD_EVENT_PROVIDER: Final = "event.provider"
FIELD_BUCKET: Final = "dt.system.bucket"
# CloudTrail fields the forwarder's CloudEvent carries in ``data`` (flattened by ingest).
FIELD_EVENT_NAME: Final = "data.eventName"
FIELD_USER_ARN: Final = "data.userIdentity.arn"
FIELD_SOURCE_IP: Final = "data.sourceIPAddress"
FIELD_AWS_REGION: Final = "data.awsRegion"
FIELD_REQUEST_PARAMETERS: Final = "data.requestParameters"

# --- GPU (NVIDIA DCGM exporter, scraped node-locally by the collector) -------------------------
# The "NIM and GPU serving" dashboard adds one tile per metric, split by DIM_GPU_NODE.
GPU_METRICS: Final[tuple[Metric, ...]] = tuple(Metric(f.name, f.kind, f.unit, "dcgm") for f in DCGM_FIELDS)
DIM_GPU_NODE: Final = "k8s.node.name"

ALL_METRICS: Final[tuple[Metric, ...]] = (
    GENAI_OPERATION_DURATION,
    GENAI_TOKEN_USAGE,
    NIM_TIME_TO_FIRST_TOKEN,
    NIM_E2E_LATENCY,
    NIM_REQUESTS_WAITING,
    NIM_REQUESTS_RUNNING,
    NIM_KV_CACHE_USAGE,
    NIM_REQUEST_SUCCESS,
    NIM_REQUEST_FAILURE,
    NIM_PROMPT_TOKENS,
    NIM_GENERATION_TOKENS,
    KONG_AI_REQUESTS,
    KONG_AI_COST,
    KONG_AI_TOKENS,
    KONG_AI_PROVIDER_LATENCY,
    BEDROCK_GUARDRAIL_INTERVENED,
    BEDROCK_GUARDRAIL_INVOCATIONS,
    *GPU_METRICS,
)
METRIC_KEYS: Final[frozenset[str]] = frozenset(m.key for m in ALL_METRICS)
FIELDS: Final[frozenset[str]] = frozenset(
    {
        SPAN_GENAI_SYSTEM,
        SPAN_GENAI_REQUEST_MODEL,
        SPAN_GENAI_RESPONSE_MODEL,
        SPAN_INPUT_TOKENS,
        SPAN_OUTPUT_TOKENS,
        SPAN_STATUS_CODE,
        SPAN_SERVICE_NAME,
        SPAN_DURATION,
        DIM_GENAI_MODEL,
        DIM_GENAI_SYSTEM,
        DIM_GENAI_TOKEN_TYPE,
        DIM_ERROR_TYPE,
        DIM_NIM_MODEL,
        DIM_KONG_PROVIDER,
        DIM_KONG_MODEL,
        DIM_GUARDRAIL_ARN,
        DIM_GUARDRAIL_POLICY_TYPE,
        DIM_GPU_NODE,
        FIELD_EVENT_TYPE,
        FIELD_EVENT_PROVIDER,
        FIELD_BUCKET,
        FIELD_EVENT_NAME,
        FIELD_USER_ARN,
        FIELD_SOURCE_IP,
        FIELD_AWS_REGION,
        FIELD_REQUEST_PARAMETERS,
    }
)
