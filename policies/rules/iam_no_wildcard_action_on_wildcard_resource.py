"""Policies the stack creates never allow a wildcard action on ``Resource: "*"``.

Applies to IAM policies, role policies (and roles' inline policies), user and group policies,
and S3 bucket, SQS queue and SNS topic policies. Compliant when no Allow statement pairs a
wildcard action (``*`` or ``service:*``) with the resource ``*``.

Why: a wildcard action on every resource is administrator access: one leaked credential or
confused deputy compromises the whole account.

Fix: name the actions and resource ARNs the component needs (e.g. ``events:InvokeApiDestination``
on the destination ARN) in the component that builds the policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import ResourceValidationArgs

from . import _iam
from ._support import (
    ResourceRule,
    Verdict,
    items,
    json_value,
    judge,
    label,
    not_applicable,
    violation,
)

# Type token → property holding a policy document (JSON text).
DOCUMENT_PROPERTIES: dict[str, str] = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
}
ROLE = "aws:iam/role:Role"


def documents(resource_type: str, props: Any) -> Iterator[tuple[str, Any]]:
    """(where, parsed document) for every permission document of the resource."""
    key = DOCUMENT_PROPERTIES.get(resource_type)
    if key is not None:
        yield key, json_value(props, key)
    if resource_type == ROLE:
        for index, inline in enumerate(items(props, "inlinePolicies")):
            yield f"inlinePolicies[{index}]", json_value(inline, "policy")


def is_wildcard_action(action: str) -> bool:
    return action == "*" or action.endswith(":*")


def check(args: ResourceValidationArgs) -> Verdict:
    """No Allow statement pairs a wildcard action with Resource '*'."""
    if args.resource_type not in DOCUMENT_PROPERTIES and args.resource_type != ROLE:
        return not_applicable("only IAM, bucket, queue and topic policies")
    found = list(documents(args.resource_type, args.props))
    if not any(document is not None for _, document in found):
        return not_applicable("no permission document")
    return judge(
        violation(
            f"{label(args)} {where} allows {', '.join(a for a in _iam.actions(s) if is_wildcard_action(a))} "
            f"on Resource '*' (statement {s.get('Sid', '(no Sid)')})",
            "a wildcard action on every resource is administrator access: one leaked credential or confused "
            "deputy compromises the whole account",
            "name the actions and resource ARNs the component needs (e.g. events:InvokeApiDestination on the "
            "destination ARN) in the component that builds this policy",
        )
        for where, document in found
        for s in _iam.statements(document)
        if _iam.allows(s) and any(is_wildcard_action(a) for a in _iam.actions(s)) and "*" in _iam.resources(s)
    )


iam_no_wildcard_action_on_wildcard_resource = ResourceRule(
    "iam-no-wildcard-action-on-wildcard-resource",
    "Policies the stack creates never allow a wildcard action on Resource '*'.",
    check,
    remediation_steps="Scope actions and resources in the policy document.",
)
