"""Rules that span several config sections (references, required secrets, capacity)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .errors import ConfigIssue, key_path

if TYPE_CHECKING:
    from .stack import StackConfig


def cross_check(config: StackConfig) -> list[ConfigIssue]:
    """Every cross-section problem of ``config`` (empty when consistent)."""
    return [
        *_kubernetes_needs_cluster(config),
        *_unique_names(config),
        *_node_group_references(config),
        *_required_secrets(config),
    ]


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
        need("dynatracePlatformToken", "DT_PLATFORM_TOKEN", "to manage the Grail bucket (governance.enabled)")
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
