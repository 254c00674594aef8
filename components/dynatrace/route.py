"""``OpenPipelineRoute``: exactly one entry of the bizevents routing table.

The routing table is a single Settings object (``builtin:openpipeline.bizevents.routing``) shared
with the UI and other teams. This resource owns one entry, keyed by its ``description`` (the only
stable key of an entry), and never touches the others:

- write = GET (``fields=objectId,value,updateToken``) → remove our entry, insert it at
  ``position`` (clamped to the table's end; default 0 = first) → PUT with the ``updateToken``;
  409 (someone wrote in between) → re-read and merge again; no PUT when nothing changes. When no
  routing object exists yet, it is created (POST) with our entry.
- read reports drift: entry missing (→ gone), fields changed, or moved (``position`` = actual index).
- delete removes only our entry (the routing object itself cannot be deleted).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator

from ._provider import ClassicConnection, DynatraceProvider, DynatraceResource, classic_connection
from .api import SettingsApi
from .client import ClientSettings, DynatraceClient, backoff_delay
from .errors import DynatraceApiError, DynatraceTimeoutError
from .models import (
    ROUTING_DESCRIPTION_MAX,
    ROUTING_SCHEMA,
    RoutingEntry,
    SettingsObject,
    SettingsObjectCreate,
    check_reserved_prefix,
)

REGISTERED_OUTPUTS = ("routing_object_id",)
# ``index`` is treated as output-only when a stored property bag is parsed; it is not registered.
OUTPUTS_ONLY = (*REGISTERED_OUTPUTS, "index")
Entries = list[dict[str, Any]]


class RouteInputs(ClassicConnection):
    description: str = Field(min_length=1, max_length=ROUTING_DESCRIPTION_MAX)
    pipeline_id: str = Field(min_length=1, max_length=500)
    matcher: str = Field(min_length=1, max_length=4096)
    enabled: bool = True
    position: int = Field(default=0, ge=0, le=2999)

    @field_validator("description", "matcher", "pipeline_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_reserved_prefix(value)


def our_entry(inputs: RouteInputs) -> dict[str, Any]:
    return RoutingEntry(
        enabled=inputs.enabled,
        pipeline_type="custom",
        pipeline_id=inputs.pipeline_id,
        matcher=inputs.matcher,
        description=inputs.description,
    ).body()


def place(entries: Entries, inputs: RouteInputs) -> Entries:
    """``entries`` with ours at its position; foreign entries keep their content and order."""
    ours = our_entry(inputs)
    existing = next((e for e in entries if e.get("description") == inputs.description), None)
    # Keep fields the UI may have added to our entry; override only what we model.
    entry = ours if existing is None else {**existing, **ours}
    others = [e for e in entries if e.get("description") != inputs.description]
    others.insert(min(inputs.position, len(others)), entry)
    return others


def remove(entries: Entries, description: str) -> Entries:
    return [e for e in entries if e.get("description") != description]


def routing_object(api: SettingsApi) -> SettingsObject | None:
    items = api.list(ROUTING_SCHEMA)
    return items[0] if items else None


def write_routing(
    api: SettingsApi, settings: ClientSettings, change: Callable[[Entries], Entries]
) -> tuple[str | None, int]:
    """Apply ``change`` to the routing table with optimistic locking; returns (objectId, writes)."""
    rng = random.Random()  # noqa: S311 - jitter
    for attempt in range(1, settings.conflict_attempts + 1):
        routing = routing_object(api)
        if routing is None:
            entries = change([])
            if not entries:
                return None, 0
            try:
                object_id = api.create(
                    SettingsObjectCreate(schema_id=ROUTING_SCHEMA, value={"routingEntries": entries})
                )
                return object_id, 1
            except DynatraceApiError:
                if routing_object(api) is None:  # not a lost race with another creator
                    raise
                continue
        current = [e for e in routing.value.get("routingEntries") or [] if isinstance(e, dict)]
        wanted = change(current)
        if wanted == current:
            return routing.object_id, 0
        try:
            api.update(routing.object_id, {**routing.value, "routingEntries": wanted}, routing.update_token)
            return routing.object_id, 1
        except DynatraceApiError as exc:
            if exc.status != 409:
                raise
        time.sleep(backoff_delay(attempt, settings, rng))  # someone wrote in between: re-read and merge
    raise DynatraceTimeoutError(
        f"routing table: our change kept conflicting with concurrent edits ({settings.conflict_attempts} attempts)"
    )


def _outs(inputs: RouteInputs, routing_object_id: str | None) -> dict[str, Any]:
    return {**inputs.props(), "routing_object_id": routing_object_id}


class OpenPipelineRouteProvider(DynatraceProvider[RouteInputs]):
    """Dynamic provider for one routing entry (stateless; safe to pickle by reference)."""

    INPUTS = RouteInputs
    OUTPUTS = REGISTERED_OUTPUTS
    UNREGISTERED_OUTPUTS = ("index",)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={"description": str, "pipeline_id": str, "matcher": str, "enabled": bool, "position": int},
            replace_on=("description",),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            object_id, _ = write_routing(SettingsApi(client), inputs.client, lambda e: place(e, inputs))
        return CreateResult(inputs.description, _outs(inputs, object_id))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.parse(news)
        if not self.changed_fields(olds, inputs):
            return self.connection_update(olds, inputs)
        with inputs.open() as client:
            object_id, _ = write_routing(SettingsApi(client), inputs.client, lambda e: place(e, inputs))
        return UpdateResult(_outs(inputs, object_id))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse({**props, "description": props.get("description", id_)})
        with inputs.open() as client:
            routing = routing_object(SettingsApi(client))
        entries = [e for e in (routing.value.get("routingEntries") or [] if routing else []) if isinstance(e, dict)]
        index = next((i for i, e in enumerate(entries) if e.get("description") == id_), None)
        if routing is None or index is None:
            return ReadResult(None, {})  # our entry is gone: refresh drops it, the next up re-adds it
        entry = entries[index]
        expected = min(inputs.position, len(entries) - 1)
        outs = _outs(inputs, routing.object_id)
        outs.update(
            pipeline_id=entry.get("pipelineId"),
            matcher=entry.get("matcher"),
            enabled=entry.get("enabled", True),
            position=inputs.position if index == expected else index,
        )
        return ReadResult(id_, outs)

    def remove(self, client: DynatraceClient, inputs: RouteInputs, id_: str) -> None:
        write_routing(SettingsApi(client), inputs.client, lambda e: remove(e, id_))


@dataclass(frozen=True)
class OpenPipelineRouteArgs:
    environment_url: pulumi.Input[str]
    api_token: pulumi.Input[str]
    """Api-Token with the scopes of :data:`~components.dynatrace.scopes.GOVERNANCE_PIPELINE` (pass a secret)."""
    description: pulumi.Input[str]
    pipeline_id: pulumi.Input[str]
    matcher: pulumi.Input[str]
    enabled: pulumi.Input[bool] = True
    position: pulumi.Input[int] = 0
    client: ClientSettings | None = None


class OpenPipelineRoute(DynatraceResource, module="dynatrace", name="OpenPipelineRoute"):
    """One routing entry; its id is its ``description``."""

    SECRET_OUTPUTS: ClassVar[list[str]] = ["api_token"]

    description: pulumi.Output[str]
    pipeline_id: pulumi.Output[str]
    position: pulumi.Output[int]
    routing_object_id: pulumi.Output[str]

    def __init__(self, name: str, args: OpenPipelineRouteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            OpenPipelineRouteProvider(),
            name,
            connection=classic_connection(args.environment_url, args.api_token),
            fields={
                "description": args.description,
                "pipeline_id": args.pipeline_id,
                "matcher": args.matcher,
                "enabled": args.enabled,
                "position": args.position,
            },
            client=args.client,
            opts=opts,
        )
