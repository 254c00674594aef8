"""An honest evaluator for the DQL subset the stack's alerts and dashboards use.

It evaluates a parsed query (:mod:`.dql_syntax`) over records the emulator holds (business events,
spans) and metric data points the tests seed. What it implements follows the DQL reference pages on
docs.dynatrace.com ("DQL commands", "DQL functions", "Aggregation functions", "timeseries",
"makeTimeseries"); everything else raises :class:`UnsupportedError` — the emulator then answers
"not supported by this emulator" instead of inventing a result. A query that is certainly wrong (an
unknown command, a missing argument, a table that does not exist) raises :class:`QueryError`, which the
API reports as a bad request, as the tenant does.

Implemented:

- ``fetch <table>`` (``bizevents``, ``spans``, ``logs``, ``events``) with ``from:``/``to:`` and
  ``samplingRatio:`` (a record is kept when a stable hash of it falls into 1/ratio; the result is
  marked ``sampled``);
- ``timeseries`` over metric data points: ``avg``, ``sum``, ``min``, ``max``, ``count``,
  ``percentile(key, p)``, each optionally with ``rate:<duration>``; ``by:{…}``, ``filter:{…}``,
  ``interval:``, ``from:``/``to:``;
- ``makeTimeseries`` with ``count()``, ``countIf(cond)``, ``sum``, ``avg``, ``min``, ``max``,
  ``percentile``; ``by:``, ``interval:``, ``time:``, ``from:``/``to:``;
- ``fieldsRename new = old``; ``append [subquery]`` (the subquery's records after this query's);
- ``search "text"`` (a record matches when any of its string values, nested ones included, contains
  the text, ignoring case);
- ``filter``, ``filterOut``, ``fields``, ``fieldsAdd``, ``fieldsRemove``, ``summarize`` (the same
  aggregations plus ``countDistinct``, ``takeFirst``, ``takeLast``), ``sort``, ``limit``;
- expressions: arithmetic and comparisons with null propagation, three-valued ``and``/``or``/``not``,
  iterative array expressions (``100 * errors[] / total[]`` is evaluated element by element), and the
  functions ``isNull``, ``isNotNull``, ``coalesce``, ``matchesValue``, ``contains``, ``startsWith``,
  ``endsWith``, ``lower``, ``upper``, ``in``, ``if``, ``toString``, ``toDouble``, ``toLong``, ``abs``,
  ``now``.

Choices of this emulator where the documentation leaves the exact rule open (they change no answer a
test relies on): the automatic ``interval`` is the smallest of 1m, 5m, 10m, 15m, 30m, 1h, 3h, 6h,
12h, 1d giving at most 120 buckets; an interval without data is ``null`` (the documented default of
``makeTimeseries``); ``percentile`` interpolates linearly; a metric data point is one observation
(``count`` counts points, ``sum`` adds their values).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .dql_syntax import (
    Binary,
    Braces,
    Call,
    Command,
    Duration,
    Expr,
    FieldRef,
    Item,
    Literal,
    Node,
    Query,
    Subquery,
    Unary,
    Variable,
    source,
)

NANOS = 1_000_000_000
TABLES = ("bizevents", "spans", "logs", "events")
_AUTO_INTERVALS_S = (60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400)
MAX_BUCKETS = 120
# Commands of the DQL reference this emulator does not evaluate (a query using one is valid DQL).
KNOWN_UNSUPPORTED_COMMANDS = frozenset(
    {
        "data",
        "dedup",
        "describe",
        "expand",
        "fieldsFlatten",
        "fieldsKeep",
        "fieldsSummary",
        "join",
        "joinNested",
        "load",
        "lookup",
        "parse",
        "smartscapeNodes",
        "smartscapeEdges",
        "traverse",
    }
)
IMPLEMENTED_COMMANDS = frozenset(
    {"fetch", "timeseries", "makeTimeseries", "filter", "filterOut", "fields", "fieldsAdd", "fieldsRemove"}
    | {"summarize", "sort", "limit", "search", "fieldsRename", "append"}
)
STARTING_COMMANDS = frozenset({"fetch", "timeseries", "data", "describe", "load", "smartscapeNodes", "smartscapeEdges"})
TIMESERIES_AGGREGATIONS = frozenset({"avg", "sum", "min", "max", "count", "percentile"})
RECORD_AGGREGATIONS = frozenset({"count", "countIf", "sum", "avg", "min", "max", "percentile"})
SUMMARIZE_AGGREGATIONS = RECORD_AGGREGATIONS | {"countDistinct", "takeFirst", "takeLast"}


class UnsupportedError(Exception):
    """Valid DQL (as far as this emulator can tell) that it does not evaluate."""

    def __init__(self, what: str, node: Node | None = None) -> None:
        super().__init__(what)
        self.what = what
        self.node = node


class QueryError(Exception):
    """A query the tenant would reject (HTTP 400)."""

    def __init__(self, message: str, node: Node | None = None, error_type: str = "INVALID_QUERY") -> None:
        super().__init__(message)
        self.message = message
        self.node = node
        self.error_type = error_type


# --- values --------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Timestamp:
    nanos: int

    def iso(self) -> str:
        seconds, rest = divmod(self.nanos, NANOS)
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{rest:09d}Z"


@dataclass(frozen=True)
class Timeframe:
    start: int
    end: int

    def body(self) -> dict[str, str]:
        return {"start": Timestamp(self.start).iso(), "end": Timestamp(self.end).iso()}


@dataclass(frozen=True)
class DurationValue:
    nanos: int


@dataclass
class IterArray:
    """The elements of an array inside an iterative expression."""

    items: list[Any]


def to_json(value: Any) -> Any:
    """A value as the Query API serialises it (timestamps ISO-8601, durations in ns as strings)."""
    if isinstance(value, Timestamp):
        return value.iso()
    if isinstance(value, Timeframe):
        return value.body()
    if isinstance(value, DurationValue):
        return str(value.nanos)
    if isinstance(value, IterArray):
        return [to_json(v) for v in value.items]
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def type_name(value: Any) -> str:
    """The field type the Query API's ``types`` section names for a value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Timestamp):
        return "timestamp"
    if isinstance(value, Timeframe):
        return "timeframe"
    if isinstance(value, DurationValue):
        return "duration"
    if isinstance(value, (list, IterArray)):
        return "array"
    if isinstance(value, dict):
        return "record"
    return "undefined"


