"""EKS GPU node groups use NVIDIA AMI types.

Applies to GPU node groups (an NVIDIA/GPU AMI type, a ``g*``/``p*`` instance type, or the NVIDIA
label or taint). Compliant when ``amiType`` is one of ``allowedAmiTypes`` (default: the AL2023
and Bottlerocket NVIDIA types).

Why: only the NVIDIA AMIs ship the GPU driver and container toolkit; ``AL2_x86_64_GPU`` is end of
life (no AMIs after 2025-11-26).

Fix: set ``ai-observability:gpuNodeGroups[].amiType`` to ``AL2023_x86_64_NVIDIA`` or a
``BOTTLEROCKET_*_NVIDIA`` type.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._gpu import unless_gpu_node_group
from ._gpu_nodes import NVIDIA_AMI_TYPES
from ._support import ResourceRule, Verdict, compliant, judge, label, schema, settings, string_list, text, violation

AMI_CONFIG = schema(
    allowedAmiTypes=string_list(
        list(NVIDIA_AMI_TYPES), "AMI types GPU node groups may use (NVIDIA AL2023/Bottlerocket)."
    )
)


def check(args: ResourceValidationArgs) -> Verdict:
    """A GPU node group uses an NVIDIA AMI type."""
    if (skip := unless_gpu_node_group(args)) is not None:
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
    check,
    config_schema=AMI_CONFIG,
    remediation_steps="Set amiType to AL2023_x86_64_NVIDIA or a BOTTLEROCKET_*_NVIDIA type.",
)
