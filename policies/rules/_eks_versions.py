"""Kubernetes versions Amazon EKS offers, with their support dates: one dated table for config and pack.

Source: AWS, "Understand the Kubernetes version lifecycle on EKS", section "Amazon EKS Kubernetes
release calendar" (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html; rows
up to 1.33 as in awsdocs/amazon-eks-user-guide ``latest/ug/versioning/kubernetes-versions.adoc``,
commit 8596db8). The 1.34 and 1.35 rows are the calendar's later rows as republished by AWS's
aws-samples "EKS Version Support Calendar" (checked 2026-04) and endoflife.date; the 1.36 row is its
Amazon EKS release date as publicly reported (2026-06-02) with the page's rule applied: standard
support for 14 months after the EKS release, extended support for 12 more. Re-check the last rows
against AWS's page when it is reachable. Dates are UTC, as the calendar's. Add a row when AWS
releases a version, and update ``CHECKED``.

What the stack does with it:

- a version not in the table, or past its end of extended support, is refused by the config
  (``eks.version``): "On the end of extended support date, you can no longer create new Amazon EKS
  clusters with the unsupported version", and existing control planes are upgraded by AWS;
- a version past its end of standard support is reported by the ``eks-cluster-version-in-standard-support``
  policy (extended support costs more per cluster hour and ends in a forced upgrade); the
  stack's policy configuration decides whether that blocks (mandatory) or warns (advisory).

Kept free of third-party imports: the pack runs it under the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

CHECKED: date = date(2026, 12, 4)
"""When the table was last compared with AWS's calendar."""


@dataclass(frozen=True)
class EksVersion:
    version: str
    eks_release: date
    end_of_standard_support: date
    end_of_extended_support: date

    def status(self, on: date) -> str:
        """``standard``, ``extended`` or ``ended`` on the day ``on`` (support ends at the start of the date)."""
        if on < self.end_of_standard_support:
            return "standard"
        if on < self.end_of_extended_support:
            return "extended"
        return "ended"


EKS_VERSIONS: tuple[EksVersion, ...] = (
    EksVersion("1.28", date(2023, 9, 26), date(2024, 11, 26), date(2025, 11, 26)),
    EksVersion("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23)),
    EksVersion("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23)),
    EksVersion("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26)),
    EksVersion("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23)),
    EksVersion("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29)),
    EksVersion("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2)),
    EksVersion("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27)),
    EksVersion("1.36", date(2026, 6, 2), date(2027, 8, 2), date(2028, 8, 2)),
)
_BY_VERSION = {row.version: row for row in EKS_VERSIONS}


def today() -> date:
    """The current UTC date (the calendar's time zone); tests replace it."""
    return datetime.now(UTC).date()


def eks_version(version: str) -> EksVersion | None:
    return _BY_VERSION.get(version)


def newest_in_standard_support(on: date) -> EksVersion | None:
    current = [row for row in EKS_VERSIONS if row.eks_release <= on and row.status(on) == "standard"]
    return max(current, key=lambda row: row.end_of_standard_support, default=None)


def upgrade_hint(on: date) -> str:
    newest = newest_in_standard_support(on)
    if newest is None:
        return "choose a version in standard support (AWS's EKS Kubernetes release calendar)"
    return f"upgrade to {newest.version} (standard support until {newest.end_of_standard_support.isoformat()})"
