"""The producer catalogue: every metric key, dimension and field the signals read, with its producer.

A name is only worth querying if something emits it. Each :class:`Producer` says which
software (and which versions) emits a name and where that was established; ``tests/lineage``
runs the producers that ship as packages (OpenLLMetry's OpenAI and Bedrock instrumentations with
the OTel SDK), reads recordings of the releases that cannot be installed beside them (older
OpenLLMetry, the OpenTelemetry contrib instrumentations, OpenLLMetry's LangChain instrumentation;
``tests/lineage/recordings``, made by ``tests/lineage/record_producer.py``), scrapes sample pages
built from the Kong, NIM and DCGM sources through the collector simulation, and stores the
forwarder's CloudEvents through the emulator's ingest, then checks every name here and every query
of every detector and tile against what they emit.

Where current and older producers (or other instrumentations) disagree, a :class:`Field` lists the
other names as ``fallbacks``: queries read them beside the current one (``coalesce(current, older)``
on records, both in ``by:{…}`` on metrics), so apps on older or other instrumentations keep working.

DQL builders (:mod:`components.dynatrace.signals.dql`) take names only from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from components.dynatrace import governance_fields
from components.telemetry_metrics import DCGM_FIELDS, GUARDRAIL_INTERVENTIONS, GUARDRAIL_INVOCATIONS

MetricKind = Literal["histogram", "counter", "gauge"]


@dataclass(frozen=True)
class Producer:
    name: str
    versions: str
    source: str
    """Where the names were established: the run in ``tests/lineage``, a source file, a document."""
    needs: str
    """What the user must run or enable for the names to arrive in Dynatrace."""


@dataclass(frozen=True)
class Field:
    """A record field or a metric dimension, as its producer names it."""

    name: str
    producer: Producer
    fallbacks: tuple[Field, ...] = ()
    """The same value under other names (older producer versions, other instrumentations): read
    beside :attr:`name`."""
    alias: str | None = None
    """The field a record query stores ``coalesce(name, fallbacks…)`` in (needed with fallbacks)."""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *(f.name for f in self.fallbacks))

    @property
    def expression(self) -> str:
        """The DQL expression reading the current name first, then the fallbacks."""
        return f"coalesce({', '.join(self.names)})" if self.fallbacks else self.name

    @property
    def output(self) -> str:
        """The name a record query's result calls this field."""
        return self.alias if self.fallbacks and self.alias else self.name


@dataclass(frozen=True)
class Metric:
    key: str
    kind: MetricKind
    unit: str
    producer: Producer
    dimensions: tuple[Field, ...] = ()
    """The dimensions the producer sets on it that queries may split or filter by."""


# --- producers ----------------------------------------------------------------------------------