# --- data the queries read ---------------------------------------------------------------------


@dataclass(frozen=True)
class MetricPoint:
    key: str
    timestamp: int
    """Epoch nanoseconds."""
    value: float
    dimensions: dict[str, Any] = field(default_factory=dict)


class DataSource(Protocol):
    def records(self, table: str) -> Iterable[dict[str, Any]]:
        """The queryable records of a table; each carries ``timestamp`` as a :class:`Timestamp`."""
        ...

    def metric_points(self, key: str) -> Iterable[MetricPoint]: ...


@dataclass
class Context:
    now: int
    """The tenant's clock, epoch nanoseconds."""
    timeframe: Timeframe
    """The request's default timeframe (``from:``/``to:`` of a command take precedence)."""
    sampling_ratio: int = 1
    scan_limit_bytes: int | None = None
    max_records: int | None = None


@dataclass
class Outcome:
    records: list[dict[str, Any]]
    scanned_bytes: int = 0
    scanned_records: int = 0
    scanned_data_points: int = 0
    sampled: bool = False
    analysis_timeframe: Timeframe | None = None
    notifications: list[dict[str, Any]] = field(default_factory=list)


def _subqueries(commands: Sequence[Command]) -> list[tuple[Command, ...]]:
    found = []
    for command in commands:
        for item in command.items:
            if isinstance(item.expr, Subquery):
                found.append(item.expr.commands)
                found.extend(_subqueries(item.expr.commands))
    return found


def tables_read(query: Query) -> set[str]:
    """The Grail tables a query reads (``metrics`` for ``timeseries``): what its permissions must cover."""
    tables: set[str] = set()
    for commands in (query.commands, *_subqueries(query.commands)):
        first = commands[0]
        if first.name == "timeseries":
            tables.add("metrics")
        elif first.name == "fetch":
            table = first.positional()[0].expr if first.positional() else None
            if isinstance(table, FieldRef):
                tables.add(table.name)
    return tables


def check(query: Query) -> None:
    """Static checks (names and shapes); raises :class:`QueryError` or :class:`UnsupportedError`."""
    for commands in (query.commands, *_subqueries(query.commands)):
        _check_commands(commands)


