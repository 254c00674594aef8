"""Every producer of the catalogue has a configuration switch (or is the platform itself), so a new
producer cannot make verify call its silence unexplained."""

from __future__ import annotations

from components.dynatrace.signals import metrics
from tools.verify.producers import PLATFORM_PRODUCERS, SWITCHES, attribute


def test_every_catalogued_producer_is_switchable_or_part_of_the_platform() -> None:
    producers = {m.producer for m in metrics.ALL_METRICS}
    for field in (
        *metrics.SPAN_FIELDS,
        *metrics.BIZEVENT_FIELDS,
        *(d for m in metrics.ALL_METRICS for d in m.dimensions),
    ):
        producers |= {field.producer, *(f.producer for f in field.fallbacks)}
    unmapped = {p.name for p in producers if p not in SWITCHES and p not in PLATFORM_PRODUCERS}
    assert unmapped == set()


def test_a_metric_query_is_attributed_to_the_metric_and_a_record_query_to_its_fields() -> None:
    kong = attribute("timeseries x = sum(kong_ai_llm_requests_total), by:{ai_provider}")
    assert [p.name for p in kong.producers] == [metrics.KONG.name]
    spans = attribute(
        "fetch spans | filter isNotNull(coalesce(gen_ai.provider.name, gen_ai.system))"
        ' | filter x == "gen_ai.usage.input_tokens"'
    )
    assert [p.name for p in spans.producers] == [metrics.OPENLLMETRY.name]
    assert spans.names == ["gen_ai.provider.name", "gen_ai.system"]  # names inside strings are not read
    assert attribute("fetch logs | limit 1").producers == []
