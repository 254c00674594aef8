"""A miniature ``pulumi up`` / ``pulumi destroy`` for Python dynamic resources, on the SDK's mocks.

The real program (e.g. the governance component) runs under ``pulumi.runtime.set_mocks``; each
dynamic resource registration is turned into what the engine would do with the provider that
the SDK serialised into ``__provider``: unpickle it (dill, exactly like ``python -m
pulumi.dynamic``), then ``check`` → ``create`` for a new resource, or ``check`` → ``diff`` →
nothing / ``update`` / replace (create-before-delete, or delete-before-replace when asked) for
an existing one. Inputs reach the provider as the wire delivers them (camelCase-free here since
dynamic props are passed through; numbers as floats; secrets unwrapped because the dynamic host
does not accept secrets). Replaced and removed resources are deleted at the end, dependents
before their dependencies, using the dependencies the SDK registered (ties broken by name, so a
missing dependency shows up as a wrong order).

Not modelled: previews, refresh (call ``refresh()`` for that), parallelism limits.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.dynamic import ResourceProvider
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime._serialization import _deserialize

from components.dynatrace._provider import plain
from components.dynatrace.errors import DynatraceError
from tools.mock_invokes import MOCK_INVOKES, InvokeContext
from tools.mock_state import mock_state

PROVIDER_KEY = "__provider"


class _FailedRunNoise(logging.Filter):
    """A failed run leaves the SDK's dependent-output futures holding the provider error; asyncio
    reports each one as "never retrieved" when collected. The test already saw that error."""

    def filter(self, record: logging.LogRecord) -> bool:
        future = getattr(record, "future", None) or (record.args if isinstance(record.args, dict) else {}).get("future")
        text = record.getMessage()
        if "exception was never retrieved" not in text:
            return True
        exc = getattr(future, "_exception", None) if future is not None else None
        return not isinstance(exc, DynatraceError) and "Dynatrace" not in text


logging.getLogger("asyncio").addFilter(_FailedRunNoise())


@dataclass
class Entry:
    key: str  # "<type>::<name>"
    id: str
    inputs: dict[str, Any]
    outs: dict[str, Any]
    provider_blob: str
    dependencies: set[str] = field(default_factory=set)


@dataclass
class Op:
    op: str  # create | update | same | delete | replace
    name: str


def _load_provider(blob: str) -> ResourceProvider:
    provider: ResourceProvider = _deserialize(lambda: dill.loads(base64.b64decode(blob)))
    return provider


class _Monitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.engine_mocks = mocks

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        key = f"{request.type}::{request.name}"
        with self.engine_mocks.lock:
            self.engine_mocks.urn_to_key[urn] = key
            self.engine_mocks.requests[key] = request
            self.engine_mocks.deps[key] = set(request.dependencies)
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


class _Mocks(pulumi_mocks.Mocks):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.urn_to_key: dict[str, str] = {}
        self.deps: dict[str, set[str]] = {}
        self.requests: dict[str, Any] = {}
        self.registered: set[str] = set()

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        # Invokes (caller identity, region, ...) are answered like the offline plan answers them.
        answer = MOCK_INVOKES.get(args.token)
        if answer is None:
            return {}, None
        return answer(args.args, InvokeContext(stack=self.engine.stack, region="us-east-1")), []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        key = f"{args.typ}::{args.name}"
        with self.lock:
            self.registered.add(key)
        if not args.typ.startswith("pulumi-python:dynamic"):
            self.engine.register_plain(args.name, plain(dict(args.inputs)))
            # inputs echoed, plus the computed outputs the offline plan's mocks give (e.g. a role's ARN)
            return f"{args.name}-id", mock_state(args.typ, args.name, dict(args.inputs), "us-east-1")
        return self.engine.step(key, args.name, plain(dict(args.inputs)), self._dependency_keys(key))

    def _dependency_keys(self, key: str) -> set[str]:
        with self.lock:
            return {self.urn_to_key[u] for u in self.deps.get(key, set()) if u in self.urn_to_key}


class Engine:
    """State + steps of a stack whose dynamic resources are real (providers against a server)."""

    def __init__(self, project: str = "ai-observability", stack: str = "test") -> None:
        self.project = project
        self.stack = stack
        self.state: dict[str, Entry] = {}
        self.ops: list[Op] = []
        self._pending_deletes: list[Entry] = []
        self._lock = threading.Lock()
        self.last_mocks: _Mocks | None = None
        self.timeline: list[Op] = []
        """``ops`` plus a ``register`` entry per non-dynamic resource, in the order they happened."""
        self.plain_inputs: dict[str, dict[str, Any]] = {}
        """The last inputs (secrets unwrapped) of each non-dynamic resource, by name."""

    # -- one resource step ----------------------------------------------------------------------

    def step(self, key: str, name: str, inputs: dict[str, Any], deps: set[str]) -> tuple[str, dict[str, Any]]:
        blob = inputs[PROVIDER_KEY]
        news = {k: v for k, v in inputs.items() if k != PROVIDER_KEY}
        provider = _load_provider(blob)
        with self._lock:
            old = self.state.get(key)
        checked = provider.check(old.inputs if old else {}, news)
        if checked.failures:
            raise ValueError(
                f"{name}: check failed: " + "; ".join(f"{f.property}: {f.reason}" for f in checked.failures)
            )
        if old is None:
            return self._create(key, name, provider, blob, checked.inputs, deps)
        diff = provider.diff(old.id, old.outs, checked.inputs)
        if diff.changes is False:
            self._record("same", name)
            with self._lock:
                old.inputs, old.dependencies = checked.inputs, deps
            return old.id, old.outs
        if diff.replaces:
            if diff.delete_before_replace:
                provider.delete(old.id, old.outs)
                self._record("delete-before-replace", name)
                with self._lock:
                    del self.state[key]
            else:
                with self._lock:
                    self._pending_deletes.append(old)
            self._record("replace", name)
            return self._create(key, name, provider, blob, checked.inputs, deps)
        result = provider.update(old.id, old.outs, checked.inputs)
        self._record("update", name)
        with self._lock:
            old.inputs, old.outs, old.provider_blob, old.dependencies = (
                checked.inputs,
                dict(result.outs or {}),
                blob,
                deps,
            )
        return old.id, old.outs

    def _create(
        self, key: str, name: str, provider: ResourceProvider, blob: str, inputs: dict[str, Any], deps: set[str]
    ) -> tuple[str, dict[str, Any]]:
        result = provider.create(inputs)
        outs = dict(result.outs or {})
        with self._lock:
            self.state[key] = Entry(key, result.id, inputs, outs, blob, deps)
        self._record("create", name)
        return result.id, outs

    def _record(self, op: str, name: str) -> None:
        with self._lock:
            self.ops.append(Op(op, name))
            self.timeline.append(Op(op, name))

    def register_plain(self, name: str, inputs: dict[str, Any]) -> None:
        """A non-dynamic resource (answered by the mocks) registered with these inputs."""
        with self._lock:
            self.plain_inputs[name] = inputs
            self.timeline.append(Op("register", name))

    # -- whole runs -------------------------------------------------------------------------------

    def up(self, program: Callable[[], Mapping[str, Any] | None]) -> dict[str, Any]:
        """Run the program; apply creates/updates/replacements; delete what it no longer declares."""
        mocks = _Mocks(self)
        self.last_mocks = mocks
        monitor = _Monitor(mocks)
        pulumi.runtime.set_mocks(mocks, project=self.project, stack=self.stack, preview=False, monitor=monitor)
        captured: dict[str, Any] = {}

        @pulumi.runtime.test  # type: ignore[untyped-decorator]
        def run() -> Any:
            outputs = program() or {}
            return pulumi.Output.all(**dict(outputs)).apply(captured.update)

        run()  # a failed step raises here; like Pulumi, nothing is deleted after a failed update
        removed = [e for k, e in self.state.items() if k not in mocks.registered]
        stale = list(self._pending_deletes)
        self._pending_deletes.clear()
        self._delete_in_order(stale + removed, removing_from_state=[e.key for e in removed])
        return captured

    def destroy(self) -> None:
        self._delete_in_order(list(self.state.values()), removing_from_state=list(self.state))

    def refresh(self) -> None:
        """``pulumi refresh``: read each resource; drop the ones that are gone."""
        for key, entry in list(self.state.items()):
            provider = _load_provider(entry.provider_blob)
            result = provider.read(entry.id, entry.outs)
            if not result.id:
                del self.state[key]
                self._record("refresh-gone", key.split("::")[-1])
            else:
                entry.outs = dict(result.outs or {})

    def _delete_in_order(self, entries: list[Entry], removing_from_state: list[str]) -> None:
        remaining = list(entries)
        while remaining:
            # delete an entry nobody still-remaining depends on (dependents go first)
            ready = [e for e in remaining if not any(e.key in o.dependencies for o in remaining if o is not e)]
            if not ready:
                ready = remaining  # a cycle cannot happen in Pulumi; be defensive
            victim = sorted(ready, key=lambda e: e.key.split("::")[-1])[0]
            provider = _load_provider(victim.provider_blob)
            provider.delete(victim.id, victim.outs)
            self._record("delete", victim.key.split("::")[-1])
            remaining.remove(victim)
            if victim.key in removing_from_state and self.state.get(victim.key) is victim:
                del self.state[victim.key]

    # -- assertions helpers -----------------------------------------------------------------------

    def ops_since(self, start: int) -> list[tuple[str, str]]:
        return [(o.op, o.name) for o in self.ops[start:]]

    def entry(self, name: str) -> Entry:
        return next(e for e in self.state.values() if e.key.endswith("::" + name))
