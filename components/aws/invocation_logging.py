"""Bedrock model invocation logging: the audit trail of prompts and completions.

Creates a CloudWatch log group (retention ≥365 days, optional KMS), a role Bedrock assumes to
write into it (trust limited by ``aws:SourceAccount`` / ``aws:SourceArn``), an optional S3
location for bodies over 100 KB, and the account-wide
``aws.bedrockmodel.InvocationLoggingConfiguration``.

**One per account and region**: Bedrock keeps a single logging configuration per region;
a second stack (or console change) that sets it overwrites this one. Enable it in exactly one
stack per account and region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws.bedrockmodel import (
    InvocationLoggingConfigurationLoggingConfigArgsDict,
    InvocationLoggingConfigurationLoggingConfigCloudwatchConfigArgsDict,
)

from components.aws.iam import (
    caller_context,
    deny_insecure_transport,
    inline_policy,
    policy_json,
    service_role,
    service_statement,
)
from components.aws.s3 import bucket_prefix, create_log_bucket
from components.config import InvocationLoggingConfig
from components.config.aws_names import InvocationLoggingNames

LARGE_DATA_PREFIX = "large-data"
LOG_WRITE_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")


@dataclass(frozen=True)
class BedrockInvocationLoggingArgs:
    """Typed inputs of ``BedrockInvocationLogging``."""

    config: InvocationLoggingConfig
    name_prefix: str
    """Prefix of physical names (log group ``/aws/bedrock/<prefix>/model-invocations``)."""
    tags: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Specs: config (and resolved values) → resource arguments; pure, no resources
# ---------------------------------------------------------------------------------------------


def log_group_name(name_prefix: str) -> str:
    """The CloudWatch log group Bedrock writes the invocation records to."""
    return InvocationLoggingNames(name_prefix).log_group.text


def bedrock_source_conditions(
    account: pulumi.Input[str], region: pulumi.Input[str], partition: pulumi.Input[str]
) -> dict[str, dict[str, pulumi.Input[str]]]:
    """Bedrock acts for this account in this region only (the confused-deputy guard of the role
    trust and the large-data bucket policy alike)."""
    return {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": pulumi.Output.concat("arn:", partition, ":bedrock:", region, ":", account, ":*")},
    }


def large_data_bucket_policy(bucket_arn: str, conditions: Mapping[str, Mapping[str, Any]]) -> str:
    """Bedrock may put objects under ``large-data/`` only, over TLS only."""
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


def logging_config(
    cfg: InvocationLoggingConfig,
    *,
    log_group: pulumi.Input[str],
    role_arn: pulumi.Input[str],
    large_data_bucket: pulumi.Input[str] | None,
) -> InvocationLoggingConfigurationLoggingConfigArgsDict:
    """The account's logging configuration: CloudWatch delivery (bodies over 100 KB to S3 when a
    large-data bucket is given) of the configured modalities."""
    cloudwatch: InvocationLoggingConfigurationLoggingConfigCloudwatchConfigArgsDict = {
        "log_group_name": log_group,
        "role_arn": role_arn,
    }
    if large_data_bucket is not None:
        cloudwatch["large_data_delivery_s3_config"] = {
            "bucket_name": large_data_bucket,
            "key_prefix": LARGE_DATA_PREFIX,
        }
    return {
        "cloudwatch_config": cloudwatch,
        "text_data_delivery_enabled": cfg.text_data,
        "image_data_delivery_enabled": cfg.image_data,
        "embedding_data_delivery_enabled": cfg.embedding_data,
        "video_data_delivery_enabled": cfg.video_data,
    }


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
        names = InvocationLoggingNames(args.name_prefix)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        account, region, partition = caller_context(self)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name(args.name_prefix),
            retention_in_days=cfg.retention_days,
            kms_key_id=cfg.kms_key_arn,
            tags=tags,
            opts=child,
        )
        from_bedrock = bedrock_source_conditions(account, region, partition)
        role = service_role(
            names.role.text,
            service="bedrock.amazonaws.com",
            sid="BedrockInvocationLogging",
            conditions=from_bedrock,
            description="Bedrock model invocation logging writes to CloudWatch Logs",
            tags=tags,
            parent=self,
        )
        role_policy = inline_policy(
            names.role_policy.text,
            role,
            sid="WriteInvocationLogs",
            action=LOG_WRITE_ACTIONS,
            resource=pulumi.Output.concat(log_group.arn, ":log-stream:*"),
            parent=self,
        )

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
            policy = aws.s3.BucketPolicy(
                f"{name}-large-data-policy",
                bucket=store.bucket.bucket,
                policy=pulumi.Output.all(store.bucket.arn, from_bedrock).apply(
                    lambda v: large_data_bucket_policy(v[0], v[1])
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=store.ready),
            )
            waits += [*store.ready, policy]
            self.large_data_bucket = store.bucket.bucket

        # Bedrock validates the destinations when the configuration is put: create it last.
        aws.bedrockmodel.InvocationLoggingConfiguration(
            f"{name}-config",
            logging_config=logging_config(
                cfg, log_group=log_group.name, role_arn=role.arn, large_data_bucket=self.large_data_bucket
            ),
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
