"""What the access providers (IAM policy, group, binding) share: the account connection with the
scopes their calls need, and how the stack recognises the policies and groups it made.

Ownership: Account Management objects carry no external id, so the stack marks what it creates
with ``[managed by <project>/<stack>]`` at the end of the description. A re-run after a crash (or a
lost state) finds its own object by name and sees the marker: it adopts it instead of creating a
duplicate. An object with the same name but without this stack's marker belongs to someone else:
it is refused with an explanation unless ``adopt_existing`` allows taking it over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Final, TypeVar

from pulumi.dynamic import CreateResult, UpdateResult
from pydantic import AfterValidator, Field, field_validator

from ._provider import AccountConnection, DynatraceProvider
from .iam_api import AccountApi
from .scopes import ACCESS

MAX_DESCRIPTION: Final = 255
"""Group descriptions are at most 255 characters (Group management API, InsertGroupDto)."""
_LEVEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


def marker(owner: str) -> str:
    return f"[managed by {owner}]"


def described(purpose: str, owner: str) -> str:
    """The description the stack writes: the purpose, then the ownership marker (≤ 255 chars)."""
    tail = " " + marker(owner)
    return purpose[: MAX_DESCRIPTION - len(tail)].rstrip() + tail


def owned_by(description: str | None, owner: str) -> bool:
    return description is not None and description.rstrip().endswith(marker(owner))


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("must be 1-200 characters without control characters")
    return value


def _level_id(value: str) -> str:
    if not _LEVEL_ID.match(value):
        raise ValueError("must be an environment ID such as abc12345")
    return value


IamName = Annotated[str, AfterValidator(_name)]
LevelId = Annotated[str, AfterValidator(_level_id)]


class AccountInputs(AccountConnection):
    """The account connection plus the owner whose marker the objects carry."""

    OAUTH_SCOPES: ClassVar[tuple[str, ...]] = ACCESS.scopes
    """Account Management scopes of the access feature (:data:`~components.dynatrace.scopes.ACCESS`)."""

    owner: str = Field(min_length=1, max_length=200)
    """``<project>/<stack>``: the ownership marker in descriptions."""
    adopt_existing: bool = False
    """Take over an object of the same name that another party made (its marker is then ours)."""

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if any(ch.isspace() or ch in "[]" for ch in value):
            raise ValueError("must not contain whitespace or brackets")
        return value


OwnedT = TypeVar("OwnedT", bound=AccountInputs)


def owned_outputs(inputs: AccountInputs, uuid: str, adopted: bool) -> dict[str, Any]:
    """The state of an object the stack owns by its marker: the inputs, its UUID, whether it was adopted."""
    return {**inputs.props(), "uuid": uuid, "adopted": adopted}


class OwnedObjectProvider(DynatraceProvider[OwnedT]):
    """Create and update of an Account Management object the stack owns by its description marker
    (a policy, a group), whose id is the object's UUID. A subclass states how to find or create the
    object (:meth:`ensure`) and how to bring an existing one to the inputs (:meth:`reconcile`)."""

    def ensure(self, api: AccountApi, inputs: OwnedT) -> tuple[str, bool]:
        """The object's UUID, and whether an existing object was adopted rather than created."""
        raise NotImplementedError

    def reconcile(self, api: AccountApi, inputs: OwnedT, uuid: str) -> None:
        """Write the inputs onto the existing object ``uuid``."""
        raise NotImplementedError

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            uuid, adopted = self.ensure(AccountApi(client, inputs.account_uuid), inputs)
        return CreateResult(uuid, owned_outputs(inputs, uuid, adopted))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.parse(news)
        if not self.changed_fields(olds, inputs):
            return self.connection_update(olds, inputs)
        with inputs.open() as client:
            self.reconcile(AccountApi(client, inputs.account_uuid), inputs, id_)
        return UpdateResult(owned_outputs(inputs, id_, was_adopted(olds)))


def was_adopted(state: Mapping[str, Any]) -> bool:
    """Whether the stored state says the object was adopted."""
    return bool(state.get("adopted", False))
