"""``IngestToken``: a classic API token minted for the deployed system's ingest calls.

- create: POST ``/api/v2/apiTokens``; the secret is returned only there and is kept only in the
  ``token`` output, which is a Pulumi secret. The name carried in Dynatrace is
  ``<name> [<fingerprint>]``, the fingerprint hashing owner, scopes and expiry: a create first
  revokes tokens bearing exactly that name — leftovers of an interrupted create, whose secret
  nobody can hold — so a re-run after a crash leaves one token, not two. A replacement (new
  scopes) has another fingerprint and does not touch the token it replaces.
- scope, name or expiry change → replacement (a new token; the old one is revoked afterwards).
- read: 404 → gone; scopes/enabled drift is reported (a disabled token is replaced).
- delete: revoke; 404 is success.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult
from pydantic import Field, field_validator

from ._provider import (
    CLASSIC_CONNECTION,
    ClassicConnection,
    DynatraceResource,
    check_inputs,
    classic_connection,
    diff_props,
    keep_with_new_connection,
    parse,
)
from .api import TokenApi
from .client import ClientSettings, token_id
from .models import ApiTokenCreate

_log = logging.getLogger(__name__)
OUTPUTS_ONLY = ("token", "token_id", "expiration_date", "dynatrace_name", "enabled")


class TokenInputs(ClassicConnection):
    owner: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=180)
    scopes: list[str] = Field(min_length=1, max_length=100)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        if any(not s.strip() or any(ch.isspace() for ch in s) for s in value):
            raise ValueError("scopes must be non-empty names without whitespace")
        if len(set(value)) != len(value):
            raise ValueError("scopes must not repeat")
        return value

    @property
    def fingerprint(self) -> str:
        material = json.dumps([self.owner, sorted(self.scopes), self.expires_in_days])
        return hashlib.sha256(material.encode()).hexdigest()[:8]

    @property
    def dynatrace_name(self) -> str:
        return f"{self.name} [{self.fingerprint}]"


def _sorted(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


class IngestTokenProvider(ResourceProvider):
    """Dynamic provider for one API token (stateless; safe to pickle by reference)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return check_inputs(TokenInputs, news, OUTPUTS_ONLY)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = diff_props(
            olds,
            news,
            compared={"name": str, "scopes": _sorted, "expires_in_days": lambda v: v},
            replace_on=("name", "scopes", "expires_in_days"),
            connection=CLASSIC_CONNECTION,
        )
        if olds.get("enabled") is False:  # disabled outside Pulumi (refresh saw it): mint a new one
            return DiffResult(changes=True, replaces=[*(result.replaces or []), "enabled"], delete_before_replace=False)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = parse(TokenInputs, props, OUTPUTS_ONLY)
        with inputs.open() as client:
            api = TokenApi(client)
            for orphan in api.find_by_name(inputs.dynatrace_name):
                _log.warning("revoking %s (%s): left by an interrupted create", orphan.id, inputs.dynatrace_name)
                api.delete(orphan.id)
            created = api.create(
                ApiTokenCreate(
                    name=inputs.dynatrace_name,
                    scopes=list(inputs.scopes),
                    expiration_date=f"now+{inputs.expires_in_days}d" if inputs.expires_in_days else None,
                )
            )
        _log.info("created API token %s (%s)", token_id(created.token.get_secret_value()), inputs.dynatrace_name)
        outs = inputs.props()
        outs.update(
            token=created.token.get_secret_value(),
            token_id=created.id,
            expiration_date=created.expiration_date,
            dynatrace_name=inputs.dynatrace_name,
            enabled=True,
        )
        return CreateResult(created.id, outs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Every property of the token itself forces a replacement: only the connection changes here.
        inputs = parse(TokenInputs, news, OUTPUTS_ONLY)
        return UpdateResult(keep_with_new_connection(olds, inputs, CLASSIC_CONNECTION))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = parse(TokenInputs, props, OUTPUTS_ONLY)
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

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        inputs = parse(TokenInputs, props, OUTPUTS_ONLY)
        with inputs.open() as client:
            TokenApi(client).delete(id_)


@dataclass(frozen=True)
class IngestTokenArgs:
    environment_url: pulumi.Input[str]
    api_token: pulumi.Input[str]
    """Admin Api-Token with ``apiTokens.read`` and ``apiTokens.write`` (pass a secret)."""
    owner: pulumi.Input[str]
    name: pulumi.Input[str]
    scopes: pulumi.Input[list[str]]
    expires_in_days: pulumi.Input[int] | None = None
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
            },
            client=args.client,
            outputs=("token", "token_id", "expiration_date", "dynatrace_name", "enabled"),
            opts=opts,
        )
