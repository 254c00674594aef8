"""Credentials stay secret.

- ``no-credentials-in-plain-text`` (resource, works under the engine and the offline plan): no
  token-shaped string (``dt0c01.``, ``dt0s16.``, ``nvapi-``) in a ConfigMap, a container's
  env literals/command/args, AWS tags, or Kubernetes labels/annotations; and no container env
  variable with a credential name (``*_TOKEN``, ``*_API_KEY``, ``*PASSWORD``...) given as a
  literal ``value`` instead of ``valueFrom.secretKeyRef``.
- ``credentials-reach-resources-as-secrets`` (resource, offline plan only): every credential —
  a token-shaped value anywhere, the EventBridge connection's API-key value, Kubernetes
  Secret data, a credential-named input of a Dynatrace dynamic resource — reaches its resource
  as a Pulumi secret. The engine unwraps secrets before policies see props, so under
  ``pulumi preview --policy-pack`` this rule answers *not applicable*; the offline plan sees
  the wrapped wire inputs and passes the secret paths (``secret_paths`` extension).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._credentials import is_credential_name, token_kind
from ._kubernetes import CONFIG_MAP, SECRET, container_paths, is_kubernetes, pod_template_path
from ._support import (
    DYNAMIC_PREFIX,
    Finding,
    PropPath,
    ResourceRule,
    Verdict,
    dotted,
    get,
    is_secret,
    items,
    judge,
    label,
    not_applicable,
    secret_paths,
    text,
    violation,
    walk,
)

EVENT_CONNECTION = "aws:cloudwatch/eventConnection:EventConnection"
_WHY_PLAIN = (
    "ConfigMaps, env literals, tags and annotations are readable by anyone with read access to the "
    "cluster or account, and are stored in plain text in Pulumi state and logs"
)


def _decoded(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def plain_text_locations(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[PropPath, Any]]:
    """(path, value) of every value stored in plain text: where no credential may appear."""
    if resource_type.startswith("aws:"):
        for tags_key in ("tags", "tagsAll"):
            yield from walk(get(props, tags_key), (tags_key,))
    if not is_kubernetes(resource_type):
        return
    for key in ("annotations", "labels"):
        yield from walk(get(props, "metadata", key), ("metadata", key))
    if resource_type == CONFIG_MAP:
        yield from walk(get(props, "data"), ("data",))
        for path, value in walk(get(props, "binaryData"), ("binaryData",)):
            yield path, _decoded(value)
    template = pod_template_path(resource_type)
    if template is not None:
        if template:
            for key in ("annotations", "labels"):
                yield from walk(get(props, *template, "metadata", key), (*template, "metadata", key))
        for path, container in container_paths(resource_type, props):
            for index, env in enumerate(items(container, "env")):
                yield (*path, "env", index, "value"), get(env, "value")
            for key in ("command", "args"):
                yield from walk(get(container, key), (*path, key))


def literal_credential_envs(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[PropPath, str]]:
    """(path, name) of container env variables named like credentials but given as literals."""
    for path, container in container_paths(resource_type, props):
        for index, env in enumerate(items(container, "env")):
            name = text(env, "name")
            value = get(env, "value")
            if is_credential_name(name) and isinstance(value, str) and value:
                yield (*path, "env", index), str(name)


def check_plain_text(args: ResourceValidationArgs) -> Verdict:
    """No credential in plain-text places (ConfigMaps, env literals, tags, annotations)."""
    if not (args.resource_type.startswith("aws:") or is_kubernetes(args.resource_type)):
        return not_applicable("only AWS and Kubernetes resources")
    if args.resource_type == SECRET:
        return not_applicable("a Kubernetes Secret is where credentials belong")
    findings: list[Finding] = []
    for path, value in plain_text_locations(args.resource_type, args.props):
        kind = token_kind(value)
        if kind is not None:
            findings.append(
                violation(
                    f"{label(args)} holds a {kind} in plain text at {dotted(path)} (value not shown)",
                    _WHY_PLAIN,
                    "pass the credential as a secret: ai-observability:dynatraceApiToken / "
                    "dynatracePlatformToken / ngcApiKey via `pulumi config set --secret`, consumed "
                    "through a Kubernetes Secret (secretKeyRef) or the EventBridge connection",
                )
            )
    for path, name in literal_credential_envs(args.resource_type, args.props):
        findings.append(
            violation(
                f"{label(args)} sets credential variable {name} as a literal at {dotted(path)} (value not shown)",
                _WHY_PLAIN,
                f"source {name} from a Kubernetes Secret (env valueFrom.secretKeyRef); the value comes "
                "from a secret config key such as ai-observability:ngcApiKey",
            )
        )
    return judge(findings)


no_credentials_in_plain_text = ResourceRule(
    "no-credentials-in-plain-text",
    "No Dynatrace token or NGC key appears in a ConfigMap, env literal, tag or annotation.",
    check_plain_text,
    remediation_steps="Keep credentials in secret config keys and reference them via Kubernetes Secrets.",
)


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


def check_secrecy(args: ResourceValidationArgs) -> Verdict:
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
    check_secrecy,
    remediation_steps="Wrap credentials in pulumi.Output.secret from config to resource.",
)
