"""One NVIDIA NIM for LLMs, declared by hand in the shape of NVIDIA's ``nim-llm`` Helm chart.

Per model: NGC pull secret and API-key secret (optional for keyless public images), a
model-cache PVC, a Deployment (probes sized for a ~30 min first model download, memory-backed
``/dev/shm``, GPU requests = limits, GPU toleration, pinned to its node group, hardened, scrape
annotations on the pod template), a NetworkPolicy admitting only port 8000 from cluster pods,
and a ClusterIP Service on 8000. The namespace is passed in
(shared by several NIMs, created once by the caller).

The object specs come from pure builders (``nim_*_spec``) over the typed ``NimConfig``;
``NimService`` only declares the resources and wires their names into each other.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TypedDict

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

from components.config import NimConfig
from components.config.kubernetes import GPU_PRESENT_LABEL, GPU_RESOURCE, GPU_TAINT_KEY, NODEGROUP_LABEL
from components.kubernetes.collector_config import NIM_METRICS_PATH, NIM_METRICS_PORT, SCRAPE_ANNOTATION_PREFIX
from components.kubernetes.metadata import COMPONENT_LABEL, NAME_LABEL, NIM_COMPONENT, checkov_annotations, k8s_labels

NIM_PORT: Final = NIM_METRICS_PORT  # NIM serves the OpenAI API and its metrics on one port
NIM_PORT_NAME: Final = "http-openai"
NIM_CACHE_PATH: Final = "/opt/nim/.cache"
NIM_UID: Final = 1000
NGC_REGISTRY: Final = "nvcr.io"
NGC_USERNAME: Final = "$oauthtoken"
TMP_SIZE: Final = "8Gi"
SCRAPE_ANNOTATIONS: Final = {
    f"{SCRAPE_ANNOTATION_PREFIX}/scrape": "true",
    f"{SCRAPE_ANNOTATION_PREFIX}/port": str(NIM_PORT),
    f"{SCRAPE_ANNOTATION_PREFIX}/path": NIM_METRICS_PATH,
}

# checkov findings accepted on purpose, with the reason (CKV_K8S_35 only applies with NGC credentials).
CHECKOV_SKIPS: Final[tuple[str, ...]] = (
    "CKV_K8S_43=the tag is pinned (never latest); NGC digests are not verifiable offline",
    "CKV_K8S_15=IfNotPresent on purpose: a pinned multi-GB image must not be re-pulled on every restart",
    "CKV_K8S_11=no CPU limit on purpose: throttling stalls token generation; the CPU request reserves capacity",
    "CKV_K8S_40=NIM images run as UID 1000 (as NVIDIA's NIM Helm chart sets it); files in the image belong to it",
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


class NgcSecretNames(TypedDict):
    """Names of the two NGC Secrets of a NIM that pulls with NGC credentials."""

    pull: pulumi.Input[str]
    """The ``kubernetes.io/dockerconfigjson`` Secret for nvcr.io."""
    api_key: pulumi.Input[str]
    """The Secret holding ``NGC_API_KEY``."""


def nim_labels(nim: NimConfig) -> dict[str, str]:
    """Labels of every object of ``nim``; the pod template's include ``NIM_POD_LABELS`` (the collector's selector)."""
    return k8s_labels(nim.name, NIM_COMPONENT)


def nim_selector(nim: NimConfig) -> dict[str, str]:
    """The pod selector of the Deployment, the NetworkPolicy and the Service."""
    return {NAME_LABEL: nim.name, COMPONENT_LABEL: NIM_COMPONENT}


def nim_checkov_skips(nim: NimConfig) -> tuple[str, ...]:
    """The accepted checkov findings for ``nim`` (no NGC_API_KEY env without NGC credentials)."""
    return CHECKOV_SKIPS if nim.ngc_credentials else tuple(s for s in CHECKOV_SKIPS if "CKV_K8S_35" not in s)


def nim_cache_spec(nim: NimConfig, storage_class: str | None) -> PersistentVolumeClaimSpecArgsDict:
    """The model-cache claim; ``storage_class`` None leaves the cluster default."""
    spec: PersistentVolumeClaimSpecArgsDict = {
        "access_modes": [nim.cache_access_mode],
        "volume_mode": "Filesystem",
        "resources": {"requests": {"storage": nim.cache_size}},
    }
    if storage_class is not None:
        spec["storage_class_name"] = storage_class
    return spec


def nim_deployment_spec(
    nim: NimConfig, *, cache_claim: pulumi.Input[str], ngc_secrets: NgcSecretNames | None
) -> DeploymentSpecArgsDict:
    """The Deployment: one hardened NIM container on a GPU node of ``nim.node_group`` (any GPU node when unset).

    ``ngc_secrets`` (required when ``nim.ngc_credentials``) adds the image pull secret and the
    ``NGC_API_KEY`` variable read from its Secret.
    """
    env: list[EnvVarArgsDict] = [
        {"name": "NIM_CACHE_PATH", "value": NIM_CACHE_PATH},
        {"name": "NIM_SERVER_PORT", "value": str(NIM_PORT)},
    ]
    if ngc_secrets is not None:
        env.append(
            {
                "name": "NGC_API_KEY",
                "value_from": {"secret_key_ref": {"name": ngc_secrets["api_key"], "key": "NGC_API_KEY"}},
            }
        )
    mounts: list[VolumeMountArgsDict] = [
        {"name": "model-cache", "mount_path": NIM_CACHE_PATH},
        {"name": "dshm", "mount_path": "/dev/shm"},  # noqa: S108 - a pod-private memory emptyDir
        {"name": "tmp", "mount_path": "/tmp"},  # noqa: S108 - a pod-private emptyDir
    ]
    volumes: list[VolumeArgsDict] = [
        {"name": "model-cache", "persistent_volume_claim": {"claim_name": cache_claim}},
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
    if nim.node_group is not None:
        node_selector[NODEGROUP_LABEL] = nim.node_group
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
    if ngc_secrets is not None:
        pull_secrets: list[LocalObjectReferenceArgsDict] = [{"name": ngc_secrets["pull"]}]
        pod["image_pull_secrets"] = pull_secrets
    # A ReadWriteOnce cache attaches to one node: the old pod must go before the new one starts.
    strategy: DeploymentStrategyArgsDict = (
        {"type": "Recreate"}
        if nim.cache_access_mode == "ReadWriteOnce"
        else {"type": "RollingUpdate", "rolling_update": {"max_surge": 0, "max_unavailable": 1}}
    )
    return {
        "replicas": nim.replicas,
        "selector": {"match_labels": nim_selector(nim)},
        "strategy": strategy,
        "progress_deadline_seconds": 3600,
        "revision_history_limit": 3,
        "template": {"metadata": {"labels": nim_labels(nim), "annotations": dict(SCRAPE_ANNOTATIONS)}, "spec": pod},
    }


def nim_network_policy_spec(nim: NimConfig) -> NetworkPolicySpecArgsDict:
    """Only the OpenAI port is reachable, and only from pods of the cluster (clients, the collector).

    Egress stays open: the first start downloads the model from NGC.
    """
    return {
        "pod_selector": {"match_labels": nim_selector(nim)},
        "policy_types": ["Ingress"],
        "ingress": [{"from_": [{"namespace_selector": {}}], "ports": [{"port": NIM_PORT, "protocol": "TCP"}]}],
    }


def nim_service_spec(nim: NimConfig) -> ServiceSpecArgsDict:
    """A ClusterIP Service on the OpenAI port."""
    return {
        "type": "ClusterIP",
        "selector": nim_selector(nim),
        "ports": [{"name": NIM_PORT_NAME, "port": NIM_PORT, "target_port": NIM_PORT_NAME, "protocol": "TCP"}],
    }


@dataclass(frozen=True)
class NimServiceArgs:
    nim: NimConfig
    provider: k8s.Provider
    namespace: pulumi.Input[str]
    """Name of the (already declared) namespace; pass its Output so the objects wait for it."""
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
        labels = nim_labels(nim)
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)

        def meta(object_name: str) -> ObjectMetaArgsDict:
            return {"name": object_name, "namespace": args.namespace, "labels": labels}

        ngc_secrets: NgcSecretNames | None = None
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
            ngc_secrets = {
                "pull": pull_secret.metadata.apply(lambda m: m.name or ""),
                "api_key": api_secret.metadata.apply(lambda m: m.name or ""),
            }

        cache = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-cache",
            metadata=meta(f"{nim.name}-cache"),
            spec=nim_cache_spec(nim, args.storage_class),
            opts=child,
        )
        deployment_meta = meta(nim.name)
        deployment_meta["annotations"] = checkov_annotations(nim_checkov_skips(nim))
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=deployment_meta,
            spec=nim_deployment_spec(
                nim, cache_claim=cache.metadata.apply(lambda m: m.name or ""), ngc_secrets=ngc_secrets
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.provider,
                depends_on=list(args.depends_on),
                # The first start downloads the model (up to progressDeadlineSeconds).
                custom_timeouts=pulumi.CustomTimeouts(create="65m", update="65m"),
            ),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy", metadata=meta(nim.name), spec=nim_network_policy_spec(nim), opts=child
        )
        service = k8s.core.v1.Service(
            f"{name}-service", metadata=meta(nim.name), spec=nim_service_spec(nim), opts=child
        )
        self.service_name = service.metadata.apply(lambda m: m.name or nim.name)
        self.endpoint = pulumi.Output.all(self.service_name, args.namespace).apply(
            lambda values: service_endpoint(str(values[0]), str(values[1]))
        )
        self.register_outputs({"serviceName": self.service_name, "endpoint": self.endpoint})
