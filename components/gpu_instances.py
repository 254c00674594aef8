"""The GPU instance types a GPU node group may use: GPUs, GPU memory, vCPUs and host memory.

One table, used by config validation (``components.config``) and by the node-group
component. Figures: the facts sheet (``reference/kubernetes.md`` §1) for GPUs and GPU
memory; vCPUs and host memory from the EC2 instance type specifications. Pure data: no
Pulumi imports, so the config layer can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Architecture = Literal["x86_64", "arm64"]


@dataclass(frozen=True)
class GpuInstance:
    """One EC2 instance type with NVIDIA GPUs."""

    family: str
    gpus: int
    gpu_model: str
    gpu_memory_gib: int
    """Memory of ONE GPU."""
    vcpus: int
    memory_gib: int
    """Host memory (RAM) of the instance."""
    architecture: Architecture = "x86_64"

    @property
    def total_gpu_memory_gib(self) -> int:
        return self.gpus * self.gpu_memory_gib


def _family(
    family: str, gpu_model: str, gpu_memory_gib: int, sizes: dict[str, tuple[int, int, int]]
) -> dict[str, GpuInstance]:
    """``{size: (gpus, vcpus, memory_gib)}`` → ``{"<family>.<size>": GpuInstance}``."""
    return {
        f"{family}.{size}": GpuInstance(family, gpus, gpu_model, gpu_memory_gib, vcpus, memory_gib)
        for size, (gpus, vcpus, memory_gib) in sizes.items()
    }


# g5 and g6 share their size ladder (1 GPU up to 16xlarge, 4 GPUs at 12/24xlarge, 8 at 48xlarge).
_G5_G6_SIZES: Final = {
    "xlarge": (1, 4, 16),
    "2xlarge": (1, 8, 32),
    "4xlarge": (1, 16, 64),
    "8xlarge": (1, 32, 128),
    "16xlarge": (1, 64, 256),
    "12xlarge": (4, 48, 192),
    "24xlarge": (4, 96, 384),
    "48xlarge": (8, 192, 768),
}
_G6E_SIZES: Final = {
    "xlarge": (1, 4, 32),
    "2xlarge": (1, 8, 64),
    "4xlarge": (1, 16, 128),
    "8xlarge": (1, 32, 256),
    "16xlarge": (1, 64, 512),
    "12xlarge": (4, 48, 384),
    "24xlarge": (4, 96, 768),
    "48xlarge": (8, 192, 1536),
}

GPU_INSTANCE_TYPES: Final[dict[str, GpuInstance]] = {
    **_family("g5", "NVIDIA A10G", 24, _G5_G6_SIZES),
    **_family("g6", "NVIDIA L4", 24, _G5_G6_SIZES),
    **_family("g6e", "NVIDIA L40S", 48, _G6E_SIZES),
    **_family("p4d", "NVIDIA A100", 40, {"24xlarge": (8, 96, 1152)}),
    **_family("p4de", "NVIDIA A100", 80, {"24xlarge": (8, 96, 1152)}),
    **_family("p5", "NVIDIA H100", 80, {"4xlarge": (1, 16, 256), "48xlarge": (8, 192, 2048)}),
}
"""Every instance type a GPU node group may use, by EC2 API name."""

GPU_FAMILIES: Final[tuple[str, ...]] = tuple(dict.fromkeys(i.family for i in GPU_INSTANCE_TYPES.values()))

# What a node keeps for the kubelet, the OS and the DaemonSets (device plugin, collector, CNI):
# a pod request must leave at least this much of the instance free to ever be scheduled.
RESERVED_VCPUS: Final = 0.5
RESERVED_MEMORY_FRACTION: Final = 0.10


def gpu_instance(instance_type: str) -> GpuInstance | None:
    """The table entry for ``instance_type`` (``None`` if it is not a supported GPU type)."""
    return GPU_INSTANCE_TYPES.get(instance_type)


def schedulable_vcpus(instance: GpuInstance) -> float:
    """vCPUs a single pod may request on this instance type (capacity minus the reserve)."""
    return instance.vcpus - RESERVED_VCPUS


def schedulable_memory_gib(instance: GpuInstance) -> float:
    """Memory (GiB) a single pod may request on this instance type (capacity minus the reserve)."""
    return instance.memory_gib * (1 - RESERVED_MEMORY_FRACTION)
