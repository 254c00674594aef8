"""``Document``: one platform document (a dashboard) owned by this stack, through the Document
service API (``/platform/document/v1``).

- Identity: the stack chooses the document id (``ai-observability.<stack>.<key>``), sent as the
  ``id`` form field on create. Create first looks the id up and adopts a live document (a re-run
  after a crash or a lost state never duplicates); a ``409`` on create (created concurrently, or the
  id still held by a document a user moved to the trash) is followed by another lookup, restoring
  a trashed document of ours instead of failing. An ambiguous failure of the ``POST`` (the request
  may have landed) is also followed by a lookup before anything is re-sent.
- Update: GET (metadata + content) → PATCH ``?optimistic-locking-version=<version>`` with name, type
  and content only when one of them differs (JSON compared after normalising key order and
  whitespace); a ``409`` (someone saved the dashboard in between) → re-read and retry with backoff.
  Sharing (``isPrivate``) changes through ``:makePublic`` / ``:makePrivate``.
- Read (``pulumi refresh``): the live name, type, content and sharing, so an edit in the
  Dashboards app shows up as drift; a deleted document is gone.
- Diff: the id is the only field that replaces the document; everything else updates in place.
- Delete: the document with this resource's id only (``DELETE`` with its version, moving it to the
  trash), then purged from the trash so the id is free again.

Needs a platform token with the scopes of :data:`~components.dynatrace.scopes.DASHBOARDS`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Final

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator, model_validator

from ._provider import (
    PLATFORM_SECRETS,
    DynatraceProvider,
    DynatraceResource,
    PlatformConnection,
    Poller,
    retry_on_conflict,
)
from .client import ApiResponse, ClientSettings, DynatraceClient, FilePart, MultipartBody
from .credentials import PlatformAuth
from .errors import DynatraceApiError, DynatraceConnectionError, DynatraceTimeoutError
from .scopes import DASHBOARDS

DOCUMENTS_PATH: Final = "/platform/document/v1/documents"
TRASH_PATH: Final = "/platform/document/v1/trash/documents"
OUTPUTS_ONLY = ("version", "adopted")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def normalise_content(content: Any) -> Any:
    """Comparable form of a document's content: parsed JSON when it is JSON, else the text."""
    if not isinstance(content, str):
        return content
    try:
        return json.loads(content)
    except ValueError:
        return content


