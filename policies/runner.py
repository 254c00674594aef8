"""Runs the pack's own policies over resources outside the engine (the offline plan).

There is no second implementation: for every policy this calls ``policy.validate`` — the
same callable the analyzer calls under ``pulumi preview --policy-pack policies`` — with args
built the way the analyzer builds them:

- props are the wire inputs deserialized by ``pulumi_policy.deserialize.deserialize_properties``
  (secrets unwrapped to plain values) and wrapped in ``unknown_checking_proxy`` (read-only
  ``Mapping``/``Sequence`` proxies), exactly as in ``_PolicyAnalyzerServicer.Analyze``;
- enforcement levels and settings are resolved like ``--policy-pack-config``:
  ``{"all": level, "<policy>": level | {"enforcementLevel": level, <setting>: value}}``, the
  policy's own level (else the pack default, advisory) when unset, schema defaults for
  settings; ``remediate`` counts as ``mandatory`` (as the engine reports it);
- resource policies see custom resources; stack policies see every resource, with parents.

One documented extension: the args / policy resources carry ``secret_paths`` — the input
paths that were secret-wrapped on the wire — because the engine hides secrecy from policies.
Rules read it through ``policies.rules._support.secret_paths`` (None under the engine).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Protocol

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from .registry import Policy, all_policies
from .rules._support import PropPath

CONFIG_DIR = Path(__file__).resolve().parent / "config"
PACK_DEFAULT_LEVEL = EnforcementLevel.ADVISORY
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


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


@dataclass(frozen=True)
class NotApplicable:
    policy: str
    urn: str
    reason: str


@dataclass
class PackReport:
    """Everything the pack said: violations, and where a policy declared itself not applicable."""

    violations: list[Violation] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)

    def of_policy(self, name: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == name]


class _NotApplicableError(Exception):
    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason or ""


class PlanResourceValidationArgs(ResourceValidationArgs):
    """``ResourceValidationArgs`` plus ``secret_paths`` (the offline plan's extension)."""

    def __init__(self, *args: Any, secret_paths: frozenset[PropPath], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secret_paths = secret_paths

    def not_applicable(self, reason: str | None = None) -> NoReturn:
        raise _NotApplicableError(reason)


class PlanStackValidationArgs(StackValidationArgs):
    def not_applicable(self, reason: str | None = None) -> NoReturn:
        raise _NotApplicableError(reason)


class PlanPolicyResource(PolicyResource):
    """``PolicyResource`` plus ``secret_paths`` (the offline plan's extension)."""

    def __init__(self, *args: Any, secret_paths: frozenset[PropPath], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secret_paths = secret_paths


# ---------------------------------------------------------------------------------------------
# Pack configuration (the file passed as --policy-pack-config)
# ---------------------------------------------------------------------------------------------


def load_pack_config(stack: str, directory: Path = CONFIG_DIR) -> dict[str, Any]:
    """``policies/config/<stack>.json`` (the file passed as --policy-pack-config), or {}.

    Raises ``ValueError`` when the file is not valid for this pack (see ``pack_config_problems``).
    """
    path = directory / f"{stack}.json"
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text())
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: must be a JSON object")
    problems = pack_config_problems(loaded)
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return loaded


def pack_config_problems(pack_config: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``pack_config`` for this pack: unknown policies/settings, bad values."""
    policies = {p.name: p for p in all_policies()}
    levels = {level.value for level in EnforcementLevel}
    problems: list[str] = []
    for key, entry in pack_config.items():
        if key != "all" and key not in policies:
            problems.append(f"'{key}' is not a policy of this pack")
            continue
        if isinstance(entry, str):
            if entry not in levels:
                problems.append(f"'{key}': '{entry}' is not an enforcement level ({', '.join(sorted(levels))})")
            continue
        if not isinstance(entry, dict):
            problems.append(f"'{key}': must be an enforcement level or an object")
            continue
        level = entry.get("enforcementLevel")
        if level is not None and level not in levels:
            problems.append(f"'{key}.enforcementLevel': '{level}' is not an enforcement level")
        if key == "all":
            continue
        schema = policies[key].config_schema
        properties = schema.properties if schema is not None else {}
        for setting, value in entry.items():
            if setting == "enforcementLevel":
                continue
            spec = properties.get(setting)
            if spec is None:
                allowed = ", ".join(sorted(properties)) or "none"
                problems.append(f"'{key}.{setting}': unknown setting (allowed: {allowed})")
                continue
            problems.extend(f"'{key}.{setting}': {p}" for p in _value_problems(value, spec))
    return problems


def _value_problems(value: Any, spec: Mapping[str, Any]) -> list[str]:
    expected = spec.get("type")
    if isinstance(expected, str) and expected in _JSON_TYPES:
        ok = isinstance(value, _JSON_TYPES[expected]) and not (isinstance(value, bool) and expected != "boolean")
        if not ok:
            return [f"must be of type {expected}"]
    problems = []
    if "enum" in spec and value not in spec["enum"]:
        problems.append(f"must be one of {', '.join(map(str, spec['enum']))}")
    if "minimum" in spec and isinstance(value, int | float) and value < spec["minimum"]:
        problems.append(f"must be at least {spec['minimum']}")
    if "maximum" in spec and isinstance(value, int | float) and value > spec["maximum"]:
        problems.append(f"must be at most {spec['maximum']}")
    item_spec = spec.get("items")
    if isinstance(value, list) and isinstance(item_spec, Mapping):
        for index, item in enumerate(value):
            problems.extend(f"[{index}] {p}" for p in _value_problems(item, item_spec))
    return problems


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


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def wrapped_secret_paths(value: Any, path: PropPath = ()) -> frozenset[PropPath]:
    """Paths of every secret wrapper (``{SIG_KEY: SECRET_SIG, "value": ...}``) in wire inputs."""
    found: set[PropPath] = set()
    if isinstance(value, dict):
        if value.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG:
            return frozenset({path}) | wrapped_secret_paths(value.get("value"), path)
        for key, child in value.items():
            found |= wrapped_secret_paths(child, (*path, str(key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found |= wrapped_secret_paths(child, (*path, index))
    return frozenset(found)


@dataclass(frozen=True)
class _Prepared:
    """What every policy sees of one resource, built once (props are read-only, so sharing is pure)."""

    props: Any
    options: PolicyResourceOptions
    secret_paths: frozenset[PropPath]


def _prepare(resource: Resource) -> _Prepared:
    # Exactly what the analyzer hands a validation: secrets unwrapped, unknown-checking proxies.
    return _Prepared(
        props=unknown_checking_proxy(deserialize_properties(resource.inputs)),
        options=PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource.parent or None),
        secret_paths=wrapped_secret_paths(resource.inputs),
    )


def _policy_resources(resources: Sequence[Resource], prepared: Mapping[str, _Prepared]) -> list[PolicyResource]:
    built: dict[str, PolicyResource] = {}
    for r in resources:
        seen = prepared[r.urn]
        built[r.urn] = PlanPolicyResource(
            r.type,
            seen.props,
            r.urn,
            r.name,
            seen.options,
            None,
            None,
            [],
            {},
            secret_paths=seen.secret_paths,
        )
    for r in resources:
        if r.parent and r.parent in built:
            built[r.urn].parent = built[r.parent]
    return list(built.values())


def evaluate_policies(resources: Sequence[Resource], pack_config: Mapping[str, Any] | None = None) -> PackReport:
    """Run every enabled policy of the pack over ``resources``; violations and N/A answers."""
    pack_config = pack_config or {}
    problems = pack_config_problems(pack_config)
    if problems:
        raise ValueError("invalid policy pack config: " + "; ".join(problems))
    report = PackReport()
    custom = [r for r in resources if r.custom]
    # Like the analyzer, which deserialises a resource once and hands the same read-only props to
    # every policy: build them once per resource, not once per policy (nor once more for stack policies).
    prepared = {r.urn: _prepare(r) for r in resources}
    stack_resources: list[PolicyResource] | None = None
    for policy in all_policies():
        level, settings = resolve(policy, pack_config)
        if level == EnforcementLevel.DISABLED:
            continue
        if level == EnforcementLevel.REMEDIATE:
            level = EnforcementLevel.MANDATORY
        if isinstance(policy, ResourceValidationPolicy):
            for resource in custom:
                seen = prepared[resource.urn]
                args = PlanResourceValidationArgs(
                    resource.type,
                    seen.props,
                    resource.urn,
                    resource.name,
                    seen.options,
                    None,
                    settings,
                    secret_paths=seen.secret_paths,
                )
                with _Reporting(report, policy.name, level, resource.urn) as report_violation:
                    policy.validate(args, report_violation)
        elif isinstance(policy, StackValidationPolicy):
            if stack_resources is None:
                stack_resources = _policy_resources(resources, prepared)
            stack_args = PlanStackValidationArgs(stack_resources, settings)
            with _Reporting(report, policy.name, level, "") as report_violation:
                policy.validate(stack_args, report_violation)
    return report


def run_policies(resources: Sequence[Resource], pack_config: Mapping[str, Any] | None = None) -> list[Violation]:
    """Every violation the pack reports for ``resources``."""
    return evaluate_policies(resources, pack_config).violations


class _Reporting:
    """Collects what one validation reports, like the analyzer's response (N/A, unknowns)."""

    def __init__(self, report: PackReport, policy: str, level: EnforcementLevel, urn: str) -> None:
        self.report, self.policy, self.level, self.urn = report, policy, level, urn

    def __enter__(self) -> ReportViolation:
        def report_violation(message: str, urn: str | None = None) -> None:
            self.report.violations.append(Violation(self.policy, self.level.value, urn or self.urn, message))

        return report_violation

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _: Any) -> bool:
        if isinstance(error, _NotApplicableError):
            self.report.not_applicable.append(NotApplicable(self.policy, self.urn, error.reason))
            return True
        if isinstance(error, UnknownValueError):
            message = f"can't run policy '{self.policy}' during preview: {error.message}"
            self.report.violations.append(Violation(self.policy, EnforcementLevel.ADVISORY.value, self.urn, message))
            return True
        return False
