"""Who produces the data a query reads, whether the stack's configuration switched that producer on,
and what to do when an enabled producer is silent.

A query's names (metric keys, span and business-event fields, fallbacks included) are looked up in
the producer catalogue (:mod:`components.dynatrace.signals.metrics`), which names each one's producer
and what that producer needs to deliver. This module adds the one thing the catalogue cannot know:
which configuration key switches a producer off, and where the documentation for it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from components.config import StackConfig
from components.dynatrace.signals import metrics
from components.dynatrace.signals.metrics import Producer

Switch = Callable[[StackConfig], str | None]
"""None when the configuration enables the producer, else why it is off (naming the key)."""


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


@dataclass(frozen=True)
class Switchable:
    switch: Switch
    docs: str
    look: str = ""
    """Where to look first when it is on but silent."""


# Every producer of the catalogue: its configuration switch and where to read on. Producers the
# platform itself provides (Grail's record fields, span status) and verify's own probe cause no
# silence and are not listed: a query is attributed to the producers of its other names.
SWITCHES: dict[Producer, Switchable] = {
    metrics.OPENLLMETRY: Switchable(_always, "docs/collector.md"),
    metrics.GEN_AI_SYSTEM: Switchable(_always, "docs/collector.md"),
    metrics.OPENLLMETRY_BEFORE_0_48: Switchable(_always, "docs/collector.md"),
    metrics.OTEL_CONTRIB: Switchable(_always, "docs/collector.md"),
    metrics.NIM: Switchable(_nim, "docs/kubernetes.md", "check that the NIM pods run and carry the scrape annotations"),
    metrics.KONG: Switchable(_kong, "docs/collector.md"),
    metrics.DCGM: Switchable(_dcgm, "docs/telemetry.md", "check the DCGM exporter pods on the GPU nodes"),
    metrics.DCGM_BEFORE_655: Switchable(_dcgm, "docs/telemetry.md"),
    metrics.DA_AWS: Switchable(
        _cloudwatch, "docs/telemetry.md", "check the AWS connection's status in Dynatrace and that guardrails are used"
    ),
    metrics.GOVERNANCE_EVENT: Switchable(
        _forwarding,
        "docs/aws.md",
        "check the EventBridge rule's FailedInvocations, the dead-letter queue, and that CloudTrail still delivers",
    ),
    metrics.GOVERNANCE_PIPELINE: Switchable(_forwarding, "docs/dynatrace.md"),
}
PLATFORM_PRODUCERS = frozenset({metrics.GRAIL, metrics.DYNATRACE_SPANS, metrics.VERIFY_PROBE})

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def names_in(query: str) -> set[str]:
    """Every identifier (dotted or not) outside string literals."""
    return set(_NAME.findall(_STRING.sub('""', query)))


def _catalogue() -> dict[str, list[Producer]]:
    """Every catalogued name → the producers to look at when it is missing: a metric key's producer; a
    record field's current producer, also for the older names read beside it (the fix is the current one)."""
    found: dict[str, list[Producer]] = {}

    def add(name: str, producer: Producer) -> None:
        if producer not in found.setdefault(name, []):
            found[name].append(producer)

    for metric in metrics.ALL_METRICS:
        add(metric.key, metric.producer)
    for field in (*metrics.SPAN_FIELDS, *metrics.BIZEVENT_FIELDS):
        for name in field.names:
            add(name, field.producer)
    return found


@dataclass(frozen=True)
class Attribution:
    producers: list[Producer]
    """The producers whose data the query needs (platform-provided fields left out)."""
    names: list[str]
    """The catalogued names the query reads (for the cause)."""


def attribute(query: str) -> Attribution:
    """The producers of the data ``query`` reads (empty when it reads nothing the catalogue knows).

    A metric key names its producer outright; record fields are attributed only in queries that read
    no metric, so a dimension shared with another producer does not blur a metric's attribution."""
    catalogue = _catalogue()
    read = sorted(n for n in names_in(query) if n in catalogue)
    keys = [n for n in read if n in metrics.METRICS_BY_KEY]
    producers: list[Producer] = []
    names: list[str] = []
    for name in keys or read:
        wanted = [p for p in catalogue[name] if p not in PLATFORM_PRODUCERS]
        if wanted:
            names.append(name)
        producers.extend(p for p in wanted if p not in producers)
    return Attribution(producers, names)


def switched_off(producer: Producer, config: StackConfig) -> str | None:
    known = SWITCHES.get(producer)
    return known.switch(config) if known is not None else None


def cause(producer: Producer, names: list[str]) -> str:
    """What an enabled but silent producer needs, in the catalogue's words, with the page to read."""
    known = SWITCHES.get(producer)
    docs = known.docs if known is not None else "docs/alerts.md"
    look = f"; {known.look}" if known is not None and known.look else ""
    return (
        f"no data with {', '.join(names) or 'these names'} from {producer.name}: needs {producer.needs}{look} ({docs})"
    )
