"""GPU node facts shared by the policy pack and the stack config: NVIDIA AMI types, the GPU
instance table, and the taint and label GPU nodes carry.

Kept free of third-party imports: the pack runs it under the engine, and the program's config
(``components.config.kubernetes`` and its cross-checks) imports it from here, so a node group
the config accepts is one the pack's defaults accept too.

Sources: EKS API Reference, ``Nodegroup.amiType`` (the ``*_NVIDIA`` values); the Amazon EC2
instance type specifications (accelerated computing) for GPUs, GPU memory, vCPUs and memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

NvidiaAmiType = Literal[
    "AL2023_x86_64_NVIDIA",
    "AL2023_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "BOTTLEROCKET_x86_64_FIPS_NVIDIA",
    "BOTTLEROCKET_ARM_64_FIPS_NVIDIA",
]
"""EKS AMI types that ship the NVIDIA driver and container toolkit."""
NVIDIA_AMI_TYPES: Final[tuple[str, ...]] = get_args(NvidiaAmiType)

GPU_TAINT_KEY: Final = "nvidia.com/gpu"
"""Key of the ``NoSchedule`` taint on GPU nodes; workloads that may run there tolerate it."""
GPU_TAINT_VALUE: Final = "true"
GPU_PRESENT_LABEL: Final = "nvidia.com/gpu.present"
"""Label the stack sets on GPU nodes (the key NVIDIA GPU Feature Discovery uses for the same fact)."""

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
    # H200 GPUs carry 141 GB each; p5en differs from p5e in its CPUs and network, not its GPUs.
    **_family("p5e", "NVIDIA H200", 141, {"48xlarge": (8, 192, 2048)}),
    **_family("p5en", "NVIDIA H200", 141, {"48xlarge": (8, 192, 2048)}),
}
"""Every instance type a GPU node group may use, by EC2 API name."""

GPU_FAMILIES: Final[tuple[str, ...]] = tuple(dict.fromkeys(i.family for i in GPU_INSTANCE_TYPES.values()))


def gpu_instance(instance_type: str) -> GpuInstance | None:
    """The table entry for ``instance_type`` (``None`` if it is not a supported GPU type)."""
    return GPU_INSTANCE_TYPES.get(instance_type)
