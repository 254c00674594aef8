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

import pulumi
import pulumi_aws as aws
from pulumi_aws.eks import (
    AccessPolicyAssociationAccessScopeArgsDict,
    ClusterAccessConfigArgsDict,
    ClusterEncryptionConfigArgsDict,
    ClusterVpcConfigArgsDict,
    NodeGroupScalingConfigArgsDict,
)

from .aws_iam import assume_role_policy, managed_policy_arn, managed_service_role
from .config import EksConfig

# Managed policies a node's instance role needs to join the cluster, pull images and run the VPC CNI.
NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
)
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator")
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"


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


def create_node_role(
    name: str, *, description: str, partition: pulumi.Input[str], tags: Mapping[str, str], parent: pulumi.Resource
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """A node instance role ``<name>-role`` with ``NODE_POLICIES`` attached as ``<name>-<policy>``
    (children of ``parent``); nodes must depend on the attachments."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        description=description,
        tags=dict(tags),
        opts=child,
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy.lower().replace('_', '-')}",
            role=role.name,
            policy_arn=managed_policy_arn(partition, policy),
            opts=child,
        )
        for policy in NODE_POLICIES
    ]
    return role, attachments


def _role_slug(arn: str) -> str:
    """A stable, name-safe slug for an IAM role ARN (role names are unique per account)."""
    return re.sub(r"[^a-z0-9-]+", "-", arn.rsplit("/", 1)[-1].lower()).strip("-")


@dataclass(frozen=True)
class EksClusterArgs:
    config: EksConfig
    tags: Mapping[str, str]


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
            name=f"/aws/eks/{config.cluster_name}/cluster",
            retention_in_days=config.log_retention_days,
            tags=tags,
            opts=child,
        )
        vpc_config: ClusterVpcConfigArgsDict = {
            "subnet_ids": list(config.subnet_ids),
            "endpoint_private_access": True,
            "endpoint_public_access": config.endpoint_public_access,
        }
        access_config: ClusterAccessConfigArgsDict = {
            "authentication_mode": "API",
            # The identity running `pulumi up` must reach the API to deploy the NIMs and collector.
            "bootstrap_cluster_creator_admin_permissions": True,
        }
        encryption: ClusterEncryptionConfigArgsDict = {
            "provider": {"key_arn": secrets_key.arn},
            "resources": ["secrets"],
        }
        cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=config.cluster_name,
            version=config.version,
            role_arn=role.arn,
            vpc_config=vpc_config,
            access_config=access_config,
            encryption_config=encryption,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, log_group]),
        )

        for arn in config.admin_role_arns:
            slug = _role_slug(arn)
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{slug}",
                cluster_name=cluster.name,
                principal_arn=arn,
                type="STANDARD",
                tags=tags,
                opts=child,
            )
            scope: AccessPolicyAssociationAccessScopeArgsDict = {"type": "cluster"}
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{slug}-policy",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=pulumi.Output.concat(
                    "arn:", partition, ":eks::aws:cluster-access-policy/", CLUSTER_ADMIN_POLICY
                ),
                access_scope=scope,
                opts=child,
            )

        system = config.system_node_group
        node_role, node_policies = create_node_role(
            f"{name}-system-node",
            description=f"System nodes of EKS cluster {config.cluster_name}",
            partition=partition,
            tags=tags,
            parent=self,
        )
        scaling: NodeGroupScalingConfigArgsDict = {
            "min_size": system.min_size,
            "desired_size": system.desired_size,
            "max_size": system.max_size,
        }
        system_nodes = aws.eks.NodeGroup(
            f"{name}-system-nodes",
            cluster_name=cluster.name,
            node_group_name="system",
            version=cluster.version,
            node_role_arn=node_role.arn,
            subnet_ids=list(config.subnet_ids),
            ami_type="AL2023_x86_64_STANDARD",
            instance_types=list(system.instance_types),
            disk_size=system.disk_size_gib,
            capacity_type="ON_DEMAND",
            scaling_config=scaling,
            update_config={"max_unavailable": 1},
            labels={"ai-observability/node-role": "system"},
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