def _check_commands(commands: Sequence[Command]) -> None:
    for index, command in enumerate(commands):
        name = command.name
        if name not in IMPLEMENTED_COMMANDS and name not in KNOWN_UNSUPPORTED_COMMANDS:
            raise QueryError(f"The command {name} does not exist", command, "UNKNOWN_COMMAND")
        if (index == 0) != (name in STARTING_COMMANDS):
            where = "must start the query" if name in STARTING_COMMANDS else "cannot start a query"
            raise QueryError(f"The command {name} {where}", command, "INVALID_COMMAND_POSITION")
        if name in KNOWN_UNSUPPORTED_COMMANDS:
            raise UnsupportedError(f"the command {name}", command)
        if name == "fetch":
            _table(command)


def _table(command: Command) -> str:
    positional = command.positional()
    if len(positional) != 1 or not isinstance(positional[0].expr, FieldRef):
        raise QueryError("fetch needs exactly one table name", command)
    table = positional[0].expr.name
    if table not in TABLES:
        if table in ("metrics", "dt.metrics"):
            raise QueryError("Metrics are read with timeseries, not fetch", positional[0])
        raise QueryError(f"The table {table} does not exist", positional[0], "TABLE_NOT_FOUND")
    return table


def evaluate(query: Query, data: DataSource, ctx: Context) -> Outcome:
    check(query)
    return _Evaluator(query, data, ctx).run()


# --- evaluation --------------------------------------------------------------------------------------


