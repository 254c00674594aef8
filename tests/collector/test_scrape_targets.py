"""The scrape rules select what they claim: simulated pods through discovery + relabelling."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from components.config import CollectorConfig, KongConfig, NimScrapeConfig, StackConfig
from components.kubernetes.collector_config import render_collector_config
from tests.collector.prometheus_sim import (
    Container,
    Pod,
    Target,
    expand_collector,
    scrape_series,
    scrape_targets,
)

NIM_SAMPLE = Path(__file__).parent / "fixtures" / "nim-v1-metrics.txt"  # a NIM v1 /v1/metrics page
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


def scrape_configs_on(
    node: str, kong: KongConfig | None = None, collector: CollectorConfig | None = None, **settings: Any
) -> list[dict[str, Any]]:
    """The scrape configs as Prometheus sees them inside the collector pod running on ``node``."""
    rendered = yaml.safe_load(
        render_collector_config(
            collector or CollectorConfig(**settings), kong or KongConfig(enabled=True, discovery="service")
        )
    )
    expanded = expand_collector(rendered, pod_env(node))
    configs: list[dict[str, Any]] = expanded["receivers"]["prometheus"]["config"]["scrape_configs"]
    return configs


# "nim-a"/"nim-b" are NIM pods someone else deployed (annotations only, none of the stack's labels).
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


# --- the stack's own NIM pods: a dedicated nim-metrics job, no pod scraped twice -----------------


@pytest.fixture(scope="module")
def dev_stack() -> tuple[StackConfig, dict[str, Any]]:
    """The dev stack's configuration and the pod template of its NIM Deployment, as rendered."""
    from tests.kubernetes.conftest import config_for, run_kubernetes

    config = config_for("dev")
    run = run_kubernetes(config)
    (deployment,) = [r.plain for r in run.of_type("kubernetes:apps/v1:Deployment") if "nim" in r.name]
    template: dict[str, Any] = deployment["spec"]["template"]
    return config, template


def stack_nim_pod(template: dict[str, Any], name: str, node: str, ip: str, phase: str = "Running") -> Pod:
    """A pod created from the stack's NIM Deployment: its labels, annotations and container ports."""
    return Pod(
        name,
        node,
        ip,
        "nim",
        phase,
        annotations=dict(template["metadata"]["annotations"]),
        labels=dict(template["metadata"]["labels"]),
        containers=[
            Container(c["name"], [int(p["containerPort"]) for p in c.get("ports", [])])
            for c in template["spec"]["containers"]
        ],
    )


def mixed_cluster(template: dict[str, Any]) -> list[Pod]:
    """Every pod kind on two nodes: stack NIM, foreign annotated NIM, annotated app, Kong (annotated too)."""
    kong_annotations = {**SCRAPE, "metrics.dynatrace.com/port": "8100"}
    return [
        stack_nim_pod(template, "llama-a", "node-a", "10.0.1.40"),
        stack_nim_pod(template, "llama-b", "node-b", "10.0.2.40"),
        stack_nim_pod(template, "llama-starting", "node-a", "10.0.1.41", phase="Pending"),
        CLUSTER[0],  # annotated NIM outside the stack
        CLUSTER[2],  # annotated app, several ports
        Pod(
            "kong-a",
            "node-a",
            "10.0.1.20",
            "kong",
            annotations=kong_annotations,
            labels=KONG_LABELS,
            containers=[Container("proxy", [8000, 8100])],
        ),
        Pod("kong-b", "node-b", "10.0.2.20", "kong", labels=KONG_LABELS, containers=[Container("proxy", [8100])]),
    ]


def scrapes_per_pod(
    config: StackConfig, pods: list[Pod], nim_mode: str | None = None
) -> tuple[dict[str, list[Target]], Counter[str]]:
    """Targets of every node's collector, and how often each pod IP is scraped across all of them."""
    collector = config.collector
    if nim_mode is not None:
        collector = collector.model_copy(update={"nim_scrape": NimScrapeConfig(mode=nim_mode)})
    nodes = sorted({pod.node for pod in pods})
    per_node = {node: scrape_targets(scrape_configs_on(node, config.kong, collector), pods) for node in nodes}
    counts = Counter(target.address.rsplit(":", 1)[0] for targets in per_node.values() for target in targets)
    return per_node, counts


def test_stack_nim_pods_are_scraped_by_the_nim_metrics_job_every_10s(
    dev_stack: tuple[StackConfig, dict[str, Any]],
) -> None:
    config, template = dev_stack
    per_node, counts = scrapes_per_pod(config, mixed_cluster(template))
    assert per_node["node-a"] == [
        Target("dynatrace-annotated-pods", "10.0.1.10:8000", "/v1/metrics", "30s"),  # foreign NIM
        Target("dynatrace-annotated-pods", "10.0.1.11:9400", "/metrics", "30s"),  # app
        Target("kong", "10.0.1.20:8100", "/metrics", "10s"),  # Kong: only its own job
        Target("nim-metrics", "10.0.1.40:8000", "/v1/metrics", "10s"),  # the stack's NIM
    ]
    assert per_node["node-b"] == [
        Target("kong", "10.0.2.20:8100", "/metrics", "10s"),
        Target("nim-metrics", "10.0.2.40:8000", "/v1/metrics", "10s"),
    ]
    # Every running pod that should be scraped is scraped exactly once, by one node's collector.
    assert counts == dict.fromkeys(["10.0.1.10", "10.0.1.11", "10.0.1.20", "10.0.1.40", "10.0.2.20", "10.0.2.40"], 1)


