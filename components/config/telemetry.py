"""``ai-observability:telemetry`` — GPU metrics (DCGM exporter) and Bedrock CloudWatch metrics."""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import Field, StringConstraints, field_validator

from ._base import ConfigModel
from .kubernetes import CpuQuantity, Quantity

DCGM_EXPORTER_IMAGE: Final = "nvcr.io/nvidia/k8s/dcgm-exporter:4.6.1-4.8.4-distroless"
_IMAGE = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9._-]{1,128}$")


class DcgmExporterConfig(ConfigModel):
    """The NVIDIA DCGM exporter DaemonSet on the stack's GPU node groups."""

    enabled: bool = True
    """Deploy it where a node group needs it (see ``gpuNodeGroups[].dcgmExporter``); false: never."""
    image: str = DCGM_EXPORTER_IMAGE
    """Pinned ``nvcr.io/nvidia/k8s/dcgm-exporter`` tag (no ``latest``)."""
    cpu: CpuQuantity = "100m"
    """CPU request = limit."""
    memory: Quantity = "256Mi"
    """Memory request = limit."""

    @field_validator("image")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not _IMAGE.match(value):
            raise ValueError(
                f"must be <registry>/<repository>:<tag>, e.g. {DCGM_EXPORTER_IMAGE} (a pinned tag, never 'latest')"
            )
        if value.rsplit(":", 1)[1] == "latest":
            raise ValueError(f"must pin a version tag, not 'latest' (e.g. {DCGM_EXPORTER_IMAGE})")
        return value


AwsAccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]


class TelemetryConfig(ConfigModel):
    dcgm_exporter: DcgmExporterConfig = Field(default_factory=DcgmExporterConfig)
