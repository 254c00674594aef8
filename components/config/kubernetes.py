"""``ai-observability:eks``, ``gpuNodeGroups`` and ``nims`` — the self-hosted model side."""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from policies.rules._gpu_nodes import GPU_FAMILIES, GPU_INSTANCE_TYPES, NvidiaAmiType, gpu_instance
from policies.rules._gpu_nodes import GPU_PRESENT_LABEL as GPU_PRESENT_LABEL
from policies.rules._gpu_nodes import GPU_TAINT_KEY as GPU_TAINT_KEY
from policies.rules._gpu_nodes import GPU_TAINT_VALUE as GPU_TAINT_VALUE
from policies.rules._gpu_nodes import NVIDIA_AMI_TYPES as NVIDIA_AMI_TYPES

from ._base import ConfigModel, K8sName
from .arn import IamRoleArn
from .eks_version import EksVersionText
from .image import PinnedImage
from .k8s_grammar import eks_node_label_problem, kubelet_node_label_problem, label_problem
from .quantity import CpuQuantity, MemoryQuantity, cores, gib, memory_range

Quantity = MemoryQuantity
_SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[0-9a-z]+$")

# --- Scheduling conventions shared by node groups, the device plugin and the NIMs -------------
GPU_RESOURCE: Final = "nvidia.com/gpu"
NODEGROUP_LABEL: Final = "eks.amazonaws.com/nodegroup"
DEVICE_PLUGIN_LABEL: Final = "ai-observability/nvidia-device-plugin"
"""Set (``"true"``) on nodes whose AMI lacks the NVIDIA device plugin (AL2023): the DaemonSet selects it."""
DEVICE_PLUGIN_IMAGE: Final = "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"
DCGM_EXPORTER_LABEL: Final = "ai-observability/dcgm-exporter"
"""Set (``"true"``) on nodes that need the stack's DCGM exporter: its DaemonSet selects it."""
_RESERVED_LABEL_KEYS: Final = (GPU_PRESENT_LABEL, DEVICE_PLUGIN_LABEL, DCGM_EXPORTER_LABEL)
# EKS sets the labels under its prefix itself (eks.amazonaws.com/nodegroup, .../capacityType, ...).
_EKS_LABEL_PREFIX: Final = "eks.amazonaws.com/"
RESERVED_NAMESPACES: Final = ("default", "kube-system", "kube-public", "kube-node-lease")

# Amazon EKS service quotas: "Nodes per managed node group", 450.
MAX_NODES_PER_GROUP: Final = 450
# EBS General Purpose SSD (gp2, gp3) volumes: 1 GiB to 16 TiB.
MAX_EBS_VOLUME_GIB: Final = 16384
MAX_GPUS_PER_INSTANCE: Final = max(i.gpus for i in GPU_INSTANCE_TYPES.values())
MAX_GPU_MEMORY_GIB: Final = max(i.gpus * i.gpu_memory_gib for i in GPU_INSTANCE_TYPES.values())

_LARGEST_NODE_MEMORY = f"{max(i.memory_gib for i in GPU_INSTANCE_TYPES.values())}Gi"
# A NIM pod's memory: at least 1 GiB (the NIM runtime alone needs more), at most the largest node.
NimMemory = Annotated[
    MemoryQuantity, memory_range("1Gi", _LARGEST_NODE_MEMORY, "a NIM pod needs at least 1Gi and must fit a node")
]
# /dev/shm: at least the container runtime's own default of 64 MiB (Docker run reference,
# --shm-size), at most the largest node (the tmpfs counts against the pod's memory).
ShmSize = Annotated[MemoryQuantity, memory_range("64Mi", _LARGEST_NODE_MEMORY, "at least the runtime default of 64Mi")]
# The model cache claim: EBS volumes have 1 GiB to 64 TiB (io2 Block Express; gp2/gp3 up to
# 16 TiB, checked against the class); Amazon EBS User Guide, "Amazon EBS volume types".
EBS_MAX_VOLUME = "64Ti"
EBS_GP_MAX_VOLUME = f"{MAX_EBS_VOLUME_GIB}Gi"
CacheSize = Annotated[MemoryQuantity, memory_range("1Gi", EBS_MAX_VOLUME, "the EBS volume size range")]
STACK_STORAGE_CLASS: Final = "gp3"
"""The encrypted gp3 EBS StorageClass the stack creates on a cluster it creates."""
EKS_DEFAULT_STORAGE_CLASS: Final = "gp2"
"""The EBS (in-tree) default StorageClass EKS creates in clusters made before Kubernetes 1.30."""

