"""Emulator rules for the platform Document service (``/platform/document/v1``): documents
(dashboards, notebooks) and their trash.

Sources, cited per rule below:
- [openapi] the Document service OpenAPI, version 1.15.0, as kept in
  dynatrace-oss/terraform-provider-dynatrace (``documentation/schema-history/document/openapi-1.15.0.yaml``):
  paths, scopes, status codes, multipart bodies, ``optimistic-locking-version``, the
  ``documentMetadata`` envelope of an update, the trash.
- [docs] Dynatrace docs "Document Service API" → "Create a document" / "Make a document public" /
  "Make a document private": ``isPrivate`` on create (private unless ``false``), ``:makePublic`` and
  ``:makePrivate`` answering 204, the store not inspecting the content.
- [monaco] Dynatrace/dynatrace-configuration-as-code-core ``clients/documents``: create with the form
  fields ``type``, ``name``, ``isPrivate``, ``id`` and a ``content`` file part; the full GET answered
  as multipart with a ``metadata`` field and a ``content`` file; ``version`` an integer; delete with
  the version followed by ``DELETE /trash/documents/{id}``.
- [http] RFC 9110 (HTTP Semantics) 12.5.1 ``Accept`` (media ranges, ``q=0`` means "not acceptable",
  no header means any media type) and 15.5.7 ``406 Not Acceptable``.

The store does not inspect content ([openapi] info, [docs]): a ``dashboard`` whose content is not
JSON is stored like any other bytes and fails only when opened in the Dashboards app. Tests check
what would open with :func:`dashboard_problems`.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

DOCUMENTS_PATH = "/platform/document/v1/documents"
TRASH_PATH = "/platform/document/v1/trash/documents"
PREFIX = "/platform/document/v1/"
FULL_DOCUMENT_TYPE = "multipart/form-data"  # [openapi] components.responses.FullDocument.content
MAX_NAME = 128  # [openapi] name and type: "Maximum length is 128 characters"
MAX_CONTENT = 50 * 1024 * 1024  # [openapi] "The content size must not exceed 50 MB"
OWNER = "6f0c2f8e-5d5a-4a39-9c55-7d1c4b0f9a11"  # the user id every platform token of this tenant maps to


class DocumentError(Exception):
    """An answer in the platform error envelope ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RawBody:
    """A non-JSON answer (the multipart GET)."""

    content_type: str
    data: bytes


@dataclass
class DocumentRecord:
    id: str
    name: str
    type: str
    content: bytes
    content_type: str
    is_private: bool
    version: int = 1
    owner: str = OWNER
    created: str = "2025-01-01T00:00:00.000Z"
    modified: str = "2025-01-01T00:00:00.000Z"

    def metadata(self) -> dict[str, Any]:
        # [openapi] DocumentMetaData: id, name, type, version, owner, modificationInfo, access;
        # [monaco] version is an integer and isPrivate is part of the metadata.
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "version": self.version,
            "owner": self.owner,
            "isPrivate": self.is_private,
            "modificationInfo": {
                "createdBy": self.owner,
                "createdTime": self.created,
                "lastModifiedBy": self.owner,
                "lastModifiedTime": self.modified,
            },
            "access": ["read", "write", "delete"],
        }


@dataclass(frozen=True)
class FormPart:
    data: bytes
    content_type: str | None
    filename: str | None

    def text(self) -> str:
        return self.data.decode("utf-8")


def parse_form(content_type: str, raw: bytes) -> dict[str, FormPart]:
    """The parts of a ``multipart/form-data`` body; 400 when the body is not multipart."""
    if not content_type.lower().startswith("multipart/form-data"):  # [openapi] requestBody multipart/form-data
        raise DocumentError(400, "Content-Type must be multipart/form-data")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise DocumentError(400, "Malformed multipart body")
    parts: dict[str, FormPart] = {}
    for item in message.iter_parts():
        name = item.get_param("name", header="content-disposition")
        if not name:
            raise DocumentError(400, "Multipart part without a name")
        payload = item.get_payload(decode=True)
        parts[str(name)] = FormPart(
            payload if isinstance(payload, bytes) else b"",
            item.get_content_type() if item.get("content-type") else None,
            item.get_filename(),
        )
    return parts


