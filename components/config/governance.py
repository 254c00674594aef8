"""``ai-observability:governance`` — token, Grail bucket, OpenPipeline pipeline and route."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from ._base import Allowed, ConfigModel
from .dql import matcher_problem

BucketTable = Literal["logs", "events", "bizevents", "spans", "security.events", "user.sessions", "user.events"]

IngestScope = Literal[
    "bizevents.ingest",
    "metrics.ingest",
    "logs.ingest",
    "events.ingest",
    "openTelemetryTrace.ingest",
]

SEED_INGEST_SCOPES: tuple[IngestScope, ...] = (
    "bizevents.ingest",
    "metrics.ingest",
    "logs.ingest",
    "events.ingest",
    "openTelemetryTrace.ingest",
)

DEFAULT_ROTATE_BEFORE_DAYS = 30
"""Rotation window when ``rotateBeforeDays`` is unset (capped at a third of a short token's lifetime)."""

_BUCKET_NAME = re.compile(r"^[a-z][a-z0-9_-]{2,99}$")
_CUSTOM_ID = re.compile(r"^\S{4,100}$")
# Dynatrace reserves a leading ``dt.`` / ``dynatrace.`` in any letter case for pipeline ids,
# processor ids and routing descriptions (PATTERN constraint of the OpenPipeline settings schemas).
_RESERVED_PREFIX = re.compile(r"^(?:[Dd][Tt]|[Dd][Yy][Nn][Aa][Tt][Rr][Aa][Cc][Ee])\.")
ROUTE_DESCRIPTION_MAX = 512


def _one_condition(value: str) -> str:
    problem = matcher_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


# A DQL matcher: one condition, never a pipeline (a top-level '|' outside strings and comments).
Matcher = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4096),
    AfterValidator(_one_condition),
    Allowed("one DQL condition: no `|` outside strings and comments"),
]


def _not_reserved(value: str) -> str:
    if _RESERVED_PREFIX.match(value):
        raise ValueError("must not start with 'dt.' or 'dynatrace.' in any letter case (reserved by Dynatrace)")
    return value


class BucketConfig(ConfigModel):
    name: str = "gen_ai_events"
    """Grail bucket name: 3-100 of a-z, 0-9, ``_``, ``-``, starting with a letter, not starting ``dt_`` or
    ``default_``. A change replaces the bucket."""
    table: BucketTable = "bizevents"
    """Table the bucket stores. A change replaces the bucket (delete first)."""
    retention_days: Annotated[int, Field(ge=1, le=3657)] = 1825
    """Days Grail keeps the events: 1-3657 (Dynatrace Storage Management API, bucket definitions: ``retentionDays``
    1-3657). Shortening it deletes older data irreversibly."""
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = "GenAI audit events"

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _BUCKET_NAME.match(value):
            raise ValueError("must be 3-100 characters of a-z, 0-9, '_' or '-', starting with a letter")
        if value.startswith(("dt_", "default_")):
            raise ValueError("must not start with 'dt_' or 'default_' (reserved by Dynatrace)")
        return value


class PipelineConfig(ConfigModel):
    custom_id: str = "ai-data-governance"
    """Pipeline id: 4-100 characters without whitespace, not starting ``dt.``/``dynatrace.`` in any letter case. A
    change replaces the pipeline."""
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=500)] = "AI Data Governance"
    matcher: Matcher = "true"
    """DQL condition of the storage processor that assigns records to the bucket: a single condition, so a ``|``
    outside strings and comments (which would append a pipeline stage) is refused."""

    @field_validator("custom_id")
    @classmethod
    def _custom_id(cls, value: str) -> str:
        if not _CUSTOM_ID.match(value):
            raise ValueError("must be 4-100 characters without whitespace")
        return _not_reserved(value)


class RouteConfig(ConfigModel):
    description: Annotated[str, StringConstraints(min_length=1, max_length=ROUTE_DESCRIPTION_MAX)] = "AI Event Routing"
    """The entry's key in the shared routing table: unique, 1-512 characters, no ``dt.``/``dynatrace.`` prefix."""
    matcher: Matcher | None = None
    """DQL condition; defaults to ``matchesValue(event.type,"<governance.eventType>")``. A single condition: a ``|``
    outside strings and comments is refused."""
    position: Annotated[int, Field(ge=0, le=2999)] = 0
    """Index in the routing table (0 = first, so the route wins over later ones); clamped to the table's end. 0-2999:
    the table holds at most 3000 entries (OpenPipeline routing settings schema)."""

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return _not_reserved(value)


