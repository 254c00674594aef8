"""Davis anomaly detectors (Settings schema ``builtin:davis.anomaly-detectors``) for the AI signals.

The value shape follows the schema (Terraform provider ``dynatrace-oss/terraform-provider-dynatrace``,
``dynatrace/api/builtin/davis/anomalydetectors/schema.json``, version 1.0.16): ``title`` (2–500),
``description`` (≤ 5000), ``enabled``, ``source`` (1–500), ``analyzer`` ``{name, input: [{key,
value}]}`` (input values are strings), ``eventTemplate`` ``{properties: [{key, value}]}`` and
``executionSettings`` (``actor`` omitted: the tenant runs the detector as the caller;
``queryOffset``, 1-60 minutes, for signals fed by CloudWatch, whose metrics arrive late).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import ALERT_NAMES, AlertName, AlertSettings, SignalsConfig
from components.dynatrace.models import ANOMALY_DETECTORS_SCHEMA

from . import dql
from .metrics import (
    BEDROCK_GUARDRAIL_INTERVENED,
    GENAI_OPERATION_DURATION,
    GENAI_PROVIDER,
    GENAI_TOKEN_USAGE,
    KONG_AI_PROVIDER_LATENCY,
    KONG_PROVIDER,
    METRIC_MODEL,
    NIM_KV_CACHE_USAGE,
    NIM_MODEL,
    NIM_REQUESTS_WAITING,
    NIM_TIME_TO_FIRST_TOKEN,
)

SCHEMA_ID: Final = ANOMALY_DETECTORS_SCHEMA
ANALYZER_PREFIX: Final = "dt.statistics.ui.anomaly_detection."
STATIC_ANALYZER: Final = ANALYZER_PREFIX + "StaticThresholdAnomalyDetectionAnalyzer"
ADAPTIVE_ANALYZER: Final = ANALYZER_PREFIX + "AutoAdaptiveAnomalyDetectionAnalyzer"
SOURCE: Final = "ai-observability (Pulumi)"
SIGNAL_PROPERTY: Final = "ai-observability.signal"
"""Event property alerting profiles can match on (its value is ``signals.label``)."""
MANDATORY_IN_PROD: Final[tuple[AlertName, ...]] = ("guardrailActivations", "forwarding")
_1M: Final = dql.DETECTOR_INTERVAL


@dataclass(frozen=True)
class Signal:
    """What one alert watches: the query and the dimension that names the affected thing."""

    key: str
    """Stable key of the detector (part of its externalId)."""
    description: str
    query: Callable[[GovernanceConfig], str]
    needs_kong: bool = False


SIGNALS: Final[dict[AlertName, Signal]] = {
    "llmErrorRate": Signal(
        "llm-error-rate",
        "Share of GenAI client spans (instrumented apps) that ended in error, per GenAI provider "
        "(gen_ai.provider.name, or gen_ai.system from older instrumentations), in percent.",
        lambda _g: dql.genai_error_rate(by=[GENAI_PROVIDER]),
    ),
    "llmLatency": Signal(
        "llm-latency-p95",
        "p95 of gen_ai.client.operation.duration (seconds) per model (the response model; the request "
        "model where an instrumentation sets it).",
        lambda _g: dql.timeseries(
            "p95", GENAI_OPERATION_DURATION, "percentile", percentile=95, by=[METRIC_MODEL], interval=_1M
        ),
    ),
    "tokenUsage": Signal(
        "token-usage-spike",
        "Tokens used per minute (gen_ai.client.token.usage, input and output) per model, against its learned baseline.",
        lambda _g: dql.timeseries("tokens", GENAI_TOKEN_USAGE, "sum", by=[METRIC_MODEL], interval=_1M),
    ),
    "guardrailActivations": Signal(
        "guardrail-activations",
        "Amazon Bedrock guardrail interventions per minute per guardrail: CloudWatch InvocationsIntervened "
        "(Dynatrace AWS monitoring, per GuardrailArn) and OpenLLMetry's gen_ai.bedrock.guardrail.activation "
        "from the apps (per guardrail id); either source raises the event.",
        lambda _g: dql.guardrail_interventions(BEDROCK_GUARDRAIL_INTERVENED, interval=_1M),
    ),
    "nimQueue": Signal(
        "nim-requests-waiting",
        "NIM requests waiting for a GPU slot (num_requests_waiting) per model.",
        lambda _g: dql.timeseries("waiting", NIM_REQUESTS_WAITING, "max", by=[NIM_MODEL], interval=_1M),
    ),
    "nimKvCache": Signal(
        "nim-kv-cache",
        "NIM GPU KV-cache usage (gpu_cache_usage_perc, 1 = full) per model.",
        lambda _g: dql.timeseries("kv_cache", NIM_KV_CACHE_USAGE, "max", by=[NIM_MODEL], interval=_1M),
    ),
    "nimTimeToFirstToken": Signal(
        "nim-time-to-first-token",
        "p95 of NIM time_to_first_token_seconds per model.",
        lambda _g: dql.timeseries(
            "ttft_p95", NIM_TIME_TO_FIRST_TOKEN, "percentile", percentile=95, by=[NIM_MODEL], interval=_1M
        ),
    ),
    "kongLatency": Signal(
        "kong-provider-latency",
        "p95 of Kong's kong_ai_llm_provider_latency_ms (milliseconds) per AI provider.",
        lambda _g: dql.timeseries(
            "latency_p95", KONG_AI_PROVIDER_LATENCY, "percentile", percentile=95, by=[KONG_PROVIDER], interval=_1M
        ),
        needs_kong=True,
    ),
    "forwarding": Signal(
        "governance-forwarding",
        "Bedrock governance events stored in the governance bucket per minute; none for the whole "
        "window means forwarding stopped (EventBridge target failing, events in the dead-letter queue).",
        lambda g: dql.events_arriving(g.event_type, g.bucket.name),
    ),
}


def _text(value: float | int | bool) -> str:
    """An analyzer input as text: whole numbers without a fraction, others with every digit (``repr``, the shortest
    text that reads back as the same float; ``:g`` would keep six significant digits only)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def analyzer(settings: AlertSettings, query: str) -> dict[str, Any]:
    """The ``analyzer`` field: name plus string inputs, sorted by key."""
    inputs: dict[str, str] = {
        "query": query,
        "alertCondition": settings.alert_condition,
        "slidingWindow": _text(settings.sliding_window),
        "violatingSamples": _text(settings.violating_samples),
        "dealertingSamples": _text(settings.dealerting_samples),
        "alertOnMissingData": _text(settings.alert_on_missing_data),
    }
    if settings.analyzer == "static":
        name = STATIC_ANALYZER
        inputs["threshold"] = _text(settings.threshold if settings.threshold is not None else 0)
    else:
        name = ADAPTIVE_ANALYZER
        inputs["numberOfSignalFluctuations"] = _text(settings.signal_fluctuations)
    return {"name": name, "input": [{"key": k, "value": v} for k, v in sorted(inputs.items())]}


