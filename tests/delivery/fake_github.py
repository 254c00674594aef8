"""A fake GitHub REST API on 127.0.0.1 for the scheduled verify's issue logic: labels, issues (list with
``state``/``labels`` filters and ``Link`` pagination, create, update), issue comments — the shapes of the
GitHub REST API reference ("Issues", "Labels", "Issue comments"), with a Bearer token required."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from testsupport.loopback import ServingThread


@dataclass
class FakeGitHub:
    repository: str = "acme/ai-observability"
    token: str = "ghs_FAKETOKEN00000000000000000000000000"
    page_size: int = 100
    issues: list[dict[str, Any]] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    comments: list[tuple[int, str]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_with: int | None = None
    """Answer every request with this status (an outage)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _serving: ServingThread | None = None
    _server: ThreadingHTTPServer | None = None

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, answer, headers = fake.handle(self.command, self.path, self.headers.get("Authorization"), body)
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _serve  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._serving = ServingThread(self._server)
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_issue(
        self, title: str, body: str, labels: list[str], *, pull_request: bool = False, state: str = "open"
    ) -> int:
        with self._lock:
            number = len(self.issues) + 1
            issue = {
                "number": number,
                "title": title,
                "body": body,
                "state": state,
                "labels": [{"name": n} for n in labels],
            }
            if pull_request:
                issue["pull_request"] = {"url": "…"}
            self.issues.append(issue)
            return number

    def issue(self, number: int) -> dict[str, Any]:
        return next(i for i in self.issues if i["number"] == number)

    def handle(self, method: str, path: str, auth: str | None, body: Any) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.requests.append((method, path))
            if self.fail_with is not None:
                return self.fail_with, {"message": "Server Error"}, {}
            if auth != f"Bearer {self.token}":
                return 401, {"message": "Bad credentials"}, {}
            parts = urlsplit(path)
            query = parse_qs(parts.query)
            prefix = f"/repos/{self.repository}"
            if not parts.path.startswith(prefix):
                return 404, {"message": "Not Found"}, {}
            rest = parts.path[len(prefix) :]
            if rest.startswith("/labels/") and method == "GET":
                name = rest[len("/labels/") :]
                return (200, {"name": name}, {}) if name in self.labels else (404, {"message": "Not Found"}, {})
            if rest == "/labels" and method == "POST":
                self.labels.add(body["name"])
                return 201, {"name": body["name"]}, {}
            if rest == "/issues" and method == "GET":
                return self._list(query)
            if rest == "/issues" and method == "POST":
                number = len(self.issues) + 1
                missing = [n for n in body.get("labels", []) if n not in self.labels]
                if missing:  # the script creates its label first; a missing one would be a bug here
                    return 422, {"message": f"label {missing} does not exist"}, {}
                labels = [{"name": n} for n in body.get("labels", [])]
                self.issues.append(
                    {"number": number, "title": body["title"], "body": body["body"], "state": "open", "labels": labels}
                )
                return 201, self.issues[-1], {}
            if rest.startswith("/issues/"):
                number_text, _, sub = rest[len("/issues/") :].partition("/")
                issue = next((i for i in self.issues if str(i["number"]) == number_text), None)
                if issue is None:
                    return 404, {"message": "Not Found"}, {}
                if sub == "comments" and method == "POST":
                    self.comments.append((issue["number"], body["body"]))
                    return 201, {"id": len(self.comments)}, {}
                if not sub and method == "PATCH":
                    issue.update(body)
                    return 200, issue, {}
            return 404, {"message": "Not Found"}, {}

    def _list(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        state = (query.get("state") or ["open"])[0]
        wanted = set((query.get("labels") or [""])[0].split(",")) - {""}
        matching = [
            i
            for i in self.issues
            if (state == "all" or i["state"] == state) and wanted <= {label["name"] for label in i["labels"]}
        ]
        page = int((query.get("page") or ["1"])[0])
        size = min(int((query.get("per_page") or ["30"])[0]), self.page_size)
        chunk = matching[(page - 1) * size : page * size]
        headers = {}
        if page * size < len(matching):
            labels = ",".join(sorted(wanted))
            query = f"state={state}&labels={labels}&per_page={size}&page={page + 1}"
            headers["Link"] = f'<{self.url}/repos/{self.repository}/issues?{query}>; rel="next"'
        return 200, chunk, headers
