"""``CollectorDaemonSet``: the Dynatrace OTel collector on every node, Kong scrape, app settings.

One collector per node scrapes the annotated pods of its own node (so ``cumulativetodelta``
state stays in the instance that scraped a series), receives OTLP from instrumented apps on
the same node, enriches with Kubernetes metadata and exports to Dynatrace. The ingest token
lives only in a Secret and reaches the container through ``secretKeyRef``.

The object specs come from pure builders over the typed config (``daemonset_spec``,
``network_policy_spec``, ...); ``CollectorDaemonSet`` declares the resources and wires them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import DaemonSetSpecArgsDict
from pulumi_kubernetes.core.v1 import (
    ContainerArgsDict,
    ContainerPortArgsDict,
    EnvVarArgsDict,
    PodSpecArgsDict,
    ProbeArgsDict,
    ServicePortArgsDict,
    ServiceSpecArgsDict,
)
from pulumi_kubernetes.meta.v1 import ObjectMetaArgsDict
from pulumi_kubernetes.networking.v1 import NetworkPolicySpecArgsDict
from pulumi_kubernetes.rbac.v1 import PolicyRuleArgsDict

from components.config import CollectorConfig, KongConfig
from components.config.kubernetes import GPU_TAINT_KEY
from components.kubernetes.collector_config import (
    ENV_DT_API_TOKEN,
    ENV_DT_ENDPOINT,
    ENV_NODE_NAME,
    ENV_POD_IP,
    HEALTH_CHECK_PORT,
    INSTRUMENTATION_CONFIG_MAP,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    content_hash,
    instrumentation_env,
    pod_env_for_host_port,
    render_collector_config,
)
from components.kubernetes.metadata import checkov_annotations, k8s_labels, selector_labels

TYPE_TOKEN: Final = "ai-observability:k8s:CollectorDaemonSet"  # noqa: S105 (a type token, not a secret)
K8S_NAME: Final = "dynatrace-otel-collector"
KONG_SERVICE: Final = "kong-metrics"
CONFIG_KEY: Final = "config.yaml"
CONFIG_DIR: Final = "/etc/otelcol"
COLLECTOR_UID: Final = 10001
CONFIG_ROLE_LABEL: Final = {"ai-observability/role": "collector-config"}
CONFIG_HASH_ANNOTATION: Final = "ai-observability/config-hash"
SECRET_HASH_ANNOTATION: Final = "ai-observability/secret-hash"  # noqa: S105
SELECTOR_LABELS: Final = selector_labels(K8S_NAME)
LABELS: Final = k8s_labels(K8S_NAME, "collector")
CLUSTER_ROLE_RULES: Final[tuple[PolicyRuleArgsDict, ...]] = (
    {"api_groups": [""], "resources": ["pods", "namespaces", "nodes"], "verbs": ["get", "list", "watch"]},
    {"api_groups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
)

# checkov findings accepted on purpose (checkov reads `checkov.io/skip<N>` annotations).
CHECKOV_SKIPS: Final = (
    "CKV_K8S_43=pinned by version tag: imageVersion also selects the component names in the configuration",
    "CKV_K8S_35=the collector expands ${env:DT_API_TOKEN} into its exporter header; the value comes from a Secret",
    "CKV_K8S_38=the service account token is needed: pod discovery and k8sattributes query the API server",
)
HOST_PORT_CHECKOV_SKIP: Final = "CKV_K8S_26=otlpExposure hostPort: apps reach the node-local collector at status.hostIP"


@dataclass(frozen=True)
class CollectorDaemonSetArgs:
    collector: CollectorConfig
    kong: KongConfig
    otlp_endpoint: str
    """``<environment URL>/api/v2/otlp`` (the exporter appends ``/v1/metrics`` etc.)."""
    ingest_token: pulumi.Output[str]
    """Dynatrace ingest token (``metrics.ingest``, ``logs.ingest``, ``openTelemetryTrace.ingest``); a secret."""


def namespace_labels(settings: CollectorConfig) -> dict[str, str]:
    """The collector namespace's labels: hostPorts are outside the "baseline" Pod Security Standard."""
    level = "restricted" if settings.otlp_exposure == "service" else "privileged"
    return {**LABELS, "pod-security.kubernetes.io/enforce": level}


def daemonset_skips(settings: CollectorConfig) -> tuple[str, ...]:
    """The accepted checkov findings of the DaemonSet (the hostPort one only when hostPorts are used)."""
    return CHECKOV_SKIPS + ((HOST_PORT_CHECKOV_SKIP,) if settings.otlp_exposure == "hostPort" else ())


def network_policy_spec() -> NetworkPolicySpecArgsDict:
    """Ingress only on the OTLP and health ports; egress stays open (Dynatrace, API server, scrape targets)."""
    return {
        "pod_selector": {"match_labels": SELECTOR_LABELS},
        "policy_types": ["Ingress"],
        "ingress": [
            {
                "ports": [
                    {"port": port, "protocol": "TCP"} for port in (OTLP_GRPC_PORT, OTLP_HTTP_PORT, HEALTH_CHECK_PORT)
                ]
            }
        ],
    }


