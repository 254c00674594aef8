"""Every policy of the pack, in one list (used by __main__.py and by the offline plan)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from .rules.governance_bucket import governance_bucket_retains_bizevents

Policy = ResourceValidationPolicy | StackValidationPolicy


def all_policies() -> list[Policy]:
    return [
        governance_bucket_retains_bizevents,
    ]
