"""Metadata every Kubernetes object of the stack shares: the common labels and checkov skip annotations.

Pure constants and functions (no Pulumi), so the collector configuration can select pods by the
same labels the workloads carry. Labels follow the Kubernetes recommended ``app.kubernetes.io/*``
set; ``part-of`` marks everything this stack deploys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

NAME_LABEL: Final = "app.kubernetes.io/name"
COMPONENT_LABEL: Final = "app.kubernetes.io/component"
PART_OF_LABEL: Final = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
PART_OF: Final = "ai-observability"
NIM_COMPONENT: Final = "nim"

COMMON_LABELS: Final[Mapping[str, str]] = {PART_OF_LABEL: PART_OF, MANAGED_BY_LABEL: "pulumi"}

# Every NIM pod the stack deploys carries both labels (and no other pod of the stack does): the
# collector's NIM scrape job selects pods by them.
NIM_POD_LABELS: Final[Mapping[str, str]] = {COMPONENT_LABEL: NIM_COMPONENT, PART_OF_LABEL: PART_OF}


def k8s_labels(name: str, component: str) -> dict[str, str]:
    """The labels of one object: its name, its component and the labels common to the stack."""
    return {NAME_LABEL: name, COMPONENT_LABEL: component, **COMMON_LABELS}


def selector_labels(name: str) -> dict[str, str]:
    """The pod selector of a workload named ``name`` (labels that never change after creation)."""
    return {NAME_LABEL: name, PART_OF_LABEL: PART_OF}


def checkov_annotations(skips: Iterable[str]) -> dict[str, str]:
    """``checkov.io/skip<N>`` annotations (checkov reads ``CHECK_ID=reason`` from each) for accepted findings."""
    return {f"checkov.io/skip{index}": skip for index, skip in enumerate(skips, start=1)}
