"""The collector converts cumulative metrics to delta with ``max_staleness`` longer than the scrape interval.

Applies to the collector ConfigMap when it scrapes with a Prometheus receiver. Compliant when a
cumulative-to-delta processor exists and each one's ``max_staleness`` is longer than the longest
scrape interval (a job's ``scrape_interval``, else the global one, else Prometheus' 60 s).

Why: Dynatrace ingests only delta counters and histograms; a series whose delta state expires
before its next scrape restarts from zero and loses a data point on every scrape.

Fix: set ``ai-observability:collector.maxStaleness`` longer than ``collector.scrapeInterval``
(about 10x).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._collector import FIX_COMPONENT, NOT_COLLECTOR, collector_config, component_type, duration_seconds, section
from ._support import ResourceRule, Verdict, compliant, get, judge, not_applicable, violation

DELTA_TYPES = ("cumulativetodelta", "cumulative_to_delta")
PROMETHEUS_TYPES = ("prometheus", "prometheus_simple")
PROMETHEUS_DEFAULT_INTERVAL_S = 60.0


def scrape_intervals(config: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(receiver/job, seconds) for every Prometheus scrape job of the configuration."""
    found = []
    for name, receiver in section(config, "receivers").items():
        if component_type(str(name)) not in PROMETHEUS_TYPES or not isinstance(receiver, Mapping):
            continue
        prometheus = get(receiver, "config")
        default = duration_seconds(get(prometheus, "global", "scrape_interval")) or PROMETHEUS_DEFAULT_INTERVAL_S
        jobs = get(prometheus, "scrape_configs")
        if isinstance(jobs, list) and jobs:
            for job in jobs:
                interval = duration_seconds(get(job, "scrape_interval")) or default
                found.append((f"{name}/{get(job, 'job_name')}", interval))
        else:
            interval = duration_seconds(get(receiver, "collection_interval")) or default
            found.append((str(name), interval))
    return found


def check(args: ResourceValidationArgs) -> Verdict:
    """Cumulative-to-delta exists with max_staleness longer than every scrape interval."""
    config = collector_config(args)
    if config is None:
        return not_applicable(NOT_COLLECTOR)
    intervals = scrape_intervals(config)
    if not intervals:
        return not_applicable("the collector scrapes nothing with Prometheus")
    longest_job, longest = max(intervals, key=lambda item: item[1])
    deltas = {str(n): p for n, p in section(config, "processors").items() if component_type(str(n)) in DELTA_TYPES}
    why = (
        "Dynatrace ingests only delta counters and histograms; a series whose delta state expires before "
        "its next scrape restarts from zero and loses a data point on every scrape"
    )
    fix = (
        "set ai-observability:collector.maxStaleness longer than collector.scrapeInterval (about 10x); " + FIX_COMPONENT
    )
    if not deltas:
        return judge(
            [violation("the collector scrapes Prometheus metrics but has no cumulative-to-delta processor", why, fix)]
        )
    findings = []
    for name, processor in deltas.items():
        raw = get(processor, "max_staleness")
        staleness = duration_seconds(raw)
        if staleness is None or staleness <= longest:
            findings.append(
                violation(
                    f"processor '{name}' has max_staleness {raw!r}, not longer than the scrape interval "
                    f"{longest:g}s of {longest_job}",
                    why,
                    fix,
                )
            )
    return judge(findings) if findings else compliant()


collector_delta_staleness_exceeds_scrape_interval = ResourceRule(
    "collector-delta-staleness-exceeds-scrape-interval",
    "The collector converts cumulative metrics to delta with max_staleness longer than the scrape interval.",
    check,
    remediation_steps="Set cumulativetodelta max_staleness to about 10x the scrape interval.",
)
