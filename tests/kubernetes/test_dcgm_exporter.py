"""The DCGM exporter DaemonSet: on the GPU nodes that need it, scraped by the node's collector."""

from __future__ import annotations

import csv
import io
from typing import Any

import kubernetes_validate
import pytest

from components.config import ConfigError, parse_stack_config
from components.config.kubernetes import NVIDIA_AMI_TYPES
from components.telemetry_metrics import DCGM_FIELDS, dcgm_counters_csv
from tests.conftest import stack_file
from tests.kubernetes.conftest import ENV, NS, Run, config_for, manifests, run_kubernetes

DAEMONSET = "kubernetes:apps/v1:DaemonSet"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DCGM_LABEL = "ai-observability/dcgm-exporter"


def _dcgm(run: Run) -> list[dict[str, Any]]:
    return [m for m in manifests(run) if m["metadata"]["name"].startswith("dcgm-exporter")]


def _daemonset(run: Run) -> dict[str, Any]:
    (found,) = [m for m in _dcgm(run) if m["kind"] == "DaemonSet"]
    return found


def _node_labels(run: Run) -> dict[str, dict[str, str]]:
    return {r.plain["nodeGroupName"]: r.plain["labels"] for r in run.of_type(NODE_GROUP) if r.plain.get("taints")}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_daemonset_runs_on_gpu_nodes_only_tolerating_the_taint_with_scrape_annotations(
    stack: str, dev_run: Run, prod_run: Run
) -> None:
    daemonset = _daemonset(dev_run if stack == "dev" else prod_run)
    template = daemonset["spec"]["template"]
    pod = template["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true", DCGM_LABEL: "true"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert template["metadata"]["annotations"] == {
        "metrics.dynatrace.com/scrape": "true",
        "metrics.dynatrace.com/port": "9400",
        "metrics.dynatrace.com/path": "/metrics",
    }
    (container,) = pod["containers"]
    assert container["image"].startswith("nvcr.io/nvidia/k8s/dcgm-exporter:")
    assert not container["image"].endswith(":latest")
    assert container["ports"] == [{"name": "metrics", "containerPort": 9400, "protocol": "TCP"}]
    resources = container["resources"]
    assert resources["requests"] == resources["limits"]
    assert "nvidia.com/gpu" not in resources["limits"]  # a GPU request would take the GPU from the NIMs
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] >= 10000  # checkov CKV_K8S_40: no overlap with host users
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["allowPrivilegeEscalation"] is False
    assert pod["automountServiceAccountToken"] is False


def test_every_node_group_of_both_ami_families_gets_the_exporter_label(prod_run: Run) -> None:
    labels = _node_labels(prod_run)
    amis = {r.plain["nodeGroupName"]: r.plain["amiType"] for r in prod_run.of_type(NODE_GROUP)}
    assert {ami.split("_")[0] for ami in amis.values()} == {"AL2023", "BOTTLEROCKET"}
    assert all(group[DCGM_LABEL] == "true" for group in labels.values()), labels


def test_a_node_group_whose_image_ships_dcgm_opts_out_and_keeps_one_exporter_per_node() -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw[f"{NS}:gpuNodeGroups"][0]["dcgmExporter"] = False

    run = run_kubernetes(config_for("prod", edit))
    labels = _node_labels(run)
    first = stack_file("prod")[f"{NS}:gpuNodeGroups"][0]["name"]
    assert DCGM_LABEL not in labels[first]
    assert all(group[DCGM_LABEL] == "true" for name, group in labels.items() if name != first)
    assert len([m for m in _dcgm(run) if m["kind"] == "DaemonSet"]) == 1


def test_no_daemonset_when_no_group_needs_it_or_when_switched_off() -> None:
    def every_group_opts_out(raw: dict[str, Any]) -> None:
        for group in raw[f"{NS}:gpuNodeGroups"]:
            group["dcgmExporter"] = False

    def switched_off(raw: dict[str, Any]) -> None:
        raw[f"{NS}:telemetry"] = {"dcgmExporter": {"enabled": False}}

    for edit in (every_group_opts_out, switched_off):
        run = run_kubernetes(config_for("dev", edit))
        assert _dcgm(run) == []
        assert run.outputs["dcgmExporter"] is False


