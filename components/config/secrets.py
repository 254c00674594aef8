"""Secret configuration values: read from Pulumi config (or an env fallback), never shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from .errors import ConfigIssue, key_path, remember_secret


@dataclass(frozen=True)
class SecretSpec:
    key: str
    env: str
    pattern: re.Pattern[str] | None
    shape: str


SECRET_SPECS: tuple[SecretSpec, ...] = (
    SecretSpec(
        "dynatraceApiToken",
        "DT_API_TOKEN",
        re.compile(r"^dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}$"),
        "a classic API token dt0c01.<24 upper-alnum>.<64 upper-alnum>",
    ),
    SecretSpec(
        "dynatracePlatformToken",
        "DT_PLATFORM_TOKEN",
        # A Dynatrace-format token must be a platform token (dt0s16.); any other token type (classic
        # dt0c01. API tokens, dt0s01./dt0s02. account and OAuth client credentials) is refused by the
        # platform APIs. Anything else must be an OAuth access token (a JWT bearer).
        re.compile(r"^(dt0s16\.[A-Z0-9]{24}\.[A-Z0-9]{64}|(?!dt0)[A-Za-z0-9._~+/=-]{20,8192})$"),
        "a platform token dt0s16.<24>.<64> or an OAuth bearer token",
    ),
    SecretSpec(
        "dynatraceIngestToken",
        "DT_INGEST_TOKEN",
        re.compile(r"^dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}$"),
        "a classic API token dt0c01.<24 upper-alnum>.<64 upper-alnum>",
    ),
    SecretSpec(
        "ngcApiKey",
        "NGC_API_KEY",
        re.compile(r"^[A-Za-z0-9._:-]{20,512}$"),
        "an NGC API key (20-512 characters, no whitespace)",
    ),
)
SECRET_KEYS: frozenset[str] = frozenset(spec.key for spec in SECRET_SPECS)


@dataclass(frozen=True)
class StackSecrets:
    """The secret values; plain text exists only here and leaves as ``Output.secret``."""

    _values: Mapping[str, str] = field(default_factory=dict, repr=False)

    def has(self, key: str) -> bool:
        return key in self._values

    def output(self, key: str) -> pulumi.Output[str]:
        """The value as a Pulumi secret; the caller must have checked ``has`` (or required it)."""
        if key not in self._values:
            raise KeyError(f"secret {key} is not configured")
        return pulumi.Output.secret(self._values[key])

    def __repr__(self) -> str:
        return f"StackSecrets(keys={sorted(self._values)})"


# Dynatrace token prefixes ("Dynatrace API - Tokens and authentication", token prefixes; platform
# tokens: "Platform tokens").
_TOKEN_KINDS: dict[str, str] = {
    "dt0c01": "a classic access token (dt0c01.)",
    "dt0s16": "a platform token (dt0s16.)",
    "dt0s01": "an account-management token (dt0s01.)",
    "dt0s02": "OAuth client credentials (dt0s02.)",
}


def _wrong_kind(value: str) -> str:
    """``; got <kind>`` naming the Dynatrace token type by its public prefix (never the value)."""
    kind = _TOKEN_KINDS.get(value.split(".", 1)[0])
    return f"; got {kind}" if kind else ""


def parse_secrets(raw: Mapping[str, object], env: Mapping[str, str]) -> tuple[StackSecrets, list[ConfigIssue]]:
    """Secrets from config keys (``ai-observability:<key>``) or their environment variables."""
    values: dict[str, str] = {}
    issues: list[ConfigIssue] = []
    for spec in SECRET_SPECS:
        value = raw.get(spec.key)
        source = key_path(spec.key)
        if value is None and env.get(spec.env):
            value, source = env[spec.env], f"{source} (from ${spec.env})"
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            issues.append(ConfigIssue(source, "must be a non-empty string (value not shown)"))
            continue
        value = value.strip()
        remember_secret(value)  # never echoed by any error message from here on
        if spec.pattern is not None and not spec.pattern.match(value):
            issues.append(ConfigIssue(source, f"must be {spec.shape}{_wrong_kind(value)} (value not shown)"))
            continue
        values[spec.key] = value
    return StackSecrets(values), issues
