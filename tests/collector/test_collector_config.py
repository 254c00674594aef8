"""Structural checks of the rendered collector configuration (no collector binary exists here)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.config import CollectorConfig, KongConfig
from components.kubernetes.collector_config import build_collector_config, render_collector_config

# What each Dynatrace distribution version accepts, written from the distribution release notes and the
# distribution's changelog independently of the code's table: new names are rejected before
# their rename; old names stay deprecated aliases after it (we want the current ones).
#   version → (exporter, k8s processor, start-time processor or None, delta processor)
EXPECTED_NAMES = {
    "0.38.0": ("otlphttp", "k8sattributes", None, "cumulativetodelta"),
    "0.40.0": ("otlphttp", "k8sattributes", None, "cumulativetodelta"),
    "0.41.0": ("otlphttp", "k8sattributes", "metricstarttime", "cumulativetodelta"),
    "0.42.0": ("otlphttp", "k8sattributes", "metricstarttime", "cumulativetodelta"),
    "0.43.0": ("otlp_http", "k8sattributes", "metricstarttime", "cumulativetodelta"),
    "0.44.0": ("otlp_http", "k8sattributes", "metricstarttime", "cumulativetodelta"),
    "0.45.0": ("otlp_http", "k8s_attributes", "metricstarttime", "cumulativetodelta"),
    "0.46.0": ("otlp_http", "k8s_attributes", "metric_start_time", "cumulativetodelta"),
    "0.52.0": ("otlp_http", "k8s_attributes", "metric_start_time", "cumulativetodelta"),
    "0.53.0": ("otlp_http", "k8s_attributes", "metric_start_time", "cumulative_to_delta"),
    "0.54.0": ("otlp_http", "k8s_attributes", "metric_start_time", "cumulative_to_delta"),
}
# Names introduced by a rename, with the first version that knows them.
NEW_NAME_SINCE = {
    "otlp_http": (0, 43, 0),
    "k8s_attributes": (0, 45, 0),
    "metric_start_time": (0, 46, 0),
    "cumulative_to_delta": (0, 53, 0),
}
# Env vars the DaemonSet provides (checked against the real pod spec in test_collector_component).
POD_ENV = {"K8S_NODE_NAME", "MY_POD_IP", "DT_ENDPOINT", "DT_API_TOKEN"}
SECTIONS = ("receivers", "processors", "exporters")


def config_for(version: str = "0.54.0", kong: bool = True, **settings: Any) -> dict[str, Any]:
    rendered = render_collector_config(
        CollectorConfig(image_version=version, **settings), KongConfig(enabled=kong, discovery="service")
    )
    loaded: dict[str, Any] = yaml.safe_load(rendered)
    return loaded


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def _version(text: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in text.split("."))
    return major, minor, patch


@pytest.mark.parametrize("version", sorted(EXPECTED_NAMES))
def test_every_pipeline_component_is_defined_and_every_defined_one_used(version: str) -> None:
    config = config_for(version)
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"metrics/prometheus", "metrics/otlp", "traces", "logs"}
    for section in SECTIONS:
        used = {name for pipeline in pipelines.values() for name in pipeline[section]}
        assert used == set(config[section]), f"{section}: used {sorted(used)} vs defined {sorted(config[section])}"
    assert config["service"]["extensions"] == ["health_check"]
    assert set(config["extensions"]) == {"health_check"}


@pytest.mark.parametrize("version", sorted(EXPECTED_NAMES))
def test_component_type_names_match_the_pinned_image(version: str) -> None:
    exporter, k8s, start_time, delta = EXPECTED_NAMES[version]
    config = config_for(version)
    assert list(config["exporters"]) == [exporter]
    expected_processors = ["memory_limiter", *([start_time] if start_time else []), k8s, delta, "batch"]
    assert list(config["processors"]) == expected_processors
    # No name the image would reject: every renamed-to name is only used from its version on.
    used = {*config["receivers"], *config["processors"], *config["exporters"]}
    for name, since in NEW_NAME_SINCE.items():
        if name in used:
            assert _version(version) >= since, f"{name} is unknown to collector {version}"


@pytest.mark.parametrize("version", ["0.40.0", "0.45.0", "0.54.0"])
def test_processor_order_memory_limiter_first_batch_last(version: str) -> None:
    _exporter, k8s, start_time, delta = EXPECTED_NAMES[version]
    pipelines = config_for(version)["service"]["pipelines"]
    scraped = pipelines["metrics/prometheus"]["processors"]
    assert scraped == ["memory_limiter", *([start_time] if start_time else []), k8s, delta, "batch"]
    assert pipelines["metrics/otlp"]["processors"] == ["memory_limiter", k8s, delta, "batch"]
    for signal in ("traces", "logs"):
        assert pipelines[signal]["processors"] == ["memory_limiter", k8s, "batch"]
    # metricstarttime wherever the prometheus receiver feeds a pipeline (images >= 0.41.0).
    for pipeline in pipelines.values():
        if "prometheus" in pipeline["receivers"] and start_time:
            assert start_time in pipeline["processors"]


@pytest.mark.parametrize("version", ["0.41.0", "0.54.0"])
def test_scraped_and_app_metrics_run_in_separate_pipelines(version: str) -> None:
    """Dynatrace's shape: metric_start_time only behind the prometheus receiver, never for OTLP."""
    _exporter, _k8s, start_time, delta = EXPECTED_NAMES[version]
    assert start_time is not None
    pipelines = config_for(version)["service"]["pipelines"]
    metric_pipelines = {name: p for name, p in pipelines.items() if name.split("/")[0] == "metrics"}
    by_receiver = {tuple(p["receivers"]): p["processors"] for p in metric_pipelines.values()}
    assert set(by_receiver) == {("prometheus",), ("otlp",)}
    assert start_time in by_receiver[("prometheus",)]
    assert start_time not in by_receiver[("otlp",)]
    # Dynatrace ingests delta sums only: both convert whatever arrives cumulative.
    assert all(delta in processors for processors in by_receiver.values())
    # Pipeline IDs are type[/name] with type = the signal.
    assert all(re.fullmatch(r"metrics/[a-z0-9_]+", name) for name in metric_pipelines)


