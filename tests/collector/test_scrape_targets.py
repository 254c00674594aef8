"""The scrape rules select what they claim: simulated pods through discovery + relabelling."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from components.collector_config import render_collector_config
from components.config import CollectorConfig, KongConfig
from tests.collector.prometheus_sim import Container, Pod, Target, expand_collector, scrape_targets

NIM_SAMPLE = Path("/work/shared/data/metrics/nim-v1-metrics.txt")
SCRAPE = {"metrics.dynatrace.com/scrape": "true"}
NIM_ANNOTATIONS = {**SCRAPE, "metrics.dynatrace.com/port": "8000", "metrics.dynatrace.com/path": "/v1/metrics"}
KONG_LABELS = {"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kong"}


def pod_env(node: str) -> dict[str, str]:
    return {
        "K8S_NODE_NAME": node,
        "MY_POD_IP": "10.0.9.9",
        "DT_ENDPOINT": "https://abc12345.live.dynatrace.com/api/v2/otlp",
        "DT_API_TOKEN": "dt0c01.X.Y",
    }


def scrape_configs_on(node: str, kong: KongConfig | None = None, **settings: Any) -> list[dict[str, Any]]:
    """The scrape configs as Prometheus sees them inside the collector pod running on ``node``."""
    rendered = yaml.safe_load(
        render_collector_config(CollectorConfig(**settings), kong or KongConfig(enabled=True, discovery="service"))
    )
    expanded = expand_collector(rendered, pod_env(node))
    configs: list[dict[str, Any]] = expanded["receivers"]["prometheus"]["config"]["scrape_configs"]
    return configs


CLUSTER = [
    Pod("nim-a", "node-a", "10.0.1.10", "nim", annotations=NIM_ANNOTATIONS, containers=[Container("nim", [8000])]),
    Pod("nim-b", "node-b", "10.0.2.10", "nim", annotations=NIM_ANNOTATIONS, containers=[Container("nim", [8000])]),
    # Several declared ports (and a sidecar) must still give one target on the annotated port.
    Pod(
        "multi-port",
        "node-a",
        "10.0.1.11",
        "apps",
        annotations={**SCRAPE, "metrics.dynatrace.com/port": "9400"},
        containers=[Container("app", [8080, 8081]), Container("proxy", [15090])],
    ),
    Pod("no-ports", "node-a", "10.0.1.12", "apps", annotations={**SCRAPE, "metrics.dynatrace.com/port": "8080"}),
    Pod("no-port-annotation", "node-a", "10.0.1.13", "apps", annotations=SCRAPE, containers=[Container("c", [9100])]),
    Pod("unannotated", "node-a", "10.0.1.14", "apps", containers=[Container("c", [9090])]),
    Pod(
        "opted-out",
        "node-a",
        "10.0.1.15",
        "apps",
        annotations={**NIM_ANNOTATIONS, "metrics.dynatrace.com/scrape": "false"},
    ),
    Pod(
        "capitalised",
        "node-a",
        "10.0.1.16",
        "apps",
        annotations={**NIM_ANNOTATIONS, "metrics.dynatrace.com/scrape": "True"},
    ),
    Pod("pending", "node-a", "10.0.1.17", "nim", "Pending", NIM_ANNOTATIONS, containers=[Container("nim", [8000])]),
    Pod("succeeded", "node-a", "10.0.1.18", "nim", "Succeeded", NIM_ANNOTATIONS, containers=[Container("nim", [8000])]),
    Pod("failed", "node-a", "10.0.1.19", "nim", "Failed", NIM_ANNOTATIONS, containers=[Container("nim", [8000])]),
    Pod(
        "kong-a", "node-a", "10.0.1.20", "kong", labels=KONG_LABELS, containers=[Container("proxy", [8000, 8443, 8100])]
    ),
    Pod("kong-b", "node-b", "10.0.2.20", "kong", labels=KONG_LABELS, containers=[Container("proxy", [8000, 8100])]),
    Pod("kong-other-release", "node-a", "10.0.1.21", "kong", labels={**KONG_LABELS, "app.kubernetes.io/instance": "x"}),
    Pod("kong-elsewhere", "node-a", "10.0.1.22", "default", labels=KONG_LABELS, containers=[Container("p", [8100])]),
    Pod("kong-pending", "node-a", "10.0.1.23", "kong", "Pending", labels=KONG_LABELS),
]


def test_collector_on_node_a_scrapes_exactly_its_annotated_running_pods_and_kong() -> None:
    targets = scrape_targets(scrape_configs_on("node-a"), CLUSTER)
    assert targets == [
        Target("dynatrace-annotated-pods", "10.0.1.10:8000", "/v1/metrics", "30s"),  # NIM on /v1/metrics
        Target("dynatrace-annotated-pods", "10.0.1.11:9400", "/metrics", "30s"),  # annotated port wins
        Target("dynatrace-annotated-pods", "10.0.1.12:8080", "/metrics", "30s"),  # pod without ports
        Target("dynatrace-annotated-pods", "10.0.1.13:9100", "/metrics", "30s"),  # no port annotation: its port
        Target("kong", "10.0.1.20:8100", "/metrics", "10s"),  # Kong status port, every 10 s
    ]


def test_two_collectors_cover_each_pod_once() -> None:
    per_node = {node: scrape_targets(scrape_configs_on(node), CLUSTER) for node in ("node-a", "node-b")}
    counts = Counter(target for targets in per_node.values() for target in targets)
    assert all(count == 1 for count in counts.values()), counts
    assert per_node["node-b"] == [
        Target("dynatrace-annotated-pods", "10.0.2.10:8000", "/v1/metrics", "30s"),
        Target("kong", "10.0.2.20:8100", "/metrics", "10s"),
    ]


def test_kong_with_annotation_discovery_has_no_job_of_its_own() -> None:
    annotated_kong = Pod(
        "kong-a",
        "node-a",
        "10.0.1.20",
        "kong",
        annotations={**SCRAPE, "metrics.dynatrace.com/port": "8100"},
        labels=KONG_LABELS,
        containers=[Container("proxy", [8000, 8100])],
    )
    configs = scrape_configs_on("node-a", KongConfig(enabled=True, discovery="annotations"))
    assert scrape_targets(configs, [annotated_kong]) == [
        Target("dynatrace-annotated-pods", "10.0.1.20:8100", "/metrics", "30s")
    ]


def test_custom_interval_and_kong_port_reach_the_targets() -> None:
    kong = KongConfig(enabled=True, port=8101, scrape_interval="15s")
    configs = scrape_configs_on("node-a", kong, scrape_interval="1m", max_staleness="10m")
    kong_pod = Pod("k", "node-a", "10.0.1.30", "kong", labels=KONG_LABELS, containers=[Container("p", [8101])])
    assert scrape_targets(configs, [CLUSTER[0], kong_pod]) == [
        Target("dynatrace-annotated-pods", "10.0.1.10:8000", "/v1/metrics", "1m"),
        Target("kong", "10.0.1.30:8101", "/metrics", "15s"),
    ]


def test_unescaped_dollar_would_be_caught() -> None:
    """The model rejects what the collector would mangle, so the tests above prove the escaping."""
    rendered = render_collector_config(CollectorConfig(), KongConfig()).replace("$$1", "$1")
    with pytest.raises(ValueError, match="unescaped"):
        expand_collector(yaml.safe_load(rendered), pod_env("node-a"))


def test_nim_sample_parses_into_the_expected_metric_families() -> None:
    families = {f.name: f for f in text_string_to_metric_families(NIM_SAMPLE.read_text())}
    expected = {
        "num_requests_running": "gauge",
        "num_requests_waiting": "gauge",
        "num_request_max": "gauge",
        "gpu_cache_usage_perc": "gauge",
        "prompt_tokens": "counter",  # exposed as prompt_tokens_total
        "generation_tokens": "counter",
        "request_success": "counter",
        "request_failure": "counter",
        "request_finish": "counter",
        "time_to_first_token_seconds": "histogram",
        "time_per_output_token_seconds": "histogram",
        "e2e_request_latency_seconds": "histogram",
    }
    assert {name: families[name].type for name in expected} == expected
    # Counters and histograms are cumulative: what cumulativetodelta must convert for Dynatrace.
    for family in families.values():
        for sample in family.samples:
            assert sample.labels.get("model_name") == "meta/llama-3.1-8b-instruct"
    finish = {
        s.labels["finished_reason"]: s.value for s in families["request_finish"].samples if s.name.endswith("_total")
    }
    assert finish == {"stop": 1150.0, "length": 51.0}
    ttft = families["time_to_first_token_seconds"].samples
    buckets = [s.value for s in ttft if s.name.endswith("_bucket")]
    assert buckets == sorted(buckets)  # cumulative buckets never decrease
    count = next(s.value for s in ttft if s.name.endswith("_count"))
    assert buckets[-1] == count == 6.0


def test_dcgm_exporter_on_a_gpu_node_is_scraped_once_by_that_nodes_collector_only() -> None:
    from components.dcgm_exporter import DCGM_METRICS_PATH, DCGM_NAMESPACE, DCGM_PORT
    from components.dcgm_exporter import SCRAPE_ANNOTATIONS as DCGM_ANNOTATIONS

    def dcgm_pod(name: str, node: str, ip: str) -> Pod:
        return Pod(
            name,
            node,
            ip,
            DCGM_NAMESPACE,
            annotations=dict(DCGM_ANNOTATIONS),
            containers=[Container("dcgm", [DCGM_PORT])],
        )

    gpu_a, gpu_b = dcgm_pod("dcgm-a", "gpu-a", "10.0.5.10"), dcgm_pod("dcgm-b", "gpu-b", "10.0.6.10")
    cluster = [*CLUSTER, gpu_a, gpu_b]
    nodes = ("node-a", "node-b", "gpu-a", "gpu-b", "cpu-only")
    per_node = {node: scrape_targets(scrape_configs_on(node), cluster) for node in nodes}
    expected_a = Target("dynatrace-annotated-pods", f"10.0.5.10:{DCGM_PORT}", DCGM_METRICS_PATH, "30s")
    expected_b = Target("dynatrace-annotated-pods", f"10.0.6.10:{DCGM_PORT}", DCGM_METRICS_PATH, "30s")
    assert per_node["gpu-a"] == [expected_a]
    assert per_node["gpu-b"] == [expected_b]
    assert per_node["cpu-only"] == []
    counts = Counter(target for targets in per_node.values() for target in targets)
    assert counts[expected_a] == counts[expected_b] == 1
    assert all(count == 1 for count in counts.values()), counts
    assert expected_a not in per_node["node-a"]
    assert expected_b not in per_node["node-b"]
