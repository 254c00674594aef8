"""EKS GPU node groups carry the GPU ``NoSchedule`` taint.

Applies to GPU node groups. Compliant when the node group has a taint with key ``taintKey``
(default ``nvidia.com/gpu``) and effect ``NO_SCHEDULE``.

Why: without it any pod lands on expensive GPU nodes and can starve model servers of memory and
CPU.

Fix: keep the taint the kubernetes component adds to every entry of
``ai-observability:gpuNodeGroups`` (key ``nvidia.com/gpu``, effect ``NO_SCHEDULE``).
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._gpu import unless_gpu_node_group
from ._gpu_nodes import GPU_TAINT_KEY
from ._support import ResourceRule, Verdict, compliant, items, judge, label, schema, settings, text, violation

TAINT_CONFIG = schema(
    taintKey={"type": "string", "default": GPU_TAINT_KEY, "description": "Taint key GPU nodes must carry."}
)


def check(args: ResourceValidationArgs) -> Verdict:
    """A GPU node group carries the GPU NoSchedule taint."""
    if (skip := unless_gpu_node_group(args)) is not None:
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
    check,
    config_schema=TAINT_CONFIG,
    remediation_steps="Add taint nvidia.com/gpu=true:NO_SCHEDULE to the node group.",
)
