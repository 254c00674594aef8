"""Answers the offline plan's mocks give to the invokes (data sources) the program calls.

Each entry maps an invoke token to a function of (invoke args, stack context) returning the
result, shaped like the provider's real answer (camelCase keys). Account ids are placeholders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MOCK_ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class InvokeContext:
    stack: str
    region: str


InvokeAnswer = Callable[[Mapping[str, Any], InvokeContext], dict[str, Any]]


def _caller_identity(_: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {
        "accountId": MOCK_ACCOUNT_ID,
        "arn": f"arn:aws:sts::{MOCK_ACCOUNT_ID}:assumed-role/plan/offline",
        "userId": "AROAOFFLINEPLAN:offline",
        "id": MOCK_ACCOUNT_ID,
    }


def _region(_: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"name": ctx.region, "id": ctx.region, "region": ctx.region, "description": ctx.region}


def _partition(_: Mapping[str, Any], ctx: InvokeContext) -> dict[str, Any]:
    return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}


MOCK_INVOKES: dict[str, InvokeAnswer] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
}
