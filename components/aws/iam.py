"""IAM helpers shared by the AWS components: policy documents and service roles.

Policy JSON is built here rather than through the ``getPolicyDocument`` invoke. Two formats exist
and both are kept byte for byte (a changed document is a changed input): ``policy_json``
(indented, with ``Sid``s; the Bedrock / EventBridge / S3 policies) and ``assume_role_policy``
(compact, no ``Sid``; the EKS cluster, node and Pod Identity roles). Also the EKS node role
shared by the system and GPU node groups.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config.aws_names import node_role

Statement = dict[str, Any]
Conditions = Mapping[str, Mapping[str, pulumi.Input[str]]]

# Managed policies a node's instance role needs to join the cluster, pull images and run the VPC CNI.
NODE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
)


def caller_context(parent: pulumi.Resource) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Output[str]]:
    """(account id, region, partition) of the deploying identity, read by invokes parented to ``parent``."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    account = aws.get_caller_identity_output(opts=invoke).apply(lambda r: r.account_id)
    region = aws.get_region_output(opts=invoke).apply(lambda r: r.region)
    partition = aws.get_partition_output(opts=invoke).apply(lambda r: r.partition)
    return account, region, partition


def policy_json(statements: Sequence[Mapping[str, Any]]) -> str:
    """An IAM policy document (indented) with the given statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def deny_insecure_transport(bucket_arn: str) -> Statement:
    """Bucket policy statement refusing every request not made over TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def assume_role_policy(service: str, *, tag_session: bool = False) -> str:
    """Compact, unconditional trust policy letting ``service`` (e.g. ``ec2.amazonaws.com``) assume a role."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
        }
    )


def managed_policy_arn(partition: pulumi.Input[str], policy: str) -> pulumi.Output[str]:
    """ARN of the AWS managed policy ``policy`` (e.g. ``service-role/AmazonEBSCSIDriverPolicy``)."""
    return pulumi.Output.concat("arn:", partition, ":iam::aws:policy/", policy)


def service_statement(
    sid: str, service: str, action: str, conditions: Mapping[str, Mapping[str, Any]], *, resource: str | None = None
) -> Statement:
    """An Allow statement for an AWS service principal, limited by ``conditions``."""
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": action}
    if resource is not None:
        statement["Resource"] = resource
    statement["Condition"] = {operator: dict(values) for operator, values in conditions.items()}
    return statement


def service_role(
    name: str,
    *,
    service: str,
    sid: str,
    conditions: Conditions,
    description: str,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """A role only ``service`` may assume, and only under ``conditions`` (``aws:SourceAccount`` /
    ``aws:SourceArn``: the confused-deputy guard). Condition values may be outputs."""
    trust = pulumi.Output.from_input(conditions).apply(
        lambda resolved: policy_json([service_statement(sid, service, "sts:AssumeRole", resolved)])
    )
    return aws.iam.Role(
        name,
        description=description,
        assume_role_policy=trust,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def inline_policy(
    name: str,
    role: aws.iam.Role,
    *,
    sid: str,
    action: str | Sequence[str],
    resource: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """An inline policy of ``role`` allowing ``action`` on ``resource`` (one statement)."""
    actions: str | list[str] = action if isinstance(action, str) else list(action)
    return aws.iam.RolePolicy(
        name,
        role=role.name,
        policy=pulumi.Output.from_input(resource).apply(
            lambda arn: policy_json([{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": arn}])
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def managed_service_role(
    name: str,
    *,
    service: str,
    tag_session: bool,
    description: str,
    attachment: str,
    policy: str,
    partition: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> tuple[aws.iam.Role, aws.iam.RolePolicyAttachment]:
    """A role ``service`` may assume (compact trust policy) with the managed ``policy`` attached
    as resource ``attachment``."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        assume_role_policy=assume_role_policy(service, tag_session=tag_session),
        description=description,
        tags=dict(tags),
        opts=child,
    )
    attached = aws.iam.RolePolicyAttachment(
        attachment, role=role.name, policy_arn=managed_policy_arn(partition, policy), opts=child
    )
    return role, attached


def node_policy_attachment_name(name: str, policy: str) -> str:
    """Resource name of ``policy``'s attachment to node role ``<name>-role``."""
    return f"{name}-{policy.lower().replace('_', '-')}"


def create_node_role(
    name: str, *, description: str, partition: pulumi.Input[str], tags: Mapping[str, str], parent: pulumi.Resource
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """An EKS node instance role ``<name>-role`` with ``NODE_POLICIES`` attached (children of
    ``parent``); a node group must depend on the attachments, or its nodes fail to join."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        node_role(name).text,
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        description=description,
        tags=dict(tags),
        opts=child,
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            node_policy_attachment_name(name, policy),
            role=role.name,
            policy_arn=managed_policy_arn(partition, policy),
            opts=child,
        )
        for policy in NODE_POLICIES
    ]
    return role, attachments
