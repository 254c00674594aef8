"""The stack's AI alerts that guard governance exist and are enabled.

- ``ai-alert-detectors-enabled`` (resource): a Davis anomaly detector of this stack for a
  required alert (default: guardrail activations, governance forwarding) is enabled.
- ``ai-alert-detectors-exist`` (stack): a stack that deploys what a required alert watches (a
  Bedrock guardrail; an OpenPipeline route or EventBridge API destination for forwarding) has
  a detector for that alert.

Detectors are ``SettingsObject`` dynamic resources of schema ``builtin:davis.anomaly-detectors``;
the alert they implement is the ``ai-observability.alert`` event property.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from ._support import (
    ResourceRule,
    StackRule,
    Verdict,
    first,
    get,
    is_dynamic_kind,
    judge,
    label,
    not_applicable,
    schema,
    settings,
    string_list,
    violation,
)

DETECTOR_SCHEMA = "builtin:davis.anomaly-detectors"
ALERT_PROPERTY = "ai-observability.alert"
ALERTS_CONFIG = schema(
    requiredAlerts=string_list(
        ["guardrailActivations", "forwarding"],
        "Alerts (keys of ai-observability:signals.alerts) whose detectors must exist and be enabled.",
    )
)
# What each required alert watches: the stack deploying one of these makes the alert applicable.
_SUBJECT_TYPES: dict[str, tuple[str, ...]] = {
    "guardrailActivations": ("aws:bedrock/guardrail:Guardrail",),
    "forwarding": ("aws:cloudwatch/eventApiDestination:EventApiDestination",),
}
_SUBJECT_KINDS: dict[str, tuple[str, ...]] = {"forwarding": ("OpenPipelineRoute",)}


def alert_of(props: Mapping[str, Any]) -> str | None:
    """The alert a detector implements (its ``ai-observability.alert`` event property), else None."""
    if first(props, "schema_id", "schemaId") != DETECTOR_SCHEMA:
        return None
    for prop in get(props, "value", "eventTemplate", "properties") or []:
        if get(prop, "key") == ALERT_PROPERTY:
            found = get(prop, "value")
            return found if isinstance(found, str) else None
    return None


def check_enabled(args: ResourceValidationArgs) -> Verdict:
    """A detector for a required alert is enabled."""
    if not is_dynamic_kind(args, "SettingsObject"):
        return not_applicable("only settings objects of this stack")
    alert = alert_of(args.props)
    required = list(settings(args, ALERTS_CONFIG)["requiredAlerts"])
    if alert is None or alert not in required:
        return not_applicable("not a detector for a required alert")
    if get(args.props, "value", "enabled") is False:
        return judge(
            [
                violation(
                    f"detector {label(args)} for the required alert {alert!r} is disabled",
                    "guardrail interventions and a stalled governance forwarding must page someone in this environment",
                    f"remove ai-observability:signals.alerts.{alert}.enabled=false",
                )
            ]
        )
    return judge([])


ai_alert_detectors_enabled = ResourceRule(
    "ai-alert-detectors-enabled",
    "Anomaly detectors for the required AI alerts (guardrails, governance forwarding) are enabled.",
    check_enabled,
    config_schema=ALERTS_CONFIG,
    remediation_steps="Keep ai-observability:signals.alerts.<alert>.enabled true for the required alerts.",
)


def _guarded(resource: PolicyResource) -> set[str]:
    """The alerts whose subject ``resource`` is (empty for anything else)."""
    guarded = {alert for alert, types in _SUBJECT_TYPES.items() if resource.resource_type in types}
    guarded |= {alert for alert, kinds in _SUBJECT_KINDS.items() if any(is_dynamic_kind(resource, k) for k in kinds)}
    return guarded


def check_exist(args: StackValidationArgs) -> Verdict:
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
    check_exist,
    config_schema=ALERTS_CONFIG,
    remediation_steps="Enable ai-observability:signals.",
)
