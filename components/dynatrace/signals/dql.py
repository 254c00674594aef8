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
    SPAN_DURATION,
    SPAN_GENAI_SYSTEM,
    SPAN_INPUT_TOKENS,
    SPAN_OUTPUT_TOKENS,
    SPAN_STATUS_CODE,
    SPAN_STATUS_ERROR,
    Metric,
)

Aggregation = str
"""A ``timeseries`` aggregation: ``avg``, ``max``, ``min``, ``sum``, ``count`` or ``percentile``."""
_AGGREGATIONS = frozenset({"avg", "max", "min", "sum", "count", "percentile"})


def _metric(metric: Metric) -> str:
    if metric.key not in METRIC_KEYS:
        raise ValueError(f"metric {metric.key!r} is not declared in components.dynatrace.signals.metrics")
    return metric.key


def _field(name: str) -> str:
    if name not in FIELDS:
        raise ValueError(f"field {name!r} is not declared in components.dynatrace.signals.metrics")
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
    not_null: Sequence[str] = (),
) -> str:
    """``timeseries <name> = <agg>(<metric>[, p])[, by:{…}][, filter:{…}]`` (a counter as a rate with
    ``rate_per``; ``not_null`` keeps only series where those dimensions are set)."""
    if aggregation not in _AGGREGATIONS:
        raise ValueError(f"aggregation {aggregation!r}; allowed: {', '.join(sorted(_AGGREGATIONS))}")
    args = _metric(metric)
    if aggregation == "percentile":
        if percentile is None or not 0 < percentile < 100:
            raise ValueError("percentile needs a percentile between 0 and 100")
        args += f", {percentile:g}"
    if rate_per is not None:
        args += f", rate:{rate_per}"
    where = f", filter:{{{' and '.join(f'isNotNull({_field(d)})' for d in not_null)}}}" if not_null else ""
    return f"timeseries {name} = {aggregation}({args}){_by(by)}{where}"


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


SAMPLING_RATIOS: tuple[int, ...] = (1, 10, 100, 1000, 10000)
"""The ``samplingRatio`` values Grail offers (Dynatrace docs "DQL best practices": 1 = no sampling,
10, 100, 1000, 10000; a query then reads about 1/ratio of the records)."""


def variable(key: str) -> str:
    """A dashboard variable reference (``$key``) for use inside a query."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,49}", key):
        raise ValueError(f"variable name {key!r}: letters, digits and _ only, starting with a letter")
    return f"${key}"


def genai_spans_by(sampling: str, by: Sequence[str], *, limit: int = 50) -> str:
    """GenAI client spans summarised per ``by`` (requests, errors, p95 duration, tokens), read with a
    ``samplingRatio`` (a variable reference such as ``$sampling``) to bound the query volume."""
    group = ", ".join(_field(d) for d in by)
    return "\n".join(
        (
            f"fetch spans, samplingRatio:{sampling}",
            f"| filter isNotNull({_field(SPAN_GENAI_SYSTEM)})",
            "| summarize {requests = count(), "
            f"errors = countIf({_field(SPAN_STATUS_CODE)} == {string(SPAN_STATUS_ERROR)}), "
            f"p95_duration = percentile({_field(SPAN_DURATION)}, 95), "
            f"input_tokens = sum({_field(SPAN_INPUT_TOKENS)}), "
            f"output_tokens = sum({_field(SPAN_OUTPUT_TOKENS)})}}, by:{{{group}}}",
            # counts and sums over 1/ratio of the spans: scale back to estimates of the totals
            f"| fieldsAdd requests = requests * {sampling}, errors = errors * {sampling}, "
            f"input_tokens = input_tokens * {sampling}, output_tokens = output_tokens * {sampling}",
            "| sort requests desc",
            f"| limit {int(limit)}",
        )
    )


def _governance(event_type: str, bucket: str) -> tuple[str, ...]:
    return (
        f"fetch {BIZEVENTS_TABLE}",
        f"| filter {_field(FIELD_BUCKET)} == {string(bucket)}",
        f"| filter {_field(FIELD_EVENT_TYPE)} == {string(event_type)}",
    )


def audit_trail(event_type: str, bucket: str, columns: Sequence[str], *, limit: int = 200) -> str:
    """The latest governance events, newest first, with the given columns."""
    return "\n".join(
        (
            *_governance(event_type, bucket),
            f"| fields timestamp, {', '.join(_field(c) for c in columns)}",
            "| sort timestamp desc",
            f"| limit {int(limit)}",
        )
    )


def audit_counts(event_type: str, bucket: str, by: Sequence[str], *, limit: int = 50) -> str:
    """Governance events counted per ``by`` (who did what), largest first."""
    return "\n".join(
        (
            *_governance(event_type, bucket),
            f"| summarize events = count(), by:{{{', '.join(_field(d) for d in by)}}}",
            "| sort events desc",
            f"| limit {int(limit)}",
        )
    )


def referenced_names(query: str) -> set[str]:
    """Dotted identifiers and metric-like names a query uses (for the reference test)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
    return set(re.findall(r"\b[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+\b", stripped))
