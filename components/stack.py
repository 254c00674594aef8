"""Wires the typed configuration into the components; returns the stack outputs.

Data flows one way: ``StackConfig`` → components → resources. Each ``_area`` function
owns one part of the stack and receives only what it needs from the others.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from .collector import CollectorDaemonSet, CollectorDaemonSetArgs
from .config import StackConfig
from .device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs, device_plugin_needed
from .eks_cluster import (
    STORAGE_CLASS_NAME,
    EksCluster,
    EksClusterArgs,
    Gp3StorageClass,
    Gp3StorageClassArgs,
    lookup_cluster,
)
from .event_forwarding import BedrockEventForwarder, BedrockEventForwarderArgs
from .governance import DynatraceGovernance, DynatraceGovernanceArgs
from .gpu_nodes import GpuNodeGroup, GpuNodeGroupArgs
from .guardrails import BedrockGuardrail, BedrockGuardrailArgs, deny_without_guardrail_policy
from .invocation_logging import BedrockInvocationLogging, BedrockInvocationLoggingArgs
from .kube_provider import KubeProviderArgs, NamespaceRegistry, kube_provider
from .nim import NimService, NimServiceArgs
from .signals.component import DynatraceSignals, DynatraceSignalsArgs
from .tagging import aws_tags

Outputs = dict[str, Any]


def build(config: StackConfig) -> Outputs:
    """Register every resource the configuration asks for; return the stack outputs."""
    outputs: Outputs = {"stack": config.stack, "dynatraceEnvironmentUrl": config.dynatrace.environment_url}
    ingest_token = _governance(config, outputs)
    _event_forwarding(config, ingest_token, outputs)
    _guardrails(config, outputs)
    k8s_provider = _kubernetes(config, outputs)
    _collector(config, ingest_token, k8s_provider, outputs)
    _signals(config, outputs)
    return outputs


def _governance(config: StackConfig, outputs: Outputs) -> pulumi.Output[str] | None:
    """Dynatrace governance (issue 3); returns the ingest token (a secret) for later parts."""
    configured = config.secrets.output("dynatraceIngestToken") if config.secrets.has("dynatraceIngestToken") else None
    if not config.governance.enabled:
        return configured
    governance = DynatraceGovernance(
        "governance",
        DynatraceGovernanceArgs(
            environment_url=config.dynatrace.environment_url,
            platform_url=config.dynatrace.platform,
            api_token=config.secrets.output("dynatraceApiToken"),
            platform_token=config.secrets.output("dynatracePlatformToken"),
            owner=f"{pulumi.get_project()}/{config.stack}",
            config=config.governance,
        ),
    )
    outputs["governanceBucketName"] = governance.bucket_name
    outputs["governancePipelineId"] = governance.pipeline_id
    outputs["governanceRouteDescription"] = governance.route_description
    if governance.ingest_token is not None:
        outputs["dynatraceIngestTokenId"] = governance.ingest_token_id
        outputs["dynatraceIngestTokenExpiresAt"] = governance.ingest_token_expires_at
        return governance.ingest_token
    return configured


def _event_forwarding(config: StackConfig, ingest_token: pulumi.Output[str] | None, outputs: Outputs) -> None:
    """Bedrock governance events → Dynatrace business events (issue 4)."""
    forwarding = config.event_forwarding
    if not forwarding.enabled:
        return
    if ingest_token is None:
        # The config cross-checks require the token unless governance mints it, so this is a
        # wiring bug: _governance must return the minted token.
        raise ValueError(
            "event forwarding needs the Dynatrace ingest token: set ai-observability:dynatraceIngestToken "
            "or let governance mint it (governance.ingestToken.create)"
        )
    forwarder = BedrockEventForwarder(
        forwarding.name_prefix,
        BedrockEventForwarderArgs(
            config=forwarding,
            ingest_url=config.dynatrace.bizevents_ingest_url,
            ingest_token=ingest_token,
            event_type=config.governance.event_type,
            tags=aws_tags(config.tags, config.stack, "event-forwarding"),
        ),
    )
    outputs["bedrockEventRuleArn"] = forwarder.rule_arn
    outputs["bedrockEventApiDestinationArn"] = forwarder.api_destination_arn
    outputs["bedrockEventDeadLetterQueueUrl"] = forwarder.dead_letter_queue_url
    outputs["bedrockEventTrailArn"] = forwarder.trail_arn
    if forwarder.alarm_topic_arn is not None:
        outputs["bedrockEventAlarmTopicArn"] = forwarder.alarm_topic_arn


def _guardrails(config: StackConfig, outputs: Outputs) -> None:
    """Bedrock guardrails and model invocation logging (issue 4)."""
    section = config.guardrails
    if not section.enabled:
        return
    tags = aws_tags(config.tags, config.stack, "guardrails")
    created = [
        BedrockGuardrail(
            section.aws_name(guardrail),
            BedrockGuardrailArgs(config=guardrail, aws_name=section.aws_name(guardrail), tags=tags),
        )
        for guardrail in section.guardrails
    ]
    if created:
        outputs["guardrails"] = {
            g.name: {"id": c.guardrail_id, "arn": c.guardrail_arn, "version": c.version, "identifier": c.identifier}
            for g, c in zip(section.guardrails, created, strict=True)
        }
        outputs["guardrailDenyPolicyJson"] = pulumi.Output.all(*[c.identifier for c in created]).apply(
            deny_without_guardrail_policy
        )
    if section.invocation_logging.enabled:
        logging = BedrockInvocationLogging(
            f"{section.name_prefix}-invocation-logging",
            BedrockInvocationLoggingArgs(
                config=section.invocation_logging,
                name_prefix=section.name_prefix,
                tags=aws_tags(config.tags, config.stack, "invocation-logging"),
            ),
        )
        outputs["bedrockInvocationLogGroup"] = logging.log_group_name


def _kubernetes(config: StackConfig, outputs: Outputs) -> Any:
    """EKS cluster access, GPU node groups, device plugin and NIM services (issue 5).

    Returns the ``pulumi_kubernetes.Provider`` every Kubernetes resource must use (or None).
    """
    eks = config.eks
    if eks is None:
        return None
    if eks.create:
        created = EksCluster("eks", EksClusterArgs(eks, aws_tags(config.tags, config.stack, "eks-cluster")))
        cluster = created.info
    else:
        cluster = lookup_cluster(eks.cluster_name)
    provider = kube_provider(
        "eks-kubernetes",
        KubeProviderArgs(
            cluster_name=cluster.name,
            endpoint=cluster.endpoint,
            certificate_authority=cluster.certificate_authority,
            region=aws.get_region_output().region,
            context=eks.kubeconfig_context,
        ),
    )
    node_tags = aws_tags(config.tags, config.stack, "gpu-nodes")
    groups = {
        group.name: GpuNodeGroup(
            group.name,
            GpuNodeGroupArgs(
                cluster_name=cluster.name,
                cluster_version=cluster.version,
                subnet_ids=group.subnet_ids or eks.subnet_ids or cluster.subnet_ids,
                group=group,
                tags=node_tags,
            ),
        )
        for group in config.gpu_node_groups
    }
    plugin = None
    if device_plugin_needed(config.gpu_node_groups):
        plugin = NvidiaDevicePlugin("nvidia-device-plugin", NvidiaDevicePluginArgs(provider))
    ready: list[pulumi.Resource] = list(cluster.ready)
    default_storage_class = None
    if eks.create:
        ready.append(Gp3StorageClass("model-cache", Gp3StorageClassArgs(provider, depends_on=cluster.ready)))
        default_storage_class = STORAGE_CLASS_NAME
    namespaces = NamespaceRegistry(provider)
    endpoints: dict[str, pulumi.Output[str]] = {}
    for nim in config.nims:
        namespace = namespaces.namespace(nim.namespace)
        targets = [g for g in config.gpu_node_groups if nim.node_group in (None, g.name)]
        needs = [*ready, *(groups[g.name] for g in targets)]
        if plugin is not None and device_plugin_needed(targets):
            needs.append(plugin)
        service = NimService(
            f"{nim.namespace}-{nim.name}",
            NimServiceArgs(
                nim=nim,
                provider=provider,
                namespace=namespace.metadata.apply(lambda m: m.name or ""),
                node_group_name=nim.node_group,
                ngc_api_key=config.secrets.output("ngcApiKey") if nim.ngc_credentials else None,
                storage_class=nim.storage_class or default_storage_class,
                depends_on=needs,
            ),
        )
        endpoints[f"{nim.namespace}/{nim.name}"] = service.endpoint
    outputs["eksClusterName"] = cluster.name
    outputs["gpuNodeGroupNames"] = [group.node_group_name for group in groups.values()]
    outputs["nvidiaDevicePlugin"] = plugin is not None
    outputs["nimEndpoints"] = endpoints
    return provider


def _collector(
    config: StackConfig, ingest_token: pulumi.Output[str] | None, k8s_provider: Any, outputs: Outputs
) -> None:
    """Dynatrace OTel collector DaemonSet, Kong metrics and app settings (issue 6)."""
    if not config.collector.enabled or config.eks is None:
        return
    if ingest_token is None:
        # cross_check requires dynatraceIngestToken unless governance mints one, so this is a wiring bug.
        raise ValueError(
            "the collector needs the Dynatrace ingest token: set ai-observability:dynatraceIngestToken "
            "or let governance mint it (governance.ingestToken.create)"
        )
    collector = CollectorDaemonSet(
        "collector",
        CollectorDaemonSetArgs(
            collector=config.collector,
            kong=config.kong,
            otlp_endpoint=config.dynatrace.otlp_endpoint,
            ingest_token=ingest_token,
        ),
        opts=pulumi.ResourceOptions(provider=k8s_provider),
    )
    outputs["collectorNamespace"] = collector.namespace
    outputs["otelInstrumentation"] = collector.instrumentation


def _signals(config: StackConfig, outputs: Outputs) -> None:
    """Davis anomaly detectors and dashboards for the AI signals."""
    if not config.signals.enabled:
        return
    signals = DynatraceSignals(
        "signals",
        DynatraceSignalsArgs(
            platform_url=config.dynatrace.platform,
            platform_token=config.secrets.output("dynatracePlatformToken"),
            owner=f"{pulumi.get_project()}/{config.stack}",
            config=config.signals,
            governance=config.governance,
            kong=config.kong,
        ),
    )
    outputs["signalsDetectorIds"] = signals.detector_ids
    outputs["signalsDashboardIds"] = signals.dashboard_ids
