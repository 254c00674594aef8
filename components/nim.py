"""One NVIDIA NIM for LLMs, declared by hand in the shape of NVIDIA's chart (facts §2).

Per model: NGC pull secret and API-key secret (optional for keyless public images), a
model-cache PVC, a Deployment (probes sized for a ~30 min first model download, memory-backed
``/dev/shm``, GPU requests = limits, GPU toleration, pinned to its node group, hardened, scrape
annotations on the pod template), a NetworkPolicy admitting only port 8000 from cluster pods,
and a ClusterIP Service on 8000. The namespace is passed in
(shared by several NIMs, created once by the caller).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import DeploymentSpecArgsDict, DeploymentStrategyArgsDict
from pulumi_kubernetes.core.v1 import (
    ContainerArgsDict,
    EnvVarArgsDict,
    LocalObjectReferenceArgsDict,
    PersistentVolumeClaimSpecArgsDict,
    PodSpecArgsDict,
    ProbeArgsDict,
    ServiceSpecArgsDict,
    VolumeArgsDict,
    VolumeMountArgsDict,
)
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict
from pulumi_kubernetes.networking.v1 import NetworkPolicySpecArgsDict

from .config import NimConfig
from .config.kubernetes import GPU_PRESENT_LABEL, GPU_RESOURCE, GPU_TAINT_KEY, NODEGROUP_LABEL
from .device_plugin import checkov_annotations
from .kube_provider import k8s_labels
from .pod_labels import NIM_COMPONENT

NIM_PORT: Final = 8000
NIM_PORT_NAME: Final = "http-openai"
NIM_CACHE_PATH: Final = "/opt/nim/.cache"
NIM_UID: Final = 1000
NGC_REGISTRY: Final = "nvcr.io"
NGC_USERNAME: Final = "$oauthtoken"
METRICS_PATH: Final = "/v1/metrics"
TMP_SIZE: Final = "8Gi"
SCRAPE_ANNOTATIONS: Final = {
    "metrics.dynatrace.com/scrape": "true",
    "metrics.dynatrace.com/port": str(NIM_PORT),
    "metrics.dynatrace.com/path": METRICS_PATH,
}

# checkov findings accepted on purpose, with the reason.
CHECKOV_SKIPS: Final[tuple[str, ...]] = (
    "CKV_K8S_43=the tag is pinned (never latest); NGC digests are not verifiable offline",
    "CKV_K8S_15=IfNotPresent on purpose: a pinned multi-GB image must not be re-pulled on every restart",
    "CKV_K8S_11=no CPU limit on purpose: throttling stalls token generation; the CPU request reserves capacity",
    "CKV_K8S_40=NIM images run as UID 1000 (NVIDIA's chart and the facts sheet); files in the image belong to it",
    "CKV_K8S_35=NIM reads NGC_API_KEY only from its environment; the value comes from a Secret",
)


def docker_config_json(api_key: str) -> str:
    """``.dockerconfigjson`` for nvcr.io: user ``$oauthtoken``, password the NGC API key."""
    auth = base64.b64encode(f"{NGC_USERNAME}:{api_key}".encode()).decode()
    return json.dumps({"auths": {NGC_REGISTRY: {"username": NGC_USERNAME, "password": api_key, "auth": auth}}})


def _secret(value: pulumi.Output[str]) -> pulumi.Output[str]:
    """``value`` marked secret (it already is when it comes from the config; belt and braces)."""
    source: pulumi.Input[str] = value
    marked: pulumi.Output[str] = pulumi.Output.secret(source)
    return marked


def service_endpoint(name: str, namespace: str) -> str:
    """The in-cluster OpenAI-compatible base URL of a NIM Service."""
    return f"http://{name}.{namespace}.svc.cluster.local:{NIM_PORT}/v1"


def _probe(path: str, *, initial_delay: int, failures: int) -> ProbeArgsDict:
    return {
        "http_get": {"path": path, "port": NIM_PORT_NAME},
        "initial_delay_seconds": initial_delay,
        "period_seconds": 10,
        "failure_threshold": failures,
    }


@dataclass(frozen=True)
class NimServiceArgs:
    nim: NimConfig
    provider: k8s.Provider
    namespace: pulumi.Input[str]
    """Name of the (already declared) namespace; pass its Output so the objects wait for it."""
    node_group_name: str | None = None
    """EKS node group to pin to (label ``eks.amazonaws.com/nodegroup``); None = any GPU node."""
    ngc_api_key: pulumi.Output[str] | None = None
    """The NGC key (a secret); required when ``nim.ngc_credentials``."""
    storage_class: str | None = None
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Node groups, device plugin, CSI driver: the pods cannot start before them."""


