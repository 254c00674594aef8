"""The configuration the offline plan hands the program, built as the Pulumi CLI builds it, and what
the plan stands in for because it cannot know it — always visibly.

``tools.stack_config`` turns the stack file and ``Pulumi.yaml`` into the CLI's configuration. Then:

- a secret key (``dynatraceApiToken``, ...) that is encrypted, or absent with no environment fallback,
  gets a shape-valid placeholder when the stack needs it (named in the summary);
- an encrypted value inside a section (what ``pulumi config set --secret --path`` writes) gets a
  stand-in text: ``plan-placeholder`` where the field accepts it (so the plan shows where the value
  flows: what the program keeps secret, which names derive from it), else the field's text default,
  and the program is told where those leaves are (``PlanConfig.encrypted``). A decrypted value
  always reaches the program as text, so a stand-in where a number or a boolean belongs is refused,
  as ``pulumi up`` would refuse the decrypted text. The key is marked secret, as the CLI marks it;
- a section encrypted as a whole is refused: the plan cannot read it, and never plans a section
  from its defaults;
- the region every ARN names: ``aws:region``; else ``$AWS_REGION``/``$AWS_DEFAULT_REGION``, as the AWS
  provider reads them; else ``us-east-1``, said in the summary. A production stack
  (``components.config.production``) must set ``aws:region``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from components.config import (
    NAMESPACE,
    SECRET_SPECS,
    ConfigError,
    ConfigIssue,
    StackConfig,
    key_path,
    parse_stack_config,
)
from components.config.encrypted_leaves import EncryptedLeaves
from components.config.errors import field_at
from components.config.production import is_production
from components.config.pulumi_source import config_key_issues, plaintext_secret_issues
from components.config.region import region_issues
from components.config.secrets import SECRET_KEYS
from components.config.stack import SECTIONS

from .pulumi_project import Project, load_project
from .stack_config import (
    ConfigKeyError,
    Encrypted,
    StackConfigValues,
    contains_encrypted,
    encrypted_locations,
    engine_text,
    merge_project_config,
    parse_config_key,
    read_values,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION = "us-east-1"
STAND_IN = "plan-placeholder"


def placeholder_for(key: str) -> str:
    """A shape-valid stand-in for a secret the offline plan cannot know (absent or encrypted)."""
    if key in ("dynatraceApiToken", "dynatraceIngestToken"):
        return "dt0c01." + "PLANPLACEHOLDER000000000" + "." + "0" * 64
    if key == "dynatracePlatformToken":
        return "dt0s16." + "PLANPLACEHOLDER000000000" + "." + "0" * 64
    if key == "dynatraceOAuthClientId":
        return "dt0s02.PLANHOLD"
    if key == "dynatraceOAuthClientSecret":
        return "dt0s02.PLANHOLD." + "0" * 64
    return "PLAN-PLACEHOLDER-NGC-KEY-000000000000"


@dataclass
class PlanConfig:
    """What the program receives under the offline plan, and what the plan had to stand in for."""

    stack: str
    config: dict[str, str]  # full key → the text the program receives
    secret_keys: list[str]
    region: str
    production: bool
    values: dict[str, Any] = field(default_factory=dict)  # full key → value (stand-ins in place)
    placeholders: list[str] = field(default_factory=list)  # shown in the summary
    stand_ins: dict[str, str] = field(default_factory=dict)  # key path of an encrypted value → its stand-in
    encrypted: EncryptedLeaves = field(default_factory=lambda: EncryptedLeaves({}, stand_ins=True))
    notes: list[str] = field(default_factory=list)

    def validate(self, env: Mapping[str, str]) -> StackConfig:
        """``parse_stack_config`` as the program will call it; an issue at a stand-in says so."""
        try:
            return parse_stack_config(
                self.config, env, stack=self.stack, production=self.production, secret_keys=self.secret_keys
            )
        except ConfigError as error:
            raise ConfigError([self._explained(issue) for issue in error.issues]) from None

    def _explained(self, issue: ConfigIssue) -> ConfigIssue:
        """The issue, with a note when it is about a stand-in (at its path, or naming its text)."""
        for path, stand_in in self.stand_ins.items():
            at_path = issue.path == path or issue.path.startswith((path + ".", path + "["))
            if at_path or (stand_in == STAND_IN and stand_in in issue.message):
                where = "the value" if at_path else f"{path}"
                return ConfigIssue(
                    issue.path,
                    f"{issue.message} [{where} is encrypted in the stack file: the offline plan stands in"
                    f" {stand_in!r} for it; a decrypted value always reaches the program as text]",
                )
        return issue


def _stand_in(name: str, loc: tuple[str | int, ...]) -> str:
    """``STAND_IN`` where the field accepts it, else the field's text default: a distinctive stand-in
    shows exactly where the value flows (what the program keeps secret, which names derive from it)."""
    section = next((s for s in SECTIONS if s.key == name), None)
    found = field_at(section.model, loc) if section is not None and section.model is not None else None
    if found is None:
        return STAND_IN
    annotation: Any = Annotated[(found.annotation, *found.metadata)] if found.metadata else found.annotation
    try:
        TypeAdapter(annotation).validate_python(STAND_IN)
    except ValidationError:
        default = found.default
        return default if isinstance(default, str) and default else STAND_IN
    return STAND_IN


def _replace_encrypted(value: Any, name: str, loc: tuple[str | int, ...], stand_ins: dict[str, str]) -> Any:
    if isinstance(value, Encrypted):
        text = _stand_in(name, loc)
        stand_ins[key_path(name, loc)] = text
        return text
    if isinstance(value, dict):
        return {k: _replace_encrypted(v, name, (*loc, k), stand_ins) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_encrypted(v, name, (*loc, i), stand_ins) for i, v in enumerate(value)]
    return value


def _unreadable(
    values: StackConfigValues, issues: list[ConfigIssue]
) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """Values with encrypted leaves stood in, the keys Pulumi marks secret, and the stand-ins."""
    readable: dict[str, Any] = {}
    secret_keys: list[str] = []
    stand_ins: dict[str, str] = {}
    for full_key, value in values.values.items():
        namespace, _, name = full_key.partition(":")
        if not contains_encrypted(value):
            readable[full_key] = value
            continue
        secret_keys.append(full_key)
        if namespace == NAMESPACE and name in SECRET_KEYS:
            if not isinstance(value, Encrypted):
                readable[full_key] = value  # refused as not a secret value by the secret's own check
            continue  # encrypted: a placeholder stands in when the stack needs it
        if namespace == NAMESPACE and isinstance(value, Encrypted):
            issues.append(
                ConfigIssue(
                    full_key,
                    "is encrypted as a whole ('secure:' on the section): the offline plan cannot decrypt it and"
                    " will not plan the section from its defaults; encrypt only the values that are secret, e.g."
                    f" `pulumi config set --secret --path '{name}.<field>' <value>`, and keep the rest plain",
                )
            )
        elif namespace == NAMESPACE:
            readable[full_key] = _replace_encrypted(value, name, (), stand_ins)
        elif full_key == "aws:region":
            issues.append(
                ConfigIssue(
                    full_key, "is encrypted; the offline plan cannot decrypt it, and every ARN names it: keep it plain"
                )
            )
        # other namespaces: providers' settings the program does not read; nothing to stand in
    return readable, secret_keys, stand_ins


def plaintext_issues(stack: str, raw: Mapping[Any, Any], name: str, project: Project) -> list[ConfigIssue]:
    """Secret keys a stack file holds in plain text (bare or namespaced), refused with the command that
    stores them encrypted."""
    written: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            written[parse_config_key(key, project.name)] = value
        except (ConfigKeyError, TypeError):
            continue  # refused by the key checks

    def encrypted(key: str) -> bool:
        value = written.get(key)
        return isinstance(value, dict) and set(value) == {"secure"}

    return plaintext_secret_issues(written, encrypted, stack, name)


def region_of(values: Mapping[str, Any], env: Mapping[str, str]) -> tuple[str, str | None]:
    """The region the plan's ARNs name, and a note when it is not the stack's own."""
    configured = values.get("aws:region")
    if isinstance(configured, str) and configured.strip():
        return configured.strip(), None
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if env.get(name, "").strip():
            return env[name].strip(), f"aws:region is not set: planned for ${name} ({env[name].strip()})"
    return (
        DEFAULT_REGION,
        f"aws:region is not set: planned for {DEFAULT_REGION}; `pulumi up` uses the deploying machine's region",
    )


def deploy_region(
    stack: str, raw: Mapping[Any, Any], env: Mapping[str, str], project: Project | None = None
) -> tuple[str, str | None]:
    """The region ``stack`` deploys to, read as the plan reads it (``raw``: the stack file's ``config:``
    as written, merged with Pulumi.yaml), under the program's rule (``region_issues``): a production
    stack must set ``aws:region``, elsewhere ``region_of`` (and its note). ``ConfigError`` when the
    configuration cannot be read or its region is refused."""
    prepared = prepare(stack, raw, env, project)
    issues = region_issues(prepared.config, env, stack, prepared.production)
    if issues:
        raise ConfigError(issues)
    return region_of(prepared.values, env)


def prepare(stack: str, raw: Mapping[Any, Any], env: Mapping[str, str], project: Project | None = None) -> PlanConfig:
    """The configuration of ``stack`` (``raw``: the stack file's ``config:`` as written) as the program
    receives it under the plan; ``ConfigError`` listing every problem the CLI or this stack would refuse."""
    project = project or load_project(PROJECT_ROOT)
    issues = config_key_issues([key for key in raw if not isinstance(key, str)])
    values = read_values(raw, project, issues)
    merge_project_config(values, project, stack, issues)
    issues += config_key_issues(values.values)
    readable, secret_keys, stand_ins = _unreadable(values, issues)
    try:
        production = is_production(stack)
    except ValueError as error:
        issues.append(ConfigIssue(f"policies/config/{stack}.json", str(error)))
        production = False
    if issues:
        raise ConfigError(issues)
    config = {key: engine_text(value) for key, value in readable.items()}
    region, note = region_of(readable, env)
    prepared = PlanConfig(
        stack=stack,
        config=config,
        secret_keys=sorted({*secret_keys, *(f"{NAMESPACE}:{spec.key}" for spec in SECRET_SPECS)}),
        region=region,
        production=production,
        values=readable,
        placeholders=[path.removeprefix(f"{NAMESPACE}:") + " (encrypted)" for path in stand_ins],
        stand_ins=stand_ins,
        encrypted=EncryptedLeaves(
            {key: found for key in readable if (found := tuple(encrypted_locations(values.values[key])))},
            stand_ins=True,
            source="the offline plan",
        ),
        notes=[note] if note else [],
    )
    try:
        parse_stack_config(config, env, stack=stack, production=production, secret_keys=prepared.secret_keys)
    except ConfigError as error:
        missing = {issue.path for issue in error.issues if issue.message.startswith("is required")}
        needed = [spec.key for spec in SECRET_SPECS if key_path(spec.key) in missing]
        for key in needed:
            config[f"{NAMESPACE}:{key}"] = placeholder_for(key)
        prepared.placeholders[:0] = needed
    return prepared
