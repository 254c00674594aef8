"""EKS GPU node groups run NVIDIA AMIs, are tainted, have room for model images and use
approved instance types. A node group is a GPU node group when its AMI type is a GPU/NVIDIA
one, an instance type is from a GPU family (g*, p*), or it carries the NVIDIA label/taint.

- ``gpu-node-groups-use-nvidia-ami``
- ``gpu-node-groups-tainted``
- ``gpu-node-groups-disk-at-least-min`` (default 100 GiB)
- ``gpu-node-groups-use-allowed-instance-types`` (glob patterns, configurable)
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._gpu_nodes import GPU_FAMILIES, GPU_PRESENT_LABEL, GPU_TAINT_KEY, NVIDIA_AMI_TYPES
from ._support import (
    ResourceRule,
    Verdict,
    compliant,
    get,
    items,
    judge,
    label,
    not_applicable,
    number,
    obj,
    schema,
    settings,
    string_list,
    text,
    violation,
)

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEFAULT_INSTANCE_TYPES = [f"{family}.*" for family in GPU_FAMILIES]
_GPU_FAMILY = re.compile(r"^[gp]\d")


def instance_types(props: Mapping[str, Any]) -> list[str]:
    return [t for t in items(props, "instanceTypes") if isinstance(t, str)]


def is_gpu_node_group(resource_type: str, props: Mapping[str, Any]) -> bool:
    if resource_type != NODE_GROUP:
        return False
    ami = text(props, "amiType") or ""
    if "NVIDIA" in ami or "GPU" in ami:
        return True
    if any(_GPU_FAMILY.match(t) for t in instance_types(props)):
        return True
    if get(props, "labels", GPU_PRESENT_LABEL) is not None:
        return True
    return any(text(t, "key") == GPU_TAINT_KEY for t in items(props, "taints"))


def _gpu(args: ResourceValidationArgs) -> Verdict | None:
    if not is_gpu_node_group(args.resource_type, args.props):
        return not_applicable("only EKS node groups with GPUs")
    return None


AMI_CONFIG = schema(
    allowedAmiTypes=string_list(
        list(NVIDIA_AMI_TYPES), "AMI types GPU node groups may use (NVIDIA AL2023/Bottlerocket)."
    )
)


def check_ami(args: ResourceValidationArgs) -> Verdict:
    """A GPU node group uses an NVIDIA AMI type."""
    if (skip := _gpu(args)) is not None:
        return skip
    allowed = list(settings(args, AMI_CONFIG)["allowedAmiTypes"])
    ami = text(args.props, "amiType")
    if ami in allowed:
        return compliant()
    return judge(
        [
            violation(
                f"GPU node group {label(args)} uses AMI type {ami!r}, not an NVIDIA one",
                "only the NVIDIA AMIs ship the GPU driver and container toolkit; AL2_x86_64_GPU is end of "
                "life (no AMIs after 2025-11-26)",
                f"set ai-observability:gpuNodeGroups[].amiType to one of {', '.join(allowed)}",
            )
        ]
    )


gpu_node_groups_use_nvidia_ami = ResourceRule(
    "gpu-node-groups-use-nvidia-ami",
    "EKS GPU node groups use NVIDIA AMI types.",
    check_ami,
    config_schema=AMI_CONFIG,
    remediation_steps="Set amiType to AL2023_x86_64_NVIDIA or a BOTTLEROCKET_*_NVIDIA type.",
)

TAINT_CONFIG = schema(
    taintKey={"type": "string", "default": GPU_TAINT_KEY, "description": "Taint key GPU nodes must carry."}
)


def check_taint(args: ResourceValidationArgs) -> Verdict:
    """A GPU node group carries the GPU NoSchedule taint."""
    if (skip := _gpu(args)) is not None:
        return skip
    key = str(settings(args, TAINT_CONFIG)["taintKey"])
    if any(text(t, "key") == key and text(t, "effect") == "NO_SCHEDULE" for t in items(args.props, "taints")):
        return compliant()
    return judge(
        [
            violation(
                f"GPU node group {label(args)} has no {key}:NoSchedule taint",
                "without it any pod lands on expensive GPU nodes and can starve model servers of memory/CPU",
                "keep the taint the kubernetes component adds to every entry of ai-observability:gpuNodeGroups "
                f"(key {key}, effect NO_SCHEDULE)",
            )
        ]
    )


gpu_node_groups_tainted = ResourceRule(
    "gpu-node-groups-tainted",
    "EKS GPU node groups carry the nvidia.com/gpu NoSchedule taint.",
    check_taint,
    config_schema=TAINT_CONFIG,
    remediation_steps="Add taint nvidia.com/gpu=true:NO_SCHEDULE to the node group.",
)

DISK_CONFIG = schema(
    minDiskSizeGib={"type": "integer", "minimum": 1, "default": 100, "description": "Smallest node disk in GiB."}
)


def check_disk(args: ResourceValidationArgs) -> Verdict:
    """A GPU node group's disk is at least minDiskSizeGib."""
    if (skip := _gpu(args)) is not None:
        return skip
    minimum = int(settings(args, DISK_CONFIG)["minDiskSizeGib"])
    size = number(args.props, "diskSize")
    if size is None and obj(args.props, "launchTemplate"):
        return not_applicable("the disk is defined by the node group's launch template")
    effective = 20.0 if size is None else size
    if effective >= minimum:
        return compliant()
    return judge(
        [
            violation(
                f"GPU node group {label(args)} has a {effective:g} GiB disk; at least {minimum} GiB required",
                "NIM images exceed 10 GB and models are cached on the node: the default 20 GiB disk fills up "
                "and pods get evicted",
                f"set ai-observability:gpuNodeGroups[].diskSizeGib to {minimum} or more",
            )
        ]
    )


gpu_node_groups_disk_at_least_min = ResourceRule(
    "gpu-node-groups-disk-at-least-min",
    "EKS GPU node groups have at least minDiskSizeGib of disk (default 100 GiB).",
    check_disk,
    config_schema=DISK_CONFIG,
    remediation_steps="Raise diskSizeGib of the GPU node group.",
)

TYPES_CONFIG = schema(
    allowedInstanceTypes=string_list(
        DEFAULT_INSTANCE_TYPES, "Instance types (glob patterns such as g6.*) GPU node groups may use."
    )
)


def check_instance_types(args: ResourceValidationArgs) -> Verdict:
    """Every instance type of a GPU node group is on the allowed list."""
    if (skip := _gpu(args)) is not None:
        return skip
    allowed = [str(p) for p in settings(args, TYPES_CONFIG)["allowedInstanceTypes"]]
    types = instance_types(args.props) or ["t3.medium (EKS default)"]
    rejected = [t for t in types if not any(fnmatch.fnmatchcase(t, p) for p in allowed)]
    return judge(
        violation(
            f"GPU node group {label(args)} uses instance type {t}, not in the allowed list ({', '.join(allowed)})",
            "approved GPU types are the ones sized, budgeted and quota-checked for model serving",
            "pick an allowed type in ai-observability:gpuNodeGroups[].instanceTypes, or extend "
            "gpu-node-groups-use-allowed-instance-types.allowedInstanceTypes in the policy pack config",
        )
        for t in rejected
    )


gpu_node_groups_use_allowed_instance_types = ResourceRule(
    "gpu-node-groups-use-allowed-instance-types",
    "EKS GPU node groups use instance types from the allowed list.",
    check_instance_types,
    config_schema=TYPES_CONFIG,
    remediation_steps="Use an allowed GPU instance type.",
)
