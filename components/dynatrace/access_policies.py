"""The statements of the two access policies, written from the configuration.

Statement syntax ("IAM policy statement syntax and examples", Dynatrace documentation):
``ALLOW <service>:<resource>:<action>[, …] [WHERE <condition> [AND …]];`` with conditions such as
``storage:bucket-name = "<name>"`` or ``storage:bucket-name startsWith "<prefix>"``. Reading a Grail
record needs two permissions ("Permissions in Grail"): the table's (``storage:bizevents:read``) and
the bucket's (``storage:buckets:read``, narrowed by ``storage:bucket-name``).

- **AI Observability users:** the AI Observability app's permissions as its page lists them
  (``storage:events|entities|logs|metrics|spans:read``, ``settings:objects:read|write``,
  ``davis:analyzers:execute``, ``hub:catalog:read``) and ``storage:buckets:read`` only for buckets
  whose names start with the configured prefixes (Dynatrace's ``default_`` and ``dt_`` buckets by
  default): never the governance bucket, whose name cannot start with those reserved prefixes.
- **AI governance auditors:** ``storage:buckets:read`` for the governance bucket alone and
  ``storage:bizevents:read``: the audit trail, nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

APP_PERMISSIONS: Final = (
    "storage:events:read",
    "storage:entities:read",
    "storage:logs:read",
    "storage:metrics:read",
    "storage:spans:read",
    "settings:objects:read",
    "settings:objects:write",
    "davis:analyzers:execute",
    "hub:catalog:read",
)
"""The AI Observability app's permissions besides ``storage:buckets:read`` (its documentation page)."""
BUCKET_READ: Final = "storage:buckets:read"
BUCKET_NAME: Final = "storage:bucket-name"
AUDIT_TABLE_READ: Final = "storage:bizevents:read"


def _quoted(value: str) -> str:
    if '"' in value or "\\" in value or "\n" in value:
        raise ValueError(f"{value!r} cannot be quoted in a policy statement")
    return f'"{value}"'


def users_statement(bucket_prefixes: Sequence[str]) -> str:
    lines = [f"ALLOW {', '.join(APP_PERMISSIONS)};"]
    lines += [f"ALLOW {BUCKET_READ} WHERE {BUCKET_NAME} startsWith {_quoted(p)};" for p in bucket_prefixes]
    return "\n".join(lines)


def auditors_statement(governance_bucket: str) -> str:
    return "\n".join(
        (
            f"ALLOW {BUCKET_READ} WHERE {BUCKET_NAME} = {_quoted(governance_bucket)};",
            f"ALLOW {AUDIT_TABLE_READ};",
        )
    )
