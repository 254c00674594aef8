"""Fixtures for the collector tests (the harness itself is in ``harness.py``)."""

from __future__ import annotations

import pytest

from tests.collector.harness import Run, run_collector


@pytest.fixture(scope="module")
def default_run() -> Run:
    """The default collector (service exposure), Kong via its Service, one app namespace."""
    return run_collector()
