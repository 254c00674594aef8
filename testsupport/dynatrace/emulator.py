"""A local Dynatrace API emulator: a real HTTP server on 127.0.0.1 reproducing the contract in
Dynatrace's API documentation — paths, auth schemes and scopes, validation rules, status
codes, error envelopes, optimistic locking, asynchronous bucket life cycle, referential
integrity — plus knobs for fault injection and a request log for counting calls.

Usage::

    with DynatraceEmulator(timing=Timing(bucket_activation_delay=0.3)) as dt:
        api_token = dt.add_token(scopes=CLASSIC_ADMIN_SCOPES)
        platform_token = dt.add_token(kind="platform", scopes=PLATFORM_ADMIN_SCOPES)
        ... requests against dt.url ...
        dt.calls(method="PUT")  # the request log

Both "hosts" (classic ``/api/v2`` and platform ``/platform/...``) are served on one port; the
path decides which auth scheme is required. Importable from benchmarks
(``from testsupport.dynatrace.emulator import DynatraceEmulator``).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import fnmatch
import json
import random
import re
import secrets
import socket
import ssl
import string
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from testsupport.dynatrace import (
    emulator_aws,
    emulator_bizevents,
    emulator_detectors,
    emulator_documents,
    emulator_grail,
    emulator_iam,
    emulator_openpipeline,
    emulator_sso,
)
from testsupport.loopback import ServingThread

BUCKETS_PATH = "/platform/storage/management/v1/bucket-definitions"
PLATFORM_CLASSIC_PREFIX = "/platform/classic/environment-api/v2"
SETTINGS_PATH = "/api/v2/settings/objects"
TOKENS_PATH = "/api/v2/apiTokens"
INGEST_PATH = "/api/v2/bizevents/ingest"
PIPELINES_SCHEMA = "builtin:openpipeline.bizevents.pipelines"
ROUTING_SCHEMA = "builtin:openpipeline.bizevents.routing"
# Further schemas: validator of the value, and whether the tenant refuses Api-Token writes.
EXTRA_SCHEMAS: dict[str, tuple[Callable[[dict[str, Any]], list[dict[str, Any]]], bool]] = {
    emulator_detectors.SCHEMA_ID: (emulator_detectors.problems, True),
    emulator_aws.CONNECTION_SCHEMA: (emulator_aws.connection_problems, False),
}
# Fields the tenant fills in when a write leaves them out: schema → (value, caller's user UUID) → stored value.
SERVER_DEFAULTS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    emulator_detectors.SCHEMA_ID: emulator_detectors.fill_server_defaults,
}

BUCKET_TABLES = ("logs", "events", "bizevents", "spans", "security.events", "user.sessions", "user.events")
MAX_CUSTOM_BUCKETS = 80
MAX_PIPELINES = 100
MAX_ROUTING_ENTRIES = 3000
MAX_INGEST_BYTES = 5 * 1024 * 1024
# Pipeline and routing rules follow the settings schemas ``builtin:openpipeline.bizevents.pipelines``
# and ``builtin:openpipeline.bizevents.routing`` (schema version 1.69) as shipped in
# dynatrace-oss/terraform-provider-dynatrace: dynatrace/api/builtin/openpipeline/bizevents/pipelines/schema.json
# and .../bizevents/routing/schema.json. Below, "pipelines schema" / "routing schema" name those files.
PIPELINE_STAGES = (  # pipelines schema: top-level properties of type Stage
    "processing",
    "storage",
    "securityContext",
    "costAllocation",
    "productAllocation",
    "dataExtraction",
    "davis",
    "metricExtraction",
    "smartscapeNodeExtraction",
    "smartscapeEdgeExtraction",
)
PIPELINE_GROUP_ROLES = ("memberPipeline", "basePipeline", "compositionPipeline")  # pipelines schema: enum GroupRole
PIPELINE_ROUTING = ("routable", "notRoutable")  # pipelines schema: enum Routing
PIPELINE_PROPERTIES = frozenset({"customId", "displayName", "groupRole", "metadataList", "routing", *PIPELINE_STAGES})
PIPELINE_IMMUTABLE = ("customId", "groupRole", "routing")  # pipelines schema: modificationPolicy NEVER
MAX_METADATA_ENTRIES = 32  # pipelines schema: metadataList maxObjects
MAX_STAGE_PROCESSORS = 1000  # pipelines schema: Stage.processors maxObjects
PROCESSOR_TYPES = (  # pipelines schema: enum ProcessorType
    "fieldsAdd",
    "fieldsRemove",
    "fieldsRename",
    "dql",
    "technology",
    "drop",
    "bucketAssignment",
    "noStorage",
    "securityContext",
    "counterMetric",
    "samplingAwareCounterMetric",
    "valueMetric",
    "histogramMetric",
    "samplingAwareValueMetric",
    "samplingAwareHistogramMetric",
    "davis",
    "bizevent",
    "sdlcEvent",
    "azureLogForwarding",
    "securityEvent",
    "costAllocation",
    "productAllocation",
    "smartscapeNode",
    "smartscapeEdge",
    "geoLookup",
    "inlineLookup",
)
ROUTING_ENTRY_PROPERTIES = frozenset(
    {"enabled", "pipelineType", "pipelineId", "builtinPipelineId", "matcher", "description"}
)  # routing schema: type RoutingEntry
MAX_ROUTING_DESCRIPTION = 512  # routing schema: RoutingEntry.description LENGTH
# Both schemas: PATTERN ``^(?![Dd][Tt]\.|[Dd][Yy][Nn][Aa][Tt][Rr][Aa][Cc][Ee]\.).*$`` on the pipeline
# customId, the processor id and the routing entry description.
RESERVED_PREFIX = re.compile(r"^(?:[Dd][Tt]|[Dd][Yy][Nn][Aa][Tt][Rr][Aa][Cc][Ee])\.")
SETTINGS_FIELDS = ("objectId", "value", "updateToken", "externalId", "schemaId", "schemaVersion", "scope", "summary")
# The scopes an API token may be created with: the ``scopes`` enum of ApiTokenCreate on
# https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/post-token
KNOWN_API_SCOPES = frozenset(
    {
        "InstallerDownload",
        "DataExport",
        "PluginUpload",
        "SupportAlert",
        "AdvancedSyntheticIntegration",
        "ExternalSyntheticIntegration",
        "RumBrowserExtension",
        "LogExport",
        "ReadConfig",
        "WriteConfig",
        "DTAQLAccess",
        "UserSessionAnonymization",
        "DataPrivacy",
        "CaptureRequestData",
        "Davis",
        "DssFileManagement",
        "RumJavaScriptTagManagement",
        "TenantTokenManagement",
        "ActiveGateCertManagement",
        "RestRequestForwarding",
        "ReadSyntheticData",
        "DataImport",
        "syntheticExecutions.write",
        "syntheticExecutions.read",
        "auditLogs.read",
        "metrics.read",
        "metrics.write",
        "entities.read",
        "entities.write",
        "problems.read",
        "problems.write",
        "events.read",
        "events.ingest",
        "openpipeline.events",
        "openpipeline.events.custom",
        "openpipeline.events_security",
        "openpipeline.events_security.custom",
        "openpipeline.events_sdlc",
        "openpipeline.events_sdlc.custom",
        "bizevents.ingest",
        "networkZones.read",
        "networkZones.write",
        "activeGates.read",
        "activeGates.write",
        "activeGateTokenManagement.read",
        "activeGateTokenManagement.create",
        "activeGateTokenManagement.write",
        "agentTokenManagement.read",
        "credentialVault.read",
        "credentialVault.write",
        "extensions.read",
        "extensions.write",
        "extensionConfigurations.read",
        "extensionConfigurations.write",
        "extensionEnvironment.read",
        "extensionEnvironment.write",
        "metrics.ingest",
        "attacks.read",
        "attacks.write",
        "securityProblems.read",
        "securityProblems.write",
        "syntheticLocations.read",
        "syntheticLocations.write",
        "settings.read",
        "settings.write",
        "tenantTokenRotation.write",
        "slo.read",
        "slo.write",
        "releases.read",
        "apiTokens.read",
        "apiTokens.write",
        "openTelemetryTrace.ingest",
        "logs.read",
        "logs.ingest",
        "geographicRegions.read",
        "oneAgents.read",
        "oneAgents.write",
        "traces.lookup",
        "unifiedAnalysis.read",
        "hub.read",
        "hub.write",
        "hub.install",
        "javaScriptMappingFiles.read",
        "javaScriptMappingFiles.write",
        "extensionConfigurationActions.write",
        "rumCookieNames.read",
        "adaptiveTrafficManagement.read",
        "rumManualInsertionTags.read",
        "extensionDiscoveryJmx.read",
        "extensionDiscoveryPmi.read",
    }
)
TOKEN_OWNER = "admin@example.invalid"  # the user every token of this environment belongs to
ACCOUNT_UUID = "2b794097-8ad2-4b32-b923-0131da2eeddf"  # the account this environment belongs to
ENVIRONMENT_ID = "abc12345"  # this environment's ID (its level in IAM)
TOKEN_USER_ID = emulator_documents.OWNER
"""That user's UUID (the identity a platform token acts as: document owner, detector actor)."""
CLASSIC_ADMIN_SCOPES = ("settings.read", "settings.write", "apiTokens.read", "apiTokens.write")
PLATFORM_ADMIN_SCOPES = (
    "storage:bucket-definitions:read",
    "storage:bucket-definitions:write",
    "storage:bucket-definitions:delete",
    "settings:objects:read",
    "settings:objects:write",
    "extensions:definitions:read",
    "extensions:configurations:read",
    "extensions:configurations:write",
)
_ALNUM = string.ascii_uppercase + string.digits


