"""Emulator of the Account Management API parts the access feature uses: groups, policies, bindings
and the account's environments, authorised with SSO access tokens only.

Sources, cited per rule below:
- [policy-api] Dynatrace docs "Policy management API" (policies, bindings pages) and the API's
  OpenAPI document, as Dynatrace's Monaco core library generates its client from it
  (Dynatrace/dynatrace-configuration-as-code-core ``gen/account_management/api_policy_management.go``
  and ``model_*.go``): paths, bodies (``CreateOrUpdateLevelPolicyRequestDto`` requires name,
  description and statementQuery), status codes (create 201, update 204 or 201 when it creates,
  delete 204, bindings 204), ``force`` required on policy DELETE and ``forceMultiple`` on binding
  DELETEs, ``ErrorDto {code, message, errorsMap}``, token scopes ``iam-policies-management`` (or
  the fine-grained ``iam:policies:*``/``iam:bindings:*``), "unavailable within global level" for writes.
- [append] "POST bindings of a policy": "Any existing policy bindings remain unaffected"; "POST
  level-bindings for a group" appends one binding.
- [replace] "PUT bindings of a user group": "Any policy not presented in the request is discarded";
  "PUT bindings of a policy level": "Any existing binding not presented in the request is discarded".
- [group-api] "Group management API" and ``api_group_management.go``: list ``{count, items}``,
  create takes a list and answers 201 with the created groups, edit/delete answer 200, scopes
  ``account-idm-read``/``account-idm-write``; descriptions of at most 255 characters.
- [env-api] "Environment management API": ``GET /env/v2/accounts/{uuid}/environments`` →
  ``{"data": [{id, name, active, url}]}``, scope ``account-env-read``.
- [oauth] "Authentication for the Account Management API": a bearer token of an OAuth client;
  no other token type is accepted.
- [syntax] "IAM policy statement syntax and examples": ``ALLOW <service>:<permission>
  [WHERE <condition> [AND <condition>]];``, conditions ``<name> <operator> "<value>"`` with operators
  such as ``=``, ``!=``, ``IN (…)``, ``startsWith``; comments start with ``//``; at most 100 statements.
- [tf] terraform-provider-dynatrace ``dynatrace/api/iam/bindings/service.go``: deleting a binding
  that does not exist answers 400.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from testsupport.dynatrace.emulator_sso import ACCOUNT_URN, Sso

IAM_PREFIX = "/iam/v1/"
ENV_PREFIX = "/env/v2/accounts/"
MAX_STATEMENTS = 100  # [syntax]
MAX_GROUP_DESCRIPTION = 255  # [group-api]
LEVEL_TYPES = ("global", "account", "environment")  # [policy-api]
# [policy-api] x-token-scopes of each operation: the coarse scope, or its fine-grained equivalent.
POLICY_READ = ("iam-policies-management", "iam:policies:read")
POLICY_WRITE = ("iam-policies-management", "iam:policies:write")
BINDING_READ = ("iam-policies-management", "iam:bindings:read")
BINDING_WRITE = ("iam-policies-management", "iam:bindings:write")
# The policy repository's two kinds of object: (read, write) scopes of each.
REPO_SCOPES = {"policies": (POLICY_READ, POLICY_WRITE), "bindings": (BINDING_READ, BINDING_WRITE)}
GROUP_READ = ("account-idm-read",)  # [group-api]
GROUP_WRITE = ("account-idm-write",)
ENV_READ = ("account-env-read",)  # [env-api]


class IamError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"code": status, "message": message, "errorsMap": errors or {}}  # [policy-api] ErrorDto


# --- statement syntax [syntax] -----------------------------------------------------------------

_PERMISSION = re.compile(r"[a-z][a-z0-9-]*(?::[a-z][a-zA-Z0-9._-]*){1,3}")
_CONDITION_NAME = re.compile(r"[a-z][a-z0-9-]*:[a-zA-Z][a-zA-Z0-9._-]*")
_STRING = r"(?:\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')"
_CONDITION = re.compile(
    rf"^({_CONDITION_NAME.pattern})\s+"
    rf"(?:(=|!=)\s*({_STRING})|((?:NOT\s+)?STARTSWITH)\s+({_STRING})|((?:NOT\s+)?IN|MATCH)\s*\(\s*({_STRING}(?:\s*,\s*{_STRING})*)\s*\))$",
    re.IGNORECASE,
)
_OPERATORS = {"=": "EQ", "!=": "NEQ", "IN": "IN", "NOT IN": "NOT_IN", "STARTSWITH": "STARTS_WITH", "MATCH": "MATCH"}
_OPERATORS["NOT STARTSWITH"] = "NOT_STARTS_WITH"


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _strip_comments(text: str) -> str:
    """Everything from ``//`` to the end of a line, outside quoted values, is a comment [syntax]."""
    out, quote, i = [], "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            out.append(ch)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _split_statements(text: str) -> list[str]:
    parts, current, quote = [], [], ""
    for ch in text:
        if quote:
            current.append(ch)
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
            current.append(ch)
        elif ch == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    tail = "".join(current).strip()
    if tail:
        raise ValueError(f"statement {tail[:60]!r} does not end with ';'")
    return [p for p in parts]


