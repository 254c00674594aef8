"""CloudTrail trails of the stack are multi-region and validate their log files.

Applies to ``aws:cloudtrail/trail:Trail`` resources. Compliant when ``isMultiRegionTrail`` and
``enableLogFileValidation`` are both true.

Why: Bedrock calls in other regions would otherwise go unrecorded and never reach the governance
pipeline, and without digest files nobody can prove the audit logs were not altered or deleted.

Fix: keep the trail the event-forwarding component creates
(``ai-observability:eventForwarding.trail.create``), which sets both.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._cloudtrail import FIX_TRAIL, TRAIL
from ._support import ResourceRule, Verdict, get, judge, label, not_applicable, violation


def check(args: ResourceValidationArgs) -> Verdict:
    """The trail is multi-region and validates its log files."""
    if args.resource_type != TRAIL:
        return not_applicable("only CloudTrail trails")
    findings = []
    if get(args.props, "isMultiRegionTrail") is not True:
        findings.append(
            violation(
                f"trail {label(args)} is not multi-region",
                "Bedrock calls in other regions would go unrecorded and never reach the governance pipeline",
                f"set isMultiRegionTrail=true; {FIX_TRAIL}",
            )
        )
    if get(args.props, "enableLogFileValidation") is not True:
        findings.append(
            violation(
                f"trail {label(args)} does not validate log files",
                "without digest files nobody can prove the audit logs were not altered or deleted",
                f"set enableLogFileValidation=true; {FIX_TRAIL}",
            )
        )
    return judge(findings)


cloudtrail_multi_region_validated = ResourceRule(
    "cloudtrail-multi-region-validated",
    "CloudTrail trails of the stack are multi-region with log file validation.",
    check,
    remediation_steps="Set isMultiRegionTrail and enableLogFileValidation on the trail.",
)
