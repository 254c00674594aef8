"""The pure spec builders of the Kubernetes side: typed config in, resource args out (no Pulumi mocks)."""

from __future__ import annotations

from typing import Any

from components.config import CollectorConfig, DcgmExporterConfig, GpuNodeGroupConfig, KongConfig, NimConfig
from components.config.kubernetes import GPU_RESOURCE, GPU_TAINT_KEY, NODEGROUP_LABEL
from components.kubernetes.collector import (
    CHECKOV_SKIPS as COLLECTOR_SKIPS,
)
from components.kubernetes.collector import (
    HOST_PORT_CHECKOV_SKIP,
    LABELS,
    SELECTOR_LABELS,
    daemonset_skips,
    daemonset_spec,
    instrumentation,
    kong_service_spec,
    namespace_labels,
    network_policy_spec,
    otlp_service_spec,
)
from components.kubernetes.dcgm_exporter import DCGM_PORT, dcgm_daemonset_spec, dcgm_network_policy_spec
from components.kubernetes.device_plugin import device_plugin_daemonset_spec, device_plugin_network_policy_spec
from components.kubernetes.metadata import NIM_POD_LABELS, checkov_annotations, k8s_labels, selector_labels
from components.kubernetes.nim import (
    CHECKOV_SKIPS as NIM_SKIPS,
)
from components.kubernetes.nim import (
    NIM_PORT,
    nim_cache_spec,
    nim_checkov_skips,
    nim_deployment_spec,
    nim_labels,
    nim_network_policy_spec,
    nim_selector,
    nim_service_spec,
)
from components.kubernetes.storage_class import gp3_parameters
from components.kubernetes.workloads import nim_key, nim_targets

IMAGE = "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"


def _nim(**fields: Any) -> NimConfig:
    return NimConfig.model_validate({"name": "llama-8b", "image": IMAGE, **fields})


def _group(name: str) -> GpuNodeGroupConfig:
    return GpuNodeGroupConfig.model_validate(
        {"name": name, "amiType": "AL2023_x86_64_NVIDIA", "instanceTypes": ["g5.2xlarge"]}
    )


def _pod(spec: Any) -> Any:
    return spec["template"]["spec"]


# -- shared metadata ----------------------------------------------------------------------------


def test_labels_carry_the_stack_and_a_selector_is_a_subset_of_them() -> None:
    labels = k8s_labels("dcgm-exporter", "gpu-telemetry")
    assert labels == {
        "app.kubernetes.io/name": "dcgm-exporter",
        "app.kubernetes.io/component": "gpu-telemetry",
        "app.kubernetes.io/part-of": "ai-observability",
        "app.kubernetes.io/managed-by": "pulumi",
    }
    assert selector_labels("dcgm-exporter").items() <= labels.items()


def test_checkov_annotations_are_numbered_from_one_in_order() -> None:
    assert checkov_annotations(["CKV_K8S_1=a", "CKV_K8S_2=b"]) == {
        "checkov.io/skip1": "CKV_K8S_1=a",
        "checkov.io/skip2": "CKV_K8S_2=b",
    }
    assert checkov_annotations([]) == {}


# -- NIM ----------------------------------------------------------------------------------------


def test_nim_pods_carry_the_labels_the_collector_selects_and_the_selector_matches_them() -> None:
    nim = _nim()
    spec = nim_deployment_spec(nim, cache_claim="llama-8b-cache", ngc_secrets=None)
    template_labels = spec["template"]["metadata"]["labels"]
    assert NIM_POD_LABELS.items() <= template_labels.items()
    assert nim_selector(nim).items() <= template_labels.items()
    assert spec["selector"] == {"match_labels": nim_selector(nim)}
    assert nim_service_spec(nim)["selector"] == nim_selector(nim)
    assert nim_network_policy_spec(nim)["pod_selector"] == {"match_labels": nim_selector(nim)}
    assert nim_labels(nim) == template_labels