def _split_and(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"\s+AND\s+(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)", text, flags=re.IGNORECASE)]


def parse_statements(query: str) -> list[dict[str, Any]]:
    """The ``statements`` of a statement query; ``ValueError`` naming the first syntax error."""
    statements = []
    for index, raw in enumerate(_split_statements(_strip_comments(query)), start=1):
        text = " ".join(raw.split())
        if not text:
            raise ValueError(f"statement {index} is empty")
        match = re.match(r"^(ALLOW|DENY)\s+(.+?)(?:\s+WHERE\s+(.+))?$", text, re.IGNORECASE)
        if match is None:
            raise ValueError(f"statement {index} must start with ALLOW (or DENY) and name permissions: {text[:80]!r}")
        permissions = [p.strip() for p in match.group(2).split(",")]
        for permission in permissions:
            if not _PERMISSION.fullmatch(permission):
                what = "is not a permission (<service>:<resource>:<action>)"
                raise ValueError(f"statement {index}: {permission!r} {what}")
        conditions = []
        for clause in _split_and(match.group(3)) if match.group(3) else []:
            cond = _CONDITION.match(clause)
            if cond is None:
                raise ValueError(f'statement {index}: condition {clause[:80]!r} is not <name> <operator> "<value>"')
            name, eq_op, eq_value, sw_op, sw_value, list_op, list_values = cond.groups()
            operator = " ".join((eq_op or sw_op or list_op).upper().split())
            if eq_value is not None:
                values = [_unquote(eq_value)]
            elif sw_value is not None:
                values = [_unquote(sw_value)]
            else:
                values = [_unquote(v) for v in re.findall(_STRING, list_values)]
            conditions.append({"name": name, "operator": _OPERATORS[operator], "values": values})
        statements.append({"effect": match.group(1).upper(), "permissions": permissions, "conditions": conditions})
    if not statements:
        raise ValueError("the statement query holds no statement")
    if len(statements) > MAX_STATEMENTS:
        raise ValueError(f"a policy may contain at most {MAX_STATEMENTS} statements, not {len(statements)}")
    return statements


# --- state -----------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class GroupRecord:
    uuid: str
    name: str
    description: str | None
    owner: str = "LOCAL"
    federated: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "uuid": self.uuid,
            "name": self.name,
            "owner": self.owner,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "federatedAttributeValues": list(self.federated),
        }
        if self.description is not None:
            data["description"] = self.description
        return data


@dataclass
class PolicyRecord:
    uuid: str
    name: str
    description: str
    statement_query: str
    tags: list[str] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "name": self.name,
            "tags": list(self.tags),
            "description": self.description,
            "statementQuery": self.statement_query,
            "statements": parse_statements(self.statement_query),
        }