OPENLLMETRY: Final = Producer(
    "OpenLLMetry (traceloop) OpenAI, Bedrock and LangChain instrumentations",
    "0.55-0.62 (OpenAI and Bedrock 0.62.4 run in tests/lineage; LangChain 0.62.4 recorded)",
    "opentelemetry-instrumentation-openai and -bedrock 0.62.4 run against a loopback model server "
    "(tests/lineage/openllmetry_run.py); recording tests/lineage/recordings/openllmetry-langchain-0.62.4.json; "
    "traceloop/openllmetry packages/opentelemetry-instrumentation-openai/.../shared/__init__.py "
    "(gen_ai.provider.name since 0.55.0)",
    "apps instrumented with OpenLLMetry (or Traceloop.init), exporting OTLP to the collector's app endpoint",
)
OPENLLMETRY_BEFORE_0_48: Final = Producer(
    "OpenLLMetry",
    "0.40-0.47 (0.40.14 and 0.47.5 recorded)",
    "recordings tests/lineage/recordings/openllmetry-0.40.14.json, -0.47.5.json; traceloop/openllmetry v0.47.0 "
    ".../shared/__init__.py (SpanAttributes.LLM_USAGE_PROMPT_TOKENS/COMPLETION_TOKENS = "
    "gen_ai.usage.prompt_tokens/completion_tokens; input/output_tokens from 0.48.0)",
    "apps on older OpenLLMetry versions",
)
OTEL_CONTRIB: Final = Producer(
    "OpenTelemetry contrib GenAI instrumentations: opentelemetry-instrumentation-openai-v2, "
    "opentelemetry-instrumentation-botocore (Bedrock Runtime)",
    "openai-v2 2.4b0, botocore 0.66b2 (recorded)",
    "recording tests/lineage/recordings/otel-contrib-openai-v2-2.4b0-botocore-0.66b2.json: both put "
    "gen_ai.request.model on gen_ai.client.* metrics (semantic conventions 1.37 metric_attributes.gen_ai: "
    "conditionally required); botocore names the provider gen_ai.system (aws.bedrock) and no response model",
    "apps instrumented with the OpenTelemetry contrib instrumentations, exporting OTLP to the collector",
)
GEN_AI_SYSTEM: Final = Producer(
    "OpenLLMetry before 0.55; the OpenTelemetry contrib botocore instrumentation (Bedrock)",
    "OpenLLMetry 0.40-0.54 (0.40.14, 0.47.5, 0.54.0 recorded); botocore 0.66b2 (recorded)",
    "recordings tests/lineage/recordings/openllmetry-0.40.14.json, -0.47.5.json, -0.54.0.json and "
    "otel-contrib-openai-v2-2.4b0-botocore-0.66b2.json; traceloop/openllmetry v0.54.0 "
    ".../shared/__init__.py (GEN_AI_SYSTEM on spans and in metric_shared_attributes)",
    "apps on older OpenLLMetry versions, or calling Bedrock under the contrib botocore instrumentation",
)
DYNATRACE_SPANS: Final = Producer(
    "Dynatrace OTLP trace ingest (Grail spans)",
    "SaaS",
    "Dynatrace semantic dictionary, spans: span.status_code (ok/error/unset from the OTLP span status), duration",
    "any OTLP span reaching /api/v2/otlp",
)
KONG: Final = Producer(
    "Kong Gateway Prometheus plugin",
    "3.8+ (Kong/kong 3.9.x)",
    'Kong/kong kong/plugins/prometheus/exporter.lua: Prometheus.init(shm, "kong_") prefixes every name; '
    "ai_llm_* metrics and labels; schema.lua ai_metrics (default false)",
    "Kong's prometheus plugin with config.ai_metrics: true, scraped through the kong-metrics Service",
)
NIM: Final = Producer(
    "NVIDIA NIM for LLMs",
    "1.x",
    "https://docs.nvidia.com/nim/large-language-models/latest/observability.html (/v1/metrics, per model); "
    "request_success_total/request_failure_total: NVIDIA Run:ai 'NIM Observability Metrics via API'; "
    "label model_name: vLLM's, not printed by NVIDIA (tests/collector/fixtures/nim-v1-metrics.txt)",
    "NIM pods with the stack's scrape annotations (or the nim-metrics job)",
)
DCGM: Final = Producer(
    "NVIDIA DCGM exporter",
    "after NVIDIA/dcgm-exporter#655 (label hostname)",
    "NVIDIA/dcgm-exporter etc/default-counters.csv; internal/pkg/rendermetrics/render_metrics.go "
    "(labels gpu, UUID, pci_bus_id, device, modelName, hostname; hostname = NODE_NAME)",
    "the DCGM exporter DaemonSet on GPU nodes (the stack's, or the GPU Operator's), scraped node-locally",
)
DCGM_BEFORE_655: Final = Producer(
    "NVIDIA DCGM exporter",
    "up to 4.5.3-4.8.2",
    "NVIDIA/dcgm-exporter commit d5e5f51 'Rename Hostname label to hostname (#655)'",
    "older DCGM exporter images",
)
DA_AWS: Final = Producer(
    "Dynatrace AWS monitoring (da-aws)",
    "SaaS",
    "Dynatrace's ready-made dashboard 'AWS Bedrock' (document dynatrace.clouds.aws-bedrock, content version 26): "
    "keys cloud.aws.bedrock_guardrails.<Metric>.By.GuardrailArn.GuardrailVersion, dimensions in CloudWatch case "
    "as in the key (by:{ModelId, aws.account.id, aws.region}), filters on aws.account.id and aws.region",
    "the stack's AWS connection and monitoring configuration with a Bedrock feature set (telemetry.bedrockMetrics)",
)
GOVERNANCE_EVENT: Final = Producer(
    "the stack's Bedrock governance CloudEvent, as business-event ingest stores it",
    "this stack",
    "components/aws/event_forwarding.py (data = the EventBridge detail); Dynatrace docs 'Ingest business events "
    "via API' (top-level fields stay top-level, complex JSON objects become strings)",
    "eventForwarding (CloudTrail → EventBridge → /api/v2/bizevents/ingest) and the governance route and pipeline",
)
GOVERNANCE_PIPELINE: Final = Producer(
    "the governance pipeline's DQL processor",
    "this stack",
    "components/dynatrace/governance_fields.py",
    "the governance pipeline (created by the stack) on the route the events take",
)
GRAIL: Final = Producer(
    "Dynatrace Grail",
    "SaaS",
    "record fields every record has: timestamp; dt.system.bucket = the bucket a pipeline stored it in",
    "nothing",
)
VERIFY_PROBE: Final = Producer(
    "the verify probe of this project",
    "this project",
    "tools.verify posts a CloudEvent (type governance.eventType, source ai-observability.verify, "
    "data.probe = run id): stored as the top-level field probe",
    "`python -m tools.verify`",
)