def otlp_service_spec() -> ServiceSpecArgsDict:
    """The app-facing OTLP Service (``otlpExposure: service``): traffic stays on the caller's node."""
    return {
        "type": "ClusterIP",
        "internal_traffic_policy": "Local",
        "selector": SELECTOR_LABELS,
        "ports": _otlp_service_ports(),
    }


def kong_service_spec(kong: KongConfig) -> ServiceSpecArgsDict:
    """The ``kong-metrics`` Service selecting the Kong pods on their metrics port."""
    return {
        "type": "ClusterIP",
        "selector": kong.selector,
        "ports": [{"name": "metrics", "port": kong.port, "target_port": kong.port, "protocol": "TCP"}],
    }


def instrumentation(settings: CollectorConfig) -> dict[str, Any]:
    """What instrumented apps need: ConfigMap name, namespaces, exposure, env, extra pod env (hostPort)."""
    return {
        "configMap": INSTRUMENTATION_CONFIG_MAP,
        "namespaces": list(settings.app_namespaces),
        "otlpExposure": settings.otlp_exposure,
        "env": instrumentation_env(settings, K8S_NAME),
        "podEnv": pod_env_for_host_port() if settings.otlp_exposure == "hostPort" else [],
    }


class CollectorDaemonSet(pulumi.ComponentResource):
    """Namespace, RBAC, token Secret, config, DaemonSet, NetworkPolicy, OTLP Service, Kong Service, app ConfigMaps."""

    namespace: pulumi.Output[str]
    config_yaml: pulumi.Output[str]
    """The rendered collector configuration (contains no secrets)."""
    instrumentation: pulumi.Output[dict[str, Any]]
    """What instrumented apps need: ConfigMap name, namespaces, env, extra pod env (hostPort)."""

    def __init__(self, name: str, args: CollectorDaemonSetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings, kong = args.collector, args.kong
        child = pulumi.ResourceOptions(parent=self)

        namespace = settings.namespace
        local = child  # objects inside the collector namespace
        if settings.create_namespace:
            ns = k8s.core.v1.Namespace(
                f"{name}-namespace",
                metadata={"name": settings.namespace, "labels": namespace_labels(settings)},
                opts=child,
            )
            local = pulumi.ResourceOptions(parent=self, depends_on=[ns])

        def meta(
            object_name: str, labels: dict[str, str] = LABELS, annotations: dict[str, str] | None = None
        ) -> ObjectMetaArgsDict:
            metadata: ObjectMetaArgsDict = {"name": object_name, "namespace": namespace, "labels": labels}
            if annotations:
                metadata["annotations"] = annotations
            return metadata

        account = k8s.core.v1.ServiceAccount(f"{name}-service-account", metadata=meta(K8S_NAME), opts=local)
        cluster_name = f"{K8S_NAME}-{settings.namespace}"
        role = k8s.rbac.v1.ClusterRole(
            f"{name}-cluster-role",
            metadata={"name": cluster_name, "labels": LABELS},
            rules=list(CLUSTER_ROLE_RULES),
            opts=child,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-cluster-role-binding",
            metadata={"name": cluster_name, "labels": LABELS},
            role_ref={"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": account.metadata.name, "namespace": namespace}],
            opts=child,
        )

        secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata=meta(f"{K8S_NAME}-dynatrace"),
            type="Opaque",
            string_data={
                ENV_DT_ENDPOINT: args.otlp_endpoint,
                ENV_DT_API_TOKEN: args.ingest_token.apply(pulumi.Output.secret),
            },
            opts=local,
        )

        config_yaml = render_collector_config(settings, kong)
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=meta(K8S_NAME, labels={**LABELS, **CONFIG_ROLE_LABEL}),
            data={CONFIG_KEY: config_yaml},
            opts=local,
        )

        # Pods roll when the configuration or the token changes (env is read at start only).
        # A truncated SHA-256 of a 64-character random token reveals nothing about it.
        secret_hash = pulumi.Output.unsecret(args.ingest_token.apply(lambda token: content_hash(f"token:{token}")))
        k8s.apps.v1.DaemonSet(
            f"{name}-daemonset",
            metadata=meta(K8S_NAME, annotations=checkov_annotations(daemonset_skips(settings))),
            spec=daemonset_spec(
                settings,
                account=account.metadata.name,
                secret=secret.metadata.name,
                config_map=config_map.metadata.name,
                annotations={CONFIG_HASH_ANNOTATION: content_hash(config_yaml), SECRET_HASH_ANNOTATION: secret_hash},
            ),
            opts=local,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-network-policy", metadata=meta(K8S_NAME), spec=network_policy_spec(), opts=local
        )
        if settings.otlp_exposure != "hostPort":
            k8s.core.v1.Service(f"{name}-otlp-service", metadata=meta(K8S_NAME), spec=otlp_service_spec(), opts=local)
        if kong.enabled and kong.discovery == "service":
            k8s.core.v1.Service(
                f"{name}-kong-metrics",
                metadata={"name": KONG_SERVICE, "namespace": kong.namespace, "labels": LABELS},
                spec=kong_service_spec(kong),
                opts=local if kong.namespace == settings.namespace else child,
            )

        apps = instrumentation(settings)
        for app_namespace in settings.app_namespaces:
            k8s.core.v1.ConfigMap(
                f"{name}-instrumentation-{app_namespace}",
                metadata={"name": INSTRUMENTATION_CONFIG_MAP, "namespace": app_namespace, "labels": LABELS},
                data=apps["env"],
                opts=local if app_namespace == settings.namespace else child,
            )

        self.namespace = pulumi.Output.from_input(settings.namespace)
        self.config_yaml = pulumi.Output.from_input(config_yaml)
        self.instrumentation = pulumi.Output.from_input(apps)
        self.register_outputs(
            {"namespace": self.namespace, "config_yaml": self.config_yaml, "instrumentation": self.instrumentation}
        )


