"""The account side of Dynatrace AWS Cloud Platform Monitoring for Bedrock metrics.

Dynatrace (Latest Dynatrace) polls CloudWatch through an AWS connection: it assumes an IAM
monitoring role in the account and calls ``ListMetrics`` and ``GetMetricData``. This component
owns that role: trusted only by the Dynatrace principal the connection names, only with the
connection's external ID (the confused-deputy guard AWS documents for third-party access), and
allowed to read CloudWatch metrics and nothing else. Neither action supports resource-level
permissions (AWS Service Authorization Reference, CloudWatch), so the statement's resource is
``*``; which namespaces are polled is decided by the connection's monitoring configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from .aws_iam import policy_json
from .config.telemetry import BedrockMetricsConfig

TYPE_TOKEN: Final = "ai-observability:aws:DynatraceMonitoringRole"  # noqa: S105 (a type token, not a secret)
READ_ACTIONS: Final[tuple[str, ...]] = ("cloudwatch:GetMetricData", "cloudwatch:ListMetrics")
MAX_SESSION_SECONDS: Final = 3600


def trust_policy(principal_arn: str, external_id: str) -> str:
    """Only ``principal_arn`` may assume the role, and only presenting ``external_id``."""
    return policy_json(
        [
            {
                "Sid": "DynatraceAssumesWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ]
    )


def read_metrics_policy() -> str:
    return policy_json(
        [{"Sid": "ReadCloudWatchMetrics", "Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"}]
    )


@dataclass(frozen=True)
class DynatraceMonitoringRoleArgs:
    config: BedrockMetricsConfig
    tags: Mapping[str, str]


class DynatraceMonitoringRole(pulumi.ComponentResource):
    """``ai-observability:aws:DynatraceMonitoringRole`` — the role and its read-only inline policy."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DynatraceMonitoringRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        config = args.config
        if config.dynatrace_principal_arn is None or config.external_id is None:
            # BedrockMetricsConfig requires both when enabled: reaching this is a wiring bug.
            raise ValueError("the Dynatrace monitoring role needs telemetry.bedrockMetrics principal and external ID")
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            name=config.role_name,
            description="Dynatrace AWS Cloud Platform Monitoring: reads CloudWatch metrics (Bedrock)",
            assume_role_policy=trust_policy(config.dynatrace_principal_arn, config.external_id),
            max_session_duration=MAX_SESSION_SECONDS,
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(f"{name}-read-metrics", role=role.name, policy=read_metrics_policy(), opts=child)
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn})