def make_token(prefix: str = "dt0c01") -> str:
    """A token of Dynatrace's shape: ``<prefix>.<24 upper-alnum>.<64 upper-alnum>``."""
    public = "".join(secrets.choice(_ALNUM) for _ in range(24))
    secret = "".join(secrets.choice(_ALNUM) for _ in range(64))
    return f"{prefix}.{public}.{secret}"


def token_public_id(token: str) -> str:
    return ".".join(token.split(".")[:2])


# --- knobs -------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Asynchronous behaviour of buckets (seconds). Production takes up to a minute; tests use ~0.3 s."""

    bucket_activation_delay: float = 0.3
    """``creating`` → ``active`` after this long."""
    bucket_visibility_lag: float = 0.3
    """GET/list answer 404 / omit a new bucket for this long after the 201."""
    bucket_update_delay: float = 0.0
    """``updating`` after a PUT/PATCH for this long (further updates answer 409)."""
    bucket_delete_delay: float = 0.1
    """``deleting`` for this long after the 202; then GET → 404 and the name is free."""


@dataclass
class Faults:
    """Randomised overload and latency (all requests, before any processing)."""

    fail_ratio: float = 0.0
    statuses: tuple[int, ...] = (429, 503)
    retry_after: str | None = "0"
    """``Retry-After`` on injected failures (None: no header)."""
    rate_limit_reset: str | None = None
    """``X-RateLimit-Reset`` on injected failures (None: no header)."""
    latency: float = 0.0
    seed: int = 20240611
    echo_credentials: bool = False
    """Adversarial: 401/403 messages quote the Authorization header (clients must redact)."""


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int
    query: str = ""
    injected: bool = False
    at: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    """Request headers (lower-case names), without ``authorization``."""


@dataclass
class _Script:
    """A scripted reaction to the next matching request(s)."""

    method: str | None
    path_contains: str | None
    times: int
    action: str  # "fail" (before processing), "after" (commit, then answer status), "drop" (commit, hang up)
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    hook: Callable[[DynatraceEmulator], None] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains in path
        )


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        violations: list[dict[str, Any]] | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = violations or []
        self.details = details or []
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.violations:
            error["constraintViolations"] = self.violations
        if self.details:
            error["errorDetails"] = self.details
        return {"error": error}


def _violation(path: str, message: str) -> dict[str, Any]:
    return {"path": path, "message": message, "parameterLocation": "PAYLOAD_BODY"}


# --- state -------------------------------------------------------------------------------------


@dataclass
class TokenRecord:
    token: str
    kind: str  # "api" (Api-Token) or "platform" (Bearer)
    scopes: frozenset[str]
    name: str = ""
    enabled: bool = True
    expires_at: float | None = None  # epoch seconds
    created: float = field(default_factory=time.time)
    owner: str = TOKEN_OWNER
    personal_access_token: bool = False
    user_id: str = TOKEN_USER_ID

    @property
    def id(self) -> str:
        return token_public_id(self.token)


@dataclass
class BucketRecord:
    name: str
    table: str
    retention_days: int
    display_name: str | None
    created_at: float
    activate_at: float
    visible_at: float
    version: int = 1
    updatable: bool = True
    bucket_class: str = "live"
    included_query_limit_days: int | None = None
    updating_until: float = 0.0
    deleting_since: float | None = None

    def status(self, now: float) -> str:
        if self.deleting_since is not None:
            return "deleting"
        if now < self.activate_at:
            return "creating"
        if now < self.updating_until:
            return "updating"
        return "active"

    def body(self, now: float) -> dict[str, Any]:
        data: dict[str, Any] = {
            "bucketName": self.name,
            "table": self.table,
            "displayName": self.display_name,
            "status": self.status(now),
            "retentionDays": self.retention_days,
            "version": self.version,
            "updatable": self.updatable,
            "bucketClass": self.bucket_class,
        }
        if self.included_query_limit_days is not None:
            data["includedQueryLimitDays"] = self.included_query_limit_days
        return data


