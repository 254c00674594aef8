"""Run ``CollectorDaemonSet`` under Pulumi mocks and read back its Kubernetes objects and outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.config import CollectorConfig, KongConfig
from components.kubernetes.collector import CollectorDaemonSet, CollectorDaemonSetArgs
from tools.mock_run import RegisteredResource, integral, run_under_mocks
from tools.mock_run import redact as redact

# A shape-valid ingest token whose text must never leave the Secret.
CANARY_TOKEN = "dt0c01." + "CANARYCOLLECTOR000000000" + "." + "K" * 64
OTLP_ENDPOINT = "https://abc12345.live.dynatrace.com/api/v2/otlp"


class Registered(RegisteredResource):
    @property
    def manifest(self) -> dict[str, Any]:
        """The Kubernetes object as the API server would receive it (secrets unwrapped, ints as ints)."""
        result: dict[str, Any] = integral(self.plain_inputs)
        return result


@dataclass
class Run:
    resources: list[Registered]
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Registered]:
        return [r for r in self.resources if r.type.endswith(f":{kind}")]

    def one(self, kind: str, name_suffix: str = "") -> dict[str, Any]:
        found = [r.manifest for r in self.of_kind(kind) if r.name.endswith(name_suffix)]
        assert len(found) == 1, f"expected one {kind} named *{name_suffix}, got {len(found)}"
        return found[0]

    @property
    def k8s_objects(self) -> list[dict[str, Any]]:
        return [r.manifest for r in self.resources if r.type.startswith("kubernetes:")]

    @property
    def config_yaml(self) -> str:
        data = self.one("ConfigMap", "-config")["data"]
        return str(data["config.yaml"])


def run_collector(
    collector: CollectorConfig | None = None,
    kong: KongConfig | None = None,
    token: str = CANARY_TOKEN,
    with_provider: bool = False,
) -> Run:
    """Register a ``CollectorDaemonSet`` under mocks; every resource and the outputs, resolved."""

    def program() -> dict[str, Any]:
        opts = None
        if with_provider:
            import pulumi_kubernetes as k8s

            opts = pulumi.ResourceOptions(provider=k8s.Provider("cluster"))
        component = CollectorDaemonSet(
            "collector",
            CollectorDaemonSetArgs(
                collector=collector or CollectorConfig(app_namespaces=["genai-apps"]),
                kong=kong or KongConfig(enabled=True),
                otlp_endpoint=OTLP_ENDPOINT,
                ingest_token=pulumi.Output.secret(token),
            ),
            opts=opts,
        )

        return {
            "namespace": component.namespace,
            "config_yaml": component.config_yaml,
            "instrumentation": component.instrumentation,
        }

    recorded = run_under_mocks(program, stack="test", region="eu-central-1", resource_class=Registered)
    return Run(recorded.resources, recorded.outputs)
