"""The whole stack configuration: every ``ai-observability:*`` key, validated together."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, StringConstraints, TypeAdapter, ValidationError

from ._base import NAMESPACE
from .access import AccessConfig
from .collector import CollectorConfig, KongConfig
from .cross_checks import cross_check
from .dynatrace import DynatraceConfig
from .errors import (
    ConfigError,
    ConfigIssue,
    credential_kind,
    did_you_mean,
    issues_from_validation,
    key_path,
    remember_secret,
)
from .event_forwarding import EventForwardingConfig
from .governance import GovernanceConfig
from .guardrails import GuardrailsConfig
from .kubernetes import EksConfig, GpuNodeGroupConfig, NimConfig
from .region import region_issues
from .secrets import SECRET_KEYS, StackSecrets, exposed_secret_issues, known_secrets, parse_secrets
from .signals import SignalsConfig
from .telemetry import TelemetryConfig
from .text import ConfigText

if TYPE_CHECKING:  # encrypted_leaves reads values as this module decodes them
    from .encrypted_leaves import EncryptedValue

TagKey = Annotated[ConfigText, StringConstraints(min_length=1)]
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ACCOUNT_URN = "urn:dtaccount:"


def _account_uuid(value: str) -> str:
    if not _UUID.match(value):
        raise ValueError(
            "must be the account's UUID, e.g. 2b794097-8ad2-4b32-b923-0131da2eeddf (Account Management > "
            "Identity & access management > OAuth clients shows it)"
        )
    return value


AccountUuid = Annotated[
    ConfigText,
    # The Terraform provider accepts the URN form too (it strips urn:dtaccount:); so does the stack.
    BeforeValidator(lambda v: v.strip().lower().removeprefix(_ACCOUNT_URN) if isinstance(v, str) else v),
    AfterValidator(_account_uuid),
]

# Keys the stack adds to every taggable AWS resource (``components.aws.tagging``), and the one it
# adds to GPU node groups; configured tags may not use them, in any letter case.
STACK_TAG_KEYS: tuple[str, ...] = ("managed-by", "ai-observability:stack", "ai-observability:component")
NODE_GROUP_TAG_KEY = "ai-observability:node-group"
RESERVED_TAG_KEYS: tuple[str, ...] = (*STACK_TAG_KEYS, NODE_GROUP_TAG_KEY)
# AWS allows 50 user tags per resource ("Tagging AWS resources", tag naming limits and requirements;
# botocore eks/CreateNodegroup tags: max 50).
MAX_TAGS_PER_RESOURCE = 50


@dataclass(frozen=True)
class Section:
    key: str
    adapter: TypeAdapter[Any]
    model: type[BaseModel] | None
    required: bool = False


def _section(key: str, annotation: Any, model: type[BaseModel] | None, required: bool = False) -> Section:
    return Section(key, TypeAdapter(annotation), model, required)


SECTIONS: tuple[Section, ...] = (
    _section("dynatrace", DynatraceConfig, DynatraceConfig, required=True),
    _section("governance", GovernanceConfig, GovernanceConfig),
    _section("eventForwarding", EventForwardingConfig, EventForwardingConfig),
    _section("guardrails", GuardrailsConfig, GuardrailsConfig),
    _section("eks", EksConfig, EksConfig),
    _section("gpuNodeGroups", list[GpuNodeGroupConfig], GpuNodeGroupConfig),
    _section("nims", list[NimConfig], NimConfig),
    _section("collector", CollectorConfig, CollectorConfig),
    _section("kong", KongConfig, KongConfig),
    _section("signals", SignalsConfig, SignalsConfig),
    _section("telemetry", TelemetryConfig, TelemetryConfig),
    _section("access", AccessConfig, AccessConfig),
    _section("dynatraceAccountUuid", AccountUuid, None),
    _section("tags", dict[TagKey, ConfigText], None),
)
ALLOWED_KEYS: tuple[str, ...] = tuple(sorted([s.key for s in SECTIONS] + list(SECRET_KEYS)))


@dataclass(frozen=True)
class StackConfig:
    """Validated, typed configuration handed to the components (they never read config)."""

    stack: str
    dynatrace: DynatraceConfig
    governance: GovernanceConfig
    event_forwarding: EventForwardingConfig
    guardrails: GuardrailsConfig
    eks: EksConfig | None
    gpu_node_groups: list[GpuNodeGroupConfig]
    nims: list[NimConfig]
    collector: CollectorConfig
    kong: KongConfig
    tags: dict[str, str]
    secrets: StackSecrets
    aws_region: str | None = None
    """``aws:region`` (or ``$AWS_REGION``/``$AWS_DEFAULT_REGION``, as the AWS provider reads them)."""
    signals: SignalsConfig = field(default_factory=SignalsConfig)
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    account_uuid: str | None = None
    """``ai-observability:dynatraceAccountUuid``: the Dynatrace account (for Account Management calls)."""
    encrypted_values: Mapping[str, EncryptedValue] = field(default_factory=dict, repr=False)
    """The decrypted text of values encrypted inside a section → where it was configured
    (``components.config.encrypted_leaves``): kept secret in every resource input that carries it
    (``components.secret_inputs``)."""

    @property
    def kubernetes_enabled(self) -> bool:
        return self.eks is not None

    @property
    def uses_oauth_client(self) -> bool:
        """Platform calls authenticate with the OAuth client: it is configured (and then wins over a
        platform token configured as well)."""
        return self.secrets.has("dynatraceOAuthClientId") and self.secrets.has("dynatraceOAuthClientSecret")


def _decode(value: Any) -> Any:
    """Pulumi hands structured values to programs as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _aws_region(raw: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    value = raw.get("aws:region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _credential_issues(key: str, value: Any, loc: tuple[str | int, ...] = ()) -> list[ConfigIssue]:
    """Plain (non-secret) config values shaped like credentials: refused, never shown.

    Plain config is stored and displayed in clear (stack file, state, previews, the offline plan).
    """
    if isinstance(value, str):
        kind = credential_kind(value)
        if kind is None:
            return []
        return [
            ConfigIssue(
                key_path(key, loc),
                f"looks like {kind}: credentials never go in plain config, where they are stored and shown in "
                f"clear; keep it in a secret key ({', '.join(SECRET_KEYS)}) set with `pulumi config set --secret`",
            )
        ]
    if isinstance(value, Mapping):
        return [i for k, v in value.items() for i in _credential_issues(key, v, (*loc, str(k)))]
    if isinstance(value, list):
        return [i for n, v in enumerate(value) for i in _credential_issues(key, v, (*loc, n))]
    return []


_TAG_PUNCTUATION = frozenset("_.:/=+-@")
_TAG_CHARS = "letters, digits, spaces and _ . : / = + - @"


def _tag_text_ok(text: str) -> bool:
    """AWS tag charset: Unicode letters, digits and separators plus ``_ . : / = + - @``."""
    return all(c.isalnum() or c in _TAG_PUNCTUATION or unicodedata.category(c).startswith("Z") for c in text)


def _tag_issues(tags: Mapping[str, str]) -> list[ConfigIssue]:
    """AWS tag rules ("Tagging AWS resources": naming limits and requirements) plus the stack's own keys.

    Keys are compared without regard to letter case: the tags land on IAM roles too, and IAM treats
    tag keys case-insensitively (IAM User Guide, "Tags for AWS Identity and Access Management
    resources", case sensitivity: ``CostCenter`` and ``costcenter`` cannot both be on one role).
    """
    issues = []
    reserved = {key.casefold(): key for key in RESERVED_TAG_KEYS}
    first_seen: dict[str, str] = {}
    for key, value in tags.items():
        path = key_path("tags", [key])
        folded = key.casefold()
        if len(key) > 128 or not _tag_text_ok(key):
            issues.append(ConfigIssue(path, f"(the key) must be 1-128 characters of {_TAG_CHARS}"))
        elif folded.startswith("aws:"):
            issues.append(ConfigIssue(path, "(the key) the 'aws:' prefix is reserved for AWS; choose another key"))
        elif folded in reserved:
            issues.append(
                ConfigIssue(
                    path,
                    f"(the key) is {reserved[folded]!r}, set by the stack itself in that letter case "
                    f"({', '.join(RESERVED_TAG_KEYS)}); IAM tag keys ignore letter case; remove it",
                )
            )
        elif folded in first_seen:
            issues.append(
                ConfigIssue(
                    path,
                    f"(the key) differs from tag {first_seen[folded]!r} only in letter case; IAM tag keys ignore "
                    "letter case, so AWS refuses both on one role: keep one",
                )
            )
        first_seen.setdefault(folded, key)
        if len(value) > 256 or not _tag_text_ok(value):
            issues.append(ConfigIssue(path, f"the value must be 0-256 characters of {_TAG_CHARS}"))
    budget = MAX_TAGS_PER_RESOURCE - len(RESERVED_TAG_KEYS)
    if len(tags) > budget:
        issues.append(
            ConfigIssue(
                key_path("tags"),
                f"has {len(tags)} tags; at most {budget} allowed (AWS allows {MAX_TAGS_PER_RESOURCE} per resource "
                f"and the stack adds up to {len(RESERVED_TAG_KEYS)}: {', '.join(RESERVED_TAG_KEYS)})",
            )
        )
    return issues


def parse_stack_config(
    raw: Mapping[str, Any],
    env: Mapping[str, str],
    stack: str = "dev",
    *,
    production: bool = False,
    secret_keys: Collection[str] = (),
) -> StackConfig:
    """Validate every ``ai-observability:*`` key of ``raw`` (other namespaces are ignored).

    ``raw`` maps full keys (``ai-observability:governance``) to values, either decoded
    or as the JSON text Pulumi passes to programs. Keys are read by their camelCase names only.
    ``production`` requires ``aws:region`` in ``raw``; ``secret_keys`` are the full keys Pulumi holds
    encrypted (wholly or in part): their values are never shown, and every other value is plain text,
    which may not hold a configured secret. Raises ``ConfigError`` listing every problem, each naming
    the full key path.
    """
    ours: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    for full_key, value in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key not in ALLOWED_KEYS:
            near = did_you_mean(key, ALLOWED_KEYS)
            issues.append(ConfigIssue(key_path(key), f"unknown key;{near} allowed keys: {', '.join(ALLOWED_KEYS)}"))
            continue
        ours[key] = value if key in SECRET_KEYS else _decode(value)

    values: dict[str, Any] = {}
    for section in SECTIONS:
        if section.key not in ours:
            if section.required:
                issues.append(ConfigIssue(key_path(section.key), "is required"))
            continue
        if ours[section.key] in ("", None):
            issues.append(
                ConfigIssue(
                    key_path(section.key),
                    "is empty (a key without a value, which Pulumi passes as empty text): give the section, or"
                    " remove the key to use its defaults",
                )
            )
            continue
        try:
            # Config data is read by alias only: a snake_case spelling is an unknown key, never half accepted.
            values[section.key] = section.adapter.validate_python(ours[section.key], by_alias=True, by_name=False)
        except ValidationError as exc:
            hidden = f"{NAMESPACE}:{section.key}" in secret_keys
            issues.extend(issues_from_validation(section.key, section.model or BaseModel, exc, secret=hidden))

    if isinstance(values.get("tags"), dict):
        issues.extend(_tag_issues(values["tags"]))

    secret_values = {k: v for k, v in ours.items() if k in SECRET_KEYS}
    secrets, secret_issues = parse_secrets(secret_values, env)
    issues.extend(secret_issues)
    issues.extend(region_issues(raw, env, stack, production))
    plain = {
        full_key: _decode(value)
        for full_key, value in raw.items()
        if full_key not in secret_keys and full_key.removeprefix(f"{NAMESPACE}:") not in secret_values
    }
    for key, value in ours.items():
        if key not in SECRET_KEYS and f"{NAMESPACE}:{key}" not in secret_keys:
            issues.extend(_credential_issues(key, value))
    # A value holding a configured secret is reported for that alone: its other problems are moot.
    known = known_secrets(secret_values, env)
    for secret in known:
        remember_secret(secret.value)  # never echoed by any message, whichever issue mentions it
    exposed = exposed_secret_issues(plain, known)
    if exposed:
        shown_at = {issue.path for issue in exposed}
        issues = exposed + [issue for issue in issues if issue.path not in shown_at]
    if issues:
        raise ConfigError(issues)

    config = StackConfig(
        stack=stack,
        dynatrace=values["dynatrace"],
        governance=values.get("governance", GovernanceConfig()),
        event_forwarding=values.get("eventForwarding", EventForwardingConfig()),
        guardrails=values.get("guardrails", GuardrailsConfig()),
        eks=values.get("eks"),
        gpu_node_groups=values.get("gpuNodeGroups", []),
        nims=values.get("nims", []),
        collector=values.get("collector", CollectorConfig(enabled=values.get("eks") is not None)),
        kong=values.get("kong", KongConfig()),
        tags=values.get("tags", {}),
        secrets=secrets,
        aws_region=_aws_region(raw, {} if production else env),
        signals=values.get("signals", SignalsConfig()),
        telemetry=values.get("telemetry", TelemetryConfig()),
        access=values.get("access", AccessConfig()),
        account_uuid=values.get("dynatraceAccountUuid"),
    )
    problems = cross_check(config)
    if problems:
        raise ConfigError(problems)
    return config