# CloudWatch Logs accepts only these retention periods.
LogRetentionDays = Literal[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
]


def quantity_gib(quantity: str) -> float:
    """GiB in a memory quantity such as ``16Gi``, ``512Mi`` or ``64G``."""
    return gib(quantity)


def cpu_cores(quantity: str) -> float:
    """Cores in a CPU quantity such as ``4``, ``0.5`` or ``500m``."""
    return cores(quantity)


def ami_needs_device_plugin(ami_type: str) -> bool:
    """AL2023 NVIDIA AMIs need the NVIDIA device plugin installed; Bottlerocket NVIDIA AMIs ship it."""
    return ami_type.startswith("AL2023_")


def ami_ships_dcgm_exporter(ami_type: str) -> bool:
    """Whether the AMI already runs an NVIDIA DCGM exporter on its nodes.

    Neither family the stack supports does: the EKS-optimized AL2023 NVIDIA AMIs install the
    driver, the container toolkit and (on some releases) the DCGM host engine, but no exporter;
    Bottlerocket NVIDIA variants ship the driver and the device plugin only. A node group on a
    custom image that runs its own exporter sets ``dcgmExporter: false``.
    """
    return False


def ami_architecture(ami_type: str) -> str:
    return "arm64" if "_ARM_64_" in ami_type else "x86_64"


def _check_subnets(value: list[str]) -> list[str]:
    for subnet in value:
        if not _SUBNET.match(subnet):
            raise ValueError(f"{subnet!r} is not a subnet id (subnet-0123abcd...)")
    if len(set(value)) != len(value):
        raise ValueError("lists a subnet twice")
    return value


class SystemNodeGroupConfig(ConfigModel):
    """Untainted nodes for CoreDNS, the EBS CSI controller and other system pods (created clusters).

    GPU nodes are tainted, so a cluster made only of GPU node groups could not run CoreDNS.
    """

    instance_types: Annotated[list[str], Field(min_length=1, max_length=20)] = Field(
        default_factory=lambda: ["m7i.large"]
    )
    min_size: Annotated[int, Field(ge=1, le=MAX_NODES_PER_GROUP)] = 2
    """At least 1 (system pods need a node), at most 450 (Amazon EKS service quotas: nodes per managed node group)."""
    desired_size: Annotated[int, Field(ge=1, le=MAX_NODES_PER_GROUP)] = 2
    """``minSize <= desiredSize <= maxSize``; at most 450 (EKS quota)."""
    max_size: Annotated[int, Field(ge=1, le=MAX_NODES_PER_GROUP)] = 3
    """At most 450 (EKS quota)."""
    disk_size_gib: Annotated[int, Field(ge=20, le=MAX_EBS_VOLUME_GIB)] = 50
    """Root volume size: at least the EKS default of 20 GiB, at most 16384 GiB (EBS gp2/gp3 volumes: up to 16 TiB)."""

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        for itype in value:
            if not _INSTANCE_TYPE.match(itype):
                raise ValueError(f"{itype!r} is not an EC2 instance type")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> SystemNodeGroupConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError("@desiredSize: must satisfy minSize <= desiredSize <= maxSize")
        return self


