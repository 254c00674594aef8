"""The rule framework (cdk-nag style) and small helpers shared by the rules.

A rule is a pure *check* that answers with a tri-state :class:`Verdict` — compliant,
non-compliant (with findings) or not applicable (with a reason) — so it never fires on
resources it does not understand. :class:`ResourceRule` and :class:`StackRule` adapt a check
to CrossGuard: the engine (``pulumi preview --policy-pack``) and the offline plan
(``policies.runner``) both call ``policy.validate``, which calls the very same check.

Every finding message says what is wrong, then ``Why: ...`` (the rationale) and
``Fix: ...`` (the remediation, naming the stack config key); build them with :func:`violation`.

Props arrive as the engine hands them to policies: the inputs the program registered (camelCase
for AWS and Kubernetes resources, the snake_case fields of the Dynatrace dynamic resources),
secrets unwrapped, nested objects as read-only ``Mapping``/``Sequence`` proxies (not
``dict``/``list``) that raise ``UnknownValueError`` when a value is unknown during preview.
Use the helpers below (``obj``, ``items``, ``text``, ``walk``) instead of ``isinstance(x, dict)``.

Each rule lives in ``policies/rules/<rule_name>.py`` (the policy name in snake_case), with a
one-line summary, what it checks, and ``Why:`` / ``Fix:`` paragraphs in its module docstring;
``python -m tools.policy_docs`` turns them into ``docs/policies.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

DYNAMIC_PREFIX = "pulumi-python:dynamic"
DYNATRACE_PREFIX = "pulumi-python:dynamic/dynatrace:"

PropPath = tuple[str | int, ...]


# ---------------------------------------------------------------------------------------------
# Tri-state answers
# ---------------------------------------------------------------------------------------------


class Outcome(Enum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not-applicable"


@dataclass(frozen=True)
class Finding:
    """One violation: the message (with ``Why:`` and ``Fix:``) and, for stack rules, the URN."""

    message: str
    urn: str | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    findings: tuple[Finding, ...] = ()
    reason: str = ""


def compliant() -> Verdict:
    return Verdict(Outcome.COMPLIANT)


def not_applicable(reason: str) -> Verdict:
    return Verdict(Outcome.NOT_APPLICABLE, reason=reason)


def judge(findings: Iterable[Finding]) -> Verdict:
    """Non-compliant with ``findings`` if there are any, else compliant."""
    found = tuple(findings)
    return Verdict(Outcome.NON_COMPLIANT, found) if found else compliant()


def violation(what: str, why: str, fix: str, urn: str | None = None) -> Finding:
    """A finding whose message carries the rationale and the remediation."""
    return Finding(f"{what.rstrip('.')}. Why: {why.rstrip('.')}. Fix: {fix.rstrip('.')}.", urn)


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def schema(**properties: dict[str, Any]) -> PolicyConfigSchema:
    """A policy config schema from JSON-schema property definitions (each with a ``default``)."""
    return PolicyConfigSchema(properties=dict(properties))


def string_list(default: list[str], description: str) -> dict[str, Any]:
    """A :func:`schema` property holding a list of strings (types, tags, image patterns)."""
    return {"type": "array", "items": {"type": "string"}, "default": default, "description": description}


def settings(args: ResourceValidationArgs | StackValidationArgs, config_schema: PolicyConfigSchema) -> dict[str, Any]:
    """The policy's settings: schema defaults overlaid with ``--policy-pack-config`` values."""
    merged: dict[str, Any] = {k: v["default"] for k, v in config_schema.properties.items() if "default" in v}
    merged.update(dict(args.get_config()))
    return merged


ArgsT = TypeVar("ArgsT", ResourceValidationArgs, StackValidationArgs)


class _TriStateRule(Generic[ArgsT]):
    """What :class:`ResourceRule` and :class:`StackRule` share: the constructor (the check plus
    the policy metadata) and the ``validate`` callback that reports the check's verdict.

    A mixin listed before the pulumi-policy base, whose ``__init__`` it calls cooperatively.
    """

    #: Whether findings are reported with their URN (stack rules) or without (resource rules).
    reports_urn: ClassVar[bool]
    check: Callable[[ArgsT], Verdict]

    def __init__(
        self,
        name: str,
        description: str,
        check: Callable[[ArgsT], Verdict],
        *,
        enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
        severity: Severity = Severity.HIGH,
        config_schema: PolicyConfigSchema | None = None,
        remediation_steps: str | None = None,
    ) -> None:
        self.check = check
        # The next class in the MRO is ResourceValidationPolicy or StackValidationPolicy; both take
        # these keywords, which the mixin's static base (object) does not know.
        policy_base: Any = super()
        policy_base.__init__(
            name=name,
            description=description,
            validate=self._validate,
            enforcement_level=enforcement_level,
            config_schema=config_schema,
            severity=severity,
            remediation_steps=remediation_steps,
        )

    def _validate(self, args: ArgsT, report_violation: ReportViolation) -> None:
        verdict = self.check(args)
        if verdict.outcome is Outcome.NOT_APPLICABLE:
            args.not_applicable(verdict.reason)
        for finding in verdict.findings:
            report_violation(finding.message, finding.urn if self.reports_urn else None)


class ResourceRule(_TriStateRule[ResourceValidationArgs], ResourceValidationPolicy):
    """A resource policy whose validation is the tri-state ``check``."""

    reports_urn = False


