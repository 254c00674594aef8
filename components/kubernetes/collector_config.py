"""The Dynatrace OTel collector configuration, built as data from the typed stack config.

Pure functions only (no Pulumi): ``build_collector_config`` returns the configuration as a
dict, ``render_collector_config`` as the YAML the collector reads. Component type names
depend on the pinned image version and come from ``COMPONENT_TYPES`` — the one table of
renames. Everything the pod must provide is referenced as ``${env:NAME}`` (``ENV_*`` below);
the ingest token never appears in the configuration.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import yaml

from components.config import CollectorConfig, KongConfig, duration_seconds
from components.config.collector import ANNOTATED_PODS_JOB as ANNOTATED_PODS_JOB  # the job names live with the config
from components.config.collector import KONG_JOB as KONG_JOB
from components.kubernetes.metadata import NIM_POD_LABELS

Version = tuple[int, int, int]

# Environment variables the DaemonSet provides to the collector container.
ENV_NODE_NAME: Final = "K8S_NODE_NAME"  # downward API spec.nodeName
ENV_POD_IP: Final = "MY_POD_IP"  # downward API status.podIP
ENV_DT_ENDPOINT: Final = "DT_ENDPOINT"  # Secret: <environment URL>/api/v2/otlp
ENV_DT_API_TOKEN: Final = "DT_API_TOKEN"  # noqa: S105 (Secret key: the ingest token)

OTLP_GRPC_PORT: Final = 4317
OTLP_HTTP_PORT: Final = 4318
HEALTH_CHECK_PORT: Final = 13133

SCRAPE_ANNOTATION_PREFIX: Final = "metrics.dynatrace.com"
NOT_RUNNING_PHASES: Final = "Pending|Succeeded|Failed"
_DEFAULT_SCRAPE_TIMEOUT_S: Final = 10.0
# Where NIM for LLMs serves Prometheus metrics: the OpenAI API port, path /v1/metrics (NVIDIA's
# NIM observability page). The pod's metrics.dynatrace.com/port and /path annotations override these.
NIM_METRICS_PORT: Final = 8000
NIM_METRICS_PATH: Final = "/v1/metrics"


@dataclass(frozen=True)
class ComponentType:
    """A collector component whose type name changed between image versions.

    ``renamed_in``/``available_since`` are Dynatrace distribution versions. Old names stay
    deprecated aliases on newer images; new names are rejected by older images.
    """

    old: str
    new: str
    renamed_in: Version
    available_since: Version = (0, 0, 0)

    def name_for(self, version: Version) -> str | None:
        """The type name to use on ``version`` (None: the image does not have the component)."""
        if version < self.available_since:
            return None
        return self.new if version >= self.renamed_in else self.old


# The one table of version-dependent names. Upstream collector version → Dynatrace distribution:
# 0.144 = 0.43.0; 0.146+0.147 = 0.45.0 (k8s_attributes rename, in its changelog); 0.148 = 0.46.0
# (metric_start_time: "~0.148" upstream, not confirmed in a changelog — assumed 0.46.0);
# 0.157 = 0.53.0. metricstarttime is required with the prometheus receiver since 0.41.0.
COMPONENT_TYPES: Final[Mapping[str, ComponentType]] = {
    "otlp_http": ComponentType("otlphttp", "otlp_http", renamed_in=(0, 43, 0)),
    "k8s_attributes": ComponentType("k8sattributes", "k8s_attributes", renamed_in=(0, 45, 0)),
    "metric_start_time": ComponentType(
        "metricstarttime", "metric_start_time", renamed_in=(0, 46, 0), available_since=(0, 41, 0)
    ),
    "cumulative_to_delta": ComponentType("cumulativetodelta", "cumulative_to_delta", renamed_in=(0, 53, 0)),
}


def parse_version(version: str) -> Version:
    """``"0.54.0"`` → ``(0, 54, 0)``."""
    match = re.fullmatch(r"([0-9]+)\.([0-9]+)\.([0-9]+)", version)
    if match is None:
        raise ValueError(f"not a collector version (MAJOR.MINOR.PATCH): {version!r}")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


@dataclass(frozen=True)
class ComponentNames:
    """Type names for one image version."""

    otlp_http: str
    k8s_attributes: str
    metric_start_time: str | None
    cumulative_to_delta: str

    @classmethod
    def for_version(cls, version: str) -> ComponentNames:
        parsed = parse_version(version)

        def required(key: str) -> str:
            name = COMPONENT_TYPES[key].name_for(parsed)
            if name is None:
                raise ValueError(f"collector {version} has no {key} component")
            return name

        return cls(
            otlp_http=required("otlp_http"),
            k8s_attributes=required("k8s_attributes"),
            metric_start_time=COMPONENT_TYPES["metric_start_time"].name_for(parsed),
            cumulative_to_delta=required("cumulative_to_delta"),
        )


def env_ref(name: str) -> str:
    """``${env:NAME}`` — expanded by the collector when it loads the configuration."""
    return "${env:" + name + "}"


def escape_dollars(text: str) -> str:
    """Escape ``$`` for the collector (``$$`` is a literal ``$``), e.g. relabel ``$1`` → ``$$1``."""
    return text.replace("$", "$$")


def _annotation_label(annotation: str) -> str:
    """The Prometheus SD label of a pod annotation (non-alphanumerics become ``_``)."""
    return "__meta_kubernetes_pod_annotation_" + re.sub(r"[^A-Za-z0-9_]", "_", annotation)


def _pod_label(label: str) -> str:
    return "__meta_kubernetes_pod_label_" + re.sub(r"[^A-Za-z0-9_]", "_", label)


def _scrape_timeout(interval: str) -> str:
    """Prometheus rejects a timeout above the interval; its default is 10s."""
    return interval if duration_seconds(interval) < _DEFAULT_SCRAPE_TIMEOUT_S else "10s"


def _node_local_pod_sd(namespaces: list[str] | None = None, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Pod discovery limited (server-side, by field selector) to the collector's own node.

    ``labels``: also an API-server label selector (equality terms), so only those pods are watched.
    """
    selector: dict[str, str] = {"role": "pod", "field": f"spec.nodeName={env_ref(ENV_NODE_NAME)}"}
    if labels:
        selector["label"] = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    sd: dict[str, Any] = {"role": "pod", "selectors": [selector]}
    if namespaces:
        sd["namespaces"] = {"names": namespaces}
    return sd


