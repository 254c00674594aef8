"""NIM containers run as a non-root user.

Applies to NIM workloads; judges every container of the pod (sidecars and init containers
included). Compliant when the effective ``runAsUser`` (the container's, else the pod's) is above
0 and ``runAsNonRoot`` is not false, or no user is set and ``runAsNonRoot`` is true.

Why: a model server exposed to prompts is an attack surface; root in the container widens a
breakout to the GPU node.

Fix: keep the NIM component's pod ``securityContext`` (``runAsUser``/``runAsGroup``/``fsGroup``
1000, ``runAsNonRoot: true``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._nim import NIM_CONFIG, per_nim_container
from ._support import Finding, ResourceRule, get, label, text, violation


def _effective(container: Mapping[str, Any], template: Mapping[str, Any], key: str) -> Any:
    own = get(container, "securityContext", key)
    return own if own is not None else get(template, "spec", "securityContext", key)


@per_nim_container
def check(args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]) -> Iterator[Finding]:
    """Every container of a NIM pod runs as a non-root user."""
    user = _effective(container, template, "runAsUser")
    non_root = _effective(container, template, "runAsNonRoot")
    numeric = isinstance(user, int | float) and not isinstance(user, bool)
    ok = (user is None and non_root is True) or (numeric and user > 0 and non_root is not False)
    if not ok:
        yield violation(
            f"{label(args)} container '{text(container, 'name')}' may run as root "
            f"(runAsUser={user}, runAsNonRoot={non_root})",
            "a model server exposed to prompts is an attack surface; root in the container widens a "
            "breakout to the GPU node",
            "keep the NIM component's pod securityContext (runAsUser/runAsGroup/fsGroup 1000, runAsNonRoot true)",
        )


nim_containers_run_as_non_root = ResourceRule(
    "nim-containers-run-as-non-root",
    "NIM containers run as a non-root user.",
    check,
    config_schema=NIM_CONFIG,
    remediation_steps="Set runAsNonRoot: true and runAsUser: 1000 on the NIM pod.",
)
