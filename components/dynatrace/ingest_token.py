"""``IngestToken``: a classic API token minted for the deployed system's ingest calls.

- create: POST ``/api/v2/apiTokens``; the secret is returned only there and is kept only in the
  ``token`` output, which is a Pulumi secret. The name carried in Dynatrace is
  ``<name> [<fingerprint>] <YYYYMMDD>``: the fingerprint hashes owner, scopes and expiry, the date
  is the (UTC) day of creation. A create first revokes tokens bearing exactly that name — leftovers
  of an interrupted create the same day, whose secret nobody can hold — so a re-run after a crash
  leaves one token, not two. A replacement (new scopes, or a rotation on a later day) has another
  name and does not touch the token it replaces.
- scope, name or expiry change → replacement (a new token; the old one is revoked afterwards).
- rotation: once the clock reaches ``expiration_date - rotate_before_days`` (or the token has
  expired), ``diff`` asks for a create-before-delete replacement, so every consumer of ``token``
  is updated with the new secret before the old token is revoked. Without ``rotate_before_days``
  only an expired token is replaced.
- read: 404 → gone; scopes/enabled/expiry drift is reported (a disabled token is replaced).
- delete: revoke; 404 is success.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator, model_validator

from ._provider import (
    ClassicConnection,
    DynatraceProvider,
    DynatraceResource,
    classic_connection,
    is_unknown,
    keep_with_new_connection,
    plain,
)
from .api import TokenApi
from .client import ClientSettings, DynatraceClient, token_id
from .models import ApiTokenCreate

_log = logging.getLogger(__name__)


def now() -> datetime:
    """The current time (UTC): the only clock the rotation decision and the name's date read."""
    return datetime.now(UTC)


OUTPUTS_ONLY = ("token", "token_id", "expiration_date", "dynatrace_name", "enabled")


class TokenInputs(ClassicConnection):
    owner: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=180)
    scopes: list[str] = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    rotate_before_days: int | None = Field(default=None, ge=0, le=3649)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        if any(not s.strip() or any(ch.isspace() for ch in s) for s in value):
            raise ValueError("scopes must be non-empty names without whitespace")
        if len(set(value)) != len(value):
            raise ValueError("scopes must not repeat")
        return value

    @model_validator(mode="after")
    def _rotation_window(self) -> TokenInputs:
        if self.rotate_before_days and self.expires_in_days and self.rotate_before_days >= self.expires_in_days:
            raise ValueError("rotate_before_days must be smaller than expires_in_days")
        return self

    @property
    def fingerprint(self) -> str:
        material = json.dumps([self.owner, sorted(self.scopes), self.expires_in_days])
        return hashlib.sha256(material.encode()).hexdigest()[:8]

    def dynatrace_name(self, created: datetime) -> str:
        return f"{self.name} [{self.fingerprint}] {created.astimezone(UTC):%Y%m%d}"


def parse_expiry(value: Any) -> datetime | None:
    """An ``expirationDate`` as Dynatrace returns it (ISO-8601, ``Z`` or offset), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def rotation_due(olds: dict[str, Any], news: dict[str, Any], at: datetime) -> bool:
    """True when the stored token expires within the new inputs' rotation window (or has expired)."""
    expiry = parse_expiry(plain(olds.get("expiration_date")))
    if expiry is None:
        return False
    days = news.get("rotate_before_days")
    window = 0 if days is None or is_unknown(days) else int(days)
    return at >= expiry - timedelta(days=window)


def _sorted(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


class IngestTokenProvider(DynatraceProvider[TokenInputs]):
    """Dynamic provider for one API token (stateless; safe to pickle by reference)."""

    INPUTS = TokenInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = self.diff_fields(
            olds,
            news,
            compared={"name": str, "scopes": _sorted, "expires_in_days": lambda v: v, "rotate_before_days": int},
            replace_on=("name", "scopes", "expires_in_days"),
            optional=("rotate_before_days",),
        )
        extra: list[str] = []
        if olds.get("enabled") is False:  # disabled outside Pulumi (refresh saw it): mint a new one
            extra.append("enabled")
        if rotation_due(olds, news, now()):  # inside the rotation window, or expired: mint a new one
            extra.append("expiration_date")
        if extra:
            # Create-before-delete: consumers get the new token before the old one is revoked.
            return DiffResult(changes=True, replaces=[*(result.replaces or []), *extra], delete_before_replace=False)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        dynatrace_name = inputs.dynatrace_name(now())
        with inputs.open() as client:
            api = TokenApi(client)
            for orphan in api.find_by_name(dynatrace_name):
                _log.warning("revoking %s (%s): left by an interrupted create", orphan.id, dynatrace_name)
                api.delete(orphan.id)
            created = api.create(
                ApiTokenCreate(
                    name=dynatrace_name,
                    scopes=list(inputs.scopes),
                    expiration_date=f"now+{inputs.expires_in_days}d" if inputs.expires_in_days else None,
                )
            )
        _log.info("created API token %s (%s)", token_id(created.token.get_secret_value()), dynatrace_name)
        outs = inputs.props()
        outs.update(
            token=created.token.get_secret_value(),
            token_id=created.id,
            expiration_date=created.expiration_date,
            dynatrace_name=dynatrace_name,
            enabled=True,
        )
        return CreateResult(created.id, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Every property of the token itself forces a replacement: only the connection and the
        # rotation window (read by the next diff) change here.
        inputs = self.parse(news)
        outs = keep_with_new_connection(olds, inputs, inputs.CONNECTION)
        outs["rotate_before_days"] = inputs.rotate_before_days
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            meta = TokenApi(client).get(id_)
        if meta is None:
            return ReadResult(None, {})
        outs = {k: v for k, v in props.items() if k != "__provider"}
        outs.update(
            scopes=list(meta.scopes) or list(inputs.scopes),
            enabled=meta.enabled,
            expiration_date=meta.expiration_date or props.get("expiration_date"),
        )
        return ReadResult(id_, outs)

    def remove(self, client: DynatraceClient, inputs: TokenInputs, id_: str) -> None:
        TokenApi(client).delete(id_)


@dataclass(frozen=True)
class IngestTokenArgs:
    environment_url: pulumi.Input[str]
    api_token: pulumi.Input[str]
    """Admin Api-Token with the scopes of :data:`~components.dynatrace.scopes.INGEST_TOKEN` (pass a secret)."""
    owner: pulumi.Input[str]
    name: pulumi.Input[str]
    scopes: pulumi.Input[list[str]]
    expires_in_days: pulumi.Input[int] | None = None
    rotate_before_days: pulumi.Input[int] | None = None
    """Days before expiry from which ``pulumi up`` replaces the token; None: only once expired."""
    client: ClientSettings | None = None


class IngestToken(DynatraceResource, module="dynatrace", name="IngestToken"):
    """An API token; ``token`` (the secret) is a Pulumi secret output, ``token_id`` is public."""

    SECRET_OUTPUTS: ClassVar[list[str]] = ["token", "api_token"]

    token: pulumi.Output[str]
    token_id: pulumi.Output[str]
    expiration_date: pulumi.Output[str]
    dynatrace_name: pulumi.Output[str]
    scopes: pulumi.Output[list[str]]

    def __init__(self, name: str, args: IngestTokenArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            IngestTokenProvider(),
            name,
            connection=classic_connection(args.environment_url, args.api_token),
            fields={
                "owner": args.owner,
                "name": args.name,
                "scopes": args.scopes,
                "expires_in_days": args.expires_in_days,
                "rotate_before_days": args.rotate_before_days,
            },
            client=args.client,
            opts=opts,
        )
