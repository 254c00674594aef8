"""Bedrock guardrails have a sensitive-information (PII) policy.

Applies to ``aws:bedrock/guardrail:Guardrail`` resources. Compliant when the sensitive-information
policy lists at least one PII entity or regex.

Why: without PII detection, credentials, card numbers and personal data pass to and from the
model and into the invocation logs.

Fix: list entities in ``ai-observability:guardrails.guardrails[].piiEntities`` (or regexes); the
default blocks AWS keys, passwords and card numbers.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._bedrock import GUARDRAIL
from ._support import ResourceRule, Verdict, compliant, items, judge, label, not_applicable, violation


def check(args: ResourceValidationArgs) -> Verdict:
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
    check,
    remediation_steps="Configure piiEntities or regexes on every guardrail.",
)
