"""``ai-observability:signals``: per-alert overrides on production defaults, errors with key paths."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from components.config.signals import ALERT_DEFAULTS
from tests.conftest import stack_file


def _parse(fake_env: dict[str, str], signals: Any) -> Any:
    raw = stack_file("dev")
    raw["ai-observability:signals"] = signals
    return parse_stack_config(raw, fake_env, "dev")


def test_defaults_apply_and_an_override_changes_only_what_it_names(fake_env: dict[str, str]) -> None:
    config = _parse(fake_env, {"alerts": {"llmLatency": {"threshold": 8, "violatingSamples": 4}}})
    latency = config.signals.alert("llmLatency")
    assert (latency.threshold, latency.violating_samples) == (8, 4)
    assert latency.sliding_window == ALERT_DEFAULTS["llmLatency"].sliding_window
    assert config.signals.alert("forwarding") == ALERT_DEFAULTS["forwarding"]


@pytest.mark.parametrize(
    ("signals", "path", "text"),
    [
        ({"alerts": {"llmLatency": {"slidingWindow": 2}}}, "signals.alerts.llmLatency.slidingWindow", "at least"),
        ({"alerts": {"nimQueue": {"alertCondition": "OUTSIDE"}}}, "signals.alerts.nimQueue.alertCondition", "ABOVE"),
        ({"alerts": {"latency": {}}}, "signals.alerts.latency", "llmLatency"),
        ({"alerts": {"llmLatency": {"analyzer": "seasonal"}}}, "signals.alerts.llmLatency.analyzer", "autoAdaptive"),
        ({"alerts": {"llmLatency": {"violatingSamples": 61}}}, "signals.alerts.llmLatency.violatingSamples", "60"),
    ],
)
def test_bad_alert_settings_name_the_key_path_and_allowed_values(
    fake_env: dict[str, str], signals: Any, path: str, text: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(fake_env, signals)
    message = str(caught.value)
    assert f"ai-observability:{path}" in message
    assert text in message


def test_dashboards_default_to_all_and_accept_a_subset(fake_env: dict[str, str]) -> None:
    assert _parse(fake_env, {}).signals.dashboards.include is None
    config = _parse(fake_env, {"dashboards": {"include": ["llmServices"], "namePrefix": "[dev]", "private": True}})
    assert config.signals.dashboards.include == ["llmServices"]
    assert config.signals.dashboards.private is True


@pytest.mark.parametrize(
    ("dashboards", "path", "text"),
    [
        ({"include": ["gpu"]}, "signals.dashboards.include[0]", "llmServices"),
        ({"include": ["llmServices", "llmServices"]}, "signals.dashboards.include", "at most once"),
        ({"defaultSamplingRatio": 7}, "signals.dashboards.defaultSamplingRatio", "1000"),
        ({"namePrefix": "x" * 61}, "signals.dashboards.namePrefix", "60"),
    ],
)
def test_bad_dashboard_settings_name_the_key_path_and_allowed_values(
    fake_env: dict[str, str], dashboards: Any, path: str, text: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(fake_env, {"dashboards": dashboards})
    message = str(caught.value)
    assert f"ai-observability:{path}" in message
    assert text in message


def test_kong_dashboard_without_kong_is_refused(fake_env: dict[str, str]) -> None:
    raw = stack_file("dev")
    raw["ai-observability:kong"] = {"enabled": False}
    raw["ai-observability:signals"] = {"dashboards": {"include": ["llmServices", "kongGateway"]}}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, fake_env, "dev")
    assert "ai-observability:signals.dashboards.include[1]" in str(caught.value)
    assert "kong.enabled" in str(caught.value)
