"""``ai-observability:collector`` and ``kong`` — the Dynatrace OTel collector DaemonSet."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from ._base import ConfigModel, Duration, K8sName, duration_seconds
from .kubernetes import CpuQuantity, Quantity


class CollectorResources(ConfigModel):
    cpu_request: CpuQuantity = "200m"
    cpu_limit: CpuQuantity = "1"
    memory_request: Quantity = "256Mi"
    memory_limit: Quantity = "1Gi"


class CollectorConfig(ConfigModel):
    enabled: bool = True
    namespace: K8sName = "dynatrace"
    image_repository: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+$")] = (
        "ghcr.io/dynatrace/dynatrace-otel-collector/dynatrace-otel-collector"
    )
    image_version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")] = "0.54.0"
    scrape_interval: Duration = "30s"
    max_staleness: Duration = "5m"
    otlp_exposure: Literal["hostPort", "service"] = "hostPort"
    app_namespaces: list[K8sName] = Field(default_factory=list)
    """Namespaces that get the ``otel-instrumentation`` ConfigMap for apps to ``envFrom``."""
    resources: CollectorResources = Field(default_factory=CollectorResources)

    @model_validator(mode="after")
    def _staleness(self) -> CollectorConfig:
        if duration_seconds(self.max_staleness) <= duration_seconds(self.scrape_interval):
            raise ValueError(
                f"@maxStaleness: must be longer than scrapeInterval ({self.scrape_interval}); "
                "Dynatrace suggests about 10x the interval"
            )
        return self


class KongConfig(ConfigModel):
    enabled: bool = False
    namespace: K8sName = "kong"
    discovery: Literal["service", "annotations"] = "service"
    """``service``: create the seed's ``kong-metrics`` Service and scrape it; ``annotations``: node-local."""
    port: Annotated[int, Field(ge=1, le=65535)] = 8100
    scrape_interval: Duration = "10s"
    selector: dict[str, str] = Field(
        default_factory=lambda: {
            "app.kubernetes.io/name": "kong",
            "app.kubernetes.io/instance": "kong",
        }
    )
