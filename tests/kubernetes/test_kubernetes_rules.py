"""Rules: what the kubelet, the API server, EKS and EBS would refuse is refused before the plan.

- node labels: Kubernetes grammar (apimachinery ``IsLabelKey`` / ``IsLabelValue``), the kubelet's
  ``--node-labels`` rule (kubernetes.io / k8s.io namespaces only under node.kubernetes.io or
  kubelet.kubernetes.io, not the labels the kubelet sets itself), EKS's 1-63 characters;
- annotations: qualified-name keys, 256 KiB in all per object;
- model caches on EBS: no ReadWriteMany, at most 16 TiB (gp2/gp3); any claim 1Gi-64Ti;
- memory and scrape values within documented bounds; durations within Go's ``time.Duration``;
- capacity counts ``desiredSize`` nodes (no autoscaler); ``kubeconfigContext`` is never empty.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.k8s_grammar import ANNOTATIONS_TOTAL_MAX, annotations_problem, label_problem
from tests.conftest import FAKE_ENV, config_issues, stack_file

NS = "ai-observability"
ENV = FAKE_ENV
GO_MAX_NS = 2**63 - 1
UNIT_NS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def _with(section: str, *path: str | int, value: Any, stack: str = "dev") -> dict[str, Any]:
    raw = stack_file(stack)
    node = raw[f"{NS}:{section}"]
    for step in path[:-1]:
        node = node[step] if isinstance(step, int) else node.setdefault(step, {})
    node[path[-1]] = value
    return raw


def _labels(labels: dict[str, str]) -> dict[str, str]:
    return config_issues(_with("gpuNodeGroups", 0, "labels", value=labels))


LABELS_KEY = f"{NS}:gpuNodeGroups[0].labels"

# --- node labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("node-role.kubernetes.io/gpu", "kubelet refuses"),
        ("node-role.kubernetes.io/worker", "kubelet refuses"),
        ("app.kubernetes.io/name", "kubelet refuses"),
        ("kubernetes.io/team", "kubelet refuses"),
        ("k8s.io/pool", "kubelet refuses"),
        ("sub.k8s.io/pool", "kubelet refuses"),
        ("kubernetes.io/arch", "kubelet itself"),
        ("topology.kubernetes.io/zone", "kubelet itself"),
        ("node.kubernetes.io/instance-type", "kubelet itself"),
        ("eks.amazonaws.com/capacityType", "set by the stack or by EKS"),
        ("nvidia.com/gpu.present", "set by the stack or by EKS"),
    ],
)
def test_node_labels_the_kubelet_or_eks_refuse(key: str, expected: str) -> None:
    assert expected in _labels({key: "x"})[LABELS_KEY]


@settings(max_examples=40, deadline=None)
@given(
    sub=st.text(string.ascii_lowercase, min_size=1, max_size=8),
    domain=st.sampled_from(["kubernetes.io", "k8s.io"]),
)
def test_any_other_kubernetes_namespace_is_refused(sub: str, domain: str) -> None:
    key = f"{sub}.{domain}/pool"
    problem = _labels({key: "a"}).get(LABELS_KEY)
    if sub in ("node", "kubelet") and domain == "kubernetes.io":
        assert problem is None
    else:
        assert problem is not None
        assert "kubelet" in problem


@pytest.mark.parametrize(
    "labels",
    [
        {"node.kubernetes.io/gpu-pool": "a10g"},
        {"kubelet.kubernetes.io/tier": "gpu"},
        {"team": "ml"},
        {"example.com/accelerator": "nvidia-a10g"},
        {"my.kubernetes.io.example.com/x": "y"},  # ends in example.com, not kubernetes.io
    ],
)
def test_legitimate_node_labels_pass(labels: dict[str, str]) -> None:
    assert LABELS_KEY not in _labels(labels)


def test_eks_limits_node_labels_to_63_characters_and_non_empty_values() -> None:
    key = "example.com/" + "k" * 51  # 63 characters in all
    assert LABELS_KEY not in _labels({key: "v"})
    assert "EKS node group labels allow 63" in _labels({key + "k": "v"})[LABELS_KEY]
    assert "empty value is refused" in _labels({"team": ""})[LABELS_KEY]


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=70),
    value=st.text(string.ascii_letters + string.digits + "-_.", max_size=70),
)
def test_label_grammar_matches_apimachinery(name: str, value: str) -> None:
    edge_ok = name[0].isalnum() and name[-1].isalnum()
    value_ok = value == "" or (value[0].isalnum() and value[-1].isalnum())
    expected = edge_ok and len(name) <= 63 and value_ok and len(value) <= 63
    assert (label_problem(f"example.com/{name}", value) is None) == expected


def test_kong_selector_follows_the_grammar() -> None:
    problems = config_issues(_with("kong", "selector", value={"app.kubernetes.io/name": "-kong"}))
    assert "not a Kubernetes label value" in problems[f"{NS}:kong.selector"]
    assert not config_issues(_with("kong", "selector", value={"app.kubernetes.io/name": "kong", "release": "k_1.2"}))


def test_annotations_total_at_most_256_kib() -> None:
    key = "example.com/blob"
    assert annotations_problem({key: "x" * (ANNOTATIONS_TOTAL_MAX - len(key))}) is None
    assert "256 KiB" in str(annotations_problem({key: "x" * (ANNOTATIONS_TOTAL_MAX - len(key) + 1)}))
    assert "not" not in str(annotations_problem({"checkov.io/skip1": "CKV_K8S_1=reason"}))
    assert annotations_problem({"bad key": "x"}) is not None


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_rendered_object_has_valid_labels_and_annotations(stack: str) -> None:
    from tools.plan import evaluate_stack, kubernetes_manifest

    result = evaluate_stack(stack, env=ENV)
    manifests = [m for r in result.resources if (m := kubernetes_manifest(r)) is not None]
    assert manifests
    for manifest in manifests:
        metadata = manifest.get("metadata") or {}
        for key, value in (metadata.get("labels") or {}).items():
            assert label_problem(key, str(value)) is None, (manifest["kind"], key)
        assert annotations_problem(metadata.get("annotations") or {}) is None, manifest["kind"]


# --- model caches on EBS -------------------------------------------------------------------------


def test_read_write_many_on_an_ebs_class_is_refused() -> None:
    path = f"{NS}:nims[0].cacheAccessMode"
    assert "EBS" in config_issues(_with("nims", 0, "cacheAccessMode", value="ReadWriteMany"))[path]  # default class
    for ebs in ("gp2", "gp3"):
        raw = _with("nims", 0, "cacheAccessMode", value="ReadWriteMany")
        raw[f"{NS}:nims"][0]["storageClass"] = ebs
        assert "EBS" in config_issues(raw)[path]
    created = _with("nims", 0, "cacheAccessMode", value="ReadWriteMany", stack="prod")
    assert "gp3 EBS class" in config_issues(created, "prod")[path]
    efs = _with("nims", 0, "cacheAccessMode", value="ReadWriteMany")
    efs[f"{NS}:nims"][0]["storageClass"] = "efs-sc"
    assert path not in config_issues(efs)


@pytest.mark.parametrize(
    ("size", "storage_class", "refused_at"),
    [
        ("16Ti", None, None),
        ("17Ti", None, "cacheSize"),
        ("17Ti", "gp3", "cacheSize"),
        ("17Ti", "efs-sc", None),
        ("64Ti", "efs-sc", None),
        ("65Ti", "efs-sc", "cacheSize"),
        ("512Mi", "efs-sc", "cacheSize"),
        ("1Gi", None, None),
    ],
)
def test_cache_size_is_within_the_ebs_range(size: str, storage_class: str | None, refused_at: str | None) -> None:
    raw = _with("nims", 0, "cacheSize", value=size)
    if storage_class is not None:
        raw[f"{NS}:nims"][0]["storageClass"] = storage_class
    issues = config_issues(raw)
    if refused_at is None:
        assert not issues, issues
    else:
        assert f"{NS}:nims[0].{refused_at}" in issues


# --- memory and scrape bounds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "path", "value", "accepted"),
    [
        ("collector", ("resources", "memoryLimit"), "1Mi", False),
        ("collector", ("resources", "memoryLimit"), "127Mi", False),
        ("collector", ("resources", "memoryLimit"), "128Mi", True),
        ("collector", ("resources", "memoryRequest"), "64Mi", False),
        ("collector", ("resources", "memoryLimit"), "4Ti", False),
        ("telemetry", ("dcgmExporter", "memory"), "100Mi", False),
        ("telemetry", ("dcgmExporter", "memory"), "128Mi", True),
        ("nims", (0, "memoryLimit"), "512Mi", False),
        ("nims", (0, "shmSize"), "32Mi", False),
        ("nims", (0, "shmSize"), "64Mi", True),
        ("collector", ("scrapeInterval",), "1ms", False),
        ("collector", ("scrapeInterval",), "999ms", False),
        ("collector", ("scrapeInterval",), "1s", True),
        ("collector", ("nimScrape", "interval"), "500ms", False),
        ("kong", ("scrapeInterval",), "1ms", False),
        ("kong", ("scrapeInterval",), "5s", True),
    ],
)
def test_memory_and_scrape_values_are_bounded(
    section: str, path: tuple[str | int, ...], value: str, accepted: bool
) -> None:
    raw = _with(section, *path, value=value)
    if section == "collector" and path == ("resources", "memoryLimit") and accepted:
        raw[f"{NS}:collector"]["resources"]["memoryRequest"] = value
    if path == ("resources", "memoryRequest"):
        raw[f"{NS}:collector"]["resources"]["memoryLimit"] = "1Gi"
    issues = config_issues(raw)
    assert (not issues) == accepted, issues


@settings(max_examples=60, deadline=None)
@given(
    hours=st.integers(min_value=2562040, max_value=2562055) | st.integers(min_value=1, max_value=10**9),
)
def test_durations_beyond_go_time_duration_are_refused(hours: int) -> None:
    issues = config_issues(_with("collector", "maxStaleness", value=f"{hours}h"))
    fits = hours * UNIT_NS["h"] <= GO_MAX_NS
    assert (f"{NS}:collector.maxStaleness" not in issues) == fits, issues
    if not fits:
        assert "Go's time.Duration" in issues[f"{NS}:collector.maxStaleness"]


@settings(max_examples=40, deadline=None)
@given(unit=st.sampled_from(list(UNIT_NS)), delta=st.integers(min_value=-3, max_value=3))
def test_the_go_bound_is_computed_for_every_unit(unit: str, delta: int) -> None:
    count = GO_MAX_NS // UNIT_NS[unit] + delta
    issues = config_issues(_with("collector", "maxStaleness", value=f"{count}{unit}"))
    assert (f"{NS}:collector.maxStaleness" not in issues) == (count * UNIT_NS[unit] <= GO_MAX_NS)


# --- capacity and kubeconfig ------------------------------------------------------------------------


def test_a_nim_pinned_to_a_group_with_no_running_node_is_refused() -> None:
    raw = _with("gpuNodeGroups", 0, "scaling", value={"minSize": 0, "desiredSize": 0, "maxSize": 4})
    message = config_issues(raw)[f"{NS}:gpuNodeGroups[0].scaling.desiredSize"]
    assert "no autoscaler" in message
    assert "at least 1" in message
    assert not config_issues(_with("gpuNodeGroups", 0, "scaling", value={"minSize": 0, "desiredSize": 1, "maxSize": 1}))


def test_an_unpinned_nim_needs_a_group_that_runs_nodes() -> None:
    raw = _with("gpuNodeGroups", 0, "scaling", value={"minSize": 0, "desiredSize": 0, "maxSize": 2})
    del raw[f"{NS}:nims"][0]["nodeGroup"]
    assert "desiredSize 0" in config_issues(raw)[f"{NS}:nims[0]"]


@pytest.mark.parametrize(("context", "accepted"), [("", False), ("   ", False), ("arn:aws:eks:ctx", True)])
def test_kubeconfig_context_is_never_empty(context: str, accepted: bool) -> None:
    issues = config_issues(_with("eks", "kubeconfigContext", value=context))
    assert (f"{NS}:eks.kubeconfigContext" not in issues) == accepted, issues
