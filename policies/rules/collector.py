"""The Dynatrace OTel collector is protected, delta-correct and keeps its token out of config.

Rules read the collector ConfigMap's ``config.yaml`` (the ConfigMap labelled
``ai-observability/role: collector-config``, or any ConfigMap whose ``config.yaml`` has
``service.pipelines``) and accept both the old and the new component type names
(``cumulativetodelta``/``cumulative_to_delta``, ``otlphttp``/``otlp_http``,
``k8sattributes``/``k8s_attributes``, ``metricstarttime``/``metric_start_time``).

- ``collector-memory-limiter-first``: every pipeline starts with ``memory_limiter``.
- ``collector-delta-staleness-exceeds-scrape-interval``: a cumulative-to-delta processor exists
  next to a prometheus receiver and its ``max_staleness`` is longer than every scrape interval.
- ``collector-exporter-token-from-env``: OTLP exporters take the Authorization token from
  ``${env:...}``, never a literal.
- ``collector-resource-limits-set``: collector containers set CPU and memory limits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from pulumi_policy import ResourceValidationArgs

from ._credentials import token_kind
from ._kubernetes import CONFIG_MAP, containers, pod_template
from ._support import (
    ResourceRule,
    Verdict,
    compliant,
    get,
    judge,
    label,
    not_applicable,
    schema,
    settings,
    string_list,
    text,
    violation,
)

ROLE_LABEL = "ai-observability/role"
ROLE = "collector-config"
CONFIG_KEY = "config.yaml"
MEMORY_LIMITER = "memory_limiter"
DELTA_TYPES = ("cumulativetodelta", "cumulative_to_delta")
OTLP_EXPORTER_TYPES = ("otlphttp", "otlp_http", "otlp", "otlp_grpc")
PROMETHEUS_TYPES = ("prometheus", "prometheus_simple")
PROMETHEUS_DEFAULT_INTERVAL_S = 60.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_UNIT_S["y"] = 365 * 86400
_ENV_REF = re.compile(r"\$\{(env:)?[A-Za-z_][A-Za-z0-9_]*\}")


def duration_seconds(value: Any) -> float | None:
    """A Go/Prometheus duration (``30s``, ``5m``, ``1h30m``, ``25h``) in seconds; None if not one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1e9  # a bare number is nanoseconds in collector config
    if not isinstance(value, str) or not value:
        return None
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def component_type(name: str) -> str:
    """``memory_limiter/gpu`` → ``memory_limiter``."""
    return name.split("/", 1)[0]


