"""The EKS cluster the GPU node groups join: created by the stack, or an existing one looked up.

A created cluster gets: a cluster IAM role, a KMS key encrypting Kubernetes Secrets (the NGC
key lives in them), control-plane logs with a bounded retention, authentication mode ``API``
with an access entry (cluster-admin) per configured admin role, a private API endpoint unless
configured otherwise, an untainted system node group (CoreDNS and other system pods cannot
run on the tainted GPU nodes), and the EBS CSI driver (EKS add-on with a Pod Identity role) so
the NIM model-cache volumes can be provisioned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

import pulumi
import pulumi_aws as aws
from pulumi_aws.eks import (
    AccessPolicyAssociationAccessScopeArgsDict,
    ClusterAccessConfigArgsDict,
    ClusterEncryptionConfigArgsDict,
    ClusterVpcConfigArgsDict,
    NodeGroupScalingConfigArgsDict,
    NodeGroupUpdateConfigArgsDict,
)

from components.aws.iam import create_node_role, managed_service_role
from components.config import EksConfig
from components.config.aws_names import control_plane_log_group

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator")
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
SYSTEM_NODE_AMI_TYPE = "AL2023_x86_64_STANDARD"
SYSTEM_NODE_LABELS: Mapping[str, str] = {"ai-observability/node-role": "system"}


@dataclass(frozen=True)
class ClusterInfo:
    """What the node groups and the Kubernetes provider need to know about the cluster."""

    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    """Base64 PEM of the cluster CA (``certificate-authority-data``)."""
    version: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    created: bool
    ready: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Resources that must exist before workloads can run (created cluster: system nodes, CSI driver)."""


def lookup_cluster(cluster_name: str) -> ClusterInfo:
    """An existing cluster, read with the ``aws.eks.get_cluster`` invoke."""
    found = aws.eks.get_cluster_output(name=cluster_name)
    return ClusterInfo(
        name=found.name,
        endpoint=found.endpoint,
        certificate_authority=found.certificate_authorities.apply(lambda cas: cas[0].data if cas else ""),
        version=found.version,
        subnet_ids=found.vpc_config.apply(lambda vpc: list(vpc.subnet_ids) if vpc else []),
        created=False,
    )


# ---------------------------------------------------------------------------------------------
# Specs: config → resource arguments; pure, no resources
# ---------------------------------------------------------------------------------------------


def role_slug(arn: str) -> str:
    """A stable, name-safe slug for an IAM role ARN (role names are unique per account)."""
    return re.sub(r"[^a-z0-9-]+", "-", arn.rsplit("/", 1)[-1].lower()).strip("-")


def control_plane_log_group_name(cluster_name: str) -> str:
    """The log group EKS writes control-plane logs to (a fixed name per cluster)."""
    return control_plane_log_group(cluster_name).text


def vpc_config(config: EksConfig) -> ClusterVpcConfigArgsDict:
    """The configured subnets; a private endpoint always, a public one only when configured."""
    return {
        "subnet_ids": list(config.subnet_ids),
        "endpoint_private_access": True,
        "endpoint_public_access": config.endpoint_public_access,
    }


def access_config() -> ClusterAccessConfigArgsDict:
    """Access entries only (no ``aws-auth`` ConfigMap); the identity running ``pulumi up`` is an
    admin, since it must reach the API to deploy the NIMs and the collector."""
    return {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True}


def secrets_encryption(key_arn: pulumi.Input[str]) -> ClusterEncryptionConfigArgsDict:
    """Envelope encryption of Kubernetes Secrets with ``key_arn``."""
    return {"provider": {"key_arn": key_arn}, "resources": ["secrets"]}


def admin_access_entries(config: EksConfig) -> list[tuple[str, str]]:
    """``(slug, role ARN)`` of each configured admin role, the slug naming its resources."""
    return [(role_slug(arn), arn) for arn in config.admin_role_arns]


CLUSTER_SCOPE: AccessPolicyAssociationAccessScopeArgsDict = {"type": "cluster"}


class SystemNodeGroupSpec(TypedDict):
    """``aws.eks.NodeGroup`` arguments of the system node group that come from config alone."""

    node_group_name: str
    subnet_ids: list[str]
    ami_type: str
    instance_types: list[str]
    disk_size: int
    capacity_type: str
    scaling_config: NodeGroupScalingConfigArgsDict
    update_config: NodeGroupUpdateConfigArgsDict
    labels: dict[str, str]