class StackRule(_TriStateRule[StackValidationArgs], StackValidationPolicy):
    """A stack policy whose validation is the tri-state ``check``."""

    reports_urn = True


# ---------------------------------------------------------------------------------------------
# Reading props (proxies, unknowns, JSON strings)
# ---------------------------------------------------------------------------------------------


def get(value: Any, *path: str | int) -> Any:
    """``value[path[0]][path[1]]...`` or None when absent, of the wrong shape, or unknown."""
    current = value
    for key in path:
        try:
            if isinstance(key, int):
                if not isinstance(current, Sequence) or isinstance(current, str) or key >= len(current):
                    return None
                current = current[key]
            else:
                if not isinstance(current, Mapping) or key not in current:
                    return None
                current = current[key]
        except UnknownValueError:
            return None
    return current


def obj(value: Any, *path: str | int) -> Mapping[str, Any]:
    """The object at ``path`` (empty when absent or not an object)."""
    found = get(value, *path)
    return found if isinstance(found, Mapping) else {}


def items(value: Any, *path: str | int) -> list[Any]:
    """The list at ``path`` (empty when absent or not a list); unknown elements are skipped."""
    found = get(value, *path)
    if not isinstance(found, Sequence) or isinstance(found, str | bytes):
        return []
    result = []
    for index in range(len(found)):
        try:
            result.append(found[index])
        except UnknownValueError:
            continue
    return result


def text(value: Any, *path: str | int) -> str | None:
    found = get(value, *path)
    return found if isinstance(found, str) else None


def number(value: Any, *path: str | int) -> float | None:
    found = get(value, *path)
    if isinstance(found, bool) or not isinstance(found, int | float):
        return None
    return float(found)


def is_unknown(value: Any, *path: str | int) -> bool:
    """True when the value at ``path`` exists but is unknown (during a real preview)."""
    current = value
    for key in path:
        try:
            if isinstance(key, int) or (isinstance(current, Mapping) and key in current):
                current = current[key]
            else:
                return False
        except UnknownValueError:
            return True
        except (IndexError, TypeError, KeyError):
            return False
    return False


def walk(value: Any, path: PropPath = ()) -> Iterator[tuple[PropPath, Any]]:
    """Every leaf (``path``, value) under ``value``; unknown values are skipped."""
    if isinstance(value, Mapping):
        for key in list(value):
            try:
                child = value[key]
            except UnknownValueError:
                continue
            yield from walk(child, (*path, str(key)))
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index in range(len(value)):
            try:
                child = value[index]
            except UnknownValueError:
                continue
            yield from walk(child, (*path, index))
    else:
        yield path, value


def json_value(value: Any, *path: str | int) -> Any:
    """A property holding JSON text (event patterns, policy documents) parsed; None if absent/not JSON.

    An unknown value raises ``UnknownValueError`` (the engine then reports that the policy
    cannot run during preview) rather than passing silently.
    """
    found: Any = value
    for key in path:
        if isinstance(key, int):
            if not isinstance(found, Sequence) or isinstance(found, str) or key >= len(found):
                return None
        elif not isinstance(found, Mapping) or key not in found:
            return None
        found = found[key]
    if not isinstance(found, str):
        return None
    try:
        return json.loads(found)
    except ValueError:
        return None


def dotted(path: PropPath) -> str:
    return ".".join(str(p) for p in path)


# ---------------------------------------------------------------------------------------------
# Resource kinds
# ---------------------------------------------------------------------------------------------


def is_dynamic_kind(args: ResourceValidationArgs | PolicyResource, kind: str) -> bool:
    """True for a Dynatrace dynamic resource of this stack of kind ``kind`` (e.g. ``GrailBucket``).

    The Dynatrace providers declare ``module="dynatrace"`` and their class name, so they register
    as ``pulumi-python:dynamic/dynatrace:<Kind>`` under the engine and the offline plan alike.
    """
    return args.resource_type == DYNATRACE_PREFIX + kind


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def of_kind(resources: Iterable[PolicyResource], kind: str) -> list[PolicyResource]:
    return [r for r in resources if is_dynamic_kind(r, kind)]


def label(resource: ResourceValidationArgs | PolicyResource) -> str:
    """How a finding names a resource: its logical name and type."""
    return f"{resource.resource_type.rsplit(':', 1)[-1]} '{resource.name}'"


# ---------------------------------------------------------------------------------------------
# Secrecy (visible only to the offline plan)
# ---------------------------------------------------------------------------------------------


def secret_paths(target: object) -> frozenset[PropPath] | None:
    """The prop paths that reached the resource as secrets, or None when not visible.

    The engine unwraps secrets before policies run, so under ``pulumi preview`` this is None.
    The offline plan (``policies.runner``) sees the wire inputs with secrets still wrapped and
    attaches the wrapped paths as a ``secret_paths`` attribute of the args / policy resource
    (a documented extension of this pack).
    """
    paths = getattr(target, "secret_paths", None)
    return paths if isinstance(paths, frozenset) else None


def is_secret(paths: frozenset[PropPath], path: PropPath) -> bool:
    """Secrecy covers a whole input: ``path`` is secret when it or an ancestor was wrapped."""
    return any(path[:length] in paths for length in range(len(path) + 1))
