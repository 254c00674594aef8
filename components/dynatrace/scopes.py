"""The permissions the stack's Dynatrace credentials need: one entry per feature, in one place.

README, ``docs/dynatrace.md`` (the token-scopes table), the other docs' scope sentences and the
configuration reference are generated from :data:`FEATURES` (``python -m tools.scope_docs``,
``python -m tools.config_docs``), and the client's 401/403 hints are built from it, so none of
them can name a scope this list does not.

To add a feature (a new command, a new resource type): append a :class:`Feature` naming the
credential it uses, its scopes, the configuration key that turns it on, and the documentation page
the scopes come from; then regenerate the docs. To add a credential kind (an OAuth client, say):
add a :class:`Credential` to :data:`CREDENTIALS` and give the features that use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True)
class Credential:
    """One secret the stack is configured with, and how it authenticates."""

    key: str
    """Short name used in docs markers (``<!-- scopes:<key> -->``)."""
    config_key: str
    """The stack's secret configuration key (without the project namespace)."""
    env: str
    """The environment variable it falls back to."""
    title: str
    scheme: Literal["Api-Token", "Bearer"]
    also_serves: tuple[str, ...] = ()
    """Keys of credentials whose features this one serves as well when it is configured."""

    def setting(self) -> str:
        """Where a user fixes it, as messages name it."""
        return f"ai-observability:{self.config_key} (or {self.env})"


CLASSIC: Final = Credential("classic", "dynatraceApiToken", "DT_API_TOKEN", "classic API token", "Api-Token")
PLATFORM: Final = Credential(
    "platform", "dynatracePlatformToken", "DT_PLATFORM_TOKEN", "platform token (or OAuth bearer token)", "Bearer"
)
OAUTH: Final = Credential(
    "oauth",
    "dynatraceOAuthClientId",
    "DT_CLIENT_ID",
    "OAuth client (dynatraceOAuthClientId and dynatraceOAuthClientSecret)",
    "Bearer",
    also_serves=("platform",),
)
"""The OAuth client: the only credential the Account Management API accepts; when configured it also
serves every platform call in place of the platform token (access tokens requested per feature)."""
CREDENTIALS: Final[tuple[Credential, ...]] = (CLASSIC, PLATFORM, OAUTH)


@dataclass(frozen=True)
class Feature:
    """What one part of the stack does with one credential, and the scopes that takes."""

    key: str
    """Stable name (docs markers ``<!-- scopes:<key> -->``)."""
    title: str
    credential: Credential
    scopes: tuple[str, ...]
    enabled_by: str
    """The configuration that turns the feature on (as ``docs/configuration.md`` names keys)."""
    why: str
    """What the scopes are used for (one sentence for the docs table)."""
    source: str
    """The documentation the scope names come from."""