def collector_config(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """The parsed collector configuration of a collector ConfigMap, else None."""
    if args.resource_type != CONFIG_MAP:
        return None
    raw = text(args.props, "data", CONFIG_KEY)
    if raw is None:
        return None
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError:
        parsed = None
    labelled = get(args.props, "metadata", "labels", ROLE_LABEL) == ROLE
    if not isinstance(parsed, Mapping):
        return {} if labelled else None
    if labelled or isinstance(get(parsed, "service", "pipelines"), Mapping):
        return parsed
    return None


def _section(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = config.get(key)
    return found if isinstance(found, Mapping) else {}


_NOT_COLLECTOR = "only the collector ConfigMap (config.yaml)"
_FIX_COMPONENT = "the collector component renders config.yaml (components/collector_config.py)"


def check_memory_limiter(args: ResourceValidationArgs) -> Verdict:
    """Every pipeline's first processor is memory_limiter."""
    config = collector_config(args)
    if config is None:
        return not_applicable(_NOT_COLLECTOR)
    pipelines = _section(_section(config, "service"), "pipelines")
    if not pipelines:
        return judge(
            [violation(f"{label(args)} config.yaml defines no pipelines", "nothing would be collected", _FIX_COMPONENT)]
        )
    findings = []
    for name, pipeline in pipelines.items():
        processors = [str(p) for p in (pipeline or {}).get("processors") or []] if isinstance(pipeline, Mapping) else []
        if not processors or component_type(processors[0]) != MEMORY_LIMITER:
            findings.append(
                violation(
                    f"collector pipeline '{name}' starts with {processors[:1] or 'no processor'}, not memory_limiter",
                    "memory_limiter must run first to refuse data before the collector runs out of memory and is "
                    "OOM-killed on the node (losing every buffered metric and span)",
                    f"put memory_limiter first in every pipeline; {_FIX_COMPONENT}",
                )
            )
    return judge(findings)


collector_memory_limiter_first = ResourceRule(
    "collector-memory-limiter-first",
    "Every collector pipeline starts with the memory_limiter processor.",
    check_memory_limiter,
    remediation_steps="Put memory_limiter first in every service pipeline.",
)


def scrape_intervals(config: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(receiver/job, seconds) for every Prometheus scrape job of the configuration."""
    found = []
    for name, receiver in _section(config, "receivers").items():
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


def check_staleness(args: ResourceValidationArgs) -> Verdict:
    """Cumulative-to-delta exists with max_staleness longer than every scrape interval."""
    config = collector_config(args)
    if config is None:
        return not_applicable(_NOT_COLLECTOR)
    intervals = scrape_intervals(config)
    if not intervals:
        return not_applicable("the collector scrapes nothing with Prometheus")
    longest_job, longest = max(intervals, key=lambda item: item[1])
    deltas = {str(n): p for n, p in _section(config, "processors").items() if component_type(str(n)) in DELTA_TYPES}
    why = (
        "Dynatrace ingests only delta counters and histograms; a series whose delta state expires before "
        "its next scrape restarts from zero and loses a data point on every scrape"
    )
    fix = (
        "set ai-observability:collector.maxStaleness longer than collector.scrapeInterval (about 10x); "
        + _FIX_COMPONENT
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
    check_staleness,
    remediation_steps="Set cumulativetodelta max_staleness to about 10x the scrape interval.",
)


def check_exporter_token(args: ResourceValidationArgs) -> Verdict:
    """OTLP exporters read the Authorization token from ${env:...}."""
    config = collector_config(args)
    if config is None:
        return not_applicable(_NOT_COLLECTOR)
    exporters = {
        str(n): e
        for n, e in _section(config, "exporters").items()
        if component_type(str(n)) in OTLP_EXPORTER_TYPES and isinstance(e, Mapping)
    }
    if not exporters:
        return not_applicable("the collector has no OTLP exporter")
    findings = []
    for name, exporter in exporters.items():
        headers = get(exporter, "headers")
        auth = None
        if isinstance(headers, Mapping):
            auth = next((v for k, v in headers.items() if str(k).lower() == "authorization"), None)
        endpoint = str(get(exporter, "endpoint") or "")
        to_dynatrace = "dynatrace" in endpoint or "/api/v2/otlp" in endpoint or "DT_" in endpoint
        if auth is None and not to_dynatrace:
            continue
        literal = _ENV_REF.sub("", str(auth or ""))
        if auth is None or not _ENV_REF.search(str(auth)) or token_kind(literal) is not None:
            findings.append(
                violation(
                    f"exporter '{name}' does not take its Authorization token from the environment "
                    f"({'no header' if auth is None else 'literal value, not shown'})",
                    "config.yaml lives in a ConfigMap readable by anyone who can read the namespace; the token "
                    "belongs in a Secret exposed as an env variable",
                    "write headers.Authorization as 'Api-Token ${env:DT_API_TOKEN}' with DT_API_TOKEN from a "
                    f"Secret (ai-observability:dynatraceIngestToken or the minted token); {_FIX_COMPONENT}",
                )
            )
    return judge(findings)


collector_exporter_token_from_env = ResourceRule(
    "collector-exporter-token-from-env",
    "Collector OTLP exporters read their Authorization token from an environment variable.",
    check_exporter_token,
    remediation_steps="Use 'Api-Token ${env:DT_API_TOKEN}' with the variable sourced from a Secret.",
)

LIMITS_CONFIG = schema(
    imagePatterns=string_list(
        ["otel-collector", "otelcol"], "Substrings of an image reference that identify a collector container."
    )
)


def check_limits(args: ResourceValidationArgs) -> Verdict:
    """Every collector container sets CPU and memory limits."""
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return not_applicable("only Kubernetes workloads")
    patterns = [str(p) for p in settings(args, LIMITS_CONFIG)["imagePatterns"]]
    collectors = [c for c in containers(template) if any(p in (text(c, "image") or "") for p in patterns)]
    if not collectors:
        return not_applicable("the workload runs no OpenTelemetry collector")
    findings = []
    for container in collectors:
        missing = [r for r in ("cpu", "memory") if get(container, "resources", "limits", r) is None]
        if missing:
            findings.append(
                violation(
                    f"{label(args)} collector container '{text(container, 'name')}' has no {'/'.join(missing)} limit",
                    "a DaemonSet without limits can starve model servers on every GPU node; memory_limiter "
                    "needs a known memory limit to size itself",
                    "set ai-observability:collector.resources.cpuLimit and memoryLimit",
                )
            )
    return judge(findings)


collector_resource_limits_set = ResourceRule(
    "collector-resource-limits-set",
    "Collector containers set CPU and memory limits.",
    check_limits,
    config_schema=LIMITS_CONFIG,
    remediation_steps="Set ai-observability:collector.resources limits.",
)
