"""The Kubernetes side through the offline plan (``tools.plan.evaluate_stack``): the real program."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from tests.kubernetes.conftest import ENV
from tools.plan import PlanResult, evaluate_stack, kubernetes_manifest

OURS = {"nim", "device-plugin", "namespace", "storage"}  # app.kubernetes.io/component of this area


@pytest.fixture(scope="module")
def plans() -> dict[str, PlanResult]:
    return {stack: evaluate_stack(stack, env=ENV) for stack in ("dev", "prod")}


def _our_manifests(plan: PlanResult) -> list[dict[str, Any]]:
    found = []
    for resource in plan.resources:
        manifest = kubernetes_manifest(resource)
        if manifest and manifest["metadata"].get("labels", {}).get("app.kubernetes.io/component") in OURS:
            found.append(manifest)
    return found


def _count(plan: PlanResult, type_: str) -> int:
    return len(plan.of_type(type_))


def test_plan_registers_node_groups_plugin_and_nims(plans: dict[str, PlanResult]) -> None:
    dev, prod = plans["dev"], plans["prod"]
    assert _count(dev, "ai-observability:eks:GpuNodeGroup") == 1
    assert _count(prod, "ai-observability:eks:GpuNodeGroup") == 2
    assert _count(dev, "aws:eks/cluster:Cluster") == 0
    assert _count(prod, "ai-observability:eks:EksCluster") == 1
    for plan in (dev, prod):
        assert _count(plan, "ai-observability:k8s:NvidiaDevicePlugin") == 1  # both have an AL2023 group
    assert _count(dev, "ai-observability:k8s:NimService") == 1
    assert _count(prod, "ai-observability:k8s:NimService") == 2
    assert prod.outputs["nimEndpoints"]["nim/llama-3-1-70b"] == "http://llama-3-1-70b.nim.svc.cluster.local:8000/v1"
    assert dev.outputs["eksClusterName"] == "genai-dev"
    assert prod.outputs["gpuNodeGroupNames"] == ["gpu-l4", "gpu-l40s-x4"]


def test_every_kubernetes_resource_of_the_stack_uses_one_provider(plans: dict[str, PlanResult]) -> None:
    for plan in plans.values():
        providers = plan.of_type("pulumi:providers:kubernetes")
        assert len(providers) == 1
        assert providers[0].redacted_inputs["kubeconfig"] == "[secret]"


def test_plan_manifests_of_this_area_validate_strictly(plans: dict[str, PlanResult]) -> None:
    for plan in plans.values():
        manifests = [m for m in _our_manifests(plan) if m["kind"] != "Secret"]
        assert {"Deployment", "Service", "PersistentVolumeClaim", "NetworkPolicy", "DaemonSet"} <= {
            m["kind"] for m in manifests
        }
        for manifest in manifests:
            kubernetes_validate.validate(manifest, "1.33.0", strict=True)


def test_plan_secret_manifests_keep_their_keys(plans: dict[str, PlanResult]) -> None:
    secrets = [m for m in _our_manifests(plans["prod"]) if m["kind"] == "Secret"]
    assert len(secrets) == 4
    for manifest in secrets:
        kubernetes_validate.validate(manifest, "1.33.0", strict=True)
        values = {**manifest.get("data", {}), **manifest.get("stringData", {})}
        assert values
        assert set(values.values()) == {"[secret]"}
