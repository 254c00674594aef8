"""Validation of ``ai-observability:collector`` / ``kong``: each problem names its full key path."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from tests.conftest import stack_file

NS = "ai-observability"


def problems(raw: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, env)
    return {issue.path: issue.message for issue in caught.value.issues}


def dev_with(section: str, **values: Any) -> dict[str, Any]:
    raw = stack_file("dev")
    raw[f"{NS}:{section}"] = {**raw.get(f"{NS}:{section}", {}), **values}
    return raw


def test_committed_stacks_use_the_service_exposure_and_kong_service(fake_env: dict[str, str]) -> None:
    for stack in ("dev", "prod"):
        config = parse_stack_config(stack_file(stack), fake_env, stack)
        assert config.collector.otlp_exposure == "service"
        assert config.kong.enabled
        assert config.kong.discovery == "service"
        assert config.collector.app_namespaces


def test_kong_interval_must_be_shorter_than_the_delta_state_lifetime(fake_env: dict[str, str]) -> None:
    raw = dev_with("kong", scrapeInterval="10m")
    found = problems(raw, fake_env)
    assert f"{NS}:kong.scrapeInterval" in found
    assert "maxStaleness (5m)" in found[f"{NS}:kong.scrapeInterval"]
    # Not a problem when Kong pods are scraped by the annotated-pods job instead.
    raw[f"{NS}:kong"]["discovery"] = "annotations"
    parse_stack_config(raw, fake_env)


def test_app_namespaces_must_be_unique(fake_env: dict[str, str]) -> None:
    found = problems(dev_with("collector", appNamespaces=["genai-apps", "genai-apps"]), fake_env)
    assert "genai-apps" in found[f"{NS}:collector.appNamespaces"]


def test_app_namespace_must_not_be_a_nim_namespace(fake_env: dict[str, str]) -> None:
    found = problems(dev_with("collector", appNamespaces=["genai-apps", "nim"]), fake_env)
    assert "NIM namespace" in found[f"{NS}:collector.appNamespaces[1]"]


def test_kong_selector_cannot_be_empty_or_malformed(fake_env: dict[str, str]) -> None:
    assert "at least one label" in problems(dev_with("kong", selector={}), fake_env)[f"{NS}:kong.selector"]
    bad = problems(dev_with("kong", selector={"app.kubernetes.io/name": "kong gateway"}), fake_env)
    assert "label value" in bad[f"{NS}:kong.selector"]


def test_unknown_exposure_lists_the_allowed_values(fake_env: dict[str, str]) -> None:
    message = problems(dev_with("collector", otlpExposure="nodePort"), fake_env)[f"{NS}:collector.otlpExposure"]
    assert "'hostPort'" in message
    assert "'service'" in message


def test_image_version_must_be_a_plain_version(fake_env: dict[str, str]) -> None:
    assert f"{NS}:collector.imageVersion" in problems(dev_with("collector", imageVersion="v0.54.0"), fake_env)


def test_nim_scrape_defaults_follow_dynatrace_s_nim_page(fake_env: dict[str, str]) -> None:
    nim = parse_stack_config(stack_file("dev"), fake_env, "dev").collector.nim_scrape
    assert (nim.mode, nim.job_name, nim.interval) == ("job", "nim-metrics", "10s")
    custom = parse_stack_config(dev_with("collector", nimScrape={"jobName": "llm-nim", "interval": "15s"}), fake_env)
    assert (custom.collector.nim_scrape.job_name, custom.collector.nim_scrape.interval) == ("llm-nim", "15s")


def test_nim_scrape_mode_lists_the_allowed_values(fake_env: dict[str, str]) -> None:
    message = problems(dev_with("collector", nimScrape={"mode": "both"}), fake_env)[f"{NS}:collector.nimScrape.mode"]
    for allowed in ("'job'", "'annotations'", "'external'"):
        assert allowed in message


@pytest.mark.parametrize("name", ["dynatrace-annotated-pods", "kong", "", "nim metrics", "-nim"])
def test_nim_job_name_must_be_a_new_plain_name(fake_env: dict[str, str], name: str) -> None:
    found = problems(dev_with("collector", nimScrape={"jobName": name}), fake_env)
    assert f"{NS}:collector.nimScrape.jobName" in found


def test_nim_interval_must_be_a_duration_shorter_than_max_staleness(fake_env: dict[str, str]) -> None:
    unitless = problems(dev_with("collector", nimScrape={"interval": "10"}), fake_env)
    assert f"{NS}:collector.nimScrape.interval" in unitless
    found = problems(dev_with("collector", maxStaleness="5m", nimScrape={"interval": "5m"}), fake_env)
    assert "maxStaleness (5m)" in found[f"{NS}:collector.nimScrape.interval"]
    # Irrelevant when the collector does not run the NIM job.
    parse_stack_config(dev_with("collector", nimScrape={"interval": "5m", "mode": "annotations"}), fake_env)


def test_unknown_nim_scrape_key_names_the_allowed_keys(fake_env: dict[str, str]) -> None:
    message = problems(dev_with("collector", nimScrape={"job": "x"}), fake_env)[f"{NS}:collector.nimScrape.job"]
    assert "interval, jobName, mode" in message
