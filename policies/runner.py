"""Runs the pack's own rule functions over resources outside the engine (the offline plan).

Enforcement levels and per-policy settings are resolved like ``--policy-pack-config``:
``{"all": level, "<policy>": level | {"enforcementLevel": level, <setting>: value}}``, with
defaults from each policy's config schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties

from .registry import Policy, all_policies

CONFIG_DIR = Path(__file__).resolve().parent / "config"
PACK_DEFAULT_LEVEL = EnforcementLevel.ADVISORY


class Resource(Protocol):
    """What the runner needs of a registered resource (tools.plan.PlannedResource fits)."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement: str
    urn: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def load_pack_config(stack: str, directory: Path = CONFIG_DIR) -> dict[str, Any]:
    """``policies/config/<stack>.json`` (the file passed as --policy-pack-config), or {}."""
    path = directory / f"{stack}.json"
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text())
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: must be a JSON object")
    return loaded


def resolve(policy: Policy, pack_config: Mapping[str, Any]) -> tuple[EnforcementLevel, dict[str, Any]]:
    """Effective enforcement level and settings of ``policy`` under ``pack_config``."""
    level = policy.enforcement_level or PACK_DEFAULT_LEVEL
    settings: dict[str, Any] = {}
    schema = policy.config_schema
    if schema is not None:
        settings.update({k: v["default"] for k, v in schema.properties.items() if "default" in v})
    for key in ("all", policy.name):
        entry = pack_config.get(key)
        if isinstance(entry, str):
            level = EnforcementLevel(entry)
        elif isinstance(entry, dict):
            if "enforcementLevel" in entry:
                level = EnforcementLevel(entry["enforcementLevel"])
            if key == policy.name:
                settings.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
    return level, settings


def _props(resource: Resource) -> dict[str, Any]:
    # Exactly what the engine hands a validation: secrets unwrapped to plain values.
    return deserialize_properties(resource.inputs)


def run_policies(resources: Sequence[Resource], pack_config: Mapping[str, Any] | None = None) -> list[Violation]:
    """Every violation the pack reports for ``resources`` (custom resources are validated)."""
    pack_config = pack_config or {}
    violations: list[Violation] = []
    custom = [r for r in resources if r.custom]
    for policy in all_policies():
        level, settings = resolve(policy, pack_config)
        if level == EnforcementLevel.DISABLED:
            continue

        if isinstance(policy, ResourceValidationPolicy):
            for resource in custom:
                args = ResourceValidationArgs(
                    resource.type,
                    _props(resource),
                    resource.urn,
                    resource.name,
                    _options(resource),
                    None,
                    settings,
                )
                for validate in _validators(policy):
                    validate(args, _reporter(violations, policy.name, level, resource.urn))
        else:
            stack_args = StackValidationArgs(_policy_resources(custom), settings)
            for validate in _validators(policy):
                validate(stack_args, _reporter(violations, policy.name, level, ""))
    return violations


def _reporter(sink: list[Violation], policy: str, level: EnforcementLevel, default_urn: str) -> Any:
    def report(message: str, urn: str | None = None) -> None:
        sink.append(Violation(policy, level.value, urn or default_urn, message))

    return report


def _validators(policy: Policy) -> list[Any]:
    validate = policy.validate
    return list(validate) if isinstance(validate, list) else [validate]


def _policy_resources(resources: Sequence[Resource]) -> list[PolicyResource]:
    return [
        PolicyResource(
            r.type,
            _props(r),
            r.urn,
            r.name,
            _options(r),
            None,
            None,
            [],
            {},
        )
        for r in resources
    ]


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource.parent or None)
