"""Looking a marked event up in Grail until it is there: the wait both probes share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from components.dynatrace.grail_query import GrailQueryApi, QueryOptions

from .settings import VerifySettings


@dataclass(frozen=True)
class Lookup:
    records: list[dict[str, Any]]
    """What the last query returned (empty: never found)."""
    attempts: int
    seconds: float
    """From ``since`` to the last answer."""


def lookup_until(
    api: GrailQueryApi, query: str, settings: VerifySettings, *, since: float, timeout: float, earliest: datetime
) -> Lookup:
    """Run ``query`` (over ``earliest`` … now) until it returns records or ``timeout`` seconds after
    ``since`` (a ``settings.clock()`` reading) have passed; pauses double from the initial to the
    maximum probe pause. A Dynatrace error ends the wait (the caller classifies it)."""
    deadline = since + timeout
    pause, attempts = settings.probe_pause_initial, 0
    while True:
        attempts += 1
        options = QueryOptions(
            timeframe=(earliest, settings.now() + timedelta(minutes=5)),
            max_records=10,
            request_timeout_ms=settings.query_request_timeout_ms,
            deadline_seconds=max(1.0, min(settings.query_deadline_seconds, deadline - settings.clock())),
            poll_pause=settings.poll_pause,
        )
        records = api.execute(query, options).records
        if records or settings.clock() + pause > deadline:
            return Lookup(records, attempts, settings.clock() - since)
        settings.sleep(pause)
        pause = min(pause * 2, settings.probe_pause_max)
