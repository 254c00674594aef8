"""Answers the offline plan's mocks give to the invokes (data sources) the program calls.

Each entry maps an invoke token to a function of (invoke args, stack context) returning the
result, shaped like the provider's real answer (camelCase keys). Account ids are placeholders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MOCK_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class InvokeContext:
    stack: str
    region: str


InvokeAnswer = Callable[[Mapping[str, Any], InvokeContext], dict[str, Any]]


def _caller_identity(_: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "accountId": MOCK_ACCOUNT_ID,
        "arn": f"arn:aws:sts::{MOCK_ACCOUNT_ID}:assumed-role/plan/offline",
        "userId": "AROAOFFLINEPLAN:offline",
        "id": MOCK_ACCOUNT_ID,
    }


def _region(_: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"name": ctx.region, "id": ctx.region, "region": ctx.region, "description": ctx.region}


def _partition(_: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


def _eks_cluster(args: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    """An existing EKS cluster (``aws.eks.get_cluster``): ACTIVE, private endpoint, two subnets."""
    name = str(args.get("name") or "cluster")
    return {
        "id": name,
        "name": name,
        "arn": f"arn:aws:eks:{ctx.region}:{MOCK_ACCOUNT_ID}:cluster/{name}",
        "endpoint": f"https://0123456789ABCDEF0123456789ABCDEF.gr7.{ctx.region}.eks.amazonaws.com",
        # base64 of a placeholder PEM: shaped like certificate-authority-data, not a real CA.
        "certificateAuthorities": [
            {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk9GRkxJTkUKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="}
        ],
        "version": "1.33",
        "platformVersion": "eks.9",
        "status": "ACTIVE",
        "region": ctx.region,
        "roleArn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/{name}-cluster-role",
        "accessConfigs": [
            {"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": False}
        ],
        "vpcConfig": {
            "subnetIds": ["subnet-0aa11bb22cc33dd01", "subnet-0aa11bb22cc33dd02"],
            "securityGroupIds": [],
            "clusterSecurityGroupId": "sg-0aa11bb22cc33dd00",
            "endpointPrivateAccess": True,
            "endpointPublicAccess": False,
            "publicAccessCidrs": [],
            "vpcId": "vpc-0aa11bb22cc33dd00",
        },
        "tags": {},
    }


MOCK_INVOKES: dict[str, InvokeAnswer] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:eks/getCluster:getCluster": _eks_cluster,
}
