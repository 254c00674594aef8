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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components.aws.iam import policy_json
from components.config.telemetry import BedrockMetricsConfig
from components.dynatrace.aws_monitoring import (
    AWS_CONNECTION_SCHEMA,
    AwsConnectionRoleArn,
    AwsConnectionRoleArnArgs,
    AwsMonitoringConfiguration,
    AwsMonitoringConfigurationArgs,
    connection_create_value,
    connection_value,
    pairing_identity,
)
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.scopes import AWS_MONITORING
from components.dynatrace.settings_object import SettingsObject, SettingsObjectArgs

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
    external_id: pulumi.Input[str] | None = None
    """The external ID the trust requires when it is not configured (the connection's object ID)."""


class DynatraceMonitoringRole(pulumi.ComponentResource):
    """``ai-observability:aws:DynatraceMonitoringRole`` — the role and its read-only inline policy."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DynatraceMonitoringRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        config = args.config
        external_id = config.external_id if config.external_id is not None else args.external_id
        if config.dynatrace_principal_arn is None or external_id is None:
            # BedrockMetricsConfig requires the principal when enabled, and the stack passes the
            # connection's object ID when no external ID is configured: reaching this is a wiring bug.
            raise ValueError("the Dynatrace monitoring role needs telemetry.bedrockMetrics principal and external ID")
        principal = config.dynatrace_principal_arn
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            name=config.role_name,
            description="Dynatrace AWS Cloud Platform Monitoring: reads CloudWatch metrics (Bedrock)",
            assume_role_policy=pulumi.Output.from_input(external_id).apply(lambda e: trust_policy(principal, e)),
            max_session_duration=MAX_SESSION_SECONDS,
            tags=dict(args.tags),
            opts=child,
        )
        aws.iam.RolePolicy(f"{name}-read-metrics", role=role.name, policy=read_metrics_policy(), opts=child)
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn})


CONNECTION_TYPE_TOKEN: Final = "ai-observability:dynatrace:AwsMonitoringConnection"  # noqa: S105 (a type token)


@dataclass(frozen=True)
class DynatraceAwsConnectionArgs:
    platform_url: pulumi.Input[str]
    platform_auth: PlatformAuth
    """A platform token or an OAuth client (secrets), with the scopes of
    :data:`~components.dynatrace.scopes.AWS_MONITORING`."""
    owner: str
    config: BedrockMetricsConfig
    connection_name: str
    regions: pulumi.Input[Sequence[str]]
    tags: Mapping[str, str]


class DynatraceAwsConnection(pulumi.ComponentResource):
    """``ai-observability:dynatrace:AwsMonitoringConnection`` — both sides of AWS Cloud Platform Monitoring.

    One ``pulumi up`` resolves the external-ID chicken-and-egg: the connection is created first
    with an empty role ARN; its object ID is the external ID the role's trust requires (unless one
    is configured); the role is created with that condition; then the role ARN is written into
    the connection; the monitoring configuration (Bedrock feature sets, the stack's regions) is
    created last, pointing at the connection.
    """

    connection_id: pulumi.Output[str]
    external_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    monitoring_configuration_id: pulumi.Output[str]

    def __init__(self, name: str, args: DynatraceAwsConnectionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(CONNECTION_TYPE_TOKEN, name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)
        connection = SettingsObject(
            f"{name}-connection",
            SettingsObjectArgs(
                platform_url=args.platform_url,
                platform_auth=args.platform_auth,
                oauth_scopes=AWS_MONITORING.scopes,
                owner=args.owner,
                schema_id=AWS_CONNECTION_SCHEMA,
                key="bedrock-metrics",
                value=connection_value(args.connection_name),
                create_value=connection_create_value(),
                # Replaced together with what cannot change in place on it or its configuration.
                replacement_trigger=pairing_identity(config.role_name),
            ),
            opts=child,
        )
        external_id: pulumi.Output[str] = (
            pulumi.Output.from_input(config.external_id) if config.external_id else connection.object_id
        )
        role = DynatraceMonitoringRole(
            f"{name}-monitoring",
            DynatraceMonitoringRoleArgs(config=config, tags=args.tags, external_id=external_id),
            # The role component used to sit at the stack root: keep its URN (and the IAM role).
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]),
        )
        arn = AwsConnectionRoleArn(
            f"{name}-role-arn",
            AwsConnectionRoleArnArgs(
                platform_url=args.platform_url,
                platform_auth=args.platform_auth,
                connection_id=connection.object_id,
                role_arn=role.role_arn,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
        )
        monitoring = AwsMonitoringConfiguration(
            f"{name}-monitoring-configuration",
            AwsMonitoringConfigurationArgs(
                platform_url=args.platform_url,
                platform_auth=args.platform_auth,
                description=args.connection_name,
                connection_id=arn.connection_id,
                account_id=role.role_arn.apply(lambda a: a.split(":")[4]),
                regions=args.regions,
                feature_sets=list(config.feature_sets),
            ),
            opts=child,
        )
        self.connection_id = connection.object_id
        self.external_id = external_id
        self.role_arn = role.role_arn
        self.monitoring_configuration_id = monitoring.object_id
        self.register_outputs(
            {
                "connectionId": self.connection_id,
                "externalId": self.external_id,
                "roleArn": self.role_arn,
                "monitoringConfigurationId": self.monitoring_configuration_id,
            }
        )
