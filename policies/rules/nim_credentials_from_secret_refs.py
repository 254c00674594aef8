"""NIM containers receive credentials only through Secret references.

Applies to NIM workloads; judges every container of the pod (sidecars and init containers
included). Compliant when every credential-named env variable (``NGC_API_KEY``, ``*_TOKEN``...)
comes from ``valueFrom.secretKeyRef`` and no credential-prefixed ``envFrom`` reads a ConfigMap.

Why: credentials must live in Kubernetes Secrets (encrypted, access-controlled), never in
manifests or ConfigMaps.

Fix: source the variable with ``valueFrom.secretKeyRef``; its value is
``ai-observability:ngcApiKey`` (``pulumi config set --secret``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._credentials import is_credential_name
from ._nim import NIM_CONFIG, per_nim_container
from ._support import Finding, ResourceRule, get, items, label, text, violation


@per_nim_container
def check(args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]) -> Iterator[Finding]:
    """NIM containers take credentials (NGC_API_KEY...) only from Secret references."""
    for env in items(container, "env"):
        name = text(env, "name")
        if not is_credential_name(name):
            continue
        if get(env, "valueFrom", "secretKeyRef", "name") is None:
            yield violation(
                f"{label(args)} container '{text(container, 'name')}' takes {name} from "
                f"{'a literal' if get(env, 'value') is not None else 'a non-Secret source'}",
                "credentials must live in Kubernetes Secrets (encrypted, access-controlled), never in "
                "manifests or ConfigMaps",
                f"source {name} with valueFrom.secretKeyRef; its value is ai-observability:ngcApiKey "
                "(pulumi config set --secret)",
            )
    for source in items(container, "envFrom"):
        prefix = text(source, "prefix") or ""
        if get(source, "configMapRef") is not None and is_credential_name(prefix):
            yield violation(
                f"{label(args)} container '{text(container, 'name')}' loads credential-named variables "
                "from a ConfigMap",
                "ConfigMaps are not for credentials",
                "use a secretRef (ai-observability:ngcApiKey)",
            )


nim_credentials_from_secret_refs = ResourceRule(
    "nim-credentials-from-secret-refs",
    "NIM containers receive credentials only through Secret references.",
    check,
    config_schema=NIM_CONFIG,
    remediation_steps="Use env valueFrom.secretKeyRef for NGC_API_KEY and other credentials.",
)
