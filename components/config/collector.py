"""``ai-observability:collector`` and ``kong`` — the Dynatrace OTel collector DaemonSet."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from policies.rules._gpu_nodes import GPU_INSTANCE_TYPES

from ._base import ConfigModel, Duration, K8sName, duration_nanoseconds, duration_seconds, within
from .image import ImageDigest, ImageRepository
from .k8s_grammar import label_problem
from .quantity import CpuQuantity, MemoryQuantity, memory_range, parse_quantity

# Scrape job names the collector configuration uses itself (Prometheus requires unique names).
ANNOTATED_PODS_JOB = "dynatrace-annotated-pods"
KONG_JOB = "kong"
# Dynatrace's NVIDIA NIM page scrapes NIM in a job of this name every 10 s; the prometheus
# receiver turns the job name into ``service.name``, which the NIM dashboard filters on.
NIM_JOB = "nim-metrics"
NIM_SCRAPE_INTERVAL = "10s"

# The signals the collector exports to Dynatrace's OTLP API, and the token scope each endpoint
# requires (Dynatrace, "Set up ingest tokens": Ingest metrics / logs / OpenTelemetry traces).
COLLECTOR_SIGNAL_SCOPES: dict[str, str] = {
    "metrics": "metrics.ingest",
    "traces": "openTelemetryTrace.ingest",
    "logs": "logs.ingest",
}

# Scrape intervals: at least a second (Dynatrace keeps metric data at 1-minute resolution; faster
# scrapes only load the pods), at most an hour (Dynatrace's metric ingest refuses data points more
# than an hour in the past, and a series needs two scrapes to give a delta).
ScrapeInterval = Annotated[
    Duration, within(duration_nanoseconds, "1s", "1h", "a Prometheus scrape interval Dynatrace can use")
]
# The largest node any pod of the stack can land on: the memory of the largest supported GPU instance.
LARGEST_NODE_MEMORY = f"{max(i.memory_gib for i in GPU_INSTANCE_TYPES.values())}Gi"
# The collector's memory: Dynatrace's collector system requirements recommend 500 MiB for about
# 1000 spans, 1000 metric data points and 1 MB of logs per second; below 128 MiB the memory limiter
# (80 % of the limit) leaves no room for a single export batch. At most the largest node.
CollectorMemory = Annotated[
    MemoryQuantity, memory_range("128Mi", LARGEST_NODE_MEMORY, "a collector needs at least 128Mi and must fit a node")
]


class NimScrapeConfig(ConfigModel):
    """How the collector scrapes the NIM pods this stack deploys (``nims``)."""

    mode: Literal["job", "annotations", "external"] = "job"
    """``job``: a dedicated job ``jobName`` every ``interval``; the annotated-pods job skips these pods.
    ``annotations``: like any annotated pod (job ``dynatrace-annotated-pods``, ``collector.scrapeInterval``).
    ``external``: not at all — a Dynatrace Operator/ActiveGate reading the pod annotations scrapes them."""
    job_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$")] = NIM_JOB
    """Prometheus job name, which becomes the series' ``job`` label and ``service.name``; not
    ``dynatrace-annotated-pods`` or ``kong`` (the collector's other jobs)."""
    interval: ScrapeInterval = NIM_SCRAPE_INTERVAL
    """Scrape interval of the NIM job; shorter than ``collector.maxStaleness`` (mode ``job``)."""

    @field_validator("job_name")
    @classmethod
    def _unique_job(cls, value: str) -> str:
        if value in (ANNOTATED_PODS_JOB, KONG_JOB):
            raise ValueError(
                f"{value!r} is a scrape job of the collector already ({ANNOTATED_PODS_JOB}, {KONG_JOB}); "
                f"pick another name, e.g. {NIM_JOB!r}"
            )
        return value


class CollectorResources(ConfigModel):
    cpu_request: CpuQuantity = "200m"
    """Must not exceed ``cpuLimit``."""
    cpu_limit: CpuQuantity = "1"
    memory_request: CollectorMemory = "256Mi"
    """Must not exceed ``memoryLimit``."""
    memory_limit: CollectorMemory = "1Gi"
    """Container memory limit; ``memory_limiter`` works at 80 % of it."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> CollectorResources:
        # The API server rejects a container whose request exceeds its limit ("must be less than or
        # equal to ... limit"; Kubernetes docs, "Resource Management for Pods and Containers").
        if parse_quantity(self.cpu_request) > parse_quantity(self.cpu_limit):
            raise ValueError(f"@cpuRequest: {self.cpu_request} must not exceed cpuLimit ({self.cpu_limit})")
        if parse_quantity(self.memory_request) > parse_quantity(self.memory_limit):
            raise ValueError(f"@memoryRequest: {self.memory_request} must not exceed memoryLimit ({self.memory_limit})")
        return self


class CollectorConfig(ConfigModel):
    enabled: bool = True
    """Needs ``ai-observability:eks``."""
    namespace: K8sName = "dynatrace"
    create_namespace: bool = True
    """Create (and own) ``namespace``; false when it already exists, e.g. shared with the Dynatrace Operator."""
    image_repository: ImageRepository = "ghcr.io/dynatrace/dynatrace-otel-collector/dynatrace-otel-collector"
    """Collector image repository (mirrors such as public ECR or Docker Hub work); the image is
    ``<imageRepository>:<imageVersion>``, with ``@<imageDigest>`` when set."""
    image_version: Annotated[str, StringConstraints(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")] = "0.54.0"
    """Dynatrace distribution version (tag without ``v``); selects the component type names."""
    image_digest: ImageDigest | None = None
    """Digest of that image (``sha256:<64 hex>``), pinning it beyond the tag."""
    scrape_interval: ScrapeInterval = "30s"
    """Interval of the annotated-pods scrape job."""
    max_staleness: Duration = "5m"
    """How long ``cumulativetodelta`` keeps a series' state; longer than ``scrapeInterval`` and ``kong.scrapeInterval``
    (Dynatrace suggests about 10x the interval)."""
    otlp_exposure: Literal["hostPort", "service"] = "service"
    """How apps reach the node-local collector: a Service with ``internalTrafficPolicy: Local`` or hostPorts."""
    app_namespaces: list[K8sName] = Field(default_factory=list)
    """Existing namespaces that get the ``otel-instrumentation`` ConfigMap for apps to ``envFrom``."""
    resources: CollectorResources = Field(default_factory=CollectorResources)
    nim_scrape: NimScrapeConfig = Field(default_factory=NimScrapeConfig)

    @property
    def image(self) -> str:
        """The collector image reference: ``<repository>:<version>``, ``@<digest>`` appended when set."""
        digest = f"@{self.image_digest}" if self.image_digest is not None else ""
        return f"{self.image_repository}:{self.image_version}{digest}"

    @field_validator("app_namespaces")
    @classmethod
    def _unique_namespaces(cls, value: list[K8sName]) -> list[K8sName]:
        repeated = sorted({ns for ns in value if value.count(ns) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return value

    @model_validator(mode="after")
    def _staleness(self) -> CollectorConfig:
        if duration_seconds(self.max_staleness) <= duration_seconds(self.scrape_interval):
            raise ValueError(
                f"@maxStaleness: must be longer than scrapeInterval ({self.scrape_interval}); "
                "Dynatrace suggests about 10x the interval"
            )
        nim = self.nim_scrape
        if nim.mode == "job" and duration_seconds(nim.interval) >= duration_seconds(self.max_staleness):
            raise ValueError(
                f"@nimScrape.interval: {nim.interval} must be shorter than maxStaleness ({self.max_staleness}); "
                "otherwise cumulativetodelta forgets every NIM series between two scrapes"
            )
        return self


class KongConfig(ConfigModel):
    enabled: bool = False
    """Needs the collector. Kong's Prometheus plugin needs ``ai_metrics: true`` (Kong 3.8 or later)."""
    namespace: K8sName = "kong"
    """Namespace of the Kong gateway (installed by Kong's Helm chart; not created here)."""
    discovery: Literal["service", "annotations"] = "service"
    """``service``: create the ``kong-metrics`` Service (Kong status port) and scrape its pods node-locally;
    ``annotations``: Kong pods carry the ``metrics.dynatrace.com/*`` annotations themselves."""
    port: Annotated[int, Field(ge=1, le=65535)] = 8100
    """Kong's status listener port: 1-65535 (a TCP port; Kubernetes ``containerPort`` and Service ``targetPort`` take
    the same range)."""
    path: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]*$")] = "/metrics"
    """Metrics path on the status listener."""
    scrape_interval: ScrapeInterval = "10s"
    """Interval of the ``kong`` job; shorter than ``collector.maxStaleness``."""
    selector: dict[str, str] = Field(
        default_factory=lambda: {
            "app.kubernetes.io/name": "kong",
            "app.kubernetes.io/instance": "kong",
        }
    )
    """Labels of Kong's pods (its Helm release labels); at least one, each a Kubernetes label (``[prefix/]name``
    and value of at most 63 characters, letters, digits, ``-_.``)."""

    @field_validator("selector")
    @classmethod
    def _selector(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("needs at least one label (an empty selector would match every pod in the namespace)")
        problems = [problem for key, label in value.items() if (problem := label_problem(key, label)) is not None]
        if problems:
            raise ValueError("; ".join(problems))
        return value