class DocumentInputs(PlatformConnection):
    document_id: str
    """The document's id, chosen by the stack (stable: it is how re-runs find the document)."""
    name: str = Field(min_length=1, max_length=128)
    type: str = Field(default="dashboard", min_length=1, max_length=128)
    content: str = Field(min_length=1, max_length=50 * 1024 * 1024)
    """The document body (for a dashboard: the dashboard JSON)."""
    is_private: bool = False
    """False: readable by every user of the environment; True: only the token's user."""

    @field_validator("document_id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("must be 1-100 characters of A-Z, a-z, 0-9, '.', '_' or '-', starting alphanumeric")
        if _UUID.match(value):  # the system-generated ids are UUIDs; a chosen id must not look like one
            raise ValueError("must not be a UUID")
        return value

    @model_validator(mode="after")
    def _dashboard_json(self) -> DocumentInputs:
        # The store accepts any bytes; a dashboard that is not a JSON object only fails when opened.
        if self.type == "dashboard" and not isinstance(normalise_content(self.content), dict):
            raise ValueError("content: a dashboard must be a JSON object")
        return self


def _version(metadata: dict[str, Any]) -> int:
    # The OpenAPI types the version as a string, the tenant and Dynatrace's clients as an integer.
    return int(str(metadata.get("version", "0")))


@dataclass(frozen=True)
class LiveDocument:
    metadata: dict[str, Any]
    content: str

    @property
    def version(self) -> int:
        return _version(self.metadata)

    @property
    def is_private(self) -> bool | None:
        value = self.metadata.get("isPrivate")
        return value if isinstance(value, bool) else None


class DocumentsApi:
    """The calls the provider makes (each one request through the retrying client)."""

    def __init__(self, client: DynatraceClient) -> None:
        self.client = client

    def get(self, document_id: str) -> LiveDocument | None:
        # The documented answer is multipart/form-data only (OpenAPI ``getDocument`` → ``FullDocument``),
        # so no JSON Accept header: Dynatrace's own clients send none on this call
        # (dynatrace-configuration-as-code-core ``clients/documents/documents.go`` ``get``: ``GET`` with
        # empty ``rest.RequestOptions``; dtctl ``sdk/api/document/document.go`` ``Get``: a bare ``R().Get``).
        response = self.client.request("GET", f"{DOCUMENTS_PATH}/{document_id}", allow=(404,), accept=None)
        if response.status == 404:
            return None
        body = response.body
        if not isinstance(body, MultipartBody):
            raise DynatraceApiError("GET", f"{DOCUMENTS_PATH}/{document_id}", 200, "expected a multipart answer")
        metadata, content = body.get("metadata"), body.get("content")
        if metadata is None or content is None:
            raise DynatraceApiError("GET", f"{DOCUMENTS_PATH}/{document_id}", 200, "metadata or content missing")
        return LiveDocument(json.loads(metadata.data), content.data.decode("utf-8", errors="replace"))

    def in_trash(self, document_id: str) -> bool:
        response = self.client.request("GET", f"{TRASH_PATH}/{document_id}", allow=(404,))
        return response.status == 200

    def create(self, inputs: DocumentInputs) -> dict[str, Any]:
        response = self.client.request(
            "POST",
            DOCUMENTS_PATH,
            form={
                "id": inputs.document_id,
                "name": inputs.name,
                "type": inputs.type,
                "isPrivate": "true" if inputs.is_private else "false",
            },
            files={"content": _content_part(inputs)},
            ok=(201,),
        )
        return dict(response.body)

    def patch(self, inputs: DocumentInputs, version: int) -> ApiResponse:
        return self.client.request(
            "PATCH",
            f"{DOCUMENTS_PATH}/{inputs.document_id}",
            params={"optimistic-locking-version": str(version)},
            form={"name": inputs.name, "type": inputs.type},
            files={"content": _content_part(inputs)},
        )

    def set_private(self, document_id: str, private: bool) -> None:
        action = "makePrivate" if private else "makePublic"
        self.client.request("POST", f"{DOCUMENTS_PATH}/{document_id}:{action}", ok=(204,))

    def delete(self, document_id: str, version: int) -> None:
        self.client.request(
            "DELETE",
            f"{DOCUMENTS_PATH}/{document_id}",
            params={"optimistic-locking-version": str(version)},
            ok=(204,),
            allow=(404,),
        )

    def purge(self, document_id: str) -> None:
        self.client.request("DELETE", f"{TRASH_PATH}/{document_id}", ok=(204,), allow=(404,))

    def restore(self, document_id: str) -> None:
        self.client.request("POST", f"{TRASH_PATH}/{document_id}/restore", ok=(204,), allow=(404,))


def _content_part(inputs: DocumentInputs) -> FilePart:
    content_type = "application/json" if isinstance(normalise_content(inputs.content), dict) else "text/plain"
    return FilePart(f"{inputs.document_id}.json", inputs.content.encode("utf-8"), content_type)


def differs(live: LiveDocument, inputs: DocumentInputs) -> bool:
    """Whether name, type or content need a write."""
    return (
        live.metadata.get("name") != inputs.name
        or live.metadata.get("type") != inputs.type
        or normalise_content(live.content) != normalise_content(inputs.content)
    )


def reconcile(api: DocumentsApi, inputs: DocumentInputs, current: LiveDocument | None = None) -> tuple[int, int]:
    """Bring the live document to our name/type/content/sharing; returns (writes, version)."""

    def read() -> LiveDocument:
        live = api.get(inputs.document_id)
        if live is None:
            raise DynatraceApiError(
                "GET",
                f"{DOCUMENTS_PATH}/{inputs.document_id}",
                404,
                f"document {inputs.document_id!r} no longer exists; run `pulumi refresh`",
            )
        return live

    def write(live: LiveDocument) -> tuple[LiveDocument, int, int]:
        """(live document, writes, version) after saving name, type and content if they differ."""
        if not differs(live, inputs):
            return live, 0, live.version
        response = api.patch(inputs, live.version)
        body = response.body if isinstance(response.body, dict) else {}
        return live, 1, _version(body.get("documentMetadata") or {"version": live.version + 1})

    live, writes, version = retry_on_conflict(
        inputs.client,
        read,
        write,
        first=current,
        give_up=f"document {inputs.document_id!r}: update kept conflicting with concurrent edits "
        f"({inputs.client.conflict_attempts} attempts)",
    )
    if live.is_private is not None and live.is_private != inputs.is_private:
        api.set_private(inputs.document_id, inputs.is_private)
        writes += 1
    return writes, version


def ensure_document(api: DocumentsApi, inputs: DocumentInputs) -> tuple[int, bool]:
    """Adopt the document with our id, or create it; returns (version, adopted)."""
    poller = Poller(inputs.client, f"document {inputs.document_id}")
    while True:
        live = api.get(inputs.document_id)
        if live is not None:
            _, version = reconcile(api, inputs, current=live)
            return version, True
        try:
            metadata = api.create(inputs)
            return _version(metadata), False
        except DynatraceConnectionError as exc:
            if not exc.ambiguous:
                raise
            # the POST may have landed: look the id up before re-sending
        except DynatraceApiError as exc:
            if exc.status == 409:
                if api.in_trash(inputs.document_id):
                    api.restore(inputs.document_id)  # ours, deleted by hand: bring it back, then adopt
            elif exc.status not in (500, 502, 504):
                raise
        if not poller.sleep_or_give_up():
            raise DynatraceTimeoutError(
                f"document {inputs.document_id!r} could not be created within {poller.timeout:g}s"
            )


def delete_document(api: DocumentsApi, inputs: DocumentInputs) -> None:
    """Move our document to the trash (with its current version), then purge it there."""

    def trash(live: LiveDocument | None) -> None:
        if live is not None:
            api.delete(inputs.document_id, live.version)

    retry_on_conflict(
        inputs.client,
        lambda: api.get(inputs.document_id),
        trash,
        give_up=f"document {inputs.document_id!r}: delete kept conflicting with concurrent edits",
    )
    api.purge(inputs.document_id)


def _outputs(inputs: DocumentInputs, version: int, adopted: bool) -> dict[str, Any]:
    return {**inputs.props(), "version": version, "adopted": adopted}


class DocumentProvider(DynatraceProvider[DocumentInputs]):
    """Dynamic provider for one document (stateless; safe to pickle by reference)."""

    INPUTS = DocumentInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={"document_id": str, "name": str, "type": str, "content": normalise_content, "is_private": bool},
            replace_on=("document_id",),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            version, adopted = ensure_document(DocumentsApi(client), inputs)
        return CreateResult(inputs.document_id, _outputs(inputs, version, adopted))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.parse(news)
        changed = [k for k in self.changed_fields(olds, inputs) if k != "content"]
        if normalise_content(olds.get("content")) != normalise_content(inputs.content):
            changed.append("content")
        if not changed:
            return self.connection_update(olds, inputs)
        with inputs.open() as client:
            _, version = reconcile(DocumentsApi(client), inputs)
        return UpdateResult(_outputs(inputs, version, bool(olds.get("adopted"))))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            live = DocumentsApi(client).get(id_)
        if live is None:
            return ReadResult(None, {})
        outs = _outputs(inputs, live.version, bool(props.get("adopted")))
        outs["name"] = live.metadata.get("name", inputs.name)
        outs["type"] = live.metadata.get("type", inputs.type)
        outs["content"] = live.content
        if live.is_private is not None:
            outs["is_private"] = live.is_private
        return ReadResult(id_, outs)

    def remove(self, client: DynatraceClient, inputs: DocumentInputs, id_: str) -> None:
        delete_document(DocumentsApi(client), inputs)


@dataclass(frozen=True)
class DocumentArgs:
    platform_url: pulumi.Input[str]
    platform_auth: PlatformAuth
    """A platform token or an OAuth client (secrets), with the scopes of
    :data:`~components.dynatrace.scopes.DASHBOARDS`."""
    document_id: pulumi.Input[str]
    name: pulumi.Input[str]
    content: pulumi.Input[str]
    type: pulumi.Input[str] = "dashboard"
    is_private: pulumi.Input[bool] = False
    client: ClientSettings | None = None


class Document(DynatraceResource, module="dynatrace", name="Document"):
    """A platform document owned by the stack; its id is the document id."""

    SECRET_OUTPUTS: ClassVar[list[str]] = PLATFORM_SECRETS
    OAUTH_SCOPES: ClassVar[tuple[str, ...]] = DASHBOARDS.scopes

    document_id: pulumi.Output[str]
    name: pulumi.Output[str]
    version: pulumi.Output[int]
    adopted: pulumi.Output[bool]

    def __init__(self, name: str, args: DocumentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            DocumentProvider(),
            name,
            connection=args.platform_auth.connection(args.platform_url, self.OAUTH_SCOPES),
            fields={
                "document_id": args.document_id,
                "name": args.name,
                "type": args.type,
                "content": args.content,
                "is_private": args.is_private,
            },
            client=args.client,
            opts=opts,
        )