# --- GenAI spans (Grail ``spans``) ----------------------------------------------------------------

GENAI_PROVIDER: Final = Field(
    "gen_ai.provider.name", OPENLLMETRY, (Field("gen_ai.system", GEN_AI_SYSTEM),), alias="provider"
)
"""Its values differ between producers for the same Bedrock call: ``anthropic`` (OpenLLMetry 0.40.14),
``AWS`` (0.47.5, 0.54.0), ``aws.bedrock`` (0.62.4 and contrib botocore 0.66b2); OpenAI is ``OpenAI`` in
0.40.14, ``openai`` in the later ones (recordings and the pinned run)."""
SPAN_MODEL: Final = Field(
    "gen_ai.response.model", OPENLLMETRY, (Field("gen_ai.request.model", OPENLLMETRY),), alias="model"
)
"""Bedrock Converse spans (OpenLLMetry) and every contrib botocore span carry no response model: the
request model stands in."""
SPAN_INPUT_TOKENS: Final = Field(
    "gen_ai.usage.input_tokens",
    OPENLLMETRY,
    (Field("gen_ai.usage.prompt_tokens", OPENLLMETRY_BEFORE_0_48),),
    "tokens_in",
)
SPAN_OUTPUT_TOKENS: Final = Field(
    "gen_ai.usage.output_tokens",
    OPENLLMETRY,
    (Field("gen_ai.usage.completion_tokens", OPENLLMETRY_BEFORE_0_48),),
    "tokens_out",
)
SPAN_STATUS_CODE: Final = Field("span.status_code", DYNATRACE_SPANS)
SPAN_STATUS_ERROR: Final = "error"
SPAN_DURATION: Final = Field("duration", DYNATRACE_SPANS)
SPAN_FIELDS: Final[tuple[Field, ...]] = (
    GENAI_PROVIDER,
    SPAN_MODEL,
    SPAN_INPUT_TOKENS,
    SPAN_OUTPUT_TOKENS,
    SPAN_STATUS_CODE,
    SPAN_DURATION,
)

# --- GenAI client metrics (OTLP from instrumented apps) --------------------------------------------

