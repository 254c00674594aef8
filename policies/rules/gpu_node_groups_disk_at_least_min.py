"""EKS GPU node groups have at least ``minDiskSizeGib`` of disk (default 100 GiB).

Applies to GPU node groups that define their disk themselves (a launch template makes the rule
not applicable). Compliant when ``diskSize`` — the EKS default of 20 GiB when unset — is at
least ``minDiskSizeGib``.

Why: NIM images exceed 10 GB and models are cached on the node: the default 20 GiB disk fills up
and pods get evicted.

Fix: set ``ai-observability:gpuNodeGroups[].diskSizeGib`` to the minimum or more.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._gpu import unless_gpu_node_group
from ._support import (
    ResourceRule,
    Verdict,
    compliant,
    judge,
    label,
    not_applicable,
    number,
    obj,
    schema,
    settings,
    violation,
)

DISK_CONFIG = schema(
    minDiskSizeGib={"type": "integer", "minimum": 1, "default": 100, "description": "Smallest node disk in GiB."}
)


def check(args: ResourceValidationArgs) -> Verdict:
    """A GPU node group's disk is at least minDiskSizeGib."""
    if (skip := unless_gpu_node_group(args)) is not None:
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
    check,
    config_schema=DISK_CONFIG,
    remediation_steps="Raise diskSizeGib of the GPU node group.",
)
