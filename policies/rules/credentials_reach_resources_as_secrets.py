"""Credentials reach their resources as Pulumi secrets (checked by the offline plan).

Applies to every resource with a credential value: a token-shaped value anywhere in its inputs,
the EventBridge connection's API-key value, Kubernetes Secret data, or a credential-named input
of a dynamic resource. Compliant when each reached the resource secret-wrapped. The engine
unwraps secrets before policies see props, so under ``pulumi preview --policy-pack`` this rule
answers not applicable; the offline plan sees the wrapped wire inputs and passes the secret
paths to the rule (the ``secret_paths`` extension of ``policies.runner``).

Why: a plain value is stored unencrypted in the Pulumi state, shown in previews and diffs, and
may end up in logs.

Fix: keep the credential a secret end to end: set ``ai-observability:dynatraceApiToken`` /
``dynatracePlatformToken`` / ``dynatraceIngestToken`` / ``ngcApiKey`` with
``pulumi config set --secret`` and pass it on as ``pulumi.Output.secret``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._credentials import is_credential_name, token_kind
from ._kubernetes import SECRET
from ._support import (
    DYNAMIC_PREFIX,
    PropPath,
    ResourceRule,
    Verdict,
    dotted,
    get,
    is_secret,
    judge,
    label,
    not_applicable,
    secret_paths,
    violation,
    walk,
)

EVENT_CONNECTION = "aws:cloudwatch/eventConnection:EventConnection"


def credential_paths(resource_type: str, props: Mapping[str, Any]) -> list[tuple[PropPath, str]]:
    """(path, what) of every value that is a credential and so must reach the resource as a secret."""
    found: dict[PropPath, str] = {}
    for path, value in walk(props):
        if path and path[0] == "__provider":
            continue
        kind = token_kind(value)
        if kind is not None:
            found[path] = kind
        elif (
            resource_type.startswith(DYNAMIC_PREFIX)
            and isinstance(value, str)
            and value
            and is_credential_name(path[-1] if path else None)
        ):
            found[path] = f"credential input '{path[-1]}'"
    if resource_type == EVENT_CONNECTION and isinstance(get(props, "authParameters", "apiKey", "value"), str):
        found[("authParameters", "apiKey", "value")] = "API-key header value"
    if resource_type == SECRET:
        for key in ("data", "stringData"):
            for path, value in walk(get(props, key), (key,)):
                if value is not None:
                    found.setdefault(path, "Secret data")
    return sorted(found.items(), key=lambda item: dotted(item[0]))


def check(args: ResourceValidationArgs) -> Verdict:
    """Every credential value reaches its resource as a Pulumi secret (offline plan only)."""
    paths = secret_paths(args)
    if paths is None:
        return not_applicable(
            "the engine unwraps secrets before policies run; the offline plan (python -m tools.plan) checks this"
        )
    credentials = credential_paths(args.resource_type, args.props)
    if not credentials:
        return not_applicable("the resource has no credential values")
    return judge(
        violation(
            f"{label(args)} receives a {what} at {dotted(path)} that is not a Pulumi secret",
            "a plain value is stored unencrypted in the Pulumi state, shown in previews and diffs, "
            "and may end up in logs",
            "keep the credential a secret end to end: set ai-observability:dynatraceApiToken / "
            "dynatracePlatformToken / dynatraceIngestToken / ngcApiKey with `pulumi config set --secret` "
            "and pass it on as pulumi.Output.secret",
        )
        for path, what in credentials
        if not is_secret(paths, path)
    )


credentials_reach_resources_as_secrets = ResourceRule(
    "credentials-reach-resources-as-secrets",
    "Credentials (tokens, API-key values, Secret data) reach their resources as Pulumi secrets "
    "(visible to the offline plan only).",
    check,
    remediation_steps="Wrap credentials in pulumi.Output.secret from config to resource.",
)
