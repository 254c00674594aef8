"""Bedrock model invocation logging: the audit trail of prompts and completions.

Creates a CloudWatch log group (retention ≥365 days, optional KMS), a role Bedrock assumes to
write into it (trust limited by ``aws:SourceAccount`` / ``aws:SourceArn``), an optional S3
location for bodies over 100 KB, and the account-wide
``aws.bedrockmodel.InvocationLoggingConfiguration``.

**One per account and region**: Bedrock keeps a single logging configuration per region;
a second stack (or console change) that sets it overwrites this one. Enable it in exactly one
stack per account and region.

Also home of ``create_log_bucket``, the hardened S3 bucket the event forwarder's CloudTrail
trail uses as well (SSE, versioning, public access blocked, ACLs disabled, lifecycle).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws.bedrockmodel import (
    InvocationLoggingConfigurationLoggingConfigArgsDict,
    InvocationLoggingConfigurationLoggingConfigCloudwatchConfigArgsDict,
)
from pulumi_aws.s3 import (
    BucketLifecycleConfigurationRuleArgsDict,
    BucketServerSideEncryptionConfigurationRuleArgsDict,
)

from .aws_iam import (
    caller_context,
    deny_insecure_transport,
    inline_policy,
    policy_json,
    service_role,
    service_statement,
)
from .config import InvocationLoggingConfig

LARGE_DATA_PREFIX = "large-data"
_NONCURRENT_VERSION_DAYS = 90


@dataclass(frozen=True)
class BedrockInvocationLoggingArgs:
    """Typed inputs of ``BedrockInvocationLogging``."""

    config: InvocationLoggingConfig
    name_prefix: str
    """Prefix of physical names (log group ``/aws/bedrock/<prefix>/model-invocations``)."""
    tags: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Shared helpers: the hardened log bucket (IAM JSON helpers live in ``aws_iam``)
# ---------------------------------------------------------------------------------------------


def bucket_prefix(name_prefix: str, purpose: str) -> str:
    """An S3 ``bucket_prefix`` (lowercase, ≤37 characters) derived from a resource name prefix."""
    base = re.sub(r"[^a-z0-9-]+", "-", name_prefix.lower()).strip("-") or "ai-observability"
    return f"{base}-{purpose}-"[:37]


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
    """S3 bucket for audit logs: SSE (SSE-S3, or SSE-KMS with ``kms_key_arn``), versioning,
    public access blocked, ACLs disabled, expiry after ``expiration_days`` (noncurrent
    versions 90 days later), incomplete uploads aborted. The caller adds the bucket policy."""
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
    if kms_key_arn is None:
        rule: BucketServerSideEncryptionConfigurationRuleArgsDict = {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
        }
    else:
        rule = {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
            "bucket_key_enabled": True,
        }
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.bucket, rules=[rule], opts=opts
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.bucket, versioning_configuration={"status": "Enabled"}, opts=opts
    )
    lifecycle_rule: BucketLifecycleConfigurationRuleArgsDict = {
        "id": "expire-audit-logs",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "expiration": {"days": expiration_days},
        "noncurrent_version_expiration": {"noncurrent_days": _NONCURRENT_VERSION_DAYS},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    }
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.bucket,
        rules=[lifecycle_rule],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    return LogBucket(bucket=bucket, ready=[public, ownership, encryption, versioning, lifecycle])


# ---------------------------------------------------------------------------------------------
# The component
# ---------------------------------------------------------------------------------------------


class BedrockInvocationLogging(pulumi.ComponentResource):
    """Bedrock model invocation logging to CloudWatch Logs (+ S3 for large bodies)."""

    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    large_data_bucket: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: BedrockInvocationLoggingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("ai-observability:aws:BedrockInvocationLogging", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account, region, partition = caller_context(self)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/bedrock/{args.name_prefix}/model-invocations",
            retention_in_days=cfg.retention_days,
            kms_key_id=cfg.kms_key_arn,
            tags=tags,
            opts=child,
        )

        # Bedrock acts for this account in this region only (role trust and large-data bucket alike).
        from_bedrock: dict[str, dict[str, pulumi.Input[str]]] = {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {
                "aws:SourceArn": pulumi.Output.concat("arn:", partition, ":bedrock:", region, ":", account, ":*")
            },
        }
        role = service_role(
            f"{name}-role",
            service="bedrock.amazonaws.com",
            sid="BedrockInvocationLogging",
            conditions=from_bedrock,
            description="Bedrock model invocation logging writes to CloudWatch Logs",
            tags=tags,
            parent=self,
        )
        role_policy = inline_policy(
            f"{name}-write-logs",
            role,
            sid="WriteInvocationLogs",
            action=["logs:CreateLogStream", "logs:PutLogEvents"],
            resource=pulumi.Output.concat(log_group.arn, ":log-stream:*"),
            parent=self,
        )

        cloudwatch: InvocationLoggingConfigurationLoggingConfigCloudwatchConfigArgsDict = {
            "log_group_name": log_group.name,
            "role_arn": role.arn,
        }
        waits: list[pulumi.Resource] = [role_policy]
        self.large_data_bucket = None
        if cfg.large_data_bucket:
            store = create_log_bucket(
                f"{name}-large-data",
                prefix=bucket_prefix(args.name_prefix, "invocations"),
                expiration_days=cfg.large_data_expiration_days,
                kms_key_arn=None,
                tags=tags,
                parent=self,
            )

            def bucket_policy(values: list[Any]) -> str:
                bucket_arn, conditions = values
                return policy_json(
                    [
                        service_statement(
                            "BedrockLargeDataDelivery",
                            "bedrock.amazonaws.com",
                            "s3:PutObject",
                            conditions,
                            resource=f"{bucket_arn}/{LARGE_DATA_PREFIX}/*",
                        ),
                        deny_insecure_transport(bucket_arn),
                    ]
                )

            policy = aws.s3.BucketPolicy(
                f"{name}-large-data-policy",
                bucket=store.bucket.bucket,
                policy=pulumi.Output.all(store.bucket.arn, from_bedrock).apply(bucket_policy),
                opts=pulumi.ResourceOptions(parent=self, depends_on=store.ready),
            )
            cloudwatch["large_data_delivery_s3_config"] = {
                "bucket_name": store.bucket.bucket,
                "key_prefix": LARGE_DATA_PREFIX,
            }
            waits += [*store.ready, policy]
            self.large_data_bucket = store.bucket.bucket

        logging_config: InvocationLoggingConfigurationLoggingConfigArgsDict = {
            "cloudwatch_config": cloudwatch,
            "text_data_delivery_enabled": cfg.text_data,
            "image_data_delivery_enabled": cfg.image_data,
            "embedding_data_delivery_enabled": cfg.embedding_data,
            "video_data_delivery_enabled": cfg.video_data,
        }
        # Bedrock validates the destinations when the configuration is put: create it last.
        aws.bedrockmodel.InvocationLoggingConfiguration(
            f"{name}-config",
            logging_config=logging_config,
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits),
        )

        self.log_group_name = log_group.name
        self.log_group_arn = log_group.arn
        self.role_arn = role.arn
        self.register_outputs(
            {
                "logGroupName": self.log_group_name,
                "logGroupArn": self.log_group_arn,
                "roleArn": self.role_arn,
                "largeDataBucket": self.large_data_bucket,
            }
        )
