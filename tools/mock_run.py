"""Evaluate code under Pulumi's official mocks and record what the engine would receive.

The one mechanism behind the offline plan (``tools.plan``) and the component test harnesses:
``run_under_mocks(program, stack=..., region=...)`` answers resource registrations from
``tools.mock_state`` and invokes from ``tools.mock_invokes``, and returns every registered
resource (inputs in engine wire format, camelCase, secrets still wrapped), the program's
resolved outputs with their secret flags, and the invoke tokens called.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.proto import alias_pb2

from components.secret_wire import is_secret_wrapper as is_secret_wrapper

from .mock_invokes import MOCK_INVOKES, InvokeContext
from .mock_state import mock_state

PROJECT = "ai-observability"
REDACTED = "[secret]"


class DuplicateUrnError(Exception):
    """The program registered two resources with one URN, which the engine refuses.

    The engine's step generator fails the whole deployment with this message (diagnostic 2001,
    ``sdk/go/common/diag/errors.go`` in pulumi/pulumi) before creating anything; Pulumi's mock
    monitor would instead overwrite the first resource silently.
    """

    def __init__(self, urn: str) -> None:
        self.urn = urn
        super().__init__(f"Duplicate resource URN '{urn}'; try giving it a unique name")


def unwrap(value: Any) -> Any:
    """``value`` with every secret wrapper replaced by the plain value it holds."""
    if is_secret_wrapper(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def redact(value: Any, *, keep_structure: bool = False) -> Any:
    """``value`` with every secret (as wrapped by the SDK) replaced by ``"[secret]"``.

    With ``keep_structure`` a secret map or list keeps its keys and shape and only its leaves
    become ``"[secret]"`` (a Secret manifest keeps its data keys, as the API server needs).
    """
    if is_secret_wrapper(value):
        return _redact_leaves(unwrap(value)) if keep_structure else REDACTED
    if isinstance(value, dict):
        return {k: redact(v, keep_structure=keep_structure) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, keep_structure=keep_structure) for v in value]
    return value


def _redact_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_leaves(v) for v in value]
    return REDACTED


def integral(value: Any) -> Any:
    """Whole-number floats (the wire format's only number type) back to ints, as in a manifest."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def wire(value: Any) -> Any:
    """Plain JSON-compatible data: wrappers kept, unknowns as None, anything else as its text."""
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return None
    if isinstance(value, dict):
        return {str(k): wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def create_urn(name: str, type_: str, parent: str, *, project: str, stack: str) -> str:
    """The URN the engine gives ``name`` of ``type_`` under ``parent`` (a URN, or "" for none).

    A child's type is qualified by its parent's whole qualified type, except directly under the root
    stack (``resource.CreateURN`` in ``sdk/go/common/resource/alias.go`` of pulumi/pulumi; Pulumi's
    mock monitor differs).
    """
    if parent and parent.split("::")[2] != ROOT_STACK_TYPE:
        return f"{parent[: parent.rindex('::')]}${type_}::{name}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def alias_urn(alias: alias_pb2.Alias, request: Any, *, project: str, stack: str) -> str:
    """The old URN one alias of a registration stands for, resolved as the engine resolves it.

    The monitor supports alias specs, as the engine does (the SDK then sends a spec rather than
    computing every URN itself). What a spec leaves empty is the resource's own name, type,
    parent, project and stack; ``noParent`` or a root-stack parent means no parent
    (``stepGenerator.collapseAliasToUrn`` in ``pkg/resource/deploy/step_generator.go`` of
    pulumi/pulumi). The aliases the engine derives from an aliased parent are not included:
    ``tools.urn_snapshot`` derives them.
    """
    if alias.WhichOneof("alias") != "spec":
        return str(alias.urn)
    spec = alias.spec
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    return create_urn(
        spec.name or request.name,
        spec.type or request.type,
        parent,
        project=spec.project or project,
        stack=spec.stack or stack,
    )


@dataclass
class RegisteredResource:
    """One resource the program registered, as the engine would have received it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]  # wire format, secrets still wrapped
    provider: str = ""  # provider reference ("<urn>::<id>"), empty for the default provider
    dependencies: list[str] = field(default_factory=list)  # URNs
    aliases: list[str] = field(default_factory=list)  # earlier URNs this resource answers for

    @property
    def plain_inputs(self) -> dict[str, Any]:
        result: dict[str, Any] = unwrap(self.inputs)
        return result

    @property
    def redacted_inputs(self) -> dict[str, Any]:
        result: dict[str, Any] = redact(self.inputs)
        return result


R = TypeVar("R", bound=RegisteredResource)


@dataclass
class MockRun(Generic[R]):
    """What one evaluation under mocks registered, resolved and invoked."""

    resources: list[R] = field(default_factory=list)  # in registration order
    outputs: dict[str, Any] = field(default_factory=dict)  # wire format, secret outputs in the clear
    secret_outputs: set[str] = field(default_factory=set)
    invokes: list[str] = field(default_factory=list)  # tokens, in call order

    @property
    def redacted_outputs(self) -> dict[str, Any]:
        return {k: REDACTED if k in self.secret_outputs else redact(v) for k, v in self.outputs.items()}

    def of_type(self, type_: str) -> list[R]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name_contains: str = "") -> R:
        found = [r for r in self.of_type(type_) if name_contains in r.name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_} ~{name_contains!r}, got {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> R:
        return next(r for r in self.resources if r.urn == urn)


Program = Callable[[], Mapping[str, Any] | None]


def run_under_mocks(
    program: Program,
    *,
    stack: str,
    region: str,
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    resource_class: type[R],
    on_register: Callable[[R], None] | None = None,
) -> MockRun[R]:
    """Evaluate ``program`` under mocks for ``stack``/``region`` with exactly ``config``.

    The outputs are what ``program`` returns, or (when it returns None) what it exported with
    ``pulumi.export``. ``on_register`` sees each resource as it is registered (so a caller
    still knows what was registered when the program raises). A second registration of one URN
    raises ``DuplicateUrnError``, as the engine refuses it. ``resource_class``
    (``RegisteredResource`` or a subclass adding views) is what each record is built as.
    """
    context = InvokeContext(stack=stack, region=region)
    result: MockRun[R] = MockRun()
    registered_urns: set[str] = set()

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
            return f"{args.name}-id", mock_state(args.typ, args.name, unwrap(args.inputs), region)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
            result.invokes.append(args.token)
            answer = MOCK_INVOKES.get(args.token)
            if answer is None:
                raise NotImplementedError(f"no mock answer for invoke {args.token}; add one to tools/mock_invokes.py")
            # An empty failure list: the SDK iterates it (None would fail).
            return answer(args.args, context), []

    class Monitor(mocks.MockMonitor):
        def make_urn(self, parent: str, type_: str, name: str) -> str:
            return create_urn(name, type_, parent, project=pulumi.get_project(), stack=pulumi.get_stack())

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
            if response.urn in registered_urns:
                raise DuplicateUrnError(response.urn)
            registered_urns.add(response.urn)
            if request.type != ROOT_STACK_TYPE:
                project, stack_name = pulumi.get_project(), pulumi.get_stack()
                aliases = [alias_urn(a, request, project=project, stack=stack_name) for a in request.aliases]
                inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
                resource = resource_class(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    custom=bool(request.custom),
                    inputs=wire(inputs),
                    provider=request.provider,
                    dependencies=list(request.dependencies),
                    aliases=[*request.aliasURNs, *aliases],
                )
                result.resources.append(resource)
                if on_register is not None:
                    on_register(resource)
            return response

    impl = Mocks()
    settings.ROOT.set(None)  # a fresh root stack per run (set_mocks keeps an earlier run's otherwise)
    pulumi.runtime.set_mocks(impl, project=PROJECT, stack=stack, preview=False, monitor=Monitor(impl))
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))

    async def collect(exported: Mapping[str, Any]) -> None:
        for key, value in exported.items():
            output = pulumi.Output.from_input(value)
            result.outputs[key] = wire(await output.future(with_unknowns=True))
            if await output.is_secret():
                result.secret_outputs.add(key)

    def body() -> Any:
        returned = program()
        if returned is None:
            root = settings.get_root_resource()
            returned = dict(getattr(root, "outputs", {}) or {})
        return asyncio.ensure_future(collect(returned))

    pulumi.runtime.test(body)()  # type: ignore[no-untyped-call]
    return result
