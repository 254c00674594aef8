"""Wires the typed configuration into the components; returns the stack outputs.

Data flows one way: ``StackConfig`` → components → resources. Each ``_area`` function
owns one part of the stack and receives only what it needs from the others.
"""

from __future__ import annotations

from typing import Any

import pulumi

from .config import StackConfig

Outputs = dict[str, Any]


def build(config: StackConfig) -> Outputs:
    """Register every resource the configuration asks for; return the stack outputs."""
    outputs: Outputs = {"stack": config.stack, "dynatraceEnvironmentUrl": config.dynatrace.environment_url}
    ingest_token = _governance(config, outputs)
    _event_forwarding(config, ingest_token, outputs)
    _guardrails(config, outputs)
    k8s_provider = _kubernetes(config, outputs)
    _collector(config, ingest_token, k8s_provider, outputs)
    return outputs


def _governance(config: StackConfig, outputs: Outputs) -> pulumi.Output[str] | None:
    """Dynatrace governance (issue 3); returns the ingest token (a secret) for later parts."""
    if config.secrets.has("dynatraceIngestToken"):
        return config.secrets.output("dynatraceIngestToken")
    return None


def _event_forwarding(config: StackConfig, ingest_token: pulumi.Output[str] | None, outputs: Outputs) -> None:
    """Bedrock governance events → Dynatrace business events (issue 4)."""


def _guardrails(config: StackConfig, outputs: Outputs) -> None:
    """Bedrock guardrails and model invocation logging (issue 4)."""


def _kubernetes(config: StackConfig, outputs: Outputs) -> Any:
    """EKS cluster access, GPU node groups, device plugin and NIM services (issue 5).

    Returns the ``pulumi_kubernetes.Provider`` every Kubernetes resource must use (or None).
    """
    return None


def _collector(
    config: StackConfig, ingest_token: pulumi.Output[str] | None, k8s_provider: Any, outputs: Outputs
) -> None:
    """Dynatrace OTel collector DaemonSet, Kong metrics and app settings (issue 6)."""
