"""DQL builders for the alert and dashboard queries: names come only from :mod:`.metrics`.

Each builder refuses a metric key the catalogue does not declare and a dimension or field that is
not declared for what it reads (a metric's dimensions, the span or business-event fields), so a
query can only reference names with a producer. Names with older fallbacks are read together:
``coalesce(current, older)`` into the field's alias on records, all of them in ``by:{…}`` on
metrics. Anomaly-detector queries follow the rules of the Davis anomaly detectors
(``timeseries`` or ``makeTimeseries`` with ``interval:1m``, no ``from:``/``to:``, one numeric series
per dimension tuple; Dynatrace docs "Automate alerts with API" and "Davis Anomaly Detection DQL
writing guide": the detector runs every minute and needs 1-minute bins).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from .metrics import (
    BIZEVENT_FIELDS,
    BIZEVENTS_TABLE,
    FIELD_BUCKET,
    FIELD_EVENT_TYPE,
    FIELD_PROBE,
    FIELD_TIMESTAMP,
    GENAI_GUARDRAIL,
    GENAI_GUARDRAIL_ACTIVATION,
    GENAI_PROVIDER,
    GUARDRAIL_ARN,
    METRICS_BY_KEY,
    SPAN_DURATION,
    SPAN_FIELDS,
    SPAN_INPUT_TOKENS,
    SPAN_OUTPUT_TOKENS,
    SPAN_STATUS_CODE,
    SPAN_STATUS_ERROR,
    Field,
    Metric,
)

Aggregation = str
"""A ``timeseries`` aggregation: ``avg``, ``max``, ``min``, ``sum``, ``count`` or ``percentile``."""
_AGGREGATIONS = frozenset({"avg", "max", "min", "sum", "count", "percentile"})
DETECTOR_INTERVAL = "1m"
"""The bin width every anomaly-detector query sets (``interval:1m``)."""
GUARDRAIL_OUTPUT = "guardrail"
"""The dimension the guardrail-interventions query names the guardrail (ARN or id) by."""


def _metric(metric: Metric) -> str:
    if METRICS_BY_KEY.get(metric.key) != metric:
        raise ValueError(f"metric {metric.key!r} is not declared in components.dynatrace.signals.metrics")
    return metric.key


def _dimension(metric: Metric, field: Field) -> Field:
    if field not in metric.dimensions:
        raise ValueError(f"dimension {field.name!r} is not declared for metric {metric.key!r}")
    return field


def _field(declared: Sequence[Field], field: Field, table: str) -> Field:
    if field not in declared:
        raise ValueError(f"field {field.name!r} is not declared for {table} in components.dynatrace.signals.metrics")
    return field


def string(value: str) -> str:
    """A DQL string literal."""
    return json.dumps(value)


def is_not_null(field: Field) -> str:
    return f"isNotNull({field.name})"


def not_equal(field: Field, value: str) -> str:
    return f"{field.name} != {string(value)}"


def _by_dimensions(fields: Sequence[Field]) -> str:
    names = [name for field in fields for name in field.names]
    return f", by:{{{', '.join(names)}}}" if names else ""


def timeseries(
    name: str,
    metric: Metric,
    aggregation: Aggregation,
    *,
    percentile: float | None = None,
    by: Sequence[Field] = (),
    rate_per: str | None = None,
    where: Sequence[tuple[Field, str]] = (),
    interval: str | None = None,
) -> str:
    """``timeseries <name> = <agg>(<metric>[, p])[, by:{…}][, filter:{…}][, interval:…]`` (a counter as
    a rate with ``rate_per``; ``where`` holds ``(dimension, condition)`` pairs built with
    :func:`is_not_null` or :func:`not_equal`, checked to be dimensions of ``metric``; ``interval`` for
    detectors, :data:`DETECTOR_INTERVAL`; dashboards leave the bins to the timeframe)."""
    if aggregation not in _AGGREGATIONS:
        raise ValueError(f"aggregation {aggregation!r}; allowed: {', '.join(sorted(_AGGREGATIONS))}")
    args = _metric(metric)
    if aggregation == "percentile":
        if percentile is None or not 0 < percentile < 100:
            raise ValueError("percentile needs a percentile between 0 and 100")
        args += f", {percentile:g}"
    if rate_per is not None:
        args += f", rate:{rate_per}"
    by_text = _by_dimensions([_dimension(metric, field) for field in by])
    for field, _condition in where:
        _dimension(metric, field)
    conditions = [condition for _field, condition in where]
    filter_text = f", filter:{{{' and '.join(conditions)}}}" if conditions else ""
    interval_text = f", interval:{interval}" if interval else ""
    return f"timeseries {name} = {aggregation}({args}){by_text}{filter_text}{interval_text}"


def _span_fields(fields: Sequence[Field]) -> str:
    """``fieldsAdd alias = coalesce(…)`` for the span fields read under their aliases."""
    aliased = list(dict.fromkeys(_field(SPAN_FIELDS, f, "spans") for f in fields if f.fallbacks))
    return "| fieldsAdd " + ", ".join(f"{f.output} = {f.expression}" for f in aliased) if aliased else ""


def _genai_spans(source: str, fields: Sequence[Field]) -> list[str]:
    """GenAI client spans: those naming a GenAI provider (current or older attribute)."""
    lines = [source, _span_fields([GENAI_PROVIDER, *fields]), f"| filter isNotNull({GENAI_PROVIDER.output})"]
    return [line for line in lines if line]


def _error_count() -> str:
    return f"countIf({_field(SPAN_FIELDS, SPAN_STATUS_CODE, 'spans').name} == {string(SPAN_STATUS_ERROR)})"


def genai_error_rate(by: Sequence[Field] = ()) -> str:
    """Percentage of GenAI client spans that ended in error, per minute."""
    outputs = [_field(SPAN_FIELDS, f, "spans").output for f in by]
    group = f", by:{{{', '.join(outputs)}}}" if outputs else ""
    return "\n".join(
        (
            *_genai_spans("fetch spans", by),
            f"| makeTimeseries {{total = count(), errors = {_error_count()}}}{group}, interval:{DETECTOR_INTERVAL}",
            "| fieldsAdd error_rate = 100 * errors[] / total[]",
            f"| fields timeframe, interval, error_rate{''.join(', ' + o for o in outputs)}",
        )
    )


def guardrail_interventions(cloudwatch: Metric, interval: str | None = None) -> str:
    """Guardrail interventions from both producers, one series per guardrail and source: CloudWatch
    (``cloudwatch``, split by ``GuardrailArn``) and OpenLLMetry's Bedrock activation counter from the
    apps (split by the guardrail id, only where the response named one); both with ``interval``."""
    arn = _dimension(cloudwatch, GUARDRAIL_ARN)
    guardrail = _dimension(GENAI_GUARDRAIL_ACTIVATION, GENAI_GUARDRAIL)
    apps = timeseries(
        "intervened",
        GENAI_GUARDRAIL_ACTIVATION,
        "sum",
        by=[guardrail],
        where=[(guardrail, is_not_null(guardrail))],
        interval=interval,
    )
    return "\n".join(
        (
            timeseries("intervened", cloudwatch, "sum", by=[arn], interval=interval),
            f"| fieldsRename {GUARDRAIL_OUTPUT} = {arn.name}",
            f"| append [{apps} | fieldsRename {GUARDRAIL_OUTPUT} = {guardrail.name}]",
        )
    )


def _governance(event_type: str, bucket: str) -> tuple[str, ...]:
    """Governance events of the stack's bucket and type, without verify's probe events (which
    carry ``probe``; ``isNull`` keeps every record that does not)."""
    fields = [_field(BIZEVENT_FIELDS, f, BIZEVENTS_TABLE).name for f in (FIELD_BUCKET, FIELD_EVENT_TYPE, FIELD_PROBE)]
    return (
        f"fetch {BIZEVENTS_TABLE}",
        f"| filter {fields[0]} == {string(bucket)}",
        f"| filter {fields[1]} == {string(event_type)}",
        f"| filter isNull({fields[2]})",
    )


def events_arriving(event_type: str, bucket: str) -> str:
    """Governance business events stored in ``bucket`` per minute (0 when forwarding stopped)."""
    return "\n".join(
        (*_governance(event_type, bucket), f"| makeTimeseries events = count(), interval:{DETECTOR_INTERVAL}")
    )


SAMPLING_RATIOS: tuple[int, ...] = (1, 10, 100, 1000, 10000)
"""The ``samplingRatio`` values Grail offers (Dynatrace docs "DQL best practices": 1 = no sampling,
10, 100, 1000, 10000; a query then reads about 1/ratio of the records)."""


def variable(key: str) -> str:
    """A dashboard variable reference (``$key``) for use inside a query."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,49}", key):
        raise ValueError(f"variable name {key!r}: letters, digits and _ only, starting with a letter")
    return f"${key}"


