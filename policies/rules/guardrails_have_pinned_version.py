"""Every Bedrock guardrail of the stack has a pinned GuardrailVersion.

A stack rule: applies when the stack creates a guardrail. Compliant when every guardrail has an
``aws:bedrock/guardrailVersion:GuardrailVersion``: linked through the ``guardrailArn`` property
dependency (under the engine) or a known ARN/id, or — in the offline plan, which has no
dependency data — sharing the guardrail's parent component (one version per guardrail) or being
its child.

Why: applications calling the DRAFT get every later edit unreviewed; a numbered version is an
immutable, auditable snapshot to pin in IAM conditions and application config.

Fix: keep the guardrails component's GuardrailVersion
(``ai-observability:guardrails.guardrails[].versionDescription``).
"""

from __future__ import annotations

from collections import Counter

from pulumi_policy import PolicyResource, StackValidationArgs

from ._bedrock import GUARDRAIL, GUARDRAIL_VERSION
from ._support import Finding, StackRule, Verdict, judge, label, not_applicable, of_type, text, violation


def _identities(guardrail: PolicyResource) -> set[str]:
    """What a version's guardrailArn may be: the guardrail's ARN or id (known in stack outputs)."""
    found = set()
    for key in ("guardrailArn", "arn", "guardrailId", "id"):
        value = text(guardrail.props, key)
        if value:
            found.add(value)
    return found


def _pins(version: PolicyResource, guardrail: PolicyResource) -> bool:
    for dependency in version.property_dependencies.get("guardrailArn", []):
        if dependency.urn == guardrail.urn:
            return True
    arn = text(version.props, "guardrailArn")
    return arn is not None and any(arn == i or arn.endswith("/" + i) for i in _identities(guardrail))


def check(args: StackValidationArgs) -> Verdict:
    """Every guardrail of the stack has a GuardrailVersion (a pinned, immutable snapshot)."""
    guardrails = of_type(args.resources, GUARDRAIL)
    if not guardrails:
        return not_applicable("the stack creates no Bedrock guardrail")
    versions = of_type(args.resources, GUARDRAIL_VERSION)
    unlinked = [v for v in versions if not any(_pins(v, g) for g in guardrails)]
    # Without dependency data or known ARNs (the offline plan sees inputs only), a version pins the
    # guardrail it shares a parent component with (or whose child it is), one version per guardrail.
    spare = Counter(v.opts.parent for v in unlinked)
    findings: list[Finding] = []
    for guardrail in guardrails:
        if any(_pins(v, guardrail) for v in versions):
            continue
        own_children = [v for v in unlinked if v.opts.parent == guardrail.urn]
        if own_children:
            continue
        if spare[guardrail.opts.parent] > 0:
            spare[guardrail.opts.parent] -= 1
            continue
        findings.append(
            violation(
                f"guardrail {label(guardrail)} has no pinned version (aws:bedrock/guardrailVersion)",
                "applications calling the DRAFT get every later edit unreviewed; a numbered version is an "
                "immutable, auditable snapshot to pin in IAM conditions and application config",
                "keep the guardrails component's GuardrailVersion (ai-observability:guardrails.guardrails[]."
                "versionDescription)",
                urn=guardrail.urn,
            )
        )
    return judge(findings)


guardrails_have_pinned_version = StackRule(
    "guardrails-have-pinned-version",
    "Every Bedrock guardrail of the stack has a pinned GuardrailVersion.",
    check,
    remediation_steps="Create an aws.bedrock.GuardrailVersion for every guardrail.",
)