def _drop_not_running() -> dict[str, Any]:
    return {"source_labels": ["__meta_kubernetes_pod_phase"], "regex": NOT_RUNNING_PHASES, "action": "drop"}


def _literal(value: str) -> str:
    """A label value or namespace as a regex matching only itself (they hold [A-Za-z0-9_.-])."""
    return value.replace(".", r"\.")


def _label_match(action: str, labels: Mapping[str, str], namespace: str | None = None) -> dict[str, Any]:
    """``keep``/``drop`` pods whose labels (and namespace, if given) all equal ``labels``."""
    keys = sorted(labels)
    sources = [_pod_label(key) for key in keys]
    values = [_literal(labels[key]) for key in keys]
    if namespace is not None:
        sources.insert(0, "__meta_kubernetes_namespace")
        values.insert(0, _literal(namespace))
    return {"source_labels": sources, "regex": ";".join(values), "action": action}


def _annotated_path_rule() -> dict[str, Any]:
    """``__metrics_path__`` from the path annotation, only when it is set ((.+) skips the empty string)."""
    return {
        "source_labels": [_annotation_label(f"{SCRAPE_ANNOTATION_PREFIX}/path")],
        "regex": "(.+)",
        "target_label": "__metrics_path__",
        "replacement": escape_dollars("$1"),
        "action": "replace",
    }


def _annotated_port_rule() -> dict[str, Any]:
    """Every declared container port yields a target; all collapse into podIP:<annotated port>."""
    return {
        "source_labels": ["__address__", _annotation_label(f"{SCRAPE_ANNOTATION_PREFIX}/port")],
        "regex": r"([^:]+)(?::[0-9]+)?;([0-9]+)",
        "target_label": "__address__",
        "replacement": escape_dollars("$1:$2"),
        "action": "replace",
    }


