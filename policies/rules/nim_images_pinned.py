"""NIM workload images are pinned to a version tag or digest, never ``latest``.

Applies to NIM workloads; judges every container of the pod (sidecars and init containers
included). Compliant when each image is a reference of the distribution grammar with a tag
other than ``latest`` (in any letter case) or a digest: the very rule the stack config applies
to every image key (``_image_reference.py``).

Why: an unpinned image changes the model server (and its metric names) on any restart,
unreviewed.

Fix: pin a version in ``ai-observability:nims[].image`` (e.g.
``nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._image_reference import pin_problem
from ._nim import NIM_CONFIG, per_nim_container
from ._support import Finding, ResourceRule, label, text, violation


@per_nim_container
def check(args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]) -> Iterator[Finding]:
    """Every image of a NIM pod is pinned to a version tag or digest (never latest)."""
    image = text(container, "image") or ""
    problem = pin_problem(image)
    if problem is not None:
        yield violation(
            f"{label(args)} container '{text(container, 'name')}' uses unpinned image '{image}': it {problem}",
            "an unpinned image changes the model server (and its metrics names) on any restart, unreviewed",
            "pin a version in ai-observability:nims[].image (e.g. nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6)",
        )


nim_images_pinned = ResourceRule(
    "nim-images-pinned",
    "NIM workload images are pinned to a version tag or digest, never latest.",
    check,
    config_schema=NIM_CONFIG,
    remediation_steps="Pin ai-observability:nims[].image to a version tag.",
)
