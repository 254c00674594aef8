"""Every collector pipeline starts with the ``memory_limiter`` processor.

Applies to the collector ConfigMap. Compliant when the configuration defines pipelines and the
first processor of each is a ``memory_limiter`` (any ``memory_limiter/<name>``).

Why: ``memory_limiter`` must run first to refuse data before the collector runs out of memory and
is OOM-killed on the node, losing every buffered metric and span.

Fix: put ``memory_limiter`` first in every service pipeline; the collector component renders
``config.yaml`` that way.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import ResourceValidationArgs

from ._collector import FIX_COMPONENT, NOT_COLLECTOR, collector_config, component_type, section
from ._support import ResourceRule, Verdict, judge, label, not_applicable, violation

MEMORY_LIMITER = "memory_limiter"


def check(args: ResourceValidationArgs) -> Verdict:
    """Every pipeline's first processor is memory_limiter."""
    config = collector_config(args)
    if config is None:
        return not_applicable(NOT_COLLECTOR)
    pipelines = section(section(config, "service"), "pipelines")
    if not pipelines:
        return judge(
            [violation(f"{label(args)} config.yaml defines no pipelines", "nothing would be collected", FIX_COMPONENT)]
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
                    f"put memory_limiter first in every pipeline; {FIX_COMPONENT}",
                )
            )
    return judge(findings)


collector_memory_limiter_first = ResourceRule(
    "collector-memory-limiter-first",
    "Every collector pipeline starts with the memory_limiter processor.",
    check,
    remediation_steps="Put memory_limiter first in every service pipeline.",
)
