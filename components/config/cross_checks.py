"""Rules that span several config sections (references, required secrets, capacity)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from math import ceil
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from policies.rules._gpu_nodes import GpuInstance, gpu_instance

from ._base import Loc, duration_seconds, marked_values
from .access import group_key
from .arn import ArnKind, parse_arn
from .aws_regions import REGIONS
from .collector import COLLECTOR_SIGNAL_SCOPES
from .errors import ConfigIssue, key_path
from .kubernetes import (
    EBS_GP_MAX_VOLUME,
    EKS_DEFAULT_STORAGE_CLASS,
    RESERVED_NAMESPACES,
    STACK_STORAGE_CLASS,
    SYSTEM_NAMESPACES,
    NimConfig,
    cpu_cores,
    quantity_gib,
)
from .name_budgets import name_budget_issues
from .quantity import parse_quantity
from .region import InStackPartition

if TYPE_CHECKING:
    from .stack import StackConfig


def cross_check(config: StackConfig) -> list[ConfigIssue]:
    """Every cross-section problem of ``config`` (empty when consistent)."""
    return [
        *_kubernetes_needs_cluster(config),
        *_unique_names(config),
        *_node_group_references(config),
        *_required_secrets(config),
        *_ingest_token_scopes(config),
        *name_budget_issues(config),
        *_cache_storage(config),
        *_guardrail_regions(config),
        *_gpu_capacity(config),
        *_nim_namespaces(config),
        *_collector_checks(config),
        *_component_names(config),
        *_owned_namespaces(config),
        *_dashboards(config),
        *_aws_locations(config),
        *_access(config),
    ]


def _section_models(config: StackConfig) -> Iterator[tuple[str, Loc, BaseModel]]:
    """``(section key, index path, model)`` for every section model of the configuration."""
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if isinstance(item, BaseModel):
                yield to_camel(field.name), (() if index is None else (index,)), item


def _aws_locations(config: StackConfig) -> list[ConfigIssue]:
    """Every ARN and region the stack is given lies in the stack's partition, and regional ARNs in its region.

    Partitions are separate: an IAM principal, key or topic of another partition cannot be used at
    all. KMS keys are regional (a key is used only in its own region; a multi-Region key is given by
    its replica's ARN in this region), an alarm action publishes to a topic in the alarm's region,
    and CloudTrail delivers to EventBridge in the region where the call happened; the only ARN that
    may name another region is a trail declared multi-region (``existingTrailMultiRegion``).
    """
    region = config.aws_region
    partition = REGIONS.get(region) if region is not None else None
    if region is None or partition is None:
        return []  # no region to compare with (or an unknown one, reported by the region check)
    issues = []
    for key, prefix, model in _section_models(config):
        for loc, value, kind, owner in marked_values(model, ArnKind):
            arn = parse_arn(value, kind)
            path = key_path(key, (*prefix, *loc))
            if arn.partition != partition:
                issues.append(
                    ConfigIssue(
                        path,
                        f"is in partition {arn.partition}, but the stack deploys to {partition} "
                        f"(aws:region {region}); partitions share no resources",
                    )
                )
            elif kind.regional and arn.region != region:
                flag = kind.other_region_flag
                if flag is not None and getattr(owner, flag, False):
                    continue
                declared = f" (or set {to_camel(flag)}: true if it is a multi-region trail)" if flag else ""
                issues.append(
                    ConfigIssue(
                        path,
                        f"is in region {arn.region}, but the stack deploys to {region} (aws:region); give the "
                        f"{kind.service} resource in {region}{declared}",
                    )
                )
        for loc, value, _, _ in marked_values(model, InStackPartition):
            if REGIONS.get(value) not in (None, partition):
                issues.append(
                    ConfigIssue(
                        key_path(key, (*prefix, *loc)),
                        f"{value} is in partition {REGIONS[value]}, but the stack deploys to {partition} "
                        f"(aws:region {region})",
                    )
                )
    return issues


def _dashboards(config: StackConfig) -> list[ConfigIssue]:
    include = config.signals.dashboards.include or []
    if "kongGateway" in include and not config.kong.enabled:
        index = include.index("kongGateway")
        return [
            ConfigIssue(
                key_path("signals", ["dashboards", "include", index]),
                "kongGateway needs ai-observability:kong.enabled (the dashboard shows Kong's metrics)",
            )
        ]
    return []


def _kubernetes_needs_cluster(config: StackConfig) -> list[ConfigIssue]:
    if config.eks is not None:
        return []
    issues = []
    if config.gpu_node_groups:
        issues.append(ConfigIssue(key_path("gpuNodeGroups"), "needs ai-observability:eks (the cluster to join)"))
    if config.nims:
        issues.append(ConfigIssue(key_path("nims"), "needs ai-observability:eks (the cluster to deploy to)"))
    if config.collector.enabled:
        issues.append(
            ConfigIssue(key_path("collector", ["enabled"]), "needs ai-observability:eks; set it false or configure eks")
        )
    if config.kong.enabled:
        issues.append(ConfigIssue(key_path("kong", ["enabled"]), "needs ai-observability:eks"))
    return issues


def _unique_names(config: StackConfig) -> list[ConfigIssue]:
    issues = []
    groups = Counter(g.name for g in config.gpu_node_groups)
    for index, group in enumerate(config.gpu_node_groups):
        if groups[group.name] > 1:
            issues.append(
                ConfigIssue(
                    key_path("gpuNodeGroups", [index, "name"]), f"{group.name!r} is used twice; names must be unique"
                )
            )
    nims = Counter((n.namespace, n.name) for n in config.nims)
    for index, nim in enumerate(config.nims):
        if nims[(nim.namespace, nim.name)] > 1:
            issues.append(
                ConfigIssue(
                    key_path("nims", [index, "name"]), f"{nim.name!r} is used twice in namespace {nim.namespace!r}"
                )
            )
    if config.kong.enabled and not config.collector.enabled:
        issues.append(
            ConfigIssue(key_path("kong", ["enabled"]), "needs the collector (ai-observability:collector.enabled)")
        )
    return issues


def _node_group_references(config: StackConfig) -> list[ConfigIssue]:
    names = [g.name for g in config.gpu_node_groups]
    issues = []
    for index, nim in enumerate(config.nims):
        if nim.node_group is not None and nim.node_group not in names:
            allowed = ", ".join(names) or "none configured"
            issues.append(
                ConfigIssue(
                    key_path("nims", [index, "nodeGroup"]),
                    f"{nim.node_group!r} is not a configured GPU node group (gpuNodeGroups: {allowed})",
                )
            )
    return issues


def _required_secrets(config: StackConfig) -> list[ConfigIssue]:
    issues = []

    def need(key: str, env: str, why: str) -> None:
        if not config.secrets.has(key):
            issues.append(
                ConfigIssue(
                    key_path(key), f"is required {why}; set it with `pulumi config set --secret {key}` or ${env}"
                )
            )

    if config.governance.enabled:
        need("dynatraceApiToken", "DT_API_TOKEN", "to manage the token, pipeline and route (governance.enabled)")
    if config.access.enabled:
        why = "(access.enabled: the Account Management API accepts only OAuth clients)"
        need("dynatraceOAuthClientId", "DT_CLIENT_ID", why)
        need("dynatraceOAuthClientSecret", "DT_CLIENT_SECRET", why)
    platform_users = [
        what
        for what, on in (
            ("the Grail bucket (governance.enabled)", config.governance.enabled),
            ("the AI alerts and dashboards (signals.enabled)", config.signals.enabled),
            ("AWS monitoring (telemetry.bedrockMetrics.enabled)", config.telemetry.bedrock_metrics.enabled),
        )
        if on
    ]
    oauth = any(config.secrets.has(key) for key in ("dynatraceOAuthClientId", "dynatraceOAuthClientSecret"))
    if platform_users and not oauth and not config.access.enabled:
        need(
            "dynatracePlatformToken",
            "DT_PLATFORM_TOKEN",
            f"for {platform_users[0]}, unless an OAuth client is configured (dynatraceOAuthClientId and "
            "dynatraceOAuthClientSecret)",
        )
    mints_token = config.governance.enabled and config.governance.ingest_token.create
    if not mints_token and (config.event_forwarding.enabled or config.collector.enabled):
        need(
            "dynatraceIngestToken",
            "DT_INGEST_TOKEN",
            "when the stack does not mint the ingest token (governance.ingestToken.create)",
        )
    if any(n.ngc_credentials for n in config.nims):
        need("ngcApiKey", "NGC_API_KEY", "for NIM images pulled with NGC credentials (nims[*].ngcCredentials)")
    return issues


# Where the ingest token goes, and the scope each consumer's endpoint requires: EventBridge posts to
# /api/v2/bizevents/ingest, the collector to the OTLP API (one scope per signal it exports).
FORWARDER_SCOPE = "bizevents.ingest"


def _ingest_token_scopes(config: StackConfig) -> list[ConfigIssue]:
    """A token the stack mints carries every scope its consumers need (else Dynatrace answers 401/403)."""
    token = config.governance.ingest_token
    if not (config.governance.enabled and token.create):
        return []  # a configured token's scopes cannot be read offline
    needed: dict[str, str] = {}
    if config.event_forwarding.enabled:
        needed[FORWARDER_SCOPE] = "event forwarding (eventForwarding.enabled) posts business events"
    if config.collector.enabled:
        for signal, scope in COLLECTOR_SIGNAL_SCOPES.items():
            needed[scope] = f"the collector (collector.enabled) exports {signal}"
    missing = [f"{scope} ({why})" for scope, why in needed.items() if scope not in token.scopes]
    if not missing:
        return []
    return [
        ConfigIssue(
            key_path("governance", ["ingestToken", "scopes"]),
            f"lacks scopes its consumers need: {'; '.join(missing)}; add them, or disable the consumer",
        )
    ]


# Cross-region guardrail profile family per region prefix (most specific first).
_PROFILE_FAMILIES: tuple[tuple[str, str], ...] = (("us-gov-", "us-gov"), ("us-", "us"), ("eu-", "eu"), ("ap-", "apac"))


def _guardrail_regions(config: StackConfig) -> list[ConfigIssue]:
    """A guardrail's cross-region profile (required by the STANDARD tier) must match ``aws:region``."""
    region = config.aws_region
    if region is None or not config.guardrails.enabled:
        return []
    family = next((fam for prefix, fam in _PROFILE_FAMILIES if region.startswith(prefix)), None)
    issues = []
    for index, guardrail in enumerate(config.guardrails.guardrails):
        if guardrail.cross_region_profile is None:
            continue
        path = key_path("guardrails", ["guardrails", index, "crossRegionProfile"])
        if family is None:
            issues.append(
                ConfigIssue(
                    path,
                    f"no cross-region guardrail profile family is known for aws:region {region!r} "
                    "(known: us-*, eu-*, ap-*, us-gov-*)",
                )
            )
        elif guardrail.profile_family != family:
            issues.append(
                ConfigIssue(
                    path,
                    f"{guardrail.cross_region_profile!r} does not serve aws:region {region!r}; "
                    f"use the {family!r} family, e.g. '{family}.guardrail.v1:0'",
                )
            )
    return issues


# --- GPU capacity and NIM placement ----------------------------------------------------------

# What a node keeps for the kubelet, the OS and the DaemonSets (device plugin, collector, CNI):
# a pod request must leave at least this much of the instance free to ever be scheduled.
RESERVED_VCPUS: Final = 0.5
RESERVED_MEMORY_FRACTION: Final = 0.10


def schedulable_vcpus(instance: GpuInstance) -> float:
    """vCPUs a single pod may request on this instance type (capacity minus the reserve)."""
    return instance.vcpus - RESERVED_VCPUS


def schedulable_memory_gib(instance: GpuInstance) -> float:
    """Memory (GiB) a single pod may request on this instance type (capacity minus the reserve)."""
    return instance.memory_gib * (1 - RESERVED_MEMORY_FRACTION)


def _nim_fit_problems(nim: NimConfig, instance_type: str) -> list[tuple[str, str]]:
    """``(nim key, reason)`` for each way one pod of ``nim`` cannot fit a node of ``instance_type``."""
    instance = gpu_instance(instance_type)
    if instance is None:  # rejected by the node-group model already
        return []
    problems: list[tuple[str, str]] = []
    if nim.gpus > instance.gpus:
        problems.append(("gpus", f"{instance_type} has {instance.gpus} GPU(s) ({instance.gpu_model})"))
    elif nim.min_gpu_memory_gib is not None and nim.gpus * instance.gpu_memory_gib < nim.min_gpu_memory_gib:
        problems.append(
            (
                "minGpuMemoryGib",
                f"{nim.gpus} x {instance.gpu_model} on {instance_type} give "
                f"{nim.gpus * instance.gpu_memory_gib} GiB of GPU memory",
            )
        )
    if cpu_cores(nim.cpu_request) > schedulable_vcpus(instance):
        problems.append(
            ("cpuRequest", f"{instance_type} has {instance.vcpus} vCPUs, {schedulable_vcpus(instance):g} schedulable")
        )
    if quantity_gib(nim.memory_limit) > schedulable_memory_gib(instance):
        problems.append(
            (
                "memoryLimit",
                f"{instance_type} has {instance.memory_gib} GiB, about "
                f"{schedulable_memory_gib(instance):.0f} GiB schedulable",
            )
        )
    return problems


def _gpu_capacity(config: StackConfig) -> list[ConfigIssue]:
    """Every NIM pod fits its node group's instance types (GPUs, GPU memory, vCPUs, memory)."""
    groups = {group.name: (index, group) for index, group in enumerate(config.gpu_node_groups)}
    issues: list[ConfigIssue] = []
    gpus_pinned: dict[str, list[tuple[int, int]]] = {}
    unplaceable: set[str] = set()  # groups with a NIM that fits none of its nodes (reported above)
    for index, nim in enumerate(config.nims):
        if nim.node_group is None:
            issues.extend(_unpinned_fit(index, nim, config))
            continue
        if nim.node_group not in groups:
            continue  # reported by _node_group_references
        group_index, group = groups[nim.node_group]
        types_key = key_path("gpuNodeGroups", [group_index, "instanceTypes"])
        gpus_pinned.setdefault(group.name, []).append((index, nim.replicas * nim.gpus))
        by_key: dict[str, list[str]] = {}
        for instance_type in group.instance_types:
            for nim_key, reason in _nim_fit_problems(nim, instance_type):
                by_key.setdefault(nim_key, []).append(reason)
        requested = {
            "gpus": f"{nim.gpus} GPU(s)",
            "minGpuMemoryGib": f"{nim.min_gpu_memory_gib} GiB of GPU memory",
            "cpuRequest": f"a CPU request of {nim.cpu_request}",
            "memoryLimit": f"{nim.memory_limit} of memory",
        }
        for nim_key, reasons in by_key.items():
            issues.append(
                ConfigIssue(
                    key_path("nims", [index, nim_key]),
                    f"{requested[nim_key]} per pod do not fit node group {group.name!r} ({types_key}): "
                    f"{'; '.join(reasons)}; every instance type of the group must fit",
                )
            )
        if "gpus" in by_key:
            unplaceable.add(group.name)
    for name, demands in gpus_pinned.items():
        if name in unplaceable:
            continue
        group_index, group = groups[name]
        best = max(i.gpus for t in group.instance_types if (i := gpu_instance(t)) is not None)
        needed = sum(gpus for _, gpus in demands)
        # No cluster autoscaler is installed: the group runs desiredSize nodes, whatever maxSize says.
        if ceil(needed / best) > group.scaling.desired_size:
            users = ", ".join(f"nims[{i}]" for i, _ in demands)
            issues.append(
                ConfigIssue(
                    key_path("gpuNodeGroups", [group_index, "scaling", "desiredSize"]),
                    f"{group.scaling.desired_size} node(s) of at most {best} GPU(s) cannot hold the {needed} GPUs "
                    f"that replicas x gpus of {users} request (no autoscaler is installed, so desiredSize nodes "
                    f"run); raise desiredSize (and maxSize) to at least {ceil(needed / best)}",
                )
            )
    return issues


def _unpinned_fit(index: int, nim: NimConfig, config: StackConfig) -> list[ConfigIssue]:
    """A NIM without ``nodeGroup`` must fit at least one instance type of some GPU node group."""
    if not config.gpu_node_groups:
        return [
            ConfigIssue(
                key_path("nims", [index]),
                "needs a GPU node group to run on, but ai-observability:gpuNodeGroups is empty",
            )
        ]
    reasons: list[str] = []
    for group_index, group in enumerate(config.gpu_node_groups):
        for instance_type in group.instance_types:
            problems = _nim_fit_problems(nim, instance_type)
            if not problems and group.scaling.desired_size > 0:
                return []
            if not problems:
                reasons.append(f"gpuNodeGroups[{group_index}] runs no node (scaling.desiredSize 0, no autoscaler)")
                break
            reasons.append(f"gpuNodeGroups[{group_index}] {'; '.join(reason for _, reason in problems)}")
    return [
        ConfigIssue(
            key_path("nims", [index]),
            f"one pod fits no instance type of any GPU node group ({' | '.join(reasons)}); "
            "check gpus, cpuRequest, memoryLimit and minGpuMemoryGib",
        )
    ]


def _cache_storage(config: StackConfig) -> list[ConfigIssue]:
    """A NIM's model cache fits its storage: EBS volumes attach to one node (no ReadWriteMany) and
    gp2/gp3 volumes hold at most 16 TiB (Amazon EBS User Guide, "Amazon EBS volume types")."""
    created = config.eks is not None and config.eks.create
    issues = []
    for index, nim in enumerate(config.nims):
        if nim.storage_class is None:
            where = f"the stack's {STACK_STORAGE_CLASS} EBS class" if created else "the cluster's default class"
            on_ebs = True  # EKS's default class, where there is one, is gp2 (EBS)
        else:
            where = f"storageClass {nim.storage_class!r}"
            on_ebs = nim.storage_class in (STACK_STORAGE_CLASS, EKS_DEFAULT_STORAGE_CLASS)
        if not on_ebs:
            continue
        if nim.cache_access_mode == "ReadWriteMany":
            issues.append(
                ConfigIssue(
                    key_path("nims", [index, "cacheAccessMode"]),
                    f"ReadWriteMany on {where}: EBS volumes attach to one node only, so the claim never binds; "
                    "set nims[*].storageClass to a ReadWriteMany class (e.g. EFS), or ReadWriteOnce and one replica",
                )
            )
        if parse_quantity(nim.cache_size) > parse_quantity(EBS_GP_MAX_VOLUME):
            issues.append(
                ConfigIssue(
                    key_path("nims", [index, "cacheSize"]),
                    f"{nim.cache_size} exceeds {EBS_GP_MAX_VOLUME}, the largest gp2/gp3 EBS volume ({where})",
                )
            )
    return issues


def _nim_namespaces(config: StackConfig) -> list[ConfigIssue]:
    """NIM namespaces are created by the stack: they must not be one the collector or Kong owns."""
    owners = {}
    if config.collector.enabled:
        owners[config.collector.namespace] = "the collector's (ai-observability:collector.namespace)"
    if config.kong.enabled:
        owners[config.kong.namespace] = "Kong's (ai-observability:kong.namespace)"
    return [
        ConfigIssue(
            key_path("nims", [index, "namespace"]),
            f"{nim.namespace!r} is {owners[nim.namespace]}; NIMs need a namespace of their own",
        )
        for index, nim in enumerate(config.nims)
        if nim.namespace in owners
    ]


# --- collector and Kong ---------------------------------------------------------------------


def _collector_checks(config: StackConfig) -> list[ConfigIssue]:
    """Kong's scrape interval fits the delta state's lifetime; app namespaces are not stack-created."""
    collector, kong = config.collector, config.kong
    if not collector.enabled:
        return []
    issues = []
    if (
        kong.enabled
        and kong.discovery == "service"
        and duration_seconds(kong.scrape_interval) >= duration_seconds(collector.max_staleness)
    ):
        issues.append(
            ConfigIssue(
                key_path("kong", ["scrapeInterval"]),
                f"{kong.scrape_interval} must be shorter than collector.maxStaleness ({collector.max_staleness}); "
                "otherwise cumulativetodelta forgets every Kong series between two scrapes",
            )
        )
    nim_namespaces = {nim.namespace for nim in config.nims}
    for index, namespace in enumerate(collector.app_namespaces):
        if namespace in nim_namespaces:
            issues.append(
                ConfigIssue(
                    key_path("collector", ["appNamespaces", index]),
                    f"{namespace!r} is a NIM namespace the stack creates (nims[*].namespace); appNamespaces are "
                    "existing application namespaces",
                )
            )
    return issues


# --- names and namespaces the stack derives ------------------------------------------------


def _component_names(config: StackConfig) -> list[ConfigIssue]:
    """NIMs whose derived component name ``<namespace>-<name>`` is the same (same URN, one lost)."""
    first_seen: dict[str, int] = {}
    issues = []
    for index, nim in enumerate(config.nims):
        derived = f"{nim.namespace}-{nim.name}"
        if derived not in first_seen:
            first_seen[derived] = index
            continue
        other = first_seen[derived]
        if (config.nims[other].namespace, config.nims[other].name) == (nim.namespace, nim.name):
            continue  # the same name twice: reported by _unique_names
        issues.append(
            ConfigIssue(
                key_path("nims", [index, "name"]),
                f"{nim.namespace}/{nim.name} and {key_path('nims', [other])} "
                f"({config.nims[other].namespace}/{config.nims[other].name}) both become the component "
                f"{derived!r}; rename one (names must stay distinct once namespace and name are joined by '-')",
            )
        )
    return issues


def _owned_namespaces(config: StackConfig) -> list[ConfigIssue]:
    """The collector creates its namespace: never a system one or one another part of the stack owns."""
    collector, kong = config.collector, config.kong
    issues = []
    if kong.enabled and kong.namespace in SYSTEM_NAMESPACES:
        issues.append(
            ConfigIssue(
                key_path("kong", ["namespace"]),
                f"{kong.namespace!r} is a Kubernetes system namespace; the stack adds the kong-metrics Service "
                f"there (not allowed: {', '.join(SYSTEM_NAMESPACES)})",
            )
        )
    if not collector.enabled or not collector.create_namespace:
        return issues
    path = key_path("collector", ["namespace"])
    fix = "choose a namespace of its own (e.g. 'dynatrace') or set collector.createNamespace: false"
    namespace = collector.namespace
    if namespace in RESERVED_NAMESPACES:
        issues.append(
            ConfigIssue(
                path,
                f"{namespace!r} is a Kubernetes system namespace; the stack would create, relabel (Pod Security) and "
                f"own it (not allowed with createNamespace: {', '.join(RESERVED_NAMESPACES)}); {fix}",
            )
        )
    elif kong.enabled and namespace == kong.namespace:
        issues.append(ConfigIssue(path, f"{namespace!r} is Kong's namespace (ai-observability:kong.namespace); {fix}"))
    elif namespace in collector.app_namespaces:
        issues.append(
            ConfigIssue(path, f"{namespace!r} is listed in collector.appNamespaces (existing app namespaces); {fix}")
        )
    return issues


def _access(config: StackConfig) -> list[ConfigIssue]:
    """Access as code: the account, the environment, the negative rule and the bucket prefixes."""
    access = config.access
    if not access.enabled:
        return []
    issues = []
    if config.account_uuid is None:
        issues.append(
            ConfigIssue(
                key_path("dynatraceAccountUuid"),
                "is required for access.enabled (the account whose groups and policies the stack manages); "
                "Account Management > Identity & access management > OAuth clients shows the UUID",
            )
        )
    if config.dynatrace.environment_id is None:
        issues.append(
            ConfigIssue(
                key_path("access", ["enabled"]),
                "needs a Dynatrace SaaS environment URL (https://<environment-id>.live.dynatrace.com in "
                "ai-observability:dynatrace.environmentUrl): IAM policies are bound per environment ID",
            )
        )
    for index, name in access.forbidden_auditors(config.stack):
        issues.append(
            ConfigIssue(
                key_path("access", ["auditors", "groups", index, "name"]),
                f"{name!r} is listed in access.forbiddenGovernanceReaders: it must never read the governance "
                "bucket, which the auditors policy grants; remove it from one of the two lists",
            )
        )
    bucket = config.governance.bucket.name
    for index, prefix in enumerate(access.users.read_bucket_prefixes):
        if bucket.startswith(prefix):
            issues.append(
                ConfigIssue(
                    key_path("access", ["users", "readBucketPrefixes", index]),
                    f"{prefix!r} matches the governance bucket {bucket!r} "
                    "(ai-observability:governance.bucket.name): it may be read only through the auditors policy",
                )
            )
    kinds: dict[str, tuple[bool, str, str]] = {}
    for role, section in (("users", access.users), ("auditors", access.auditors)):
        for index, group in enumerate(section.bound_groups(config.stack)):
            here = f"access.{role}.groups[{index}]"
            seen = kinds.setdefault(group_key(group.name), (group.existing, here, group.name))
            if seen[2].casefold() != group.name.casefold():
                issues.append(
                    ConfigIssue(
                        key_path("access", [role, "groups", index, "name"]),
                        f"{group.name!r} and {seen[2]!r} ({seen[1]}) differ only in punctuation, spacing or case; "
                        "the stack names its resources after the group: choose distinct names",
                    )
                )
            elif seen[0] != group.existing:
                issues.append(
                    ConfigIssue(
                        key_path("access", [role, "groups", index, "existing"]),
                        f"group {group.name!r} is also {seen[1]} with existing: {str(seen[0]).lower()}; "
                        "one group is either created by the stack or an existing one",
                    )
                )
    return issues
