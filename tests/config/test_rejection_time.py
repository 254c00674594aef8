"""A config refused by the rules that compute what AWS and Kubernetes would refuse is refused fast
(well under a second of CPU, before anything is registered)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError
from tests.conftest import FAKE_API_TOKEN, FAKE_NGC_KEY, FAKE_PLATFORM_TOKEN, stack_file

NS = "ai-observability"
ENV = {"DT_API_TOKEN": FAKE_API_TOKEN, "DT_PLATFORM_TOKEN": FAKE_PLATFORM_TOKEN, "NGC_API_KEY": FAKE_NGC_KEY}


def _set(section: str, *path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        node = raw[f"{NS}:{section}"]
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


CASES = {
    "name-budget": _set("eventForwarding", "namePrefix", value="f" * 63),
    "tag-case": _set("tags", "Owner", value="x"),
    "kubelet-label": _set("gpuNodeGroups", 0, "labels", value={"node-role.kubernetes.io/gpu": ""}),
    "go-duration": _set("collector", "maxStaleness", value="9999999h"),
    "operation-typo": _set("eventForwarding", "operations", value=["CreateGuardrial"] * 1),
    "dql-pipe": _set("governance", "route", value={"matcher": "true | limit 1"}),
    "token-scopes": _set("governance", "ingestToken", "scopes", value=["events.ingest"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_config_is_refused_in_under_a_second(case: str) -> None:
    from tools.plan import evaluate_stack

    raw = stack_file("dev")
    CASES[case](raw)
    started = time.process_time()
    with pytest.raises(ConfigError):
        evaluate_stack("dev", raw_config=raw, env=ENV)
    assert time.process_time() - started < 1.0
