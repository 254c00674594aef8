"""The NVIDIA device plugin DaemonSet, for GPU nodes whose AMI does not ship it.

AL2023 NVIDIA AMIs need the plugin installed; Bottlerocket NVIDIA AMIs already run it, and a
second plugin on those nodes would be wrong. The DaemonSet therefore selects nodes by both
``nvidia.com/gpu.present=true`` and ``ai-observability/nvidia-device-plugin=true`` (set only
on AL2023 node groups), so a cluster mixing both AMI families gets exactly one plugin per node.
It is deployed only when at least one node group uses an AL2023 NVIDIA AMI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import DaemonSetSpecArgsDict
from pulumi_kubernetes.core.v1 import ContainerArgsDict, PodSpecArgsDict
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict
from pulumi_kubernetes.networking.v1 import NetworkPolicySpecArgsDict

from components.config import GpuNodeGroupConfig
from components.config.kubernetes import DEVICE_PLUGIN_IMAGE, DEVICE_PLUGIN_LABEL, GPU_PRESENT_LABEL, GPU_TAINT_KEY
from components.kubernetes.metadata import checkov_annotations, k8s_labels, selector_labels

DEVICE_PLUGIN_NAME: Final = "nvidia-device-plugin"
DEVICE_PLUGIN_NAMESPACE: Final = "kube-system"
KUBELET_DEVICE_PLUGINS: Final = "/var/lib/kubelet/device-plugins"

# checkov findings accepted on purpose, with the reason (checkov reads these annotations).
CHECKOV_SKIPS: Final[tuple[str, ...]] = (
    "CKV_K8S_43=the tag is pinned; NVIDIA publishes no digest we could verify offline",
    "CKV_K8S_8=the plugin has no health endpoint; the kubelet re-registers it when it dies",
    "CKV_K8S_9=the plugin has no health endpoint; it serves only the kubelet's gRPC socket",
    "CKV_K8S_22=the NVIDIA container runtime hook writes into the container at start (upstream leaves it writable)",
    "CKV_K8S_23=runs as root: it creates its socket in the root-owned kubelet device-plugins directory",
    "CKV_K8S_40=runs as root: it creates its socket in the root-owned kubelet device-plugins directory",
    "CKV_K8S_15=IfNotPresent on purpose: the tag is pinned and GPU nodes must start without a registry round-trip",
)
LABELS: Final = k8s_labels(DEVICE_PLUGIN_NAME, "device-plugin")
SELECTOR_LABELS: Final = selector_labels(DEVICE_PLUGIN_NAME)


def device_plugin_needed(groups: Iterable[GpuNodeGroupConfig]) -> bool:
    """True when any node group runs an AMI without the NVIDIA device plugin (AL2023)."""
    return any(group.needs_device_plugin for group in groups)


def device_plugin_daemonset_spec(image: str) -> DaemonSetSpecArgsDict:
    """One plugin pod per GPU node whose AMI lacks it, registering GPUs with the kubelet over its socket."""
    container: ContainerArgsDict = {
        "name": "nvidia-device-plugin",
        "image": image,
        "image_pull_policy": "IfNotPresent",
        # Only GPU nodes run it (nodeSelector): an init failure is a real driver problem, show it.
        "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "true"}],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "200m", "memory": "256Mi"},
        },
        "security_context": {
            "allow_privilege_escalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "volume_mounts": [{"name": "device-plugin", "mount_path": KUBELET_DEVICE_PLUGINS}],
    }
    pod: PodSpecArgsDict = {
        "priority_class_name": "system-node-critical",
        "automount_service_account_token": False,
        "node_selector": {GPU_PRESENT_LABEL: "true", DEVICE_PLUGIN_LABEL: "true"},
        "tolerations": [
            {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"},
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
        ],
        "security_context": {"seccomp_profile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "device-plugin", "host_path": {"path": KUBELET_DEVICE_PLUGINS, "type": "Directory"}}],
    }
    return {
        "selector": {"match_labels": SELECTOR_LABELS},
        "update_strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 1}},
        "revision_history_limit": 3,
        "template": {"metadata": {"labels": LABELS}, "spec": pod},
    }


def device_plugin_network_policy_spec() -> NetworkPolicySpecArgsDict:
    """The plugin talks to the kubelet over a unix socket only: no network traffic at all."""
    return {"pod_selector": {"match_labels": SELECTOR_LABELS}, "policy_types": ["Ingress", "Egress"]}


@dataclass(frozen=True)
class NvidiaDevicePluginArgs:
    provider: k8s.Provider
    image: str = DEVICE_PLUGIN_IMAGE
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """``ai-observability:k8s:NvidiaDevicePlugin`` — the DaemonSet in ``kube-system``."""

    daemonset_name: pulumi.Output[str]

    def __init__(self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-observability:k8s:NvidiaDevicePlugin", name, None, opts)
        metadata: ObjectMetaArgsDict = {
            "name": DEVICE_PLUGIN_NAME,
            "namespace": DEVICE_PLUGIN_NAMESPACE,
            "labels": LABELS,
            "annotations": checkov_annotations(CHECKOV_SKIPS),
        }
        daemonset = k8s.apps.v1.DaemonSet(
            f"{name}-daemonset",
            metadata=metadata,
            spec=device_plugin_daemonset_spec(args.image),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on)),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy",
            metadata={"name": DEVICE_PLUGIN_NAME, "namespace": DEVICE_PLUGIN_NAMESPACE, "labels": LABELS},
            spec=device_plugin_network_policy_spec(),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.daemonset_name = daemonset.metadata.apply(lambda m: m.name or DEVICE_PLUGIN_NAME)
        self.register_outputs({"daemonsetName": self.daemonset_name})
