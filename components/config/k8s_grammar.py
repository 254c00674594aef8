"""Kubernetes label and annotation grammar, and the node labels the kubelet and EKS accept.

Producers:

- the API server's grammar, k8s.io/apimachinery ``pkg/api/validate/content`` (``IsLabelKey``,
  which ``validation.IsQualifiedName`` aliases, and ``IsLabelValue``) and
  ``pkg/api/validation/objectmeta.go`` (``TotalAnnotationSizeLimitB = 256 * (1 << 10)``): a key is
  ``[prefix/]name``, the prefix a DNS-1123 subdomain of at most 253 characters, the name at most 63
  characters of ``[A-Za-z0-9_.-]`` with a letter or digit at both ends; a label value is empty or
  such a name; the annotations of one object total at most 256 KiB (keys plus values);
- the kubelet, kubernetes ``cmd/kubelet/app/options/options.go`` (``ValidateKubeletFlags``) with
  ``staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go`` (``IsKubeletLabel``): a node label
  in the ``kubernetes.io`` or ``k8s.io`` namespace (or a subdomain of either) is refused unless it
  is under ``kubelet.kubernetes.io`` or ``node.kubernetes.io`` or one of the labels the kubelet
  sets itself; so ``node-role.kubernetes.io/*`` is refused and the node never joins;
- EKS, the ``CreateNodegroup`` API (botocore ``eks`` model, ``labelKey`` / ``labelValue``): keys and
  values of managed node group labels have 1-63 characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

QUALIFIED_NAME_MAX: Final = 63
PREFIX_MAX: Final = 253
LABEL_VALUE_MAX: Final = 63
ANNOTATIONS_TOTAL_MAX: Final = 256 * 1024

_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

# The kubelet's own labels (well_known_labels.go ``kubeletLabels``): it may set them, it sets them itself.
KUBELET_LABELS: Final = frozenset(
    {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
    }
)
KUBELET_LABEL_NAMESPACES: Final = ("kubelet.kubernetes.io", "node.kubernetes.io")
_KUBERNETES_DOMAINS: Final = ("kubernetes.io", "k8s.io")
EKS_NODE_LABEL_MAX: Final = 63


def _in_domain(namespace: str, domain: str) -> bool:
    return namespace == domain or namespace.endswith("." + domain)


def qualified_name_problem(key: str) -> str | None:
    """Why ``key`` is no Kubernetes label or annotation key (None when it is one)."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "has an empty prefix before '/'"
    if "/" in prefix:
        return "has more than one '/'"
    if slash and (len(prefix) > PREFIX_MAX or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return f"prefix {prefix!r} must be a lower-case DNS subdomain of at most {PREFIX_MAX} characters"
    if not name:
        return "has an empty name"
    if len(name) > QUALIFIED_NAME_MAX:
        return f"name part has {len(name)} characters; at most {QUALIFIED_NAME_MAX}"
    if not _NAME.fullmatch(name):
        return "name part must be letters, digits, '-', '_' or '.', with a letter or digit at both ends"
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` is no Kubernetes label value (None when it is one; empty is allowed)."""
    if len(value) > LABEL_VALUE_MAX:
        return f"has {len(value)} characters; at most {LABEL_VALUE_MAX}"
    if value and not _NAME.fullmatch(value):
        return "must be letters, digits, '-', '_' or '.', with a letter or digit at both ends"
    return None


def label_problem(key: str, value: str) -> str | None:
    """Why ``key: value`` is no Kubernetes label, naming the part at fault (None when it is one)."""
    if (problem := qualified_name_problem(key)) is not None:
        return f"{key!r} is not a Kubernetes label key: it {problem}"
    if (problem := label_value_problem(value)) is not None:
        return f"{value!r} (label {key!r}) is not a Kubernetes label value: it {problem}"
    return None


def annotations_problem(annotations: Mapping[str, str]) -> str | None:
    """Why ``annotations`` cannot go on one object: a bad key, or more than 256 KiB in all."""
    for key in annotations:
        if (problem := qualified_name_problem(key.lower())) is not None:
            return f"annotation key {key!r} {problem}"
    total = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if total > ANNOTATIONS_TOTAL_MAX:
        return f"annotations total {total} bytes; at most {ANNOTATIONS_TOTAL_MAX} (256 KiB)"
    return None


def kubelet_node_label_problem(key: str) -> str | None:
    """Why the kubelet refuses (or overrides) node label ``key`` at start (None when it accepts it)."""
    namespace = key.rpartition("/")[0]
    if key in KUBELET_LABELS:
        return f"is set by the kubelet itself ({', '.join(sorted(KUBELET_LABELS))})"
    if any(_in_domain(namespace, domain) for domain in _KUBERNETES_DOMAINS) and not any(
        _in_domain(namespace, allowed) for allowed in KUBELET_LABEL_NAMESPACES
    ):
        return (
            "is in the kubernetes.io/k8s.io namespace, which the kubelet refuses in --node-labels unless under "
            f"{' or '.join(KUBELET_LABEL_NAMESPACES)} (node-role.kubernetes.io/* is applied after join, never by the "
            "node group)"
        )
    return None


def eks_node_label_problem(key: str, value: str) -> str | None:
    """Why EKS's CreateNodegroup refuses ``key: value`` (keys and values of 1-63 characters)."""
    if len(key) > EKS_NODE_LABEL_MAX:
        return f"key {key!r} has {len(key)} characters; EKS node group labels allow {EKS_NODE_LABEL_MAX} in all"
    if not 1 <= len(value) <= EKS_NODE_LABEL_MAX:
        return f"value of {key!r} must have 1-{EKS_NODE_LABEL_MAX} characters for EKS (an empty value is refused)"
    return None
