"""Dashboards end to end: the real ``DynatraceSignals`` component, its ``Document`` providers
unpickled and driven like ``pulumi up``/``refresh``/``destroy`` (``dt_engine``) against the
emulator's Document service."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import requests

from components.dynatrace.client import DynatraceClient, FilePart, MultipartBody, TokenAuth
from components.dynatrace.document import DocumentProvider
from components.dynatrace.errors import DynatraceApiError
from tests.dynatrace.conftest import CANARY_SECRETS, FAST, Env
from tests.dynatrace.signals_stack import SignalsStack
from testsupport.dynatrace.emulator import Faults
from testsupport.dynatrace.emulator_documents import DOCUMENTS_PATH, accepts, dashboard_problems

DOCS = "/platform/document/v1/"
FOREIGN_ID = "team-b-dashboard"


class Stack(SignalsStack):
    """``up`` overlays the ``dashboards`` part of the signals section."""

    def up(self, **dashboards: Any) -> dict[str, Any]:
        self.signals.setdefault("dashboards", {}).update(dashboards)
        return self.engine.up(self.program())


@pytest.fixture
def stack(env: Env) -> Stack:
    return Stack(env)


def _doc_writes(env: Env) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in env.dt.writes(path_contains=DOCS) if not c.injected]


def _seed_foreign(env: Env) -> None:
    env.dt.documents.put(FOREIGN_ID, "Team B", json.dumps({"version": 15, "tiles": {}, "layouts": {}}).encode())


def test_create_reapply_change_and_destroy_touch_only_our_dashboards(stack: Stack, env: Env) -> None:
    _seed_foreign(env)
    outputs = stack.up()
    ids = outputs["dashboards"]
    assert set(ids) == {"governanceAudit", "llmServices", "nimServing", "kongGateway"}
    assert ids["llmServices"] == "ai-observability.test.llm-services"
    for id_ in ids.values():
        record = env.dt.documents.documents[id_]
        assert record.type == "dashboard"
        assert record.is_private is False
        assert dashboard_problems(record.content) == []
        assert record.content_type == "application/json"
    assert [m for m, _ in _doc_writes(env)] == ["POST"] * 4

    env.dt.clear_log()
    stack.up()
    assert env.dt.writes() == []  # a no-op re-apply writes nothing

    stack.up(namePrefix="[test]")  # changes each title: one PATCH per dashboard, with the version
    patches = env.dt.calls(method="PATCH")
    assert len(patches) == 4
    assert all(c.query == "optimistic-locking-version=1" for c in patches)
    assert env.dt.documents.documents[ids["nimServing"]].name == "[test] NIM and GPU serving"

    env.dt.clear_log()
    stack.up(defaultSamplingRatio=1000)  # only the LLM services content changes
    assert _doc_writes(env) == [("PATCH", f"{DOCUMENTS_PATH}/{ids['llmServices']}")]
    content = json.loads(env.dt.documents.documents[ids["llmServices"]].content)
    assert content["variables"][0]["defaultValue"] == "1000"

    env.dt.clear_log()
    stack.engine.destroy()
    assert list(env.dt.documents.documents) == [FOREIGN_ID]
    assert env.dt.documents.trash == {}  # purged, not just moved to the trash
    deletes = [p for m, p in _doc_writes(env) if m == "DELETE"]
    assert sorted(deletes) == sorted(
        [f"{DOCUMENTS_PATH}/{i}" for i in ids.values()] + [f"{DOCS}trash/documents/{i}" for i in ids.values()]
    )


def test_kong_dashboard_only_with_kong_and_include_limits_the_set(stack: Stack, env: Env) -> None:
    stack.kong = False
    outputs = stack.up()
    assert set(outputs["dashboards"]) == {"governanceAudit", "llmServices", "nimServing"}
    outputs = stack.up(include=["governanceAudit"])
    assert set(outputs["dashboards"]) == {"governanceAudit"}
    assert list(env.dt.documents.documents) == ["ai-observability.test.governance-audit"]


def test_stale_version_is_recovered_by_rereading(stack: Stack, env: Env) -> None:
    outputs = stack.up()
    target = outputs["dashboards"]["kongGateway"]
    # Someone saves the dashboard between our GET and our PATCH: the PATCH is answered 409.
    env.dt.before_request(
        lambda emu: emu.documents.edit(target, name="edited in the UI"), method="PATCH", path_contains=target
    )
    env.dt.clear_log()
    stack.up(namePrefix="[x]")
    statuses = [c.status for c in env.dt.calls(method="PATCH", path_contains=target)]
    assert statuses == [409, 200]
    record = env.dt.documents.documents[target]
    assert record.name == "[x] Kong AI gateway"
    assert record.version == 3  # created 1, the concurrent edit 2, our PATCH on the re-read version 3
    assert stack.engine.entry("signals-dashboard-kong-gateway").outs["version"] == record.version


def test_refresh_sees_an_edit_and_a_deletion(stack: Stack, env: Env) -> None:
    outputs = stack.up()
    ids = outputs["dashboards"]
    env.dt.documents.edit(ids["nimServing"], content=b'{"version": 15, "tiles": {}, "layouts": {}}')
    env.dt.documents.documents.pop(ids["governanceAudit"])  # deleted by hand (and purged)
    stack.engine.refresh()
    assert ("refresh-gone", "signals-dashboard-governance-audit") in stack.engine.ops_since(0)
    env.dt.clear_log()
    stack.up()
    writes = _doc_writes(env)
    assert ("PATCH", f"{DOCUMENTS_PATH}/{ids['nimServing']}") in writes
    assert ("POST", DOCUMENTS_PATH) in writes
    assert len(writes) == 2
    assert dashboard_problems(env.dt.documents.documents[ids["nimServing"]].content) == []
    assert json.loads(env.dt.documents.documents[ids["nimServing"]].content)["tiles"]


def test_rerun_after_lost_state_adopts_and_a_trashed_dashboard_is_restored(stack: Stack, env: Env) -> None:
    outputs = stack.up()
    target = outputs["dashboards"]["llmServices"]
    stack.engine.state.clear()  # a crash between the API call and the state write
    env.dt.documents.trash[target] = env.dt.documents.documents.pop(target)  # and a user trashed one
    env.dt.clear_log()
    stack.up()
    assert len(env.dt.documents.documents) == 4
    assert env.dt.documents.trash == {}
    assert [m for m, _ in _doc_writes(env)] == ["POST", "POST"]  # the refused create, then the restore
    assert env.dt.calls(method="POST", path_contains="/restore")


def test_one_in_three_overloaded_answers_still_converge(stack: Stack, env: Env) -> None:
    env.dt.faults = Faults(fail_ratio=1 / 3, statuses=(503,), retry_after="0", seed=11)
    stack.up()
    assert len(env.dt.documents.documents) == 4
    env.dt.clear_log()
    stack.up()
    assert [c for c in env.dt.writes() if not c.injected] == []
    stack.up(namePrefix="[503]")
    assert all(d.name.startswith("[503] ") for d in env.dt.documents.documents.values())
    stack.engine.destroy()
    assert env.dt.documents.documents == {}
    assert env.dt.documents.trash == {}
    assert Counter(c.status for c in env.dt.calls(injected=True))[503] > 0


def test_no_token_text_in_logs_or_state(stack: Stack, env: Env, all_logs: pytest.LogCaptureFixture) -> None:
    stack.up()
    state_text = json.dumps([e.outs for e in stack.engine.state.values()], default=str).replace(env.platform_token, "")
    for secret in CANARY_SECRETS:
        assert secret not in all_logs.text
        assert secret not in state_text


def test_provider_refuses_a_dashboard_that_is_not_json(env: Env) -> None:
    props = env.platform(document_id="x-dash", name="X", type="dashboard", content="not json")
    failures = DocumentProvider().check({}, props).failures
    assert failures
    assert "JSON object" in failures[0].reason
    uuid_id = env.platform(document_id="6239bf48-ce6d-4e06-8694-bd3c2b235d63", name="X", content="{}")
    assert DocumentProvider().check({}, uuid_id).failures


def test_diff_replaces_only_on_id_change(env: Env) -> None:
    olds = {**env.platform(document_id="a-1", name="A", type="dashboard", content='{"a": 1, "b": 2}'), "version": 1}
    provider = DocumentProvider()
    same = provider.diff("a-1", olds, {**olds, "content": '{"b":2,"a":1}'})
    assert same.changes is False  # key order and whitespace are not changes
    renamed = provider.diff("a-1", olds, {**olds, "name": "B"})
    assert renamed.changes
    assert not renamed.replaces
    moved = provider.diff("a-1", olds, {**olds, "document_id": "a-2"})
    assert moved.replaces == ["document_id"]


# --- the emulator's Document service and the client's multipart ---------------------------------


def _client(env: Env) -> DynatraceClient:
    return DynatraceClient(env.url, TokenAuth("Bearer", env.platform_token), FAST)


def test_client_round_trips_a_multipart_document(env: Env) -> None:
    with _client(env) as client:
        created = client.request(
            "POST",
            DOCUMENTS_PATH,
            form={"id": "rt-1", "name": "Ünïcode", "type": "notebook", "isPrivate": "true"},
            files={"content": FilePart("c.json", b'{"x": 1}', "application/json")},
            ok=(201,),
        )
        assert created.body["version"] == 1
        assert created.body["isPrivate"] is True
        full = client.request("GET", f"{DOCUMENTS_PATH}/rt-1", accept=None)
        assert isinstance(full.body, MultipartBody)
        assert json.loads(full.body.parts["metadata"].data)["name"] == "Ünïcode"
        assert full.body.parts["content"].data == b'{"x": 1}'
        meta = client.request("GET", f"{DOCUMENTS_PATH}/rt-1/metadata")
        assert meta.body["type"] == "notebook"


def test_client_retries_a_multipart_post_with_the_full_body(env: Env) -> None:
    env.dt.fail_next(2, status=503, method="POST", retry_after="0")
    with _client(env) as client:
        client.request(
            "POST",
            DOCUMENTS_PATH,
            form={"id": "retry-1", "name": "R", "type": "dashboard"},
            files={"content": FilePart("c.json", b"{}", "application/json")},
            ok=(201,),
        )
    assert env.dt.documents.documents["retry-1"].content == b"{}"


def _post(env: Env, fields: dict[str, Any], content: tuple[str, bytes, str] | None) -> requests.Response:
    files: list[tuple[str, Any]] = [(k, (None, v)) for k, v in fields.items()]
    if content is not None:
        files.append(("content", content))
    return requests.post(
        env.url + DOCUMENTS_PATH, files=files, headers={"Authorization": f"Bearer {env.platform_token}"}, timeout=5
    )


@pytest.mark.parametrize(
    ("fields", "content", "status"),
    [
        ({"name": "A", "type": "dashboard"}, None, 400),
        ({"type": "dashboard"}, ("c", b"{}", "application/json"), 400),
        ({"name": "x" * 129, "type": "dashboard"}, ("c", b"{}", "application/json"), 400),
        ({"name": "A", "type": "dashboard"}, ("c", b"{}", ""), 400),
        ({"name": "A", "type": "dashboard", "id": "dup"}, ("c", b"{}", "application/json"), 409),
        ({"name": "A", "type": "dashboard"}, ("c", b"not json: stored anyway", "text/plain"), 201),
    ],
    ids=["no-content", "no-name", "long-name", "content-without-type", "duplicate-id", "store-does-not-inspect"],
)
def test_emulator_create_rules(env: Env, fields: dict[str, Any], content: Any, status: int) -> None:
    env.dt.documents.put("dup", "D", b"{}")
    assert _post(env, fields, content).status_code == status


def test_emulator_update_and_delete_need_the_current_version(env: Env) -> None:
    env.dt.documents.put("v-1", "V", b"{}")
    headers = {"Authorization": f"Bearer {env.platform_token}"}
    url = f"{env.url}{DOCUMENTS_PATH}/v-1"
    files = [("name", (None, "V2"))]
    assert requests.patch(url, files=files, headers=headers, timeout=5).status_code == 400
    assert (
        requests.patch(url + "?optimistic-locking-version=7", files=files, headers=headers, timeout=5).status_code
        == 409
    )
    ok = requests.patch(url + "?optimistic-locking-version=1", files=files, headers=headers, timeout=5)
    assert ok.status_code == 200
    assert ok.json()["documentMetadata"]["version"] == 2
    assert requests.delete(url + "?optimistic-locking-version=1", headers=headers, timeout=5).status_code == 409
    assert requests.delete(url + "?optimistic-locking-version=2", headers=headers, timeout=5).status_code == 204
    assert "v-1" in env.dt.documents.trash
    assert requests.get(url + "/metadata", headers=headers, timeout=5).status_code == 404


def test_emulator_requires_document_scopes_and_bearer(env: Env) -> None:
    narrow = env.dt.add_token(kind="platform", scopes=("document:documents:read",))
    response = _post_with(env, narrow)
    assert response.status_code == 403
    api = requests.get(env.url + DOCUMENTS_PATH, headers={"Authorization": f"Api-Token {env.api_token}"}, timeout=5)
    assert api.status_code == 401


def _post_with(env: Env, token: str) -> requests.Response:
    return requests.post(
        env.url + DOCUMENTS_PATH,
        files=[("name", (None, "A")), ("type", (None, "dashboard")), ("content", ("c", b"{}", "application/json"))],
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


# --- content negotiation on the full-document GET ------------------------------------------------


def test_every_full_document_get_of_a_run_carries_no_accept_header(stack: Stack, env: Env) -> None:
    _seed_foreign(env)
    ids = stack.up()["dashboards"]
    env.dt.documents.edit(ids["llmServices"], name="edited in the UI")
    stack.engine.refresh()
    stack.engine.state.clear()  # a lost state: every create looks its id up first
    stack.up()
    gets = [
        c for c in env.dt.calls(method="GET", path_contains=DOCUMENTS_PATH + "/") if c.path.count("/") == 5
    ]  # /platform/document/v1/documents/{id}: not .../metadata, not the trash
    assert len(gets) >= 2 * len(ids)
    assert all("accept" not in c.headers for c in gets), {c.headers.get("accept") for c in gets}
    assert {c.status for c in gets} == {200, 404}  # 404: the look-up before the first create
    assert sum(c.status == 200 for c in gets) >= 2 * len(ids)  # refresh and adoption read each one


def test_the_emulator_answers_406_when_accept_excludes_multipart(env: Env) -> None:
    env.dt.documents.put("neg-1", "N", b"{}")
    url, auth = f"{env.url}{DOCUMENTS_PATH}/neg-1", {"Authorization": f"Bearer {env.platform_token}"}

    def status(accept: str | None) -> int:
        headers = auth if accept is None else {**auth, "Accept": accept}
        return requests.get(url, headers=headers, timeout=5).status_code

    assert status("application/json") == 406
    assert status("application/json, */*;q=0") == 406
    assert status("multipart/*;q=0, */*") == 406
    assert status("*/*") == 200
    assert status("multipart/form-data") == 200
    assert status("application/json, multipart/*;q=0.5") == 200
    with _client(env) as client, pytest.raises(DynatraceApiError) as refused:
        client.request("GET", f"{DOCUMENTS_PATH}/neg-1")  # the client's JSON default
    assert refused.value.status == 406
    assert requests.get(url + "/metadata", headers={**auth, "Accept": "application/json"}, timeout=5).ok


@pytest.mark.parametrize(
    ("header", "admitted"),
    [
        (None, True),
        ("", True),
        ("*/*", True),
        ("multipart/*", True),
        ("MULTIPART/FORM-DATA;q=0.1", True),
        ("application/json", False),
        ("multipart/form-data;q=0", False),
        ("multipart/form-data;q=0, */*", False),
        ("text/html, application/xml;q=0.9", False),
    ],
)
def test_accept_header_matching_follows_rfc_9110(header: str | None, admitted: bool) -> None:
    assert accepts(header, "multipart/form-data") is admitted
