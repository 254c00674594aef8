"""Durations as the collector and Prometheus read them (``10s``, ``5m``, ``25h``), bounded by computation.

The collector parses every duration into Go's ``time.Duration``, an int64 count of nanoseconds
(Go ``time`` package: ``maxDuration Duration = 1<<63 - 1``, about 2562047h); a larger value
overflows and the collector refuses its configuration at start. The bound is computed from that
integer, never listed.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import AfterValidator, StringConstraints

from .described import described, within

DURATION_PATTERN = r"^[1-9][0-9]*(ms|s|m|h)$"
_DURATION_RE = re.compile(r"^([1-9][0-9]*)(ms|s|m|h)$")
_UNIT_NANOSECONDS: Final = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
GO_MAX_DURATION_NS: Final = 2**63 - 1
"""Go's ``time.Duration`` maximum: int64 nanoseconds."""


def duration_nanoseconds(value: str) -> int:
    """Exact nanoseconds in a duration such as ``30s`` or ``25h``."""
    match = _DURATION_RE.match(value)
    if match is None:
        raise ValueError(f"not a duration: {value!r}")
    return int(match.group(1)) * _UNIT_NANOSECONDS[match.group(2)]


def duration_seconds(value: str) -> float:
    """Seconds in a duration such as ``30s`` or ``25h``."""
    return duration_nanoseconds(value) / 10**9


def _within_go_duration(value: str) -> str:
    if duration_nanoseconds(value) > GO_MAX_DURATION_NS:
        hours = GO_MAX_DURATION_NS // _UNIT_NANOSECONDS["h"]
        raise ValueError(
            f"overflows Go's time.Duration, which the collector parses it into (at most {hours}h, about 292 years)"
        )
    return value


Duration = Annotated[
    str,
    StringConstraints(pattern=DURATION_PATTERN),
    described(_within_go_duration, "no longer than Go's time.Duration (about 2562047h)"),
]


def duration_range(minimum: str, maximum: str, reason: str) -> AfterValidator:
    """Validator for ``Annotated[Duration, ...]``: ``minimum`` to ``maximum`` inclusive; ``reason`` says why."""
    return within(duration_nanoseconds, minimum, maximum, reason)
