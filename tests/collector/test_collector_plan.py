"""The offline plan of a committed stack writes the collector configuration and valid manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.config import parse_stack_config
from components.kubernetes.collector_config import render_collector_config
from tests.collector.harness import CANARY_TOKEN
from tests.conftest import FAKE_ENV, stack_file
from tools.plan import PlanResult, evaluate_stack, write_artefacts

ENV = {**FAKE_ENV, "DT_INGEST_TOKEN": CANARY_TOKEN}
COLLECTOR_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Secret", "ConfigMap"}


def floats(value: Any, path: str = "") -> list[str]:
    """Paths of float values (none of the collector's fields is fractional)."""
    if isinstance(value, float):
        return [f"{path}={value}"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in floats(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in floats(v, f"{path}[{i}]")]
    return []


@pytest.fixture(scope="module")
def dev_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlanResult, Path]:
    raw = stack_file("dev")
    raw["ai-observability:governance"]["ingestToken"]["create"] = False  # the token comes from config
    result = evaluate_stack("dev", raw_config=raw, env=ENV)
    out = tmp_path_factory.mktemp("plan") / "dev"
    write_artefacts(result, [], out)
    return result, out


def test_plan_writes_the_collector_configuration(dev_plan: tuple[PlanResult, Path]) -> None:
    _, out = dev_plan
    written = (out / "collector" / "config.yaml").read_text()
    config = parse_stack_config(stack_file("dev"), ENV)
    assert written == render_collector_config(config.collector, config.kong)
    assert CANARY_TOKEN not in written


def test_plan_manifests_of_the_collector_are_valid(dev_plan: tuple[PlanResult, Path]) -> None:
    _, out = dev_plan
    manifests = [yaml.safe_load(path.read_text()) for path in sorted((out / "manifests").glob("*.yaml"))]
    ours = [
        m for m in manifests if m["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "ai-observability"
    ]
    kinds = {m["kind"] for m in ours}
    assert kinds >= COLLECTOR_KINDS | {"DaemonSet", "Service", "NetworkPolicy"}
    for manifest in ours:
        # kubernetes_validate accepts 4317.0 for an integer; the API server (int32 fields) does not.
        assert not floats(manifest), f"{manifest['kind']}: {floats(manifest)}"
        if manifest["kind"] == "Secret":
            continue  # stringData is "[secret]" in the plan; validated unredacted in the component tests
        kubernetes_validate.validate(manifest, "1.33.0", strict=True)


def test_plan_exports_the_app_settings(dev_plan: tuple[PlanResult, Path]) -> None:
    result, _ = dev_plan
    settings = result.outputs["otelInstrumentation"]
    assert settings["configMap"] == "otel-instrumentation"
    assert settings["namespaces"] == ["genai-apps"]
    assert settings["env"]["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] == "DELTA"
    assert result.outputs["collectorNamespace"] == "dynatrace"
