"""Shared test fixtures: the project root on sys.path, stack files, fake secrets."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Secret parts that read like secrets: a configured secret is refused wherever it is copied, so it must
# not be a run of one letter that ordinary test values (an upper-case digest) happen to contain.
FAKE_API_TOKEN = "dt0c01." + "TESTAPITOKEN000000000000" + "." + "TESTAPISECRET".ljust(64, "A")
FAKE_PLATFORM_TOKEN = "dt0s16." + "TESTPLATFORMTOKEN0000000" + "." + "TESTPLATFORMSECRET".ljust(64, "B")
FAKE_NGC_KEY = "nvapi-test-0000000000000000000000000000"
FAKE_OAUTH_CLIENT_ID = "dt0s02.TESTOAUT"
FAKE_OAUTH_CLIENT_SECRET = FAKE_OAUTH_CLIENT_ID + "." + "TESTOAUTHSECRET".ljust(64, "C")
FAKE_ENV: dict[str, str] = {
    "DT_API_TOKEN": FAKE_API_TOKEN,
    "DT_PLATFORM_TOKEN": FAKE_PLATFORM_TOKEN,
    "NGC_API_KEY": FAKE_NGC_KEY,
    "DT_CLIENT_ID": FAKE_OAUTH_CLIENT_ID,
    "DT_CLIENT_SECRET": FAKE_OAUTH_CLIENT_SECRET,
}
"""Environment fallbacks for every secret a committed stack needs."""


def config_issues(raw: dict[str, Any], stack: str = "dev") -> dict[str, str]:
    """``{full key path: message}`` of every problem ``parse_stack_config`` reports (empty: accepted)."""
    from components.config import ConfigError, parse_stack_config

    try:
        parse_stack_config(raw, FAKE_ENV, stack)
    except ConfigError as error:
        return {issue.path: issue.message for issue in error.issues}
    return {}


def stack_file(stack: str) -> dict[str, Any]:
    """The ``config:`` map of a committed stack file (a fresh copy)."""
    loaded = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return copy.deepcopy(loaded)


@pytest.fixture
def fake_env() -> dict[str, str]:
    """Environment fallbacks for every secret a committed stack needs."""
    return dict(FAKE_ENV)
