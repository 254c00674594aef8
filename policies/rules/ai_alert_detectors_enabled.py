"""Anomaly detectors for the required AI alerts are enabled.

Applies to ``SettingsObject`` dynamic resources of schema ``builtin:davis.anomaly-detectors``
that implement a required alert (``requiredAlerts``, default ``guardrailActivations`` and
``forwarding``). Compliant unless the detector's ``enabled`` is false.

Why: guardrail interventions and a stalled governance forwarding must page someone; a disabled
detector silences them.

Fix: remove ``ai-observability:signals.alerts.<alert>.enabled: false`` for the required alerts,
or narrow ``requiredAlerts`` in ``policies/config/<stack>.json``.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._alerts import ALERTS_CONFIG, alert_of
from ._support import ResourceRule, Verdict, get, is_dynamic_kind, judge, label, not_applicable, settings, violation


def check(args: ResourceValidationArgs) -> Verdict:
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
    check,
    config_schema=ALERTS_CONFIG,
    remediation_steps="Keep ai-observability:signals.alerts.<alert>.enabled true for the required alerts.",
)
