"""Collector containers set CPU and memory limits.

Applies to Kubernetes workloads running an OpenTelemetry collector (an image containing one of
``imagePatterns``, default ``otel-collector`` and ``otelcol``). Compliant when every collector
container sets both a CPU and a memory limit.

Why: a DaemonSet without limits can starve model servers on every GPU node, and
``memory_limiter`` needs a known memory limit to size itself.

Fix: set ``ai-observability:collector.resources.cpuLimit`` and ``memoryLimit``.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._kubernetes import containers, pod_template
from ._support import (
    ResourceRule,
    Verdict,
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

LIMITS_CONFIG = schema(
    imagePatterns=string_list(
        ["otel-collector", "otelcol"], "Substrings of an image reference that identify a collector container."
    )
)


def check(args: ResourceValidationArgs) -> Verdict:
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
    check,
    config_schema=LIMITS_CONFIG,
    remediation_steps="Set ai-observability:collector.resources limits.",
)
