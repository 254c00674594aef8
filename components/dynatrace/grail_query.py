"""Typed calls of the Grail Query API (``/platform/storage/query/v1``, platform host, Bearer token).

The contract follows Dynatrace's generated client ``@dynatrace-sdk/client-query`` 1.23.1:

- ``POST query:verify`` ``{query}`` → ``{valid, notifications[{severity, message, syntaxPosition}]}``:
  a syntax and semantics check that scans no data;
- ``POST query:execute`` (``ExecuteRequest``: ``query``, ``defaultTimeframeStart``/``End``,
  ``defaultSamplingRatio``, ``defaultScanLimitGbytes``, ``maxResultRecords``,
  ``requestTimeoutMilliseconds``) → 200 with ``state: SUCCEEDED`` and the ``result`` when the query
  finished within the request timeout, else 202 with ``state: RUNNING`` and a ``requestToken``;
- ``GET query:poll?request-token=…&request-timeout-milliseconds=…`` → the state, and the result once
  ``SUCCEEDED``; 410 when the result is gone (kept one minute after the query finished);
- ``POST query:cancel?request-token=…`` stops a query this client gave up on.

States: ``NOT_STARTED``, ``RUNNING``, ``SUCCEEDED``, ``RESULT_GONE``, ``CANCELLED``, ``FAILED``.
Reading data needs ``storage:buckets:read`` plus the table's ``storage:<table>:read`` scope (Dynatrace
docs "Bucket and table permissions in Grail").
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .client import DynatraceClient
from .errors import DynatraceApiError, DynatraceError, DynatraceTimeoutError

QUERY_PATH = "/platform/storage/query/v1"
RUNNING_STATES = frozenset({"NOT_STARTED", "RUNNING"})


class QueryFailedError(DynatraceError):
    """The query ended without a result (``FAILED``, ``CANCELLED``, ``RESULT_GONE``)."""

    def __init__(self, state: str, message: str) -> None:
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class Verification:
    valid: bool
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Error notifications as ``line L, column C: message`` (one-based, as editors count)."""
        out = []
        for item in self.notifications:
            if str(item.get("severity", "")).upper() not in ("ERROR", ""):
                continue
            where = (item.get("syntaxPosition") or {}).get("start") or {}
            prefix = ""
            if isinstance(where.get("line"), int) and isinstance(where.get("column"), int):
                prefix = f"line {where['line'] + 1}, column {where['column'] + 1}: "
            out.append(prefix + str(item.get("message") or "invalid query"))
        return out


@dataclass(frozen=True)
class QueryResult:
    records: list[dict[str, Any]]
    metadata: dict[str, Any]
    """``metadata.grail`` of the result (scanned bytes, notifications, sampled, ...)."""

    @property
    def scanned_bytes(self) -> int | None:
        value = self.metadata.get("scannedBytes")
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    @property
    def notifications(self) -> list[dict[str, Any]]:
        items = self.metadata.get("notifications")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


@dataclass(frozen=True)
class QueryOptions:
    """What an execution may cost and how long this client waits for it."""

    timeframe: tuple[datetime, datetime] | None = None
    sampling_ratio: int | None = None
    scan_limit_gbytes: float | None = None
    max_records: int | None = None
    request_timeout_ms: int = 10_000
    """Long-poll time the server may hold each execute/poll request for the result."""
    deadline_seconds: float = 300.0
    """Give up (and cancel the query) after this long."""
    poll_pause: float = 1.0
    """Pause between polls when the server answers a poll at once."""


class GrailQueryApi:
    def __init__(
        self,
        client: DynatraceClient,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self._sleep = sleep
        self._clock = clock

    def verify(self, query: str) -> Verification:
        response = self.client.request("POST", f"{QUERY_PATH}/query:verify", json_body={"query": query})
        body = response.body if isinstance(response.body, dict) else {}
        notifications = body.get("notifications")
        return Verification(
            valid=body.get("valid") is True,
            notifications=[n for n in notifications if isinstance(n, dict)] if isinstance(notifications, list) else [],
        )

    def execute(self, query: str, options: QueryOptions | None = None) -> QueryResult:
        """Run ``query`` to completion (execute, then poll with the request token)."""
        opts = options or QueryOptions()
        body: dict[str, Any] = {"query": query, "requestTimeoutMilliseconds": opts.request_timeout_ms}
        if opts.timeframe is not None:
            body["defaultTimeframeStart"] = _iso(opts.timeframe[0])
            body["defaultTimeframeEnd"] = _iso(opts.timeframe[1])
        if opts.sampling_ratio is not None:
            body["defaultSamplingRatio"] = opts.sampling_ratio
        if opts.scan_limit_gbytes is not None:
            body["defaultScanLimitGbytes"] = opts.scan_limit_gbytes
        if opts.max_records is not None:
            body["maxResultRecords"] = opts.max_records
        deadline = self._clock() + opts.deadline_seconds
        path = f"{QUERY_PATH}/query:execute"
        answer = self.client.request("POST", path, json_body=body, ok=(200, 202)).body
        token = answer.get("requestToken") if isinstance(answer, dict) else None
        while True:
            state = str(answer.get("state", "")) if isinstance(answer, dict) else ""
            if state == "SUCCEEDED":
                return _result(answer, path)
            if state not in RUNNING_STATES:
                raise QueryFailedError(state or "UNKNOWN", f"Grail query ended in state {state or '(none)'}")
            if not isinstance(token, str) or not token:
                raise DynatraceApiError("POST", path, 202, "the query is running but no request token came back")
            if self._clock() >= deadline:
                self._cancel(token)
                raise DynatraceTimeoutError(f"Grail query still running after {opts.deadline_seconds:g} s (cancelled)")
            started = self._clock()
            params = {"request-token": token, "request-timeout-milliseconds": opts.request_timeout_ms}
            response = self.client.request("GET", f"{QUERY_PATH}/query:poll", params=params, allow=(410,))
            if response.status == 410:
                raise QueryFailedError("RESULT_GONE", "the query result is not available anymore (HTTP 410)")
            answer = response.body
            if isinstance(answer, dict) and str(answer.get("state")) in RUNNING_STATES:
                pause = opts.poll_pause - (self._clock() - started)  # the server did not hold the poll
                if pause > 0:
                    self._sleep(min(pause, max(0.0, deadline - self._clock())))

    def _cancel(self, token: str) -> None:
        # Best effort: a query nobody polls ends by itself, and its result expires.
        with contextlib.suppress(DynatraceError):
            self.client.request(
                "POST", f"{QUERY_PATH}/query:cancel", params={"request-token": token}, ok=(200, 202), allow=(410,)
            )


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _result(answer: dict[str, Any], path: str) -> QueryResult:
    result = answer.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("records"), list):
        raise DynatraceApiError("POST", path, 200, "the query succeeded but the answer holds no records")
    metadata = result.get("metadata")
    grail = metadata.get("grail") if isinstance(metadata, dict) else None
    records = [r for r in result["records"] if isinstance(r, dict)]
    return QueryResult(records, grail if isinstance(grail, dict) else {})
