"""The stack creates at least one Bedrock guardrail.

A stack rule for stacks of this project (with an ``ai-observability:*`` component): compliant
when the stack creates an ``aws:bedrock/guardrail:Guardrail``; ``guardrails.enabled: false``
violates it.

Why: without a guardrail no prompt or completion is filtered for prompt attacks, PII or denied
topics.

Fix: set ``ai-observability:guardrails.enabled`` to true with at least one entry in
``ai-observability:guardrails.guardrails``; a stack whose guardrails live in another stack sets
this rule to ``disabled`` in its ``policies/config/<stack>.json``.
"""

from __future__ import annotations

from pulumi_policy import StackValidationArgs

from ._bedrock import GUARDRAIL
from ._project import judge_presence
from ._support import StackRule, Verdict

NAME = "stack-has-bedrock-guardrails"


def check(args: StackValidationArgs) -> Verdict:
    """The stack creates at least one Bedrock guardrail."""
    return judge_presence(
        args,
        NAME,
        GUARDRAIL,
        "the stack creates no Bedrock guardrail",
        "without a guardrail no prompt or completion is filtered for prompt attacks, PII or denied topics",
        "set ai-observability:guardrails.enabled to true with at least one entry in "
        "ai-observability:guardrails.guardrails",
    )


stack_has_bedrock_guardrails = StackRule(
    NAME,
    "The stack creates at least one Bedrock guardrail.",
    check,
    remediation_steps="Enable ai-observability:guardrails with at least one guardrail.",
)
