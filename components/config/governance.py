"""``ai-observability:governance`` — token, Grail bucket, OpenPipeline pipeline and route."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from ._base import ConfigModel

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

_BUCKET_NAME = re.compile(r"^[a-z][a-z0-9_-]{2,99}$")
_CUSTOM_ID = re.compile(r"^\S{4,100}$")


class BucketConfig(ConfigModel):
    name: str = "gen_ai_events"
    table: BucketTable = "bizevents"
    retention_days: Annotated[int, Field(ge=1, le=3657)] = 1825
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
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=500)] = "AI Data Governance"
    matcher: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = "true"

    @field_validator("custom_id")
    @classmethod
    def _custom_id(cls, value: str) -> str:
        if not _CUSTOM_ID.match(value):
            raise ValueError("must be 4-100 characters without whitespace")
        if value.startswith(("dt.", "dynatrace.")):
            raise ValueError("must not start with 'dt.' or 'dynatrace.'")
        return value


class RouteConfig(ConfigModel):
    description: Annotated[str, StringConstraints(min_length=1, max_length=3000)] = "AI Event Routing"
    matcher: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    """DQL condition; defaults to ``matchesValue(event.type,"<governance.eventType>")``."""
    position: Annotated[int, Field(ge=0, le=2999)] = 0
    """Index in the routing table (0 = first, as the seed procedure asks)."""


class IngestTokenConfig(ConfigModel):
    create: bool = True
    """Mint the token in Dynatrace; when false, ``ai-observability:dynatraceIngestToken`` is used."""
    name: Annotated[str, StringConstraints(min_length=1, max_length=180)] = "ai-observability-ingest"
    """Token name; Dynatrace shows it as ``<name> [<fingerprint>]`` (owner, scopes and expiry hashed)."""
    scopes: Annotated[list[IngestScope], Field(min_length=1)] = Field(default_factory=lambda: list(SEED_INGEST_SCOPES))
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = 365

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


class GovernanceConfig(ConfigModel):
    enabled: bool = True
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
