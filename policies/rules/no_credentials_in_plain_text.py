"""No Dynatrace token or NGC key appears in a ConfigMap, env literal, tag or annotation.

Applies to AWS and Kubernetes resources (not Kubernetes Secrets, where credentials belong).
Compliant when no token-shaped string (``dt0c01.``, ``dt0s16.``, ``nvapi-``) appears in AWS
tags, Kubernetes labels or annotations, ConfigMap data (binary data decoded), or a container's
env literals, command or args; and no container env variable with a credential name
(``*_TOKEN``, ``*_API_KEY``, ``*PASSWORD``...) is given as a literal ``value``. Needs no secrecy
information, so it runs under the engine and the offline plan alike.

Why: ConfigMaps, env literals, tags and annotations are readable by anyone with read access to
the cluster or account, and are stored in plain text in Pulumi state and logs.

Fix: pass credentials as secret config (``ai-observability:dynatraceApiToken`` /
``dynatracePlatformToken`` / ``ngcApiKey`` via ``pulumi config set --secret``), consumed through
a Kubernetes Secret (``valueFrom.secretKeyRef``) or the EventBridge connection.
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
    Finding,
    PropPath,
    ResourceRule,
    Verdict,
    dotted,
    get,
    items,
    judge,
    label,
    not_applicable,
    text,
    violation,
    walk,
)

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


def check(args: ResourceValidationArgs) -> Verdict:
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
    check,
    remediation_steps="Keep credentials in secret config keys and reference them via Kubernetes Secrets.",
)