def detector_value(
    name: AlertName, settings: AlertSettings, signal: Signal, governance: GovernanceConfig, label: str
) -> dict[str, Any]:
    """The full settings value of one detector."""
    properties = {
        "event.type": settings.event_type,
        "event.name": settings.title,
        "event.description": signal.description,
        SIGNAL_PROPERTY: label,
        "ai-observability.alert": name,
    }
    return {
        "title": settings.title[:500],
        "description": signal.description,
        "enabled": settings.enabled,
        "source": SOURCE,
        "analyzer": analyzer(settings, signal.query(governance)),
        "eventTemplate": {"properties": [{"key": k, "value": v} for k, v in properties.items()]},
        "executionSettings": execution_settings(settings),
    }


def execution_settings(settings: AlertSettings) -> dict[str, Any]:
    """``executionSettings``: ``queryOffset`` (minutes) where the alert's data arrives late."""
    return {"queryOffset": settings.query_offset} if settings.query_offset is not None else {}


@dataclass(frozen=True)
class DetectorSpec:
    name: AlertName
    key: str
    value: dict[str, Any]


def detector_specs(signals: SignalsConfig, governance: GovernanceConfig, kong: KongConfig) -> list[DetectorSpec]:
    """One spec per applicable alert (Kong alerts only when Kong is enabled).

    A disabled alert is still created, with ``enabled: false``: the detector stays visible in
    the Anomaly Detection app and policies can see that it was switched off.
    """
    specs = []
    for name in ALERT_NAMES:
        signal = SIGNALS[name]
        if signal.needs_kong and not kong.enabled:
            continue
        value = detector_value(name, signals.alert(name), signal, governance, signals.label)
        specs.append(DetectorSpec(name, signal.key, value))
    return specs