def system_node_group(config: EksConfig) -> SystemNodeGroupSpec:
    """Untainted on-demand nodes (standard AL2023 AMI) for CoreDNS, the CSI controller and other system pods."""
    system = config.system_node_group
    return {
        "node_group_name": "system",
        "subnet_ids": list(config.subnet_ids),
        "ami_type": SYSTEM_NODE_AMI_TYPE,
        "instance_types": list(system.instance_types),
        "disk_size": system.disk_size_gib,
        "capacity_type": "ON_DEMAND",
        "scaling_config": {
            "min_size": system.min_size,
            "desired_size": system.desired_size,
            "max_size": system.max_size,
        },
        "update_config": {"max_unavailable": 1},
        "labels": dict(SYSTEM_NODE_LABELS),
    }


@dataclass(frozen=True)
class EksClusterArgs:
    config: EksConfig
    tags: Mapping[str, str]


# ---------------------------------------------------------------------------------------------
# The component
# ---------------------------------------------------------------------------------------------


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster created by the stack (``ai-observability:eks:EksCluster``)."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    version: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    system_node_group_name: pulumi.Output[str]
    info: ClusterInfo

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-observability:eks:EksCluster", name, None, opts)
        config = args.config
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        role, role_policy = managed_service_role(
            f"{name}-cluster-role",
            service="eks.amazonaws.com",
            tag_session=True,
            description=f"EKS control plane of {config.cluster_name}",
            attachment=f"{name}-cluster-policy",
            policy="AmazonEKSClusterPolicy",
            partition=partition,
            tags=tags,
            parent=self,
        )
        secrets_key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"Envelope encryption of Kubernetes Secrets in EKS cluster {config.cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=tags,
            opts=child,
        )
        # EKS writes to this exact name; created first so the retention applies from the start.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=control_plane_log_group_name(config.cluster_name),
            retention_in_days=config.log_retention_days,
            tags=tags,
            opts=child,
        )
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=config.cluster_name,
            version=config.version,
            role_arn=role.arn,
            vpc_config=vpc_config(config),
            access_config=access_config(),
            encryption_config=secrets_encryption(secrets_key.arn),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, log_group]),
        )

        for slug, arn in admin_access_entries(config):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{slug}",
                cluster_name=cluster.name,
                principal_arn=arn,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{slug}-policy",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=pulumi.Output.concat(
                    "arn:", partition, ":eks::aws:cluster-access-policy/", CLUSTER_ADMIN_POLICY
                ),
                access_scope=CLUSTER_SCOPE,
                opts=child,
            )

        node_role, node_policies = create_node_role(
            f"{name}-system-node",
            description=f"System nodes of EKS cluster {config.cluster_name}",
            partition=partition,
            tags=tags,
            parent=self,
        )
        system_nodes = aws.eks.NodeGroup(
            f"{name}-system-nodes",
            cluster_name=cluster.name,
            version=cluster.version,
            node_role_arn=node_role.arn,
            **system_node_group(config),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=node_policies),
        )

        pod_identity = aws.eks.Addon(
            f"{name}-pod-identity-agent",
            cluster_name=cluster.name,
            addon_name="eks-pod-identity-agent",
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[system_nodes]),
        )
        csi_role, csi_policy = managed_service_role(
            f"{name}-ebs-csi-role",
            service="pods.eks.amazonaws.com",
            tag_session=True,
            description=f"EBS CSI controller of EKS cluster {config.cluster_name} (EKS Pod Identity)",
            attachment=f"{name}-ebs-csi-policy",
            policy="service-role/AmazonEBSCSIDriverPolicy",
            partition=partition,
            tags=tags,
            parent=self,
        )
        ebs_csi = aws.eks.Addon(
            f"{name}-ebs-csi-driver",
            cluster_name=cluster.name,
            addon_name="aws-ebs-csi-driver",
            pod_identity_associations=[{"role_arn": csi_role.arn, "service_account": EBS_CSI_SERVICE_ACCOUNT}],
            resolve_conflicts_on_update="OVERWRITE",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pod_identity, csi_policy, system_nodes]),
        )

        self.cluster_name = cluster.name
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(lambda ca: (ca.data or "") if ca else "")
        self.version = cluster.version
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda vpc: (vpc.cluster_security_group_id or "") if vpc else ""
        )
        self.system_node_group_name = system_nodes.node_group_name
        self.info = ClusterInfo(
            name=self.cluster_name,
            endpoint=self.endpoint,
            certificate_authority=self.certificate_authority,
            version=self.version,
            subnet_ids=pulumi.Output.from_input(list(config.subnet_ids)),
            created=True,
            ready=(system_nodes, ebs_csi),
        )
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "endpoint": self.endpoint,
                "version": self.version,
                "systemNodeGroupName": self.system_node_group_name,
            }
        )