class _Evaluator:
    def __init__(self, query: Query, data: DataSource, ctx: Context) -> None:
        self.query = query
        self.data = data
        self.ctx = ctx
        self.outcome = Outcome([])

    def run(self) -> Outcome:
        rows = self.pipeline(self.query.commands)
        limit = self.ctx.max_records
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            self.outcome.notifications.append(
                _notification("WARN", "RESULT_LIMIT_RECORDS", f"The result has been limited to {limit} records.")
            )
        self.outcome.records = rows
        return self.outcome

    def pipeline(self, commands: Sequence[Command]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for command in commands:
            handler: Callable[[Command, list[dict[str, Any]]], list[dict[str, Any]]] = getattr(self, "_" + command.name)
            rows = handler(command, rows)
        return rows

    # -- helpers ---------------------------------------------------------------------------------

    def text(self, node: Node) -> str:
        return source(self.query, node)

    def only_params(self, command: Command, allowed: set[str]) -> None:
        for item in command.items:
            if item.param is not None and item.param not in allowed:
                raise UnsupportedError(f"the parameter {item.param} of {command.name}", item)

    def timeframe(self, command: Command) -> Timeframe:
        start, end = self.ctx.timeframe.start, self.ctx.timeframe.end
        given_from, given_to = command.param("from"), command.param("to")
        if given_from is not None:
            start = self.instant(given_from)
        if given_to is not None:
            end = self.instant(given_to)
        if end <= start:
            raise QueryError("The timeframe is empty: from must be before to", command)
        frame = Timeframe(start, end)
        self.outcome.analysis_timeframe = frame
        return frame

    def instant(self, expr: Expr) -> int:
        value = self.scalar(expr, {})
        if isinstance(value, DurationValue):  # a relative instant such as -24h
            return self.ctx.now + value.nanos
        if isinstance(value, Timestamp):
            return value.nanos
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise QueryError(f"{value!r} is not a timestamp", expr) from None
            return int(parsed.timestamp() * NANOS)
        raise QueryError("Expected a timestamp or a duration relative to now", expr)

    def duration(self, expr: Expr | None, what: str) -> int | None:
        if expr is None:
            return None
        value = self.scalar(expr, {})
        if not isinstance(value, DurationValue) or value.nanos <= 0:
            raise QueryError(f"{what} must be a positive duration such as 1m", expr)
        return value.nanos

    def interval(self, command: Command, frame: Timeframe) -> int:
        given = self.duration(command.param("interval"), "interval")
        if given is not None:
            if (frame.end - frame.start) / given > 10_000:
                raise QueryError("The interval gives too many buckets for the timeframe", command.param("interval"))
            return given
        span = frame.end - frame.start
        for seconds in _AUTO_INTERVALS_S:
            if span / (seconds * NANOS) <= MAX_BUCKETS:
                return seconds * NANOS
        return _AUTO_INTERVALS_S[-1] * NANOS

    def scan(self, records: Sequence[dict[str, Any]]) -> None:
        for record in records:
            size = len(json.dumps(to_json(record), sort_keys=True))
            self.outcome.scanned_bytes += size
            self.outcome.scanned_records += 1

    # -- commands ----------------------------------------------------------------------------------

    def _fetch(self, command: Command, _rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.only_params(command, {"from", "to", "samplingRatio", "scanLimitGBytes"})
        table = _table(command)
        frame = self.timeframe(command)
        ratio = self.ctx.sampling_ratio
        given = command.param("samplingRatio")
        if given is not None:
            value = self.scalar(given, {})
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise QueryError("samplingRatio must be a positive whole number", given)
            ratio = value
        limit = self.ctx.scan_limit_bytes
        given_limit = command.param("scanLimitGBytes")
        if given_limit is not None:
            gbytes = self.scalar(given_limit, {})
            if not isinstance(gbytes, (int, float)) or isinstance(gbytes, bool):
                raise QueryError("scanLimitGBytes must be a number", given_limit)
            limit = None if gbytes < 0 else int(gbytes * 1e9)
        rows = []
        for record in self.data.records(table):
            stamp = record.get("timestamp")
            if not isinstance(stamp, Timestamp) or not frame.start <= stamp.nanos < frame.end:
                continue
            if ratio > 1 and _stable_hash(record) % ratio != 0:
                continue
            size = len(json.dumps(to_json(record), sort_keys=True))
            if limit is not None and self.outcome.scanned_bytes + size > limit:
                self.outcome.notifications.append(
                    _notification("WARN", "SCAN_LIMIT_GBYTES", "The scan limit was reached; the result is partial.")
                )
                break
            self.outcome.scanned_bytes += size
            self.outcome.scanned_records += 1
            rows.append(dict(record))
        if ratio > 1:
            self.outcome.sampled = True
        return rows

    def _filter(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        condition = self.single(command)
        return [r for r in rows if self.scalar(condition, r) is True]

    def _search(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        text = self.scalar(self.single(command), {})
        if not isinstance(text, str) or not text:
            raise QueryError("search takes a text", command)
        needle = text.lower()
        return [r for r in rows if _contains_text(r, needle)]

    def _filterOut(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        condition = self.single(command)
        return [r for r in rows if self.scalar(condition, r) is not True]

    def single(self, command: Command) -> Expr:
        items = command.positional()
        if len(items) != 1 or items[0].name is not None or items[0].expr is None or command.params():
            raise QueryError(f"{command.name} takes one argument", command)
        return items[0].expr

    def named_items(self, command: Command) -> list[tuple[str, Expr]]:
        out = []
        for item in command.items:
            if item.param is not None:
                raise UnsupportedError(f"the parameter {item.param} of {command.name}", item)
            if item.expr is None:
                continue
            out.append((item.name or self.text(item.expr), item.expr))
        return out

    def _fields(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items = self.named_items(command)
        return [{name: self.value(expr, row) for name, expr in items} for row in rows]

    def _fieldsAdd(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items = self.named_items(command)
        out = []
        for row in rows:
            new = dict(row)
            for name, expr in items:
                new[name] = self.value(expr, row)
            out.append(new)
        return out

    def _fieldsRemove(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = []
        for item in command.items:
            if not isinstance(item.expr, FieldRef) or item.name or item.param:
                raise QueryError("fieldsRemove takes field names", item)
            names.append(item.expr.name)
        return [{k: v for k, v in row.items() if k not in names} for row in rows]

    def _fieldsRename(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pairs = []
        for item in command.items:
            if item.name is None or not isinstance(item.expr, FieldRef) or item.expr.iterative or item.param:
                raise QueryError("fieldsRename takes new = old pairs", item)
            pairs.append((item.expr.name, item.name))
        out = []
        for row in rows:
            renamed = {}
            for key, value in row.items():
                new = next((n for old, n in pairs if old == key), key)
                renamed[new] = value
            out.append(renamed)
        return out

    def _append(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items = command.positional()
        if len(items) != 1 or not isinstance(items[0].expr, Subquery) or command.params():
            raise QueryError("append takes one subquery in brackets", command)
        return rows + self.pipeline(items[0].expr.commands)

    def _sort(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if command.params():
            raise UnsupportedError("parameters of sort", command)
        out = list(rows)
        for item in reversed(command.items):
            if item.expr is None:
                continue
            expr = item.expr
            keyed = [(self.scalar(expr, row), row) for row in out]
            present = [p for p in keyed if p[0] is not None]
            missing = [p[1] for p in keyed if p[0] is None]
            try:
                present.sort(key=lambda pair: _sort_key(pair[0]), reverse=item.direction == "desc")
            except TypeError:
                raise QueryError("sort compares values of different types", item) from None
            out = [p[1] for p in present] + missing  # nulls last
        return out

    def _limit(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items = command.positional()
        value = self.scalar(items[0].expr, {}) if len(items) == 1 and items[0].expr is not None else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise QueryError("limit takes a non-negative whole number", command)
        return rows[:value]

    # -- aggregations over records ------------------------------------------------------------------

    def aggregations(self, command: Command, allowed: frozenset[str]) -> list[tuple[str, Call]]:
        out: list[tuple[str, Call]] = []
        for item in command.positional():
            entries = item.expr.items if isinstance(item.expr, Braces) else (item,)
            for entry in entries:
                expr = entry.expr
                if not isinstance(expr, Call):
                    raise QueryError(f"{command.name} expects aggregation functions", entry)
                if expr.name not in allowed:
                    if expr.name in SUMMARIZE_AGGREGATIONS | TIMESERIES_AGGREGATIONS:
                        raise QueryError(f"{expr.name} cannot be used in {command.name}", expr)
                    raise UnsupportedError(f"the aggregation {expr.name} in {command.name}", expr)
                out.append((entry.name or self.text(expr), expr))
        if not out:
            raise QueryError(f"{command.name} needs at least one aggregation", command)
        return out

    def group_items(self, command: Command) -> list[tuple[str, Expr]]:
        by = command.param("by")
        if by is None:
            return []
        items = by.items if isinstance(by, Braces) else (Item(by.start, by.end, by),)
        out = []
        for item in items:
            if item.expr is None or item.param is not None:
                raise QueryError("by takes fields or name = expression", item)
            out.append((item.name or self.text(item.expr), item.expr))
        return out

    def aggregate(self, call: Call, rows: Sequence[dict[str, Any]]) -> Any:
        name = call.name
        if name == "count":
            if call.args or call.named:
                raise QueryError("count() takes no arguments", call)
            return len(rows)
        if name == "countIf":
            if len(call.args) != 1:
                raise QueryError("countIf takes one condition", call)
            return sum(1 for row in rows if self.scalar(call.args[0], row) is True)
        if not call.args:
            raise QueryError(f"{name} needs an argument", call)
        values = [self.scalar(call.args[0], row) for row in rows]
        if name == "countDistinct":
            return len({json.dumps(to_json(v), sort_keys=True) for v in values if v is not None})
        if name in ("takeFirst", "takeLast"):
            present = [v for v in values if v is not None]
            return (present[0] if name == "takeFirst" else present[-1]) if present else None
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return reduce_numbers(name, numbers, self.percentile_of(call))

    def percentile_of(self, call: Call) -> float | None:
        if call.name != "percentile":
            return None
        if len(call.args) != 2:
            raise QueryError("percentile takes a value and a percentile", call)
        value = self.scalar(call.args[1], {})
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 100:
            raise QueryError("the percentile must be a number from 0 to 100", call.args[1])
        return float(value)

    def _summarize(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.only_params(command, {"by"})
        aggregations = self.aggregations(command, SUMMARIZE_AGGREGATIONS)
        groups = self.group_items(command)
        buckets: dict[str, tuple[list[Any], list[dict[str, Any]]]] = {}
        for row in rows:
            key_values = [self.scalar(expr, row) for _, expr in groups]
            key = json.dumps(to_json(key_values))
            buckets.setdefault(key, (key_values, []))[1].append(row)
        if not groups and not buckets:
            buckets[""] = ([], [])  # summarize without by answers one record even for no input
        out = []
        for key_values, members in buckets.values():
            record = {name: value for (name, _), value in zip(groups, key_values, strict=True)}
            for name, call in aggregations:
                record[name] = self.aggregate(call, members)
            out.append(record)
        return out

    def _makeTimeseries(self, command: Command, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.only_params(command, {"by", "interval", "time", "from", "to"})
        aggregations = self.aggregations(command, RECORD_AGGREGATIONS)
        groups = self.group_items(command)
        frame = self.timeframe(command)
        step = self.interval(command, frame)
        time_expr = command.param("time")
        start = frame.start - frame.start % step
        count = max(1, math.ceil((frame.end - start) / step))
        series: dict[str, tuple[list[Any], list[list[dict[str, Any]]]]] = {}
        for row in rows:
            stamp = self.scalar(time_expr, row) if time_expr is not None else row.get("timestamp")
            if not isinstance(stamp, Timestamp) or not frame.start <= stamp.nanos < frame.end:
                continue
            key_values = [self.scalar(expr, row) for _, expr in groups]
            key = json.dumps(to_json(key_values))
            entry = series.setdefault(key, (key_values, [[] for _ in range(count)]))
            entry[1][(stamp.nanos - start) // step].append(row)
        out = []
        for key_values, slots in series.values():
            record: dict[str, Any] = {
                "timeframe": Timeframe(start, start + count * step),
                "interval": DurationValue(step),
            }
            record.update({name: value for (name, _), value in zip(groups, key_values, strict=True)})
            for name, call in aggregations:
                record[name] = [self.aggregate(call, slot) if slot else None for slot in slots]
            out.append(record)
        return out

    # -- timeseries over metric data points ---------------------------------------------------------

    def _timeseries(self, command: Command, _rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.only_params(command, {"by", "filter", "interval", "from", "to"})
        frame = self.timeframe(command)
        step = self.interval(command, frame)
        start = frame.start - frame.start % step
        count = max(1, math.ceil((frame.end - start) / step))
        groups = self.group_items(command)
        condition = command.param("filter")
        if isinstance(condition, Braces):
            if len(condition.items) != 1 or condition.items[0].expr is None:
                raise QueryError("filter takes one condition", condition)
            condition = condition.items[0].expr
        series: dict[str, dict[str, Any]] = {}
        for name, call in self.metric_aggregations(command):
            key_expr = call.args[0]
            assert isinstance(key_expr, FieldRef)
            rate = self.duration(call.param("rate"), "rate")
            slots: dict[str, tuple[list[Any], list[list[float]]]] = {}
            for point in self.data.metric_points(key_expr.name):
                if not frame.start <= point.timestamp < frame.end:
                    continue
                self.outcome.scanned_data_points += 1
                self.outcome.scanned_bytes += 16 + len(json.dumps(point.dimensions, sort_keys=True))
                if condition is not None and self.scalar(condition, point.dimensions) is not True:
                    continue
                key_values = [self.scalar(expr, point.dimensions) for _, expr in groups]
                key = json.dumps(to_json(key_values))
                entry = slots.setdefault(key, (key_values, [[] for _ in range(count)]))
                entry[1][(point.timestamp - start) // step].append(point.value)
            for key, (key_values, values) in slots.items():
                record = series.setdefault(
                    key,
                    {
                        "timeframe": Timeframe(start, start + count * step),
                        "interval": DurationValue(step),
                        **{g: v for (g, _), v in zip(groups, key_values, strict=True)},
                    },
                )
                record[name] = [
                    _rated(reduce_numbers(call.name, slot, self.percentile_of(call)), call.name, rate, step)
                    if slot
                    else None
                    for slot in values
                ]
        out = list(series.values())
        names = [name for name, _ in self.metric_aggregations(command)]
        for record in out:  # a series another aggregation found has no data for this one
            for name in names:
                record.setdefault(name, [None] * count)
        return out

    def metric_aggregations(self, command: Command) -> list[tuple[str, Call]]:
        calls = self.aggregations(command, frozenset(TIMESERIES_AGGREGATIONS))
        for _, call in calls:
            if not call.args or not isinstance(call.args[0], FieldRef) or call.args[0].iterative:
                raise QueryError(f"{call.name} in timeseries takes a metric key", call)
            allowed = 2 if call.name == "percentile" else 1
            if len(call.args) != allowed:
                raise QueryError(f"{call.name} takes {allowed} positional argument(s) in timeseries", call)
            for key, _ in call.named:
                if key != "rate":
                    raise UnsupportedError(f"the parameter {key} of {call.name} in timeseries", call)
        return calls

    # -- expressions --------------------------------------------------------------------------------

    def value(self, expr: Expr, row: dict[str, Any]) -> Any:
        """An expression's value in a record (an iterative expression gives an array)."""
        result = self.scalar(expr, row)
        return result.items if isinstance(result, IterArray) else result

    def scalar(self, expr: Expr, row: dict[str, Any]) -> Any:
        if isinstance(expr, Literal):
            return expr.value
        if isinstance(expr, Duration):
            return DurationValue(expr.nanos)
        if isinstance(expr, FieldRef):
            found = row.get(expr.name)
            if expr.iterative:
                return IterArray(list(found)) if isinstance(found, list) else None
            return found
        if isinstance(expr, Variable):
            raise QueryError(f"The variable ${expr.name} is not defined", expr, "UNDEFINED_VARIABLE")
        if isinstance(expr, Unary):
            assert expr.operand is not None
            operand = self.scalar(expr.operand, row)
            return _elementwise(lambda v: _unary(expr.op, v), operand)
        if isinstance(expr, Binary):
            assert expr.left is not None
            assert expr.right is not None
            if expr.op in ("and", "or", "xor"):
                return _logic(expr.op, self.scalar(expr.left, row), self.scalar(expr.right, row))
            left, right = self.scalar(expr.left, row), self.scalar(expr.right, row)
            return _pairwise(lambda a, b: _binary(expr, a, b), left, right)
        if isinstance(expr, Call):
            return self.call(expr, row)
        raise UnsupportedError("a list here", expr)

    def call(self, call: Call, row: dict[str, Any]) -> Any:
        name = call.name
        if name in SUMMARIZE_AGGREGATIONS | TIMESERIES_AGGREGATIONS and name not in ("in",):
            raise QueryError(f"The aggregation {name} cannot be used here", call)
        args = [self.scalar(a, row) for a in call.args]
        named = {k: self.scalar(v, row) for k, v in call.named}

        def arity(low: int, high: int | None = None) -> None:
            if not low <= len(args) <= (high if high is not None else low):
                raise QueryError(
                    f"{name} takes {low}{'' if high == low or high is None else f'-{high}'} arguments", call
                )

        if name in ("isNull", "isNotNull"):
            arity(1)
            return (args[0] is None) == (name == "isNull")
        if name == "coalesce":
            if len(args) < 2:
                raise QueryError("coalesce takes at least two arguments", call)
            return next((a for a in args if a is not None), None)
        if name == "matchesValue":
            arity(2)
            if named:
                raise UnsupportedError("parameters of matchesValue", call)
            return _matches_value(args[0], args[1])
        if name in ("contains", "startsWith", "endsWith"):
            arity(2)
            if args[0] is None or args[1] is None:
                return None
            if not isinstance(args[0], str) or not isinstance(args[1], str):
                raise QueryError(f"{name} compares strings", call)
            sensitive = named.get("caseSensitive", True)
            text, part = (args[0], args[1]) if sensitive else (args[0].lower(), args[1].lower())
            return {"contains": part in text, "startsWith": text.startswith(part), "endsWith": text.endswith(part)}[
                name
            ]
        if name in ("lower", "upper"):
            arity(1)
            return None if args[0] is None else (str(args[0]).lower() if name == "lower" else str(args[0]).upper())
        if name == "in":
            if len(args) < 2:
                raise QueryError("in takes a value and at least one candidate", call)
            if args[0] is None:
                return None
            candidates = [c for a in args[1:] for c in (a if isinstance(a, list) else [a])]
            return args[0] in candidates
        if name == "if":
            arity(2, 3)
            otherwise = named.get("else", args[2] if len(args) == 3 else None)
            return args[1] if args[0] is True else otherwise
        if name == "toString":
            arity(1)
            return None if args[0] is None else _to_string(args[0])
        if name in ("toDouble", "toLong"):
            arity(1)
            return _to_number(args[0], name == "toLong")
        if name == "abs":
            arity(1)
            return _elementwise(
                lambda v: abs(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None, args[0]
            )
        if name == "now":
            arity(0)
            return Timestamp(self.ctx.now)
        raise UnsupportedError(f"the function {name}", call)


def reduce_numbers(name: str, numbers: Sequence[float], percentile: float | None) -> Any:
    """``count``/``sum``/``avg``/``min``/``max``/``percentile`` of numbers (null when there are none)."""
    if name == "count":
        return len(numbers)
    if not numbers:
        return None
    if name == "sum":
        return sum(numbers)
    if name == "avg":
        return sum(numbers) / len(numbers)
    if name == "min":
        return min(numbers)
    if name == "max":
        return max(numbers)
    if name == "percentile":
        assert percentile is not None
        ordered = sorted(numbers)
        rank = (len(ordered) - 1) * percentile / 100
        low, high = math.floor(rank), math.ceil(rank)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    raise UnsupportedError(f"the aggregation {name}")


def _rated(value: Any, aggregation: str, rate: int | None, step: int) -> Any:
    if rate is None or value is None or aggregation not in ("sum", "count"):
        return value
    return value * rate / step


def _notification(severity: str, kind: str, message: str) -> dict[str, Any]:
    return {"severity": severity, "notificationType": kind, "message": message}


def _stable_hash(record: dict[str, Any]) -> int:
    text = json.dumps(to_json(record), sort_keys=True)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _sort_key(value: Any) -> Any:
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, Timestamp):
        return (3, value.nanos)
    return (4, json.dumps(to_json(value), sort_keys=True))


def _matches_value(value: Any, pattern: Any) -> Any:
    """``matchesValue``: case-insensitive, ``*`` as wildcard; an array matches when any element does."""
    if value is None:
        return None
    patterns = pattern if isinstance(pattern, list) else [pattern]
    values = value if isinstance(value, list) else [value]
    for candidate in values:
        for item in patterns:
            if isinstance(candidate, str) and isinstance(item, str):
                escaped = item.lower().replace("[", "[[]").replace("?", "[?]")
                if fnmatch.fnmatchcase(candidate.lower(), escaped):
                    return True
    return False


def _contains_text(value: Any, needle: str) -> bool:
    if isinstance(value, str):
        return needle in value.lower()
    if isinstance(value, dict):
        return any(_contains_text(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(_contains_text(v, needle) for v in value)
    return False


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Timestamp, Timeframe, DurationValue, list, dict)):
        return json.dumps(to_json(value))
    return str(value)


def _to_number(value: Any, whole: bool) -> Any:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if whole else number


def _elementwise(fn: Callable[[Any], Any], value: Any) -> Any:
    if isinstance(value, IterArray):
        return IterArray([fn(v) for v in value.items])
    return fn(value)


def _pairwise(fn: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
    if isinstance(left, IterArray) or isinstance(right, IterArray):
        size = max(len(x.items) for x in (left, right) if isinstance(x, IterArray))

        def at(x: Any, i: int) -> Any:
            if isinstance(x, IterArray):
                return x.items[i] if i < len(x.items) else None
            return x

        return IterArray([fn(at(left, i), at(right, i)) for i in range(size)])
    return fn(left, right)


def _unary(op: str, value: Any) -> Any:
    if value is None:
        return None
    if op == "-":
        if isinstance(value, DurationValue):
            return DurationValue(-value.nanos)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        return None
    if op == "not":
        return (not value) if isinstance(value, bool) else None
    raise UnsupportedError(f"the operator {op}")


def _logic(op: str, left: Any, right: Any) -> Any:
    if isinstance(left, IterArray) or isinstance(right, IterArray):
        raise UnsupportedError(f"{op} over arrays")
    lb = left if isinstance(left, bool) else None
    rb = right if isinstance(right, bool) else None
    if op == "and":
        if lb is False or rb is False:
            return False
        return True if lb is True and rb is True else None
    if op == "or":
        if lb is True or rb is True:
            return True
        return False if lb is False and rb is False else None
    if lb is None or rb is None:
        return None
    return lb != rb


_COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _binary(expr: Binary, left: Any, right: Any) -> Any:
    op = expr.op
    if left is None or right is None:
        return None
    if op in _COMPARE:
        if _number(left) and _number(right):
            return bool(_COMPARE[op](left, right))
        if type(left) is type(right) and isinstance(left, (str, bool, Timestamp, DurationValue)):
            if op not in ("==", "!=") and isinstance(left, bool):
                return None
            if isinstance(left, (Timestamp, DurationValue)):
                return bool(_COMPARE[op](left.nanos, right.nanos))
            return bool(_COMPARE[op](left, right))
        return False if op == "==" else (True if op == "!=" else None)
    if isinstance(left, Timestamp) and isinstance(right, DurationValue) and op in ("+", "-"):
        return Timestamp(left.nanos + right.nanos if op == "+" else left.nanos - right.nanos)
    if isinstance(left, DurationValue) and isinstance(right, DurationValue) and op in ("+", "-"):
        return DurationValue(left.nanos + right.nanos if op == "+" else left.nanos - right.nanos)
    if not (_number(left) and _number(right)):
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if right == 0:
            return None
        result = left / right
        return int(result) if isinstance(left, int) and isinstance(right, int) and left % right == 0 else result
    if op == "%":
        return None if right == 0 else left % right
    raise UnsupportedError(f"the operator {op}", expr)
