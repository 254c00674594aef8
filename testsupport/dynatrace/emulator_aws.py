"""Emulator rules for AWS Cloud Platform Monitoring: the Settings 2.0 schema
``builtin:hyperscaler-authentication.connections.aws`` and the monitoring configurations of the
``com.dynatrace.extension.da-aws`` extension (Extensions 2.0 API on the platform host).

Sources, cited per rule below:
- [schema] the connection schema JSON, version 0.0.26, in dynatrace-oss/terraform-provider-dynatrace
  (``dynatrace/api/builtin/hyperscalerauthentication/connections/aws/schema.json``): properties,
  the type enum, the roleArn pattern, the consumers enum, name 3-100 characters without ':',
  unique names, at most 3000 objects.
- [role_arn] the same repository's ``connections/aws/role_arn/service.go``: a set role ARN is
  not changed (and cannot be cleared).
- [mc-api] Dynatrace docs "Create a monitoring configuration" (Platform Extensions v2,
  ``POST /platform/extensions/v2/extensions/{extension-name}/monitoring-configurations``): body
  ``{scope, value}``, 201 Created, scope ``extensions:configurations:write``; dtctl's
  ``pkg/resources/awsmonitoringconfig`` (Dynatrace's CLI) for list/get/put/delete on the same path,
  the versions list ``GET /platform/extensions/v2/extensions/{name}`` and the schema
  ``GET .../{name}/{version}/schema`` with the enum ``FeatureSetsType``.
- [mc-fields] Dynatrace docs "Monitoring configuration fields" (AWS): ``value.enabled``,
  ``value.description``, ``value.featureSets``, ``aws.regionFiltering``, ``aws.credentials``; only
  ``enabled``, ``description``, ``featureSets``, ``aws.regionFiltering`` and ``aws.tagFiltering`` are
  supported for modification, and "modifying non-supported fields may lead to an inconsistent
  connection state" (not a rejection: the emulator accepts such a PUT and records it in
  ``AwsExtension.unsupported_changes`` for tests to assert on).
- [mc-list] Dynatrace docs "List monitoring configurations" (Platform Extensions v2): ``page-size``
  (at most 500, 20 when unset); the next page is requested with ``page-key`` alone ("you must omit
  all other query parameters"). dtctl (``sdk/api/extension/extension.go``,
  ``pkg/resources/awsmonitoringconfig/awsmonitoringconfig.go``) sends the cursor as ``next-page-key``
  and reads it from the answer's ``nextPageKey``; the emulator accepts either parameter name and
  answers ``nextPageKey`` (absent on the last page) next to ``items`` and ``totalCount``.
- [manage] Dynatrace docs "Manage AWS connections via API": each connection is paired one-to-one
  with one monitoring configuration; deleting the configuration removes its connection.
- [create-api] Dynatrace docs "Create AWS connection via API": platform-token scopes
  ``extensions:definitions:read`` and ``extensions:configurations:read|write`` for
  ``com.dynatrace.extension.da-aws``; the extension must be added to the environment first.

The feature-set catalogue below is a sample: a tenant's list comes from the installed extension
version. ``Bedrock_AgentAlias_autodiscovery`` is the one Bedrock name the [mc-fields] page shows;
the others follow the ``<Service>_essential`` / ``_autodiscovery`` naming it describes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

CONNECTION_SCHEMA = "builtin:hyperscaler-authentication.connections.aws"
MAX_CONNECTIONS = 3000  # [schema] maxObjects
EXTENSION = "com.dynatrace.extension.da-aws"
EXTENSIONS_PREFIX = "/platform/extensions/v2/extensions/"
SCOPE = "integration-aws"  # [mc-api] the scope AWS monitoring configurations are defined for
CONNECTION_TYPES = ("awsRoleBasedAuthentication", "awsWebIdentity")  # [schema] enum Type
ROLE_BASED_CONSUMERS = frozenset(  # [schema] enum ConsumersOfAwsRoleBasedAuthentication
    {
        "DA",
        "SVC:com.dynatrace.da",
        "SVC:com.dynatrace.bo",
        "SVC:com.dynatrace.openpipeline",
        "SVC:com.dynatrace.grail",
        "NONE",
    }
)
WEB_IDENTITY_CONSUMERS = frozenset({"APP:dynatrace.aws.connector"})  # [schema] enum ConsumersOfAwsWebIdentity
ROLE_ARN = re.compile(r"^$|arn:aws:iam::(?:aws|\d+?):role\/.*$")  # [schema] AwsRoleBasedAuthenticationConfig.roleArn
WEB_ROLE_ARN = re.compile(r"^$|arn:(?:aws|aws-cn|aws-us-gov):iam::(?:aws|\d+?):role\/.*$")  # [schema] AwsWebIdentity
_TOP_LEVEL = frozenset({"name", "type", *CONNECTION_TYPES})
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 500  # [mc-list]
PAGE_KEY_PARAMS = ("page-key", "next-page-key")  # [mc-list] the documented name, and dtctl's
SUPPORTED_CHANGES = (  # [mc-fields] the fields a PUT may change without risking the connection's state
    ("enabled",),
    ("description",),
    ("featureSets",),
    ("aws", "regionFiltering"),
    ("aws", "tagFiltering"),
)
SAMPLE_FEATURE_SETS = (
    "Bedrock_AgentAlias_autodiscovery",
    "Bedrock_Guardrails_essential",
    "Bedrock_essential",
    "EC2_essential",
    "Lambda_essential",
    "ApplicationELB_essential",
)


def _v(path: str, message: str) -> dict[str, Any]:
    return {"path": path, "message": message, "parameterLocation": "PAYLOAD_BODY"}


def connection_problems(value: dict[str, Any]) -> list[dict[str, Any]]:
    """Every constraint violation of one connection value (empty when valid)."""
    out: list[dict[str, Any]] = []
    for key in value:
        if key not in _TOP_LEVEL:  # [schema] no additional properties
            out.append(_v(key, "unknown property"))
    name = value.get("name")
    if not isinstance(name, str) or not 3 <= len(name) <= 100:  # [schema] name LENGTH 3-100
        out.append(_v("name", "must be a text of 3-100 characters"))
    elif ":" in name:  # [schema] name PATTERN ^[^:]+$
        out.append(_v("name", "The symbol : is not allowed the name"))
    kind = value.get("type", "awsRoleBasedAuthentication")  # [schema] default awsRoleBasedAuthentication
    if kind not in CONNECTION_TYPES:
        out.append(_v("type", f"must be one of {', '.join(CONNECTION_TYPES)}"))
        return out
    block = value.get(kind)
    if not isinstance(block, dict):  # [schema] the block matching type is non-nullable (precondition)
        out.append(_v(kind, "is required for this connection type"))
        return out
    pattern = ROLE_ARN if kind == "awsRoleBasedAuthentication" else WEB_ROLE_ARN
    allowed = ROLE_BASED_CONSUMERS if kind == "awsRoleBasedAuthentication" else WEB_IDENTITY_CONSUMERS
    arn = block.get("roleArn", "")
    if not isinstance(arn, str) or len(arn) > 2048 or not pattern.match(arn):  # [schema] roleArn LENGTH, PATTERN
        out.append(_v(f"{kind}.roleArn", f"Invalid AWS IAM Role ARN, it does not adhere to pattern {pattern.pattern}"))
    consumers = block.get("consumers", [])
    if not isinstance(consumers, list) or any(c not in allowed for c in consumers):  # [schema] consumers enum
        out.append(_v(f"{kind}.consumers", f"must be a list of {', '.join(sorted(allowed))}"))
    return out


def connection_change_problems(
    old: dict[str, Any], new: dict[str, Any], others: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rules that need the stored objects: unique names [schema], write-once role ARN [role_arn]."""
    out: list[dict[str, Any]] = []
    if any(o.get("name") == new.get("name") for o in others):  # [schema] UNIQUE name
        out.append(_v("name", "There is another connection defined under this name."))
    kind = str(old.get("type", ""))
    before = (old.get(kind) or {}).get("roleArn", "") if isinstance(old.get(kind), dict) else ""
    after = (new.get(kind) or {}).get("roleArn", "") if isinstance(new.get(kind), dict) else ""
    if before and after != before:
        out.append(_v(f"{kind}.roleArn", "The role ARN of a connection cannot be changed once set"))
    return out


