"""pydantic models of the Dynatrace request and response bodies.

Python names are snake_case; the wire names are camelCase (``model_dump(by_alias=True)``).
Response models keep unknown fields (``extra="allow"``): Dynatrace adds fields over time and
the UI may add some to objects we manage; we must neither fail on them nor drop them.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.alias_generators import to_camel

BUCKET_TABLES = ("logs", "events", "bizevents", "spans", "security.events", "user.sessions", "user.events")
BucketTable = Literal["logs", "events", "bizevents", "spans", "security.events", "user.sessions", "user.events"]
BucketStatus = Literal["creating", "active", "updating", "deleting"]

PIPELINES_SCHEMA = "builtin:openpipeline.bizevents.pipelines"
ROUTING_SCHEMA = "builtin:openpipeline.bizevents.routing"
ANOMALY_DETECTORS_SCHEMA = "builtin:davis.anomaly-detectors"
ENVIRONMENT_SCOPE = "environment"

# The OpenPipeline settings schemas forbid a leading ``dt.`` or ``dynatrace.`` in a pipeline's
# ``customId``, a processor ``id`` and a routing entry ``description``, in any letter case
# (pattern ``^(?![Dd][Tt]\.|[Dd][Yy][Nn][Aa][Tt][Rr][Aa][Cc][Ee]\.).*$`` in the schema JSON
# of builtin:openpipeline.bizevents.pipelines / .routing, as shipped by the Terraform provider).
_RESERVED = re.compile(r"^(?:[Dd][Tt]|[Dd][Yy][Nn][Aa][Tt][Rr][Aa][Cc][Ee])\.")
ROUTING_DESCRIPTION_MAX = 512
"""Routing entry ``description``: at most 512 characters (routing schema, ``LENGTH`` constraint)."""


def has_reserved_prefix(value: str) -> bool:
    """True when ``value`` starts with ``dt.`` or ``dynatrace.`` in any letter case."""
    return _RESERVED.match(value) is not None


def check_reserved_prefix(value: str) -> str:
    """A pydantic validator body: reject the reserved prefixes, case-insensitively."""
    if has_reserved_prefix(value):
        raise ValueError("must not start with 'dt.' or 'dynatrace.' (in any letter case)")
    return value


class _Request(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def body(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class _Response(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


# --- errors -------------------------------------------------------------------------------


class ConstraintViolation(_Response):
    path: str | None = None
    message: str = ""


class ErrorBody(_Response):
    code: int
    message: str = ""
    error_details: list[Any] = Field(default_factory=list)
    constraint_violations: list[ConstraintViolation] = Field(default_factory=list)


class ErrorEnvelope(_Response):
    error: ErrorBody


# --- Grail buckets (platform storage management) -------------------------------------------


class Bucket(_Response):
    bucket_name: str
    table: str
    display_name: str | None = None
    status: str = "active"
    retention_days: int
    version: int = 1
    updatable: bool = True
    bucket_class: str | None = None
    included_query_limit_days: int | None = None


class BucketList(_Response):
    buckets: list[Bucket] = Field(default_factory=list)


class BucketCreate(_Request):
    bucket_name: str
    table: BucketTable
    retention_days: int
    display_name: str | None = None


class BucketPatch(_Request):
    """PATCH body: only the updatable fields (with ``?optimistic-locking-version=N``)."""

    display_name: str | None = None
    retention_days: int | None = None


# --- Settings 2.0 objects --------------------------------------------------------------------


class SettingsObject(_Response):
    object_id: str
    schema_id: str | None = None
    scope: str | None = None
    external_id: str | None = None
    update_token: str | None = None
    value: dict[str, Any] = Field(default_factory=dict)


class SettingsPage(_Response):
    items: list[SettingsObject] = Field(default_factory=list)
    next_page_key: str | None = None
    total_count: int = 0
    page_size: int | None = None


class SettingsObjectCreate(_Request):
    schema_id: str
    scope: str = ENVIRONMENT_SCOPE
    value: dict[str, Any]
    external_id: str | None = Field(default=None, max_length=500)
    schema_version: str | None = None


class SettingsObjectUpdate(_Request):
    value: dict[str, Any]
    update_token: str | None = None


class SettingsWriteResult(_Response):
    code: int
    object_id: str | None = None
    error: ErrorBody | None = None


class BucketAssignment(_Request):
    bucket_name: str


class _Processor(_Request):
    """What every pipeline processor has (pipelines schema, type ``Processor``)."""

    id: str = Field(min_length=4, max_length=100)
    description: str = Field(min_length=1, max_length=512)
    enabled: bool = True
    matcher: str = Field(default="true", min_length=1, max_length=4096)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return check_reserved_prefix(value)


class BucketAssignmentProcessor(_Processor):
    type: Literal["bucketAssignment"] = "bucketAssignment"
    bucket_assignment: BucketAssignment


class DqlScript(_Request):
    script: str = Field(min_length=1, max_length=8192)


class DqlProcessor(_Processor):
    """A DQL processor (pipelines schema: type ``dql``, ``DqlAttributes.script`` at most 8192 characters)."""

    type: Literal["dql"] = "dql"
    dql: DqlScript


class RoutingEntry(_Request):
    """One row of the routing table; rows owned by others are kept as raw dicts, untouched."""

    enabled: bool = True
    pipeline_type: Literal["custom", "builtin"] = "custom"
    pipeline_id: str | None = None
    builtin_pipeline_id: str | None = None
    matcher: str = Field(min_length=1, max_length=4096)
    description: str = Field(min_length=1, max_length=ROUTING_DESCRIPTION_MAX)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_reserved_prefix(value)


# --- API tokens --------------------------------------------------------------------------------


class ApiTokenCreate(_Request):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1)
    expiration_date: str | None = None
    personal_access_token: bool = False


class ApiTokenCreated(_Response):
    id: str
    token: SecretStr
    expiration_date: str | None = None


class ApiTokenMetadata(_Response):
    id: str
    name: str = ""
    enabled: bool = True
    scopes: list[str] = Field(default_factory=list)
    expiration_date: str | None = None


class ApiTokenList(_Response):
    api_tokens: list[ApiTokenMetadata] = Field(default_factory=list)
    total_count: int = 0
    page_size: int | None = None
    next_page_key: str | None = None
