"""What the stack rules that judge absence share: whether a stack belongs to this project, and
how a finding says the control may live in another stack.

Resource rules never fire on what a stack leaves out: a stack that disables guardrails or points
its pipeline at nothing has no resource to flag, so these stack rules judge absence. They apply
to a stack of this project (one with an ``ai-observability:*`` component), so they never fire on
a stack they do not understand.
"""

from __future__ import annotations

from pulumi_policy import StackValidationArgs

from ._support import Verdict, compliant, judge, not_applicable, of_type, violation

PROJECT_PREFIX = "ai-observability:"
NOT_OURS = "the stack has no ai-observability component"
DISABLE_HINT = "or, when another stack owns this control, set '{name}' to disabled in policies/config/<stack>.json"


def is_project_stack(args: StackValidationArgs) -> bool:
    """True when the stack holds a component of this project (``ai-observability:<area>:<Name>``)."""
    return any(r.resource_type.startswith(PROJECT_PREFIX) for r in args.resources)


def judge_presence(
    args: StackValidationArgs, policy: str, resource_type: str, what: str, why: str, fix: str
) -> Verdict:
    """Compliant when a stack of this project creates a ``resource_type``; otherwise one finding
    whose fix ends with how to disable ``policy`` for a stack whose control lives elsewhere."""
    if not is_project_stack(args):
        return not_applicable(NOT_OURS)
    if of_type(args.resources, resource_type):
        return compliant()
    return judge([violation(what, why, f"{fix}, {DISABLE_HINT.format(name=policy)}")])
