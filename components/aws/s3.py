"""The hardened S3 bucket for audit logs (CloudTrail logs, large Bedrock invocation bodies).

``create_log_bucket`` creates the bucket with SSE, versioning, public access blocked, ACLs
disabled and a lifecycle; the caller adds the bucket policy (who may write) and makes writers
depend on ``LogBucket.ready`` so the hardening is in place before the first object lands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.s3 import (
    BucketLifecycleConfigurationRuleArgsDict,
    BucketServerSideEncryptionConfigurationRuleArgsDict,
)

MAX_BUCKET_PREFIX_CHARS = 37
"""S3 ``bucket_prefix`` limit of the AWS provider (it appends a 26-character unique suffix)."""
NONCURRENT_VERSION_DAYS = 90
ABORT_INCOMPLETE_UPLOAD_DAYS = 7


def bucket_prefix(name_prefix: str, purpose: str) -> str:
    """An S3 ``bucket_prefix`` (lowercase, ≤37 characters) derived from a resource name prefix."""
    base = re.sub(r"[^a-z0-9-]+", "-", name_prefix.lower()).strip("-") or "ai-observability"
    return f"{base}-{purpose}-"[:MAX_BUCKET_PREFIX_CHARS]


def encryption_rule(kms_key_arn: str | None) -> BucketServerSideEncryptionConfigurationRuleArgsDict:
    """Default encryption: SSE-S3, or SSE-KMS with ``kms_key_arn`` and an S3 bucket key."""
    if kms_key_arn is None:
        return {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    return {
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
        "bucket_key_enabled": True,
    }


def lifecycle_rule(expiration_days: int) -> BucketLifecycleConfigurationRuleArgsDict:
    """Expire every object after ``expiration_days``, noncurrent versions 90 days later, and abort
    uploads left incomplete for 7 days."""
    return {
        "id": "expire-audit-logs",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "expiration": {"days": expiration_days},
        "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
        "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
    }


@dataclass(frozen=True)
class LogBucket:
    """A hardened log bucket; writers must depend on ``ready`` (hardening applied first)."""

    bucket: aws.s3.Bucket
    ready: list[pulumi.Resource]


def create_log_bucket(
    name: str,
    *,
    prefix: str,
    expiration_days: int,
    kms_key_arn: str | None,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> LogBucket:
    """Bucket ``name`` and its hardening resources ``<name>-public-access``, ``-ownership``,
    ``-encryption``, ``-versioning`` and ``-lifecycle``, all children of ``parent``."""
    opts = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(name, bucket_prefix=prefix, force_destroy=False, tags=dict(tags), opts=opts)
    public = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.bucket, rule={"object_ownership": "BucketOwnerEnforced"}, opts=opts
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.bucket, rules=[encryption_rule(kms_key_arn)], opts=opts
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.bucket, versioning_configuration={"status": "Enabled"}, opts=opts
    )
    # After versioning, as the provider documents for rules acting on noncurrent versions.
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.bucket,
        rules=[lifecycle_rule(expiration_days)],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    return LogBucket(bucket=bucket, ready=[public, ownership, encryption, versioning, lifecycle])
