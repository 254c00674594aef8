"""DQL builders for the alert and dashboard queries: names come only from :mod:`.metrics`.

Each builder refuses a metric key or field that :mod:`.metrics` does not declare, so a query
can only reference what the stack's own pipelines produce. Anomaly-detector queries follow the
rules of the Davis anomaly detectors (``timeseries`` or ``makeTimeseries``, no ``from:``/``to:``,
one numeric series per dimension tuple; Dynatrace docs "Automate alerts with API").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from .metrics import (
    BIZEVENTS_TABLE,
    FIELD_BUCKET,
    FIELD_EVENT_TYPE,
    FIELDS,
    METRIC_KEYS,
    SPAN_GENAI_SYSTEM,
    SPAN_STATUS_CODE,
    SPAN_STATUS_ERROR,
    Metric,
)

Aggregation = str
"""A ``timeseries`` aggregation: ``avg``, ``max``, ``min``, ``sum``, ``count`` or ``percentile``."""
_AGGREGATIONS = frozenset({"avg", "max", "min", "sum", "count", "percentile"})


def _metric(metric: Metric) -> str:
    if metric.key not in METRIC_KEYS:
        raise ValueError(f"metric {metric.key!r} is not declared in components.signals.metrics")
    return metric.key


def _field(name: str) -> str:
    if name not in FIELDS:
        raise ValueError(f"field {name!r} is not declared in components.signals.metrics")
    return name


def string(value: str) -> str:
    """A DQL string literal."""
    return json.dumps(value)


def _by(dims: Sequence[str]) -> str:
    return f", by:{{{', '.join(_field(d) for d in dims)}}}" if dims else ""


def timeseries(
    name: str,
    metric: Metric,
    aggregation: Aggregation,
    *,
    percentile: float | None = None,
    by: Sequence[str] = (),
    rate_per: str | None = None,
) -> str:
    """``timeseries <name> = <agg>(<metric>[, p])[, by:{…}]`` (a counter as a rate with ``rate_per``)."""
    if aggregation not in _AGGREGATIONS:
        raise ValueError(f"aggregation {aggregation!r}; allowed: {', '.join(sorted(_AGGREGATIONS))}")
    args = _metric(metric)
    if aggregation == "percentile":
        if percentile is None or not 0 < percentile < 100:
            raise ValueError("percentile needs a percentile between 0 and 100")
        args += f", {percentile:g}"
    if rate_per is not None:
        args += f", rate:{rate_per}"
    return f"timeseries {name} = {aggregation}({args}){_by(by)}"


def genai_error_rate(by: Sequence[str] = ()) -> str:
    """Percentage of GenAI client spans that ended in error, per minute."""
    return "\n".join(
        (
            "fetch spans",
            f"| filter isNotNull({_field(SPAN_GENAI_SYSTEM)})",
            f"| makeTimeseries {{total = count(), errors = countIf({_field(SPAN_STATUS_CODE)} == "
            f"{string(SPAN_STATUS_ERROR)})}}{_by(by)}, interval:1m",
            "| fieldsAdd error_rate = 100 * errors[] / total[]",
            f"| fields timeframe, interval, error_rate{''.join(', ' + d for d in by)}",
        )
    )


def events_arriving(event_type: str, bucket: str) -> str:
    """Governance business events stored in ``bucket`` per minute (0 when forwarding stopped)."""
    return "\n".join(
        (
            f"fetch {BIZEVENTS_TABLE}",
            f"| filter {_field(FIELD_BUCKET)} == {string(bucket)}",
            f"| filter {_field(FIELD_EVENT_TYPE)} == {string(event_type)}",
            "| makeTimeseries events = count(), interval:1m",
        )
    )


def referenced_names(query: str) -> set[str]:
    """Dotted identifiers and metric-like names a query uses (for the reference test)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
    return set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+\b", stripped))