def _otlp_service_ports() -> list[ServicePortArgsDict]:
    return [
        {
            "name": "otlp-grpc",
            "port": OTLP_GRPC_PORT,
            "target_port": "otlp-grpc",
            "protocol": "TCP",
            "app_protocol": "grpc",
        },
        {"name": "otlp-http", "port": OTLP_HTTP_PORT, "target_port": "otlp-http", "protocol": "TCP"},
    ]


def daemonset_spec(
    settings: CollectorConfig,
    *,
    account: pulumi.Input[str],
    secret: pulumi.Input[str],
    config_map: pulumi.Input[str],
    annotations: dict[str, pulumi.Input[str]],
) -> DaemonSetSpecArgsDict:
    """One collector pod per Linux node, GPU nodes included; hardened; config and token from the namespace."""
    host_port = settings.otlp_exposure == "hostPort"
    ports: list[ContainerPortArgsDict] = [
        {"name": "otlp-grpc", "container_port": OTLP_GRPC_PORT, "protocol": "TCP"},
        {"name": "otlp-http", "container_port": OTLP_HTTP_PORT, "protocol": "TCP"},
        {"name": "health", "container_port": HEALTH_CHECK_PORT, "protocol": "TCP"},
    ]
    if host_port:
        ports[0]["host_port"] = OTLP_GRPC_PORT
        ports[1]["host_port"] = OTLP_HTTP_PORT
    env: list[EnvVarArgsDict] = [
        {"name": ENV_NODE_NAME, "value_from": {"field_ref": {"field_path": "spec.nodeName"}}},
        {"name": ENV_POD_IP, "value_from": {"field_ref": {"field_path": "status.podIP"}}},
        {"name": ENV_DT_ENDPOINT, "value_from": {"secret_key_ref": {"name": secret, "key": ENV_DT_ENDPOINT}}},
        {"name": ENV_DT_API_TOKEN, "value_from": {"secret_key_ref": {"name": secret, "key": ENV_DT_API_TOKEN}}},
    ]

    def probe(initial_delay: int) -> ProbeArgsDict:
        return {
            "http_get": {"path": "/", "port": "health"},
            "initial_delay_seconds": initial_delay,
            "period_seconds": 10,
            "timeout_seconds": 5,
            "failure_threshold": 3,
        }

    resources = settings.resources
    container: ContainerArgsDict = {
        "name": "otelcol",
        "image": settings.image,
        "image_pull_policy": "Always",
        "args": [f"--config={CONFIG_DIR}/{CONFIG_KEY}"],
        "env": env,
        "ports": ports,
        "liveness_probe": probe(10),
        "readiness_probe": probe(5),
        "resources": {
            "requests": {"cpu": resources.cpu_request, "memory": resources.memory_request},
            "limits": {"cpu": resources.cpu_limit, "memory": resources.memory_limit},
        },
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": COLLECTOR_UID,
            "run_as_group": COLLECTOR_UID,
            "privileged": False,
            "allow_privilege_escalation": False,
            "read_only_root_filesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "volume_mounts": [{"name": "config", "mount_path": CONFIG_DIR, "read_only": True}],
    }
    pod: PodSpecArgsDict = {
        "service_account_name": account,
        "automount_service_account_token": True,
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": COLLECTOR_UID,
            "run_as_group": COLLECTOR_UID,
            "fs_group": COLLECTOR_UID,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "node_selector": {"kubernetes.io/os": "linux"},
        # Also run on GPU nodes (NIM pods live there); other taints keep their meaning.
        "tolerations": [{"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}],
        "containers": [container],
        "volumes": [
            {"name": "config", "config_map": {"name": config_map, "items": [{"key": CONFIG_KEY, "path": CONFIG_KEY}]}}
        ],
    }
    return {
        "selector": {"match_labels": SELECTOR_LABELS},
        "update_strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 1}},
        "template": {"metadata": {"labels": LABELS, "annotations": annotations}, "spec": pod},
    }
