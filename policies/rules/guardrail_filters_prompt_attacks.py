"""Bedrock guardrails filter prompt attacks on input at the configured strength or stronger.

Applies to ``aws:bedrock/guardrail:Guardrail`` resources. Compliant when the content policy has
a ``PROMPT_ATTACK`` filter whose input strength is at least ``minInputStrength`` (``NONE`` <
``LOW`` < ``MEDIUM`` < ``HIGH``; default ``HIGH``).

Why: jailbreaks and prompt injections are the main attack on LLM applications; the guardrail is
the last line of defence before the model.

Fix: keep ``{type: PROMPT_ATTACK, inputStrength: HIGH, outputStrength: NONE}`` in
``ai-observability:guardrails.guardrails[].contentFilters`` (the default filters include it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._bedrock import GUARDRAIL
from ._support import (
    ResourceRule,
    Verdict,
    compliant,
    items,
    judge,
    label,
    not_applicable,
    schema,
    settings,
    text,
    violation,
)

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


def check(args: ResourceValidationArgs) -> Verdict:
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
    check,
    config_schema=PROMPT_CONFIG,
    remediation_steps="Add a PROMPT_ATTACK content filter with inputStrength HIGH.",
)
