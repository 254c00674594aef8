"""Which metric keys, dimensions and fields a DQL query reads, and whether a producer emits them.

A small reader of the DQL the stack writes (pipes, ``append [ … ]`` subqueries, ``fetch``,
``timeseries``/``makeTimeseries``, ``fieldsAdd``/``fieldsRename``/``fields``/``filter``/``summarize``/
``sort``/``limit``): it tells apart, per command, the names a query *reads* from those it *defines*
(``name = …`` assignments, ``timeframe``/``interval`` of a time series), function and parameter
names, record members (``r[key]``), variables and literals. It does not evaluate anything.

The check: every metric key read must be a key some producer emits; every name read from records
(``fetch spans``/``fetch bizevents``) or as a dimension of the metrics a ``timeseries`` reads must
be in that producer's output — or be an older name the catalogue lists as a fallback of a current
name the same query also reads (``coalesce(gen_ai.provider.name, gen_ai.system)``): a query on an
older name alone finds nothing from current producers and fails.

:func:`check_producer` asks the converse for one producer on its own (an older OpenLLMetry, the OTel
contrib instrumentations): does the query find its data? Every metric key read must be one it emits,
and every name read must be one it emits or belong to a catalogue field whose names the query reads
together (current and older, side by side), one of which it emits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from components.dynatrace.signals.metrics import BIZEVENT_FIELDS, METRICS_BY_KEY, SPAN_FIELDS, Field
from tests.lineage.producers import Observed

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<variable>\$[A-Za-z_]\w*)
  | (?P<duration>\d+(?:\.\d+)?(?:ms|s|m|h|d|w)\b)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>==|!=|<=|>=|[\[\]{}(),:|=*/+\-<>])
  | (?P<space>\s+)
    """,
    re.VERBOSE,
)
KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null", "asc", "desc"})
AGGREGATIONS = frozenset({"sum", "avg", "min", "max", "count", "percentile", "countDistinct", "median"})
TIMESERIES_OUTPUTS = frozenset({"timeframe", "interval"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or ""
        if kind == "space":
            continue
        text = match.group()
        if kind == "backtick":
            kind, text = "ident", text[1:-1]
        tokens.append(Token(kind, text))
    consumed = "".join(m.group() for m in _TOKEN.finditer(query))
    if len(consumed) != len(query):
        raise ValueError(f"cannot tokenize query: {query!r}")
    return tokens


@dataclass
class Segment:
    """One pipeline (the main query or an ``append`` subquery) and what it reads."""

    source: str = ""
    """``spans``, ``bizevents`` or ``timeseries``."""
    metrics: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    outputs: set[str] = field(default_factory=set)


def _commands(tokens: list[Token]) -> Iterator[list[Token]]:
    """Split on top-level ``|``; brackets keep a subquery in one command."""
    depth, current = 0, []
    for token in tokens:
        if token.text in "([{" and token.kind == "op":
            depth += 1
        elif token.text in ")]}" and token.kind == "op":
            depth -= 1
        if token.kind == "op" and token.text == "|" and depth == 0:
            yield current
            current = []
        else:
            current.append(token)
    yield current


def segments(query: str) -> list[Segment]:
    """The main pipeline and every ``append`` subquery, each with the names it reads."""
    found: list[Segment] = []
    _segment(tokenize(query), found)
    return found


def _segment(tokens: list[Token], found: list[Segment]) -> None:
    segment = Segment()
    found.append(segment)
    defined: set[str] = set()
    for command in _commands(tokens):
        if not command:
            continue
        name = command[0].text
        body = command[1:]
        if name == "append":
            inner = body[1:-1] if body and body[0].text == "[" and body[-1].text == "]" else body
            _segment(inner, found)
            continue
        if name == "fetch":
            segment.source = body[0].text
            body = body[1:]
        elif name in ("timeseries", "makeTimeseries"):
            segment.source = segment.source or "timeseries"
        assigned = _read_command(name, body, segment, defined)
        defined |= assigned
        if name in ("timeseries", "makeTimeseries"):
            defined |= TIMESERIES_OUTPUTS
        segment.outputs |= assigned


def _read_command(command: str, body: list[Token], segment: Segment, defined: set[str]) -> set[str]:
    assigned: set[str] = set()
    for index, token in enumerate(body):
        if token.kind != "ident":
            continue
        after = body[index + 1].text if index + 1 < len(body) else ""
        before = body[index - 1] if index > 0 else None
        if token.text in KEYWORDS or after == "(" or (after == ":" and token.text != "by"):
            continue
        if token.text == "by" and after == ":":
            group = _braced(body, index + 2)
            segment.outputs |= {t.text for t in group if t.kind == "ident"}
            continue
        if before is not None and before.text == "[" and index >= 2 and _indexable(body[index - 2]):
            continue  # ``r[key]``: a member of the record r, not a field
        if after == "=":
            assigned.add(token.text)
            continue
        if command == "timeseries" and _aggregated(body, index):
            segment.metrics.append(token.text)
            continue
        if token.text not in defined:
            segment.reads.append(token.text)
    return assigned


def _indexable(token: Token) -> bool:
    return token.kind == "ident" or token.text == "]"


def _braced(body: list[Token], start: int) -> list[Token]:
    if start >= len(body) or body[start].text != "{":
        return body[start : start + 1]
    end = start
    while end < len(body) and body[end].text != "}":
        end += 1
    return body[start + 1 : end]


def _aggregated(body: list[Token], index: int) -> bool:
    """True for the first argument of an aggregation: ``sum(<metric>, …)``."""
    return index >= 2 and body[index - 1].text == "(" and body[index - 2].text in AGGREGATIONS


# --- the check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    where: str
    name: str
    expected: str
    query: str

    def __str__(self) -> str:
        return f"{self.where}: reads {self.name!r}, which {self.expected}\n    query: {self.query!r}"


def _fallbacks(fields: tuple[Field, ...]) -> dict[str, str]:
    """Older name → the current name it stands in for."""
    return {fallback.name: f.name for f in fields for fallback in f.fallbacks}


def _declared(fields: tuple[Field, ...], name: str) -> str:
    for f in fields:
        for candidate in (f, *f.fallbacks):
            if candidate.name == name:
                p = candidate.producer
                return f"the catalogue expects from {p.name} {p.versions}"
    return "no producer in the catalogue declares"


def _metric_scope(keys: list[str], dimensions: Mapping[str, set[str]]) -> tuple[set[str], tuple[Field, ...]]:
    """The dimensions every emitted metric of ``keys`` carries, and the catalogue's dimensions of ``keys``."""
    present = [k for k in keys if k in dimensions]
    emitted = set.intersection(*(dimensions[k] for k in present)) if present else set()
    return emitted, tuple(d for k in keys if k in METRICS_BY_KEY for d in METRICS_BY_KEY[k].dimensions)


def check_query(query: str, where: str, observed: Observed) -> list[Problem]:
    problems: list[Problem] = []
    for segment in segments(query):
        emitted: set[str]
        fields: tuple[Field, ...]
        if segment.source == "spans":
            emitted, fields = observed.span_fields, SPAN_FIELDS
        elif segment.source == "bizevents":
            emitted, fields = observed.bizevent_fields, BIZEVENT_FIELDS
        elif segment.source == "timeseries":
            missing = [key for key in segment.metrics if key not in observed.metric_dimensions]
            for key in missing:
                metric = METRICS_BY_KEY.get(key)
                expected = (
                    f"no producer emits ({metric.producer.name} {metric.producer.versions} was expected)"
                    if metric
                    else "no producer emits (not in the catalogue)"
                )
                problems.append(Problem(where, key, expected, query))
            emitted, fields = _metric_scope(segment.metrics, observed.metric_dimensions)
            if missing:
                continue
        else:
            problems.append(Problem(where, segment.source or "?", "is no table this check knows", query))
            continue
        problems += _check_reads(segment, emitted, fields, where, query)
    return problems


def _read_together(fields: tuple[Field, ...], name: str, reads: list[str], emitted: set[str]) -> bool:
    """``name`` belongs to a field whose names the query reads side by side, one of them emitted."""
    return any(name in f.names and set(f.names) <= set(reads) and set(f.names) & emitted for f in fields if f.fallbacks)


def _check_reads(
    segment: Segment, emitted: set[str], fields: tuple[Field, ...], where: str, query: str, *, any_name: bool = False
) -> list[Problem]:
    """Names the segment reads that ``emitted`` lacks. By default an older name only passes beside its
    current name, which must be emitted; with ``any_name``, any name of a field read together passes
    when one of the field's names is emitted."""
    fallbacks: Mapping[str, str] = _fallbacks(fields)
    problems = []
    for name in dict.fromkeys(segment.reads):
        if name in emitted:
            continue
        if any_name and _read_together(fields, name, segment.reads, emitted):
            continue
        current = fallbacks.get(name)
        if not any_name and current is not None and current in segment.reads and current in emitted:
            continue  # an older name read beside the current one
        what = f"no producer emits as a {segment.source} name ({_declared(fields, name)} it"
        if current is not None:
            what += f"; it is an older name of {current!r}, which the query must read too"
        problems.append(Problem(where, name, what + ")", query))
    return problems


def check_producer(query: str, where: str, spans: set[str], metrics: Mapping[str, set[str]]) -> list[list[Problem]]:
    """Per pipeline of ``query`` (the main one, then each ``append``), what keeps it from finding the
    data of one producer that emits the span fields ``spans`` and the metrics ``metrics`` (key →
    dimensions). A query finds the producer's data when one of its pipelines has no problem."""
    found: list[list[Problem]] = []
    for segment in segments(query):
        problems: list[Problem] = []
        if segment.source == "spans":
            problems += _check_reads(segment, spans, SPAN_FIELDS, where, query, any_name=True)
        elif segment.source == "timeseries":
            missing = [key for key in segment.metrics if key not in metrics]
            problems += [Problem(where, key, "this producer does not emit", query) for key in missing]
            if not missing:
                emitted, fields = _metric_scope(segment.metrics, metrics)
                problems += _check_reads(segment, emitted, fields, where, query, any_name=True)
        else:
            problems.append(Problem(where, segment.source or "?", "is no table of this producer", query))
        found.append(problems)
    return found


def title_dimensions(title: str) -> list[str]:
    """The ``{dims:<name>}`` placeholders of an event title."""
    return re.findall(r"\{dims:([^}]+)\}", title)


def outputs(query: str) -> set[str]:
    """Names a query's result carries: its ``by:`` groups and the fields it defines."""
    return {name for segment in segments(query) for name in segment.outputs}
