"""Secret configuration values: read from Pulumi config (or an env fallback), never shown."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pulumi

from .errors import ConfigIssue, base64_forms, config_path, key_path, remember_secret


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
        "dynatraceOAuthClientId",
        "DT_CLIENT_ID",
        # OAuth client ids are the public part of the client secret: dt0s02.<public> ("OAuth clients";
        # token format in "Dynatrace API - Tokens and authentication": dt0s02 = OAuth clients). The
        # public part is 8 characters in the ids Dynatrace issues (e.g. the Terraform provider's docs);
        # the generic token format allows 24.
        re.compile(r"^dt0s02\.[A-Z0-9]{8,24}$"),
        "an OAuth client id dt0s02.<8 upper-alnum>",
    ),
    SecretSpec(
        "dynatraceOAuthClientSecret",
        "DT_CLIENT_SECRET",
        re.compile(r"^dt0s02\.[A-Z0-9]{8,24}\.[A-Z0-9]{64}$"),
        "an OAuth client secret dt0s02.<8 upper-alnum>.<64 upper-alnum>",
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
    "dt0s02": "OAuth client credentials (dt0s02.; they belong in dynatraceOAuthClientId/dynatraceOAuthClientSecret)",
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
    issues.extend(_oauth_pair_issues(values))
    return StackSecrets(values), issues


OAUTH_CLIENT_KEYS = ("dynatraceOAuthClientId", "dynatraceOAuthClientSecret")


def _oauth_pair_issues(values: Mapping[str, str]) -> list[ConfigIssue]:
    """An OAuth client is its id and its secret together; the secret starts with its client's id."""
    client_id, secret = (values.get(key) for key in OAUTH_CLIENT_KEYS)
    if client_id is None and secret is None:
        return []
    if client_id is None or secret is None:
        missing, given = OAUTH_CLIENT_KEYS if client_id is None else reversed(OAUTH_CLIENT_KEYS)
        return [ConfigIssue(key_path(missing), f"must be set together with {given} (an OAuth client is both)")]
    if not secret.startswith(client_id + "."):
        return [
            ConfigIssue(
                key_path(OAUTH_CLIENT_KEYS[1]),
                f"belongs to another OAuth client: a client secret starts with its client id ({OAUTH_CLIENT_KEYS[0]}); "
                "values not shown",
            )
        ]
    return []


# --- configured secrets copied into plain config --------------------------------------------------

# A Dynatrace token's last part is its secret; the rest (dt0c01.<public id>) may be shown.
_TOKEN_SECRET_PART = re.compile(r"^dt0[a-z][0-9]{2}\.[A-Za-z0-9]+\.([A-Za-z0-9]{16,})$")
_MIN_SECRET_CHARS = 8  # as errors.remember_secret: shorter text would match ordinary values


@dataclass(frozen=True)
class KnownSecret:
    """A secret value the stack was given, and where it came from (shown; the value never is)."""

    source: str  # e.g. "dynatraceApiToken (from $DT_API_TOKEN)"
    value: str


def known_secrets(raw: Mapping[str, object], env: Mapping[str, str]) -> list[KnownSecret]:
    """Every secret value the stack was given: each secret key's config value and environment variable
    (both, even when config wins), and a Dynatrace token's secret part on its own."""
    found: list[KnownSecret] = []
    for spec in SECRET_SPECS:
        for source, value in ((spec.key, raw.get(spec.key)), (f"{spec.key} (from ${spec.env})", env.get(spec.env))):
            if not isinstance(value, str) or len(value.strip()) < _MIN_SECRET_CHARS:
                continue
            found.append(KnownSecret(source, value.strip()))
            part = _TOKEN_SECRET_PART.match(value.strip())
            if part:
                found.append(KnownSecret(f"the secret part of {source}", part.group(1)))
    return found


def _leaves(value: object, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str, bool]]:
    """(location, text, is a key) of every string in ``value``, mapping keys included."""
    if isinstance(value, str):
        yield loc, value, False
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*loc, key), key, True
            yield from _leaves(item, (*loc, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*loc, index))


def exposed_secret_issues(plain: Mapping[str, object], secrets: list[KnownSecret]) -> list[ConfigIssue]:
    """Plain (unencrypted) config values holding a known secret or its base64 form, refused at their key
    path; ``plain`` maps full keys to decoded values. Neither the value nor the secret is shown."""
    if not secrets:
        return []
    forms: dict[str, tuple[KnownSecret, bool]] = {}
    for known in secrets:
        forms.setdefault(known.value, (known, False))
        for form in base64_forms(known.value):
            forms.setdefault(form, (known, True))
    pattern = re.compile("|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True)))
    issues: list[ConfigIssue] = []
    for full_key, value in plain.items():
        for loc, text, is_key in _leaves(value):
            match = pattern.search(text)
            if match is None:
                continue
            secret, encoded = forms[match.group(0)]
            what = "its key holds" if is_key else "holds"
            how = " base64-encoded" if encoded else ""
            issues.append(
                ConfigIssue(
                    config_path(full_key, loc),
                    f"{what} the value of {secret.source}{how}: a secret must not be copied into plain config, where"
                    " it is stored and shown in clear (the plan, the state, previews); remove it and rotate the"
                    " credential (value not shown)",
                )
            )
    return issues