@dataclass
class SettingsRecord:
    object_id: str
    schema_id: str
    scope: str
    value: dict[str, Any]
    external_id: str | None
    update_token: str
    schema_version: str = "1.0.0"

    def body(self, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
        full = {
            "objectId": self.object_id,
            "schemaId": self.schema_id,
            "schemaVersion": self.schema_version,
            "scope": self.scope,
            "externalId": self.external_id,
            "updateToken": self.update_token,
            "summary": str(
                self.value.get("displayName") or self.value.get("customId") or self.value.get("title") or self.schema_id
            ),
            "value": json.loads(json.dumps(self.value)),
        }
        if fields is None:
            return full
        return {k: full[k] for k in fields if k in full}


def _new_update_token() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def _new_object_id() -> str:
    return "vu9U3hXa3q0AAAABAC" + base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


# --- DQL-ish matcher (enough for routing tests) ------------------------------------------------

_MATCHES_VALUE = re.compile(r'^matchesValue\(\s*([\w.\-]+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)$')


def matcher_matches(matcher: str, event: dict[str, Any]) -> bool:
    """``true``/``false``, ``matchesValue(field, "pattern")`` (``*`` wildcard, case-insensitive),
    joined by ``and``/``or`` (no parentheses). Anything else does not match."""
    text = matcher.strip()
    if " or " in text:
        return any(matcher_matches(part, event) for part in text.split(" or "))
    if " and " in text:
        return all(matcher_matches(part, event) for part in text.split(" and "))
    if text == "true":
        return True
    if text == "false":
        return False
    match = _MATCHES_VALUE.match(text)
    if not match:
        return False
    value = event.get(match.group(1))
    if value is None:
        return False
    return fnmatch.fnmatchcase(str(value).lower(), match.group(2).lower())


# --- the emulator --------------------------------------------------------------------------------


class DynatraceEmulator:
    """One Dynatrace environment behind a real HTTP server on 127.0.0.1 (see module docstring)."""

    def __init__(self, timing: Timing | None = None, faults: Faults | None = None) -> None:
        self.timing = timing or Timing()
        self.faults = faults or Faults()
        self._lock = threading.RLock()
        self._rng = random.Random(self.faults.seed)
        self.tokens: dict[str, TokenRecord] = {}
        self.clock_offset = 0.0  # seconds added to the wall clock for token ages (advance_clock)
        self.buckets: dict[str, BucketRecord] = {}
        self.settings: dict[str, SettingsRecord] = {}
        self.aws_extension = emulator_aws.AwsExtension()
        self.events: list[dict[str, Any]] = []
        self.documents = emulator_documents.DocumentStore()
        self.grail = emulator_grail.GrailStore(bucket_exists=self._bucket_exists, wall_time=self.wall_time)
        self.queries = emulator_grail.GrailQueries(self.grail)
        self.sso = emulator_sso.Sso(ACCOUNT_UUID, [ENVIRONMENT_ID], self.wall_time)
        self.iam = emulator_iam.AccountManagement(self.sso)
        self.log: list[LoggedRequest] = []
        self._scripts: list[_Script] = []
        self._server: ThreadingHTTPServer | None = None
        self._scheme = "http"
        self._serving: ServingThread | None = None
        now = time.monotonic()
        for name, table in (
            ("default_logs", "logs"),
            ("default_events", "events"),
            ("default_bizevents", "bizevents"),
            ("default_spans", "spans"),
        ):
            self.buckets[name] = BucketRecord(
                name, table, 35, None, created_at=now, activate_at=now, visible_at=now, updatable=False
            )

    # -- life cycle ------------------------------------------------------------------------

    def start(self, tls: ssl.SSLContext | None = None) -> DynatraceEmulator:
        """Serve on 127.0.0.1 (a free port); over HTTPS with ``tls``'s certificate when given, as every
        SaaS tenant and a Managed cluster with its own (possibly private-CA) certificate do."""
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if tls is not None:
            # The handshake runs in each request's thread (on first read), not in the accept loop.
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
            self._scheme = "https"
            report = self._server.handle_error
            # A client that rejects the certificate aborts the handshake: expected, not a server fault.
            self._server.handle_error = lambda request, address: (  # type: ignore[method-assign,assignment]
                None if isinstance(sys.exc_info()[1], ssl.SSLError) else report(request, address)
            )
        self._serving = ServingThread(self._server)
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
        self._server = None

    def __enter__(self) -> DynatraceEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

    # -- tokens and seeding ------------------------------------------------------------------

    def wall_time(self) -> float:
        """The tenant's clock (epoch seconds) for token creation and expiry."""
        return time.time() + self.clock_offset

    def advance_clock(self, *, days: float) -> None:
        """Move the tenant's clock forward (tokens age and expire as they would in ``days``)."""
        with self._lock:
            self.clock_offset += days * 86400

    def add_token(
        self,
        token: str | None = None,
        *,
        kind: str = "api",
        scopes: tuple[str, ...] | list[str] = CLASSIC_ADMIN_SCOPES,
        name: str = "admin",
        user_id: str = TOKEN_USER_ID,
    ) -> str:
        """A token of ``kind`` acting as the user ``user_id`` (a UUID)."""
        token = token or make_token("dt0c01" if kind == "api" else "dt0s16")
        with self._lock:
            self.tokens[token] = TokenRecord(token, kind, frozenset(scopes), name=name, user_id=user_id)
        return token

    def api_tokens(self, *, name_contains: str = "") -> list[TokenRecord]:
        """API tokens (kind ``api``) whose name contains the text."""
        with self._lock:
            return [t for t in self.tokens.values() if t.kind == "api" and name_contains in t.name]

    def disable_token(self, token_id: str) -> None:
        with self._lock:
            for record in self.tokens.values():
                if record.id == token_id:
                    record.enabled = False

    def bucket(self, name: str) -> dict[str, Any] | None:
        """The bucket as the API would show it once visible (ignores the visibility lag)."""
        with self._lock:
            self._gc()
            record = self.buckets.get(name)
            return None if record is None else record.body(time.monotonic())

    def _bucket_exists(self, name: str) -> bool:
        with self._lock:
            record = self.buckets.get(name)
            return record is not None and record.deleting_since is None

    def custom_buckets(self) -> list[str]:
        with self._lock:
            self._gc()
            return [b.name for b in self.buckets.values() if b.updatable]

    def put_bucket(self, name: str, table: str = "bizevents", retention_days: int = 35) -> None:
        """Seed an active, visible bucket (as if created long ago)."""
        now = time.monotonic()
        with self._lock:
            self.buckets[name] = BucketRecord(
                name, table, retention_days, name, created_at=now, activate_at=now, visible_at=now
            )

    def objects(self, schema_id: str) -> list[SettingsRecord]:
        with self._lock:
            return [o for o in self.settings.values() if o.schema_id == schema_id]

    def pipelines(self) -> list[SettingsRecord]:
        return self.objects(PIPELINES_SCHEMA)

    def routing(self) -> SettingsRecord | None:
        found = self.objects(ROUTING_SCHEMA)
        return found[0] if found else None

    def routing_entries(self) -> list[dict[str, Any]]:
        routing = self.routing()
        return [] if routing is None else json.loads(json.dumps(routing.value.get("routingEntries", [])))

    def put_object(self, schema_id: str, value: dict[str, Any], external_id: str | None = None) -> str:
        """Seed a settings object directly (validated and completed like a POST by the default user);
        returns its objectId."""
        with self._lock:
            self._validate_value(schema_id, value, None)
            value = _server_defaults(schema_id, value, TOKEN_USER_ID)
            record = SettingsRecord(_new_object_id(), schema_id, "environment", value, external_id, _new_update_token())
            self.settings[record.object_id] = record
            return record.object_id

    def put_pipeline(self, custom_id: str, display_name: str = "", external_id: str | None = None) -> str:
        return self.put_object(
            PIPELINES_SCHEMA, {"customId": custom_id, "displayName": display_name or custom_id}, external_id
        )

    def set_routing(self, entries: list[dict[str, Any]]) -> str:
        """Replace the routing table (as the UI or another team would)."""
        with self._lock:
            routing = self.routing()
            value = {"routingEntries": json.loads(json.dumps(entries))}
            self._validate_value(ROUTING_SCHEMA, value, routing.object_id if routing else None)
            if routing is None:
                return self.put_object(ROUTING_SCHEMA, value)
            routing.value = value
            routing.update_token = _new_update_token()
            return routing.object_id

    def edit_routing(self, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
        self.set_routing(edit(self.routing_entries()))

    def events_in(self, bucket: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e.get("dt.system.bucket") == bucket]

    # -- fault knobs ----------------------------------------------------------------------------

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 503,
        method: str | None = None,
        path_contains: str | None = None,
        retry_after: str | None = None,
        rate_limit_reset: str | None = None,
    ) -> None:
        """The next ``times`` matching requests are answered ``status`` before any processing."""
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        if rate_limit_reset is not None:
            headers["X-RateLimit-Reset"] = rate_limit_reset
        with self._lock:
            self._scripts.append(_Script(method, path_contains, times, "fail", status, headers))

    def clear_scripts(self) -> None:
        """Forget every scripted failure, hook and after-commit reaction still pending."""
        with self._lock:
            self._scripts.clear()

    def fail_after_commit(
        self, *, method: str, path_contains: str, status: int = 500, times: int = 1, drop: bool = False
    ) -> None:
        """Process the matching request(s) fully, then answer ``status`` (or hang up): a "crash"
        after the write landed, from the client's point of view."""
        with self._lock:
            self._scripts.append(_Script(method, path_contains, times, "drop" if drop else "after", status))

    def before_request(
        self, hook: Callable[[DynatraceEmulator], None], *, method: str, path_contains: str, times: int = 1
    ) -> None:
        """Run ``hook`` just before the matching request is processed (a concurrent writer)."""
        with self._lock:
            self._scripts.append(_Script(method, path_contains, times, "hook", hook=hook))

    def concurrent_routing_edit(
        self, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]], *, times: int = 1
    ) -> None:
        """Someone else edits the routing table between our GET and our PUT (our PUT then sees 409)."""
        self.before_request(
            lambda emu: emu.edit_routing(edit), method="PUT", path_contains="/settings/objects/", times=times
        )

    # -- request log ---------------------------------------------------------------------------

    def calls(
        self, *, method: str | None = None, path_contains: str | None = None, injected: bool | None = None
    ) -> list[LoggedRequest]:
        with self._lock:
            return [
                r
                for r in self.log
                if (method is None or r.method == method)
                and (path_contains is None or path_contains in r.path)
                and (injected is None or r.injected == injected)
            ]

    def writes(self, *, path_contains: str | None = None) -> list[LoggedRequest]:
        """Non-GET requests that reached processing (injected failures excluded)."""
        return [r for r in self.calls(path_contains=path_contains, injected=False) if r.method != "GET"]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- request processing ----------------------------------------------------------------------

    def _record(self, method: str, path: str, query: str, status: int, injected: bool, headers: dict[str, str]) -> None:
        kept = {k: v for k, v in headers.items() if k != "authorization"}
        with self._lock:
            self.log.append(LoggedRequest(method, path, status, query, injected, time.monotonic(), kept))

    def _take_script(self, method: str, path: str, actions: tuple[str, ...]) -> _Script | None:
        with self._lock:
            for script in self._scripts:
                if script.action in actions and script.times > 0 and script.matches(method, path):
                    script.times -= 1
                    return script
        return None

    def _injected_failure(self, method: str, path: str) -> tuple[int, dict[str, str]] | None:
        script = self._take_script(method, path, ("fail",))
        if script is not None:
            return script.status, dict(script.headers)
        with self._lock:
            if self.faults.fail_ratio <= 0 or self._rng.random() >= self.faults.fail_ratio:
                return None
            status = self._rng.choice(self.faults.statuses)
        headers = {}
        if self.faults.retry_after is not None:
            headers["Retry-After"] = self.faults.retry_after
        if self.faults.rate_limit_reset is not None:
            headers["X-RateLimit-Reset"] = self.faults.rate_limit_reset
        return status, headers

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        """Dispatch one request (auth → route → validate → apply); returns (status, body, headers)."""
        try:
            if path.startswith(PLATFORM_CLASSIC_PREFIX + "/"):
                sub = "/api/v2" + path[len(PLATFORM_CLASSIC_PREFIX) :]
                if not sub.startswith(SETTINGS_PATH):
                    raise ApiError(404, f"Path {path} not found")
                caller = self._authorize(headers, "Bearer", _settings_scope(method, platform=True))
                return self._settings(method, sub, query, raw, caller.user_id)
            if path == BUCKETS_PATH or path.startswith(BUCKETS_PATH + "/"):
                self._authorize(headers, "Bearer", _bucket_scope(method))
                return self._buckets(method, path[len(BUCKETS_PATH) :], query, raw)
            if path == SETTINGS_PATH or path.startswith(SETTINGS_PATH + "/"):
                caller = self._authorize(headers, "Api-Token", _settings_scope(method, platform=False))
                self._refuse_api_token_write(method, path, raw)
                return self._settings(method, path, query, raw, caller.user_id)
            if path == TOKENS_PATH or path.startswith(TOKENS_PATH + "/"):
                self._authorize(headers, "Api-Token", "apiTokens.read" if method == "GET" else "apiTokens.write")
                return self._tokens(method, path[len(TOKENS_PATH) :], query, raw)
            if path == INGEST_PATH:
                self._authorize(headers, "Api-Token", "bizevents.ingest")
                return self._ingest(method, headers, raw)
            if path.startswith(emulator_aws.EXTENSIONS_PREFIX):
                self._authorize(headers, "Bearer", emulator_aws.AwsExtension.scope_for(method, path))
                return self._aws_extension(method, path, raw, query)
            if path.startswith(emulator_grail.PREFIX):
                status, body = self.queries.handle(
                    method, path, query, raw, lambda scope: self._authorize(headers, "Bearer", scope)
                )
                return status, body, {}
            if path.startswith(emulator_documents.PREFIX):
                self._authorize(headers, "Bearer", emulator_documents.scope(method, path))
                return self.documents.handle(method, path, query, headers, raw)
            if path == emulator_sso.TOKEN_PATH:  # Dynatrace SSO (sso.dynatrace.com), same port here
                return self.sso.handle(method, headers, raw)
            if self.iam.serves(path):  # the Account Management API (api.dynatrace.com), same port here
                return self.iam.handle(method, path, query, headers, raw)
            raise ApiError(404, f"Path {path} not found")
        except ApiError as exc:
            return exc.status, exc.envelope(), exc.headers
        except emulator_documents.DocumentError as exc:
            return exc.status, {"error": {"code": exc.status, "message": exc.message}}, {}
        except _SettingsArrayError as exc:
            return exc.status, exc.body, {}

    def _aws_extension(
        self, method: str, path: str, raw: bytes, query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            connections = {o.object_id: o.value for o in self.objects(emulator_aws.CONNECTION_SCHEMA)}
            try:
                status, body = self.aws_extension.handle(method, path, raw, connections, query)
            except emulator_aws.ExtensionError as exc:
                raise ApiError(exc.status, exc.message, violations=exc.violations) from None
            for object_id in {o.object_id for o in self.objects(emulator_aws.CONNECTION_SCHEMA)} - set(connections):
                del self.settings[object_id]
            return status, body, {}

    # -- auth ------------------------------------------------------------------------------------

    def _authorize(self, headers: dict[str, str], scheme: str, scope: str | None) -> TokenRecord:
        """The calling token, if it may call an endpoint needing ``scope`` (None: any) with ``scheme``; else 401/403."""
        value = headers.get("authorization", "")
        if not value:
            raise ApiError(401, "Missing authorization parameter.")
        given_scheme, _, token = value.partition(" ")
        echo = f" (received '{value}')" if self.faults.echo_credentials else ""
        if given_scheme.lower() != scheme.lower():
            raise ApiError(401, f"This endpoint requires the '{scheme}' authorization scheme{echo}.")
        with self._lock:
            record = self.tokens.get(token.strip()) or self._oauth_token(token.strip())
        if record is None or not record.enabled:
            raise ApiError(401, f"Token is invalid or revoked{echo}.")
        if record.expires_at is not None and record.expires_at < self.wall_time():
            raise ApiError(401, f"Token has expired{echo}.")
        wanted_kind = "api" if scheme == "Api-Token" else "platform"
        if record.kind != wanted_kind:
            raise ApiError(401, f"Token type is not accepted on this endpoint{echo}.")
        if scope is not None and scope not in record.scopes:
            raise ApiError(403, f"Token is missing required scope. Use one of: {scope}{echo}.")
        return record

    def _oauth_token(self, value: str) -> TokenRecord | None:
        """An access token SSO issued, as the platform APIs see it: a Bearer token with its scopes."""
        issued = self.sso.token(value)
        if issued is None:
            return None
        return TokenRecord(value, "platform", issued.scopes, name="oauth", expires_at=issued.expires_at)

    # -- buckets ---------------------------------------------------------------------------------

    def _gc(self) -> None:
        now = time.monotonic()
        done = [
            name
            for name, b in self.buckets.items()
            if b.deleting_since is not None and now - b.deleting_since >= self.timing.bucket_delete_delay
        ]
        for name in done:
            del self.buckets[name]

    def _visible(self, name: str, now: float) -> BucketRecord | None:
        record = self.buckets.get(name)
        return record if record is not None and now >= record.visible_at else None

    def _buckets(
        self, method: str, rest: str, query: dict[str, list[str]], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        name = rest.lstrip("/")
        with self._lock:
            self._gc()
            now = time.monotonic()
            if not name:
                if method == "GET":
                    return 200, {"buckets": [b.body(now) for b in self.buckets.values() if now >= b.visible_at]}, {}
                if method == "POST":
                    return self._create_bucket(_json(raw), now)
                raise ApiError(405, f"Method {method} not allowed")
            if method == "GET":
                record = self._visible(name, now)
                if record is None:
                    raise ApiError(404, f"Bucket definition with name {name} not found")
                return 200, record.body(now), {}
            if method in ("PUT", "PATCH"):
                return self._update_bucket(method, name, query, _json(raw), now)
            if method == "DELETE":
                return self._delete_bucket(name, now)
            raise ApiError(405, f"Method {method} not allowed")

    def _create_bucket(self, body: Any, now: float) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        problems = _bucket_problems(body, creating=True)
        unknown = set(body) - {"bucketName", "table", "retentionDays", "displayName", "includedQueryLimitDays"}
        problems += [{"parameterLocation": "PAYLOAD_BODY", "message": f"unknown field {k}"} for k in sorted(unknown)]
        if problems:
            raise ApiError(400, "Bucket definition is invalid", details=problems)
        name = body["bucketName"]
        if name in self.buckets:
            raise ApiError(409, f"Bucket definition with name {name} already exists")
        if len([b for b in self.buckets.values() if b.updatable]) >= MAX_CUSTOM_BUCKETS:
            raise ApiError(400, f"Limit of {MAX_CUSTOM_BUCKETS} custom buckets reached")
        record = BucketRecord(
            name=name,
            table=body["table"],
            retention_days=int(body["retentionDays"]),
            display_name=body.get("displayName"),
            created_at=now,
            activate_at=now + self.timing.bucket_activation_delay,
            visible_at=now + self.timing.bucket_visibility_lag,
            included_query_limit_days=body.get("includedQueryLimitDays"),
        )
        self.buckets[name] = record
        return 201, record.body(now), {}

    def _update_bucket(
        self, method: str, name: str, query: dict[str, list[str]], body: Any, now: float
    ) -> tuple[int, Any, dict[str, str]]:
        version_text = (query.get("optimistic-locking-version") or [""])[0]
        if not version_text.isdigit():
            raise ApiError(400, "Query parameter optimistic-locking-version is required")
        version = int(version_text)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        record = self._visible(name, now)
        if record is None:
            raise ApiError(404, f"Bucket definition with name {name} not found")
        if not record.updatable:
            raise ApiError(400, f"Bucket {name} is a built-in bucket and cannot be updated")
        if method == "PATCH":
            allowed = {"displayName", "retentionDays", "includedQueryLimitDays"}
            extra = set(body) - allowed
            if extra:
                raise ApiError(
                    400, f"PATCH may change only {', '.join(sorted(allowed))}; got {', '.join(sorted(extra))}"
                )
            merged = {**record.body(now), **body}
        else:
            if body.get("version") != version:
                raise ApiError(400, "Body field version must equal optimistic-locking-version")
            if body.get("bucketName") != name or body.get("table") != record.table:
                raise ApiError(400, "bucketName and table cannot be changed")
            merged = {**record.body(now), **body}
        problems = _bucket_problems(merged, creating=False)
        if problems:
            raise ApiError(400, "Bucket definition is invalid", details=problems)
        status = record.status(now)
        if status != "active":
            raise ApiError(409, f"Bucket {name} is {status}; try again when it is active")
        if version != record.version:
            raise ApiError(409, f"Version conflict: bucket {name} is at version {record.version}, not {version}")
        record.retention_days = int(merged["retentionDays"])
        record.display_name = merged.get("displayName")
        record.included_query_limit_days = merged.get("includedQueryLimitDays")
        record.version += 1
        record.updating_until = now + self.timing.bucket_update_delay
        return 200, record.body(now), {}

    def _delete_bucket(self, name: str, now: float) -> tuple[int, Any, dict[str, str]]:
        record = self._visible(name, now)
        if record is None:
            raise ApiError(404, f"Bucket definition with name {name} not found")
        if not record.updatable:
            raise ApiError(400, f"Bucket {name} is a built-in bucket and cannot be deleted")
        users = [
            o.value.get("customId")
            for o in self.settings.values()
            if o.schema_id == PIPELINES_SCHEMA and name in _assigned_buckets(o.value)
        ]
        if users:
            raise ApiError(409, f"Bucket {name} is still used by pipeline(s) {', '.join(map(str, users))}")
        if record.deleting_since is None:
            record.deleting_since = now
        return 202, record.body(now), {}

    # -- settings ------------------------------------------------------------------------------

    def _settings(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, caller: str
    ) -> tuple[int, Any, dict[str, str]]:
        object_id = path[len(SETTINGS_PATH) :].lstrip("/")
        with self._lock:
            self._gc()
            if not object_id:
                if method == "GET":
                    return self._list_settings(query)
                if method == "POST":
                    validate_only = (query.get("validateOnly") or ["false"])[0] == "true"
                    return self._create_settings(_json(raw), validate_only, caller)
                raise ApiError(405, f"Method {method} not allowed")
            record = self.settings.get(object_id)
            if record is None:
                raise ApiError(404, f"Settings object with ID {object_id} not found")
            if method == "GET":
                return 200, record.body(), {}
            if method == "PUT":
                return self._update_settings(record, _json(raw), caller)
            if method == "DELETE":
                return self._delete_settings(record, (query.get("updateToken") or [""])[0] or None)
            raise ApiError(405, f"Method {method} not allowed")

    def _refuse_api_token_write(self, method: str, path: str, raw: bytes) -> None:
        """Schemas validated with the caller's identity refuse Api-Token writes (see EXTRA_SCHEMAS)."""
        if method not in ("POST", "PUT"):
            return
        if method == "POST":
            body = _json(raw) if raw else None
            schemas = {i.get("schemaId") for i in body if isinstance(i, dict)} if isinstance(body, list) else set()
        else:
            with self._lock:
                record = self.settings.get(path[len(SETTINGS_PATH) :].lstrip("/"))
            schemas = {record.schema_id} if record else set()
        if any(EXTRA_SCHEMAS.get(str(s), (None, False))[1] for s in schemas):
            raise ApiError(400, emulator_detectors.OAUTH_REQUIRED_MESSAGE)

    def _list_settings(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        if "nextPageKey" in query:
            if len(query) > 1:
                raise ApiError(400, "nextPageKey must be the only query parameter when requesting a subsequent page")
            try:
                cursor = json.loads(base64.urlsafe_b64decode(query["nextPageKey"][0].encode()))
            except (ValueError, binascii.Error) as exc:
                raise ApiError(400, "Invalid nextPageKey") from exc
        else:
            if "schemaIds" not in query and "scopes" not in query:
                raise ApiError(400, "Either schemaIds or scopes is required")
            page_size = int((query.get("pageSize") or ["100"])[0])
            if not 1 <= page_size <= 500:
                raise ApiError(400, "pageSize must be between 1 and 500")
            fields = tuple((query.get("fields") or ["objectId,value"])[0].split(","))
            bad = [f for f in fields if f not in SETTINGS_FIELDS]
            if bad:
                raise ApiError(400, f"Unknown field(s): {', '.join(bad)}")
            cursor = {
                "schemaIds": _csv(query.get("schemaIds")),
                "scopes": _csv(query.get("scopes")),
                "externalIds": _csv(query.get("externalIds")),
                "fields": list(fields),
                "pageSize": page_size,
                "offset": 0,
            }
        matching = [
            o
            for o in self.settings.values()
            if (not cursor["schemaIds"] or o.schema_id in cursor["schemaIds"])
            and (not cursor["scopes"] or o.scope in cursor["scopes"])
            and (not cursor["externalIds"] or o.external_id in cursor["externalIds"])
        ]
        start, size = cursor["offset"], cursor["pageSize"]
        page = matching[start : start + size]
        body: dict[str, Any] = {
            "items": [o.body(tuple(cursor["fields"])) for o in page],
            "totalCount": len(matching),
            "pageSize": size,
        }
        if start + size < len(matching):
            next_cursor = {**cursor, "offset": start + size}
            body["nextPageKey"] = base64.urlsafe_b64encode(json.dumps(next_cursor).encode()).decode()
        return 200, body, {}

    def _create_settings(self, body: Any, validate_only: bool, caller: str) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, list) or not body:
            raise ApiError(400, "Request body must be a non-empty JSON array of settings objects")
        results: list[dict[str, Any]] = []
        pending: list[SettingsRecord] = []
        for index, item in enumerate(body):
            try:
                record = self._new_settings(item, index, pending, caller)
            except ApiError as exc:
                results.append({"code": exc.status, "error": exc.envelope()["error"], "invalidValue": item})
                continue
            pending.append(record)
            results.append({"code": 200} if validate_only else {"code": 200, "objectId": record.object_id})
        if not validate_only:
            for record in pending:
                self.settings[record.object_id] = record
        codes = {r["code"] for r in results}
        if codes == {200}:
            return 200, results, {}
        if 200 in codes:
            return 207, results, {}
        status = codes.pop() if len(codes) == 1 else 400
        raise _SettingsArrayError(status, results)

    def _new_settings(self, item: Any, index: int, pending: list[SettingsRecord], caller: str) -> SettingsRecord:
        if not isinstance(item, dict):
            raise ApiError(400, f"Item {index} must be an object")
        schema_id = item.get("schemaId")
        if schema_id not in (PIPELINES_SCHEMA, ROUTING_SCHEMA, *EXTRA_SCHEMAS):
            raise ApiError(404, f"Schema {schema_id} not found")
        if schema_id in EXTRA_SCHEMAS and len(self.objects(schema_id)) >= emulator_detectors.MAX_OBJECTS:
            raise ApiError(400, f"Schema {schema_id} allows at most {emulator_detectors.MAX_OBJECTS} objects")
        if item.get("scope") != "environment":
            raise ApiError(400, f"Scope {item.get('scope')} is not allowed for schema {schema_id}; use environment")
        external_id = item.get("externalId")
        target = None
        if external_id is not None:
            if not isinstance(external_id, str) or not external_id or len(external_id) > 500:
                raise ApiError(400, "externalId must be 1-500 characters")
            if any(o.external_id == external_id for o in pending):
                raise ApiError(400, f"externalId {external_id} is used twice in this request")
            target = self._upsert_target(schema_id, external_id, item.get("objectId"))
        value = item.get("value")
        if not isinstance(value, dict):
            raise ApiError(400, "value must be an object")
        if target is not None:
            self._check_immutable(target, value)
            self._validate_value(schema_id, value, target.object_id, pending)
            return SettingsRecord(
                target.object_id,
                schema_id,
                target.scope,
                _server_defaults(schema_id, value, caller),
                external_id,
                _new_update_token(),
                target.schema_version,
            )
        if schema_id == ROUTING_SCHEMA and (
            self.objects(ROUTING_SCHEMA) or any(p.schema_id == ROUTING_SCHEMA for p in pending)
        ):
            raise ApiError(
                400,
                f"Schema {ROUTING_SCHEMA} allows only one object in scope environment, and it already exists",
            )
        self._validate_value(schema_id, value, None, pending)
        stored = _server_defaults(schema_id, value, caller)
        return SettingsRecord(_new_object_id(), schema_id, "environment", stored, external_id, _new_update_token())

    def _upsert_target(self, schema_id: str, external_id: str, object_id: Any) -> SettingsRecord | None:
        """The object a POST with ``externalId`` replaces, if any.

        POST /api/v2/settings/objects creates *or updates*: an item whose ``externalId`` is already
        held by an object replaces that object's value in place (same objectId), and an item with
        ``externalId`` plus ``objectId`` replaces the object with that id ("The ID of the settings
        object that should be replaced. Only applicable if an external identifier is provided",
        https://docs.dynatrace.com/docs/dynatrace-api/environment-api/settings/objects/post-object).
        Monaco relies on this upsert: its settings client (Dynatrace/dynatrace-configuration-as-code,
        pkg/client/dtclient/settings_client.go, ``Upsert``) sends one POST for create and update and,
        when the externalId and the objectId would name two different objects, drops the objectId and
        updates the object holding the externalId, because one request cannot target both.
        """
        holder = next((o for o in self.settings.values() if o.external_id == external_id), None)
        if object_id is not None:
            target = self.settings.get(str(object_id))
            if target is None:
                raise ApiError(404, f"Settings object with ID {object_id} not found")
            if holder is not None and holder.object_id != target.object_id:
                raise ApiError(
                    400, f"externalId {external_id} belongs to settings object {holder.object_id}, not {object_id}"
                )
            holder = target
        if holder is not None and holder.schema_id != schema_id:
            raise ApiError(400, f"externalId {external_id} belongs to an object of schema {holder.schema_id}")
        return holder

    @staticmethod
    def _check_immutable(record: SettingsRecord, value: dict[str, Any]) -> None:
        """pipelines schema: customId, groupRole and routing have modificationPolicy NEVER."""
        if record.schema_id != PIPELINES_SCHEMA:
            return
        changed = [k for k in PIPELINE_IMMUTABLE if record.value.get(k) != value.get(k)]
        if changed:
            raise ApiError(
                400,
                "Constraints violated.",
                violations=[_violation(k, f"{k} cannot be modified after creation") for k in changed],
            )

    def _update_settings(self, record: SettingsRecord, body: Any, caller: str) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict) or not isinstance(body.get("value"), dict):
            raise ApiError(400, "Request body must be an object with a value")
        token = body.get("updateToken")
        if token is not None and token != record.update_token:
            raise ApiError(409, "Conflicting update: the object was modified since it was read (stale updateToken)")
        self._check_immutable(record, body["value"])
        self._validate_value(record.schema_id, body["value"], record.object_id)
        record.value = _server_defaults(record.schema_id, json.loads(json.dumps(body["value"])), caller)
        record.update_token = _new_update_token()
        return 200, {"code": 200, "objectId": record.object_id}, {}

    def _delete_settings(self, record: SettingsRecord, token: str | None) -> tuple[int, Any, dict[str, str]]:
        if token is not None and token != record.update_token:
            raise ApiError(409, "Conflicting delete: stale updateToken")
        if record.schema_id == ROUTING_SCHEMA:
            raise ApiError(400, "The routing configuration cannot be deleted; remove its entries instead")
        if record.schema_id == PIPELINES_SCHEMA:
            routing = self.routing()
            users = [
                e.get("description")
                for e in (routing.value.get("routingEntries", []) if routing else [])
                if e.get("pipelineType") == "custom" and e.get("pipelineId") == record.object_id
            ]
            if users:
                raise ApiError(
                    400,
                    "Constraints violated.",
                    violations=[
                        _violation("", f"Pipeline is still referenced by routing entry '{d}'; remove the route first")
                        for d in users
                    ],
                )
        del self.settings[record.object_id]
        return 204, None, {}

    def _validate_value(
        self,
        schema_id: str,
        value: dict[str, Any],
        object_id: str | None,
        pending: list[SettingsRecord] | None = None,
    ) -> None:
        if schema_id in EXTRA_SCHEMAS:
            problems = EXTRA_SCHEMAS[schema_id][0](value)
            if schema_id == emulator_aws.CONNECTION_SCHEMA:
                old = self.settings[object_id].value if object_id in self.settings else {}
                others = [o.value for o in self.objects(schema_id) if o.object_id != object_id]
                others += [p.value for p in pending or [] if p.schema_id == schema_id]
                problems += emulator_aws.connection_change_problems(old, value, others)
        elif schema_id == PIPELINES_SCHEMA:
            problems = self._pipeline_problems(value, object_id, pending or [])
        else:
            problems = self._routing_problems(value, pending or [])
        if problems:
            raise ApiError(400, "Constraints violated.", violations=problems)

    def _pipeline_problems(
        self, value: dict[str, Any], object_id: str | None, pending: list[SettingsRecord]
    ) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = []
        unknown = set(value) - PIPELINE_PROPERTIES
        problems += [_violation(k, "unknown property") for k in sorted(unknown)]
        custom_id = value.get("customId")
        if not isinstance(custom_id, str) or not 4 <= len(custom_id) <= 100 or re.search(r"\s", custom_id):
            problems.append(_violation("customId", "customId must be 4-100 characters without whitespace"))
        elif RESERVED_PREFIX.match(custom_id):
            problems.append(_violation("customId", "Must not start with 'dt.' or 'dynatrace.'"))
        else:
            others = [
                o
                for o in [*self.settings.values(), *pending]
                if o.schema_id == PIPELINES_SCHEMA and o.object_id != object_id
            ]
            if any(o.value.get("customId") == custom_id for o in others):
                problems.append(_violation("customId", f"customId '{custom_id}' must be unique; it is already used"))
            if object_id is None and len(others) >= MAX_PIPELINES:
                problems.append(_violation("", f"At most {MAX_PIPELINES} pipelines are allowed"))
        display = value.get("displayName")
        if not isinstance(display, str) or not 1 <= len(display) <= 500:
            problems.append(_violation("displayName", "displayName is required (1-500 characters)"))
        # pipelines schema: groupRole and routing are nullable enums
        for name, allowed in (("groupRole", PIPELINE_GROUP_ROLES), ("routing", PIPELINE_ROUTING)):
            if value.get(name) is not None and value[name] not in allowed:
                problems.append(_violation(name, f"{name} must be one of {', '.join(allowed)}"))
        problems += _metadata_problems(value.get("metadataList", []))
        now = time.monotonic()
        for stage_name in PIPELINE_STAGES:
            stage = value.get(stage_name)
            if stage is None:  # pipelines schema: every stage is nullable
                continue
            if not isinstance(stage, dict) or not isinstance(stage.get("processors", []), list):
                problems.append(_violation(stage_name, "stage must be an object with a processors list"))
                continue
            if len(stage.get("processors", [])) > MAX_STAGE_PROCESSORS:
                problems.append(_violation(f"{stage_name}.processors", f"at most {MAX_STAGE_PROCESSORS} processors"))
            seen: set[str] = set()
            for i, proc in enumerate(stage.get("processors", [])):
                where = f"{stage_name}.processors[{i}]"
                if not isinstance(proc, dict):
                    problems.append(_violation(where, "processor must be an object"))
                    continue
                pid = proc.get("id")
                if not isinstance(pid, str) or not pid.strip() or not 4 <= len(pid) <= 100:
                    problems.append(_violation(f"{where}.id", "id must be 4-100 characters"))
                elif RESERVED_PREFIX.match(pid):
                    problems.append(_violation(f"{where}.id", "Must not start with 'dt.' or 'dynatrace.'"))
                elif pid in seen:
                    problems.append(_violation(f"{where}.id", f"id '{pid}' is not unique in the stage"))
                else:
                    seen.add(pid)
                kind = proc.get("type")
                if kind not in PROCESSOR_TYPES:
                    problems.append(_violation(f"{where}.type", f"unknown processor type {kind!r}"))
                problems += emulator_openpipeline.processor_attribute_problems(kind, proc, where)
                description = proc.get("description")
                if not isinstance(description, str) or not description.strip() or len(description) > 512:
                    problems.append(_violation(f"{where}.description", "description must not be blank (max 512)"))
                matcher = proc.get("matcher")
                # pipelines schema: Processor.matcher applies to every type except ``technology``
                if kind != "technology" and (
                    not isinstance(matcher, str) or not matcher.strip() or len(matcher) > 4096
                ):
                    problems.append(_violation(f"{where}.matcher", "matcher must be a DQL condition (1-4096)"))
                if not isinstance(proc.get("enabled", True), bool):
                    problems.append(_violation(f"{where}.enabled", "enabled must be a boolean"))
                sample = proc.get("sampleData")  # pipelines schema: nullable text, 1-8192
                if sample is not None and (not isinstance(sample, str) or not 1 <= len(sample) <= 8192):
                    problems.append(_violation(f"{where}.sampleData", "sampleData must be 1-8192 characters"))
                if kind == "bucketAssignment":
                    if stage_name != "storage":
                        problems.append(_violation(where, "bucketAssignment is allowed only in the storage stage"))
                    target = (proc.get("bucketAssignment") or {}).get("bucketName")
                    bucket = self._visible(str(target), now) if isinstance(target, str) else None
                    if bucket is None or bucket.status(now) not in ("active", "updating"):
                        problems.append(
                            _violation(
                                f"{where}.bucketAssignment.bucketName",
                                f"Bucket '{target}' does not exist or is not active yet",
                            )
                        )
                    elif bucket.table != "bizevents":
                        problems.append(
                            _violation(
                                f"{where}.bucketAssignment.bucketName",
                                f"Bucket '{target}' stores {bucket.table}, not bizevents",
                            )
                        )
        return problems

    def _routing_problems(self, value: dict[str, Any], pending: list[SettingsRecord]) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = []
        unknown = set(value) - {"routingEntries"}
        problems += [_violation(k, "unknown property") for k in sorted(unknown)]
        entries = value.get("routingEntries")
        if not isinstance(entries, list):
            return [*problems, _violation("routingEntries", "routingEntries must be a list")]
        if len(entries) > MAX_ROUTING_ENTRIES:
            problems.append(_violation("routingEntries", f"at most {MAX_ROUTING_ENTRIES} entries"))
        pipeline_ids = {o.object_id for o in [*self.settings.values(), *pending] if o.schema_id == PIPELINES_SCHEMA}
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            where = f"routingEntries[{i}]"
            if not isinstance(entry, dict):
                problems.append(_violation(where, "entry must be an object"))
                continue
            unknown_keys = set(entry) - ROUTING_ENTRY_PROPERTIES
            problems += [_violation(f"{where}.{k}", "unknown property") for k in sorted(unknown_keys)]
            description = entry.get("description")
            # routing schema: description NOT_BLANK, LENGTH max 512, PATTERN (reserved prefixes)
            if not isinstance(description, str) or not description.strip():
                problems.append(_violation(f"{where}.description", "description must not be blank"))
            elif len(description) > MAX_ROUTING_DESCRIPTION:
                problems.append(
                    _violation(
                        f"{where}.description", f"description must be at most {MAX_ROUTING_DESCRIPTION} characters"
                    )
                )
            elif RESERVED_PREFIX.match(description):
                problems.append(_violation(f"{where}.description", "Must not start with 'dt.' or 'dynatrace.'"))
            elif description in seen:
                problems.append(_violation(f"{where}.description", f"description '{description}' must be unique"))
            else:
                seen.add(description)
            matcher = entry.get("matcher")
            if not isinstance(matcher, str) or not matcher.strip() or len(matcher) > 4096:
                problems.append(_violation(f"{where}.matcher", "matcher must be a DQL condition (1-4096)"))
            if not isinstance(entry.get("enabled", True), bool):
                problems.append(_violation(f"{where}.enabled", "enabled must be a boolean"))
            kind = entry.get("pipelineType")
            if kind == "custom":
                if entry.get("pipelineId") not in pipeline_ids:
                    problems.append(
                        _violation(f"{where}.pipelineId", f"Pipeline '{entry.get('pipelineId')}' does not exist")
                    )
            elif kind == "builtin":
                # routing schema: builtinPipelineId is free text of 1-500 characters (no enum)
                builtin = entry.get("builtinPipelineId")
                if not isinstance(builtin, str) or not 1 <= len(builtin) <= 500:
                    problems.append(
                        _violation(f"{where}.builtinPipelineId", "builtinPipelineId must be 1-500 characters")
                    )
            else:
                problems.append(_violation(f"{where}.pipelineType", "pipelineType must be custom or builtin"))
        return problems

    # -- API tokens -------------------------------------------------------------------------------

    def _tokens(
        self, method: str, rest: str, query: dict[str, list[str]], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        token_id = rest.lstrip("/")
        with self._lock:
            if not token_id:
                if method == "POST":
                    return self._create_token(_json(raw))
                if method == "GET":
                    return self._list_tokens(query)
                raise ApiError(405, f"Method {method} not allowed")
            record = next((t for t in self.tokens.values() if t.kind == "api" and t.id == token_id), None)
            if record is None:
                raise ApiError(404, f"Token with ID {token_id} not found")
            if method == "GET":
                return 200, _token_meta(record, with_scopes=True), {}
            if method == "DELETE":
                del self.tokens[record.token]
                return 204, None, {}
            raise ApiError(405, f"Method {method} not allowed")

    def _create_token(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        details = []
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            details.append({"parameterLocation": "PAYLOAD_BODY", "message": "name must be 1-200 characters"})
        scopes = body.get("scopes")
        if not isinstance(scopes, list) or not scopes:
            details.append({"parameterLocation": "PAYLOAD_BODY", "message": "scopes must be a non-empty list"})
            scopes = []
        unknown = [s for s in scopes if s not in KNOWN_API_SCOPES]
        if unknown:
            details.append(
                {"parameterLocation": "PAYLOAD_BODY", "message": f"unknown scope(s): {', '.join(map(str, unknown))}"}
            )
        expires_at = None
        if body.get("expirationDate") is not None:
            expires_at = _expiry(body["expirationDate"], self.wall_time())
            if expires_at is None or expires_at <= self.wall_time():
                details.append(
                    {"parameterLocation": "PAYLOAD_BODY", "message": "expirationDate must lie in the future"}
                )
        if details:
            raise ApiError(400, "Invalid token definition", details=details)
        token = make_token("dt0c01")
        personal = body.get("personalAccessToken", False)
        if not isinstance(personal, bool):
            raise ApiError(400, "personalAccessToken must be a boolean")
        record = TokenRecord(
            token,
            "api",
            frozenset(scopes),
            name=str(name),
            expires_at=expires_at,
            created=self.wall_time(),
            personal_access_token=personal,
        )
        self.tokens[token] = record
        body_out: dict[str, Any] = {"id": record.id, "token": token}
        if expires_at is not None:
            body_out["expirationDate"] = _iso(expires_at)
        return 201, body_out, {}

    def _list_tokens(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        # Access tokens API - GET all tokens
        # (https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/get-all):
        # pageSize 100..10000 (default 200); a subsequent page is requested with nextPageKey alone,
        # any other query parameter next to it is rejected; apiTokenSelector knows only the criteria
        # owner("…"), personalAccessToken(true|false) and scope("…"), comma-separated, all must match.
        if "nextPageKey" in query:
            if len(query) > 1:
                raise ApiError(400, "nextPageKey must be the only query parameter when requesting a subsequent page")
            try:
                cursor = json.loads(base64.urlsafe_b64decode(query["nextPageKey"][0].encode()))
                offset, page_size = int(cursor["offset"]), int(cursor["pageSize"])
                selector, fields = str(cursor["selector"]), str(cursor["fields"])
            except (ValueError, KeyError, TypeError, binascii.Error) as exc:
                raise ApiError(400, "Invalid nextPageKey") from exc
        else:
            offset = 0
            raw_size = (query.get("pageSize") or ["200"])[0]
            try:
                page_size = int(raw_size)
            except ValueError as exc:
                raise ApiError(400, f"pageSize must be an integer, got {raw_size}") from exc
            if not 100 <= page_size <= 10000:
                raise ApiError(400, "pageSize must be between 100 and 10000")
            selector = (query.get("apiTokenSelector") or [""])[0]
            fields = (query.get("fields") or [""])[0]
        criteria = _token_selector(selector)
        tokens = [t for t in self.tokens.values() if t.kind == "api" and all(c(t) for c in criteria)]
        page = tokens[offset : offset + page_size]
        body: dict[str, Any] = {
            "totalCount": len(tokens),
            "pageSize": page_size,
            "apiTokens": [_token_meta(t, with_scopes="+scopes" in fields) for t in page],
        }
        if offset + page_size < len(tokens):
            cursor = {"offset": offset + page_size, "pageSize": page_size, "selector": selector, "fields": fields}
            body["nextPageKey"] = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
        return 200, body, {}

    # -- business events ----------------------------------------------------------------------------

    def _ingest(self, method: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any, dict[str, str]]:
        if method != "POST":
            raise ApiError(405, f"Method {method} not allowed")
        if len(raw) > MAX_INGEST_BYTES:
            raise ApiError(413, "Payload too large (max 5 MiB)")
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/json", "application/cloudevent+json", "application/cloudevent-batch+json"):
            raise ApiError(415, f"Unsupported content type {content_type or '(none)'}")
        try:
            payload = json.loads(raw or b"null")
        except ValueError as exc:
            raise ApiError(400, "Body is not valid JSON") from exc
        accepted: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        if content_type == "application/json":
            items = payload if isinstance(payload, list) else [payload]
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    accepted.append(emulator_bizevents.stored_json_event(item))
                else:
                    errors.append({"index": i, "message": "event must be a JSON object"})
        else:
            if content_type == "application/cloudevent+json":
                items = [payload]
            elif isinstance(payload, list):
                items = payload
            else:
                raise ApiError(400, "A CloudEvent batch must be a JSON array")
            for i, item in enumerate(items):
                problem = _cloudevent_problem(item)
                if problem:
                    ident = item.get("id") if isinstance(item, dict) else None
                    source = item.get("source") if isinstance(item, dict) else None
                    errors.append({"id": ident, "index": i, "message": problem, "source": source})
                    continue
                accepted.append(emulator_bizevents.stored_cloudevent(item))
        with self._lock:
            for event in accepted:
                event["dt.system.bucket"] = self._route_event(event)
                self.events.append(event)
                self.grail.add("bizevents", event, bucket=event["dt.system.bucket"])
        if errors:
            return 400, {"errors": errors}, {}
        return 202, None, {}

    def _route_event(self, event: dict[str, Any]) -> str:
        routing = self.routing()
        for entry in routing.value.get("routingEntries", []) if routing else []:
            if not entry.get("enabled", True) or not matcher_matches(str(entry.get("matcher", "")), event):
                continue
            if entry.get("pipelineType") != "custom":
                return "default_bizevents"
            pipeline = self.settings.get(str(entry.get("pipelineId")))
            if pipeline is None:
                return "default_bizevents"
            for proc in (pipeline.value.get("storage") or {}).get("processors", []):
                if (
                    proc.get("enabled", True)
                    and proc.get("type") == "bucketAssignment"
                    and matcher_matches(str(proc.get("matcher", "")), event)
                ):
                    return str(proc["bucketAssignment"]["bucketName"])
            return "default_bizevents"
        return "default_bizevents"


class _SettingsArrayError(Exception):
    """Settings create answers errors in the same array shape as successes."""

    def __init__(self, status: int, body: list[dict[str, Any]]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


# --- helpers ------------------------------------------------------------------------------------------


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "Body is not valid JSON") from exc


def _server_defaults(schema_id: str, value: dict[str, Any], caller: str) -> dict[str, Any]:
    """``value`` as the tenant stores it, with the fields it fills in for ``schema_id``."""
    fill = SERVER_DEFAULTS.get(schema_id)
    return value if fill is None else fill(value, caller)


def _csv(values: list[str] | None) -> list[str]:
    return [v for v in (values or [""])[0].split(",") if v]


def _bucket_scope(method: str) -> str:
    return {
        "GET": "storage:bucket-definitions:read",
        "DELETE": "storage:bucket-definitions:delete",
    }.get(method, "storage:bucket-definitions:write")


def _settings_scope(method: str, *, platform: bool) -> str:
    if platform:
        return "settings:objects:read" if method == "GET" else "settings:objects:write"
    return "settings.read" if method == "GET" else "settings.write"


def _bucket_problems(body: dict[str, Any], *, creating: bool) -> list[dict[str, Any]]:
    problems = []

    def bad(message: str) -> None:
        problems.append({"parameterLocation": "PAYLOAD_BODY", "message": message})

    name = body.get("bucketName")
    if creating:
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]{2,99}", name):
            bad("bucketName must be 3-100 characters of a-z, 0-9, _ or -, starting with a letter")
        elif name.startswith(("dt_", "default_")):
            bad("bucketName must not start with dt_ or default_")
        if body.get("table") not in BUCKET_TABLES:
            bad(f"table must be one of {', '.join(BUCKET_TABLES)}")
    retention = body.get("retentionDays")
    if isinstance(retention, float) and retention.is_integer():
        retention = int(retention)
    if not isinstance(retention, int) or isinstance(retention, bool) or not 1 <= retention <= 3657:
        bad("retentionDays must be an integer between 1 and 3657")
    display = body.get("displayName")
    if display is not None and (not isinstance(display, str) or len(display) > 200):
        bad("displayName must be at most 200 characters")
    return problems


def _metadata_problems(entries: Any) -> list[dict[str, Any]]:
    """pipelines schema: metadataList is a list (max 32) of MetadataEntry, unique on entryKey;
    entryKey is NOT_BLANK text of 3-256, entryValue nullable text of 1-1024."""
    if not isinstance(entries, list):
        return [_violation("metadataList", "metadataList must be a list")]
    problems = []
    if len(entries) > MAX_METADATA_ENTRIES:
        problems.append(_violation("metadataList", f"at most {MAX_METADATA_ENTRIES} entries"))
    keys: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"metadataList[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"entryKey", "entryValue"}:
            problems.append(_violation(where, "entry must be an object with entryKey and entryValue"))
            continue
        key = entry.get("entryKey")
        if not isinstance(key, str) or not key.strip() or not 3 <= len(key) <= 256:
            problems.append(_violation(f"{where}.entryKey", "entryKey must be 3-256 characters"))
        elif key in keys:
            problems.append(_violation(f"{where}.entryKey", f"entryKey '{key}' must be unique"))
        else:
            keys.add(key)
        val = entry.get("entryValue")
        if val is not None and (not isinstance(val, str) or not 1 <= len(val) <= 1024):
            problems.append(_violation(f"{where}.entryValue", "entryValue must be 1-1024 characters"))
    return problems


def _assigned_buckets(value: dict[str, Any]) -> set[str]:
    names = set()
    for proc in (value.get("storage") or {}).get("processors", []) or []:
        if isinstance(proc, dict) and proc.get("type") == "bucketAssignment":
            names.add(str((proc.get("bucketAssignment") or {}).get("bucketName")))
    return names


_SELECTOR_CRITERION = re.compile(r'\s*([A-Za-z]+)\(\s*("(?:[^"\\]|\\.)*"|[^()",]*)\s*\)\s*')


def _token_selector(selector: str) -> list[Callable[[TokenRecord], bool]]:
    """Predicates of an ``apiTokenSelector``; 400 for any criterion the API does not document
    (Access tokens API - GET all tokens, parameter apiTokenSelector: owner, personalAccessToken, scope)."""
    criteria: list[Callable[[TokenRecord], bool]] = []
    rest = selector.strip()
    while rest:
        match = _SELECTOR_CRITERION.match(rest)
        if match is None:
            raise ApiError(400, f"Invalid apiTokenSelector: {selector}")
        name, raw_value = match.group(1), match.group(2).strip()
        value = raw_value[1:-1].replace('\\"', '"').replace("\\\\", "\\") if raw_value.startswith('"') else raw_value
        if name == "owner":
            criteria.append(lambda t, v=value: t.owner == v)
        elif name == "personalAccessToken":
            if value not in ("true", "false"):
                raise ApiError(400, f"personalAccessToken must be true or false, got {value}")
            criteria.append(lambda t, v=value == "true": t.personal_access_token is v)
        elif name == "scope":
            criteria.append(lambda t, v=value: v in t.scopes)
        else:
            raise ApiError(
                400,
                f'Unsupported apiTokenSelector criterion {name}: use owner("..."), '
                'personalAccessToken(true|false) or scope("...")',
            )
        rest = rest[match.end() :]
        if rest.startswith(","):
            rest = rest[1:]
            if not rest.strip():
                raise ApiError(400, f"Invalid apiTokenSelector: {selector}")
        elif rest:
            raise ApiError(400, f"Invalid apiTokenSelector: {selector}")
    return criteria


def _token_meta(record: TokenRecord, *, with_scopes: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "enabled": record.enabled,
        "owner": record.owner,
        "creationDate": _iso(record.created),
    }
    if with_scopes:
        meta["personalAccessToken"] = record.personal_access_token
        meta["scopes"] = sorted(record.scopes)
        if record.expires_at is not None:
            meta["expirationDate"] = _iso(record.expires_at)
    return meta


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))


def _expiry(value: Any, now: float) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) / 1000.0
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"now\+(\d+)([dhmy])", value.strip())
    if match:
        unit = {"m": 60, "h": 3600, "d": 86400, "y": 365 * 86400}[match.group(2)]
        return now + int(match.group(1)) * unit
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        pass
    try:
        from datetime import datetime

        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _cloudevent_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "CloudEvent must be a JSON object"
    for attr in ("specversion", "id", "source", "type"):
        if not isinstance(item.get(attr), str) or not item[attr].strip():
            return f"required CloudEvent attribute '{attr}' is missing or empty"
    if item["specversion"] != "1.0":
        return f"unsupported specversion {item['specversion']!r} (expected 1.0)"
    return None


