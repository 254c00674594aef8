"""``IamPolicy``: one IAM policy at the environment (or account) level, owned by this stack.

- create: confirm the environment belongs to the account (``account-env-read``), then look the
  policy up by name at its level; adopt our own (ownership marker in the description, see
  :mod:`.iam_account`) and bring it to the inputs; refuse another party's policy of that name
  unless ``adopt_existing``; otherwise ``POST`` it. An ambiguous failure of the ``POST`` is
  followed by another lookup before anything is re-sent.
- update: ``GET`` the policy, ``PUT`` only when name, description, tags or statement differ (the
  statement compared with whitespace normalised). A rename happens in place (the UUID is the id).
- read (``pulumi refresh``): the live name, description and statement, so a statement added or
  changed in the account console shows up as drift; a deleted policy is gone.
- diff: the account, level type and level id replace the policy; the rest updates in place.
- delete: ``DELETE ?force=false`` — a policy someone else still binds to a group is not deleted
  with their binding; the error names those groups. 404 means already gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

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
    LevelId,
    OwnedObjectProvider,
    described,
    marker,
    owned_by,
    owned_outputs,
    was_adopted,
)
from .iam_api import AccountApi, Policy

OUTPUTS_ONLY = ("uuid", "adopted")
TAG = "ai-observability"


def normalise_statement(text: str) -> str:
    """A statement query compared by its words (line breaks and repeated spaces do not matter)."""
    return " ".join(text.split())


class IamPolicyInputs(AccountInputs):
    level_type: Literal["environment", "account"] = "environment"
    level_id: LevelId
    """The environment ID (``abc12345``) or, at the account level, the account UUID."""
    name: IamName
    description: str = Field(min_length=1, max_length=200)
    """What the policy is for (the ownership marker is appended)."""
    statement_query: str = Field(min_length=1, max_length=100_000)

    def body(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": described(self.description, self.owner),
            "tags": [TAG],
            "statementQuery": self.statement_query,
        }

    def matches(self, live: Policy) -> bool:
        return (
            live.name == self.name
            and live.description == described(self.description, self.owner)
            and TAG in live.tags
            and normalise_statement(live.statement_query) == normalise_statement(self.statement_query)
        )


def _check_environment(api: AccountApi, inputs: IamPolicyInputs) -> None:
    if inputs.level_type != "environment":
        return
    known = api.environment_ids()
    if inputs.level_id not in known:
        raise DynatraceConflictError(
            f"environment {inputs.level_id!r} is not in Dynatrace account {inputs.account_uuid} "
            f"(its environments: {', '.join(known) or 'none visible'}); check ai-observability:dynatraceAccountUuid "
            "and ai-observability:dynatrace.environmentUrl"
        )


def reconcile(api: AccountApi, inputs: IamPolicyInputs, uuid: str) -> int:
    """Bring the live policy to the inputs; returns the number of writes (0 or 1)."""
    live = api.policy(inputs.level_type, inputs.level_id, uuid)
    if live is None:
        raise DynatraceApiError(
            "GET", f"policies/{uuid}", 404, f"policy {inputs.name!r} no longer exists; run `pulumi refresh`"
        )
    if inputs.matches(live):
        return 0
    api.update_policy(inputs.level_type, inputs.level_id, uuid, inputs.body())
    return 1


def _adopt(api: AccountApi, inputs: IamPolicyInputs) -> str | None:
    """The UUID of this stack's policy of that name, brought to the inputs; None when there is none."""
    for stub in api.policies_named(inputs.level_type, inputs.level_id, inputs.name):
        live = api.policy(inputs.level_type, inputs.level_id, stub.uuid)
        if live is None:
            continue
        if not (owned_by(live.description, inputs.owner) or inputs.adopt_existing):
            raise DynatraceConflictError(
                f"an IAM policy named {inputs.name!r} already exists at {inputs.level_type} {inputs.level_id} "
                f"and was not created by this stack (no {marker(inputs.owner)} in its description); rename "
                "the policy in ai-observability:access, or set access.adoptExisting to take it over"
            )
        reconcile(api, inputs, live.uuid)
        return live.uuid
    return None


