"""The NVIDIA DCGM exporter DaemonSet: GPU utilisation, memory, temperature, power, XID errors.

One exporter pod per GPU node that needs it: the DaemonSet selects ``nvidia.com/gpu.present``
and ``ai-observability/dcgm-exporter`` (set only on node groups whose AMI does not already run
an exporter) and tolerates the GPU taint. It serves Prometheus text on port 9400, path
``/metrics`` (NVIDIA's defaults), and carries the ``metrics.dynatrace.com/*`` pod annotations,
so the collector on the same node scrapes it through its annotation-based job. The metric set
is a counters file in a ConfigMap (``components.telemetry_metrics``).

The pod requests no GPU: the NVIDIA container runtime exposes every GPU of the node to it
through ``NVIDIA_VISIBLE_DEVICES=all``. It runs as a non-root user with every capability
dropped; NVIDIA documents that as enough for the device-level (``DCGM_FI_DEV_*``) fields, only
profiling fields (``DCGM_FI_PROF_*``) need ``SYS_ADMIN``. Pod attribution through the kubelet's
root-owned pod-resources socket is therefore off: series carry the GPU and node, not the pod.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import DaemonSetSpecArgsDict
from pulumi_kubernetes.core.v1 import ContainerArgsDict, PodSpecArgsDict
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict
from pulumi_kubernetes.networking.v1 import NetworkPolicySpecArgsDict

from components.config import DcgmExporterConfig, GpuNodeGroupConfig
from components.config.kubernetes import DCGM_EXPORTER_LABEL, GPU_PRESENT_LABEL, GPU_TAINT_KEY
from components.kubernetes.collector import SELECTOR_LABELS as COLLECTOR_SELECTOR
from components.kubernetes.collector_config import SCRAPE_ANNOTATION_PREFIX
from components.kubernetes.metadata import checkov_annotations, k8s_labels, selector_labels
from components.telemetry_metrics import dcgm_counters_csv

TYPE_TOKEN: Final = "ai-observability:k8s:DcgmExporter"  # noqa: S105 (a type token, not a secret)
DCGM_NAME: Final = "dcgm-exporter"
DCGM_NAMESPACE: Final = "kube-system"
DCGM_PORT: Final = 9400
DCGM_METRICS_PATH: Final = "/metrics"
DCGM_UID: Final = 65532  # the distroless image's "nonroot" user
COUNTERS_DIR: Final = "/etc/dcgm-exporter/ai-observability"
COUNTERS_FILE: Final = "counters.csv"
SCRAPE_ANNOTATIONS: Final = {
    f"{SCRAPE_ANNOTATION_PREFIX}/scrape": "true",
    f"{SCRAPE_ANNOTATION_PREFIX}/port": str(DCGM_PORT),
    f"{SCRAPE_ANNOTATION_PREFIX}/path": DCGM_METRICS_PATH,
}

# checkov findings accepted on purpose, with the reason (checkov reads these annotations).
CHECKOV_SKIPS: Final[tuple[str, ...]] = (
    "CKV_K8S_43=the tag is pinned; NVIDIA publishes no digest we could verify offline",
    "CKV_K8S_15=IfNotPresent on purpose: the tag is pinned and GPU nodes must start without a registry round-trip",
)
LABELS: Final = k8s_labels(DCGM_NAME, "gpu-telemetry")
SELECTOR_LABELS: Final = selector_labels(DCGM_NAME)


def dcgm_exporter_needed(groups: Sequence[GpuNodeGroupConfig]) -> bool:
    """True when any node group's nodes need the stack's exporter."""
    return any(group.needs_dcgm_exporter for group in groups)


def dcgm_daemonset_spec(
    settings: DcgmExporterConfig, *, counters_config_map: pulumi.Input[str]
) -> DaemonSetSpecArgsDict:
    """One exporter pod per GPU node that needs it, reading its counter list from ``counters_config_map``."""
    resources = {"cpu": settings.cpu, "memory": settings.memory}
    container: ContainerArgsDict = {
        "name": DCGM_NAME,
        "image": settings.image,
        "image_pull_policy": "IfNotPresent",
        "env": [
            {"name": "DCGM_EXPORTER_LISTEN", "value": f":{DCGM_PORT}"},
            {"name": "DCGM_EXPORTER_COLLECTORS", "value": f"{COUNTERS_DIR}/{COUNTERS_FILE}"},
            {"name": "DCGM_EXPORTER_KUBERNETES", "value": "false"},
            # The exporter labels every series hostname=$NODE_NAME (else the pod's hostname):
            # the GPU tiles split by it (NVIDIA/dcgm-exporter internal/pkg/hostname/hostname.go).
            {"name": "NODE_NAME", "value_from": {"field_ref": {"field_path": "spec.nodeName"}}},
            # The NVIDIA container runtime mounts every GPU of the node without a GPU request.
            {"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"},
            {"name": "NVIDIA_DRIVER_CAPABILITIES", "value": "utility"},
        ],
        "ports": [{"name": "metrics", "container_port": DCGM_PORT, "protocol": "TCP"}],
        "resources": {"requests": resources, "limits": resources},
        "liveness_probe": {
            "http_get": {"path": "/health", "port": DCGM_PORT},
            "initial_delay_seconds": 45,
            "period_seconds": 15,
        },
        "readiness_probe": {
            "http_get": {"path": "/health", "port": DCGM_PORT},
            "initial_delay_seconds": 15,
            "period_seconds": 10,
        },
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": DCGM_UID,
            "run_as_group": DCGM_UID,
            "allow_privilege_escalation": False,
            "privileged": False,
            "read_only_root_filesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "volume_mounts": [
            {"name": "counters", "mount_path": COUNTERS_DIR, "read_only": True},
            {"name": "tmp", "mount_path": "/tmp"},  # noqa: S108 (an emptyDir inside the pod)
        ],
    }
    pod: PodSpecArgsDict = {
        "automount_service_account_token": False,
        "node_selector": {GPU_PRESENT_LABEL: "true", DCGM_EXPORTER_LABEL: "true"},
        "tolerations": [{"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": DCGM_UID,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {"name": "counters", "config_map": {"name": counters_config_map}},
            {"name": "tmp", "empty_dir": {"medium": "Memory", "size_limit": "64Mi"}},
        ],
    }
    return {
        "selector": {"match_labels": SELECTOR_LABELS},
        "update_strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 1}},
        "revision_history_limit": 3,
        "template": {"metadata": {"labels": LABELS, "annotations": dict(SCRAPE_ANNOTATIONS)}, "spec": pod},
    }


def dcgm_network_policy_spec(collector_namespace: str) -> NetworkPolicySpecArgsDict:
    """Only the collector pods may reach the metrics port; the exporter itself calls nothing."""
    return {
        "pod_selector": {"match_labels": SELECTOR_LABELS},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [
            {
                "from_": [
                    {
                        "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": collector_namespace}},
                        "pod_selector": {"match_labels": dict(COLLECTOR_SELECTOR)},
                    }
                ],
                "ports": [{"port": DCGM_PORT, "protocol": "TCP"}],
            }
        ],
    }


@dataclass(frozen=True)
class DcgmExporterArgs:
    config: DcgmExporterConfig
    provider: k8s.Provider
    collector_namespace: str
    """Namespace of the collector pods, the only ones admitted to the metrics port."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