class EksConfig(ConfigModel):
    cluster_name: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")]
    """EKS cluster name (looked up, or created with ``create: true``)."""
    create: bool = False
    """Create the cluster (needs ``subnetIds``); false = look up an existing cluster by name."""
    version: EksVersionText = "1.35"
    """Kubernetes version of a created cluster (node groups follow the cluster's version); quote it in YAML. One of
    the dated table in ``policies/rules/_eks_versions.py`` (AWS's EKS Kubernetes release calendar): a version past
    its end of extended support is refused (EKS no longer creates it and upgrades existing control planes); past
    its end of standard support it is reported by the ``eks-cluster-version-in-standard-support`` policy (extra cost
    per cluster hour), advisory or mandatory as the stack's policy configuration says."""
    subnet_ids: list[str] = Field(default_factory=list)
    """Created cluster: its subnets (at least two AZs). Existing cluster: default node-group subnets."""
    endpoint_public_access: bool = False
    """Created cluster: make the API endpoint public (default private: ``pulumi up`` must then run inside the VPC)."""
    admin_role_arns: list[IamRoleArn] = Field(default_factory=list)
    """IAM roles granted cluster-admin through EKS access entries (created clusters)."""
    kubeconfig_context: Annotated[str, StringConstraints(min_length=1)] | None = None
    """For an existing cluster: use this kubeconfig context instead of ``aws eks get-token``; never empty (an empty
    context silently means "whatever kubectl points at"): omit the key instead."""
    system_node_group: SystemNodeGroupConfig = Field(default_factory=SystemNodeGroupConfig)
    """Created cluster: the untainted node group for system pods."""
    log_retention_days: LogRetentionDays = 90
    """Created cluster: retention of the control-plane log group (api, audit, authenticator); one of the values
    CloudWatch Logs accepts (``PutRetentionPolicy``)."""
    device_plugin_image: PinnedImage = DEVICE_PLUGIN_IMAGE
    """Image of the NVIDIA device plugin the stack deploys for AL2023 GPU node groups (e.g. a mirror of
    ``nvcr.io/nvidia/k8s-device-plugin``), pinned like every image."""

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        return _check_subnets(value)

    @model_validator(mode="after")
    def _create_needs_subnets(self) -> EksConfig:
        if self.create and len(self.subnet_ids) < 2:
            raise ValueError("@subnetIds: a created cluster needs at least two subnets in different AZs")
        if self.create and self.kubeconfig_context is not None:
            raise ValueError("@kubeconfigContext: only for an existing cluster (create is true)")
        if not self.create:
            created_only = ("endpoint_public_access", "admin_role_arns", "system_node_group", "log_retention_days")
            for field in created_only:
                if field in self.model_fields_set:
                    alias = type(self).model_fields[field].alias or field
                    raise ValueError(f"@{alias}: only applies to a cluster this stack creates (create: true)")
        return self


class ScalingConfig(ConfigModel):
    min_size: Annotated[int, Field(ge=0, le=MAX_NODES_PER_GROUP)] = 0
    """0-450 (EKS ``NodegroupScalingConfig.minSize`` ≥ 0; Amazon EKS service quotas: 450 nodes per managed node
    group)."""
    desired_size: Annotated[int, Field(ge=0, le=MAX_NODES_PER_GROUP)] = 1
    """0-450, between ``minSize`` and ``maxSize``."""
    max_size: Annotated[int, Field(ge=1, le=MAX_NODES_PER_GROUP)] = 2
    """1-450 (``maxSize`` ≥ 1; EKS quota)."""

    @model_validator(mode="after")
    def _ordered(self) -> ScalingConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError("@desiredSize: must satisfy minSize <= desiredSize <= maxSize")
        return self


