"""The governance Grail bucket stores bizevents and keeps them at least ``minRetentionDays``.

Applies to ``GrailBucket`` dynamic resources. Compliant when the bucket's table is ``bizevents``
and its ``retention_days`` is at least ``minRetentionDays`` (default 184, about six months; at
most 3657, Grail's longest retention).

Why: GenAI audit events are business events and only land in a bizevents bucket; audit trails
of AI systems must outlive reviews (EU AI Act Art. 19/26: at least six months).

Fix: set ``ai-observability:governance.bucket.table`` to ``bizevents`` and
``ai-observability:governance.bucket.retentionDays`` to the minimum or more (the default is
1825), or lower ``minRetentionDays`` in ``policies/config/<stack>.json``.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._support import (
    ResourceRule,
    Verdict,
    get,
    is_dynamic_kind,
    judge,
    not_applicable,
    schema,
    settings,
    text,
    violation,
)

DEFAULT_MIN_RETENTION_DAYS = 184
CONFIG = schema(
    minRetentionDays={
        "type": "integer",
        "minimum": 1,
        # Grail's longest bucket retention (10 years + 1 week, the config's maximum): a higher minimum
        # could never be met.
        "maximum": 3657,
        "default": DEFAULT_MIN_RETENTION_DAYS,
        "description": "Fewest days the governance bucket must keep events (184 ≈ six months).",
    }
)


def check(args: ResourceValidationArgs) -> Verdict:
    """The Grail bucket stores table bizevents with retention >= minRetentionDays."""
    if not is_dynamic_kind(args, "GrailBucket"):
        return not_applicable("only Dynatrace Grail buckets")
    props = args.props
    minimum = int(settings(args, CONFIG)["minRetentionDays"])
    name = text(props, "bucket_name") or args.name
    table = get(props, "table")
    retention = get(props, "retention_days")
    findings = []
    if table != "bizevents":
        findings.append(
            violation(
                f"Grail bucket '{name}' stores table '{table}', not 'bizevents'",
                "GenAI audit events are business events and only land in a bizevents bucket",
                "set ai-observability:governance.bucket.table to 'bizevents'",
            )
        )
    if isinstance(retention, bool) or not isinstance(retention, int | float) or retention < minimum:
        findings.append(
            violation(
                f"Grail bucket '{name}' keeps data {retention} days; at least {minimum} required",
                "audit trails of AI systems must outlive reviews (EU AI Act Art. 19/26: at least six months)",
                "raise ai-observability:governance.bucket.retentionDays (the default is 1825) "
                "or lower governance-bucket-retains-bizevents.minRetentionDays in the policy pack config",
            )
        )
    return judge(findings)


governance_bucket_retains_bizevents = ResourceRule(
    "governance-bucket-retains-bizevents",
    "The governance Grail bucket stores bizevents and keeps them at least minRetentionDays.",
    check,
    config_schema=CONFIG,
    remediation_steps="Set ai-observability:governance.bucket.table=bizevents and retentionDays >= the minimum.",
)
