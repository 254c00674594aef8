"""Metric keys of the GPU and provider telemetry, in one place for dashboards and alerts.

GPU metrics come from the NVIDIA DCGM exporter (field identifiers as the exporter names its
Prometheus series; the collector keeps the names). Bedrock metrics come from CloudWatch and
keep their CloudWatch namespace and metric name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

# --- NVIDIA DCGM exporter (counters file format: ``<field>, <prometheus type>, <help>``) ---------


@dataclass(frozen=True)
class DcgmField:
    name: str
    """The DCGM field identifier, also the Prometheus (and Dynatrace) metric key."""
    kind: Literal["gauge", "counter"]
    help: str
    unit: str


DCGM_GPU_UTILIZATION: Final = DcgmField("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).", "%")
DCGM_MEMORY_COPY_UTILIZATION: Final = DcgmField("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "Memory utilization (in %).", "%")
DCGM_FRAMEBUFFER_USED: Final = DcgmField("DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB).", "MiB")
DCGM_FRAMEBUFFER_FREE: Final = DcgmField("DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (in MiB).", "MiB")
DCGM_GPU_TEMPERATURE: Final = DcgmField("DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (in C).", "C")
DCGM_POWER_USAGE: Final = DcgmField("DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W).", "W")
DCGM_XID_ERRORS: Final = DcgmField("DCGM_FI_DEV_XID_ERRORS", "gauge", "Value of the last XID error encountered.", "xid")

DCGM_FIELDS: Final[tuple[DcgmField, ...]] = (
    DCGM_GPU_UTILIZATION,
    DCGM_MEMORY_COPY_UTILIZATION,
    DCGM_FRAMEBUFFER_USED,
    DCGM_FRAMEBUFFER_FREE,
    DCGM_GPU_TEMPERATURE,
    DCGM_POWER_USAGE,
    DCGM_XID_ERRORS,
)


def dcgm_counters_csv(fields: tuple[DcgmField, ...] = DCGM_FIELDS) -> str:
    """The exporter's counters file: one ``field, type, help`` line per metric, ``#`` comments."""
    lines = ["# DCGM field, Prometheus metric type, help message"]
    lines += [f"{field.name}, {field.kind}, {field.help}" for field in fields]
    return "\n".join(lines) + "\n"


# --- Amazon Bedrock CloudWatch metrics ----------------------------------------------------------


@dataclass(frozen=True)
class CloudWatchMetric:
    namespace: str
    name: str

    @property
    def key(self) -> str:
        """``<namespace>/<name>``, the identity dashboards and alerts refer to."""
        return f"{self.namespace}/{self.name}"

    def dynatrace_key(self, dimensions: tuple[str, ...]) -> str:
        """The metric key Dynatrace AWS monitoring stores it under, for one CloudWatch dimension set:
        ``cloud.aws.<namespace after AWS/, lower case, / as _>.<Metric>.By.<Dim>.<Dim>`` (CloudWatch
        case kept), e.g. ``cloud.aws.bedrock_guardrails.InvocationsIntervened.By.GuardrailArn.GuardrailVersion``
        — the keys Dynatrace's ready-made "AWS Bedrock" dashboard (``dynatrace.clouds.aws-bedrock``) queries."""
        service = self.namespace.removeprefix("AWS/").lower().replace("/", "_")
        return ".".join(("cloud.aws", service, self.name, "By", *dimensions))


BEDROCK_NAMESPACE: Final = "AWS/Bedrock"
"""Runtime invocations (InvokeModel, Converse and their streaming variants), per ModelId."""
BEDROCK_GUARDRAILS_NAMESPACE: Final = "AWS/Bedrock/Guardrails"
"""ApplyGuardrail and guardrails attached to invocations, per GuardrailArn/version, policy type, source."""
BEDROCK_NAMESPACES: Final[tuple[str, ...]] = (BEDROCK_NAMESPACE, BEDROCK_GUARDRAILS_NAMESPACE)

BEDROCK_INVOCATIONS: Final = CloudWatchMetric(BEDROCK_NAMESPACE, "Invocations")
BEDROCK_INVOCATION_LATENCY: Final = CloudWatchMetric(BEDROCK_NAMESPACE, "InvocationLatency")
BEDROCK_CLIENT_ERRORS: Final = CloudWatchMetric(BEDROCK_NAMESPACE, "InvocationClientErrors")
BEDROCK_SERVER_ERRORS: Final = CloudWatchMetric(BEDROCK_NAMESPACE, "InvocationServerErrors")
BEDROCK_THROTTLES: Final = CloudWatchMetric(BEDROCK_NAMESPACE, "InvocationThrottles")
BEDROCK_INPUT_TOKENS: Final = CloudWatchMetric(BEDROCK_NAMESPACE, "InputTokenCount")
BEDROCK_OUTPUT_TOKENS: Final = CloudWatchMetric(BEDROCK_NAMESPACE, "OutputTokenCount")
GUARDRAIL_INVOCATIONS: Final = CloudWatchMetric(BEDROCK_GUARDRAILS_NAMESPACE, "Invocations")
GUARDRAIL_LATENCY: Final = CloudWatchMetric(BEDROCK_GUARDRAILS_NAMESPACE, "InvocationLatency")
GUARDRAIL_CLIENT_ERRORS: Final = CloudWatchMetric(BEDROCK_GUARDRAILS_NAMESPACE, "InvocationClientErrors")
GUARDRAIL_SERVER_ERRORS: Final = CloudWatchMetric(BEDROCK_GUARDRAILS_NAMESPACE, "InvocationServerErrors")
GUARDRAIL_THROTTLES: Final = CloudWatchMetric(BEDROCK_GUARDRAILS_NAMESPACE, "InvocationThrottles")
GUARDRAIL_INTERVENTIONS: Final = CloudWatchMetric(BEDROCK_GUARDRAILS_NAMESPACE, "InvocationsIntervened")
GUARDRAIL_TEXT_UNITS: Final = CloudWatchMetric(BEDROCK_GUARDRAILS_NAMESPACE, "TextUnitCount")

BEDROCK_METRICS: Final[tuple[CloudWatchMetric, ...]] = (
    BEDROCK_INVOCATIONS,
    BEDROCK_INVOCATION_LATENCY,
    BEDROCK_CLIENT_ERRORS,
    BEDROCK_SERVER_ERRORS,
    BEDROCK_THROTTLES,
    BEDROCK_INPUT_TOKENS,
    BEDROCK_OUTPUT_TOKENS,
    GUARDRAIL_INVOCATIONS,
    GUARDRAIL_LATENCY,
    GUARDRAIL_CLIENT_ERRORS,
    GUARDRAIL_SERVER_ERRORS,
    GUARDRAIL_THROTTLES,
    GUARDRAIL_INTERVENTIONS,
    GUARDRAIL_TEXT_UNITS,
)
