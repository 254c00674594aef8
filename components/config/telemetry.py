"""``ai-observability:telemetry`` — GPU metrics (DCGM exporter) and Bedrock CloudWatch metrics."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field, StringConstraints, model_validator

from ._base import AwsName, ConfigModel
from .arn import IamPrincipalArn
from .image import PinnedImage
from .quantity import CpuQuantity, memory_range
from .quantity import MemoryQuantity as Quantity
from .region import AwsRegion

# NVIDIA's dcgm-exporter Helm chart (deployment/values.yaml) suggests 128Mi; 8Gi is far above any exporter.
DcgmMemory = Annotated[Quantity, memory_range("128Mi", "8Gi", "NVIDIA's chart suggests 128Mi for the exporter")]
DCGM_EXPORTER_IMAGE: Final = "nvcr.io/nvidia/k8s/dcgm-exporter:4.6.1-4.8.4-distroless"


class DcgmExporterConfig(ConfigModel):
    """The NVIDIA DCGM exporter DaemonSet on the stack's GPU node groups."""

    enabled: bool = True
    """Deploy it where a node group needs it (see ``gpuNodeGroups[].dcgmExporter``); false: never."""
    image: PinnedImage = DCGM_EXPORTER_IMAGE
    """The ``nvcr.io/nvidia/k8s/dcgm-exporter`` image (or a mirror), pinned by a tag other than ``latest``, a digest
    or both."""
    cpu: CpuQuantity = "100m"
    """CPU request = limit."""
    memory: DcgmMemory = "256Mi"
    """Memory request = limit; at least 128Mi (the limit NVIDIA's dcgm-exporter Helm chart suggests)."""


# sts:ExternalId as STS accepts it: 2-1224 characters of [\w+=,.@:/-].
ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")]


class BedrockMetricsConfig(ConfigModel):
    """Bedrock CloudWatch metrics into Dynatrace (AWS Cloud Platform Monitoring, poll-based).

    The stack owns the account side: the IAM monitoring role Dynatrace assumes, trusted only by
    the Dynatrace principal and only with the connection's external ID, allowed to read
    CloudWatch metrics and nothing else.
    """

    enabled: bool = False
    role_name: AwsName = "ai-obs-dynatrace-monitoring"
    """IAM role name; the CI deploy role (docs/deploy-role-policy.json) may create roles named ``ai-obs*``.
    A change replaces the role, the Dynatrace AWS connection and its monitoring configuration
    (Dynatrace never changes a role ARN once set)."""
    dynatrace_principal_arn: IamPrincipalArn | None = None
    """The Dynatrace AWS principal the connection wizard names (``arn:aws:iam::<account>:root`` or a role)."""
    external_id: ExternalId | None = None
    """Override of the external ID the role's trust requires; unset: the AWS connection's object ID
    (the stack creates the connection and reads it). Set it only for a connection made elsewhere."""
    connection_name: Annotated[str, StringConstraints(min_length=3, max_length=100, pattern=r"^[^:]+$")] | None = None
    """Name of the Dynatrace AWS connection (3-100 characters, no ':'); unset: ``ai-observability-<stack>``."""
    regions: list[AwsRegion] = Field(default_factory=list)
    """AWS regions Dynatrace polls, in the stack's partition (the monitoring role lives there); empty: the stack's
    AWS region."""
    feature_sets: list[Annotated[str, StringConstraints(pattern=r"^Bedrock[A-Za-z0-9_]*$")]] = Field(
        default_factory=list
    )
    """Feature sets of the da-aws extension to enable (each ``Bedrock*``); empty: every ``Bedrock*`` one."""

    @model_validator(mode="after")
    def _complete(self) -> BedrockMetricsConfig:
        if self.enabled and self.dynatrace_principal_arn is None:
            raise ValueError("@dynatracePrincipalArn: is required when enabled is true")
        return self


class TelemetryConfig(ConfigModel):
    dcgm_exporter: DcgmExporterConfig = Field(default_factory=DcgmExporterConfig)
    bedrock_metrics: BedrockMetricsConfig = Field(default_factory=BedrockMetricsConfig)