class GpuNodeGroupConfig(ConfigModel):
    name: K8sName
    """Also the EKS node group name (label ``eks.amazonaws.com/nodegroup``); unique in the cluster. Its node role
    ``<name>-node-role-xxxxxxx`` (Pulumi appends ``-`` + 7 random characters) must fit IAM's 64, so at most 46
    characters."""
    ami_type: NvidiaAmiType
    """NVIDIA EKS AMI type; Amazon Linux 2 is refused (end of life). Its architecture must match the instance types."""
    instance_types: Annotated[list[str], Field(min_length=1, max_length=20)]
    """NVIDIA GPU instance types from the table in ``policies/rules/_gpu_nodes.py``, each once."""
    disk_size_gib: Annotated[int, Field(ge=100, le=MAX_EBS_VOLUME_GIB)] = 200
    """Root volume size; at least 100 GiB because NIM images exceed 10 GB; at most 16384 GiB (EBS gp2/gp3 volumes: up
    to 16 TiB)."""
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    """``minSize <= desiredSize <= maxSize``; no autoscaler is installed, so ``desiredSize`` is what runs."""
    max_unavailable: Annotated[int, Field(ge=1, le=100)] = 1
    """Nodes replaced at once during updates: 1-100 (EKS ``NodegroupUpdateConfig.maxUnavailable``: "The maximum number
    is 100", botocore eks model)."""
    subnet_ids: list[str] = Field(default_factory=list)
    """Defaults to ``eks.subnetIds``, else the cluster's subnets."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra node labels, Kubernetes grammar (``[prefix/]name``, name and value at most 63 characters) within EKS's
    node-group limits (key and value 1-63 characters in all); not the stack's own (``nvidia.com/gpu.present``,
    ``ai-observability/nvidia-device-plugin``, ``ai-observability/dcgm-exporter``) or EKS's (``eks.amazonaws.com/``),
    and nothing the kubelet refuses: keys in the ``kubernetes.io`` / ``k8s.io`` namespaces only under
    ``node.kubernetes.io/`` or ``kubelet.kubernetes.io/`` (``node-role.kubernetes.io/*`` is refused), and none of the
    labels the kubelet sets itself (``kubernetes.io/arch``, ``topology.kubernetes.io/zone``, ...)."""
    dcgm_exporter: bool | None = None
    """Run the stack's DCGM exporter on these nodes; default: unless the AMI already ships one."""

    @field_validator("ami_type", mode="before")
    @classmethod
    def _nvidia_ami(cls, value: Any) -> Any:
        allowed = ", ".join(NVIDIA_AMI_TYPES)
        if isinstance(value, str) and value.startswith("AL2_"):
            raise ValueError(
                "Amazon Linux 2 is end of life (no EKS AMIs after 2025-11-26); "
                f"use AL2023_x86_64_NVIDIA or BOTTLEROCKET_x86_64_NVIDIA (allowed: {allowed})"
            )
        if isinstance(value, str) and value not in NVIDIA_AMI_TYPES:
            raise ValueError(f"not an NVIDIA AMI type; allowed: {allowed}")
        return value

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        families = ", ".join(GPU_FAMILIES)
        for itype in value:
            if not _INSTANCE_TYPE.match(itype):
                raise ValueError(f"{itype!r} is not an EC2 instance type (allowed families: {families})")
            if gpu_instance(itype) is None:
                raise ValueError(
                    f"{itype!r} is not a supported NVIDIA GPU instance type; allowed families: {families} "
                    "(e.g. g5.xlarge, g6.12xlarge, g6e.12xlarge, p4d.24xlarge, p5.48xlarge)"
                )
        if len(set(value)) != len(value):
            raise ValueError("lists an instance type twice")
        return value

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        return _check_subnets(value)

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        problems = []
        for key, label_value in value.items():
            problem = label_problem(key, label_value)
            if problem is None and (key in _RESERVED_LABEL_KEYS or key.startswith(_EKS_LABEL_PREFIX)):
                problem = f"label {key!r} is set by the stack or by EKS; choose another label key"
            if problem is None and (kubelet := kubelet_node_label_problem(key)) is not None:
                problem = f"label {key!r} {kubelet}"
            if problem is None:
                problem = eks_node_label_problem(key, label_value)
            if problem is not None:
                problems.append(problem)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _architecture(self) -> GpuNodeGroupConfig:
        wanted = ami_architecture(self.ami_type)
        for itype in self.instance_types:
            instance = gpu_instance(itype)
            if instance is not None and instance.architecture != wanted:
                raise ValueError(
                    f"@amiType: {self.ami_type} is for {wanted} instances, but {itype} is {instance.architecture}"
                )
        return self

    @property
    def needs_device_plugin(self) -> bool:
        return ami_needs_device_plugin(self.ami_type)

    @property
    def needs_dcgm_exporter(self) -> bool:
        if self.dcgm_exporter is not None:
            return self.dcgm_exporter
        return not ami_ships_dcgm_exporter(self.ami_type)


