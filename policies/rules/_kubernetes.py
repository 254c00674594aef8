"""Reading Kubernetes objects in wire format (pod templates, containers, metadata)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._support import PropPath, get, items, obj

WORKLOAD_TEMPLATE_PATHS: dict[str, PropPath] = {
    "kubernetes:apps/v1:Deployment": ("spec", "template"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template"),
    "kubernetes:batch/v1:Job": ("spec", "template"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template"),
}
POD = "kubernetes:core/v1:Pod"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"  # noqa: S105 - a type token


def is_kubernetes(resource_type: str) -> bool:
    return resource_type.startswith("kubernetes:") and not resource_type.startswith("kubernetes:helm")


def pod_template_path(resource_type: str) -> PropPath | None:
    """Where the pod template (``metadata`` + ``spec``) lives; ``()`` for a bare Pod."""
    if resource_type == POD:
        return ()
    return WORKLOAD_TEMPLATE_PATHS.get(resource_type)


def pod_template(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = pod_template_path(resource_type)
    if path is None:
        return None
    return props if path == () else obj(props, *path)


def containers(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The containers and init containers of a pod template."""
    return [
        c for kind in ("containers", "initContainers") for c in items(template, "spec", kind) if isinstance(c, Mapping)
    ]


def container_paths(resource_type: str, props: Mapping[str, Any]) -> list[tuple[PropPath, Mapping[str, Any]]]:
    """(path, container) for every container of a workload, paths relative to the props."""
    base = pod_template_path(resource_type)
    if base is None:
        return []
    found = []
    for kind in ("containers", "initContainers"):
        for index, container in enumerate(items(get(props, *base) if base else props, "spec", kind)):
            if isinstance(container, Mapping):
                found.append(((*base, "spec", kind, index), container))
    return found
