"""Signal liveness: every detector query and dashboard tile query, as the tenant holds them now.

Each query is first checked with ``query:verify`` (no data scanned); a DQL error fails it. It is then run
over a bounded window with a scan limit (span tiles with their dashboard's sampling ratio, or
``--sampling-ratio``) and gets one class:

- ``live``: the result holds data;
- ``silent-expected``: no data, and every producer of what it reads is switched off in the configuration;
- ``silent``: no data although a producer is enabled; the cause names the likely fix (a warning, a
  failure with ``--strict``);
- ``invalid-query`` / ``query-error`` / ``missing``: the query is wrong, could not run, or its detector
  or dashboard is gone (failures).

Identical queries (a detector and the tile showing the same signal) run once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from components.dynatrace.errors import DynatraceApiError, DynatraceError
from components.dynatrace.grail_query import GrailQueryApi, QueryOptions, QueryResult
from components.dynatrace.signals.dashboards import SAMPLING_VARIABLE

from .inputs import VerifyInputs
from .producers import attribute, cause, switched_off
from .report import Check, Status
from .settings import VerifySettings
from .tenant import PlatformAccess, StackObjects, refusal_state

_VARIABLE = re.compile(r"\$([A-Za-z][A-Za-z0-9_]*)")
_SERIES_META = frozenset({"timeframe", "interval"})


@dataclass(frozen=True)
class SignalQuery:
    id: str
    title: str
    query: str | None
    problem: str | None = None
    """Why there is no query to run (the detector or dashboard is missing)."""


def collect(objects: StackObjects, overrides: dict[str, str] | None = None) -> list[SignalQuery]:
    """The live queries of the stack's detectors and dashboard tiles; dashboard variables take their
    default values, or the value in ``overrides``."""
    out: list[SignalQuery] = []
    for detector in objects.detectors:
        title = f"detector {detector.name}"
        if detector.value is None:
            out.append(SignalQuery(f"signal:detector:{detector.name}", title, None, "the detector does not exist"))
        else:
            query = detector.query
            problem = None if query else "the detector holds no query (analyzer input 'query')"
            out.append(SignalQuery(f"signal:detector:{detector.name}", title, query, problem))
    for board in objects.dashboards:
        if board.content is None or board.unreadable:
            out.append(
                SignalQuery(
                    f"signal:dashboard:{board.name}", f"dashboard {board.name}", None, "the dashboard does not exist"
                )
            )
            continue
        defaults = {**_variable_defaults(board.content), **(overrides or {})}
        tiles = board.content.get("tiles")
        for key, tile in (
            sorted((tiles or {}).items(), key=lambda kv: _tile_order(kv[0])) if isinstance(tiles, dict) else []
        ):
            if not isinstance(tile, dict) or tile.get("type") != "data":
                continue
            name = str(tile.get("title") or f"tile {key}")
            query = str(tile.get("query") or "")
            query = _substitute(query, defaults)
            out.append(SignalQuery(f"signal:tile:{board.name}/{key}", f"{board.name}: {name}", query))
    return out


def _substitute(query: str, defaults: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: defaults.get(m.group(1), m.group(0)), query)


def _tile_order(key: str) -> tuple[int, str]:
    return (int(key), "") if re.fullmatch("[0-9]+", key) else (1 << 30, key)


def _variable_defaults(content: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    variables = content.get("variables")
    for variable in variables if isinstance(variables, list) else []:
        if (
            isinstance(variable, dict)
            and isinstance(variable.get("key"), str)
            and variable.get("defaultValue") is not None
        ):
            found[variable["key"]] = str(variable["defaultValue"])
    return found


def has_data(records: list[dict[str, Any]]) -> bool:
    """Whether a result shows data: a series with any value, or a row with a value that is not a zero count.

    A timeseries over a gauge that reads 0 is data; a ``summarize count()`` of nothing (one record, 0) is not.
    """
    for record in records:
        for key, value in record.items():
            if key in _SERIES_META or value is None:
                continue
            if isinstance(value, list):
                if any(v is not None for v in value):
                    return True
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value != 0:
                return True
    return False


@dataclass
class _Run:
    status: Status
    state: str
    summary: str
    hint: str | None = None
    scanned: int | None = None
    records: int | None = None


def check_signals(
    inputs: VerifyInputs,
    platform: PlatformAccess | None,
    objects: StackObjects,
    settings: VerifySettings,
    now: datetime,
) -> tuple[list[Check], int | None]:
    """One check per signal query, and the Grail bytes scanned in total (None when nothing reported any)."""
    if not inputs.config.signals.enabled:
        return [
            Check(id="signals", title="signals", status="skip", summary="ai-observability:signals.enabled is false")
        ], None
    if objects.error is not None or platform is None:
        reason = objects.error or "no platform token or OAuth client"
        return [
            Check(
                id="signals",
                title="signals",
                status="fail",
                summary=f"cannot read the detectors and dashboards: {reason}",
                state=objects.error_state,
            )
        ], None
    api = GrailQueryApi(platform.client("signals"), sleep=settings.sleep, clock=settings.clock)
    overrides = {SAMPLING_VARIABLE: str(settings.sampling_ratio)} if settings.sampling_ratio else {}
    window = (now - timedelta(hours=settings.window_hours), now)
    cache: dict[str, _Run] = {}
    checks: list[Check] = []
    scanned_total: int | None = None
    for signal in collect(objects, overrides):
        if signal.query is None:
            checks.append(
                Check(
                    id=signal.id,
                    title=signal.title,
                    status="fail",
                    state="missing",
                    summary=signal.problem or "missing",
                )
            )
            continue
        first = signal.query not in cache
        if first:
            cache[signal.query] = _run(api, platform, inputs, signal.query, window, settings)
        run = cache[signal.query]
        if first and run.scanned is not None:
            scanned_total = (scanned_total or 0) + run.scanned
        details: dict[str, Any] = {"query": signal.query}
        if run.scanned is not None:
            details["bytesScanned"] = run.scanned
        if run.records is not None:
            details["records"] = run.records
        checks.append(
            Check(
                id=signal.id,
                title=signal.title,
                status=run.status,
                state=run.state,
                summary=run.summary,
                hint=run.hint,
                details=details,
            )
        )
    return checks, scanned_total


def _run(
    api: GrailQueryApi,
    platform: PlatformAccess,
    inputs: VerifyInputs,
    query: str,
    window: tuple[datetime, datetime],
    settings: VerifySettings,
) -> _Run:
    try:
        verification = api.verify(query)
    except DynatraceError as error:
        return _failed(f"query:verify failed: {error}", error, platform)
    if not verification.valid:
        problems = "; ".join(verification.problems()) or "the query is not valid DQL"
        return _Run(
            "fail",
            "invalid-query",
            f"DQL error: {problems}",
            "fix the query (a change made in the UI is reverted by `pulumi up`)",
        )
    options = QueryOptions(
        timeframe=window,
        scan_limit_gbytes=settings.scan_limit_gbytes,
        max_records=settings.max_records,
        request_timeout_ms=settings.query_request_timeout_ms,
        deadline_seconds=settings.query_deadline_seconds,
        poll_pause=settings.poll_pause,
    )
    try:
        result = api.execute(query, options)
    except DynatraceError as error:
        return _failed(f"the query could not run: {error}", error, platform)
    return _classify(inputs, query, result, settings.window_hours)


def _classify(inputs: VerifyInputs, query: str, result: QueryResult, window_hours: float) -> _Run:
    scanned, count = result.scanned_bytes, len(result.records)
    if has_data(result.records):
        return _Run(
            "pass", "live", f"data in the last {window_hours:g} h ({count} record(s))", scanned=scanned, records=count
        )
    attribution = attribute(query)
    off = [(p, switched_off(p, inputs.config)) for p in attribution.producers]
    if attribution.producers and all(reason is not None for _, reason in off):
        reasons = "; ".join(dict.fromkeys(str(reason) for _, reason in off))
        return _Run("pass", "silent-expected", f"no data, as expected: {reasons}", scanned=scanned, records=count)
    causes = [cause(p, attribution.names) for p, reason in off if reason is None]
    summary = f"no data in the last {window_hours:g} h"
    off_reasons = list(dict.fromkeys(str(reason) for _, reason in off if reason is not None))
    if off_reasons:
        summary += f" (the other source is off: {'; '.join(off_reasons)})"
    hint = "; ".join(causes) if causes else "no producer of this query is known; check where its data should come from"
    return _Run("warn", "silent", summary, hint, scanned=scanned, records=count)


def _failed(summary: str, error: DynatraceError, platform: PlatformAccess) -> _Run:
    refused = refusal_state(error)
    if refused is not None:
        return _Run("fail", refused, summary)  # the message says what to fix
    return _Run("fail", "query-error", summary, _scope_hint(error, platform))


def _scope_hint(error: DynatraceError, platform: PlatformAccess) -> str | None:
    if isinstance(error, DynatraceApiError) and error.status in (401, 403):
        return platform.needs("signals")
    if isinstance(error, DynatraceApiError) and error.status == 501:
        return "the server does not implement this query shape"
    return None
