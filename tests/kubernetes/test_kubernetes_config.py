"""Bad EKS / GPU node group / NIM configurations fail at plan time, naming the key path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from policies.rules._gpu_nodes import GPU_FAMILIES, GPU_INSTANCE_TYPES, gpu_instance
from tests.conftest import stack_file
from tests.kubernetes.conftest import ENV, NS

Edit = Callable[[dict[str, Any]], None]


def _group(index: int, **values: Any) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        raw[f"{NS}:gpuNodeGroups"][index].update(values)

    return edit


def _nim(index: int, **values: Any) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        raw[f"{NS}:nims"][index].update(values)

    return edit


def _eks(**values: Any) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        raw[f"{NS}:eks"].update(values)

    return edit


def _drop_node_group(raw: dict[str, Any]) -> None:
    raw[f"{NS}:nims"][0].pop("nodeGroup")
    raw[f"{NS}:nims"][0]["gpus"] = 8


def _no_groups(raw: dict[str, Any]) -> None:
    raw[f"{NS}:gpuNodeGroups"] = []
    raw[f"{NS}:nims"][0].pop("nodeGroup")


# (id, stack, edit, key path that must be reported, texts its message must contain)
CASES: list[tuple[str, str, Edit, str, tuple[str, ...]]] = [
    ("ami-al2", "dev", _group(0, amiType="AL2_x86_64_GPU"), "gpuNodeGroups[0].amiType", ("end of life", "AL2023")),
    (
        "ami-not-nvidia",
        "dev",
        _group(0, amiType="AL2023_x86_64_STANDARD"),
        "gpuNodeGroups[0].amiType",
        ("not an NVIDIA AMI", "BOTTLEROCKET_x86_64_NVIDIA"),
    ),
    (
        "ami-arm-on-x86",
        "dev",
        _group(0, amiType="AL2023_ARM_64_NVIDIA"),
        "gpuNodeGroups[0].amiType",
        ("arm64", "g5.2xlarge"),
    ),
    (
        "instance-not-gpu",
        "dev",
        _group(0, instanceTypes=["m5.large"]),
        "gpuNodeGroups[0].instanceTypes",
        ("'m5.large'", "g5, g6, g6e, p4d, p4de, p5"),
    ),
    (
        "instance-unknown-size",
        "dev",
        _group(0, instanceTypes=["g5.3xlarge"]),
        "gpuNodeGroups[0].instanceTypes",
        ("g5.3xlarge", "allowed families"),
    ),
    (
        "instance-duplicate",
        "dev",
        _group(0, instanceTypes=["g5.2xlarge", "g5.2xlarge"]),
        "gpuNodeGroups[0].instanceTypes",
        ("twice",),
    ),
    ("disk-default-size", "dev", _group(0, diskSizeGib=20), "gpuNodeGroups[0].diskSizeGib", ("100",)),
    ("capacity-type", "dev", _group(0, capacityType="SPOTTY"), "gpuNodeGroups[0].capacityType", ("ON_DEMAND",)),
    (
        "label-reserved",
        "dev",
        _group(0, labels={"nvidia.com/gpu.present": "false"}),
        "gpuNodeGroups[0].labels",
        ("set by the stack",),
    ),
    (
        "label-eks-prefix",
        "dev",
        _group(0, labels={"eks.amazonaws.com/nodegroup": "x"}),
        "gpuNodeGroups[0].labels",
        ("set by the stack",),
    ),
    (
        "gpus-exceed-instance",
        "dev",
        _nim(0, gpus=4),
        "nims[0].gpus",
        (f"{NS}:gpuNodeGroups[0].instanceTypes", "4 GPU(s) per pod", "g5.2xlarge has 1 GPU"),
    ),
    (
        "gpus-exceed-one-of-mixed",
        "prod",
        _group(1, instanceTypes=["g6e.12xlarge", "g6e.4xlarge"]),
        "nims[1].gpus",
        (f"{NS}:gpuNodeGroups[1].instanceTypes", "g6e.4xlarge has 1 GPU", "every instance type"),
    ),
    (
        "gpu-memory-short",
        "prod",
        _nim(1, minGpuMemoryGib=200),
        "nims[1].minGpuMemoryGib",
        ("192 GiB", f"{NS}:gpuNodeGroups[1].instanceTypes"),
    ),
    ("cpu-exceeds-node", "dev", _nim(0, cpuRequest="8"), "nims[0].cpuRequest", ("g5.2xlarge has 8 vCPUs",)),
    ("memory-exceeds-node", "dev", _nim(0, memoryLimit="30Gi"), "nims[0].memoryLimit", ("g5.2xlarge has 32 GiB",)),
    ("shm-exceeds-memory", "dev", _nim(0, shmSize="32Gi"), "nims[0].memoryLimit", ("shmSize",)),
    ("replicas-rwo", "dev", _nim(0, replicas=2), "nims[0].replicas", ("ReadWriteMany",)),
    (
        "replicas-exceed-desired-size",
        "dev",
        _nim(0, replicas=3, cacheAccessMode="ReadWriteMany", storageClass="efs-sc"),
        "gpuNodeGroups[0].scaling.desiredSize",
        ("nims[0]", "at least 3", "no autoscaler"),
    ),
    ("unpinned-fits-nothing", "dev", _drop_node_group, "nims[0]", ("fits no instance type", "gpuNodeGroups[0]")),
    ("no-node-groups", "dev", _no_groups, "nims[0]", ("gpuNodeGroups is empty",)),
    ("namespace-reserved", "dev", _nim(0, namespace="kube-system"), "nims[0].namespace", ("reserved",)),
    ("namespace-of-collector", "dev", _nim(0, namespace="dynatrace"), "nims[0].namespace", ("collector",)),
    (
        "image-latest",
        "dev",
        _nim(0, image="nvcr.io/nim/meta/llama-3.1-8b-instruct:latest"),
        "nims[0].image",
        ("latest",),
    ),
    (
        "image-untagged",
        "dev",
        _nim(0, image="nvcr.io/nim/meta/llama-3.1-8b-instruct"),
        "nims[0].image",
        ("neither a tag nor a digest",),
    ),
    (
        "existing-cluster-admins",
        "dev",
        _eks(adminRoleArns=["arn:aws:iam::111122223333:role/Admin"]),
        "eks.adminRoleArns",
        ("create: true",),
    ),
    (
        "created-cluster-context",
        "prod",
        _eks(kubeconfigContext="genai-prod"),
        "eks.kubeconfigContext",
        ("existing cluster",),
    ),
]


@pytest.mark.parametrize(
    ("stack", "edit", "expected_path", "texts"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_bad_kubernetes_config_names_the_key(
    stack: str, edit: Edit, expected_path: str, texts: tuple[str, ...]
) -> None:
    raw = stack_file(stack)
    parse_stack_config(raw, ENV, stack)  # the committed file is valid
    edit(raw)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, stack)
    full = f"{NS}:{expected_path}"
    lines = [str(issue) for issue in caught.value.issues if issue.path == full]
    assert lines, f"no problem reported at {full}:\n{caught.value}"
    assert any(all(text in line for text in texts) for line in lines), str(caught.value)


def test_at_least_ten_bad_node_group_and_nim_cases() -> None:
    assert sum(1 for case in CASES if case[3].startswith(("gpuNodeGroups", "nims"))) >= 10


def test_committed_stacks_fit_their_node_groups() -> None:
    for stack in ("dev", "prod"):
        config = parse_stack_config(stack_file(stack), ENV, stack)
        groups = {g.name: g for g in config.gpu_node_groups}
        for nim in config.nims:
            assert nim.node_group is not None
            for instance_type in groups[nim.node_group].instance_types:
                instance = gpu_instance(instance_type)
                assert instance is not None
                assert instance.gpus >= nim.gpus


def test_fitting_group_for_an_unpinned_nim_is_accepted() -> None:
    raw = stack_file("prod")
    raw[f"{NS}:nims"][1].pop("nodeGroup")  # 4 GPUs: fits only gpu-l40s-x4 (g6e.12xlarge), enough
    config = parse_stack_config(raw, ENV, "prod")
    assert config.nims[1].node_group is None


def test_gpu_table_matches_the_facts_sheet() -> None:
    assert GPU_FAMILIES == ("g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en")
    expectations = {
        "g5.xlarge": (1, 24), "g5.16xlarge": (1, 24), "g5.12xlarge": (4, 24), "g5.48xlarge": (8, 24),
        "g6.2xlarge": (1, 24), "g6.24xlarge": (4, 24), "g6.48xlarge": (8, 24),
        "g6e.xlarge": (1, 48), "g6e.12xlarge": (4, 48), "g6e.48xlarge": (8, 48),
        "p4d.24xlarge": (8, 40), "p4de.24xlarge": (8, 80), "p5.48xlarge": (8, 80),
        "p5e.48xlarge": (8, 141), "p5en.48xlarge": (8, 141),
    }  # fmt: skip
    for name, (gpus, memory) in expectations.items():
        instance = GPU_INSTANCE_TYPES[name]
        assert (instance.gpus, instance.gpu_memory_gib) == (gpus, memory), name
    # 70B in BF16 needs ~131 GB: 4x L40S or 8x A100/H100 hold it, 4x A10G does not.
    assert GPU_INSTANCE_TYPES["g6e.12xlarge"].total_gpu_memory_gib >= 131
    assert GPU_INSTANCE_TYPES["g5.12xlarge"].total_gpu_memory_gib < 131


def test_a_nim_that_fits_no_node_is_reported_once_not_as_a_capacity_problem_too() -> None:
    raw = stack_file("dev")
    _nim(0, gpus=4)(raw)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, "dev")
    assert [issue.path for issue in caught.value.issues] == [f"{NS}:nims[0].gpus"]
