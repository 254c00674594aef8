"""Bedrock guardrails block prompt attacks, handle sensitive information and are pinned.

- ``guardrail-filters-prompt-attacks`` (resource): a PROMPT_ATTACK content filter with input
  strength at least ``minInputStrength`` (default HIGH).
- ``guardrail-has-sensitive-information-policy`` (resource): at least one PII entity or regex.
- ``guardrails-have-pinned-version`` (stack): every guardrail has a GuardrailVersion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from ._support import (
    Finding,
    ResourceRule,
    StackRule,
    Verdict,
    compliant,
    items,
    judge,
    label,
    not_applicable,
    of_type,
    schema,
    settings,
    text,
    violation,
)

GUARDRAIL = "aws:bedrock/guardrail:Guardrail"
GUARDRAIL_VERSION = "aws:bedrock/guardrailVersion:GuardrailVersion"
STRENGTHS = ["NONE", "LOW", "MEDIUM", "HIGH"]
PROMPT_CONFIG = schema(
    minInputStrength={
        "type": "string",
        "enum": STRENGTHS,
        "default": "HIGH",
        "description": "Weakest acceptable input strength of the PROMPT_ATTACK filter.",
    }
)


def _strength(value: Any) -> int:
    return STRENGTHS.index(value) if value in STRENGTHS else -1


def check_prompt_attack(args: ResourceValidationArgs) -> Verdict:
    """The guardrail has a PROMPT_ATTACK filter with input strength >= minInputStrength."""
    if args.resource_type != GUARDRAIL:
        return not_applicable("only Bedrock guardrails")
    minimum = str(settings(args, PROMPT_CONFIG)["minInputStrength"])
    filters = [
        f
        for f in items(args.props, "contentPolicyConfig", "filtersConfigs")
        if isinstance(f, Mapping) and text(f, "type") == "PROMPT_ATTACK"
    ]
    strength = text(filters[0], "inputStrength") if filters else None
    if filters and _strength(strength) >= _strength(minimum):
        return compliant()
    what = "has no PROMPT_ATTACK filter" if not filters else f"filters prompt attacks at {strength}"
    return judge(
        [
            violation(
                f"guardrail {label(args)} {what}; input strength {minimum} or stronger required",
                "jailbreaks and prompt injections are the main attack on LLM applications; the guardrail is "
                "the last line of defence before the model",
                "add {type: PROMPT_ATTACK, inputStrength: "
                f"{minimum}, outputStrength: NONE}} to ai-observability:guardrails.guardrails[].contentFilters "
                "(the default filters include it at HIGH)",
            )
        ]
    )


guardrail_filters_prompt_attacks = ResourceRule(
    "guardrail-filters-prompt-attacks",
    "Bedrock guardrails filter prompt attacks on input at the configured strength or stronger.",
    check_prompt_attack,
    config_schema=PROMPT_CONFIG,
    remediation_steps="Add a PROMPT_ATTACK content filter with inputStrength HIGH.",
)


def check_sensitive_information(args: ResourceValidationArgs) -> Verdict:
    """The guardrail has a sensitive-information policy with at least one PII entity or regex."""
    if args.resource_type != GUARDRAIL:
        return not_applicable("only Bedrock guardrails")
    entries = items(args.props, "sensitiveInformationPolicyConfig", "piiEntitiesConfigs") + items(
        args.props, "sensitiveInformationPolicyConfig", "regexesConfigs"
    )
    if entries:
        return compliant()
    return judge(
        [
            violation(
                f"guardrail {label(args)} has no sensitive-information policy",
                "without PII detection, credentials, card numbers and personal data pass to and from the model "
                "and into the invocation logs",
                "list entities in ai-observability:guardrails.guardrails[].piiEntities (or regexes); the "
                "default blocks AWS keys, passwords and card numbers",
            )
        ]
    )


guardrail_has_sensitive_information_policy = ResourceRule(
    "guardrail-has-sensitive-information-policy",
    "Bedrock guardrails have a sensitive-information (PII) policy.",
    check_sensitive_information,
    remediation_steps="Configure piiEntities or regexes on every guardrail.",
)


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


def check_pinned(args: StackValidationArgs) -> Verdict:
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
    check_pinned,
    remediation_steps="Create an aws.bedrock.GuardrailVersion for every guardrail.",
)
