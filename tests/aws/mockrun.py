"""Run components under Pulumi's mocks (``tools.mock_run``) and record what the engine would receive.

Answers come from the offline plan's own tables (``tools.mock_invokes``, ``tools.mock_state``),
so component tests see the same ARNs, names and account id as ``python -m tools.plan``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from tools.mock_run import MockRun, RegisteredResource, is_secret_wrapper, run_under_mocks

REGION = "eu-central-1"


class Registered(RegisteredResource):
    @property
    def plain(self) -> dict[str, Any]:
        return self.plain_inputs

    def policy(self, key: str = "policy") -> dict[str, Any]:
        """A JSON policy input, parsed."""
        document: dict[str, Any] = json.loads(self.plain[key])
        return document


def run(program: Callable[[], Mapping[str, Any]], *, region: str = REGION, stack: str = "test") -> MockRun[Registered]:
    """Evaluate ``program`` (which returns outputs to resolve) under mocks; record every resource."""
    return run_under_mocks(program, stack=stack, region=region, resource_class=Registered)


def contains_plain(value: Any, needle: str) -> bool:
    """``needle`` occurs in ``value`` outside secret wrappers."""
    if is_secret_wrapper(value):
        return False
    if isinstance(value, dict):
        return any(contains_plain(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(contains_plain(v, needle) for v in value)
    return isinstance(value, str) and needle in value