def genai_spans_by(sampling: str, by: Sequence[Field], *, limit: int = 50) -> str:
    """GenAI client spans summarised per ``by`` (requests, errors, p95 duration, tokens), read with a
    ``samplingRatio`` (a variable reference such as ``$sampling``) to bound the query volume."""
    group = ", ".join(_field(SPAN_FIELDS, f, "spans").output for f in by)
    tokens_in, tokens_out = SPAN_INPUT_TOKENS.output, SPAN_OUTPUT_TOKENS.output
    return "\n".join(
        (
            *_genai_spans(f"fetch spans, samplingRatio:{sampling}", [*by, SPAN_INPUT_TOKENS, SPAN_OUTPUT_TOKENS]),
            "| summarize {requests = count(), "
            f"errors = {_error_count()}, "
            f"p95_duration = percentile({_field(SPAN_FIELDS, SPAN_DURATION, 'spans').name}, 95), "
            f"input_tokens = sum({tokens_in}), "
            f"output_tokens = sum({tokens_out})}}, by:{{{group}}}",
            # counts and sums over 1/ratio of the spans: scale back to estimates of the totals
            f"| fieldsAdd requests = requests * {sampling}, errors = errors * {sampling}, "
            f"input_tokens = input_tokens * {sampling}, output_tokens = output_tokens * {sampling}",
            "| sort requests desc",
            f"| limit {int(limit)}",
        )
    )


def audit_trail(event_type: str, bucket: str, columns: Sequence[Field], *, limit: int = 200) -> str:
    """The latest governance events, newest first, with the given columns."""
    time = _field(BIZEVENT_FIELDS, FIELD_TIMESTAMP, BIZEVENTS_TABLE).name
    names = [time, *(_field(BIZEVENT_FIELDS, c, BIZEVENTS_TABLE).name for c in columns)]
    return "\n".join(
        (
            *_governance(event_type, bucket),
            f"| fields {', '.join(names)}",
            f"| sort {time} desc",
            f"| limit {int(limit)}",
        )
    )


def audit_counts(event_type: str, bucket: str, by: Sequence[Field], *, limit: int = 50) -> str:
    """Governance events counted per ``by`` (who did what), largest first."""
    group = ", ".join(_field(BIZEVENT_FIELDS, d, BIZEVENTS_TABLE).name for d in by)
    return "\n".join(
        (
            *_governance(event_type, bucket),
            f"| summarize events = count(), by:{{{group}}}",
            "| sort events desc",
            f"| limit {int(limit)}",
        )
    )