# A NIM's name becomes a Service (DNS-1035 label: starts with a letter, at most 63), a Deployment,
# NetworkPolicy and label value (DNS-1123 label / label value, at most 63) and the prefix of its
# Secrets and PVC (DNS-1123 subdomains). Kubernetes docs, "Object Names and IDs".
NIM_NAME_PATTERN = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
NimName = Annotated[str, StringConstraints(pattern=NIM_NAME_PATTERN, max_length=63)]
SYSTEM_NAMESPACES: Final = ("kube-system", "kube-public", "kube-node-lease")


class NimConfig(ConfigModel):
    name: NimName
    """Also the Service name, so a DNS-1035 label: lower-case letter first (``llama-8b``, not ``8b-llama``)."""
    image: PinnedImage
    """Pinned image: ``nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6``, ``...@sha256:<digest>`` or both (never a
    ``latest`` tag, in any letter case); the policy pack's ``nim-images-pinned`` applies the same rule."""
    namespace: K8sName = "nim"
    """Namespace the stack creates for the NIM: not ``default`` or ``kube-*``, not the collector's or Kong's."""
    gpus: Annotated[int, Field(ge=1, le=MAX_GPUS_PER_INSTANCE)] = 1
    """GPUs per pod (requests = limits); must fit every instance type of the node group; at most the most GPUs
    any instance type of the GPU table has."""
    node_group: K8sName | None = None
    """GPU node group the model runs on (capacity is checked against its instance types)."""
    replicas: Annotated[int, Field(ge=1, le=64)] = 1
    """More than one needs ``cacheAccessMode: ReadWriteMany``. 1-64: the stack's bound (the capacity check also
    holds ``replicas × gpus`` to the node group's ``desiredSize`` nodes)."""
    cache_size: CacheSize = "100Gi"
    """Model cache claim size: 1Gi-64Ti (the EBS volume range), at most 16Ti on the stack's ``gp3`` or EKS's ``gp2``
    class (or the default class)."""
    cache_access_mode: Literal["ReadWriteOnce", "ReadWriteMany"] = "ReadWriteOnce"
    """ReadWriteMany (e.g. EFS) is needed for more than one replica; EBS volumes attach to one node only, so it needs
    an explicit ``storageClass`` that is neither the stack's ``gp3`` nor EKS's ``gp2``."""
    storage_class: K8sName | None = None
    """Defaults to the stack's ``gp3`` class on a created cluster, else the cluster's default class."""
    shm_size: ShmSize = "16Gi"
    """Memory-backed ``/dev/shm``, at least 64Mi; smaller than ``memoryLimit`` (the tmpfs counts against it)."""
    memory_limit: NimMemory = "48Gi"
    """Pod memory (request = limit), at least 1Gi; must cover model host RAM plus ``shmSize``."""
    cpu_request: CpuQuantity = "4"
    """CPU request; with ``memoryLimit`` it must fit the node (capacity minus a 10 % memory and 0.5 vCPU reserve)."""
    min_gpu_memory_gib: Annotated[int, Field(ge=1, le=MAX_GPU_MEMORY_GIB)] | None = None
    """GPU memory the model needs across its ``gpus`` (e.g. ~131 for Llama-3.1-70B in BF16); at most the largest total
    GPU memory of any instance type of the GPU table."""
    ngc_credentials: bool = True
    """Create the NGC pull and API-key secrets (needs ``ai-observability:ngcApiKey``)."""
    read_only_root_filesystem: bool = True
    """Run with a read-only root filesystem (writable: model cache, /tmp); false for images that need it."""

    @field_validator("namespace")
    @classmethod
    def _own_namespace(cls, value: str) -> str:
        if value in RESERVED_NAMESPACES:
            raise ValueError(f"{value!r} is reserved; NIMs get a namespace of their own (e.g. 'nim')")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NimConfig:
        if self.replicas > 1 and self.cache_access_mode == "ReadWriteOnce":
            raise ValueError(
                "@replicas: more than one replica needs cacheAccessMode: ReadWriteMany "
                "(a ReadWriteOnce model cache attaches to one node only)"
            )
        if quantity_gib(self.memory_limit) <= quantity_gib(self.shm_size):
            raise ValueError(
                f"@memoryLimit: must be larger than shmSize ({self.shm_size}): "
                "the memory-backed /dev/shm counts against the pod's memory limit"
            )
        return self
