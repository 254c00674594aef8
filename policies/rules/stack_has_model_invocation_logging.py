"""The stack configures Bedrock model invocation logging.

A stack rule for stacks of this project (with an ``ai-observability:*`` component): compliant
when the stack creates an ``aws:bedrockmodel/invocationLoggingConfiguration``.

Why: prompts and completions are the audit trail of an AI system (EU AI Act Art. 12/19:
automatically generated logs).

Fix: set ``ai-observability:guardrails.enabled`` and
``ai-observability:guardrails.invocationLogging.enabled`` to true; AWS allows one logging
configuration per account and region, so a stack whose logging another stack owns sets this rule
to ``disabled`` in its ``policies/config/<stack>.json``.
"""

from __future__ import annotations

from pulumi_policy import StackValidationArgs

from ._bedrock import INVOCATION_LOGGING
from ._project import judge_presence
from ._support import StackRule, Verdict

NAME = "stack-has-model-invocation-logging"


def check(args: StackValidationArgs) -> Verdict:
    """The stack configures Bedrock model invocation logging."""
    return judge_presence(
        args,
        NAME,
        INVOCATION_LOGGING,
        "the stack configures no Bedrock model invocation logging",
        "prompts and completions are the audit trail of an AI system (EU AI Act Art. 12/19: "
        "automatically generated logs)",
        "set ai-observability:guardrails.enabled and ai-observability:guardrails.invocationLogging.enabled to true",
    )


stack_has_model_invocation_logging = StackRule(
    NAME,
    "The stack configures Bedrock model invocation logging.",
    check,
    remediation_steps="Enable ai-observability:guardrails.invocationLogging.",
)