INGEST_TOKEN: Final = Feature(
    "ingest-token",
    "Ingest token",
    CLASSIC,
    ("apiTokens.read", "apiTokens.write"),
    "`governance.enabled`",
    "mint, rotate and revoke the ingest token; look tokens up by name before a create and on refresh",
    "Dynatrace API, Access tokens API v2 (POST/GET/DELETE /api/v2/apiTokens)",
)
GOVERNANCE_PIPELINE: Final = Feature(
    "governance-pipeline",
    "OpenPipeline pipeline and route",
    CLASSIC,
    ("settings.read", "settings.write"),
    "`governance.enabled`",
    "read and write the pipeline and the routing table (Settings 2.0 objects)",
    "Dynatrace API, Settings API (/api/v2/settings/objects)",
)
GRAIL_BUCKET: Final = Feature(
    "grail-bucket",
    "Grail bucket",
    PLATFORM,
    ("storage:bucket-definitions:read", "storage:bucket-definitions:write", "storage:bucket-definitions:delete"),
    "`governance.enabled`",
    "create, resize and delete the governance bucket",
    "Dynatrace API, Storage Management API (/platform/storage/management/v1/bucket-definitions)",
)
DETECTORS: Final = Feature(
    "detectors",
    "Davis anomaly detectors",
    PLATFORM,
    (
        "settings:objects:read",
        "settings:objects:write",
        "storage:buckets:read",
        "storage:metrics:read",
        "storage:spans:read",
        "storage:bizevents:read",
    ),
    "`signals.enabled`",
    "write the detectors (builtin:davis.anomaly-detectors refuses classic tokens); each detector's DQL "
    "runs as the token's user, which must read the metrics, spans and business events it queries",
    "terraform-provider-dynatrace docs/resources/davis_anomaly_detectors.md (OAuth or platform token; "
    "storage permissions for the DQL the detector runs); Grail permissions (storage:buckets:read plus the "
    "table's storage:<table>:read)",
)
DASHBOARDS: Final = Feature(
    "dashboards",
    "Dashboards",
    PLATFORM,
    (
        "document:documents:read",
        "document:documents:write",
        "document:documents:delete",
        "document:trash.documents:read",
        "document:trash.documents:delete",
        "document:trash.documents:restore",
    ),
    "`signals.enabled` and `signals.dashboards.enabled`",
    "create, update and delete the dashboards; find, restore and purge them in the trash",
    "Document service OpenAPI 1.15.0 (ssoAuth scopes of each operation)",
)
AWS_MONITORING: Final = Feature(
    "aws-monitoring",
    "AWS monitoring of Bedrock metrics",
    PLATFORM,
    (
        "settings:objects:read",
        "settings:objects:write",
        "extensions:definitions:read",
        "extensions:configurations:read",
        "extensions:configurations:write",
    ),
    "`telemetry.bedrockMetrics.enabled`",
    "write the AWS connection (a settings object) and its role ARN; read the da-aws extension's versions "
    "and schema; manage its monitoring configuration",
    "Dynatrace docs, Create an AWS connection via API (platform token scopes)",
)
ACCESS: Final = Feature(
    "access",
    "Access (IAM policies, groups, bindings)",
    OAUTH,
    ("account-idm-read", "account-idm-write", "iam-policies-management", "account-env-read"),
    "`access.enabled`",
    "create the groups (account-idm-*), the policies and their bindings (iam-policies-management), and "
    "confirm the environment belongs to the account (account-env-read)",
    "Dynatrace docs, Authentication for the Account Management API; Group, Policy and Environment "
    "management API pages (each request's permission)",
)
VERIFY_CHAIN: Final = Feature(
    "verify-classic",
    "verify: governance chain",
    CLASSIC,
    ("apiTokens.read", "settings.read"),
    "`python -m tools.verify`",
    "read the ingest token's metadata (enabled, scopes, expiry), the pipeline and the routing table",
    "Dynatrace API, Access tokens API v2 (GET /api/v2/apiTokens/{id}); Settings API (GET /api/v2/settings/objects)",
)
VerifyCall = Literal["bucket", "detectors", "dashboards", "probe", "signals"]
VERIFY_CALLS: Final[dict[VerifyCall, tuple[str, ...]]] = {
    "bucket": ("storage:bucket-definitions:read",),
    "detectors": ("settings:objects:read",),
    "dashboards": ("document:documents:read",),
    "probe": ("storage:buckets:read", "storage:bizevents:read"),
    "signals": ("storage:buckets:read", "storage:bizevents:read", "storage:metrics:read", "storage:spans:read"),
}
"""verify's platform calls by kind, and the scopes each kind needs (Grail reads: ``storage:buckets:read``
plus the table's ``storage:<table>:read``). An OAuth client's access token for each kind is requested
with exactly these, so a client without one scope fails only the checks that need it."""
VERIFY_GRAIL: Final = Feature(
    "verify-platform",
    "verify: bucket, detectors, dashboards, probe and signals",
    PLATFORM,
    tuple(dict.fromkeys(scope for scopes in VERIFY_CALLS.values() for scope in scopes)),
    "`python -m tools.verify`",
    "read the bucket, the detectors and the dashboards back; find the probe event and run every detector and tile "
    "query through the Grail Query API (query:verify, query:execute, query:poll)",
    "Grail Query API (@dynatrace-sdk/client-query: permissions per 'Bucket and table permissions in Grail': "
    "storage:buckets:read plus storage:<table>:read)",
)
FEATURES: Final[tuple[Feature, ...]] = (
    INGEST_TOKEN,
    GOVERNANCE_PIPELINE,
    GRAIL_BUCKET,
    DETECTORS,
    DASHBOARDS,
    AWS_MONITORING,
    ACCESS,
    VERIFY_CHAIN,
    VERIFY_GRAIL,
)


def scopes_for(credential: Credential) -> tuple[str, ...]:
    """Every scope ``credential`` needs when every feature is on (first-mention order, no repeats),
    including the features of the credentials it also serves."""
    served = {credential.key, *credential.also_serves}
    seen: dict[str, None] = {}
    for feature in FEATURES:
        if feature.credential.key in served:
            seen.update(dict.fromkeys(feature.scopes))
    return tuple(seen)


def credential_for(scheme: str) -> Credential | None:
    """The configured credential that authenticates with ``scheme`` (``Api-Token`` or ``Bearer``)."""
    return next((c for c in CREDENTIALS if c.scheme == scheme), None)


def all_scopes() -> frozenset[str]:
    """Every scope any feature names."""
    return frozenset(scope for feature in FEATURES for scope in feature.scopes)
