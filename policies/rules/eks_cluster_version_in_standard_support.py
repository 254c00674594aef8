"""EKS clusters run a Kubernetes version in standard support.

Applies to EKS clusters (``aws:eks/cluster:Cluster``) whose ``version`` is known and in the dated
EKS table (``_eks_versions.py``; the stack config refuses any other version). Compliant while the
version is before its end of standard support on AWS's EKS Kubernetes release calendar (UTC).

Why: past the end of standard support a cluster runs on extended support, which costs more per
cluster hour, and at its end AWS upgrades the control plane itself; the date is known months
ahead, so the pull request that keeps an old version is the place to decide.

Fix: set ``ai-observability:eks.version`` to a version in standard support and upgrade the node
groups after the control plane; or make the rule advisory in the stack's policy configuration to
accept extended support knowingly.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from . import _eks_versions
from ._support import ResourceRule, Verdict, compliant, is_unknown, judge, label, not_applicable, text, violation

EKS_CLUSTER = "aws:eks/cluster:Cluster"


def check(args: ResourceValidationArgs) -> Verdict:
    """An EKS cluster's Kubernetes version is in standard support today."""
    if args.resource_type != EKS_CLUSTER:
        return not_applicable("not an EKS cluster")
    if is_unknown(args.props, "version"):
        return not_applicable("the cluster version is not known until apply")
    version = text(args.props, "version")
    row = _eks_versions.eks_version(version) if version is not None else None
    if row is None:
        return not_applicable(f"version {version!r} is not in the dated EKS table")
    on = _eks_versions.today()
    if row.status(on) == "standard":
        return compliant()
    return judge(
        [
            violation(
                f"EKS cluster {label(args)} runs Kubernetes {row.version}, past its end of standard support "
                f"({row.end_of_standard_support.isoformat()}); extended support ends "
                f"{row.end_of_extended_support.isoformat()}",
                "extended support costs more per cluster hour and ends in an upgrade AWS performs itself",
                f"in ai-observability:eks.version, {_eks_versions.upgrade_hint(on)}, then upgrade the node groups",
            )
        ]
    )


eks_cluster_version_in_standard_support = ResourceRule(
    "eks-cluster-version-in-standard-support",
    "EKS clusters run a Kubernetes version in standard support.",
    check,
    remediation_steps="Set ai-observability:eks.version to a version in standard support.",
)
