"""Which EKS node groups are GPU node groups.

A node group is a GPU node group when its AMI type is a GPU/NVIDIA one, an instance type is from
a GPU family (``g*``, ``p*``), or it carries the NVIDIA label or taint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._gpu_nodes import GPU_PRESENT_LABEL, GPU_TAINT_KEY
from ._support import Verdict, get, items, not_applicable, text

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
_GPU_FAMILY = re.compile(r"^[gp][0-9]")


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


def unless_gpu_node_group(args: ResourceValidationArgs) -> Verdict | None:
    """Not applicable unless ``args`` is a GPU node group (None when it is one)."""
    if not is_gpu_node_group(args.resource_type, args.props):
        return not_applicable("only EKS node groups with GPUs")
    return None
