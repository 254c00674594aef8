"""Run ``CollectorDaemonSet`` under Pulumi mocks and read back its Kubernetes objects and outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc

from components.collector import CollectorDaemonSet, CollectorDaemonSetArgs
from components.config import CollectorConfig, KongConfig

# A shape-valid ingest token whose text must never leave the Secret.
CANARY_TOKEN = "dt0c01." + "CANARYCOLLECTOR000000000" + "." + "K" * 64
OTLP_ENDPOINT = "https://abc12345.live.dynatrace.com/api/v2/otlp"

_SIG_KEY = rpc._special_sig_key
_SECRET_SIG = rpc._special_secret_sig


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG_KEY) == _SECRET_SIG


def unwrap(value: Any) -> Any:
    """Secrets unwrapped; integral floats (the wire format's numbers) back to ints."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def redact(value: Any) -> Any:
    if is_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]  # wire format, secrets still wrapped
    provider: str

    @property
    def manifest(self) -> dict[str, Any]:
        """The Kubernetes object as the API server would receive it (secrets unwrapped)."""
        return unwrap(self.inputs)  # type: ignore[no-any-return]


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


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs), args.provider or ""))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, []


def run_collector(
    collector: CollectorConfig | None = None,
    kong: KongConfig | None = None,
    token: str = CANARY_TOKEN,
    with_provider: bool = False,
) -> Run:
    """Register a ``CollectorDaemonSet`` under mocks; every resource and the outputs, resolved."""
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, project="ai-observability", stack="test", preview=False)
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
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

        def keep(values: list[Any]) -> None:
            outputs.update(namespace=values[0], config_yaml=values[1], instrumentation=values[2])

        return pulumi.Output.all(component.namespace, component.config_yaml, component.instrumentation).apply(keep)

    program()
    return Run(mocks.registered, outputs)
