"""Run components under Pulumi's mocks and record what the engine would receive.

Answers come from the offline plan's own tables (``tools.mock_invokes``, ``tools.mock_state``),
so component tests see the same ARNs, names and account id as ``python -m tools.plan``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings

from tools.mock_invokes import MOCK_INVOKES, InvokeContext
from tools.mock_state import mock_state
from tools.plan import is_secret_wrapper, unwrap

REGION = "eu-central-1"


@dataclass
class Registered:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]  # wire format, secrets still wrapped
    dependencies: list[str]

    @property
    def plain(self) -> dict[str, Any]:
        result: dict[str, Any] = unwrap(self.inputs)
        return result

    def policy(self, key: str = "policy") -> dict[str, Any]:
        """A JSON policy input, parsed."""
        document: dict[str, Any] = json.loads(self.plain[key])
        return document


@dataclass
class MockRun:
    resources: list[Registered]
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    invokes: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registered:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registered:
        return next(r for r in self.resources if r.urn == urn)


def _plain_data(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_data(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def run(program: Callable[[], Mapping[str, Any]], *, region: str = REGION, stack: str = "test") -> MockRun:
    """Evaluate ``program`` (which returns outputs to resolve) under mocks; record every resource."""
    context = InvokeContext(stack=stack, region=region)
    result = MockRun(resources=[])

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
            return f"{args.name}-id", mock_state(args.typ, args.name, unwrap(args.inputs), region)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
            result.invokes.append(args.token)
            return MOCK_INVOKES[args.token](args.args, context), []

    class Monitor(mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)
            if request.type != "pulumi:pulumi:Stack":
                inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
                result.resources.append(
                    Registered(
                        urn=response.urn,
                        type=request.type,
                        name=request.name,
                        parent=request.parent,
                        custom=bool(request.custom),
                        inputs=_plain_data(inputs),
                        dependencies=list(request.dependencies),
                    )
                )
            return response

    impl = Mocks()
    settings.ROOT.set(None)  # set_mocks keeps an earlier run's root stack (and its outputs) otherwise
    pulumi.runtime.set_mocks(impl, project="ai-observability", stack=stack, preview=False, monitor=Monitor(impl))

    async def collect(exported: Mapping[str, Any]) -> None:
        for key, value in exported.items():
            output = pulumi.Output.from_input(value)
            result.outputs[key] = _plain_data(await output.future())
            if await output.is_secret():
                result.secret_outputs.add(key)

    def body() -> Any:
        return asyncio.ensure_future(collect(program()))

    pulumi.runtime.test(body)()
    return result


def contains_plain(value: Any, needle: str) -> bool:
    """``needle`` occurs in ``value`` outside secret wrappers."""
    if is_secret_wrapper(value):
        return False
    if isinstance(value, dict):
        return any(contains_plain(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(contains_plain(v, needle) for v in value)
    return isinstance(value, str) and needle in value
