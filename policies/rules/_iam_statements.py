"""Reading Dynatrace IAM policy statements: which Grail buckets a policy lets its groups read.

Statement syntax ("IAM policy statement syntax and examples", Dynatrace documentation):
``ALLOW|DENY <permission>[, …] [WHERE <condition> [AND …]];`` with ``//`` comments; a condition is
``<name> <operator> <value>`` with ``=``, ``!=``, ``IN (…)``, ``NOT IN (…)``, ``startsWith``,
``NOT startsWith`` or ``MATCH (…)`` (``*`` wildcards). Reading a Grail bucket needs
``storage:buckets:read`` for it ("Permissions in Grail"), narrowed by ``storage:bucket-name``.

The reading is conservative: an ALLOW it cannot parse, and a condition on another attribute, are
taken to admit every bucket; a DENY counts only when it is parsed and conditioned on bucket names
alone. A rule built on it may flag a
compliant policy, never pass a non-compliant one.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

BUCKET_READ = "storage:buckets:read"
BUCKET_NAME = "storage:bucket-name"
_STRING = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_OUTSIDE_QUOTES = r"(?=(?:[^\"']|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')*$)"
_CONDITION = re.compile(
    r"^(?P<name>[A-Za-z0-9_.:-]+)\s*(?P<op>!=|=|NOT\s+IN|IN|NOT\s+STARTSWITH|STARTSWITH|MATCH)\s*"
    rf"\(?\s*(?P<values>(?:{_STRING})(?:\s*,\s*(?:{_STRING}))*)\s*\)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Condition:
    name: str
    operator: str
    """Upper case, single-spaced: ``=``, ``!=``, ``IN``, ``NOT IN``, ``STARTSWITH``, ``NOT STARTSWITH``, ``MATCH``."""
    values: tuple[str, ...]

    def admits(self, bucket: str) -> bool:
        """Whether a bucket called ``bucket`` may satisfy this condition (other attributes: yes)."""
        if self.name != BUCKET_NAME:
            return True
        negated = self.operator.startswith("NOT ") or self.operator == "!="
        base = {"!=": "=", "NOT IN": "IN", "NOT STARTSWITH": "STARTSWITH"}.get(self.operator, self.operator)
        if base in ("=", "IN"):
            hit = bucket in self.values
        elif base == "STARTSWITH":
            hit = any(bucket.startswith(v) for v in self.values)
        else:  # MATCH
            hit = any(fnmatch.fnmatchcase(bucket, v) for v in self.values)
        return hit != negated


@dataclass(frozen=True)
class Statement:
    effect: str
    permissions: tuple[str, ...]
    conditions: tuple[Condition, ...] = ()
    parsed: bool = True

    def admits(self, bucket: str) -> bool:
        return all(c.admits(bucket) for c in self.conditions)

    def limited_to(self) -> frozenset[str] | None:
        """The bucket names an ``=``/``IN`` condition limits this statement to, else None."""
        for c in self.conditions:
            if c.name == BUCKET_NAME and c.operator in ("=", "IN"):
                return frozenset(c.values)
        return None


def _without_comments(text: str) -> str:
    return "\n".join(re.split(r"//" + _OUTSIDE_QUOTES, line, maxsplit=1)[0] for line in text.splitlines())


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _statement(text: str) -> Statement:
    match = re.match(r"^(ALLOW|DENY)\s+(.+?)(?:\s+WHERE\s+(.+))?$", text, re.IGNORECASE)
    if match is None:
        return Statement("ALLOW", (BUCKET_READ,), parsed=False)  # unreadable: assume it grants the read
    permissions = tuple(p.strip() for p in match.group(2).split(","))
    conditions = []
    for clause in re.split(r"\s+AND\s+" + _OUTSIDE_QUOTES, match.group(3) or "", flags=re.IGNORECASE):
        if not clause.strip():
            continue
        cond = _CONDITION.match(clause.strip())
        if cond is None:
            return Statement(match.group(1).upper(), permissions, parsed=False)
        values = tuple(_unquote(v) for v in re.findall(_STRING, cond.group("values")))
        conditions.append(Condition(cond.group("name"), " ".join(cond.group("op").upper().split()), values))
    return Statement(match.group(1).upper(), permissions, tuple(conditions))


def statements(query: str) -> list[Statement]:
    parts = re.split(";" + _OUTSIDE_QUOTES, _without_comments(query))
    return [_statement(" ".join(p.split())) for p in parts if p.strip()]


@dataclass(frozen=True)
class BucketAccess:
    reads: bool
    """The policy lets its groups read the bucket."""
    only: bool
    """Every bucket read the policy grants is limited to the given bucket names (an auditors' policy)."""


def bucket_access(query: str, bucket: str, names: frozenset[str]) -> BucketAccess:
    """Whether the policy ``query`` lets its groups read ``bucket``, and whether it grants reading
    nothing but buckets called one of ``names``."""
    parsed = statements(query)
    grants = [s for s in parsed if s.effect == "ALLOW" and BUCKET_READ in s.permissions]
    # A DENY counts only when it certainly applies: parsed, and conditioned on bucket names alone.
    denials = [
        s
        for s in parsed
        if s.effect == "DENY"
        and BUCKET_READ in s.permissions
        and s.parsed
        and all(c.name == BUCKET_NAME for c in s.conditions)
    ]
    reads = any(s.admits(bucket) for s in grants) and not any(s.admits(bucket) for s in denials)
    only = all(s.parsed and (s.limited_to() or frozenset({"*"})) <= names for s in grants)
    return BucketAccess(reads, only)
