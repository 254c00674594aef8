"""A stack deploying guardrails or governance forwarding has anomaly detectors for the required AI alerts.

A stack rule: a required alert (``requiredAlerts``) applies when the stack deploys what it
watches — a Bedrock guardrail for ``guardrailActivations``; an OpenPipeline route or an
EventBridge API destination for ``forwarding``. Compliant when each applicable alert has a
detector (a ``builtin:davis.anomaly-detectors`` settings object carrying the alert's name).

Why: without the detectors, guardrail interventions and a stalled governance forwarding go
unnoticed.

Fix: enable ``ai-observability:signals`` (on by default).
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, StackValidationArgs

from ._alerts import ALERTS_CONFIG, alert_of
from ._bedrock import GUARDRAIL
from ._support import StackRule, Verdict, is_dynamic_kind, judge, not_applicable, settings, violation

# What each required alert watches: the stack deploying one of these makes the alert applicable.
_SUBJECT_TYPES: dict[str, tuple[str, ...]] = {
    "guardrailActivations": (GUARDRAIL,),
    "forwarding": ("aws:cloudwatch/eventApiDestination:EventApiDestination",),
}
_SUBJECT_KINDS: dict[str, tuple[str, ...]] = {"forwarding": ("OpenPipelineRoute",)}


def _guarded(resource: PolicyResource) -> set[str]:
    """The alerts whose subject ``resource`` is (empty for anything else)."""
    guarded = {alert for alert, types in _SUBJECT_TYPES.items() if resource.resource_type in types}
    guarded |= {alert for alert, kinds in _SUBJECT_KINDS.items() if any(is_dynamic_kind(resource, k) for k in kinds)}
    return guarded


def check(args: StackValidationArgs) -> Verdict:
    """Every required alert whose subject the stack deploys has a detector."""
    subjects: set[str] = set()
    for resource in args.resources:
        subjects |= _guarded(resource)
    required = [a for a in settings(args, ALERTS_CONFIG)["requiredAlerts"] if a in subjects]
    if not required:
        return not_applicable("the stack deploys no guardrail and no governance forwarding")
    present = {alert_of(r.props) for r in args.resources if is_dynamic_kind(r, "SettingsObject")}
    missing = [a for a in required if a not in present]
    if not missing:
        return judge([])
    return judge(
        [
            violation(
                f"no anomaly detector for the required alert(s) {', '.join(missing)}",
                "without them, guardrail interventions and a stalled governance forwarding go unnoticed",
                "enable ai-observability:signals (on by default)",
            )
        ]
    )


ai_alert_detectors_exist = StackRule(
    "ai-alert-detectors-exist",
    "A stack deploying guardrails or governance forwarding has anomaly detectors for the required AI alerts.",
    check,
    config_schema=ALERTS_CONFIG,
    remediation_steps="Enable ai-observability:signals.",
)
