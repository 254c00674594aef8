"""How long verify waits and how much it may scan (production defaults; tests inject tiny waits)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from components.dynatrace.client import ClientSettings


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class VerifySettings:
    client: ClientSettings = field(default_factory=ClientSettings)
    """HTTP timeouts and the retry budget of every Dynatrace call."""
    window_hours: float = 24.0
    """How far back the signal queries look."""
    scan_limit_gbytes: float = 10.0
    """Grail scan limit of each signal query (``defaultScanLimitGbytes``)."""
    sampling_ratio: int | None = None
    """Value of the dashboards' ``sampling`` variable in span tiles; None: each dashboard's default."""
    max_records: int = 100
    """Result records fetched per query (enough to tell data from none)."""
    query_request_timeout_ms: int = 10_000
    """Long-poll time of each execute/poll request."""
    query_deadline_seconds: float = 120.0
    """Longest wait for one query."""
    poll_pause: float = 1.0
    """Pause between polls the server answered at once."""
    probe_timeout_seconds: float = 300.0
    """Longest wait for the probe event to become queryable."""
    probe_pause_initial: float = 2.0
    probe_pause_max: float = 10.0
    """Pauses between probe lookups: doubling from the first to the second."""
    aws_probe_timeout_seconds: float = 900.0
    """Longest wait for the AWS probe's CloudTrail event (EventBridge delivery can take minutes)."""
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    now: Callable[[], datetime] = _utcnow
