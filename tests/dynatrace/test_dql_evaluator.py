"""The emulator's DQL evaluator: it parses what DQL accepts, locates what it does not, evaluates the
subset the stack's queries use, and says "unsupported" rather than inventing a result."""

from __future__ import annotations

import time
from typing import Any

import pytest

from components.dynatrace.signals.dashboards import dashboard_specs
from components.dynatrace.signals.detectors import detector_specs
from tests.conftest import FAKE_ENV, stack_file
from testsupport.dynatrace.deployed_stack import stack_config
from testsupport.dynatrace.dql_eval import (
    NANOS,
    Context,
    MetricPoint,
    QueryError,
    Timeframe,
    Timestamp,
    UnsupportedError,
    evaluate,
    tables_read,
)
from testsupport.dynatrace.dql_syntax import DqlSyntaxError, parse
from tools.verify.aws_probe import lookup_query as aws_lookup_query
from tools.verify.probe import lookup_query as probe_lookup_query

NOW = int(time.time()) // 60 * 60 * NANOS  # on a minute boundary: interval buckets are predictable
MINUTE = 60 * NANOS


class Data:
    def __init__(self, records: dict[str, list[dict[str, Any]]] | None = None, points: list[MetricPoint] | None = None):
        self._records = records or {}
        self._points = points or []

    def records(self, table: str) -> list[dict[str, Any]]:
        return self._records.get(table, [])

    def metric_points(self, key: str) -> list[MetricPoint]:
        return [p for p in self._points if p.key == key]


def run(query: str, data: Data | None = None, *, minutes: int = 10, **ctx: Any) -> list[dict[str, Any]]:
    context = Context(NOW, Timeframe(NOW - minutes * MINUTE, NOW), **ctx)
    return evaluate(parse(query), data or Data(), context).records


def span(minutes_ago: float, **fields: Any) -> dict[str, Any]:
    return {"timestamp": Timestamp(NOW - int(minutes_ago * MINUTE)), **fields}


# --- syntax ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "line", "column", "message"),
    [
        ("fetch bizevents\n| filter event.type ==\n| summarize count()", 2, 0, "Expected an expression"),
        ('fetch spans | filter x == "open', 0, 26, "string literal is not closed"),
        ("fetch spans | summarize {a = count()", 0, 36, "Expected '}'"),
        ("timeseries x = avg(k), by:{a} |", 0, 31, "Expected a command name"),
        ("fetch logs | limit 1 2", 0, 21, "Expected '|'"),
        ("fetch spans | filter a < b < c", 0, 27, "cannot be chained"),
        ("", 0, 0, "empty"),
    ],
)
def test_syntax_errors_name_the_position(query: str, line: int, column: int, message: str) -> None:
    with pytest.raises(DqlSyntaxError) as caught:
        parse(query)
    assert message in caught.value.message
    assert (caught.value.start.line, caught.value.start.column) == (line, column)


def test_comments_strings_durations_and_backticks() -> None:
    query = parse('// a comment\nfetch spans /* block */ | filter `odd name` == "a\\"b" and duration > 5m')
    assert [c.name for c in query.commands] == ["fetch", "filter"]
    rows = [span(1, **{"odd name": 'a"b', "duration": 6 * MINUTE}), span(1, **{"odd name": "x", "duration": 0})]
    assert len(run(query.text.replace("duration > 5m", "true"), Data({"spans": rows}))) == 1


# --- semantics -----------------------------------------------------------------------------------------


def test_unknown_commands_are_errors_and_known_unimplemented_ones_are_unsupported() -> None:
    with pytest.raises(QueryError, match="The command filterr does not exist"):
        run("fetch spans | filterr true")
    with pytest.raises(UnsupportedError, match="lookup"):
        run("fetch spans | lookup [fetch logs], sourceField:a, lookupField:b")
    with pytest.raises(UnsupportedError, match="the function splitString"):
        run('fetch spans | fieldsAdd x = splitString(a, ",")', Data({"spans": [span(1, a="p,q")]}))
    with pytest.raises(QueryError, match="does not exist"):
        run("fetch metrics_that_do_not_exist")
    with pytest.raises(QueryError, match="cannot start a query"):
        run("filter true")


def test_make_timeseries_fills_empty_intervals_with_null_and_iterates_arrays() -> None:
    rows = [span(2.5, ok=False), span(2.5, ok=True), span(0.5, ok=True)]
    [record] = run(
        "fetch spans | makeTimeseries {total = count(), bad = countIf(ok == false)}, interval:1m"
        " | fieldsAdd rate = 100 * bad[] / total[]",
        Data({"spans": rows}),
        minutes=4,
    )
    assert record["total"][-3:] == [2, None, 1]
    assert record["rate"][-3:] == [50, None, 0]
    assert record["interval"].nanos == MINUTE


