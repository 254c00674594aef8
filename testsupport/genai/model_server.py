"""A loopback stand-in for the model APIs GenAI apps call: enough for real SDKs and instrumentations.

Answers, on 127.0.0.1, with the response shapes of the providers' API references:

- OpenAI ``POST /v1/chat/completions`` (OpenAI API reference, "Create chat completion": ``id``,
  ``object: chat.completion``, ``model`` — the dated model that served the request —, ``choices``
  and ``usage`` with ``prompt_tokens``/``completion_tokens``/``total_tokens``); the model
  :data:`FAILING_MODEL` answers 500 with an ``error`` object, so an error path can be exercised;
- Amazon Bedrock Runtime ``POST /model/{modelId}/converse`` (Bedrock API reference, "Converse":
  ``output.message``, ``stopReason``, ``usage.inputTokens``/``outputTokens``/``totalTokens``,
  ``metrics.latencyMs``) and ``POST /model/{modelId}/invoke`` with an Anthropic Messages body
  (Bedrock user guide, "Anthropic Claude Messages API": ``content``, ``stop_reason``, ``usage``);
  an InvokeModel request with ``guardrailIdentifier`` gets the guardrail fields Bedrock adds
  (``amazon-bedrock-guardrailAction`` and, with ``trace: ENABLED``, ``amazon-bedrock-trace``).

It is test support: no streaming, no auth checks (the SDKs are given dummy credentials).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from testsupport.loopback import ServingThread

FAILING_MODEL = "failing-model"
SERVED_SUFFIX = "-2024-08-06"
"""OpenAI answers with the dated model version that served a request (``gpt-4o`` → ``gpt-4o-2024-08-06``)."""
GUARDRAIL_ID = "gr7example01"


def _chat_completion(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    model = str(body.get("model", ""))
    if model == FAILING_MODEL:
        return 500, {"error": {"message": "The server had an error", "type": "server_error", "code": None}}
    return 200, {
        "id": "chatcmpl-lineage",
        "object": "chat.completion",
        "created": 1_741_083_330,
        "model": model + SERVED_SUFFIX,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }


def _converse(_model: str, _body: dict[str, Any]) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 9, "outputTokens": 2, "totalTokens": 11},
        "metrics": {"latencyMs": 42},
    }


def _invoke(model: str, headers: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "msg_lineage",
        "type": "message",
        "role": "assistant",
        "model": model.split(".", 1)[-1],
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 7, "output_tokens": 2},
    }
    guardrail = headers.get("x-amzn-bedrock-guardrailidentifier")
    if guardrail:
        body["amazon-bedrock-guardrailAction"] = "INTERVENED"
        if headers.get("x-amzn-bedrock-trace", "").upper() == "ENABLED":
            body["amazon-bedrock-trace"] = {
                "guardrail": {
                    "input": {guardrail: {"topicPolicy": {"topics": [{"name": "finance", "action": "BLOCKED"}]}}}
                }
            }
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the instrumentations' output, not the access log."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        body = json.loads(raw or b"{}")
        path = unquote(self.path.split("?", 1)[0])
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path.endswith("/chat/completions"):
            self._send(*_chat_completion(body))
        elif path.startswith("/model/") and path.endswith("/converse"):
            self._send(200, _converse(path.split("/")[2], body))
        elif path.startswith("/model/") and path.endswith("/invoke"):
            self._send(200, _invoke(path.split("/")[2], headers))
        else:
            self._send(404, {"message": f"no such operation: POST {path}"})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class ModelServer:
    """``with ModelServer() as server:`` — ``server.url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._serving: ServingThread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ModelServer:
        self._serving = ServingThread(self._server)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._serving is not None:
            self._serving.stop()
