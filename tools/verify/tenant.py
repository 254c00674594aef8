"""The connections verify opens and the stack-owned objects it reads back from the tenant.

Clients are opened through the providers' own connection models (``ClassicConnection``,
``PlatformConnection``), so verify speaks to Dynatrace exactly as ``pulumi up`` does: the same proxy and
CA settings, retry classes, redaction and authentication.

The detectors and dashboards are found by the identities the stack gives them (the detector's
``externalId``, the dashboard's document id), computed from the configuration — not from outputs that
may be stale — so an object recreated by hand is still found, and one deleted is reported missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError

from components.dynatrace._provider import ClassicConnection, PlatformConnection
from components.dynatrace.api import PLATFORM_SETTINGS_PATH, SettingsApi
from components.dynatrace.client import ClientSettings, DynatraceClient
from components.dynatrace.document import DOCUMENTS_PATH
from components.dynatrace.errors import DynatraceError
from components.dynatrace.oauth import SSO_URL, OAuthClientAuth, OAuthRefusedError
from components.dynatrace.scopes import VERIFY_CALLS, VerifyCall
from components.dynatrace.settings_object import settings_external_id
from components.dynatrace.signals.dashboards import dashboard_specs, document_id
from components.dynatrace.signals.detectors import SCHEMA_ID as DETECTOR_SCHEMA
from components.dynatrace.signals.detectors import detector_specs

from .inputs import VerifyInputs
from .report import HostCredential

OAUTH_CLIENT = "OAuth client ($DT_CLIENT_ID, $DT_CLIENT_SECRET)"
PLATFORM_TOKEN = "platform token ($DT_PLATFORM_TOKEN)"  # noqa: S105 - a label, not a credential


def host(url: str) -> str:
    return urlsplit(url).netloc or url


class PlatformAccess:
    """The platform host, one client per kind of call (``VERIFY_CALLS``), under the providers' rule
    (:func:`components.dynatrace.oauth.platform_credential`): the OAuth client when it is given, even
    beside a platform token; then each kind's access token carries exactly the scopes that kind needs.
    With a platform token every kind sends that token."""

    def __init__(self, inputs: VerifyInputs, settings: ClientSettings) -> None:
        self._inputs = inputs
        self._settings = settings
        self._clients: dict[VerifyCall, DynatraceClient] = {}
        tokens = inputs.tokens
        self.oauth = tokens.oauth_client_id is not None
        self.token_unused = self.oauth and tokens.platform is not None
        self.credential = OAUTH_CLIENT if self.oauth else PLATFORM_TOKEN

    def client(self, call: VerifyCall) -> DynatraceClient:
        if call not in self._clients:
            tokens = self._inputs.tokens

            def secret(value: str | None) -> SecretStr | None:
                return SecretStr(value) if value is not None else None

            connection = PlatformConnection(
                platform_url=self._inputs.platform_url,
                platform_token=secret(tokens.platform),
                oauth_client_id=secret(tokens.oauth_client_id),
                oauth_client_secret=secret(tokens.oauth_client_secret),
                oauth_scopes=list(VERIFY_CALLS[call]),
                sso_url=self._inputs.sso_url,
                client=self._settings,
            )
            credential = connection.credential()
            assert isinstance(credential, OAuthClientAuth) == self.oauth  # the rule the report states
            self._clients[call] = DynatraceClient(connection.platform_url, credential, self._settings)
        return self._clients[call]

    def needs(self, call: VerifyCall) -> str:
        """What the credential must be allowed for ``call`` (a hint after a 401/403)."""
        return f"the {self.credential} needs {', '.join(VERIFY_CALLS[call])} (docs/operations.md#verify)"

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


@dataclass
class Connections:
    classic: DynatraceClient | None
    platform: PlatformAccess | None
    ingest: DynatraceClient | None
    credentials: list[HostCredential] = field(default_factory=list)
    """The credential each host is called with, as the report states it (never a value)."""

    def close(self) -> None:
        for client in (self.classic, self.ingest):
            if client is not None:
                client.close()
        if self.platform is not None:
            self.platform.close()


def _credentials(inputs: VerifyInputs, platform: PlatformAccess | None) -> list[HostCredential]:
    tokens = inputs.tokens
    found = []
    if tokens.api is not None:
        found.append(
            HostCredential(
                host=host(inputs.environment_url), role="classic API", credential="API token ($DT_API_TOKEN)"
            )
        )
    if tokens.ingest is not None:
        found.append(
            HostCredential(
                host=host(inputs.environment_url),
                role="ingest API",
                credential=f"ingest token ({tokens.ingest_source})",
            )
        )
    if platform is not None:
        note = "$DT_PLATFORM_TOKEN is set too; the OAuth client wins" if platform.token_unused else None
        found.append(
            HostCredential(
                host=host(inputs.platform_url), role="platform API", credential=platform.credential, note=note
            )
        )
        if platform.oauth:
            found.append(
                HostCredential(
                    host=host(inputs.sso_url or SSO_URL), role="OAuth token endpoint", credential=OAUTH_CLIENT
                )
            )
    return found


@contextmanager
def connect(inputs: VerifyInputs, settings: ClientSettings) -> Iterator[Connections]:
    tokens = inputs.tokens

    def classic(token: str | None) -> DynatraceClient | None:
        if token is None:
            return None
        return ClassicConnection(
            environment_url=inputs.environment_url, api_token=SecretStr(token), client=settings
        ).open()

    has_platform = tokens.platform is not None or tokens.oauth_client_id is not None
    platform = PlatformAccess(inputs, settings) if has_platform else None
    connections = Connections(classic(tokens.api), platform, classic(tokens.ingest), _credentials(inputs, platform))
    try:
        yield connections
    finally:
        connections.close()


def refusal_state(error: DynatraceError) -> str | None:
    """``credential-refused`` when Dynatrace SSO refused the OAuth client (nothing was sent to the API)."""
    return "credential-refused" if isinstance(error, OAuthRefusedError) else None


@dataclass
class Detector:
    name: str
    key: str
    expected_enabled: bool
    value: dict[str, Any] | None
    """The live settings value, None when the tenant has no such detector."""
    object_id: str | None = None

    @property
    def query(self) -> str | None:
        if self.value is None:
            return None
        analyzer = self.value.get("analyzer")
        inputs = analyzer.get("input") if isinstance(analyzer, dict) else None
        if not isinstance(inputs, list):
            return None
        found = next((i.get("value") for i in inputs if isinstance(i, dict) and i.get("key") == "query"), None)
        return found if isinstance(found, str) else None


@dataclass
class Dashboard:
    name: str
    title: str
    document_id: str
    content: dict[str, Any] | None
    """The live dashboard JSON, None when the document does not exist."""
    unreadable: str | None = None
    """Why existing content could not be read as a dashboard."""


@dataclass
class StackObjects:
    detectors: list[Detector]
    dashboards: list[Dashboard]
    error: str | None = None
    """Why the objects could not be read at all (then both lists are empty)."""
    error_state: str | None = None
    """The failure's class where it has one (``credential-refused``)."""


