"""Collector OTLP exporters read their Authorization token from an environment variable.

Applies to the collector ConfigMap when it has an OTLP exporter. Compliant when every OTLP
exporter that sends to Dynatrace or carries an ``Authorization`` header takes the token from
``${env:...}`` and holds no token-shaped literal.

Why: ``config.yaml`` lives in a ConfigMap readable by anyone who can read the namespace; the
token belongs in a Secret exposed as an environment variable.

Fix: write ``headers.Authorization`` as ``Api-Token ${env:DT_API_TOKEN}`` with ``DT_API_TOKEN``
from a Secret (``ai-observability:dynatraceIngestToken`` or the minted token), as the collector
component does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pulumi_policy import ResourceValidationArgs

from ._collector import FIX_COMPONENT, NOT_COLLECTOR, collector_config, component_type, section
from ._credentials import token_kind
from ._support import ResourceRule, Verdict, get, judge, not_applicable, violation

OTLP_EXPORTER_TYPES = ("otlphttp", "otlp_http", "otlp", "otlp_grpc")
_ENV_REF = re.compile(r"\$\{(env:)?[A-Za-z_][A-Za-z0-9_]*\}")


def check(args: ResourceValidationArgs) -> Verdict:
    """OTLP exporters read the Authorization token from ${env:...}."""
    config = collector_config(args)
    if config is None:
        return not_applicable(NOT_COLLECTOR)
    exporters = {
        str(n): e
        for n, e in section(config, "exporters").items()
        if component_type(str(n)) in OTLP_EXPORTER_TYPES and isinstance(e, Mapping)
    }
    if not exporters:
        return not_applicable("the collector has no OTLP exporter")
    findings = []
    for name, exporter in exporters.items():
        headers = get(exporter, "headers")
        auth = None
        if isinstance(headers, Mapping):
            auth = next((v for k, v in headers.items() if str(k).lower() == "authorization"), None)
        endpoint = str(get(exporter, "endpoint") or "")
        to_dynatrace = "dynatrace" in endpoint or "/api/v2/otlp" in endpoint or "DT_" in endpoint
        if auth is None and not to_dynatrace:
            continue
        literal = _ENV_REF.sub("", str(auth or ""))
        if auth is None or not _ENV_REF.search(str(auth)) or token_kind(literal) is not None:
            findings.append(
                violation(
                    f"exporter '{name}' does not take its Authorization token from the environment "
                    f"({'no header' if auth is None else 'literal value, not shown'})",
                    "config.yaml lives in a ConfigMap readable by anyone who can read the namespace; the token "
                    "belongs in a Secret exposed as an env variable",
                    "write headers.Authorization as 'Api-Token ${env:DT_API_TOKEN}' with DT_API_TOKEN from a "
                    f"Secret (ai-observability:dynatraceIngestToken or the minted token); {FIX_COMPONENT}",
                )
            )
    return judge(findings)


collector_exporter_token_from_env = ResourceRule(
    "collector-exporter-token-from-env",
    "Collector OTLP exporters read their Authorization token from an environment variable.",
    check,
    remediation_steps="Use 'Api-Token ${env:DT_API_TOKEN}' with the variable sourced from a Secret.",
)
