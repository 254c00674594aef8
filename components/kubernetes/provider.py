"""The Kubernetes provider every Kubernetes resource of the stack uses, and the namespaces it creates.

The provider authenticates like ``aws eks update-kubeconfig`` does: the cluster endpoint and CA
plus an exec credential (``aws eks get-token``), so no token is ever stored. For an existing
cluster a configured kubeconfig context can be used instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.metadata import k8s_labels


def render_kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, region: str) -> str:
    """A kubeconfig (JSON is YAML) using ``aws eks get-token`` as exec credential plugin."""
    user = f"aws-eks-{cluster_name}"
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": cluster_name,
    }
    return json.dumps(document, indent=2)


def kubeconfig(
    cluster_name: pulumi.Input[str],
    endpoint: pulumi.Input[str],
    certificate_authority: pulumi.Input[str],
    region: pulumi.Input[str],
) -> pulumi.Output[str]:
    """The kubeconfig for an EKS cluster, as a secret Output."""
    rendered = pulumi.Output.all(cluster_name, endpoint, certificate_authority, region).apply(
        lambda values: render_kubeconfig(*(str(v or "") for v in values))
    )
    return pulumi.Output.secret(rendered)


@dataclass(frozen=True)
class KubeProviderArgs:
    cluster_name: pulumi.Input[str]
    endpoint: pulumi.Input[str]
    certificate_authority: pulumi.Input[str]
    region: pulumi.Input[str]
    context: str | None = None
    """Use this context of the ambient kubeconfig instead of the generated one (existing clusters)."""


def kube_provider(name: str, args: KubeProviderArgs, opts: pulumi.ResourceOptions | None = None) -> k8s.Provider:
    """The explicit Kubernetes provider for the cluster (never the ambient default provider)."""
    if args.context is not None:
        return k8s.Provider(name, context=args.context, enable_server_side_apply=True, opts=opts)
    return k8s.Provider(
        name,
        kubeconfig=kubeconfig(args.cluster_name, args.endpoint, args.certificate_authority, args.region),
        enable_server_side_apply=True,
        opts=opts,
    )


class NamespaceRegistry:
    """Creates each namespace once, however many workloads share it."""

    def __init__(self, provider: k8s.Provider, opts: pulumi.ResourceOptions | None = None) -> None:
        self._opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(provider=provider))
        self._namespaces: dict[str, k8s.core.v1.Namespace] = {}

    def namespace(self, name: str) -> k8s.core.v1.Namespace:
        """The namespace ``name`` (Pod Security ``restricted`` enforced), created on first use."""
        if name not in self._namespaces:
            self._namespaces[name] = k8s.core.v1.Namespace(
                f"namespace-{name}",
                metadata={
                    "name": name,
                    "labels": {
                        **k8s_labels(name, "namespace"),
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/warn": "restricted",
                    },
                },
                opts=self._opts,
            )
        return self._namespaces[name]