def test_every_env_reference_is_provided_by_the_pod() -> None:
    text = render_collector_config(CollectorConfig(), KongConfig(enabled=True))
    referenced = set(re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", text))
    assert referenced == POD_ENV
    # Only the ${env:...} provider is used (no ${file:...}, no bare ${X}).
    assert re.findall(r"\$\{(?!env:)", text.replace("$$", "")) == []


@pytest.mark.parametrize("kong", [True, False])
def test_every_dollar_is_escaped_or_an_env_reference(kong: bool) -> None:
    for text in strings(config_for(kong=kong)):
        rest = re.sub(r"\$\$|\$\{env:[A-Za-z_][A-Za-z0-9_]*\}", "", text)
        assert "$" not in rest, f"unescaped $ in {text!r}"
    # The relabel replacements reach Prometheus as $1 / $1:$2 only because they are doubled here.
    relabels = [
        rule
        for job in config_for(kong=kong)["receivers"]["prometheus"]["config"]["scrape_configs"]
        for rule in job["relabel_configs"]
        if "replacement" in rule
    ]
    assert relabels
    assert all("$$" in rule["replacement"] for rule in relabels)


def test_exporter_sends_to_the_secret_endpoint_with_the_token_header() -> None:
    exporter = config_for()["exporters"]["otlp_http"]
    assert exporter == {
        "endpoint": "${env:DT_ENDPOINT}",
        "headers": {"Authorization": "Api-Token ${env:DT_API_TOKEN}"},
    }


def test_receivers_and_health_check_bind_the_pod_ip() -> None:
    config = config_for()
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "${env:MY_POD_IP}:4317"
    assert protocols["http"]["endpoint"] == "${env:MY_POD_IP}:4318"
    assert config["extensions"]["health_check"]["endpoint"] == "${env:MY_POD_IP}:13133"


def test_k8s_attributes_runs_in_agent_mode() -> None:
    k8s = config_for()["processors"]["k8s_attributes"]
    assert k8s["filter"] == {"node_from_env_var": "K8S_NODE_NAME"}
    assert k8s["pod_association"] == [
        {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
        {"sources": [{"from": "connection"}]},
    ]


def test_scrape_interval_and_staleness_come_from_the_config() -> None:
    config = config_for(scrape_interval="15s", max_staleness="25h")
    jobs = {job["job_name"]: job for job in config["receivers"]["prometheus"]["config"]["scrape_configs"]}
    assert jobs["dynatrace-annotated-pods"]["scrape_interval"] == "15s"
    assert jobs["kong"]["scrape_interval"] == "10s"
    assert config["processors"]["cumulative_to_delta"] == {"max_staleness": "25h"}


def test_short_interval_lowers_the_scrape_timeout() -> None:
    """Prometheus rejects scrape_timeout > scrape_interval (its default timeout is 10s)."""
    job = config_for(scrape_interval="5s", max_staleness="1m")["receivers"]["prometheus"]["config"]["scrape_configs"]
    assert job[0]["scrape_timeout"] == "5s"


@pytest.mark.parametrize(
    ("kong", "jobs"),
    [
        (KongConfig(enabled=True, discovery="service"), ["dynatrace-annotated-pods", "nim-metrics", "kong"]),
        (KongConfig(enabled=True, discovery="annotations"), ["dynatrace-annotated-pods", "nim-metrics"]),
        (KongConfig(enabled=False), ["dynatrace-annotated-pods", "nim-metrics"]),
    ],
)
def test_kong_job_only_with_service_discovery(kong: KongConfig, jobs: list[str]) -> None:
    config = build_collector_config(CollectorConfig(), kong)
    assert [job["job_name"] for job in config["receivers"]["prometheus"]["config"]["scrape_configs"]] == jobs


def test_rendering_is_deterministic_and_plain_yaml() -> None:
    first = render_collector_config(CollectorConfig(), KongConfig(enabled=True))
    assert first == render_collector_config(CollectorConfig(), KongConfig(enabled=True))
    assert "&id" not in first
    assert "*id" not in first
