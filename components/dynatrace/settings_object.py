"""``SettingsObject``: one Settings 2.0 object of any schema, owned by this stack.

The generic form of what the pipeline provider does for its schema:

- Idempotent create: the object carries ``externalId`` = ``ai-observability:<owner>:<schema>:<key>``;
  create lists the schema by that externalId first and adopts a match (a re-run after a crash,
  or a second ``pulumi up`` after a lost state, never duplicates). An ambiguous connection failure
  on the POST is followed by another lookup before anything is re-sent.
- Update: GET (value + ``updateToken``) → set the top-level fields this stack models, keeping any
  other field the tenant or a user added → PUT with the ``updateToken`` only when that changes
  something; 409 → re-read and retry with backoff.
- Read (``pulumi refresh``): the live value of the modelled fields, so a user's manual edit (a
  threshold changed in the Anomaly Detection app) shows up as drift; a deleted object is gone.
- Diff: the value is compared field by field after normalising numbers and the order of
  ``{key, value}`` lists (Settings "set" types such as analyzer inputs have no order). A schema or
  key change replaces the object; anything else is an in-place update.
- Delete: removes only the object whose id this resource holds (404 = already gone).

Connection: either the classic host with an Api-Token (``/api/v2/settings/objects``), or the
platform host with a Bearer token (``/platform/classic/environment-api/v2/settings/objects``) —
schemas that validate with the caller's identity (``builtin:davis.anomaly-detectors``) are
refused with an Api-Token, so those use the platform connection.
"""

from __future__ import annotations

import copy
import random
import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult
from pydantic import Field, field_validator

from ._provider import (
    PLATFORM_CONNECTION,
    DynatraceResource,
    PlatformConnection,
    Poller,
    check_inputs,
    diff_props,
    keep_with_new_connection,
    object_changes,
    parse,
    platform_connection,
)
from .api import PLATFORM_SETTINGS_PATH, SettingsApi
from .client import ClientSettings, backoff_delay
from .errors import DynatraceApiError, DynatraceConnectionError, DynatraceTimeoutError
from .models import SettingsObject as LiveObject
from .models import SettingsObjectCreate

OUTPUTS_ONLY = ("object_id", "external_id")
_SCHEMA_ID = re.compile(r"^[a-z][a-z0-9-]*:[a-zA-Z0-9._-]+$")
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def settings_external_id(owner: str, schema_id: str, key: str) -> str:
    """The stable idempotency key of a settings object this stack owns (≤ 500 characters)."""
    return f"ai-observability:{owner}:{schema_id}:{key}"[:500]


