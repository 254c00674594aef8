"""Harness for the Kubernetes-side tests: run ``stack._kubernetes`` under Pulumi mocks.

The mocks answer invokes from ``tools/mock_invokes.py`` and resources from
``tools/mock_state.py`` (the offline plan's own answers), and record every registration with
its inputs in engine wire format (camelCase, secrets still wrapped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from components.config import StackConfig, parse_stack_config
from tests.conftest import FAKE_API_TOKEN, FAKE_NGC_KEY, FAKE_PLATFORM_TOKEN, stack_file
from tools.mock_invokes import MOCK_INVOKES, InvokeContext
from tools.mock_state import mock_state

NS = "ai-observability"
REGION = "eu-central-1"
ENV = {"DT_API_TOKEN": FAKE_API_TOKEN, "DT_PLATFORM_TOKEN": FAKE_PLATFORM_TOKEN, "NGC_API_KEY": FAKE_NGC_KEY}
_SIG = rpc._special_sig_key
_SECRET = rpc._special_secret_sig


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG) == _SECRET


def unwrap(value: Any) -> Any:
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
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
    inputs: dict[str, Any]  # wire format, secrets wrapped
    provider: str

    @property
    def plain(self) -> dict[str, Any]:
        result: dict[str, Any] = unwrap(self.inputs)
        return result


@dataclass
class Run:
    resources: list[Registered] = field(default_factory=list)
    invokes: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    provider: Any = None

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name_contains: str = "") -> Registered:
        found = [r for r in self.of_type(type_) if name_contains in r.name]
        assert len(found) == 1, f"expected one {type_} ~{name_contains!r}, got {[r.name for r in found]}"
        return found[0]

    def kubernetes(self) -> list[Registered]:
        return [r for r in self.resources if r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:")]


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self, run: Run, stack: str) -> None:
        self.run = run
        self.context = InvokeContext(stack=stack, region=REGION)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.run.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider or ""))
        return f"{args.name}-id", mock_state(args.typ, args.name, unwrap(args.inputs), REGION)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        self.run.invokes.append(args.token)
        # An empty failure list: the SDK iterates it (None would fail).
        return MOCK_INVOKES[args.token](args.args, self.context), []


def run_kubernetes(config: StackConfig) -> Run:
    """Register what ``stack._kubernetes`` declares for ``config``; outputs fully resolved."""
    from components import stack

    run = Run()
    pulumi.runtime.set_mocks(_Mocks(run, config.stack), project=NS, stack=config.stack, preview=False)

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        outputs: dict[str, Any] = {}
        run.provider = stack._kubernetes(config, outputs)

        def keep(values: Any) -> None:
            run.outputs.update(values)

        return pulumi.Output.from_input(outputs).apply(keep)

    program()
    return run


def config_for(
    stack: str, edit: Callable[[dict[str, Any]], None] | None = None, env: dict[str, str] | None = None
) -> StackConfig:
    raw = stack_file(stack)
    if edit is not None:
        edit(raw)
    return parse_stack_config(raw, ENV if env is None else env, stack)


_RUNS: dict[str, Run] = {}


@pytest.fixture(scope="session")
def dev_run() -> Run:
    if "dev" not in _RUNS:
        _RUNS["dev"] = run_kubernetes(config_for("dev"))
    return _RUNS["dev"]


@pytest.fixture(scope="session")
def prod_run() -> Run:
    if "prod" not in _RUNS:
        _RUNS["prod"] = run_kubernetes(config_for("prod"))
    return _RUNS["prod"]


def manifests(run: Run) -> list[dict[str, Any]]:
    """Kubernetes objects as the offline plan writes them (``tools.plan.kubernetes_manifest``)."""
    from tools.plan import PlannedResource, kubernetes_manifest

    found = []
    for resource in run.kubernetes():
        planned = PlannedResource(
            urn=resource.name, type=resource.type, name=resource.name, parent="", custom=True, inputs=resource.inputs
        )
        manifest = kubernetes_manifest(planned)
        if manifest is not None:
            for key in ("data", "stringData"):
                # The SDK marks a Secret's whole map secret: redact the values, keep the keys.
                if is_secret(resource.inputs.get(key)):
                    manifest[key] = {k: "[secret]" for k in resource.plain[key]}
        if manifest is not None:
            found.append(manifest)
    return found
