"""``ai-observability:access`` — who may use the AI Observability app and read the governance bucket.

Off by default. When on, the stack manages, through the Account Management API (OAuth client only,
``dynatraceOAuthClientId``/``dynatraceOAuthClientSecret`` and ``dynatraceAccountUuid``), two IAM
policies at the environment level, the groups it creates, and the bindings of both policies to
their groups::

    ai-observability:access:
      enabled: true
      users:
        groups:
          - name: AI Observability users          # created by the stack
          - name: SRE on-call
            existing: true                        # an existing group: bound, never changed or deleted
      auditors:
        groups:
          - name: AI governance auditors
      forbiddenGovernanceReaders: [Contractors]  # must never be bound to the auditors policy
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from ._base import ConfigModel

USERS_POLICY = "AI Observability users"
AUDITORS_POLICY = "AI governance auditors"
# Prefixes Dynatrace reserves for its own buckets (a custom bucket such as the governance bucket can
# never start with them): Storage Management API, bucketName rules.
RESERVED_BUCKET_PREFIXES: tuple[str, ...] = ("default_", "dt_")

_BUCKET_PREFIX = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")

GroupName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""A group or policy name (visible text: the configuration's text rule applies to every field)."""


def group_key(name: str) -> str:
    """The stable part of a group's resource names: its name lower-cased, runs of anything but
    a-z and 0-9 as one ``-`` (``AI Observability users (dev)`` → ``ai-observability-users-dev``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "group"


class AccessGroupConfig(ConfigModel):
    """One group a policy is bound to."""

    name: GroupName
    """The group's name in Account Management (unique in the account)."""
    existing: bool = False
    """False: the stack creates the group and deletes it on destroy. True: a group that already exists
    (looked up by name); the stack binds the policy to it and never changes or deletes the group."""


def _groups(value: list[AccessGroupConfig]) -> list[AccessGroupConfig]:
    names = [g.name.casefold() for g in value]
    if len(set(names)) != len(names):
        raise ValueError("names a group twice")
    return value


class PolicyAccessConfig(ConfigModel):
    """One policy and the groups it is bound to."""

    policy_name: GroupName
    """The policy's name (unique at the environment level). A change renames it in place."""
    groups: Annotated[list[AccessGroupConfig], Field(min_length=1, max_length=20)] | None = None
    """Groups bound to the policy. Default: one group the stack creates, named ``<policyName> (<stack>)``
    (group names are unique in the account, which several stacks may share)."""

    @field_validator("groups")
    @classmethod
    def _unique(cls, value: list[AccessGroupConfig] | None) -> list[AccessGroupConfig] | None:
        return None if value is None else _groups(value)

    def bound_groups(self, stack: str) -> list[AccessGroupConfig]:
        """The groups bound to the policy (the configured ones, or the default for ``stack``)."""
        return self.groups if self.groups is not None else [AccessGroupConfig(name=f"{self.policy_name} ({stack})")]


class UsersAccessConfig(PolicyAccessConfig):
    """The "AI Observability users" policy: the AI Observability app's permissions."""

    policy_name: GroupName = USERS_POLICY
    read_bucket_prefixes: Annotated[list[str], Field(min_length=1, max_length=20)] = Field(
        default_factory=lambda: list(RESERVED_BUCKET_PREFIXES)
    )
    """``storage:buckets:read`` is granted only for buckets whose name starts with one of these (default
    Dynatrace's own ``default_`` and ``dt_`` buckets). None may match the governance bucket: it is read only
    through the auditors policy."""

    @field_validator("read_bucket_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not _BUCKET_PREFIX.match(prefix):
                raise ValueError(f"{prefix!r} is not a bucket-name prefix (a-z first, then a-z, 0-9, '_' or '-')")
        if len(set(value)) != len(value):
            raise ValueError("names a prefix twice")
        return value


class AuditorsAccessConfig(PolicyAccessConfig):
    """The "AI governance auditors" policy: the governance bucket's business events, nothing else."""

    policy_name: GroupName = AUDITORS_POLICY


class AccessConfig(ConfigModel):
    """IAM policies, groups and bindings for the AI Observability app and the governance bucket."""

    enabled: bool = False
    """Manage access as code. Needs an OAuth client (``dynatraceOAuthClientId``, ``dynatraceOAuthClientSecret``)
    and ``dynatraceAccountUuid``: the Account Management API accepts only OAuth clients."""
    users: UsersAccessConfig = Field(default_factory=UsersAccessConfig)
    auditors: AuditorsAccessConfig = Field(default_factory=AuditorsAccessConfig)
    forbidden_governance_readers: Annotated[list[GroupName], Field(max_length=50)] = Field(default_factory=list)
    """Groups that must never read the governance bucket: a configuration that binds one of them to the
    auditors policy is refused."""
    adopt_existing: bool = False
    """False: a policy or group with one of the names above that this stack did not create is an error (the
    stack never takes over what someone else made). True: such objects are adopted, brought to the
    configuration, and deleted on destroy."""

    @model_validator(mode="after")
    def _distinct_policies(self) -> AccessConfig:
        if self.users.policy_name.casefold() == self.auditors.policy_name.casefold():
            raise ValueError("@auditors.policyName: must differ from users.policyName")
        return self

    def forbidden_auditors(self, stack: str) -> list[tuple[int, str]]:
        """(index in the auditors' groups, name) of each auditors group that must never read the bucket."""
        forbidden = {name.casefold() for name in self.forbidden_governance_readers}
        groups = self.auditors.bound_groups(stack)
        return [(i, g.name) for i, g in enumerate(groups) if g.name.casefold() in forbidden]