class _Handler(BaseHTTPRequestHandler):
    emulator: DynatraceEmulator
    protocol_version = "HTTP/1.1"
    server_version = "DynatraceEmulator/1.0"

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: without this, Nagle + delayed ACK add ~40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log replaces stderr noise

    def _serve(self) -> None:
        emulator = self.emulator
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        method = self.command
        if emulator.faults.latency > 0:
            time.sleep(emulator.faults.latency)
        injected = emulator._injected_failure(method, path)
        if injected is not None:
            status, extra = injected
            message = "Too Many Requests" if status == 429 else "Service Unavailable"
            emulator._record(method, path, parts.query, status, True, headers)
            self._send(status, {"error": {"code": status, "message": message}}, extra)
            return
        hook = emulator._take_script(method, path, ("hook",))
        if hook is not None and hook.hook is not None:
            hook.hook(emulator)
        status, body, extra = emulator.handle(method, path, query, headers, raw)
        after = emulator._take_script(method, path, ("after", "drop")) if status < 300 else None
        if after is not None and after.action == "drop":
            emulator._record(method, path, parts.query, 0, False, headers)
            self.close_connection = True
            return
        if after is not None:
            emulator._record(method, path, parts.query, after.status, False, headers)
            self._send(after.status, {"error": {"code": after.status, "message": "Internal Server Error"}}, {})
            return
        emulator._record(method, path, parts.query, status, False, headers)
        self._send(status, body, extra)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        raw = isinstance(body, emulator_documents.RawBody)
        data = body.data if raw else (b"" if body is None else json.dumps(body).encode())
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if data:
            self.send_header("Content-Type", body.content_type if raw else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815


@contextmanager
def running(timing: Timing | None = None, faults: Faults | None = None) -> Iterator[DynatraceEmulator]:
    emulator = DynatraceEmulator(timing, faults).start()
    try:
        yield emulator
    finally:
        emulator.stop()
