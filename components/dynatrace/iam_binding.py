"""``IamPolicyBinding``: one policy bound to one group at a level, appended, never replacing.

The Policy management API has two kinds of binding writes ("Policy management API - Bindings"):
``POST …/bindings/{policyUuid}`` ("Any existing policy bindings remain unaffected") and
``POST …/bindings/{policyUuid}/{groupUuid}`` append; ``PUT …/bindings/groups/{groupUuid}`` ("Any
policy not presented in the request is discarded") and ``PUT …/bindings`` replace everything of
a group or a level. This provider only appends and deletes its own binding, so the other
policies of a group — bound by people, SCIM or another stack — stay.

- create: resolve the group (the UUID given, or an existing group looked up by its exact name);
  read the policy's bindings; when the group is bound already adopt it (no write), else append it.
  An ambiguous failure of the ``POST`` is followed by another read before anything is re-sent.
- read (``pulumi refresh``): gone when the policy no longer binds the group (a binding removed in
  the account console); the next ``pulumi up`` appends it again.
- diff: any change of policy, group or level replaces the binding (connection changes only
  update the state).
- delete: ``DELETE …/bindings/{policyUuid}/{groupUuid}?forceMultiple=true``, this binding only; a
  binding or policy already gone counts as deleted (the API answers 400 for a binding that does
  not exist, as the Terraform provider's ``iam/bindings/service.go`` notes, so a 400 is confirmed
  by a read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from ._provider import ACCOUNT_SECRETS, DynatraceProvider, DynatraceResource, Poller, Uuid, find_or_create
from .client import ClientSettings, DynatraceClient
from .credentials import AccountAuth
from .errors import DynatraceApiError, DynatraceConflictError
from .iam_account import AccountInputs, IamName, LevelId, was_adopted
from .iam_api import AccountApi

OUTPUTS_ONLY = ("group_id", "adopted")


class IamBindingInputs(AccountInputs):
    level_type: Literal["environment", "account"] = "environment"
    level_id: LevelId
    policy_uuid: Uuid
    group_name: IamName
    group_uuid: Uuid | None = None
    """The group's UUID (a group of this stack); None: look up the existing group named ``group_name``."""


def binding_id(inputs: IamBindingInputs, group_uuid: str) -> str:
    return f"{inputs.level_type}/{inputs.level_id}/{inputs.policy_uuid}/{group_uuid}"


def resolve_group(api: AccountApi, inputs: IamBindingInputs) -> str:
    """The group's UUID: given, or the one existing group with exactly this name."""
    if inputs.group_uuid is not None:
        return inputs.group_uuid
    named = [g for g in api.groups() if g.name == inputs.group_name]
    if len(named) != 1:
        what = "no group" if not named else f"{len(named)} groups"
        raise DynatraceConflictError(
            f"access: {what} named {inputs.group_name!r} in Dynatrace account {inputs.account_uuid}; an existing "
            "group is looked up by its exact name (create it in Account Management, or let the stack create it "
            "with existing: false)"
        )
    return named[0].uuid


def bound(api: AccountApi, inputs: IamBindingInputs, group_uuid: str) -> bool:
    groups = api.bound_groups(inputs.level_type, inputs.level_id, inputs.policy_uuid)
    if groups is None:
        raise DynatraceApiError(
            "GET",
            f"bindings/{inputs.policy_uuid}",
            404,
            f"policy {inputs.policy_uuid} does not exist at {inputs.level_type} {inputs.level_id}",
        )
    return group_uuid in groups


def ensure_binding(api: AccountApi, inputs: IamBindingInputs) -> tuple[str, bool]:
    """Append the binding unless it exists; returns (group UUID, adopted)."""
    group = resolve_group(api, inputs)
    poller = Poller(inputs.client, f"binding of group {inputs.group_name}")

    def append() -> str:
        api.append_binding(inputs.level_type, inputs.level_id, inputs.policy_uuid, group)
        return group

    return find_or_create(
        lambda: group if bound(api, inputs, group) else None,
        append,
        poller=poller,
        give_up=lambda: f"binding of group {inputs.group_name!r} not confirmed within {poller.timeout:g}s",
    )


class IamPolicyBindingProvider(DynatraceProvider[IamBindingInputs]):
    """Dynamic provider for one policy-to-group binding (stateless; safe to pickle by reference)."""

    INPUTS = IamBindingInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={
                "account_uuid": str,
                "level_type": str,
                "level_id": str,
                "policy_uuid": str,
                "group_name": str,
                "group_uuid": str,
            },
            replace_on=("account_uuid", "level_type", "level_id", "policy_uuid", "group_name", "group_uuid"),
            optional=("group_uuid",),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            group, adopted = ensure_binding(AccountApi(client, inputs.account_uuid), inputs)
        return CreateResult(binding_id(inputs, group), {**inputs.props(), "group_id": group, "adopted": adopted})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Every field but the connection replaces the binding: an update only takes new connection values.
        return self.connection_update(olds, self.parse(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        group = str(props.get("group_id") or inputs.group_uuid or "")
        with inputs.open() as client:
            groups = AccountApi(client, inputs.account_uuid).bound_groups(
                inputs.level_type, inputs.level_id, inputs.policy_uuid
            )
        if not group or groups is None or group not in groups:
            return ReadResult(None, {})
        return ReadResult(id_, {**inputs.props(), "group_id": group, "adopted": was_adopted(props)})

    def remove(self, client: DynatraceClient, inputs: IamBindingInputs, id_: str) -> None:
        group = id_.rsplit("/", 1)[-1]  # the id ends with the bound group's UUID
        api = AccountApi(client, inputs.account_uuid)
        try:
            api.delete_binding(inputs.level_type, inputs.level_id, inputs.policy_uuid, group)
        except DynatraceApiError as exc:
            if exc.status == 404:
                return
            if exc.status != 400:
                raise
            groups = api.bound_groups(inputs.level_type, inputs.level_id, inputs.policy_uuid)
            if groups is not None and group in groups:
                raise
            # 400 for a binding that no longer exists: already deleted.


@dataclass(frozen=True)
class IamPolicyBindingArgs:
    auth: AccountAuth
    level_id: pulumi.Input[str]
    policy_uuid: pulumi.Input[str]
    group_name: pulumi.Input[str]
    owner: pulumi.Input[str]
    group_uuid: pulumi.Input[str] | None = None
    """The UUID of a group the stack manages; None binds the existing group named ``group_name``."""
    level_type: str = "environment"
    client: ClientSettings | None = None


class IamPolicyBinding(DynatraceResource, module="dynatrace", name="IamPolicyBinding"):
    """One policy bound to one group; its id is ``<levelType>/<levelId>/<policyUuid>/<groupUuid>``."""

    SECRET_OUTPUTS: ClassVar[list[str]] = ACCOUNT_SECRETS

    group_id: pulumi.Output[str]
    policy_uuid: pulumi.Output[str]
    group_name: pulumi.Output[str]

    def __init__(self, name: str, args: IamPolicyBindingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            IamPolicyBindingProvider(),
            name,
            connection=args.auth.connection(),
            fields={
                "level_type": args.level_type,
                "level_id": args.level_id,
                "policy_uuid": args.policy_uuid,
                "group_name": args.group_name,
                "group_uuid": args.group_uuid,
                "owner": args.owner,
            },
            client=args.client,
            opts=opts,
        )