def accepts(header: str | None, media_type: str) -> bool:
    """Whether an ``Accept`` header admits ``media_type`` ([http] 12.5.1).

    No header (or an empty one) admits everything. Otherwise the most specific matching range
    decides (``type/subtype`` over ``type/*`` over ``*/*``), and a quality of 0 excludes.
    """
    if header is None or not header.strip():
        return True
    wanted_type, _, wanted_sub = media_type.lower().partition("/")
    best: tuple[int, float] | None = None
    for item in header.split(","):
        range_, *params = (part.strip() for part in item.split(";"))
        kind, _, sub = range_.lower().partition("/")
        if not kind or not sub:
            continue
        if (kind, sub) == (wanted_type, wanted_sub):
            specificity = 2
        elif kind == wanted_type and sub == "*":
            specificity = 1
        elif (kind, sub) == ("*", "*"):
            specificity = 0
        else:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    return best is not None and best[1] > 0


def scope(method: str, path: str) -> str:
    """The scope an endpoint requires ([openapi] security of each operation)."""
    trash = path.startswith(TRASH_PATH)
    if trash:
        if method == "GET":
            return "document:trash.documents:read"
        if path.endswith("/restore"):
            return "document:trash.documents:restore"
        return "document:trash.documents:delete"
    if method == "GET":
        return "document:documents:read"
    if method == "DELETE":
        return "document:documents:delete"
    return "document:documents:write"


def dashboard_problems(content: bytes) -> list[str]:
    """Why the Dashboards app could not open this content (empty when it could).

    Not a tenant rule (the store accepts any bytes); the shape follows the dashboard documents in
    the Terraform provider's ``dynatrace_document`` examples: ``version``, ``variables`` (list),
    ``tiles`` (object keyed by tile id), ``layouts`` (object keyed by the same ids, x/y/w/h on a
    24-column grid); and Dynatrace's ready-made "AWS Bedrock" dashboard (content version 26, a
    Terraform export in the public code index): each variable an object with ``key``, ``type`` and
    an integer ``version`` (2 there).
    """
    try:
        doc = json.loads(content)
    except ValueError:
        return ["content is not JSON"]
    if not isinstance(doc, dict):
        return ["content is not a JSON object"]
    out = []
    if not isinstance(doc.get("version"), int):
        out.append("version must be an integer")
    variables = doc.get("variables", [])
    if not isinstance(variables, list):
        out.append("variables must be a list")
        variables = []
    for index, variable in enumerate(variables):
        if not isinstance(variable, dict) or not variable.get("key") or not variable.get("type"):
            out.append(f"variables[{index}] must be an object with key and type")
        elif not isinstance(variable.get("version", 0), int):
            out.append(f"variables[{index}].version must be an integer")
    tiles, layouts = doc.get("tiles"), doc.get("layouts", {})
    if not isinstance(tiles, dict) or not isinstance(layouts, dict):
        return [*out, "tiles and layouts must be objects"]
    for key, tile in tiles.items():
        if not isinstance(tile, dict) or tile.get("type") not in ("data", "markdown"):
            out.append(f"tiles.{key}.type must be data or markdown")
        elif tile["type"] == "data" and not str(tile.get("query", "")).strip():
            out.append(f"tiles.{key}.query is required for a data tile")
        box = layouts.get(key)
        if not isinstance(box, dict) or not all(isinstance(box.get(k), int) for k in ("x", "y", "w", "h")):
            out.append(f"layouts.{key} must give x, y, w, h")
        elif box["x"] < 0 or box["w"] < 1 or box["x"] + box["w"] > 24:
            out.append(f"layouts.{key} must fit the 24-column grid")
    return out


