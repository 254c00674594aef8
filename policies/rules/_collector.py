"""Reading the Dynatrace OTel collector's configuration from its ConfigMap.

The collector rules read the ``config.yaml`` of the ConfigMap labelled
``ai-observability/role: collector-config`` (or of any ConfigMap whose ``config.yaml`` has
``service.pipelines``) and accept both the old and the new component type names
(``cumulativetodelta``/``cumulative_to_delta``, ``otlphttp``/``otlp_http``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from pulumi_policy import ResourceValidationArgs

from ._kubernetes import CONFIG_MAP
from ._support import get, text

ROLE_LABEL = "ai-observability/role"
ROLE = "collector-config"
CONFIG_KEY = "config.yaml"
NOT_COLLECTOR = "only the collector ConfigMap (config.yaml)"
FIX_COMPONENT = "the collector component renders config.yaml (components/kubernetes/collector_config.py)"
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d|w|y)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_UNIT_S["y"] = 365 * 86400


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


def section(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = config.get(key)
    return found if isinstance(found, Mapping) else {}