def test_nim_with_ngc_secrets_pulls_with_them_and_reads_the_key_from_its_secret() -> None:
    spec = nim_deployment_spec(
        _nim(), cache_claim="c", ngc_secrets={"pull": "llama-8b-ngc-pull", "api_key": "llama-8b-ngc-api"}
    )
    pod = _pod(spec)
    assert pod["image_pull_secrets"] == [{"name": "llama-8b-ngc-pull"}]
    (key,) = [e for e in pod["containers"][0]["env"] if e["name"] == "NGC_API_KEY"]
    assert key["value_from"] == {"secret_key_ref": {"name": "llama-8b-ngc-api", "key": "NGC_API_KEY"}}
    assert "value" not in key


def test_keyless_nim_has_no_pull_secret_no_key_and_no_key_skip() -> None:
    nim = _nim(ngcCredentials=False)
    pod = _pod(nim_deployment_spec(nim, cache_claim="c", ngc_secrets=None))
    assert "image_pull_secrets" not in pod
    assert "NGC_API_KEY" not in {e["name"] for e in pod["containers"][0]["env"]}
    assert not any(s.startswith("CKV_K8S_35=") for s in nim_checkov_skips(nim))
    assert nim_checkov_skips(_nim()) == NIM_SKIPS


def test_nim_is_pinned_to_its_node_group_tolerates_the_gpu_taint_and_requests_gpus_as_limits() -> None:
    pod = _pod(nim_deployment_spec(_nim(nodeGroup="gpu-a", gpus=2), cache_claim="c", ngc_secrets=None))
    assert pod["node_selector"][NODEGROUP_LABEL] == "gpu-a"
    assert {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    resources = pod["containers"][0]["resources"]
    assert resources["requests"][GPU_RESOURCE] == resources["limits"][GPU_RESOURCE] == "2"
    unpinned = _pod(nim_deployment_spec(_nim(), cache_claim="c", ngc_secrets=None))
    assert NODEGROUP_LABEL not in unpinned["node_selector"]


def test_nim_cache_claim_and_rollout_follow_the_access_mode() -> None:
    rwo = nim_deployment_spec(_nim(), cache_claim="llama-8b-cache", ngc_secrets=None)
    assert rwo["strategy"] == {"type": "Recreate"}
    volumes = {v["name"]: v for v in _pod(rwo)["volumes"]}
    assert volumes["model-cache"]["persistent_volume_claim"] == {"claim_name": "llama-8b-cache"}
    rwx = nim_deployment_spec(_nim(cacheAccessMode="ReadWriteMany", replicas=2), cache_claim="c", ngc_secrets=None)
    assert rwx["strategy"] == {"type": "RollingUpdate", "rolling_update": {"max_surge": 0, "max_unavailable": 1}}
    assert rwx["replicas"] == 2


def test_nim_cache_spec_names_a_storage_class_only_when_given() -> None:
    assert "storage_class_name" not in nim_cache_spec(_nim(), None)
    spec = nim_cache_spec(_nim(cacheSize="200Gi"), "gp3")
    assert spec["storage_class_name"] == "gp3"
    assert spec["resources"] == {"requests": {"storage": "200Gi"}}


def test_nim_network_policy_and_service_expose_only_the_openai_port() -> None:
    policy = nim_network_policy_spec(_nim())
    assert policy["policy_types"] == ["Ingress"]
    assert [p["port"] for rule in policy["ingress"] for p in rule["ports"]] == [NIM_PORT]
    assert [p["port"] for p in nim_service_spec(_nim())["ports"]] == [NIM_PORT]


def test_a_nim_waits_for_its_pinned_group_or_every_group_when_unpinned() -> None:
    groups = [_group("gpu-a"), _group("gpu-b")]
    assert [g.name for g in nim_targets(_nim(nodeGroup="gpu-b"), groups)] == ["gpu-b"]
    assert [g.name for g in nim_targets(_nim(), groups)] == ["gpu-a", "gpu-b"]
    assert nim_key(_nim(namespace="models")) == "models/llama-8b"


# -- collector ----------------------------------------------------------------------------------


def test_collector_namespace_is_restricted_unless_host_ports_are_used() -> None:
    assert namespace_labels(CollectorConfig())["pod-security.kubernetes.io/enforce"] == "restricted"
    host = CollectorConfig(otlp_exposure="hostPort")
    assert namespace_labels(host)["pod-security.kubernetes.io/enforce"] == "privileged"
    assert LABELS.items() <= namespace_labels(host).items()


def test_collector_host_ports_come_with_their_checkov_skip() -> None:
    assert daemonset_skips(CollectorConfig()) == COLLECTOR_SKIPS
    host = CollectorConfig(otlp_exposure="hostPort")
    assert daemonset_skips(host) == (*COLLECTOR_SKIPS, HOST_PORT_CHECKOV_SKIP)
    ports = daemonset_spec(host, account="sa", secret="s", config_map="cm", annotations={})["template"]["spec"]
    host_ports = [p.get("host_port") for p in ports["containers"][0]["ports"]]
    assert host_ports == [4317, 4318, None]
    assert instrumentation(host)["podEnv"]
    assert instrumentation(CollectorConfig())["podEnv"] == []


def test_collector_runs_on_gpu_nodes_and_reads_the_token_from_its_secret() -> None:
    spec = daemonset_spec(CollectorConfig(), account="sa", secret="collector-token", config_map="cm", annotations={})
    pod = spec["template"]["spec"]
    assert {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["DT_API_TOKEN"]["value_from"] == {"secret_key_ref": {"name": "collector-token", "key": "DT_API_TOKEN"}}
    assert spec["selector"] == {"match_labels": SELECTOR_LABELS}
    assert SELECTOR_LABELS.items() <= spec["template"]["metadata"]["labels"].items()


def test_collector_services_and_network_policy() -> None:
    assert otlp_service_spec()["internal_traffic_policy"] == "Local"
    ports = {p["port"] for rule in network_policy_spec()["ingress"] for p in rule["ports"]}
    assert ports == {4317, 4318, 13133}
    kong = KongConfig(enabled=True, port=8100)
    spec = kong_service_spec(kong)
    assert spec["selector"] == kong.selector
    assert spec["ports"] == [{"name": "metrics", "port": 8100, "target_port": 8100, "protocol": "TCP"}]


# -- DCGM exporter and device plugin ------------------------------------------------------------


def test_dcgm_exporter_reads_its_counters_and_admits_only_the_collector() -> None:
    spec = dcgm_daemonset_spec(DcgmExporterConfig(), counters_config_map="dcgm-exporter-counters")
    volumes = {v["name"]: v for v in _pod(spec)["volumes"]}
    assert volumes["counters"]["config_map"] == {"name": "dcgm-exporter-counters"}
    assert spec["selector"]["match_labels"].items() <= spec["template"]["metadata"]["labels"].items()
    resources = _pod(spec)["containers"][0]["resources"]
    assert GPU_RESOURCE not in resources["requests"]  # the runtime exposes every GPU without a request
    (rule,) = dcgm_network_policy_spec("observability")["ingress"]
    (peer,) = rule["from_"]
    assert peer["namespace_selector"] == {"match_labels": {"kubernetes.io/metadata.name": "observability"}}
    assert peer["pod_selector"] == {"match_labels": SELECTOR_LABELS}
    assert rule["ports"] == [{"port": DCGM_PORT, "protocol": "TCP"}]


def test_device_plugin_runs_the_given_image_and_has_no_network_access() -> None:
    spec = device_plugin_daemonset_spec("nvcr.io/nvidia/k8s-device-plugin:v9.9.9")
    assert _pod(spec)["containers"][0]["image"] == "nvcr.io/nvidia/k8s-device-plugin:v9.9.9"
    assert spec["selector"]["match_labels"].items() <= spec["template"]["metadata"]["labels"].items()
    policy = device_plugin_network_policy_spec()
    assert policy["policy_types"] == ["Ingress", "Egress"]
    assert "ingress" not in policy
    assert "egress" not in policy


def test_gp3_storage_class_volumes_are_encrypted() -> None:
    assert gp3_parameters() == {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
