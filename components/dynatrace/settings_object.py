"""``SettingsObject``: one Settings 2.0 object of any schema, owned by this stack.

The generic form of what the pipeline provider does for its schema:

- Idempotent create: the object carries ``externalId`` = ``ai-observability:<owner>:<schema>:<key>``;
  create lists the schema by that externalId first and adopts a match (a re-run after a crash,
  or a second ``pulumi up`` after a lost state, never duplicates). An ambiguous connection failure
  on the POST is followed by another lookup before anything is re-sent.
- Update: GET (value + ``updateToken``) → set the top-level fields this stack models, keeping any
  other field the tenant or a user added → PUT with the ``updateToken`` only when that changes
  something; 409 → re-read and retry with backoff.
- Server-filled fields (:data:`SERVER_FILLED`): fields a schema's tenant fills in when a write
  leaves them out. While our value leaves such a field out, an update sends the live value back
  (so it is never wiped, and an unchanged object is not rewritten), and read does not report it
  (so refresh sees no drift).
- Read (``pulumi refresh``): the live value of the modelled fields, so a user's manual edit (a
  threshold changed in the Anomaly Detection app) shows up as drift; a deleted object is gone.
- Diff: the value is compared field by field after normalising numbers and the order of
  ``{key, value}`` lists (Settings "set" types such as analyzer inputs have no order). A schema or
  key change replaces the object; anything else is an in-place update. A changed
  ``replacement_trigger`` replaces it too, deleting it first (the replacement keeps the
  ``externalId``, which a create would otherwise adopt); state recorded before the field existed
  takes it on with an update that calls no API.
- Delete: removes only the object whose id this resource holds (404 = already gone).

Connection: either the classic host with an Api-Token (``/api/v2/settings/objects``), or the
platform host with a Bearer token (``/platform/classic/environment-api/v2/settings/objects``) —
schemas that validate with the caller's identity (``builtin:davis.anomaly-detectors``) are
refused with an Api-Token, so those use the platform connection.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator

from ._provider import (
    PLATFORM_SECRETS,
    DynatraceProvider,
    DynatraceResource,
    PlatformConnection,
    Poller,
    adopt_or_create,
    differs,
    keep_with_new_connection,
    retry_on_conflict,
)
from .api import PLATFORM_SETTINGS_PATH, SETTINGS_SCOPES, SettingsApi
from .client import ClientSettings, DynatraceClient
from .credentials import PlatformAuth
from .errors import DynatraceApiError
from .models import ANOMALY_DETECTORS_SCHEMA, SettingsObjectCreate
from .models import SettingsObject as LiveObject

OUTPUTS_ONLY = ("object_id", "external_id")
TRIGGER: Final = "replacement_trigger"
SERVER_FILLED: Final[Mapping[str, tuple[str, ...]]] = {
    # The tenant sets executionSettings.actor (the UUID of the user the detector's queries run as) to
    # the caller when a write leaves it out: terraform-provider-dynatrace
    # dynatrace/api/builtin/davis/anomalydetectors/settings/execution_settings.go ("actually set
    # automatically if not provided", diff suppressed when unset).
    ANOMALY_DETECTORS_SCHEMA: ("executionSettings.actor",),
}
"""Schema → dotted paths inside ``value`` that the tenant fills in when a write leaves them out."""
_SCHEMA_ID = re.compile(r"^[a-z][a-z0-9-]*:[a-zA-Z0-9._-]+$")
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def settings_external_id(owner: str, schema_id: str, key: str) -> str:
    """The stable idempotency key of a settings object this stack owns (≤ 500 characters)."""
    return f"ai-observability:{owner}:{schema_id}:{key}"[:500]


def integral(value: Any) -> Any:
    """``value`` with whole floats as ints: the engine's wire format turns every number into a float,
    while schema properties of type ``integer`` (e.g. a detector's ``executionSettings.queryOffset``)
    want an integer."""
    if isinstance(value, dict):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


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
    replacement_trigger: dict[str, str] | None = None
    """Values that, when they change, replace the object (delete, then create): the create-only
    identity of something Dynatrace deletes together with this object."""

    @field_validator("value", "create_value")
    @classmethod
    def _integral(cls, value: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = integral(value)
        return result

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

    @property
    def server_filled(self) -> tuple[str, ...]:
        return SERVER_FILLED.get(self.schema_id, ())

    def api(self, client: Any) -> SettingsApi:
        return SettingsApi(client, PLATFORM_SETTINGS_PATH)


_ABSENT: Final = object()


def _lookup(value: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def _set(value: dict[str, Any], path: Sequence[str], item: Any) -> None:
    *parents, last = path
    for part in parents:
        child = value.get(part)
        if not isinstance(child, dict):
            return  # the parent is not an object here: nothing to carry over
        value = child
    value[last] = copy.deepcopy(item)


def _drop(value: dict[str, Any], path: Sequence[str]) -> None:
    *parents, last = path
    for part in parents:
        child = value.get(part)
        if not isinstance(child, dict):
            return
        value = child
    value.pop(last, None)


def _left_to_server(desired: dict[str, Any], server_filled: Sequence[str]) -> list[list[str]]:
    """The server-filled paths our value leaves out (the tenant's value counts for those)."""
    paths = [p.split(".") for p in server_filled]
    return [p for p in paths if _lookup(desired, p) is _ABSENT]


def merge(live: dict[str, Any], desired: dict[str, Any], server_filled: Sequence[str] = ()) -> dict[str, Any]:
    """``live`` with our top-level fields set; fields we do not model are kept, and so are the
    server-filled fields our value leaves out."""
    value = copy.deepcopy(live)
    value.update(copy.deepcopy(desired))
    for path in _left_to_server(desired, server_filled):
        found = _lookup(live, path)
        if found is not _ABSENT:
            _set(value, path, found)
    return value


def observed_value(desired: dict[str, Any], live: dict[str, Any], server_filled: Sequence[str] = ()) -> dict[str, Any]:
    """The live value of the fields we model (absent ones left out, so refresh shows the loss),
    without the server-filled fields our value leaves out."""
    value = {k: copy.deepcopy(live[k]) for k in desired if k in live}
    for path in _left_to_server(desired, server_filled):
        _drop(value, path)
    return value


def reconcile(api: SettingsApi, inputs: SettingsObjectInputs, object_id: str, current: LiveObject | None = None) -> int:
    """Bring the live object to our fields; returns the number of writes (0 or 1)."""

    def read() -> LiveObject:
        obj = api.get(object_id)
        if obj is None:
            raise DynatraceApiError(
                "GET",
                f"{api.path}/{object_id}",
                404,
                f"{inputs.schema_id} object {inputs.key!r} no longer exists; run `pulumi refresh`",
            )
        return obj

    def write(obj: LiveObject) -> int:
        merged = merge(obj.value, inputs.value, inputs.server_filled)
        if normalise_value(merged) == normalise_value(obj.value):
            return 0
        api.update(object_id, merged, obj.update_token)
        return 1

    return retry_on_conflict(
        inputs.client,
        read,
        write,
        first=current,
        give_up=f"{inputs.schema_id} object {inputs.key!r}: update kept conflicting with concurrent changes "
        f"({inputs.client.conflict_attempts} attempts)",
    )


def ensure_object(api: SettingsApi, inputs: SettingsObjectInputs) -> tuple[str, bool]:
    """Adopt the object with our externalId, or create it; returns (objectId, adopted)."""
    poller = Poller(inputs.client, f"{inputs.schema_id} object {inputs.key}")
    return adopt_or_create(
        api,
        SettingsObjectCreate(
            schema_id=inputs.schema_id,
            scope=inputs.scope,
            value={**inputs.create_value, **inputs.value},
            external_id=inputs.external_id,
        ),
        adopt=lambda found: reconcile(api, inputs, found.object_id, current=found),
        poller=poller,
        give_up=lambda: f"{inputs.schema_id} object {inputs.key!r} could not be created within {poller.timeout:g}s",
    )


def _outputs(inputs: SettingsObjectInputs, object_id: str, external_id: str | None = None) -> dict[str, Any]:
    return {**inputs.props(), "object_id": object_id, "external_id": external_id or inputs.external_id}


class SettingsObjectProvider(DynatraceProvider[SettingsObjectInputs]):
    """Dynamic provider for one settings object (stateless; safe to pickle by reference)."""

    INPUTS = SettingsObjectInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = self.diff_fields(
            olds,
            news,
            compared={"schema_id": str, "key": str, "owner": str, "scope": str, "value": normalise_value},
            replace_on=("schema_id", "key", "owner", "scope"),
        )
        trigger = news.get(TRIGGER)
        if TRIGGER in olds and differs(olds.get(TRIGGER), trigger):
            return DiffResult(changes=True, replaces=[*(result.replaces or []), TRIGGER], delete_before_replace=True)
        if TRIGGER not in olds and trigger is not None:  # state from before the field existed
            return DiffResult(
                changes=True, replaces=result.replaces or [], delete_before_replace=bool(result.delete_before_replace)
            )
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            object_id, _ = ensure_object(inputs.api(client), inputs)
        return CreateResult(object_id, _outputs(inputs, object_id))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.parse(news)
        changed = set(self.changed_fields(olds, inputs)) - {TRIGGER}
        if normalise_value(olds.get("value") or {}) == normalise_value(inputs.value):
            changed.discard("value")
        if not changed:  # the connection or the trigger: the state only
            state = keep_with_new_connection(olds, inputs, inputs.CONNECTION)
            return UpdateResult({**state, TRIGGER: inputs.replacement_trigger})
        with inputs.open() as client:
            reconcile(inputs.api(client), inputs, id_)
        return UpdateResult(_outputs(inputs, id_, olds.get("external_id")))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            obj = inputs.api(client).get(id_)
        if obj is None:
            return ReadResult(None, {})
        outs = _outputs(inputs, id_, obj.external_id)
        outs["value"] = observed_value(inputs.value, obj.value, inputs.server_filled)
        return ReadResult(id_, outs)

    def remove(self, client: DynatraceClient, inputs: SettingsObjectInputs, id_: str) -> None:
        inputs.api(client).delete(id_)


@dataclass(frozen=True)
class SettingsObjectArgs:
    platform_url: pulumi.Input[str]
    platform_auth: PlatformAuth
    """A platform token or an OAuth client allowed to read and write settings objects of the schema; per
    feature: :mod:`components.dynatrace.scopes` (``oauth_scopes`` names the feature's scopes)."""
    owner: pulumi.Input[str]
    schema_id: pulumi.Input[str]
    key: pulumi.Input[str]
    value: pulumi.Input[dict[str, Any]]
    client: ClientSettings | None = None
    create_value: pulumi.Input[dict[str, Any]] | None = None
    """Top-level fields sent on create only (see :attr:`SettingsObjectInputs.create_value`)."""
    replacement_trigger: pulumi.Input[dict[str, str]] | None = None
    """A change replaces the object (see :attr:`SettingsObjectInputs.replacement_trigger`)."""
    oauth_scopes: tuple[str, ...] = ()
    """The scopes an OAuth client's access token is requested with: the feature's
    (:mod:`components.dynatrace.scopes`); empty: the Settings API's own (``SETTINGS_SCOPES``)."""


class SettingsObject(DynatraceResource, module="dynatrace", name="SettingsObject"):
    """A Settings 2.0 object owned by the stack; its id is the ``objectId``."""

    SECRET_OUTPUTS: ClassVar[list[str]] = PLATFORM_SECRETS
    OAUTH_SCOPES: ClassVar[tuple[str, ...]] = SETTINGS_SCOPES

    object_id: pulumi.Output[str]
    external_id: pulumi.Output[str]
    schema_id: pulumi.Output[str]
    key: pulumi.Output[str]
    value: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, args: SettingsObjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            SettingsObjectProvider(),
            name,
            connection=args.platform_auth.connection(args.platform_url, args.oauth_scopes or self.OAUTH_SCOPES),
            fields={
                "owner": args.owner,
                "schema_id": args.schema_id,
                "key": args.key,
                "value": args.value,
                "create_value": args.create_value,
                "scope": "environment",
                TRIGGER: args.replacement_trigger,
            },
            client=args.client,
            opts=opts,
        )