def annotated_pods_job(settings: CollectorConfig, kong: KongConfig) -> dict[str, Any]:
    """Scrape pods on this node annotated ``metrics.dynatrace.com/scrape: "true"`` (+ ``port``, ``path``).

    Pods another job of this configuration owns are skipped, so no pod is scraped twice: the
    stack's NIM pods unless ``nimScrape.mode`` is ``annotations``, and the Kong pods selected
    by the ``kong`` job.
    """
    scrape = _annotation_label(f"{SCRAPE_ANNOTATION_PREFIX}/scrape")
    rules: list[dict[str, Any]] = [
        {"source_labels": [scrape], "regex": "true", "action": "keep"},
        _drop_not_running(),
    ]
    if settings.nim_scrape.mode != "annotations":
        rules.append(_label_match("drop", NIM_POD_LABELS))
    if _kong_job_enabled(kong):
        rules.append(_label_match("drop", kong.selector, kong.namespace))
    rules += [_annotated_path_rule(), _annotated_port_rule()]
    return {
        "job_name": ANNOTATED_PODS_JOB,
        "scrape_interval": settings.scrape_interval,
        "scrape_timeout": _scrape_timeout(settings.scrape_interval),
        "kubernetes_sd_configs": [_node_local_pod_sd()],
        "relabel_configs": rules,
    }


def nim_job(settings: CollectorConfig) -> dict[str, Any]:
    """Scrape the stack's NIM pods on this node in the job Dynatrace's NIM page uses (``nim-metrics``, 10 s).

    Pods are selected by their labels (server-side and again in relabelling), not by the scrape
    annotation; the annotations still set port and path when present.
    """
    nim = settings.nim_scrape
    return {
        "job_name": nim.job_name,
        "scrape_interval": nim.interval,
        "scrape_timeout": _scrape_timeout(nim.interval),
        "metrics_path": NIM_METRICS_PATH,
        "kubernetes_sd_configs": [_node_local_pod_sd(labels=NIM_POD_LABELS)],
        "relabel_configs": [
            _label_match("keep", NIM_POD_LABELS),
            _drop_not_running(),
            {
                "source_labels": ["__meta_kubernetes_pod_ip"],
                "regex": "(.+)",
                "target_label": "__address__",
                "replacement": escape_dollars(f"$1:{NIM_METRICS_PORT}"),
                "action": "replace",
            },
            _annotated_path_rule(),
            _annotated_port_rule(),
        ],
    }


def kong_job(kong: KongConfig) -> dict[str, Any]:
    """Scrape the pods behind the ``kong-metrics`` Service on this node only (no per-node duplicates)."""
    keep_selector = [
        {"source_labels": [_pod_label(key)], "regex": _literal(value), "action": "keep"}
        for key, value in sorted(kong.selector.items())
    ]
    return {
        "job_name": KONG_JOB,
        "scrape_interval": kong.scrape_interval,
        "scrape_timeout": _scrape_timeout(kong.scrape_interval),
        "metrics_path": kong.path,
        "kubernetes_sd_configs": [_node_local_pod_sd([kong.namespace])],
        "relabel_configs": [
            *keep_selector,
            _drop_not_running(),
            {
                "source_labels": ["__meta_kubernetes_pod_ip"],
                "regex": "(.+)",
                "target_label": "__address__",
                "replacement": escape_dollars(f"$1:{kong.port}"),
                "action": "replace",
            },
        ],
    }


def _kong_job_enabled(kong: KongConfig) -> bool:
    return kong.enabled and kong.discovery == "service"


def scrape_configs(settings: CollectorConfig, kong: KongConfig) -> list[dict[str, Any]]:
    jobs = [annotated_pods_job(settings, kong)]
    if settings.nim_scrape.mode == "job":
        jobs.append(nim_job(settings))
    if _kong_job_enabled(kong):
        jobs.append(kong_job(kong))
    return jobs


