"""Who produces the data a query reads, whether the stack's configuration switched that producer on,
and what to do when an enabled producer is silent.

A query's names (metric keys, span and event fields) are looked up in the signal catalogue
(:mod:`components.dynatrace.signals.metrics`), which declares every name once with its source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from components.config import StackConfig
from components.dynatrace.signals import metrics


@dataclass(frozen=True)
class Producer:
    id: str
    name: str
    switched_on: Callable[[StackConfig], str | None]
    """None when the configuration enables the producer, else why it is off (naming the key)."""
    cause: str
    """What to do when it is enabled but nothing arrives ({names} lists the names the query reads)."""


def _always(_config: StackConfig) -> str | None:
    return None


def _nim(config: StackConfig) -> str | None:
    if config.eks is None or not config.nims:
        return "no NIM services are configured (ai-observability:nims)"
    return None


def _kong(config: StackConfig) -> str | None:
    return None if config.kong.enabled else "Kong is off (ai-observability:kong.enabled)"


def _cloudwatch(config: StackConfig) -> str | None:
    enabled = config.telemetry.bedrock_metrics.enabled
    return None if enabled else "Bedrock CloudWatch metrics are off (ai-observability:telemetry.bedrockMetrics.enabled)"


def _dcgm(config: StackConfig) -> str | None:
    if not config.telemetry.dcgm_exporter.enabled:
        return "the DCGM exporter is off (ai-observability:telemetry.dcgmExporter.enabled)"
    if config.eks is None or not config.gpu_node_groups:
        return "no GPU node groups are configured (ai-observability:gpuNodeGroups)"
    return None


def _forwarding(config: StackConfig) -> str | None:
    if not config.governance.enabled:
        return "governance is off (ai-observability:governance.enabled)"
    if not config.event_forwarding.enabled:
        return "Bedrock event forwarding is off (ai-observability:eventForwarding.enabled)"
    return None


PRODUCERS: dict[str, Producer] = {
    p.id: p
    for p in (
        Producer(
            "otlp",
            "OpenTelemetry GenAI instrumentation (OpenLLMetry) in the apps",
            _always,
            "no data with {names}: instrument the apps with OpenLLMetry and send OTLP to the collector "
            "(docs/collector.md)",
        ),
        Producer(
            "nim",
            "NVIDIA NIM metrics scraped by the collector",
            _nim,
            "no NIM metrics {names}: check that the NIM pods run and carry the scrape annotations, and the collector "
            "logs (docs/collector.md, docs/kubernetes.md)",
        ),
        Producer(
            "kong",
            "Kong Prometheus plugin (AI metrics)",
            _kong,
            "no Kong metrics {names}: enable the prometheus plugin's AI metrics in Kong and check the kong-metrics "
            "scrape (docs/collector.md)",
        ),
        Producer(
            "cloudwatch",
            "Amazon Bedrock CloudWatch metrics via Dynatrace AWS monitoring",
            _cloudwatch,
            "no Bedrock CloudWatch metrics {names}: check the AWS connection and monitoring configuration in "
            "Dynatrace and that guardrails are being used (docs/telemetry.md)",
        ),
        Producer(
            "dcgm",
            "NVIDIA DCGM exporter on the GPU nodes",
            _dcgm,
            "no GPU metrics {names}: check the DCGM exporter pods on the GPU nodes (docs/telemetry.md)",
        ),
        Producer(
            "governance-events",
            "Bedrock governance events (CloudTrail → EventBridge → Dynatrace)",
            _forwarding,
            "no governance events: check the EventBridge rule's FailedInvocations, the dead-letter queue and that "
            "CloudTrail delivers (docs/aws.md)",
        ),
    )
}
_SOURCE_TO_PRODUCER = {"otlp": "otlp", "nim": "nim", "kong": "kong", "cloudwatch": "cloudwatch", "dcgm": "dcgm"}
_SPAN_FIELDS = frozenset(
    {
        metrics.SPAN_GENAI_SYSTEM,
        metrics.SPAN_GENAI_REQUEST_MODEL,
        metrics.SPAN_GENAI_RESPONSE_MODEL,
        metrics.SPAN_INPUT_TOKENS,
        metrics.SPAN_OUTPUT_TOKENS,
    }
)
_FETCH = re.compile(r"^\s*fetch\s+([A-Za-z_.]+)", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def names_in(query: str) -> set[str]:
    """Every identifier (dotted or not) outside string literals."""
    return set(_NAME.findall(_STRING.sub('""', query)))


@dataclass(frozen=True)
class Attribution:
    producers: list[Producer]
    names: list[str]
    """The catalogue names the query reads (for the cause)."""


def attribute(query: str) -> Attribution:
    """The producers of the data ``query`` reads (empty when it reads nothing the catalogue knows)."""
    names = sorted(names_in(query))
    found: dict[str, Producer] = {}
    by_key = {m.key: m for m in metrics.ALL_METRICS}
    for name in names:
        metric = by_key.get(name)
        if metric is not None:
            found.setdefault(_SOURCE_TO_PRODUCER[metric.source], PRODUCERS[_SOURCE_TO_PRODUCER[metric.source]])
    tables = set(_FETCH.findall(query))
    if "spans" in tables and _SPAN_FIELDS & set(names):
        found.setdefault("otlp", PRODUCERS["otlp"])
    if metrics.BIZEVENTS_TABLE in tables:
        found.setdefault("governance-events", PRODUCERS["governance-events"])
    catalogue = metrics.METRIC_KEYS | metrics.FIELDS
    return Attribution(list(found.values()), [n for n in names if n in catalogue])
