"""Every derived AWS name fits its service's limit, checked before anything is planned.

The names come from ``aws_names`` (the components name their resources through the same
classes), so the check measures exactly what ``pulumi up`` would send, including Pulumi's
auto-name suffix. One issue per config key: the tightest name it produces, and by how much to
shorten the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .aws_names import (
    AUTONAME_SUFFIX,
    DerivedName,
    ForwarderNames,
    InvocationLoggingNames,
    NodeGroupNames,
    control_plane_log_group,
    guardrail_name,
)
from .errors import ConfigIssue, key_path

if TYPE_CHECKING:
    from .stack import StackConfig


@dataclass(frozen=True)
class _Source:
    """A config key and the names derived from it."""

    path: str
    shorten: str
    """What to shorten, as the message says it (the key itself, or a choice of keys)."""
    names: tuple[DerivedName, ...]


def _sources(config: StackConfig) -> Iterator[_Source]:
    forwarding = config.event_forwarding
    if forwarding.enabled:
        names = ForwarderNames(forwarding.component_name)
        derived = [
            names.rule,
            names.connection,
            names.destination,
            names.target,
            names.target_role,
            names.target_policy,
            names.dead_letter_queue,
        ]
        if forwarding.trail.create:
            derived.append(names.trail)
        if forwarding.alarms.enabled:
            derived += names.alarms
            if forwarding.alarms.create_topic:
                derived.append(names.alarm_topic)
        path = key_path("eventForwarding", ["namePrefix"])
        yield _Source(path, "namePrefix", tuple(derived))
    guardrails = config.guardrails
    if guardrails.enabled:
        prefix_path = key_path("guardrails", ["namePrefix"])
        if guardrails.invocation_logging.enabled:
            logging = InvocationLoggingNames(guardrails.name_prefix)
            yield _Source(prefix_path, "namePrefix", (logging.log_group, logging.role, logging.role_policy))
        for index, guardrail in enumerate(guardrails.guardrails):
            yield _Source(
                key_path("guardrails", ["guardrails", index, "name"]),
                "the name or guardrails.namePrefix",
                (guardrail_name(guardrails.name_prefix, guardrail.name),),
            )
    if config.eks is not None and config.eks.create:
        yield _Source(
            key_path("eks", ["clusterName"]), "clusterName", (control_plane_log_group(config.eks.cluster_name),)
        )
    for index, group in enumerate(config.gpu_node_groups):
        group_names = NodeGroupNames(group.name)
        yield _Source(
            key_path("gpuNodeGroups", [index, "name"]), "the name", (group_names.node_group, group_names.node_role)
        )


def _describe(name: DerivedName) -> str:
    suffix = f", counting the {AUTONAME_SUFFIX} characters Pulumi's auto-naming appends" if name.auto_named else ""
    return (
        f"the {name.limit.what} {name.shown!r} would have {name.length} characters{suffix}; "
        f"AWS allows {name.limit.max_length} ({name.limit.source})"
    )


def _issues(source: _Source) -> Iterable[ConfigIssue]:
    worst = max(source.names, key=lambda n: n.excess)
    if worst.excess > 0:
        yield ConfigIssue(source.path, f"{_describe(worst)}: shorten {source.shorten} by {worst.excess} character(s)")
    for name in source.names:
        problem = name.limit.problem(name.text) if name.limit.problem is not None else None
        if problem is not None:
            yield ConfigIssue(source.path, f"the {name.limit.what} {name.text!r} {problem} ({name.limit.source})")


def name_budget_issues(config: StackConfig) -> list[ConfigIssue]:
    """Every config key whose derived AWS names break a service's name rule."""
    return [issue for source in _sources(config) for issue in _issues(source)]