def build_collector_config(settings: CollectorConfig, kong: KongConfig) -> dict[str, Any]:
    """The collector configuration for ``settings.image_version`` (plain data, YAML-ready)."""
    names = ComponentNames.for_version(settings.image_version)
    processors: dict[str, Any] = {
        "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 20},
    }
    if names.metric_start_time is not None:
        processors[names.metric_start_time] = {}
    processors[names.k8s_attributes] = {
        "auth_type": "serviceAccount",
        "passthrough": False,
        "filter": {"node_from_env_var": ENV_NODE_NAME},
        "extract": {
            "metadata": [
                "k8s.namespace.name",
                "k8s.pod.name",
                "k8s.pod.uid",
                "k8s.node.name",
                "k8s.deployment.name",
                "k8s.statefulset.name",
                "k8s.daemonset.name",
                "k8s.job.name",
                "k8s.cronjob.name",
            ],
        },
        "pod_association": [
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
            {"sources": [{"from": "connection"}]},
        ],
    }
    processors[names.cumulative_to_delta] = {"max_staleness": settings.max_staleness}
    processors["batch"] = {"send_batch_size": 1000, "send_batch_max_size": 1000, "timeout": "1s"}

    # Scraped Prometheus series need start times before the delta conversion (Dynatrace's
    # "Scrape data from Prometheus" page, collector 0.41.0+); OTLP metrics from apps carry
    # their own start times, and Dynatrace's examples use the processor only with the
    # prometheus receiver. Both still convert cumulative series: Dynatrace ingests deltas only.
    scraped_processors = ["memory_limiter"]
    if names.metric_start_time is not None:
        scraped_processors.append(names.metric_start_time)
    scraped_processors += [names.k8s_attributes, names.cumulative_to_delta, "batch"]
    otlp_metric_processors = ["memory_limiter", names.k8s_attributes, names.cumulative_to_delta, "batch"]
    span_log_processors = ["memory_limiter", names.k8s_attributes, "batch"]
    exporters = [names.otlp_http]

    pod_ip = env_ref(ENV_POD_IP)
    return {
        "extensions": {"health_check": {"endpoint": f"{pod_ip}:{HEALTH_CHECK_PORT}"}},
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"{pod_ip}:{OTLP_GRPC_PORT}"},
                    "http": {"endpoint": f"{pod_ip}:{OTLP_HTTP_PORT}"},
                }
            },
            "prometheus": {"config": {"scrape_configs": scrape_configs(settings, kong)}},
        },
        "processors": processors,
        "exporters": {
            names.otlp_http: {
                "endpoint": env_ref(ENV_DT_ENDPOINT),
                "headers": {"Authorization": f"Api-Token {env_ref(ENV_DT_API_TOKEN)}"},
            }
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "metrics/prometheus": {
                    "receivers": ["prometheus"],
                    "processors": scraped_processors,
                    "exporters": exporters,
                },
                "metrics/otlp": {"receivers": ["otlp"], "processors": otlp_metric_processors, "exporters": exporters},
                "traces": {"receivers": ["otlp"], "processors": span_log_processors, "exporters": exporters},
                "logs": {"receivers": ["otlp"], "processors": span_log_processors, "exporters": exporters},
            },
        },
    }


class _PlainDumper(yaml.SafeDumper):
    """No ``&id001`` anchors for lists shared between pipelines: the file stays easy to read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_collector_config(settings: CollectorConfig, kong: KongConfig) -> str:
    """``build_collector_config`` as YAML (stable key order, so its hash only changes with content)."""
    config = build_collector_config(settings, kong)
    return yaml.dump(config, Dumper=_PlainDumper, sort_keys=False, default_flow_style=False)


def content_hash(text: str) -> str:
    """Short SHA-256 of ``text`` for pod-template annotations (pods roll when it changes)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- settings for instrumented applications (OpenLLMetry / OpenTelemetry SDKs) -------------

INSTRUMENTATION_CONFIG_MAP: Final = "otel-instrumentation"


def otlp_service_host(service_name: str, namespace: str) -> str:
    return f"{service_name}.{namespace}.svc.cluster.local"


def instrumentation_env(settings: CollectorConfig, service_name: str) -> dict[str, str]:
    """The ``otel-instrumentation`` ConfigMap data apps ``envFrom``.

    ``service`` exposure: the endpoint is the node-local Service (``internalTrafficPolicy:
    Local``). ``hostPort``: the endpoint needs the node IP, which a ConfigMap cannot hold
    (``$(VAR)`` is not expanded in ConfigMap values) — apps add ``pod_env_for_host_port()``.
    """
    env = {
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "DELTA",
    }
    if settings.otlp_exposure == "service":
        endpoint = f"http://{otlp_service_host(service_name, settings.namespace)}:{OTLP_HTTP_PORT}"
        env.update(dict.fromkeys(ENDPOINT_VARIABLES, endpoint))
    return env


# OpenTelemetry SDKs read the first; OpenLLMetry's Traceloop SDK the second.
ENDPOINT_VARIABLES: Final = ("OTEL_EXPORTER_OTLP_ENDPOINT", "TRACELOOP_BASE_URL")


def pod_env_for_host_port() -> list[dict[str, Any]]:
    """The ``env`` entries an app container adds in ``hostPort`` mode (after ``envFrom``)."""
    endpoint = f"http://$(HOST_IP):{OTLP_HTTP_PORT}"
    return [
        {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
        *({"name": name, "value": endpoint} for name in ENDPOINT_VARIABLES),
    ]