def test_summarize_without_by_answers_one_record_even_for_nothing() -> None:
    assert run("fetch spans | summarize n = count(), s = sum(x)") == [{"n": 0, "s": None}]
    assert run("fetch spans | summarize n = count(), by:{k}") == []


def test_timeseries_groups_rates_and_percentiles() -> None:
    points = [MetricPoint("m", NOW - MINUTE, v, {"model": "a"}) for v in (1.0, 2.0, 3.0, 4.0)]
    points.append(MetricPoint("m", NOW - MINUTE, 10.0, {"model": "b", "error.type": "timeout"}))
    data = Data(points=points)
    by_model = {r["model"]: r for r in run("timeseries p = percentile(m, 50), by:{model}, interval:1m", data)}
    assert [v for v in by_model["a"]["p"] if v is not None] == [2.5]
    [errors] = run("timeseries n = count(m), by:{error.type}, filter:{isNotNull(error.type)}, interval:1m", data)
    assert [v for v in errors["n"] if v is not None] == [1]
    [rated] = run("timeseries r = sum(m, rate:1s), interval:1m", data)
    assert [v for v in rated["r"] if v is not None] == [20 / 60]
    assert run("timeseries x = avg(no.such.metric)", data) == []


def test_coalesce_matches_value_logic_sort_append_rename_and_search() -> None:
    rows = [
        span(1, **{"gen_ai.system": "openai", "n": 2}),
        span(2, **{"gen_ai.provider.name": "aws.bedrock", "n": None}),
        span(3, note='{"tags":[{"key":"k","value":"RUN-42"}]}', n=1),
    ]
    data = Data({"spans": rows})
    providers = run("fetch spans | fieldsAdd p = coalesce(gen_ai.provider.name, gen_ai.system) | fields p", data)
    assert [r["p"] for r in providers] == ["openai", "aws.bedrock", None]
    assert len(run('fetch spans | filter matchesValue(gen_ai.system, "OPEN*")', data)) == 1
    assert len(run("fetch spans | filter n > 1 or isNull(n)", data)) == 2  # null > 1 is null, not true
    assert [r["n"] for r in run("fetch spans | sort n desc | fields n", data)] == [2, 1, None]
    both = run("fetch spans | fields n | fieldsRename m = n | append [fetch spans | limit 1 | fields n]", data)
    assert [list(r) for r in both] == [["m"], ["m"], ["m"], ["n"]]
    assert len(run('fetch spans | search "run-42"', data)) == 1


def test_sampling_reads_a_share_of_the_records_and_says_so() -> None:
    rows = [span(1, i=i) for i in range(1000)]
    context = Context(NOW, Timeframe(NOW - 10 * MINUTE, NOW))
    outcome = evaluate(parse("fetch spans, samplingRatio:10"), Data({"spans": rows}), context)
    assert outcome.sampled
    assert 50 < len(outcome.records) < 150
    assert outcome.scanned_records == len(outcome.records)


def test_tables_read_include_subqueries() -> None:
    assert tables_read(parse("timeseries a = sum(x) | append [fetch spans]")) == {"metrics", "spans"}


# --- the stack's own queries ----------------------------------------------------------------------------


def _stack_queries(stack: str) -> list[str]:
    config = stack_config(stack, stack_file(stack), "https://abc12345.live.dynatrace.com", FAKE_ENV)
    queries = []
    for spec in detector_specs(config.signals, config.governance, config.kong):
        queries += [i["value"] for i in spec.value["analyzer"]["input"] if i["key"] == "query"]
    for board in dashboard_specs(config.signals.dashboards, config.governance, config.kong):
        queries += [q.replace("$sampling", "100") for q in board.dashboard.queries()]
    return queries


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_detector_and_tile_query_of_the_committed_stacks_evaluates(stack: str) -> None:
    """None is reported unsupported: the evaluator covers every query shape the stack generates."""
    queries = [*_stack_queries(stack), probe_lookup_query("verify-run"), aws_lookup_query("gen_ai_events", "run")]
    unsupported = []
    for query in queries:
        try:
            run(query, minutes=24 * 60)
        except UnsupportedError as exc:
            unsupported.append(f"{exc.what}: {query}")
    assert unsupported == []
    assert len(queries) > 30
