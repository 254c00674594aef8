"""A small model of what happens to the scrape configuration between our YAML and a scrape.

1. The collector expands the YAML: ``${env:NAME}`` → the pod's env, ``$$`` → ``$`` (any other
   ``$`` is rejected here, so an unescaped relabel ``$1`` fails loudly).
2. Kubernetes service discovery, role ``pod``: the API server applies the namespace list and
   the field/label selectors; every container port becomes a target (``podIP:port``), a
   container without ports one port-less target (``podIP``).
3. Prometheus relabelling: source labels joined by ``separator`` (``;``), the regex fully
   anchored, ``keep``/``drop``/``replace`` (replacement expanded like Go's ``Regexp.Expand``);
   then ``__meta_*`` labels go, ``instance`` defaults to ``__address__`` and targets with the
   same label set collapse into one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def expand_collector(value: Any, env: Mapping[str, str]) -> Any:
    """The collector's config expansion applied to every string of ``value``."""
    if isinstance(value, dict):
        return {expand_collector(k, env): expand_collector(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_collector(v, env) for v in value]
    if not isinstance(value, str):
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("${env:", i):
            end = value.index("}", i)
            out.append(env[value[i + 6 : end]])  # KeyError: the pod does not provide it
            i = end + 1
        elif value[i] == "$":
            raise ValueError(f"unescaped '$' in {value!r}: the collector would expand it")
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


@dataclass
class Container:
    name: str
    ports: list[int] = field(default_factory=list)


@dataclass
class Pod:
    name: str
    node: str
    ip: str
    namespace: str = "default"
    phase: str = "Running"
    annotations: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    containers: list[Container] = field(default_factory=lambda: [Container("main")])

    def field_value(self, path: str) -> str:
        values = {"spec.nodeName": self.node, "metadata.namespace": self.namespace, "status.phase": self.phase}
        return values[path]  # KeyError: a field selector Kubernetes does not support for pods


def _sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _pod_targets(pod: Pod) -> list[dict[str, str]]:
    base = {
        "__meta_kubernetes_namespace": pod.namespace,
        "__meta_kubernetes_pod_name": pod.name,
        "__meta_kubernetes_pod_ip": pod.ip,
        "__meta_kubernetes_pod_uid": f"uid-{pod.name}",
        "__meta_kubernetes_pod_node_name": pod.node,
        "__meta_kubernetes_pod_phase": pod.phase,
    }
    for key, value in pod.annotations.items():
        base[f"__meta_kubernetes_pod_annotation_{_sanitize(key)}"] = value
        base[f"__meta_kubernetes_pod_annotationpresent_{_sanitize(key)}"] = "true"
    for key, value in pod.labels.items():
        base[f"__meta_kubernetes_pod_label_{_sanitize(key)}"] = value
        base[f"__meta_kubernetes_pod_labelpresent_{_sanitize(key)}"] = "true"
    targets = []
    for container in pod.containers:
        labels = {**base, "__meta_kubernetes_pod_container_name": container.name}
        if not container.ports:
            targets.append({**labels, "__address__": pod.ip})
        for port in container.ports:
            targets.append(
                {**labels, "__address__": f"{pod.ip}:{port}", "__meta_kubernetes_pod_container_port_number": str(port)}
            )
    return targets


def _selected(pod: Pod, sd: Mapping[str, Any]) -> bool:
    """The API server's filtering: namespaces, then the pod field and label selectors."""
    names = (sd.get("namespaces") or {}).get("names")
    if names and pod.namespace not in names:
        return False
    for selector in sd.get("selectors", []):
        assert selector["role"] == "pod", "only pod selectors apply to role pod"
        for term in filter(None, selector.get("field", "").split(",")):
            key, value = term.split("=", 1)
            if pod.field_value(key) != value:
                return False
        for term in filter(None, selector.get("label", "").split(",")):
            key, value = term.split("=", 1)
            if pod.labels.get(key) != value:
                return False
    return True


def discover(job: Mapping[str, Any], pods: Sequence[Pod]) -> list[dict[str, str]]:
    targets = []
    for sd in job.get("kubernetes_sd_configs", []):
        assert sd["role"] == "pod", f"this model only knows role pod, not {sd['role']}"
        targets += [t for pod in pods if _selected(pod, sd) for t in _pod_targets(pod)]
    return targets


def _go_expand(template: str, match: re.Match[str]) -> str:
    """Go ``Regexp.Expand``: ``$1``/``${1}``/``$name``; a name is the longest ``[A-Za-z0-9_]`` run."""
    out: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        if template.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if template.startswith("${", i):
            end = template.index("}", i)
            name, i = template[i + 2 : end], end + 1
        else:
            run = re.match(r"[A-Za-z0-9_]*", template[i + 1 :])
            name = run.group(0) if run else ""
            i += 1 + len(name)
            if not name:
                out.append("$")
                continue
        try:
            group = match.group(int(name)) if name.isdigit() else match.group(name)
        except IndexError:  # no such group: Go expands it to ""
            group = ""
        out.append(group or "")
    return "".join(out)


def relabel(labels: dict[str, str], rules: Sequence[Mapping[str, Any]]) -> dict[str, str] | None:
    """Prometheus ``relabel_configs``; None when the target is dropped."""
    labels = dict(labels)
    for rule in rules:
        action = rule.get("action", "replace")
        value = rule.get("separator", ";").join(labels.get(name, "") for name in rule.get("source_labels", []))
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if action == "keep":
            if match is None:
                return None
        elif action == "drop":
            if match is not None:
                return None
        elif action == "replace":
            if match is None:
                continue
            result = _go_expand(rule.get("replacement", "$1"), match)
            if result:
                labels[rule["target_label"]] = result
            else:
                labels.pop(rule["target_label"], None)
        else:
            raise NotImplementedError(f"relabel action {action!r}")
    return labels


@dataclass(frozen=True)
class Target:
    job: str
    address: str
    path: str
    interval: str


def scrape_targets(scrape_configs: Sequence[Mapping[str, Any]], pods: Sequence[Pod]) -> list[Target]:
    """What one collector (already env-expanded configuration) would scrape, deduplicated."""
    return sorted(_target_labels(scrape_configs, pods), key=lambda t: (t.job, t.address, t.path))


@dataclass(frozen=True)
class Series:
    """One scraped sample as stored: metric name, labels (target labels attached), value."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float
    family: str = ""
    """The metric family the sample belongs to (a histogram's ``_bucket``/``_sum``/``_count`` share one)."""
    kind: str = ""
    """The family's Prometheus type: ``counter``, ``gauge``, ``histogram``, ``summary``, ``unknown``."""

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)


def scrape_series(
    scrape_configs: Sequence[Mapping[str, Any]], pods: Sequence[Pod], expositions: Mapping[str, str]
) -> list[Series]:
    """The samples one collector stores when each target serves ``expositions[address]``.

    Prometheus attaches the target's labels (``job``, ``instance`` and what relabelling added) to
    every sample; with ``honor_labels`` false (the default) a sample label that clashes with a
    target label is kept as ``exported_<name>``. Targets with no exposition are skipped.
    """
    from prometheus_client.parser import text_string_to_metric_families

    stored: list[Series] = []
    for target, target_labels in _target_labels(scrape_configs, pods).items():
        text = expositions.get(target.address)
        if text is None:
            continue
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = dict(target_labels)
                for key, value in sample.labels.items():
                    labels[f"exported_{key}" if key in target_labels else key] = value
                stored.append(
                    Series(sample.name, tuple(sorted(labels.items())), float(sample.value), family.name, family.type)
                )
    return stored


def received_metrics(series: Sequence[Series]) -> dict[str, set[str]]:
    """Metric name → dimension names, as the collector's Prometheus receiver hands the samples on over
    OTLP (and Dynatrace stores them): a histogram's ``_bucket``/``_sum``/``_count`` samples are one
    histogram named after the family, without ``le``; a counter keeps its sample name (``…_total``:
    the receiver trims suffixes only with ``trim_metric_suffixes: true``, which the stack does not
    set — open-telemetry/opentelemetry-collector-contrib#24256 replaced the receiver's use of the
    ``pkg.translator.prometheus.NormalizeName`` gate with that option, default false); a counter's
    ``_created`` sample is its start time, no metric."""
    received: dict[str, set[str]] = {}
    for sample in series:
        if sample.kind in ("histogram", "summary"):
            name, labels = sample.family, {key for key, _ in sample.labels if key not in ("le", "quantile")}
        elif sample.kind == "counter" and sample.name.endswith("_created"):
            continue
        else:
            name, labels = sample.name, {key for key, _ in sample.labels}
        received.setdefault(name, set()).update(labels)
    return received


def _target_labels(scrape_configs: Sequence[Mapping[str, Any]], pods: Sequence[Pod]) -> dict[Target, dict[str, str]]:
    """Every deduplicated target with the labels it attaches to its samples."""
    found: dict[frozenset[tuple[str, str]], Target] = {}
    attached: dict[Target, dict[str, str]] = {}
    for job in scrape_configs:
        for discovered in discover(job, pods):
            labels = relabel(
                {
                    **discovered,
                    "job": job["job_name"],
                    "__scheme__": job.get("scheme", "http"),
                    "__metrics_path__": job.get("metrics_path", "/metrics"),
                    "__scrape_interval__": job["scrape_interval"],
                },
                job.get("relabel_configs", []),
            )
            if labels is None or not labels.get("__address__"):
                continue
            final = {k: v for k, v in labels.items() if not k.startswith("__meta_")}
            final.setdefault("instance", final["__address__"])
            target = Target(
                job=final["job"],
                address=final["__address__"],
                path=final["__metrics_path__"],
                interval=final["__scrape_interval__"],
            )
            found[frozenset(final.items())] = target
            attached[target] = {k: v for k, v in final.items() if not k.startswith("__")}
    return {target: attached[target] for target in found.values()}
