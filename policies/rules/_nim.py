"""Which Kubernetes workloads are NVIDIA NIM workloads, and a check over each of their containers.

A NIM workload is a Kubernetes workload whose pod template runs an image under one of
``imagePrefixes`` (default ``nvcr.io/nim/``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._kubernetes import containers, pod_template
from ._support import Finding, Verdict, judge, not_applicable, schema, settings, string_list, text

IMAGE_PREFIXES = string_list(["nvcr.io/nim/"], "Image prefixes that identify a NIM container.")
NIM_CONFIG = schema(imagePrefixes=IMAGE_PREFIXES)
NOT_NIM = "only Kubernetes workloads running a NIM image"


def nim_template(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod template of a NIM workload, or None when ``args`` is not one."""
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return None
    return template if nim_containers(template, config) else None


def nim_containers(template: Mapping[str, Any], config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The containers of ``template`` running a NIM image."""
    prefixes = tuple(str(p) for p in config["imagePrefixes"])
    return [c for c in containers(template) if (text(c, "image") or "").startswith(prefixes)]


ContainerFindings = Callable[[ResourceValidationArgs, Mapping[str, Any], Mapping[str, Any]], Iterable[Finding]]


def per_nim_container(container_findings: ContainerFindings) -> Callable[[ResourceValidationArgs], Verdict]:
    """A check that is not applicable unless ``args`` is a NIM workload (``NIM_CONFIG``), and
    otherwise judges ``container_findings(args, template, container)`` over every container of the
    pod template (sidecars and init containers included)."""

    @functools.wraps(container_findings)
    def check(args: ResourceValidationArgs) -> Verdict:
        template = nim_template(args, settings(args, NIM_CONFIG))
        if template is None:
            return not_applicable(NOT_NIM)
        return judge(finding for c in containers(template) for finding in container_findings(args, template, c))

    return check
