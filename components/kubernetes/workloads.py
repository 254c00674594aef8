"""``KubernetesWorkloads``: everything the stack runs inside the EKS cluster, behind one provider.

It owns the explicit Kubernetes provider and every object deployed through it: the NVIDIA device
plugin (AL2023 GPU nodes), the DCGM exporter, the gp3 StorageClass (created cluster only), the
NIM namespaces and services, and the Dynatrace OTel collector. The cluster and its GPU node
groups are AWS resources and stay outside; the caller passes them in so the NIM pods wait for
the nodes they are pinned to.

These resources were declared at the stack root before the component existed; each direct
child carries ``aliases=[Alias(parent=ROOT_STACK_RESOURCE)]`` so ``pulumi up`` moves it under
the component instead of replacing it (the URN snapshot in ``tests/plan/urns`` proves it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from components.aws.eks_cluster import ClusterInfo
from components.config import DcgmExporterConfig, GpuNodeGroupConfig, NimConfig
from components.config.kubernetes import DEVICE_PLUGIN_IMAGE
from components.kubernetes.collector import CollectorDaemonSet, CollectorDaemonSetArgs
from components.kubernetes.dcgm_exporter import DcgmExporter, DcgmExporterArgs, dcgm_exporter_needed
from components.kubernetes.device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs, device_plugin_needed
from components.kubernetes.nim import NimService, NimServiceArgs
from components.kubernetes.provider import KubeProviderArgs, NamespaceRegistry, kube_provider
from components.kubernetes.storage_class import STORAGE_CLASS_NAME, Gp3StorageClass, Gp3StorageClassArgs

TYPE_TOKEN: Final = "ai-observability:k8s:Workloads"  # noqa: S105 (a type token, not a secret)
PROVIDER_NAME: Final = "eks-kubernetes"


@dataclass(frozen=True)
class KubernetesWorkloadsArgs:
    cluster: ClusterInfo
    """The cluster to deploy to (created by the stack or looked up)."""
    region: pulumi.Input[str]
    """AWS region of the cluster, for ``aws eks get-token``."""
    kubeconfig_context: str | None
    """Use this context of the ambient kubeconfig instead of a generated one (existing clusters)."""
    gpu_node_groups: Sequence[GpuNodeGroupConfig]
    node_groups: Mapping[str, pulumi.Resource]
    """The declared GPU node groups by config name; a NIM waits for the groups it may run on."""
    nims: Sequence[NimConfig]
    ngc_api_key: pulumi.Output[str] | None
    """The NGC key (a secret); required when a NIM pulls with NGC credentials."""
    dcgm_exporter: DcgmExporterConfig
    collector_namespace: str
    """Namespace of the collector pods (admitted to the DCGM exporter's metrics port)."""
    collector: CollectorDaemonSetArgs | None
    """The collector to deploy, or None when ``collector.enabled`` is false."""
    device_plugin_image: str = DEVICE_PLUGIN_IMAGE
    """Image of the NVIDIA device plugin (``eks.devicePluginImage``)."""


def _moved_from_root(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    """Options of a direct child that used to be declared at the stack root."""
    return pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


def nim_targets(nim: NimConfig, groups: Sequence[GpuNodeGroupConfig]) -> list[GpuNodeGroupConfig]:
    """The node groups ``nim`` may run on: its pinned group, or every GPU group when unpinned."""
    return [group for group in groups if nim.node_group in (None, group.name)]


def nim_key(nim: NimConfig) -> str:
    """The ``nimEndpoints`` key of a NIM: ``<namespace>/<name>``."""
    return f"{nim.namespace}/{nim.name}"


class KubernetesWorkloads(pulumi.ComponentResource):
    """``ai-observability:k8s:Workloads`` — the Kubernetes provider and every object deployed through it."""

    provider: k8s.Provider
    nim_endpoints: dict[str, pulumi.Output[str]]
    """In-cluster OpenAI base URL per NIM, keyed ``<namespace>/<name>``."""
    nvidia_device_plugin: bool
    dcgm_exporter: bool
    collector_namespace: pulumi.Output[str] | None
    otel_instrumentation: pulumi.Output[dict[str, Any]] | None
    """What instrumented apps need from the collector (None without a collector)."""

    def __init__(self, name: str, args: KubernetesWorkloadsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        cluster = args.cluster
        moved = _moved_from_root(self)
        self.provider = provider = kube_provider(
            PROVIDER_NAME,
            KubeProviderArgs(
                cluster_name=cluster.name,
                endpoint=cluster.endpoint,
                certificate_authority=cluster.certificate_authority,
                region=args.region,
                context=args.kubeconfig_context,
            ),
            opts=moved,
        )
        plugin = None
        if device_plugin_needed(args.gpu_node_groups):
            plugin = NvidiaDevicePlugin(
                "nvidia-device-plugin", NvidiaDevicePluginArgs(provider, image=args.device_plugin_image), opts=moved
            )
        dcgm = None
        if args.dcgm_exporter.enabled and dcgm_exporter_needed(args.gpu_node_groups):
            dcgm = DcgmExporter(
                "dcgm-exporter",
                DcgmExporterArgs(
                    config=args.dcgm_exporter,
                    provider=provider,
                    collector_namespace=args.collector_namespace,
                    depends_on=list(cluster.ready),
                ),
                opts=moved,
            )
        ready: list[pulumi.Resource] = list(cluster.ready)
        default_storage_class = None
        if cluster.created:
            ready.append(
                Gp3StorageClass("model-cache", Gp3StorageClassArgs(provider, depends_on=cluster.ready), opts=moved)
            )
            default_storage_class = STORAGE_CLASS_NAME

        namespaces = NamespaceRegistry(provider, opts=moved)
        self.nim_endpoints = {}
        for nim in args.nims:
            namespace = namespaces.namespace(nim.namespace)
            targets = nim_targets(nim, args.gpu_node_groups)
            needs = [*ready, *(args.node_groups[group.name] for group in targets)]
            if plugin is not None and device_plugin_needed(targets):
                needs.append(plugin)
            service = NimService(
                f"{nim.namespace}-{nim.name}",
                NimServiceArgs(
                    nim=nim,
                    provider=provider,
                    namespace=namespace.metadata.apply(lambda m: m.name or ""),
                    ngc_api_key=args.ngc_api_key if nim.ngc_credentials else None,
                    storage_class=nim.storage_class or default_storage_class,
                    depends_on=needs,
                ),
                opts=moved,
            )
            self.nim_endpoints[nim_key(nim)] = service.endpoint

        self.collector_namespace = None
        self.otel_instrumentation = None
        if args.collector is not None:
            collector = CollectorDaemonSet(
                "collector",
                args.collector,
                opts=pulumi.ResourceOptions.merge(moved, pulumi.ResourceOptions(provider=provider)),
            )
            self.collector_namespace = collector.namespace
            self.otel_instrumentation = collector.instrumentation

        self.nvidia_device_plugin = plugin is not None
        self.dcgm_exporter = dcgm is not None
        self.register_outputs(
            {
                "nimEndpoints": self.nim_endpoints,
                "nvidiaDevicePlugin": self.nvidia_device_plugin,
                "dcgmExporter": self.dcgm_exporter,
                "collectorNamespace": self.collector_namespace,
                "otelInstrumentation": self.otel_instrumentation,
            }
        )