def test_the_stack_nim_pods_keep_their_scrape_annotations(dev_stack: tuple[StackConfig, dict[str, Any]]) -> None:
    """A Dynatrace Operator/ActiveGate reads them; the collector ignores them for these pods in job mode."""
    _config, template = dev_stack
    assert template["metadata"]["annotations"]["metrics.dynatrace.com/scrape"] == "true"


def test_nim_job_name_and_interval_are_configurable(dev_stack: tuple[StackConfig, dict[str, Any]]) -> None:
    config, template = dev_stack
    collector = config.collector.model_copy(update={"nim_scrape": NimScrapeConfig(job_name="llm-nim", interval="15s")})
    pods = mixed_cluster(template)
    targets = scrape_targets(scrape_configs_on("node-b", config.kong, collector), pods)
    assert Target("llm-nim", "10.0.2.40:8000", "/v1/metrics", "15s") in targets


def test_annotations_mode_scrapes_stack_nims_like_any_annotated_pod(
    dev_stack: tuple[StackConfig, dict[str, Any]],
) -> None:
    config, template = dev_stack
    per_node, counts = scrapes_per_pod(config, mixed_cluster(template), "annotations")
    assert Target("dynatrace-annotated-pods", "10.0.2.40:8000", "/v1/metrics", "30s") in per_node["node-b"]
    assert not [t for targets in per_node.values() for t in targets if t.job == "nim-metrics"]
    assert set(counts.values()) == {1}


def test_external_mode_leaves_stack_nims_to_the_operator(dev_stack: tuple[StackConfig, dict[str, Any]]) -> None:
    config, template = dev_stack
    _per_node, counts = scrapes_per_pod(config, mixed_cluster(template), "external")
    assert "10.0.1.40" not in counts
    assert "10.0.2.40" not in counts
    assert counts == dict.fromkeys(["10.0.1.10", "10.0.1.11", "10.0.1.20", "10.0.2.20"], 1)


def test_nim_annotation_port_and_path_are_honoured_by_the_nim_job(
    dev_stack: tuple[StackConfig, dict[str, Any]],
) -> None:
    config, template = dev_stack
    pod = stack_nim_pod(template, "llama-a", "node-a", "10.0.1.40")
    pod.annotations.update({"metrics.dynatrace.com/port": "9000", "metrics.dynatrace.com/path": "/metrics"})
    pod.containers.append(Container("sidecar", [15090]))
    assert scrape_targets(scrape_configs_on("node-a", config.kong, config.collector), [pod]) == [
        Target("nim-metrics", "10.0.1.40:9000", "/metrics", "10s")
    ]


def test_nim_sample_scraped_by_its_node_collector_carries_the_nim_job(
    dev_stack: tuple[StackConfig, dict[str, Any]],
) -> None:
    """The NIM page, served by the stack's NIM pods, as each node's collector stores it."""
    config, template = dev_stack
    pods = mixed_cluster(template)
    page = NIM_SAMPLE.read_text()
    pages = {"10.0.1.40:8000": page, "10.0.2.40:8000": page, "10.0.1.41:8000": page}
    on_a = scrape_series(scrape_configs_on("node-a", config.kong, config.collector), pods, pages)
    on_b = scrape_series(scrape_configs_on("node-b", config.kong, config.collector), pods, pages)
    # Each node stores its own NIM pod's page once, the Pending pod's page never.
    assert {s.label("instance") for s in on_a} == {"10.0.1.40:8000"}
    assert {s.label("instance") for s in on_b} == {"10.0.2.40:8000"}
    samples_per_page = sum(len(f.samples) for f in text_string_to_metric_families(page))
    assert len(on_a) == len(on_b) == samples_per_page
    # The series carry the job Dynatrace's NIM dashboard filters on, and keep the model label.
    assert {s.label("job") for s in on_a} == {"nim-metrics"}
    assert {s.label("model_name") for s in on_a} == {"meta/llama-3.1-8b-instruct"}
    names = {s.name for s in on_a}
    assert {"num_requests_waiting", "gpu_cache_usage_perc", "time_to_first_token_seconds_bucket"} <= names
    assert {"prompt_tokens_total", "generation_tokens_total", "request_success_total"} <= names


def test_dcgm_exporter_on_a_gpu_node_is_scraped_once_by_that_nodes_collector_only() -> None:
    from components.kubernetes.dcgm_exporter import DCGM_METRICS_PATH, DCGM_NAMESPACE, DCGM_PORT
    from components.kubernetes.dcgm_exporter import SCRAPE_ANNOTATIONS as DCGM_ANNOTATIONS

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
