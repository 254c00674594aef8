"""AWS regions the stack accepts, each with its partition. Generated; do not edit.

Regenerate with ``python -m tools.aws_regions``; a test fails while this file is stale. Regions: the
``Region`` enum of pulumi-aws 7.51.1 (what the pinned AWS provider knows).
Partitions: the region lists of botocore's ``botocore/data/partitions.json``.
"""

from __future__ import annotations

PARTITIONS: tuple[str, ...] = (
    "aws",
    "aws-cn",
    "aws-eusc",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-us-gov",
)
"""Every AWS partition (the second field of an ARN: ``arn:<partition>:...``)."""

REGIONS: dict[str, str] = {
    "af-south-1": "aws",
    "ap-east-1": "aws",
    "ap-east-2": "aws",
    "ap-northeast-1": "aws",
    "ap-northeast-2": "aws",
    "ap-northeast-3": "aws",
    "ap-south-1": "aws",
    "ap-south-2": "aws",
    "ap-southeast-1": "aws",
    "ap-southeast-2": "aws",
    "ap-southeast-3": "aws",
    "ap-southeast-4": "aws",
    "ap-southeast-5": "aws",
    "ap-southeast-6": "aws",
    "ap-southeast-7": "aws",
    "ca-central-1": "aws",
    "ca-west-1": "aws",
    "cn-north-1": "aws-cn",
    "cn-northwest-1": "aws-cn",
    "eu-central-1": "aws",
    "eu-central-2": "aws",
    "eu-isoe-west-1": "aws-iso-e",
    "eu-north-1": "aws",
    "eu-south-1": "aws",
    "eu-south-2": "aws",
    "eu-west-1": "aws",
    "eu-west-2": "aws",
    "eu-west-3": "aws",
    "eusc-de-east-1": "aws-eusc",
    "il-central-1": "aws",
    "me-central-1": "aws",
    "me-south-1": "aws",
    "mx-central-1": "aws",
    "sa-east-1": "aws",
    "us-east-1": "aws",
    "us-east-2": "aws",
    "us-gov-east-1": "aws-us-gov",
    "us-gov-west-1": "aws-us-gov",
    "us-iso-east-1": "aws-iso",
    "us-iso-west-1": "aws-iso",
    "us-isob-east-1": "aws-iso-b",
    "us-isob-west-1": "aws-iso-b",
    "us-isof-east-1": "aws-iso-f",
    "us-isof-south-1": "aws-iso-f",
    "us-west-1": "aws",
    "us-west-2": "aws",
}
"""Region code -> its partition."""
