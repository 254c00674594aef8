"""GovernanceBucketRetainsBizevents: the Grail bucket stores bizevents and keeps them long enough."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from ._support import is_dynamic_kind

DEFAULT_MIN_RETENTION_DAYS = 184


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if not is_dynamic_kind(args, "GrailBucket"):
        return  # not applicable: only Grail buckets of this stack
    props = args.props
    minimum = int(args.get_config().get("minRetentionDays", DEFAULT_MIN_RETENTION_DAYS))
    table = props.get("table")
    retention = props.get("retentionDays")
    if table != "bizevents":
        report_violation(
            f"Grail bucket '{props.get('bucketName')}' stores table '{table}', not 'bizevents'. "
            "Why: GenAI audit events are business events and only reach a bizevents bucket. "
            "Fix: set ai-observability:governance.bucket.table to 'bizevents'.",
            None,
        )
    if not isinstance(retention, int | float) or retention < minimum:
        report_violation(
            f"Grail bucket '{props.get('bucketName')}' keeps data {retention} days; at least {minimum} required. "
            "Why: audit trails of AI systems must outlive reviews (EU AI Act: at least six months). "
            "Fix: raise ai-observability:governance.bucket.retentionDays (the seed uses 1825).",
            None,
        )


governance_bucket_retains_bizevents = ResourceValidationPolicy(
    name="governance-bucket-retains-bizevents",
    description="The governance Grail bucket stores bizevents and keeps them at least the configured days.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={"minRetentionDays": {"type": "integer", "default": DEFAULT_MIN_RETENTION_DAYS, "minimum": 1}}
    ),
)
