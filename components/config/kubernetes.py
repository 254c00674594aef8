"""``ai-observability:eks``, ``gpuNodeGroups`` and ``nims`` — the self-hosted model side."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from ._base import ConfigModel, K8sName

NvidiaAmiType = Literal[
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_FIPS_NVIDIA",
    "BOTTLEROCKET_ARM_64_FIPS_NVIDIA",
]
Quantity = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]*(Ki|Mi|Gi|Ti)$")]
CpuQuantity = Annotated[str, StringConstraints(pattern=r"^([1-9][0-9]*m|[0-9]+(\.[0-9]+)?)$")]
_SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$")
_IMAGE = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]{1,128}$")


class EksConfig(ConfigModel):
    cluster_name: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")]
    create: bool = False
    """Create the cluster (needs ``subnetIds``); false = look up an existing cluster by name."""
    version: Annotated[str, StringConstraints(pattern=r"^1\.(2[89]|3[0-9])$")] = "1.33"
    subnet_ids: list[str] = Field(default_factory=list)
    endpoint_public_access: bool = False
    admin_role_arns: list[str] = Field(default_factory=list)
    """IAM roles granted cluster-admin through EKS access entries (created clusters)."""
    kubeconfig_context: str | None = None
    """For an existing cluster: use this kubeconfig context instead of ``aws eks get-token``."""

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not _SUBNET.match(subnet):
                raise ValueError(f"{subnet!r} is not a subnet id (subnet-0123abcd...)")
        return value

    @field_validator("admin_role_arns")
    @classmethod
    def _roles(cls, value: list[str]) -> list[str]:
        for arn in value:
            if not _ROLE_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN")
        return value

    @model_validator(mode="after")
    def _create_needs_subnets(self) -> EksConfig:
        if self.create and len(self.subnet_ids) < 2:
            raise ValueError("@subnetIds: a created cluster needs at least two subnets in different AZs")
        if self.create and self.kubeconfig_context is not None:
            raise ValueError("@kubeconfigContext: only for an existing cluster (create is true)")
        return self


class ScalingConfig(ConfigModel):
    min_size: Annotated[int, Field(ge=0, le=450)] = 0
    desired_size: Annotated[int, Field(ge=0, le=450)] = 1
    max_size: Annotated[int, Field(ge=1, le=450)] = 2

    @model_validator(mode="after")
    def _ordered(self) -> ScalingConfig:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError("@desiredSize: must satisfy minSize <= desiredSize <= maxSize")
        return self


class GpuNodeGroupConfig(ConfigModel):
    name: K8sName
    ami_type: NvidiaAmiType
    instance_types: Annotated[list[str], Field(min_length=1, max_length=20)]
    disk_size_gib: Annotated[int, Field(ge=100, le=16384)] = 200
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    max_unavailable: Annotated[int, Field(ge=1, le=100)] = 1
    subnet_ids: list[str] = Field(default_factory=list)
    """Defaults to the cluster's subnets."""
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        for itype in value:
            if not re.fullmatch(r"[a-z][a-z0-9-]*\.[0-9a-z]+", itype):
                raise ValueError(f"{itype!r} is not an EC2 instance type")
        return value

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, value: list[str]) -> list[str]:
        for subnet in value:
            if not _SUBNET.match(subnet):
                raise ValueError(f"{subnet!r} is not a subnet id (subnet-0123abcd...)")
        return value


class NimConfig(ConfigModel):
    name: K8sName
    image: str
    """Pinned image, e.g. ``nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6`` (no ``latest``)."""
    namespace: K8sName = "nim"
    gpus: Annotated[int, Field(ge=1, le=8)] = 1
    node_group: K8sName | None = None
    """GPU node group the model runs on (capacity is checked against its instance types)."""
    replicas: Annotated[int, Field(ge=1, le=64)] = 1
    cache_size: Quantity = "100Gi"
    storage_class: K8sName | None = None
    shm_size: Quantity = "16Gi"
    memory_limit: Quantity = "48Gi"
    cpu_request: CpuQuantity = "4"
    ngc_credentials: bool = True
    """Create the NGC pull and API-key secrets (needs ``ai-observability:ngcApiKey``)."""

    @field_validator("image")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not _IMAGE.match(value):
            raise ValueError("must be <registry>/<repository>:<tag>, e.g. nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6")
        if value.rsplit(":", 1)[1] == "latest":
            raise ValueError("must pin a version tag, not 'latest'")
        return value