def test_network_policy_admits_only_the_collector_on_the_metrics_port(dev_run: Run) -> None:
    (policy,) = [m for m in _dcgm(dev_run) if m["kind"] == "NetworkPolicy"]
    spec = policy["spec"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert "egress" not in spec
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"port": 9400, "protocol": "TCP"}]
    (peer,) = rule["from"]
    assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "dynatrace"}}
    assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "dynatrace-otel-collector"


def test_objects_validate_strictly_and_the_counters_file_is_mounted(dev_run: Run) -> None:
    objects = _dcgm(dev_run)
    assert {m["kind"] for m in objects} == {"ConfigMap", "DaemonSet", "NetworkPolicy"}
    for manifest in objects:
        kubernetes_validate.validate(manifest, "1.33.0", strict=True)
    (config_map,) = [m for m in objects if m["kind"] == "ConfigMap"]
    assert config_map["data"] == {"counters.csv": dcgm_counters_csv()}
    container = _daemonset(dev_run)["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    mount = next(m for m in container["volumeMounts"] if m["name"] == "counters")
    assert env["DCGM_EXPORTER_COLLECTORS"] == f"{mount['mountPath']}/counters.csv"
    # the series' hostname label names the node (what the GPU tiles split by)
    assert env["NODE_NAME"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}


def test_counters_file_lists_the_focused_metric_set_in_the_exporter_format() -> None:
    rows = [row for row in csv.reader(io.StringIO(dcgm_counters_csv())) if row and not row[0].startswith("#")]
    assert all(len(row) == 3 for row in rows), rows
    assert {row[1].strip() for row in rows} <= {"gauge", "counter"}
    names = [row[0].strip() for row in rows]
    assert names == [field.name for field in DCGM_FIELDS]
    assert {
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_FB_FREE",
        "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_XID_ERRORS",
    } <= set(names)
    assert not any(name.startswith("DCGM_FI_PROF_") for name in names)  # those need SYS_ADMIN


@pytest.mark.parametrize(
    ("edit", "path", "text"),
    [
        ({"dcgmExporter": {"image": "nvcr.io/nvidia/k8s/dcgm-exporter:latest"}}, "dcgmExporter.image", "latest"),
        ({"dcgmExporter": {"image": "dcgm-exporter"}}, "dcgmExporter.image", "neither a tag nor a digest"),
        ({"dcgmExporter": {"memory": "lots"}}, "dcgmExporter.memory", ""),
        ({"dcgmExporter": {"enabeld": False}}, "dcgmExporter.enabeld", ""),
    ],
)
def test_bad_telemetry_config_names_the_key(edit: dict[str, Any], path: str, text: str) -> None:
    raw = stack_file("dev")
    raw[f"{NS}:telemetry"] = edit
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, "dev")
    lines = [str(issue) for issue in caught.value.issues if issue.path == f"{NS}:telemetry.{path}"]
    assert lines, str(caught.value)
    assert all(text in line for line in lines), str(caught.value)


def test_node_group_switch_must_be_a_boolean() -> None:
    raw = stack_file("dev")
    raw[f"{NS}:gpuNodeGroups"][0]["dcgmExporter"] = "sometimes"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, "dev")
    assert any(issue.path == f"{NS}:gpuNodeGroups[0].dcgmExporter" for issue in caught.value.issues), str(caught.value)


def test_default_is_decided_by_ami_type() -> None:
    from components.config.kubernetes import ami_ships_dcgm_exporter

    # Neither supported NVIDIA AMI family runs a DCGM exporter of its own.
    assert [ami for ami in NVIDIA_AMI_TYPES if ami_ships_dcgm_exporter(ami)] == []
