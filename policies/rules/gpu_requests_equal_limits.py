"""Workloads asking for ``nvidia.com/gpu`` set a GPU limit, with requests equal to it.

Applies to every Kubernetes workload with a container that requests or limits
``nvidia.com/gpu`` (not only NIMs). Compliant when each such container sets a limit and its
request, if given, equals the limit.

Why: GPUs are extended resources that cannot be overcommitted: Kubernetes rejects requests that
differ from limits, and without a limit the pod gets no GPU.

Fix: set ``ai-observability:nims[].gpus``; the NIM component puts it in requests and limits.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._kubernetes import containers, pod_template
from ._support import ResourceRule, Verdict, get, judge, label, not_applicable, text, violation

GPU = "nvidia.com/gpu"


def check(args: ResourceValidationArgs) -> Verdict:
    """Containers asking for GPUs set a GPU limit, with requests (if given) equal to it."""
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return not_applicable("only Kubernetes workloads")
    asking = [
        c
        for c in containers(template)
        if get(c, "resources", "limits", GPU) is not None or get(c, "resources", "requests", GPU) is not None
    ]
    if not asking:
        return not_applicable("the workload asks for no GPUs")
    findings = []
    for container in asking:
        limit = get(container, "resources", "limits", GPU)
        request = get(container, "resources", "requests", GPU)
        if limit is None or (request is not None and str(request) != str(limit)):
            findings.append(
                violation(
                    f"{label(args)} container '{text(container, 'name')}' requests {request} and limits {limit} {GPU}",
                    "GPUs are extended resources that cannot be overcommitted: Kubernetes rejects requests "
                    "that differ from limits, and without a limit the pod gets no GPU",
                    "set ai-observability:nims[].gpus (the NIM component puts it in requests and limits)",
                )
            )
    return judge(findings)


gpu_requests_equal_limits = ResourceRule(
    "gpu-requests-equal-limits",
    "Workloads asking for nvidia.com/gpu set a limit and requests equal to it.",
    check,
    remediation_steps="Set nvidia.com/gpu to the same count in requests and limits.",
)
