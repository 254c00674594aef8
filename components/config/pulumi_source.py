"""Reading the raw stack configuration from the Pulumi runtime (the only place that does), and the
checks that concern the configuration's keys rather than any one section."""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from ._base import NAMESPACE
from .encrypted_leaves import secret_texts
from .errors import ConfigError, ConfigIssue, key_path
from .production import is_production
from .secrets import SECRET_KEYS
from .stack import StackConfig, parse_stack_config

# How close a namespace must be to ours to be read as a typo of it (difflib ratio).
_NEAR_MISS_RATIO = 0.8


def _near_miss(namespace: str) -> bool:
    if namespace == NAMESPACE:
        return False
    folded = namespace.lower().replace("_", "-").replace(".", "-")
    return folded == NAMESPACE or difflib.SequenceMatcher(None, folded, NAMESPACE).ratio() >= _NEAR_MISS_RATIO


def config_key_issues(keys: Iterable[object]) -> list[ConfigIssue]:
    """Keys Pulumi would refuse (not ``<namespace>:<name>``) and namespaces that are typos of ours.

    A key in a misspelt namespace (``ai-observabilty:governance``) would otherwise be ignored and
    its section silently replaced by defaults.
    """
    issues: list[ConfigIssue] = []
    for key in keys:
        if not isinstance(key, str):
            issues.append(
                ConfigIssue(repr(key), f"is not a configuration key: keys are strings {NAMESPACE}:<name> (quote it)")
            )
            continue
        namespace, colon, name = key.partition(":")
        if not colon or not namespace or not name:
            issues.append(
                ConfigIssue(
                    key,
                    "is not a configuration key: keys have the form <namespace>:<name>,"
                    f" e.g. {NAMESPACE}:{name or key}",
                )
            )
        elif _near_miss(namespace):
            issues.append(
                ConfigIssue(
                    key,
                    f"unknown namespace {namespace!r}; did you mean {NAMESPACE}:{name}?"
                    f" (this project's keys are {NAMESPACE}:<key>)",
                )
            )
    return issues


def plaintext_secret_issues(
    raw: Mapping[str, Any], is_secret: Callable[[str], bool], stack: str, where: str
) -> list[ConfigIssue]:
    """Secret keys whose value is stored in plain text (``where`` names the file or the source)."""
    issues: list[ConfigIssue] = []
    for key in sorted(SECRET_KEYS):
        full_key = f"{NAMESPACE}:{key}"
        if full_key in raw and not is_secret(full_key):
            issues.append(
                ConfigIssue(
                    key_path(key),
                    f"is stored in plain text in {where}; secrets must be encrypted: delete that line, run"
                    f" `pulumi config set --secret {key} --stack {stack}` (it prompts for the value), and rotate"
                    " the credential since it was exposed (value not shown)",
                )
            )
    return issues


def raw_pulumi_config() -> dict[str, Any]:
    """Every config key the engine passed to this program (env bag, then explicit values)."""
    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    return raw


def project_issues(project: str) -> list[ConfigIssue]:
    """The project name is the namespace of bare keys and part of every URN: it must be ours."""
    if project == NAMESPACE:
        return []
    return [
        ConfigIssue(
            "Pulumi.yaml name",
            f"is {project!r}, but this program reads {NAMESPACE}:<key> and its URNs use the project name"
            f" {NAMESPACE!r}: keep 'name: {NAMESPACE}' (a rename would replace every resource)",
        )
    ]


def load_from_pulumi() -> StackConfig:
    """Validated configuration of the running stack; raises ``ConfigError``."""
    raw = raw_pulumi_config()
    stack = pulumi.get_stack()
    issues = project_issues(pulumi.get_project())
    issues += config_key_issues(raw)
    issues += plaintext_secret_issues(raw, runtime_config.is_config_secret, stack, f"Pulumi.{stack}.yaml")
    try:
        production = is_production(stack)
    except ValueError as error:
        raise ConfigError([*issues, ConfigIssue(f"policies/config/{stack}.json", str(error))]) from None
    secret_keys = {key for key in raw if runtime_config.is_config_secret(key)}
    encrypted = secret_texts(raw, secret_keys, stack)
    issues += encrypted.issues
    for warning in encrypted.warnings:
        pulumi.log.warn(warning)
    try:
        config = parse_stack_config(raw, os.environ, stack=stack, production=production, secret_keys=secret_keys)
    except ConfigError as error:
        raise ConfigError([*issues, *error.issues]) from None
    if issues:
        raise ConfigError(issues)
    return dataclasses.replace(config, encrypted_values=encrypted.texts)