class DcgmExporter(pulumi.ComponentResource):
    """``ai-observability:k8s:DcgmExporter`` — counters ConfigMap, DaemonSet and NetworkPolicy in ``kube-system``."""

    daemonset_name: pulumi.Output[str]

    def __init__(self, name: str, args: DcgmExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        counters = k8s.core.v1.ConfigMap(
            f"{name}-counters",
            metadata={"name": f"{DCGM_NAME}-counters", "namespace": DCGM_NAMESPACE, "labels": LABELS},
            data={COUNTERS_FILE: dcgm_counters_csv()},
            opts=child,
        )
        metadata: ObjectMetaArgsDict = {
            "name": DCGM_NAME,
            "namespace": DCGM_NAMESPACE,
            "labels": LABELS,
            "annotations": checkov_annotations(CHECKOV_SKIPS),
        }
        daemonset = k8s.apps.v1.DaemonSet(
            f"{name}-daemonset",
            metadata=metadata,
            spec=dcgm_daemonset_spec(args.config, counters_config_map=counters.metadata.apply(lambda m: m.name or "")),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=list(args.depends_on))),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata={"name": DCGM_NAME, "namespace": DCGM_NAMESPACE, "labels": LABELS},
            spec=dcgm_network_policy_spec(args.collector_namespace),
            opts=child,
        )
        self.daemonset_name = daemonset.metadata.apply(lambda m: m.name or DCGM_NAME)
        self.register_outputs({"daemonsetName": self.daemonset_name})