@dataclass
class DocumentStore:
    """Documents and trash of one environment (all owned by the one tenant user)."""

    documents: dict[str, DocumentRecord] = field(default_factory=dict)
    trash: dict[str, DocumentRecord] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- test helpers ------------------------------------------------------------------------

    def put(self, id_: str, name: str, content: bytes, *, type_: str = "dashboard") -> DocumentRecord:
        """Seed a document (as a user or another tool would create it)."""
        with self.lock:
            record = DocumentRecord(id_, name, type_, content, "application/json", True)
            self.documents[id_] = record
            return record

    def edit(self, id_: str, content: bytes | None = None, name: str | None = None) -> None:
        """Someone saves the document in the UI: new content/name, version + 1."""
        with self.lock:
            record = self.documents[id_]
            if content is not None:
                record.content = content
            if name is not None:
                record.name = name
            record.version += 1

    # -- HTTP -------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            if path == DOCUMENTS_PATH:
                if method == "POST":
                    return self._create(headers.get("content-type", ""), raw)
                if method == "GET":
                    return self._list()
                raise DocumentError(405, f"Method {method} not allowed")
            if path.startswith(DOCUMENTS_PATH + "/"):
                return self._document(method, path[len(DOCUMENTS_PATH) + 1 :], query, headers, raw)
            if path.startswith(TRASH_PATH + "/"):
                return self._trash(method, path[len(TRASH_PATH) + 1 :])
            if path == TRASH_PATH and method == "GET":
                trashed = [r.metadata() for r in self.trash.values()]
                return 200, {"documents": trashed, "totalCount": len(trashed)}, {}
            raise DocumentError(404, f"Path {path} not found")

    def _list(self) -> tuple[int, Any, dict[str, str]]:
        docs = [r.metadata() for r in self.documents.values()]
        return 200, {"documents": docs, "totalCount": len(docs)}, {}

    def _create(self, content_type: str, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        form = parse_form(content_type, raw)
        name, type_ = _text_field(form, "name", required=True), _text_field(form, "type", required=True)
        content = form.get("content")
        if content is None:  # [openapi] required: name, type, content
            raise DocumentError(400, "content is required")
        _check_content(content)
        private_text = _text_field(form, "isPrivate", required=False) or "true"
        if private_text not in ("true", "false"):  # [docs] isPrivate boolean, default private
            raise DocumentError(400, "isPrivate must be true or false")
        id_ = _text_field(form, "id", required=False) or str(uuid.uuid4())
        if id_ in self.documents or id_ in self.trash:
            # [monaco] a given id is the document's identity; a second create with it is a conflict
            # (a trashed document keeps its id until it is purged or restored).
            raise DocumentError(409, f"Document with id {id_} already exists")
        record = DocumentRecord(
            id_, name or "", type_ or "", content.data, content.content_type or "", private_text == "true"
        )
        self.documents[id_] = record
        return 201, record.metadata(), {}  # [openapi] DocumentCreated: 201 with the metadata

    def _get(self, id_: str) -> DocumentRecord:
        record = self.documents.get(id_)
        if record is None:  # [openapi] DocumentNotFound
            raise DocumentError(404, f"Document {id_} not found")
        return record

    def _document(
        self, method: str, rest: str, query: dict[str, list[str]], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        id_, _, sub = rest.partition("/")
        if ":" in id_ and method == "POST":  # [docs] :makePublic / :makePrivate, 204
            id_, _, action = id_.partition(":")
            if action not in ("makePublic", "makePrivate"):
                raise DocumentError(404, f"Unknown action {action}")
            self._get(id_).is_private = action == "makePrivate"
            return 204, None, {}
        record = self._get(id_)
        if method == "GET" and sub == "metadata":
            return 200, record.metadata(), {}
        if method == "GET" and sub == "content":
            return 200, RawBody(record.content_type or "application/octet-stream", record.content), {}
        if method == "GET" and not sub:
            # [openapi] getDocument answers FullDocument, whose only content type is multipart/form-data;
            # [http] a request whose Accept excludes it cannot be served: 406.
            if not accepts(headers.get("accept"), FULL_DOCUMENT_TYPE):
                raise DocumentError(406, f"This endpoint produces {FULL_DOCUMENT_TYPE} only")
            return 200, _full_document(record), {}
        if method == "PATCH" and not sub:
            self._check_version(record, query)
            form = parse_form(headers.get("content-type", ""), raw)
            name, type_ = _text_field(form, "name", required=False), _text_field(form, "type", required=False)
            content = form.get("content")
            if name is None and type_ is None and content is None:  # [openapi] at least one of them
                raise DocumentError(400, "At least one of name, type or content must be provided")
            if content is not None:
                _check_content(content)
                record.content, record.content_type = content.data, content.content_type or ""
            record.name = name if name is not None else record.name
            record.type = type_ if type_ is not None else record.type
            record.version += 1  # [openapi] every manipulation increments the version
            return 200, {"documentMetadata": record.metadata()}, {}  # [openapi] UpdateDocumentMetadata
        if method == "DELETE" and not sub:
            self._check_version(record, query)
            del self.documents[id_]
            self.trash[id_] = record  # [openapi] "Move the document into the trash"
            return 204, None, {}
        raise DocumentError(405, f"Method {method} not allowed on {rest}")

    @staticmethod
    def _check_version(record: DocumentRecord, query: dict[str, list[str]]) -> None:
        # [openapi] optimisticLockingVersionParam: required; a version that does not match fails
        # (400 BadRequest when missing, 409 Conflict when stale).
        given = (query.get("optimistic-locking-version") or [""])[0]
        if not given:
            raise DocumentError(400, "Query parameter optimistic-locking-version is required")
        if given != str(record.version):
            raise DocumentError(
                409, f"Document {record.id} has version {record.version}, not {given} (optimistic locking)"
            )

    def _trash(self, method: str, rest: str) -> tuple[int, Any, dict[str, str]]:
        id_, _, sub = rest.partition("/")
        record = self.trash.get(id_)
        if record is None:  # [openapi] TrashedDocumentNotFound
            raise DocumentError(404, f"Trashed document {id_} not found")
        if method == "GET" and not sub:
            return 200, record.metadata(), {}
        if method == "DELETE" and not sub:  # [openapi] deleteTrashedDocument: 204, irreversible
            del self.trash[id_]
            return 204, None, {}
        if method == "POST" and sub == "restore":  # [openapi] restoreTrashedDocument: 204
            del self.trash[id_]
            self.documents[id_] = record
            return 204, None, {}
        raise DocumentError(405, f"Method {method} not allowed on trash/{rest}")


def _text_field(form: dict[str, FormPart], name: str, *, required: bool) -> str | None:
    part = form.get(name)
    if part is None:
        if required:
            raise DocumentError(400, f"{name} is required")
        return None
    value = part.text()
    if name in ("name", "type") and (not value.strip() or len(value) > MAX_NAME):
        raise DocumentError(400, f"{name} must be 1-{MAX_NAME} characters")  # [openapi] non-empty, ≤ 128
    return value


def _check_content(part: FormPart) -> None:
    if not part.content_type:  # [openapi] "Its exact type is taken from the Content-Type header, ... mandatory"
        raise DocumentError(400, "The content part needs a Content-Type header")
    if len(part.data) > MAX_CONTENT:
        raise DocumentError(413, "Document content exceeds 50 MB")  # [openapi] DocumentTooLarge


def _full_document(record: DocumentRecord) -> RawBody:
    """[openapi] FullDocument: metadata and content in one multipart answer; [monaco] a ``metadata``
    form value and a ``content`` file part."""
    boundary = uuid.uuid4().hex
    metadata = json.dumps(record.metadata()).encode()
    body = b"".join(
        (
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="metadata"\r\n',
            b"Content-Type: application/json\r\n\r\n",
            metadata,
            f"\r\n--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="content"; filename="{record.id}"\r\n'.encode(),
            f"Content-Type: {record.content_type or 'application/octet-stream'}\r\n\r\n".encode(),
            record.content,
            f"\r\n--{boundary}--\r\n".encode(),
        )
    )
    return RawBody(f"multipart/form-data; boundary={boundary}", body)
