"""Roles another AWS account may assume require an ``sts:ExternalId`` condition.

Applies to IAM roles whose trust policy lets an AWS account principal (rather than a service)
assume them, such as the monitoring role Dynatrace assumes to read CloudWatch. Compliant when
every such Allow statement demands ``sts:ExternalId`` with ``StringEquals``/``StringLike``.

Why: without the external ID any customer of the same vendor could point the vendor at this role
(the confused-deputy problem AWS documents for third-party access).

Fix: add Condition ``StringEquals sts:ExternalId`` with the connection's external ID; the stack
uses the AWS connection's object ID, ``ai-observability:telemetry.bedrockMetrics.externalId``
overrides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from . import _iam
from ._support import ResourceRule, Verdict, json_value, judge, label, not_applicable, violation

ROLE = "aws:iam/role:Role"
_EQUALITY = ("StringEquals", "StringLike")


def aws_principals(statement: Mapping[str, Any]) -> list[str]:
    """Account or role principals (``Principal.AWS``), as opposed to service principals."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if not isinstance(principal, Mapping):
        return []
    return [str(p) for p in _iam.as_list(principal.get("AWS"))]


def requires_external_id(statement: Mapping[str, Any]) -> bool:
    operators = _iam.condition_keys(statement).get("sts:externalid", [])
    return any(op in _EQUALITY for op in operators)


def check(args: ResourceValidationArgs) -> Verdict:
    """Every Allow trust statement naming an AWS account principal requires sts:ExternalId."""
    if args.resource_type != ROLE:
        return not_applicable("only IAM roles")
    document = json_value(args.props, "assumeRolePolicy")
    cross_account = [
        s
        for s in _iam.statements(document)
        if _iam.allows(s) and aws_principals(s) and "sts:AssumeRole" in _iam.actions(s)
    ]
    if not cross_account:
        return not_applicable("no account principal may assume this role (service roles are out of scope)")
    return judge(
        violation(
            f"{label(args)} lets {', '.join(aws_principals(s))} assume it without an sts:ExternalId condition "
            f"(statement {s.get('Sid', '(no Sid)')})",
            "without the external ID any customer of the same vendor could point the vendor at this role "
            "(the confused-deputy problem AWS documents for third-party access)",
            "add Condition StringEquals sts:ExternalId with the connection's external ID (the stack uses "
            "the AWS connection's object ID; ai-observability:telemetry.bedrockMetrics.externalId overrides it)",
        )
        for s in cross_account
        if not requires_external_id(s)
    )


cross_account_role_trust_requires_external_id = ResourceRule(
    "cross-account-role-trust-requires-external-id",
    "Roles another AWS account may assume require an sts:ExternalId condition.",
    check,
    remediation_steps="Add an sts:ExternalId condition to the trust statement.",
)
