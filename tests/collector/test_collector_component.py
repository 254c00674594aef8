"""``CollectorDaemonSet`` under Pulumi mocks: the Kubernetes objects it registers."""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.config import CollectorConfig, KongConfig
from components.kubernetes.collector_config import content_hash
from tests.collector.harness import CANARY_TOKEN, OTLP_ENDPOINT, Run, redact, run_collector

K8S_VERSION = "1.33.0"


def container(run: Run) -> dict[str, Any]:
    containers = run.one("DaemonSet")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]  # type: ignore[no-any-return]


def pod_spec(run: Run) -> dict[str, Any]:
    return run.one("DaemonSet")["spec"]["template"]["spec"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("collector", "kong"),
    [
        (CollectorConfig(app_namespaces=["genai-apps", "support-bot"]), KongConfig(enabled=True)),
        (CollectorConfig(otlp_exposure="hostPort", create_namespace=False), KongConfig(enabled=False)),
        (CollectorConfig(image_version="0.40.0"), KongConfig(enabled=True, discovery="annotations")),
    ],
)
def test_every_object_is_valid_for_kubernetes_1_33(collector: CollectorConfig, kong: KongConfig) -> None:
    objects = run_collector(collector, kong).k8s_objects
    assert len(objects) >= 7  # SA, ClusterRole + binding, Secret, ConfigMap, DaemonSet, NetworkPolicy
    for manifest in objects:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def test_invalid_object_would_be_caught(default_run: Run) -> None:
    manifest = default_run.one("DaemonSet")
    manifest["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsUserr"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def test_ingest_token_lives_only_in_the_secret(default_run: Run) -> None:
    # Unwrapped, the canary is found (so the search works) - and only in the Secret.
    holders = [r.name for r in default_run.resources if CANARY_TOKEN in json.dumps(r.manifest)]
    assert holders == ["collector-secret"]
    secret = next(r for r in default_run.resources if r.name == "collector-secret")
    assert redact(secret.inputs)["stringData"] == "[secret]"  # secret on the wire, whole map
    for resource in default_run.resources:
        assert CANARY_TOKEN not in json.dumps(redact(resource.inputs)), resource.name
    assert CANARY_TOKEN not in default_run.config_yaml
    assert CANARY_TOKEN not in json.dumps(default_run.outputs)
    assert default_run.one("Secret")["stringData"] == {"DT_ENDPOINT": OTLP_ENDPOINT, "DT_API_TOKEN": CANARY_TOKEN}


def test_every_env_reference_of_the_config_is_provided_by_the_container(default_run: Run) -> None:
    referenced = set(re.findall(r"\$\{env:([A-Za-z0-9_]+)\}", default_run.config_yaml))
    env = {item["name"]: item["valueFrom"] for item in container(default_run)["env"]}
    assert referenced <= set(env), referenced - set(env)
    secret_name = default_run.one("Secret")["metadata"]["name"]
    assert env["DT_ENDPOINT"] == {"secretKeyRef": {"name": secret_name, "key": "DT_ENDPOINT"}}
    assert env["DT_API_TOKEN"] == {"secretKeyRef": {"name": secret_name, "key": "DT_API_TOKEN"}}
    assert env["K8S_NODE_NAME"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    assert env["MY_POD_IP"] == {"fieldRef": {"fieldPath": "status.podIP"}}


def test_config_map_holds_the_configuration_the_container_reads(default_run: Run) -> None:
    config_map = default_run.one("ConfigMap", "-config")
    assert config_map["metadata"]["labels"]["ai-observability/role"] == "collector-config"
    assert set(config_map["data"]) == {"config.yaml"}
    assert yaml.safe_load(config_map["data"]["config.yaml"])["service"]["pipelines"]
    assert container(default_run)["args"] == ["--config=/etc/otelcol/config.yaml"]
    mount = container(default_run)["volumeMounts"][0]
    volume = pod_spec(default_run)["volumes"][0]
    assert (mount["name"], mount["mountPath"], mount["readOnly"]) == (volume["name"], "/etc/otelcol", True)
    assert volume["configMap"] == {
        "name": config_map["metadata"]["name"],
        "items": [{"key": "config.yaml", "path": "config.yaml"}],
    }
    assert default_run.outputs["config_yaml"] == config_map["data"]["config.yaml"]


def test_pods_roll_when_the_configuration_or_the_token_changes(default_run: Run) -> None:
    def annotations(run: Run) -> dict[str, str]:
        return run.one("DaemonSet")["spec"]["template"]["metadata"]["annotations"]  # type: ignore[no-any-return]

    base = annotations(default_run)
    assert base["ai-observability/config-hash"] == content_hash(default_run.config_yaml)
    other_config = annotations(run_collector(CollectorConfig(app_namespaces=["genai-apps"], scrape_interval="15s")))
    assert other_config["ai-observability/config-hash"] != base["ai-observability/config-hash"]
    assert other_config["ai-observability/secret-hash"] == base["ai-observability/secret-hash"]
    rotated = annotations(run_collector(token="dt0c01." + "ROTATED" + "0" * 17 + "." + "R" * 64))
    assert rotated["ai-observability/secret-hash"] != base["ai-observability/secret-hash"]
    assert rotated["ai-observability/config-hash"] == base["ai-observability/config-hash"]


def test_collector_may_read_pods_namespaces_nodes_and_replicasets_only(default_run: Run) -> None:
    role = default_run.one("ClusterRole")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["pods", "namespaces", "nodes"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
    ]
    binding = default_run.one("ClusterRoleBinding")
    account = default_run.one("ServiceAccount")["metadata"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["name"], "namespace": "dynatrace"}]
    assert pod_spec(default_run)["serviceAccountName"] == account["name"]


def test_container_is_hardened_probed_and_sized_from_config() -> None:
    run = run_collector(CollectorConfig(resources={"cpuRequest": "250m", "memoryLimit": "2Gi"}))
    main = container(run)
    assert main["image"] == "ghcr.io/dynatrace/dynatrace-otel-collector/dynatrace-otel-collector:0.54.0"
    assert main["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "runAsGroup": 10001,
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert pod_spec(run)["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    health = next(p for p in main["ports"] if p["name"] == "health")
    assert health["containerPort"] == 13133
    for probe in ("livenessProbe", "readinessProbe"):
        assert main[probe]["httpGet"] == {"path": "/", "port": "health"}
    assert main["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }


def test_collector_also_runs_on_gpu_nodes(default_run: Run) -> None:
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod_spec(default_run)[
        "tolerations"
    ]


def test_service_exposure_routes_apps_to_their_own_node(default_run: Run) -> None:
    service = default_run.one("Service", "-otlp-service")
    daemonset = default_run.one("DaemonSet")
    assert service["spec"]["internalTrafficPolicy"] == "Local"
    assert service["spec"]["selector"].items() <= daemonset["spec"]["template"]["metadata"]["labels"].items()
    assert {p["port"] for p in service["spec"]["ports"]} == {4317, 4318}
    assert all("hostPort" not in p for p in container(default_run)["ports"])
    # The endpoint apps get resolves to this Service's HTTP port.
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    env = default_run.outputs["instrumentation"]["env"]
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://{name}.{namespace}.svc.cluster.local:4318"
    assert env["TRACELOOP_BASE_URL"] == env["OTEL_EXPORTER_OTLP_ENDPOINT"]  # OpenLLMetry's variable
    assert default_run.one("Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_host_port_exposure() -> None:
    run = run_collector(CollectorConfig(otlp_exposure="hostPort", app_namespaces=["genai-apps"]))
    ports = {p["name"]: p for p in container(run)["ports"]}
    assert (ports["otlp-grpc"]["hostPort"], ports["otlp-http"]["hostPort"]) == (4317, 4318)
    assert "hostPort" not in ports["health"]
    assert not [r for r in run.of_kind("Service") if r.name.endswith("-otlp-service")]
    assert "CKV_K8S_26=" in json.dumps(run.one("DaemonSet")["metadata"]["annotations"])
    assert run.one("Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    # A ConfigMap cannot expand $(HOST_IP): the endpoint comes from the pod's own env.
    settings = run.outputs["instrumentation"]
    assert run.one("ConfigMap", "-instrumentation-genai-apps")["data"] == {
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "DELTA",
    }
    assert settings["podEnv"] == [
        {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://$(HOST_IP):4318"},
        {"name": "TRACELOOP_BASE_URL", "value": "http://$(HOST_IP):4318"},
    ]


def test_app_namespaces_get_the_instrumentation_config_map() -> None:
    run = run_collector(CollectorConfig(app_namespaces=["genai-apps", "support-bot"]))
    maps = {m["metadata"]["namespace"]: m for m in (r.manifest for r in run.of_kind("ConfigMap"))}
    for namespace in ("genai-apps", "support-bot"):
        assert maps[namespace]["metadata"]["name"] == "otel-instrumentation"
        assert maps[namespace]["data"] == {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://dynatrace-otel-collector.dynatrace.svc.cluster.local:4318",
            "TRACELOOP_BASE_URL": "http://dynatrace-otel-collector.dynatrace.svc.cluster.local:4318",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "DELTA",
        }
    # App namespaces belong to the apps: the stack does not create them.
    assert [m["metadata"]["name"] for m in (r.manifest for r in run.of_kind("Namespace"))] == ["dynatrace"]
    assert run.outputs["instrumentation"]["namespaces"] == ["genai-apps", "support-bot"]


def test_kong_metrics_service_is_the_seeds(default_run: Run) -> None:
    service = default_run.one("Service", "-kong-metrics")
    assert service["metadata"]["name"] == "kong-metrics"
    assert service["metadata"]["namespace"] == "kong"
    assert service["spec"]["selector"] == {"app.kubernetes.io/name": "kong", "app.kubernetes.io/instance": "kong"}
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(8100, 8100)]


@pytest.mark.parametrize("kong", [KongConfig(enabled=False), KongConfig(enabled=True, discovery="annotations")])
def test_no_kong_service_without_service_discovery(kong: KongConfig) -> None:
    assert not [r for r in run_collector(kong=kong).of_kind("Service") if r.name.endswith("-kong-metrics")]


def test_existing_namespace_is_not_created() -> None:
    run = run_collector(CollectorConfig(namespace="observability", create_namespace=False))
    assert run.of_kind("Namespace") == []
    assert run.one("DaemonSet")["metadata"]["namespace"] == "observability"


def test_network_policy_admits_only_otlp_and_health(default_run: Run) -> None:
    policy = default_run.one("NetworkPolicy")["spec"]
    assert policy["podSelector"]["matchLabels"] == default_run.one("DaemonSet")["spec"]["selector"]["matchLabels"]
    assert policy["policyTypes"] == ["Ingress"]
    assert [p["port"] for rule in policy["ingress"] for p in rule["ports"]] == [4317, 4318, 13133]


def test_checkov_skips_name_a_check_and_a_reason(default_run: Run) -> None:
    annotations = default_run.one("DaemonSet")["metadata"]["annotations"]
    skips = {k: v for k, v in annotations.items() if k.startswith("checkov.io/skip")}
    assert sorted(skips) == ["checkov.io/skip1", "checkov.io/skip2", "checkov.io/skip3"]
    for value in skips.values():
        assert re.fullmatch(r"CKV2?_K8S_\d+=.{20,}", value), value


def test_children_use_the_given_kubernetes_provider() -> None:
    run = run_collector(with_provider=True)
    kubernetes = [r for r in run.resources if r.type.startswith("kubernetes:")]
    assert kubernetes
    for resource in kubernetes:
        assert "pulumi:providers:kubernetes::cluster" in resource.provider, resource.name
