"""Emulator rules for Grail: the records queries read, and the Grail Query API
(``/platform/storage/query/v1``: ``query:execute``, ``query:poll``, ``query:cancel``, ``query:verify``).

Sources, cited per rule below:
- [sdk] ``@dynatrace-sdk/client-query`` 1.23.1 (npm), Dynatrace's generated client of the Query API:
  paths and methods, the ``request-token`` and ``request-timeout-milliseconds`` query parameters, the
  ``ExecuteRequest`` body, the states ``NOT_STARTED | RUNNING | SUCCEEDED | RESULT_GONE | CANCELLED |
  FAILED``, ``QueryStartResponse``/``QueryPollResponse`` (``state``, ``requestToken``, ``ttlSeconds``,
  ``progress``, ``result``), the statuses (execute 200 finished / 202 started, poll 200, cancel 200 with
  the result of a finished query / 202 without a body, 410 "The query for the given request-token is not
  available anymore", 400 for a wrong query), ``VerifyResponse`` (``valid``, ``notifications`` with
  ``syntaxPosition``), ``GrailMetadata`` (``scannedBytes``, ``scannedRecords``, ``sampled``,
  ``analysisTimeframe``, ``notifications``) and the ``types`` section.
- [dev] developer.dynatrace.com "Grail service" concepts: queries run asynchronously; the final result
  stays available for one minute after the query finished; long polling with a request timeout.
- [perm] docs "Bucket and table permissions in Grail": reading records needs ``storage:buckets:read``
  and the table permission ``storage:<table>:read`` (``storage:metrics:read`` for metrics).

Records: business events arrive through the emulator's ingest (routed into a bucket), spans and metric
data points are seeded by tests (:meth:`GrailStore.add_span`, :meth:`GrailStore.add_metric`). A record
becomes queryable ``ingest_lag`` seconds after it arrived, and only while its bucket exists.

Queries are evaluated by :mod:`.dql_eval`. A query shape it does not evaluate is answered
``501 Not Implemented`` naming what is unsupported — never with made-up records.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from .dql_eval import (
    NANOS,
    Context,
    MetricPoint,
    Outcome,
    QueryError,
    Timeframe,
    Timestamp,
    UnsupportedError,
    check,
    evaluate,
    tables_read,
    to_json,
    type_name,
)
from .dql_syntax import DqlSyntaxError, Query, parse

PREFIX = "/platform/storage/query/v1/"
EXECUTE_PATH = PREFIX + "query:execute"
POLL_PATH = PREFIX + "query:poll"
CANCEL_PATH = PREFIX + "query:cancel"
VERIFY_PATH = PREFIX + "query:verify"
BUCKETS_SCOPE = "storage:buckets:read"  # [perm]
RESULT_TTL_SECONDS = 60.0  # [dev] "available for one minute after the query has finished"
DEFAULT_TIMEFRAME_NS = 2 * 3600 * NANOS  # fetch and timeseries read the last 2 hours unless told otherwise
GONE_MESSAGE = "The query for the given request-token is not available anymore."  # [sdk]
_EXECUTE_FIELDS = frozenset(  # [sdk] ExecuteRequest
    {
        "query",
        "defaultTimeframeStart",
        "defaultTimeframeEnd",
        "timezone",
        "locale",
        "maxResultRecords",
        "maxResultBytes",
        "fetchTimeoutSeconds",
        "requestTimeoutMilliseconds",
        "enablePreview",
        "defaultSamplingRatio",
        "defaultScanLimitGbytes",
        "queryOptions",
        "filterSegments",
        "enforceQueryConsumptionLimit",
        "includeTypes",
        "includeContributions",
    }
)


class GrailError(Exception):
    def __init__(self, status: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or {}

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}


# --- stored data ------------------------------------------------------------------------------


@dataclass
class _Stored:
    table: str
    bucket: str
    record: dict[str, Any]
    visible_at: float


@dataclass
class GrailStore:
    """The records and metric data points of one environment."""

    bucket_exists: Callable[[str], bool]
    wall_time: Callable[[], float]
    ingest_lag: float = 0.0
    """Seconds between a record's arrival and the moment queries see it."""
    _records: list[_Stored] = field(default_factory=list)
    _points: list[MetricPoint] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def add(self, table: str, record: dict[str, Any], *, bucket: str, timestamp: float | None = None) -> None:
        """A record arrives (``timestamp``: epoch seconds; default: now on the tenant's clock)."""
        stored = dict(record)
        when = self.wall_time() if timestamp is None else timestamp
        stored["timestamp"] = Timestamp(int(when * NANOS))
        stored["dt.system.bucket"] = bucket
        with self._lock:
            self._records.append(_Stored(table, bucket, stored, time.monotonic() + self.ingest_lag))

    def add_span(self, fields: dict[str, Any], *, timestamp: float | None = None) -> None:
        self.add("spans", fields, bucket="default_spans", timestamp=timestamp)

    def add_metric(
        self, key: str, value: float, dimensions: dict[str, Any] | None = None, *, timestamp: float | None = None
    ) -> None:
        when = self.wall_time() if timestamp is None else timestamp
        with self._lock:
            self._points.append(MetricPoint(key, int(when * NANOS), float(value), dict(dimensions or {})))

    def records(self, table: str) -> Iterator[dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            visible = [s for s in self._records if s.table == table and s.visible_at <= now]
        for stored in visible:
            if self.bucket_exists(stored.bucket):  # a deleted bucket's records are gone
                yield stored.record

    def metric_points(self, key: str) -> Iterator[MetricPoint]:
        with self._lock:
            points = [p for p in self._points if p.key == key]
        yield from points

    def in_bucket(self, bucket: str) -> list[dict[str, Any]]:
        """Every record of a bucket, visible or not (for assertions)."""
        with self._lock:
            return [dict(s.record) for s in self._records if s.bucket == bucket]


# --- queries ------------------------------------------------------------------------------------


@dataclass
class _RunningQuery:
    token: str
    query: Query
    context: Context
    ready_at: float
    state: str = "RUNNING"
    result: dict[str, Any] | None = None
    finished_at: float | None = None
    error: GrailError | None = None


@dataclass
class GrailQueries:
    """The Query API over a :class:`GrailStore`."""

    store: GrailStore
    query_duration: float = 0.0
    """Seconds each query runs before its result is ready (0: at once)."""
    result_ttl: float = RESULT_TTL_SECONDS
    _queries: dict[str, _RunningQuery] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    executed: list[str] = field(default_factory=list)
    """The text of every query started (for assertions)."""

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        raw: bytes,
        authorize: Callable[[str | None], None],
    ) -> tuple[int, Any]:
        """One request; ``authorize(scope)`` checks the caller's token (None: any valid platform token)."""
        try:
            if path == EXECUTE_PATH and method == "POST":
                return self._execute(_body(raw), authorize)
            if path == POLL_PATH and method == "GET":
                authorize(None)
                return self._poll(query)
            if path == CANCEL_PATH and method == "POST":
                authorize(None)
                return self._cancel(query)
            if path == VERIFY_PATH and method == "POST":
                authorize(None)
                return self._verify(_body(raw))
            if path in (EXECUTE_PATH, POLL_PATH, CANCEL_PATH, VERIFY_PATH):
                raise GrailError(405, f"Method {method} not allowed")
            raise GrailError(404, f"Path {path} not found")
        except GrailError as exc:
            return exc.status, exc.envelope()

    # -- verify ------------------------------------------------------------------------------------

    def _verify(self, body: dict[str, Any]) -> tuple[int, Any]:
        text = body.get("query")
        if not isinstance(text, str):
            raise GrailError(400, "query is required", {"errorType": "MISSING_QUERY"})
        try:
            parsed = parse(text)
            check(parsed)
        except DqlSyntaxError as exc:
            return 200, {"valid": False, "notifications": [_error_notification(exc.message, exc.position())]}
        except QueryError as exc:
            return 200, {"valid": False, "notifications": [_error_notification(exc.message, _node_position(exc.node))]}
        except UnsupportedError as exc:
            raise _unsupported(exc) from None
        answer: dict[str, Any] = {"valid": True, "notifications": []}
        if body.get("generateCanonicalQuery"):
            answer["canonicalQuery"] = " ".join(text.split())
        return 200, answer

    # -- execute / poll / cancel ---------------------------------------------------------------------

    def _execute(self, body: dict[str, Any], authorize: Callable[[str | None], None]) -> tuple[int, Any]:
        authorize(None)
        unknown = sorted(set(body) - _EXECUTE_FIELDS)
        if unknown:
            raise GrailError(400, f"Unknown request field(s): {', '.join(unknown)}", {"errorType": "INVALID_REQUEST"})
        text = body.get("query")
        if not isinstance(text, str) or not text.strip():
            raise GrailError(400, "query is required", {"errorType": "MISSING_QUERY"})
        try:
            parsed = parse(text)
            check(parsed)
        except DqlSyntaxError as exc:
            raise GrailError(
                400, exc.message, _syntax_details(text, "PARSE_ERROR", exc.message, exc.position())
            ) from None
        except QueryError as exc:
            raise GrailError(
                400, exc.message, _syntax_details(text, exc.error_type, exc.message, _node_position(exc.node))
            ) from None
        except UnsupportedError as exc:
            raise _unsupported(exc) from None
        for table in sorted(tables_read(parsed)):  # [perm] table permission plus bucket permission
            authorize(f"storage:{table}:read")
            authorize(BUCKETS_SCOPE)
        context = self._context(body)
        token = str(uuid.uuid4())
        running = _RunningQuery(token, parsed, context, time.monotonic() + self.query_duration)
        with self._lock:
            self._queries[token] = running
            self.executed.append(text)
        self._wait(running, _milliseconds(body.get("requestTimeoutMilliseconds"), "requestTimeoutMilliseconds"))
        answer = self._answer(running, include_token=True)
        if running.error is not None:
            raise running.error
        return (200 if running.state == "SUCCEEDED" else 202), answer  # [sdk] 200 finished, 202 started

    def _poll(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        running = self._find(query)
        given = query.get("request-timeout-milliseconds")
        timeout = _milliseconds(given[0] if given else None, "request-timeout-milliseconds")
        self._wait(running, timeout)
        if running.error is not None:
            return 200, {"state": "FAILED", "progress": 100, "ttlSeconds": self._ttl(running)}
        return 200, self._answer(running, include_token=False)

    def _cancel(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        running = self._find(query)
        self._finish_if_ready(running)
        if running.state == "SUCCEEDED":  # [sdk] a finished query's result is returned
            return 200, self._answer(running, include_token=False)
        with self._lock:
            running.state = "CANCELLED"
            running.finished_at = time.monotonic()
        return 202, None  # [sdk] otherwise no body

    def _find(self, query: dict[str, list[str]]) -> _RunningQuery:
        token = (query.get("request-token") or [""])[0]
        if not token:
            raise GrailError(400, "request-token is required", {"errorType": "MISSING_REQUEST_TOKEN"})
        with self._lock:
            self._expire()
            running = self._queries.get(unquote(token))
        if running is None:
            raise GrailError(410, GONE_MESSAGE)
        return running

    def _expire(self) -> None:
        now = time.monotonic()
        for token, running in list(self._queries.items()):
            if running.finished_at is not None and now - running.finished_at > self.result_ttl:
                del self._queries[token]

    def _wait(self, running: _RunningQuery, timeout_ms: int) -> None:
        """Long polling: wait up to ``timeout_ms`` for the result, then answer with the state."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            self._finish_if_ready(running)
            remaining = min(deadline, running.ready_at) - time.monotonic()
            if running.state != "RUNNING" or remaining <= 0:
                return
            time.sleep(min(remaining, 0.05))

    def _finish_if_ready(self, running: _RunningQuery) -> None:
        with self._lock:
            if running.state != "RUNNING" or time.monotonic() < running.ready_at:
                return
            try:
                outcome = evaluate(running.query, self.store, running.context)
                running.result = _result(running.query, outcome)
                running.state = "SUCCEEDED"
            except QueryError as exc:
                running.error = GrailError(
                    400,
                    exc.message,
                    _syntax_details(running.query.text, exc.error_type, exc.message, _node_position(exc.node)),
                )
                running.state = "FAILED"
            except UnsupportedError as exc:
                running.error = _unsupported(exc)
                running.state = "FAILED"
            running.finished_at = time.monotonic()

    def _ttl(self, running: _RunningQuery) -> int:
        if running.finished_at is None:
            return int(self.result_ttl)
        return max(0, int(self.result_ttl - (time.monotonic() - running.finished_at)))

    def _answer(self, running: _RunningQuery, *, include_token: bool) -> dict[str, Any]:
        answer: dict[str, Any] = {"state": running.state, "ttlSeconds": self._ttl(running)}
        if running.state == "SUCCEEDED":
            answer["progress"] = 100
            answer["result"] = running.result
        else:
            answer["progress"] = 0 if running.state == "RUNNING" else 100
        if include_token and running.state == "RUNNING":
            answer["requestToken"] = running.token
        return answer

    def _context(self, body: dict[str, Any]) -> Context:
        now = int(self.store.wall_time() * NANOS)
        start, end = now - DEFAULT_TIMEFRAME_NS, now
        given_start, given_end = body.get("defaultTimeframeStart"), body.get("defaultTimeframeEnd")
        if given_start is not None and given_end is not None:  # [sdk] one without the other is ignored
            start, end = _instant(given_start, "defaultTimeframeStart"), _instant(given_end, "defaultTimeframeEnd")
            if end <= start:
                raise GrailError(400, "defaultTimeframeStart must be before defaultTimeframeEnd")
        ratio = body.get("defaultSamplingRatio", 1)
        if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or ratio < 1:
            raise GrailError(400, "defaultSamplingRatio must be a number of at least 1")
        # [sdk] "normalized to a power of 10 less than or equal to 100000"
        power = 1
        while power * 10 <= min(ratio, 100000):
            power *= 10
        limit = body.get("defaultScanLimitGbytes")
        if limit is not None and (not isinstance(limit, (int, float)) or isinstance(limit, bool)):
            raise GrailError(400, "defaultScanLimitGbytes must be a number")
        max_records = body.get("maxResultRecords")
        if max_records is not None and (
            not isinstance(max_records, int) or isinstance(max_records, bool) or max_records < 0
        ):
            raise GrailError(400, "maxResultRecords must be a non-negative whole number")
        return Context(
            now=now,
            timeframe=Timeframe(start, end),
            sampling_ratio=power,
            scan_limit_bytes=None if limit is None or limit < 0 else int(limit * 1e9),
            max_records=max_records,
        )


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        raise GrailError(400, "Body is not valid JSON") from None
    if not isinstance(body, dict):
        raise GrailError(400, "Request body must be a JSON object")
    return body


def _milliseconds(value: Any, name: str) -> int:
    if value is None:
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise GrailError(400, f"{name} must be a whole number of milliseconds") from None
    if number < 0:
        raise GrailError(400, f"{name} must not be negative")
    return number


def _instant(value: Any, name: str) -> int:
    if not isinstance(value, str):
        raise GrailError(400, f"{name} must be an ISO-8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GrailError(400, f"{name} must be an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        raise GrailError(400, f"{name} needs a time zone (Z or an offset)")
    return int(parsed.timestamp() * NANOS)


def _node_position(node: Any) -> dict[str, Any] | None:
    if node is None:
        return None
    return {"start": node.start.body(), "end": node.end.body()}


def _error_notification(message: str, position: dict[str, Any] | None) -> dict[str, Any]:
    notification: dict[str, Any] = {"severity": "ERROR", "notificationType": "SYNTAX_ERROR", "message": message}
    if position is not None:
        notification["syntaxPosition"] = position
    return notification


def _syntax_details(text: str, kind: str, message: str, position: dict[str, Any] | None) -> dict[str, Any]:
    details: dict[str, Any] = {"errorType": kind, "errorMessage": message, "queryString": text}
    if position is not None:
        details["syntaxErrorPosition"] = position
    return details


def _unsupported(exc: UnsupportedError) -> GrailError:
    return GrailError(
        501,
        f"Not supported by this Dynatrace emulator: {exc.what}. A tenant would evaluate this query; the emulator "
        "does not invent a result.",
        {"errorType": "EMULATOR_UNSUPPORTED"},
    )


def _result(query: Query, outcome: Outcome) -> dict[str, Any]:
    """[sdk] QueryResult: records, types (one range per distinct field-type mapping), metadata.grail."""
    records = [to_json(r) for r in outcome.records]
    types: list[dict[str, Any]] = []
    for index, record in enumerate(outcome.records):
        mappings = {k: {"type": type_name(v)} for k, v in record.items()}
        if types and types[-1]["mappings"] == mappings:
            types[-1]["indexRange"][1] = index
        else:
            types.append({"indexRange": [index, index], "mappings": mappings})
    grail: dict[str, Any] = {
        "query": query.text,
        "canonicalQuery": " ".join(query.text.split()),
        "timezone": "Z",
        "locale": "und",
        "dqlVersion": "V1_0",
        "queryId": str(uuid.uuid4()),
        "executionTimeMilliseconds": 1,
        "scannedRecords": outcome.scanned_records,
        "scannedBytes": outcome.scanned_bytes,
        "scannedDataPoints": outcome.scanned_data_points,
        "sampled": outcome.sampled,
        "notifications": outcome.notifications,
    }
    if outcome.analysis_timeframe is not None:
        grail["analysisTimeframe"] = outcome.analysis_timeframe.body()
    return {"records": records, "types": types, "metadata": {"grail": grail}}
