"""NIM containers set ``allowPrivilegeEscalation: false`` and are not privileged.

Applies to NIM workloads; judges every container of the pod (sidecars and init containers
included).

Why: setuid binaries could gain root on a node that holds GPUs and model weights.

Fix: keep ``allowPrivilegeEscalation: false`` (and capabilities drop ``ALL``) in the NIM
component's container ``securityContext``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._nim import NIM_CONFIG, per_nim_container
from ._support import Finding, ResourceRule, get, label, text, violation


@per_nim_container
def check(args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]) -> Iterator[Finding]:
    """Every container of a NIM pod disallows privilege escalation and is not privileged."""
    escalation = get(container, "securityContext", "allowPrivilegeEscalation")
    privileged = get(container, "securityContext", "privileged")
    if escalation is not False or privileged is True:
        yield violation(
            f"{label(args)} container '{text(container, 'name')}' allows privilege escalation "
            f"(allowPrivilegeEscalation={escalation}, privileged={privileged})",
            "setuid binaries could gain root on a node that holds GPUs and model weights",
            "keep allowPrivilegeEscalation: false (and capabilities drop ALL) in the NIM component's "
            "container securityContext",
        )


nim_containers_disallow_privilege_escalation = ResourceRule(
    "nim-containers-disallow-privilege-escalation",
    "NIM containers set allowPrivilegeEscalation: false and are not privileged.",
    check,
    config_schema=NIM_CONFIG,
    remediation_steps="Set allowPrivilegeEscalation: false on every NIM container.",
)