class ExtensionError(Exception):
    def __init__(self, status: int, message: str, violations: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = violations or []


@dataclass
class MonitoringConfig:
    object_id: str
    scope: str
    value: dict[str, Any]

    def body(self) -> dict[str, Any]:
        return {"objectId": self.object_id, "scope": self.scope, "value": json.loads(json.dumps(self.value))}


@dataclass
class AwsExtension:
    """The da-aws extension of one environment: installed versions, schema, monitoring configurations."""

    versions: list[str] = field(default_factory=lambda: ["1.9.0", "1.10.2"])
    feature_sets: tuple[str, ...] = SAMPLE_FEATURE_SETS
    configs: dict[str, MonitoringConfig] = field(default_factory=dict)
    unsupported_changes: list[tuple[str, str]] = field(default_factory=list)
    """(objectId, dotted path) of every field a PUT changed outside [mc-fields]' supported list."""

    @staticmethod
    def scope_for(method: str, rest: str) -> str:
        """The platform-token scope a call needs [create-api]."""
        if "/monitoring-configurations" not in rest:
            return "extensions:definitions:read"
        return "extensions:configurations:read" if method == "GET" else "extensions:configurations:write"

    def handle(
        self,
        method: str,
        path: str,
        raw: bytes,
        connections: dict[str, dict[str, Any]],
        query: dict[str, list[str]] | None = None,
    ) -> tuple[int, Any]:
        """One request under ``/platform/extensions/v2/extensions/``; ``connections`` maps objectId → value
        (mutable: deleting a configuration removes its connection [manage])."""
        parts = path[len(EXTENSIONS_PREFIX) :].strip("/").split("/")
        if parts[0] != EXTENSION or not self.versions:
            raise ExtensionError(404, f"Extension {parts[0]} not found")
        if len(parts) == 1:
            if method != "GET":
                raise ExtensionError(405, f"Method {method} not allowed")
            return 200, {"items": [{"extensionName": EXTENSION, "version": v} for v in self.versions]}
        if parts[1] != "monitoring-configurations":
            if len(parts) == 3 and parts[2] == "schema" and method == "GET":  # [mc-api] dtctl schema lookup
                if parts[1] not in self.versions:
                    raise ExtensionError(404, f"Extension version {parts[1]} not found")
                items = [{"value": s, "displayName": s} for s in self.feature_sets]
                return 200, {"enums": {"FeatureSetsType": {"type": "enum", "items": items}}}
            raise ExtensionError(404, f"Path {path} not found")
        object_id = parts[2] if len(parts) > 2 else ""
        if not object_id:
            if method == "GET":
                return 200, self._list(query or {})
            if method == "POST":
                return self._create(_json(raw), connections)
            raise ExtensionError(405, f"Method {method} not allowed")
        record = self.configs.get(object_id)
        if record is None:
            raise ExtensionError(404, f"Monitoring configuration {object_id} not found")
        if method == "GET":
            return 200, record.body()
        if method == "PUT":
            body = _json(raw)
            if not isinstance(body, dict):
                raise ExtensionError(400, "Request body must be a monitoring configuration object")
            if body.get("scope", record.scope) != record.scope:  # [mc-api] scope cannot be updated
                raise ExtensionError(400, "Monitoring configuration scope cannot be updated")
            value = body.get("value")
            self._validate(value, connections, object_id)
            self.unsupported_changes += [(object_id, p) for p in unsupported_changes(record.value, value)]
            record.value = json.loads(json.dumps(value))
            return 200, {"objectId": object_id, "code": 200}
        if method == "DELETE":
            del self.configs[object_id]
            for cred in (record.value.get("aws") or {}).get("credentials") or []:  # [manage]
                connections.pop(str(cred.get("connectionId")), None)
            return 204, None
        raise ExtensionError(405, f"Method {method} not allowed")

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """One page of the configurations, oldest first [mc-list]."""
        given = [name for name in PAGE_KEY_PARAMS if name in query]
        if given:
            if len(query) > 1:
                raise ExtensionError(400, f"{given[0]} must be the only query parameter when requesting a next page")
            try:
                cursor = json.loads(base64.urlsafe_b64decode(query[given[0]][0].encode()))
                offset, size = int(cursor["offset"]), int(cursor["size"])
            except (ValueError, KeyError, TypeError, binascii.Error) as exc:
                raise ExtensionError(400, f"Invalid {given[0]}") from exc
        else:
            if "filter" in query:
                raise ExtensionError(501, "The emulator does not evaluate filter expressions")
            raw = (query.get("page-size") or [str(PAGE_SIZE_DEFAULT)])[0]
            try:
                size = int(raw)
            except ValueError as exc:
                raise ExtensionError(400, f"page-size must be an integer, got {raw}") from exc
            if not 1 <= size <= PAGE_SIZE_MAX:
                raise ExtensionError(400, f"page-size must be between 1 and {PAGE_SIZE_MAX}")
            offset = 0
        configs = list(self.configs.values())
        body: dict[str, Any] = {
            "items": [c.body() for c in configs[offset : offset + size]],
            "totalCount": len(configs),
        }
        if offset + size < len(configs):
            cursor_text = json.dumps({"offset": offset + size, "size": size}).encode()
            body["nextPageKey"] = base64.urlsafe_b64encode(cursor_text).decode()
        return body

    def _create(self, body: Any, connections: dict[str, dict[str, Any]]) -> tuple[int, Any]:
        if not isinstance(body, dict):  # [mc-api] one {scope, value} object, not an array
            raise ExtensionError(400, "Request body must be a monitoring configuration object")
        if body.get("scope") != SCOPE:
            raise ExtensionError(400, f"Invalid scope {body.get('scope')!r}; AWS configurations use {SCOPE}")
        self._validate(body.get("value"), connections, None)
        record = MonitoringConfig(str(uuid.uuid4()), SCOPE, json.loads(json.dumps(body["value"])))
        self.configs[record.object_id] = record
        return 201, {"objectId": record.object_id, "code": 201}  # [mc-api] 201 Created

    def _validate(self, value: Any, connections: dict[str, dict[str, Any]], object_id: str | None) -> None:
        problems: list[dict[str, Any]] = []
        if not isinstance(value, dict):
            raise ExtensionError(400, "value must be an object")
        if value.get("version") not in self.versions:
            problems.append(_v("version", f"must be an installed version ({', '.join(self.versions)})"))
        if not isinstance(value.get("description"), str) or not value["description"]:  # [mc-fields]
            problems.append(_v("description", "is required"))
        sets = value.get("featureSets", [])
        unknown = [s for s in sets if s not in self.feature_sets] if isinstance(sets, list) else ["(not a list)"]
        if unknown:  # [mc-api] featureSets are values of the extension's FeatureSetsType enum
            problems.append(_v("featureSets", f"unknown feature set(s): {', '.join(map(str, unknown))}"))
        aws = value.get("aws")
        if not isinstance(aws, dict):
            problems.append(_v("aws", "is required"))
        else:
            regions = aws.get("regionFiltering", [])
            if not isinstance(regions, list) or any(not REGION.match(str(r)) for r in regions):  # [mc-fields]
                problems.append(_v("aws.regionFiltering", "must list AWS region identifiers"))
            creds = aws.get("credentials")
            if not isinstance(creds, list) or len(creds) != 1:  # [manage] one connection per configuration
                problems.append(_v("aws.credentials", "must hold exactly one connection"))
            else:
                connection_id = creds[0].get("connectionId") if isinstance(creds[0], dict) else None
                if connection_id not in connections:
                    problems.append(_v("aws.credentials[0].connectionId", f"connection {connection_id} not found"))
                elif any(
                    c.object_id != object_id
                    and any(
                        x.get("connectionId") == connection_id
                        for x in (c.value.get("aws") or {}).get("credentials", [])
                    )
                    for c in self.configs.values()
                ):  # [manage] paired one-to-one
                    problems.append(_v("aws.credentials[0].connectionId", "connection already has a configuration"))
        if problems:
            raise ExtensionError(400, "Constraints violated.", problems)


def unsupported_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Dotted paths of the fields ``new`` changes relative to ``old`` outside [mc-fields]' supported list."""
    changed: list[str] = []

    def walk(a: Any, b: Any, path: tuple[str, ...]) -> None:
        if path in SUPPORTED_CHANGES:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), (*path, key))
        elif a != b:
            changed.append(".".join(path))

    walk(old, new, ())
    return changed


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise ExtensionError(400, "Request body is not valid JSON") from exc