class IngestTokenConfig(ConfigModel):
    create: bool = True
    """Mint the token in Dynatrace; when false, ``ai-observability:dynatraceIngestToken`` is used."""
    name: Annotated[str, StringConstraints(min_length=1, max_length=180)] = "ai-observability-ingest"
    """Token name; Dynatrace shows it as ``<name> [<fingerprint>]`` (owner, scopes and expiry hashed)."""
    scopes: Annotated[list[IngestScope], Field(min_length=1)] = Field(default_factory=lambda: list(SEED_INGEST_SCOPES))
    """Token scopes, each once; a change mints a new token (the old one is revoked afterwards). They must cover the
    token's consumers: ``bizevents.ingest`` for event forwarding, and ``metrics.ingest``,
    ``openTelemetryTrace.ingest`` and ``logs.ingest`` for the collector (its metrics, traces and logs pipelines)."""
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = 365
    """Token lifetime; null for a token that never expires (and is never rotated). A change mints a new token.
    1-3650: at least a day (Dynatrace refuses an ``expirationDate`` that is not in the future); at most ten years, the
    stack's own bound (Dynatrace sets none; a longer lifetime is better expressed as null)."""
    rotate_before_days: Annotated[int, Field(ge=1, le=3649)] | None = None
    """Days before expiry from which a ``pulumi up`` mints a replacement token (then revokes the old
    one); unset = 30, or a third of a token lifetime shorter than 90 days. 1-3649, and below ``expiresInDays``."""

    @field_validator("scopes", mode="before")
    @classmethod
    def _known_and_unique(cls, value: Any) -> Any:
        # Unknown and repeated scopes are reported together (a typo often comes with a duplicate).
        if not isinstance(value, list):
            return value
        problems = []
        unknown = [s for s in value if isinstance(s, str) and s not in SEED_INGEST_SCOPES]
        if unknown:
            problems.append(f"{', '.join(map(repr, unknown))} not an ingest scope")
        repeated = sorted({s for s in value if isinstance(s, str) and value.count(s) > 1})
        if repeated:
            problems.append(f"{', '.join(map(repr, repeated))} listed more than once")
        if problems:
            raise ValueError(f"{'; '.join(problems)} (allowed, each once: {', '.join(SEED_INGEST_SCOPES)})")
        return value

    @model_validator(mode="after")
    def _rotation_window(self) -> IngestTokenConfig:
        if self.rotate_before_days is None:
            return self
        if self.expires_in_days is None:
            raise ValueError(
                "@rotateBeforeDays: applies only to an expiring token; set expiresInDays (1-3650) "
                "or remove rotateBeforeDays (a token without expiry is never rotated)"
            )
        if self.rotate_before_days >= self.expires_in_days:
            allowed = f"1-{self.expires_in_days - 1}" if self.expires_in_days > 1 else "none (raise expiresInDays)"
            raise ValueError(
                f"@rotateBeforeDays: must be smaller than expiresInDays ({self.expires_in_days}); "
                f"allowed: {allowed}, got {self.rotate_before_days}"
            )
        return self

    @property
    def rotation_days(self) -> int | None:
        """The effective rotation window in days (None: the token never expires, nothing to rotate)."""
        if self.expires_in_days is None:
            return None
        if self.rotate_before_days is not None:
            return self.rotate_before_days
        return min(DEFAULT_ROTATE_BEFORE_DAYS, self.expires_in_days // 3)


class GovernanceConfig(ConfigModel):
    enabled: bool = True
    """False creates nothing in Dynatrace; event forwarding and the collector then need ``ai-
    observability:dynatraceIngestToken``."""
    event_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", max_length=200)] = (
        "gen_ai.auditing"
    )
    """CloudEvent ``type`` the forwarder sends and the route matches."""
    bucket: BucketConfig = Field(default_factory=BucketConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    route: RouteConfig = Field(default_factory=RouteConfig)
    ingest_token: IngestTokenConfig = Field(default_factory=IngestTokenConfig)

    @property
    def route_matcher(self) -> str:
        if self.route.matcher is not None:
            return self.route.matcher
        return f'matchesValue(event.type,"{self.event_type}")'