def normalise_value(value: Any) -> Any:
    """Comparable form of a settings value: ``{key, value}`` lists sorted by key, whole floats as ints."""
    if isinstance(value, dict):
        return {k: normalise_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        items = [normalise_value(v) for v in value]
        if items and all(isinstance(i, dict) and isinstance(i.get("key"), str) for i in items):
            return sorted(items, key=lambda i: (i["key"], repr(i.get("value"))))
        return items
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class SettingsObjectInputs(PlatformConnection):
    owner: str = Field(min_length=1, max_length=200)
    """``<project>/<stack>``: part of the ``externalId`` so stacks never adopt each other's objects."""
    schema_id: str
    key: str
    """Stable name of the object within the stack and schema (e.g. ``llm-error-rate``)."""
    value: dict[str, Any] = Field(min_length=1)
    """The fields this stack owns (top-level keys of the object's value)."""
    create_value: dict[str, Any] = Field(default_factory=dict)
    """Further top-level fields sent only when the object is created, never reconciled afterwards
    (e.g. a block whose write-once field another resource fills in later)."""
    scope: Literal["environment"] = "environment"

    @field_validator("schema_id")
    @classmethod
    def _schema(cls, value: str) -> str:
        if not _SCHEMA_ID.match(value):
            raise ValueError("must be a schema id such as builtin:davis.anomaly-detectors")
        return value

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("must be 1-100 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if any(ch.isspace() for ch in value):
            raise ValueError("must not contain whitespace")
        return value

    @property
    def external_id(self) -> str:
        return settings_external_id(self.owner, self.schema_id, self.key)

    def api(self, client: Any) -> SettingsApi:
        return SettingsApi(client, PLATFORM_SETTINGS_PATH)


def merge(live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """``live`` with our top-level fields set; fields we do not model are kept."""
    value = copy.deepcopy(live)
    value.update(copy.deepcopy(desired))
    return value


def observed_value(desired: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """The live value of the fields we model (absent ones left out, so refresh shows the loss)."""
    return {k: copy.deepcopy(live[k]) for k in desired if k in live}


def reconcile(api: SettingsApi, inputs: SettingsObjectInputs, object_id: str, current: LiveObject | None = None) -> int:
    """Bring the live object to our fields; returns the number of writes (0 or 1)."""
    rng = random.Random()  # noqa: S311 - jitter
    for attempt in range(1, inputs.client.conflict_attempts + 1):
        obj = current if current is not None else api.get(object_id)
        current = None
        if obj is None:
            raise DynatraceApiError(
                "GET",
                f"{api.path}/{object_id}",
                404,
                f"{inputs.schema_id} object {inputs.key!r} no longer exists; run `pulumi refresh`",
            )
        merged = merge(obj.value, inputs.value)
        if normalise_value(merged) == normalise_value(obj.value):
            return 0
        try:
            api.update(object_id, merged, obj.update_token)
            return 1
        except DynatraceApiError as exc:
            if exc.status != 409:
                raise
        time.sleep(backoff_delay(attempt, inputs.client, rng))
    raise DynatraceTimeoutError(
        f"{inputs.schema_id} object {inputs.key!r}: update kept conflicting with concurrent changes "
        f"({inputs.client.conflict_attempts} attempts)"
    )


def ensure_object(api: SettingsApi, inputs: SettingsObjectInputs) -> tuple[str, bool]:
    """Adopt the object with our externalId, or create it; returns (objectId, adopted)."""
    external_id = inputs.external_id
    poller = Poller(inputs.client, f"{inputs.schema_id} object {inputs.key}")
    while True:
        found = [o for o in api.list(inputs.schema_id, external_ids=[external_id]) if o.external_id == external_id]
        if found:
            reconcile(api, inputs, found[0].object_id, current=found[0])
            return found[0].object_id, True
        try:
            object_id = api.create(
                SettingsObjectCreate(
                    schema_id=inputs.schema_id,
                    scope=inputs.scope,
                    value={**inputs.create_value, **inputs.value},
                    external_id=external_id,
                )
            )
            if object_id is None:
                raise DynatraceApiError("POST", api.path, 200, "create returned no objectId")
            return object_id, False
        except DynatraceConnectionError as exc:
            if not exc.ambiguous:
                raise
            # the POST may have landed: look it up again before re-sending
        except DynatraceApiError as exc:
            if not (exc.status == 409 or exc.mentions("externalId")):
                raise
            # created concurrently under our externalId: the next lookup adopts it
        if not poller.sleep_or_give_up():
            raise DynatraceTimeoutError(
                f"{inputs.schema_id} object {inputs.key!r} could not be created within {poller.timeout:g}s"
            )


def _outputs(inputs: SettingsObjectInputs, object_id: str, external_id: str | None = None) -> dict[str, Any]:
    return {**inputs.props(), "object_id": object_id, "external_id": external_id or inputs.external_id}


class SettingsObjectProvider(ResourceProvider):
    """Dynamic provider for one settings object (stateless; safe to pickle by reference)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return check_inputs(SettingsObjectInputs, news, OUTPUTS_ONLY)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return diff_props(
            olds,
            news,
            compared={"schema_id": str, "key": str, "owner": str, "scope": str, "value": normalise_value},
            replace_on=("schema_id", "key", "owner", "scope"),
            connection=PLATFORM_CONNECTION,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = parse(SettingsObjectInputs, props, OUTPUTS_ONLY)
        with inputs.open() as client:
            object_id, _ = ensure_object(inputs.api(client), inputs)
        return CreateResult(object_id, _outputs(inputs, object_id))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = parse(SettingsObjectInputs, news, OUTPUTS_ONLY)
        old_value = normalise_value(olds.get("value") or {})
        changed = object_changes(olds, inputs, PLATFORM_CONNECTION)
        if not changed or (changed == ["value"] and old_value == normalise_value(inputs.value)):
            return UpdateResult(keep_with_new_connection(olds, inputs, PLATFORM_CONNECTION))
        with inputs.open() as client:
            reconcile(inputs.api(client), inputs, id_)
        return UpdateResult(_outputs(inputs, id_, olds.get("external_id")))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = parse(SettingsObjectInputs, props, OUTPUTS_ONLY)
        with inputs.open() as client:
            obj = inputs.api(client).get(id_)
        if obj is None:
            return ReadResult(None, {})
        outs = _outputs(inputs, id_, obj.external_id)
        outs["value"] = observed_value(inputs.value, obj.value)
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        inputs = parse(SettingsObjectInputs, props, OUTPUTS_ONLY)
        with inputs.open() as client:
            inputs.api(client).delete(id_)


@dataclass(frozen=True)
class SettingsObjectArgs:
    platform_url: pulumi.Input[str]
    platform_token: pulumi.Input[str]
    """Bearer token with ``settings:objects:read`` and ``settings:objects:write`` (pass a secret)."""
    owner: pulumi.Input[str]
    schema_id: pulumi.Input[str]
    key: pulumi.Input[str]
    value: pulumi.Input[dict[str, Any]]
    client: ClientSettings | None = None
    create_value: pulumi.Input[dict[str, Any]] | None = None
    """Top-level fields sent on create only (see :attr:`SettingsObjectInputs.create_value`)."""


class SettingsObject(DynatraceResource, module="dynatrace", name="SettingsObject"):
    """A Settings 2.0 object owned by the stack; its id is the ``objectId``."""

    SECRET_OUTPUTS: ClassVar[list[str]] = ["platform_token"]

    object_id: pulumi.Output[str]
    external_id: pulumi.Output[str]
    schema_id: pulumi.Output[str]
    key: pulumi.Output[str]
    value: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, args: SettingsObjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            SettingsObjectProvider(),
            name,
            connection=platform_connection(args.platform_url, args.platform_token),
            fields={
                "owner": args.owner,
                "schema_id": args.schema_id,
                "key": args.key,
                "value": args.value,
                "create_value": args.create_value,
                "scope": "environment",
            },
            client=args.client,
            outputs=OUTPUTS_ONLY,
            opts=opts,
        )