def ensure_policy(api: AccountApi, inputs: IamPolicyInputs) -> tuple[str, bool]:
    """Adopt this stack's policy of that name, or create it; returns (uuid, adopted)."""
    _check_environment(api, inputs)
    poller = Poller(inputs.client, f"IAM policy {inputs.name}")
    return find_or_create(
        lambda: _adopt(api, inputs),
        lambda: api.create_policy(inputs.level_type, inputs.level_id, inputs.body()).uuid,
        poller=poller,
        give_up=lambda: f"IAM policy {inputs.name!r} could not be created within {poller.timeout:g}s",
    )


class IamPolicyProvider(OwnedObjectProvider[IamPolicyInputs]):
    """Dynamic provider for one IAM policy (stateless; safe to pickle by reference)."""

    INPUTS = IamPolicyInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={
                "account_uuid": str,
                "level_type": str,
                "level_id": str,
                "owner": str,
                "name": str,
                "description": str,
                "statement_query": normalise_statement,
            },
            replace_on=("account_uuid", "level_type", "level_id"),
        )

    def ensure(self, api: AccountApi, inputs: IamPolicyInputs) -> tuple[str, bool]:
        return ensure_policy(api, inputs)

    def reconcile(self, api: AccountApi, inputs: IamPolicyInputs, uuid: str) -> None:
        reconcile(api, inputs, uuid)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            live = AccountApi(client, inputs.account_uuid).policy(inputs.level_type, inputs.level_id, id_)
        if live is None:
            return ReadResult(None, {})
        outs = owned_outputs(inputs, id_, was_adopted(props))
        outs["name"] = live.name
        if live.description != described(inputs.description, inputs.owner):
            outs["description"] = live.description  # edited in the console: shows as drift
        if normalise_statement(live.statement_query) != normalise_statement(inputs.statement_query):
            outs["statement_query"] = live.statement_query
        return ReadResult(id_, outs)

    def remove(self, client: DynatraceClient, inputs: IamPolicyInputs, id_: str) -> None:
        api = AccountApi(client, inputs.account_uuid)
        try:
            api.delete_policy(inputs.level_type, inputs.level_id, id_)
        except DynatraceApiError as exc:
            if exc.status != 400:
                raise
            groups = api.bound_groups(inputs.level_type, inputs.level_id, id_) or []
            if not groups:
                raise
            raise DynatraceConflictError(
                f"IAM policy {inputs.name!r} is still bound to group(s) {', '.join(groups)} that this stack did "
                "not bind (or no longer manages); remove those bindings in Account Management, then run the "
                "destroy again"
            ) from None


@dataclass(frozen=True)
class IamPolicyArgs:
    auth: AccountAuth
    level_id: pulumi.Input[str]
    name: pulumi.Input[str]
    description: pulumi.Input[str]
    statement_query: pulumi.Input[str]
    owner: pulumi.Input[str]
    level_type: str = "environment"
    adopt_existing: bool = False
    client: ClientSettings | None = None


class IamPolicy(DynatraceResource, module="dynatrace", name="IamPolicy"):
    """An IAM policy owned by the stack; its id is the policy's UUID."""

    SECRET_OUTPUTS: ClassVar[list[str]] = ACCOUNT_SECRETS

    uuid: pulumi.Output[str]
    name: pulumi.Output[str]
    statement_query: pulumi.Output[str]

    def __init__(self, name: str, args: IamPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            IamPolicyProvider(),
            name,
            connection=args.auth.connection(),
            fields={
                "level_type": args.level_type,
                "level_id": args.level_id,
                "name": args.name,
                "description": args.description,
                "statement_query": args.statement_query,
                "owner": args.owner,
                "adopt_existing": args.adopt_existing,
            },
            client=args.client,
            opts=opts,
        )
