"""``DynatraceAccess``: who may use the AI Observability app and read the governance bucket.

Two IAM policies at the environment level (:mod:`.access_policies` writes their statements), the
groups the configuration asks the stack to create, and one binding per (policy, group) —
appended to whatever else the group is bound to, never replacing it. Groups the configuration
marks ``existing`` are bound by name and never changed or deleted. Dependencies follow the
identifiers: a binding takes its policy's UUID (and its group's, for a group of the stack), so
Pulumi creates policies and groups first and deletes bindings first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.config.access import AccessConfig, AccessGroupConfig, PolicyAccessConfig, group_key
from components.dynatrace.access_policies import auditors_statement, users_statement
from components.dynatrace.client import ClientSettings
from components.dynatrace.credentials import AccountAuth
from components.dynatrace.iam_binding import IamPolicyBinding, IamPolicyBindingArgs
from components.dynatrace.iam_group import IamGroup, IamGroupArgs
from components.dynatrace.iam_policy import IamPolicy, IamPolicyArgs

COMPONENT_TYPE = "ai-observability:dynatrace:Access"
USERS_PURPOSE = "AI Observability app: AI spans, metrics, logs, events and settings; not the governance bucket"
AUDITORS_PURPOSE = "AI governance audit trail: business events of the governance bucket only"


@dataclass(frozen=True)
class DynatraceAccessArgs:
    auth: AccountAuth
    """The OAuth client and account (the Account Management API accepts nothing else)."""
    environment_id: str
    """The environment the policies and bindings apply to (``abc12345``)."""
    owner: str
    """``<project>/<stack>``: the ownership marker of the policies and groups."""
    stack: str
    """Names the default groups (``<policyName> (<stack>)``)."""
    governance_bucket: str
    """The bucket only the auditors policy may read."""
    config: AccessConfig
    client: ClientSettings | None = None


class DynatraceAccess(pulumi.ComponentResource):
    """The users and auditors policies, the stack's groups and the bindings between them."""

    policy_ids: pulumi.Output[dict[str, str]]
    """``users``/``auditors`` → policy UUID."""
    group_ids: pulumi.Output[dict[str, str]]
    """Group name → UUID, for the groups the stack created."""

    def __init__(self, name: str, args: DynatraceAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        roles: dict[str, tuple[PolicyAccessConfig, str, str]] = {
            "users": (cfg.users, USERS_PURPOSE, users_statement(cfg.users.read_bucket_prefixes)),
            "auditors": (cfg.auditors, AUDITORS_PURPOSE, auditors_statement(args.governance_bucket)),
        }
        policies = {
            role: IamPolicy(
                f"{name}-{role}-policy",
                IamPolicyArgs(
                    auth=args.auth,
                    level_id=args.environment_id,
                    name=section.policy_name,
                    description=purpose,
                    statement_query=statement,
                    owner=args.owner,
                    adopt_existing=cfg.adopt_existing,
                    client=args.client,
                ),
                child,
            )
            for role, (section, purpose, statement) in roles.items()
        }
        groups: dict[str, tuple[str, IamGroup]] = {}  # group key -> (configured name, resource)
        for role, (section, _, _) in roles.items():
            for group in section.bound_groups(args.stack):
                if not group.existing and group_key(group.name) not in groups:
                    groups[group_key(group.name)] = (group.name, self._group(name, role, group, args))
        for role, (section, _, _) in roles.items():
            for group in section.bound_groups(args.stack):
                created = groups[group_key(group.name)][1] if not group.existing else None
                IamPolicyBinding(
                    f"{name}-{role}-binding-{group_key(group.name)}",
                    IamPolicyBindingArgs(
                        auth=args.auth,
                        level_id=args.environment_id,
                        policy_uuid=policies[role].uuid,
                        group_name=group.name,
                        group_uuid=created.uuid if created is not None else None,
                        owner=args.owner,
                        client=args.client,
                    ),
                    child,
                )
        self.policy_ids = pulumi.Output.all(**{role: p.uuid for role, p in policies.items()}).apply(dict)
        self.group_ids = pulumi.Output.all(**{label: g.uuid for label, g in groups.values()}).apply(dict)
        self.register_outputs({"policy_ids": self.policy_ids, "group_ids": self.group_ids})

    def _group(self, name: str, role: str, group: AccessGroupConfig, args: DynatraceAccessArgs) -> IamGroup:
        purpose = USERS_PURPOSE if role == "users" else AUDITORS_PURPOSE
        return IamGroup(
            f"{name}-group-{group_key(group.name)}",
            IamGroupArgs(
                auth=args.auth,
                name=group.name,
                description=purpose,
                owner=args.owner,
                adopt_existing=args.config.adopt_existing,
                client=args.client,
            ),
            pulumi.ResourceOptions(parent=self),
        )