METRIC_MODEL: Final = Field("gen_ai.response.model", OPENLLMETRY, (Field("gen_ai.request.model", OTEL_CONTRIB),))
"""OpenLLMetry puts only the response model on metrics; the contrib instrumentations also (botocore:
only) the request model."""
GENAI_TOKEN_TYPE: Final = Field("gen_ai.token.type", OPENLLMETRY)
GENAI_ERROR_TYPE: Final = Field("error.type", OPENLLMETRY)
GENAI_GUARDRAIL: Final = Field("gen_ai.guardrail", OPENLLMETRY)
"""The guardrail id; set only when the Bedrock response carries a guardrail trace (``trace: enabled``)."""
GENAI_OPERATION_DURATION: Final = Metric(
    "gen_ai.client.operation.duration", "histogram", "s", OPENLLMETRY, (GENAI_PROVIDER, METRIC_MODEL, GENAI_ERROR_TYPE)
)
GENAI_TOKEN_USAGE: Final = Metric(
    "gen_ai.client.token.usage", "histogram", "tokens", OPENLLMETRY, (GENAI_PROVIDER, METRIC_MODEL, GENAI_TOKEN_TYPE)
)
GENAI_GUARDRAIL_ACTIVATION: Final = Metric(
    "gen_ai.bedrock.guardrail.activation", "counter", "activations", OPENLLMETRY, (GENAI_GUARDRAIL, GENAI_PROVIDER)
)

# --- NVIDIA NIM (Prometheus scrape by the collector) ----------------------------------------------

NIM_MODEL: Final = Field("model_name", NIM)
_NIM = (NIM_MODEL,)
NIM_TIME_TO_FIRST_TOKEN: Final = Metric("time_to_first_token_seconds", "histogram", "s", NIM, _NIM)
NIM_E2E_LATENCY: Final = Metric("e2e_request_latency_seconds", "histogram", "s", NIM, _NIM)
NIM_REQUESTS_WAITING: Final = Metric("num_requests_waiting", "gauge", "requests", NIM, _NIM)
NIM_REQUESTS_RUNNING: Final = Metric("num_requests_running", "gauge", "requests", NIM, _NIM)
NIM_KV_CACHE_USAGE: Final = Metric("gpu_cache_usage_perc", "gauge", "ratio", NIM, _NIM)
NIM_REQUEST_SUCCESS: Final = Metric("request_success_total", "counter", "requests", NIM, _NIM)
NIM_REQUEST_FAILURE: Final = Metric("request_failure_total", "counter", "requests", NIM, _NIM)
NIM_PROMPT_TOKENS: Final = Metric("prompt_tokens_total", "counter", "tokens", NIM, _NIM)
NIM_GENERATION_TOKENS: Final = Metric("generation_tokens_total", "counter", "tokens", NIM, _NIM)

# --- Kong AI gateway (Prometheus plugin, AI metrics) ---------------------------------------------

KONG_PROVIDER: Final = Field("ai_provider", KONG)
KONG_MODEL: Final = Field("ai_model", KONG)
KONG_TOKEN_TYPE: Final = Field("token_type", KONG)
KONG_TOTAL_TOKENS: Final = "total_tokens"
"""``token_type`` value that repeats prompt + completion tokens (exporter.lua): left out of sums."""
_KONG = (KONG_PROVIDER, KONG_MODEL)
KONG_AI_REQUESTS: Final = Metric("kong_ai_llm_requests_total", "counter", "requests", KONG, _KONG)
KONG_AI_COST: Final = Metric("kong_ai_llm_cost_total", "counter", "cost", KONG, _KONG)
KONG_AI_TOKENS: Final = Metric("kong_ai_llm_tokens_total", "counter", "tokens", KONG, (*_KONG, KONG_TOKEN_TYPE))
KONG_AI_PROVIDER_LATENCY: Final = Metric("kong_ai_llm_provider_latency_ms", "histogram", "ms", KONG, _KONG)

