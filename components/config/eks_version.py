"""``eks.version``: a Kubernetes version from the dated EKS table, still inside its support window."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from policies.rules import _eks_versions

from ._base import Allowed
from .text import non_ascii


def _supported(value: str) -> str:
    row = _eks_versions.eks_version(value)
    on = _eks_versions.today()
    if row is None and (where := non_ascii(value)) is not None:
        raise ValueError(f"{where}: a Kubernetes version is ASCII digits and '.', such as 1.35")
    if row is None:
        known = ", ".join(r.version for r in _eks_versions.EKS_VERSIONS)
        raise ValueError(
            f"is not a Kubernetes version of the EKS release calendar this stack knows ({known}; table checked "
            f"{_eks_versions.CHECKED.isoformat()}); {_eks_versions.upgrade_hint(on)}"
        )
    if row.status(on) == "ended":
        raise ValueError(
            f"Kubernetes {value} reached the end of extended support on Amazon EKS on "
            f"{row.end_of_extended_support.isoformat()}: EKS creates no new cluster on it and upgrades existing "
            f"control planes; {_eks_versions.upgrade_hint(on)}"
        )
    return value


EksVersionText = Annotated[
    str,
    AfterValidator(_supported),
    Allowed("a version of the dated EKS release calendar not past its end of extended support"),
]
