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
from typing import Annotated, ClassVar, Final

from pydantic import AfterValidator, Field, field_validator

from ._provider import AccountConnection
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