@dataclass
class BindingRecord:
    policy: str
    group: str
    parameters: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    boundaries: list[str] = field(default_factory=list)


Level = tuple[str, str]


class AccountManagement:
    """One account: its environments, groups, policies per level and bindings per level."""

    def __init__(self, sso: Sso) -> None:
        self.sso = sso
        self.account = sso.account_uuid
        self._lock = threading.RLock()
        self.groups: dict[str, GroupRecord] = {}
        self.policies: dict[Level, dict[str, PolicyRecord]] = {}
        self.bindings: dict[Level, list[BindingRecord]] = {}

    # -- seeding and inspection (tests) ----------------------------------------------------------

    def put_group(self, name: str, description: str | None = None) -> str:
        with self._lock:
            record = GroupRecord(str(uuid.uuid4()), name, description)
            self.groups[record.uuid] = record
            return record.uuid

    def put_policy(self, level: Level, name: str, statement_query: str, description: str = "") -> str:
        with self._lock:
            parse_statements(statement_query)
            record = PolicyRecord(str(uuid.uuid4()), name, description, statement_query)
            self.policies.setdefault(level, {})[record.uuid] = record
            return record.uuid

    def bind(self, level: Level, policy: str, group: str) -> None:
        """Bind as someone else would (e.g. in the account console): appended."""
        with self._lock:
            self.bindings.setdefault(level, []).append(BindingRecord(policy, group))

    def unbind(self, level: Level, policy: str, group: str) -> None:
        with self._lock:
            self.bindings[level] = [b for b in self.bindings.get(level, []) if (b.policy, b.group) != (policy, group)]

    def group_bindings(self, level: Level, group: str) -> list[str]:
        """Policy UUIDs bound to ``group`` at ``level``."""
        with self._lock:
            return [b.policy for b in self.bindings.get(level, []) if b.group == group]

    def policy_named(self, level: Level, name: str) -> PolicyRecord | None:
        with self._lock:
            return next((p for p in self.policies.get(level, {}).values() if p.name == name), None)

    def group_named(self, name: str) -> GroupRecord | None:
        with self._lock:
            return next((g for g in self.groups.values() if g.name == name), None)

    # -- dispatch ---------------------------------------------------------------------------------

    @staticmethod
    def serves(path: str) -> bool:
        return path.startswith((IAM_PREFIX, ENV_PREFIX))

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            status, body = self._route(method, path, query, headers, raw)
            return status, body, {}
        except IamError as exc:
            return exc.status, exc.body, {}

    def _authorize(self, headers: dict[str, str], account: str, scopes: tuple[str, ...]) -> None:
        """[oauth] An unexpired SSO access token whose resource (if any) is this account, with a scope."""
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise IamError(401, "Missing or invalid authorization header: a Bearer token is required")
        token = self.sso.token(value.strip())
        if token is None:
            raise IamError(401, "The token is not an OAuth access token issued by Dynatrace SSO")
        if not self.sso.valid(token):
            raise IamError(401, "Token expired")
        if account != self.account:
            raise IamError(403, f"The token does not grant access to account {account}")
        if token.resource is not None and token.resource != ACCOUNT_URN + self.account:
            raise IamError(403, f"The token was issued for {token.resource}, not this account")
        if not token.scopes & set(scopes):
            raise IamError(403, f"Missing required scope: {' or '.join(scopes)}")

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts[:3] == ["env", "v2", "accounts"] and len(parts) == 5 and parts[4] == "environments":
            self._authorize(headers, parts[3], ENV_READ)
            if method != "GET":
                raise IamError(405, f"{method} is not allowed here")
            data = [
                {"id": env, "name": env, "active": True, "url": f"https://{env}.live.dynatrace.com"}
                for env in self.sso.environments
            ]
            return 200, {"data": data}
        if parts[:3] == ["iam", "v1", "accounts"] and len(parts) >= 5 and parts[4] == "groups":
            return self._groups(method, parts[3], parts[5:], headers, raw)
        if parts[:3] == ["iam", "v1", "repo"] and len(parts) >= 6:
            level = (parts[3], parts[4])
            account = self._check_level(level)
            if parts[5] in REPO_SCOPES:
                read, write = REPO_SCOPES[parts[5]]
                self._authorize(headers, account, read if method == "GET" else write)
                if method != "GET" and level[0] == "global":
                    raise IamError(400, "This endpoint is unavailable within global level")
                handler = self._policies if parts[5] == "policies" else self._bindings
                return handler(method, level, parts[6:], query, raw)
        raise IamError(404, f"Path {path} not found")

    def _check_level(self, level: Level) -> str:
        """The account a level belongs to (404 for an unknown level) [policy-api]."""
        level_type, level_id = level
        if level_type not in LEVEL_TYPES:
            raise IamError(400, f"levelType must be one of {', '.join(LEVEL_TYPES)}")
        if level_type == "account" and level_id != self.account:
            raise IamError(404, f"Account {level_id} not found")
        if level_type == "environment" and level_id not in self.sso.environments:
            raise IamError(404, f"Environment {level_id} not found")
        if level_type == "global" and level_id != "global":
            raise IamError(404, "The global level's id is 'global'")
        return self.account

    # -- groups [group-api] ----------------------------------------------------------------------

    def _groups(
        self, method: str, account: str, rest: list[str], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        self._authorize(headers, account, GROUP_READ if method == "GET" else GROUP_WRITE)
        with self._lock:
            if not rest:
                if method == "GET":
                    items = [g.body() for g in self.groups.values()]
                    return 200, {"count": len(items), "items": items}
                if method == "POST":
                    body = _json(raw)
                    if not isinstance(body, list) or not body:
                        raise IamError(400, "The body must be a non-empty list of groups")
                    created = [self._new_group(item) for item in body]
                    for record in created:
                        self.groups[record.uuid] = record
                    return 201, [g.body() for g in created]
                raise IamError(405, f"{method} is not allowed here")
            if len(rest) != 1:
                raise IamError(404, "Not found")
            record = self.groups.get(rest[0])
            if record is None:
                raise IamError(404, f"Group {rest[0]} not found")
            if method == "PUT":
                body = _json(raw)
                name, description = self._group_fields(body)
                if any(g.name == name and g.uuid != record.uuid for g in self.groups.values()):
                    raise IamError(400, f"A group named {name!r} already exists")
                record.name, record.description, record.updated_at = name, description, _now()
                return 200, None
            if method == "DELETE":
                del self.groups[record.uuid]
                for level in self.bindings:  # a deleted group keeps no binding
                    self.bindings[level] = [b for b in self.bindings[level] if b.group != record.uuid]
                return 200, None
            raise IamError(405, f"{method} is not allowed here")

    @staticmethod
    def _group_fields(body: Any) -> tuple[str, str | None]:
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
            raise IamError(400, "name is required", {"name": "must not be blank"})
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > MAX_GROUP_DESCRIPTION):
            raise IamError(400, "description is invalid", {"description": "at most 255 characters"})
        return body["name"], description

    def _new_group(self, item: Any) -> GroupRecord:
        name, description = self._group_fields(item)
        if any(g.name == name for g in self.groups.values()):
            raise IamError(400, f"A group named {name!r} already exists")
        return GroupRecord(str(uuid.uuid4()), name, description)

    # -- policies [policy-api] --------------------------------------------------------------------

    def _policy_body(self, body: Any) -> tuple[str, str, str, list[str]]:
        if not isinstance(body, dict):
            raise IamError(400, "The body must be a JSON object")
        errors = {}
        for key in ("name", "description", "statementQuery"):  # required by CreateOrUpdateLevelPolicyRequestDto
            if not isinstance(body.get(key), str):
                errors[key] = "is required"
        if errors:
            raise IamError(400, "Invalid policy", errors)
        if not body["name"].strip():
            raise IamError(400, "Invalid policy", {"name": "must not be blank"})
        tags = body.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise IamError(400, "Invalid policy", {"tags": "must be a list of strings"})
        try:
            parse_statements(body["statementQuery"])
        except ValueError as exc:
            raise IamError(400, f"Invalid statement query: {exc}", {"statementQuery": str(exc)}) from None
        return body["name"], body["description"], body["statementQuery"], tags

    def _policies(
        self, method: str, level: Level, rest: list[str], query: dict[str, list[str]], raw: bytes
    ) -> tuple[int, Any]:
        with self._lock:
            policies = self.policies.setdefault(level, {})
            if not rest:
                if method == "GET":
                    wanted = query.get("name", [None])[-1]
                    found = [p for p in policies.values() if wanted is None or p.name == wanted]
                    return 200, {
                        "policies": [{"uuid": p.uuid, "name": p.name, "description": p.description} for p in found]
                    }
                if method == "POST":
                    name, description, statement, tags = self._policy_body(_json(raw))
                    if any(p.name == name for p in policies.values()):
                        raise IamError(400, f"A policy named {name!r} already exists at this level")
                    record = PolicyRecord(str(uuid.uuid4()), name, description, statement, tags)
                    policies[record.uuid] = record
                    return 201, record.body()
                raise IamError(405, f"{method} is not allowed here")
            if len(rest) != 1:
                raise IamError(404, "Not found")
            record = policies.get(rest[0])
            if method == "GET":
                if record is None:
                    raise IamError(404, f"Policy {rest[0]} not found")
                return 200, record.body()
            if method == "PUT":
                name, description, statement, tags = self._policy_body(_json(raw))
                if any(p.name == name and p.uuid != rest[0] for p in policies.values()):
                    raise IamError(400, f"A policy named {name!r} already exists at this level")
                if record is None:  # "If the specified policy doesn't exist, a new one is created."
                    policies[rest[0]] = PolicyRecord(rest[0], name, description, statement, tags)
                    return 201, policies[rest[0]].body()
                record.name, record.description, record.tags = name, description, tags
                record.statement_query = statement
                return 204, None
            if method == "DELETE":
                force = query.get("force", [None])[-1]
                if force not in ("true", "false"):
                    raise IamError(400, "Query parameter 'force' is required")
                if record is None:
                    raise IamError(404, f"Policy {rest[0]} not found")
                in_use = [b for bs in self.bindings.values() for b in bs if b.policy == record.uuid]
                if in_use and force != "true":
                    raise IamError(400, f"Policy {record.uuid} is in use by {len(in_use)} binding(s); use force=true")
                del policies[record.uuid]
                for lvl in self.bindings:
                    self.bindings[lvl] = [b for b in self.bindings[lvl] if b.policy != record.uuid]
                return 204, None
            raise IamError(405, f"{method} is not allowed here")

    # -- bindings [policy-api] [append] [replace] ------------------------------------------------

    def _visible_policy(self, level: Level, policy: str) -> bool:
        """A policy of this level or of a level it inherits from (account, global)."""
        levels = [level, ("account", self.account), ("global", "global")]
        return any(policy in self.policies.get(lvl, {}) for lvl in levels)

    def _existing_group(self, group: str) -> None:
        if group not in self.groups:
            raise IamError(400, f"Group {group} does not exist")

    def _level_dto(self, level: Level, bindings: list[BindingRecord]) -> dict[str, Any]:
        by_policy: dict[str, list[str]] = {}
        for b in bindings:
            groups = by_policy.setdefault(b.policy, [])
            if b.group not in groups:
                groups.append(b.group)
        return {
            "levelType": level[0],
            "levelId": level[1],
            "policyBindings": [{"policyUuid": p, "groups": g, "boundaries": []} for p, g in by_policy.items()],
        }

    def _bindings(
        self, method: str, level: Level, rest: list[str], query: dict[str, list[str]], raw: bytes
    ) -> tuple[int, Any]:
        with self._lock:
            current = self.bindings.setdefault(level, [])
            if not rest:
                if method == "GET":
                    return 200, self._level_dto(level, current)
                if method == "PUT":  # [replace] the whole level
                    body = _json(raw)
                    entries = body.get("policyBindings") if isinstance(body, dict) else None
                    if not isinstance(entries, list):
                        raise IamError(400, "policyBindings is required")
                    replaced = []
                    for entry in entries:
                        policy, groups = entry.get("policyUuid"), entry.get("groups")
                        if not isinstance(policy, str) or not isinstance(groups, list):
                            raise IamError(400, "each binding needs policyUuid and groups")
                        if not self._visible_policy(level, policy):
                            raise IamError(404, f"Policy {policy} not found")
                        for group in groups:
                            self._existing_group(group)
                            replaced.append(BindingRecord(policy, group))
                    self.bindings[level] = replaced
                    return 204, None
                if method == "DELETE":
                    self.bindings[level] = []
                    return 204, None
                raise IamError(405, f"{method} is not allowed here")
            if rest[0] == "groups" and len(rest) == 2:
                group = rest[1]
                if method == "GET":
                    return 200, {"policyUuids": [b.policy for b in current if b.group == group]}
                if method == "PUT":  # [replace] every policy of the group at this level
                    body = _json(raw)
                    policies = body.get("policyUuids") if isinstance(body, dict) else None
                    if not isinstance(policies, list):
                        raise IamError(400, "policyUuids is required")
                    self._existing_group(group)
                    for policy in policies:
                        if not self._visible_policy(level, policy):
                            raise IamError(404, f"Policy {policy} not found")
                    kept = [b for b in current if b.group != group]
                    self.bindings[level] = kept + [BindingRecord(p, group) for p in policies]
                    return 204, None
                raise IamError(405, f"{method} is not allowed here")
            policy = rest[0]
            if not self._visible_policy(level, policy):
                raise IamError(404, f"Policy {policy} not found")
            if len(rest) == 1:
                if method == "GET":
                    return 200, self._level_dto(level, [b for b in current if b.policy == policy])
                if method == "POST":  # [append]
                    body = _json(raw)
                    groups = body.get("groups") if isinstance(body, dict) else None
                    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
                        raise IamError(400, "groups is required", {"groups": "must be a list of group UUIDs"})
                    for group in groups:
                        self._existing_group(group)
                        if not any((b.policy, b.group) == (policy, group) for b in current):
                            current.append(BindingRecord(policy, group))
                    return 204, None
                if method == "DELETE":
                    _force_multiple(query)
                    self.bindings[level] = [b for b in current if b.policy != policy]
                    return 204, None
                raise IamError(405, f"{method} is not allowed here")
            if len(rest) == 2:
                group = rest[1]
                pair = [b for b in current if (b.policy, b.group) == (policy, group)]
                if method == "GET":
                    if not pair:
                        raise IamError(404, "Binding not found")
                    return 200, self._level_dto(level, pair)
                if method in ("POST", "PUT"):  # [append] one binding (PUT updates its parameters)
                    body = _json(raw) if raw else {}
                    if not isinstance(body, dict):
                        raise IamError(400, "The body must be a JSON object")
                    self._existing_group(group)
                    params = {k: body.get(k) or {} for k in ("parameters", "metadata")}
                    if method == "PUT" and pair:
                        pair[0].parameters, pair[0].metadata = params["parameters"], params["metadata"]
                    elif not pair:
                        current.append(BindingRecord(policy, group, params["parameters"], params["metadata"]))
                    return 204, None
                if method == "DELETE":
                    _force_multiple(query)
                    if not pair:
                        raise IamError(400, "Binding does not exist")  # [tf]
                    self.bindings[level] = [b for b in current if (b.policy, b.group) != (policy, group)]
                    return 204, None
                raise IamError(405, f"{method} is not allowed here")
            raise IamError(404, "Not found")


def _force_multiple(query: dict[str, list[str]]) -> None:
    if query.get("forceMultiple", [None])[-1] not in ("true", "false"):
        raise IamError(400, "Query parameter 'forceMultiple' is required")  # [policy-api]


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise IamError(400, "The body is not valid JSON") from None