def read_stack_objects(inputs: VerifyInputs, platform: PlatformAccess | None) -> StackObjects:
    """The stack's detectors and dashboards as the tenant holds them now."""
    config = inputs.config
    if not config.signals.enabled:
        return StackObjects([], [])
    if platform is None:
        return StackObjects([], [], "no platform token or OAuth client")
    specs = detector_specs(config.signals, config.governance, config.kong)
    boards = dashboard_specs(config.signals.dashboards, config.governance, config.kong)
    try:
        ids = {settings_external_id(inputs.owner, DETECTOR_SCHEMA, s.key): s for s in specs}
        settings = SettingsApi(platform.client("detectors"), PLATFORM_SETTINGS_PATH)
        live = settings.list(DETECTOR_SCHEMA, external_ids=list(ids))
        by_key = {ids[o.external_id].key: o for o in live if o.external_id in ids}
        detectors = [
            Detector(
                s.name,
                s.key,
                bool(s.value.get("enabled", True)),
                by_key[s.key].value if s.key in by_key else None,
                by_key[s.key].object_id if s.key in by_key else None,
            )
            for s in specs
        ]
        dashboards = []
        for board in boards:
            doc_id = document_id(inputs.owner, board.dashboard.key)
            response = platform.client("dashboards").request("GET", f"{DOCUMENTS_PATH}/{doc_id}/content", allow=(404,))
            content, unreadable = None, None
            if response.status != 404:
                if isinstance(response.body, dict):
                    content = response.body
                else:
                    content, unreadable = {}, "the document's content is not a JSON object"
            dashboards.append(Dashboard(board.name, board.title, doc_id, content, unreadable))
    except DynatraceError as error:
        return StackObjects([], [], str(error), refusal_state(error))
    except ValidationError as error:  # an answer of a shape the API does not document
        return StackObjects([], [], f"unexpected answer from Dynatrace ({error.error_count()} problem(s) in its shape)")
    return StackObjects(detectors, dashboards)
