"""EKS GPU node groups use instance types from the allowed list.

Applies to GPU node groups. Compliant when every instance type (``t3.medium``, the EKS default,
when none is set) matches a glob of ``allowedInstanceTypes``.

Why: approved GPU types are the ones sized, budgeted and quota-checked for model serving.

Fix: pick an allowed type in ``ai-observability:gpuNodeGroups[].instanceTypes``, or extend
``allowedInstanceTypes`` for this rule in ``policies/config/<stack>.json``.
"""

from __future__ import annotations

import fnmatch

from pulumi_policy import ResourceValidationArgs

from ._gpu import instance_types, unless_gpu_node_group
from ._gpu_nodes import GPU_FAMILIES
from ._support import ResourceRule, Verdict, judge, label, schema, settings, string_list, violation

DEFAULT_INSTANCE_TYPES = [f"{family}.*" for family in GPU_FAMILIES]
TYPES_CONFIG = schema(
    allowedInstanceTypes=string_list(
        DEFAULT_INSTANCE_TYPES, "Instance types (glob patterns such as g6.*) GPU node groups may use."
    )
)


def check(args: ResourceValidationArgs) -> Verdict:
    """Every instance type of a GPU node group is on the allowed list."""
    if (skip := unless_gpu_node_group(args)) is not None:
        return skip
    allowed = [str(p) for p in settings(args, TYPES_CONFIG)["allowedInstanceTypes"]]
    types = instance_types(args.props) or ["t3.medium (EKS default)"]
    rejected = [t for t in types if not any(fnmatch.fnmatchcase(t, p) for p in allowed)]
    return judge(
        violation(
            f"GPU node group {label(args)} uses instance type {t}, not in the allowed list ({', '.join(allowed)})",
            "approved GPU types are the ones sized, budgeted and quota-checked for model serving",
            "pick an allowed type in ai-observability:gpuNodeGroups[].instanceTypes, or extend "
            "gpu-node-groups-use-allowed-instance-types.allowedInstanceTypes in the policy pack config",
        )
        for t in rejected
    )


gpu_node_groups_use_allowed_instance_types = ResourceRule(
    "gpu-node-groups-use-allowed-instance-types",
    "EKS GPU node groups use instance types from the allowed list.",
    check,
    config_schema=TYPES_CONFIG,
    remediation_steps="Use an allowed GPU instance type.",
)
