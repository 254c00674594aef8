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
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr, ValidationError

from components.dynatrace._provider import ClassicConnection, PlatformConnection
from components.dynatrace.api import PLATFORM_SETTINGS_PATH, SettingsApi
from components.dynatrace.client import ClientSettings, DynatraceClient
from components.dynatrace.document import DOCUMENTS_PATH
from components.dynatrace.errors import DynatraceError
from components.dynatrace.settings_object import settings_external_id
from components.dynatrace.signals.dashboards import dashboard_specs, document_id
from components.dynatrace.signals.detectors import SCHEMA_ID as DETECTOR_SCHEMA
from components.dynatrace.signals.detectors import detector_specs

from .inputs import VerifyInputs


@dataclass
class Connections:
    classic: DynatraceClient | None
    platform: DynatraceClient | None
    ingest: DynatraceClient | None

    def close(self) -> None:
        for client in (self.classic, self.platform, self.ingest):
            if client is not None:
                client.close()


@contextmanager
def connect(inputs: VerifyInputs, settings: ClientSettings) -> Iterator[Connections]:
    tokens = inputs.tokens

    def classic(token: str | None) -> DynatraceClient | None:
        if token is None:
            return None
        return ClassicConnection(
            environment_url=inputs.environment_url, api_token=SecretStr(token), client=settings
        ).open()

    platform = None
    if tokens.platform is not None:
        platform = PlatformConnection(
            platform_url=inputs.platform_url, platform_token=SecretStr(tokens.platform), client=settings
        ).open()
    connections = Connections(classic(tokens.api), platform, classic(tokens.ingest))
    try:
        yield connections
    finally:
        connections.close()


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


def read_stack_objects(inputs: VerifyInputs, platform: DynatraceClient | None) -> StackObjects:
    """The stack's detectors and dashboards as the tenant holds them now."""
    config = inputs.config
    if not config.signals.enabled:
        return StackObjects([], [])
    if platform is None:
        return StackObjects([], [], "no platform token")
    specs = detector_specs(config.signals, config.governance, config.kong)
    boards = dashboard_specs(config.signals.dashboards, config.governance, config.kong)
    try:
        ids = {settings_external_id(inputs.owner, DETECTOR_SCHEMA, s.key): s for s in specs}
        live = SettingsApi(platform, PLATFORM_SETTINGS_PATH).list(DETECTOR_SCHEMA, external_ids=list(ids))
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
            response = platform.request("GET", f"{DOCUMENTS_PATH}/{doc_id}/content", allow=(404,))
            content, unreadable = None, None
            if response.status != 404:
                if isinstance(response.body, dict):
                    content = response.body
                else:
                    content, unreadable = {}, "the document's content is not a JSON object"
            dashboards.append(Dashboard(board.name, board.title, doc_id, content, unreadable))
    except DynatraceError as error:
        return StackObjects([], [], str(error))
    except ValidationError as error:  # an answer of a shape the API does not document
        return StackObjects([], [], f"unexpected answer from Dynatrace ({error.error_count()} problem(s) in its shape)")
    return StackObjects(detectors, dashboards)