# --- Amazon Bedrock Guardrails CloudWatch metrics (Dynatrace AWS monitoring) -----------------------

GUARDRAIL_DIMENSIONS: Final = ("GuardrailArn", "GuardrailVersion")
GUARDRAIL_ARN: Final = Field("GuardrailArn", DA_AWS)
_GUARDRAIL = (
    GUARDRAIL_ARN,
    Field("GuardrailVersion", DA_AWS),
    Field("aws.account.id", DA_AWS),
    Field("aws.region", DA_AWS),
)
BEDROCK_GUARDRAIL_INTERVENED: Final = Metric(
    GUARDRAIL_INTERVENTIONS.dynatrace_key(GUARDRAIL_DIMENSIONS), "counter", "invocations", DA_AWS, _GUARDRAIL
)
BEDROCK_GUARDRAIL_INVOCATIONS: Final = Metric(
    GUARDRAIL_INVOCATIONS.dynatrace_key(GUARDRAIL_DIMENSIONS), "counter", "invocations", DA_AWS, _GUARDRAIL
)

# --- GPU (NVIDIA DCGM exporter, scraped node-locally by the collector) -----------------------------

GPU_HOST: Final = Field("hostname", DCGM, (Field("Hostname", DCGM_BEFORE_655),))
"""The node name (the exporter reads NODE_NAME, which the stack's DaemonSet sets from spec.nodeName)."""
GPU_METRICS: Final[tuple[Metric, ...]] = tuple(Metric(f.name, f.kind, f.unit, DCGM, (GPU_HOST,)) for f in DCGM_FIELDS)

# --- Governance business events (bizevents → governance bucket) ----------------------------------

BIZEVENTS_TABLE: Final = "bizevents"
FIELD_TIMESTAMP: Final = Field("timestamp", GRAIL)
FIELD_BUCKET: Final = Field("dt.system.bucket", GRAIL)
FIELD_EVENT_TYPE: Final = Field("event.type", GOVERNANCE_EVENT)
FIELD_REQUEST_PARAMETERS: Final = Field("requestParameters", GOVERNANCE_EVENT)
"""The CloudTrail request parameters, stored as a JSON string."""
FIELD_PROBE: Final = Field("probe", VERIFY_PROBE)
"""Set only on verify's probe events: every governance tile and the forwarding alert leave them out."""
FIELD_EVENT_NAME: Final = Field(governance_fields.EVENT_NAME.target, GOVERNANCE_PIPELINE)
FIELD_USER_ARN: Final = Field(governance_fields.USER_ARN.target, GOVERNANCE_PIPELINE)
FIELD_SOURCE_IP: Final = Field(governance_fields.SOURCE_IP.target, GOVERNANCE_PIPELINE)
FIELD_AWS_REGION: Final = Field(governance_fields.REGION.target, GOVERNANCE_PIPELINE)
FIELD_GUARDRAIL_ID: Final = Field(governance_fields.GUARDRAIL_ID.target, GOVERNANCE_PIPELINE)
FIELD_MODEL_ID: Final = Field(governance_fields.MODEL_ID.target, GOVERNANCE_PIPELINE)
BIZEVENT_FIELDS: Final[tuple[Field, ...]] = (
    FIELD_TIMESTAMP,
    FIELD_BUCKET,
    FIELD_EVENT_TYPE,
    FIELD_REQUEST_PARAMETERS,
    FIELD_PROBE,
    FIELD_EVENT_NAME,
    FIELD_USER_ARN,
    FIELD_SOURCE_IP,
    FIELD_AWS_REGION,
    FIELD_GUARDRAIL_ID,
    FIELD_MODEL_ID,
)

ALL_METRICS: Final[tuple[Metric, ...]] = (
    GENAI_OPERATION_DURATION,
    GENAI_TOKEN_USAGE,
    GENAI_GUARDRAIL_ACTIVATION,
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
METRICS_BY_KEY: Final[dict[str, Metric]] = {m.key: m for m in ALL_METRICS}