class NimService(pulumi.ComponentResource):
    """``ai-observability:k8s:NimService`` — one NIM model server and its Service."""

    service_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: NimServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-observability:k8s:NimService", name, None, opts)
        nim = args.nim
        if nim.ngc_credentials and args.ngc_api_key is None:
            raise ValueError(f"NIM {nim.name}: ngcCredentials is true but no NGC API key was given")
        # The collector's NIM scrape job selects pods by NIM_POD_LABELS (component + part-of).
        labels = k8s_labels(nim.name, NIM_COMPONENT)
        selector = {"app.kubernetes.io/name": nim.name, "app.kubernetes.io/component": NIM_COMPONENT}
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)

        def meta(object_name: str) -> ObjectMetaArgsDict:
            return {"name": object_name, "namespace": args.namespace, "labels": labels}

        env: list[EnvVarArgsDict] = [
            {"name": "NIM_CACHE_PATH", "value": NIM_CACHE_PATH},
            {"name": "NIM_SERVER_PORT", "value": str(NIM_PORT)},
        ]
        pull_secrets: list[LocalObjectReferenceArgsDict] = []
        if nim.ngc_credentials and args.ngc_api_key is not None:
            pull_secret = k8s.core.v1.Secret(
                f"{name}-ngc-pull",
                metadata=meta(f"{nim.name}-ngc-pull"),
                type="kubernetes.io/dockerconfigjson",
                string_data={".dockerconfigjson": _secret(args.ngc_api_key.apply(docker_config_json))},
                opts=child,
            )
            api_secret = k8s.core.v1.Secret(
                f"{name}-ngc-api",
                metadata=meta(f"{nim.name}-ngc-api"),
                type="Opaque",
                string_data={"NGC_API_KEY": _secret(args.ngc_api_key)},
                opts=child,
            )
            pull_secrets.append({"name": pull_secret.metadata.apply(lambda m: m.name or "")})
            env.append(
                {
                    "name": "NGC_API_KEY",
                    "value_from": {
                        "secret_key_ref": {
                            "name": api_secret.metadata.apply(lambda m: m.name or ""),
                            "key": "NGC_API_KEY",
                        }
                    },
                }
            )

        pvc_spec: PersistentVolumeClaimSpecArgsDict = {
            "access_modes": [nim.cache_access_mode],
            "volume_mode": "Filesystem",
            "resources": {"requests": {"storage": nim.cache_size}},
        }
        if args.storage_class is not None:
            pvc_spec["storage_class_name"] = args.storage_class
        cache = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-cache",
            metadata=meta(f"{nim.name}-cache"),
            spec=pvc_spec,
            opts=child,
        )

        mounts: list[VolumeMountArgsDict] = [
            {"name": "model-cache", "mount_path": NIM_CACHE_PATH},
            {"name": "dshm", "mount_path": "/dev/shm"},  # noqa: S108 - a pod-private memory emptyDir
            {"name": "tmp", "mount_path": "/tmp"},  # noqa: S108 - a pod-private emptyDir
        ]
        volumes: list[VolumeArgsDict] = [
            {
                "name": "model-cache",
                "persistent_volume_claim": {"claim_name": cache.metadata.apply(lambda m: m.name or "")},
            },
            {"name": "dshm", "empty_dir": {"medium": "Memory", "size_limit": nim.shm_size}},
            {"name": "tmp", "empty_dir": {"size_limit": TMP_SIZE}},
        ]
        gpus = str(nim.gpus)
        container: ContainerArgsDict = {
            "name": "nim",
            "image": nim.image,
            "image_pull_policy": "IfNotPresent",
            "ports": [{"name": NIM_PORT_NAME, "container_port": NIM_PORT, "protocol": "TCP"}],
            "env": env,
            "resources": {
                # Extended resources cannot be overcommitted: requests = limits. Memory request =
                # limit too, so the node never evicts a model that took 30 minutes to load.
                "requests": {"cpu": nim.cpu_request, "memory": nim.memory_limit, GPU_RESOURCE: gpus},
                "limits": {"memory": nim.memory_limit, GPU_RESOURCE: gpus},
            },
            "startup_probe": _probe("/v1/health/ready", initial_delay=40, failures=180),
            "readiness_probe": _probe("/v1/health/ready", initial_delay=15, failures=3),
            "liveness_probe": _probe("/v1/health/live", initial_delay=15, failures=3),
            "security_context": {
                "allow_privilege_escalation": False,
                "privileged": False,
                "run_as_non_root": True,
                "read_only_root_filesystem": nim.read_only_root_filesystem,
                "capabilities": {"drop": ["ALL"]},
                "seccomp_profile": {"type": "RuntimeDefault"},
            },
            "volume_mounts": mounts,
        }
        node_selector = {GPU_PRESENT_LABEL: "true"}
        if args.node_group_name is not None:
            node_selector[NODEGROUP_LABEL] = args.node_group_name
        pod: PodSpecArgsDict = {
            "automount_service_account_token": False,
            "enable_service_links": False,
            "security_context": {
                "run_as_user": NIM_UID,
                "run_as_group": NIM_UID,
                "fs_group": NIM_UID,
                # Skip the recursive chown of a 100+ GiB cache on every start.
                "fs_group_change_policy": "OnRootMismatch",
                "run_as_non_root": True,
                "seccomp_profile": {"type": "RuntimeDefault"},
            },
            "node_selector": node_selector,
            "tolerations": [{"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [container],
            "volumes": volumes,
        }
        if pull_secrets:
            pod["image_pull_secrets"] = pull_secrets
        # A ReadWriteOnce cache attaches to one node: the old pod must go before the new one starts.
        strategy: DeploymentStrategyArgsDict = (
            {"type": "Recreate"}
            if nim.cache_access_mode == "ReadWriteOnce"
            else {"type": "RollingUpdate", "rolling_update": {"max_surge": 0, "max_unavailable": 1}}
        )
        spec: DeploymentSpecArgsDict = {
            "replicas": nim.replicas,
            "selector": {"match_labels": selector},
            "strategy": strategy,
            "progress_deadline_seconds": 3600,
            "revision_history_limit": 3,
            "template": {"metadata": {"labels": labels, "annotations": dict(SCRAPE_ANNOTATIONS)}, "spec": pod},
        }
        skips = CHECKOV_SKIPS if nim.ngc_credentials else tuple(s for s in CHECKOV_SKIPS if "CKV_K8S_35" not in s)
        deployment_meta = meta(nim.name)
        deployment_meta["annotations"] = checkov_annotations(skips)
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=deployment_meta,
            spec=spec,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.provider,
                depends_on=list(args.depends_on),
                # The first start downloads the model (up to progressDeadlineSeconds).
                custom_timeouts=pulumi.CustomTimeouts(create="65m", update="65m"),
            ),
        )

        # Only the OpenAI port is reachable, and only from pods of the cluster (clients, the collector).
        # Egress stays open: the first start downloads the model from NGC.
        policy_spec: NetworkPolicySpecArgsDict = {
            "pod_selector": {"match_labels": selector},
            "policy_types": ["Ingress"],
            "ingress": [{"from_": [{"namespace_selector": {}}], "ports": [{"port": NIM_PORT, "protocol": "TCP"}]}],
        }
        k8s.networking.v1.NetworkPolicy(f"{name}-network-policy", metadata=meta(nim.name), spec=policy_spec, opts=child)

        service_spec: ServiceSpecArgsDict = {
            "type": "ClusterIP",
            "selector": selector,
            "ports": [{"name": NIM_PORT_NAME, "port": NIM_PORT, "target_port": NIM_PORT_NAME, "protocol": "TCP"}],
        }
        service = k8s.core.v1.Service(f"{name}-service", metadata=meta(nim.name), spec=service_spec, opts=child)
        self.service_name = service.metadata.apply(lambda m: m.name or nim.name)
        self.endpoint = pulumi.Output.all(self.service_name, args.namespace).apply(
            lambda values: service_endpoint(str(values[0]), str(values[1]))
        )
        self.register_outputs({"serviceName": self.service_name, "endpoint": self.endpoint})
