"""``IamGroup``: one user group of the account, created and owned by this stack.

- create: list the account's groups; adopt this stack's group of that name (ownership marker in
  the description, see :mod:`.iam_account`), refuse another party's group of that name unless
  ``adopt_existing``, else ``POST`` a one-element list. An ambiguous failure of the ``POST`` is
  followed by another lookup before anything is re-sent.
- update: ``PUT`` name and description only when they differ (a rename keeps the UUID and every
  binding and member of the group).
- read (``pulumi refresh``): the live name and description; a deleted group is gone.
- delete: the group with this UUID only (404 means already gone). Groups the configuration names
  as existing are never resources of this type: the stack binds them and leaves them alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import DiffResult, ReadResult
from pydantic import Field

from ._provider import ACCOUNT_SECRETS, DynatraceResource, Poller, find_or_create
from .client import ClientSettings, DynatraceClient
from .credentials import AccountAuth
from .errors import DynatraceApiError, DynatraceConflictError
from .iam_account import (
    AccountInputs,
    IamName,
    OwnedObjectProvider,
    described,
    marker,
    owned_by,
    owned_outputs,
    was_adopted,
)
from .iam_api import AccountApi, Group

OUTPUTS_ONLY = ("uuid", "adopted")


class IamGroupInputs(AccountInputs):
    name: IamName
    description: str = Field(min_length=1, max_length=200)
    """What the group is for (the ownership marker is appended)."""

    def full_description(self) -> str:
        return described(self.description, self.owner)


def find(groups: list[Group], uuid: str) -> Group | None:
    return next((g for g in groups if g.uuid == uuid), None)


def reconcile(api: AccountApi, inputs: IamGroupInputs, uuid: str, live: Group | None = None) -> int:
    """Bring the live group's name and description to the inputs; returns the writes (0 or 1)."""
    live = live or find(api.groups(), uuid)
    if live is None:
        gone = f"group {inputs.name!r} no longer exists; run `pulumi refresh`"
        raise DynatraceApiError("GET", f"groups/{uuid}", 404, gone)
    if live.name == inputs.name and live.description == inputs.full_description():
        return 0
    api.edit_group(uuid, inputs.name, inputs.full_description())
    return 1


def _adopt(api: AccountApi, inputs: IamGroupInputs) -> str | None:
    """The UUID of this stack's group of that name, brought to the inputs; None when there is none."""
    for group in (g for g in api.groups() if g.name == inputs.name):
        if not (owned_by(group.description, inputs.owner) or inputs.adopt_existing):
            raise DynatraceConflictError(
                f"a group named {inputs.name!r} already exists in the account and was not created by this "
                f"stack (no {marker(inputs.owner)} in its description); list it with existing: true in "
                "ai-observability:access to bind it without owning it, choose another name, or set "
                "access.adoptExisting to take it over"
            )
        reconcile(api, inputs, group.uuid, group)
        return group.uuid
    return None


def ensure_group(api: AccountApi, inputs: IamGroupInputs) -> tuple[str, bool]:
    """Adopt this stack's group of that name, or create it; returns (uuid, adopted)."""
    poller = Poller(inputs.client, f"group {inputs.name}")
    return find_or_create(
        lambda: _adopt(api, inputs),
        lambda: api.create_group(inputs.name, inputs.full_description()).uuid,
        poller=poller,
        give_up=lambda: f"group {inputs.name!r} could not be created within {poller.timeout:g}s",
    )


class IamGroupProvider(OwnedObjectProvider[IamGroupInputs]):
    """Dynamic provider for one user group (stateless; safe to pickle by reference)."""

    INPUTS = IamGroupInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={"account_uuid": str, "owner": str, "name": str, "description": str},
            replace_on=("account_uuid",),
        )

    def ensure(self, api: AccountApi, inputs: IamGroupInputs) -> tuple[str, bool]:
        return ensure_group(api, inputs)

    def reconcile(self, api: AccountApi, inputs: IamGroupInputs, uuid: str) -> None:
        reconcile(api, inputs, uuid)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            live = find(AccountApi(client, inputs.account_uuid).groups(), id_)
        if live is None:
            return ReadResult(None, {})
        outs = {**owned_outputs(inputs, id_, was_adopted(props)), "name": live.name}
        if live.description != inputs.full_description():
            outs["description"] = live.description or ""
        return ReadResult(id_, outs)

    def remove(self, client: DynatraceClient, inputs: IamGroupInputs, id_: str) -> None:
        AccountApi(client, inputs.account_uuid).delete_group(id_)


@dataclass(frozen=True)
class IamGroupArgs:
    auth: AccountAuth
    name: pulumi.Input[str]
    description: pulumi.Input[str]
    owner: pulumi.Input[str]
    adopt_existing: bool = False
    client: ClientSettings | None = None


class IamGroup(DynatraceResource, module="dynatrace", name="IamGroup"):
    """A user group owned by the stack; its id is the group's UUID."""

    SECRET_OUTPUTS: ClassVar[list[str]] = ACCOUNT_SECRETS

    uuid: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: IamGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            IamGroupProvider(),
            name,
            connection=args.auth.connection(),
            fields={
                "name": args.name,
                "description": args.description,
                "owner": args.owner,
                "adopt_existing": args.adopt_existing,
            },
            client=args.client,
            opts=opts,
        )
