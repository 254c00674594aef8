"""EKS managed node groups on NVIDIA AMIs, tainted and labelled for GPU workloads.

Each group: an instance role with the managed policies nodes need, and an ``aws.eks.NodeGroup``
with an explicit NVIDIA AMI type (pulumi-eks' ``gpu=True`` does not select it on managed node
groups), GPU instance types from the GPU instance table (``policies.rules._gpu_nodes``, shared
with the config and the policy pack), a disk of at least 100 GiB (NIM images exceed 10 GB), the
taint ``nvidia.com/gpu=true:NoSchedule`` and the label ``nvidia.com/gpu.present=true``. Nodes
whose AMI lacks the NVIDIA device plugin (AL2023) also carry
``ai-observability/nvidia-device-plugin=true``, which the plugin's DaemonSet selects, and nodes
that need the stack's DCGM exporter carry ``ai-observability/dcgm-exporter=true``.

The EKS node group name is the configured name: NIMs pin to it through the
``eks.amazonaws.com/nodegroup`` label. Changing an immutable setting (AMI type, instance
types, disk, capacity type, subnets) replaces the group; with a fixed name that needs a new
``name`` (a blue/green swap: NIMs pinned to it move with their ``nodeGroup``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.eks import NodeGroupScalingConfigArgsDict, NodeGroupTaintArgsDict, NodeGroupUpdateConfigArgsDict

from components.aws.iam import create_node_role
from components.config import GpuNodeGroupConfig
from components.config.aws_names import NodeGroupNames
from components.config.kubernetes import (
    DCGM_EXPORTER_LABEL,
    DEVICE_PLUGIN_LABEL,
    GPU_PRESENT_LABEL,
    GPU_TAINT_KEY,
    GPU_TAINT_VALUE,
)
from components.config.stack import NODE_GROUP_TAG_KEY


def node_labels(group: GpuNodeGroupConfig) -> dict[str, str]:
    """Kubernetes labels of the group's nodes (user labels cannot override the stack's own)."""
    labels = {**group.labels, GPU_PRESENT_LABEL: "true"}
    if group.needs_device_plugin:
        labels[DEVICE_PLUGIN_LABEL] = "true"
    if group.needs_dcgm_exporter:
        labels[DCGM_EXPORTER_LABEL] = "true"
    return labels


GPU_TAINT: NodeGroupTaintArgsDict = {"key": GPU_TAINT_KEY, "value": GPU_TAINT_VALUE, "effect": "NO_SCHEDULE"}


@dataclass(frozen=True)
class GpuNodeGroupArgs:
    cluster_name: pulumi.Input[str]
    cluster_version: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    """The group's subnets (the caller resolves the group → eks → cluster default)."""
    group: GpuNodeGroupConfig
    tags: Mapping[str, str]


class GpuNodeGroup(pulumi.ComponentResource):
    """One GPU managed node group and its node role (``ai-observability:eks:GpuNodeGroup``)."""

    node_group_name: pulumi.Output[str]
    node_group_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    node_group: aws.eks.NodeGroup

    def __init__(self, name: str, args: GpuNodeGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-observability:eks:GpuNodeGroup", name, None, opts)
        group = args.group
        tags = dict(args.tags)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        role, policies = create_node_role(
            NodeGroupNames(name).node_role_prefix,
            description=f"GPU nodes of node group {group.name}",
            partition=partition,
            tags=tags,
            parent=self,
        )
        scaling: NodeGroupScalingConfigArgsDict = {
            "min_size": group.scaling.min_size,
            "desired_size": group.scaling.desired_size,
            "max_size": group.scaling.max_size,
        }
        update: NodeGroupUpdateConfigArgsDict = {"max_unavailable": group.max_unavailable}
        self.node_group = aws.eks.NodeGroup(
            f"{name}-node-group",
            cluster_name=args.cluster_name,
            node_group_name=group.name,
            version=args.cluster_version,
            node_role_arn=role.arn,
            subnet_ids=args.subnet_ids,
            ami_type=group.ami_type,
            instance_types=list(group.instance_types),
            disk_size=group.disk_size_gib,
            capacity_type=group.capacity_type,
            scaling_config=scaling,
            update_config=update,
            taints=[GPU_TAINT],
            labels=node_labels(group),
            tags={**tags, NODE_GROUP_TAG_KEY: group.name},
            # Nodes cannot join before their role may call EKS/ECR/the CNI APIs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=policies),
        )
        self.node_group_name = self.node_group.node_group_name
        self.node_group_arn = self.node_group.arn
        self.node_role_arn = role.arn
        self.register_outputs(
            {
                "nodeGroupName": self.node_group_name,
                "nodeGroupArn": self.node_group_arn,
                "nodeRoleArn": self.node_role_arn,
            }
        )
