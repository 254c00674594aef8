"""IngestToken provider, called directly: minting, secrecy, crash recovery, replacement, revoke."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from components.dynatrace import DynatraceApiError, IngestToken, IngestTokenProvider
from components.dynatrace.api import TokenApi
from components.dynatrace.client import DynatraceClient, TokenAuth
from tests.dynatrace.conftest import FAST, Env
from testsupport.dynatrace.emulator import INGEST_PATH, TOKENS_PATH

P = IngestTokenProvider()
SEED_SCOPES = ["bizevents.ingest", "metrics.ingest", "logs.ingest", "events.ingest", "openTelemetryTrace.ingest"]


def _create(env: Env, **props: Any) -> tuple[str, dict[str, Any]]:
    checked = P.check({}, env.token_props(**props))
    assert checked.failures == []
    result = P.create(checked.inputs)
    assert result.outs is not None
    return result.id, result.outs


def test_mints_a_token_with_exactly_the_scopes_and_an_expiry(env: Env) -> None:
    token_id, outs = _create(env)
    [record] = env.dt.api_tokens(name_contains="ai-observability-test-ingest")
    assert record.id == token_id == outs["token_id"]
    assert sorted(record.scopes) == sorted(SEED_SCOPES)
    assert record.expires_at is not None
    assert outs["token"] == record.token
    assert outs["expiration_date"]
    assert "token" in IngestToken.SECRET_OUTPUTS  # the secret leaves only as a secret output


def test_check_rejects_repeated_or_blank_scopes(env: Env) -> None:
    assert P.check({}, env.token_props(scopes=["a.b", "a.b"])).failures[0].property == "scopes"
    assert P.check({}, env.token_props(scopes=[])).failures[0].property == "scopes"
    assert P.check({}, env.token_props(expires_in_days=0)).failures[0].property == "expires_in_days"


def test_the_minted_token_ingests_governed_events_into_the_bucket(env: Env) -> None:
    env.dt.put_bucket("gen_ai_events")
    pipeline = env.dt.put_object(
        "builtin:openpipeline.bizevents.pipelines",
        {
            "customId": "ai-data-governance",
            "displayName": "AI",
            "storage": {
                "processors": [
                    {
                        "type": "bucketAssignment",
                        "id": "store",
                        "description": "store",
                        "enabled": True,
                        "matcher": "true",
                        "bucketAssignment": {"bucketName": "gen_ai_events"},
                    }
                ]
            },
        },
    )
    env.dt.set_routing(
        [
            {
                "enabled": True,
                "pipelineType": "custom",
                "pipelineId": pipeline,
                "matcher": 'matchesValue(event.type,"gen_ai.auditing")',
                "description": "AI",
            }
        ]
    )
    _, outs = _create(env)
    events = [
        {
            "specversion": "1.0",
            "id": "1",
            "source": "aws.bedrock",
            "type": "gen_ai.auditing",
            "data": {"m": "x", "o": {"k": 1}},
        },
        {"specversion": "1.0", "id": "2", "source": "aws.bedrock", "type": "other.thing"},
    ]
    response = requests.post(
        env.url + INGEST_PATH,
        data=json.dumps(events),
        headers={"Authorization": f"Api-Token {outs['token']}", "Content-Type": "application/cloudevent-batch+json"},
        timeout=5,
    )
    assert response.status_code == 202
    [stored] = env.dt.events_in("gen_ai_events")
    assert stored["event.type"] == "gen_ai.auditing"
    assert stored["event.provider"] == "aws.bedrock"
    assert stored["m"] == "x"  # the members of ``data`` are top-level fields
    assert stored["o"] == '{"k": 1}'  # nested objects are stored as strings
    assert len(env.dt.events_in("default_bizevents")) == 1


def test_a_crashed_create_leaves_one_token_not_two(env: Env) -> None:
    env.dt.fail_after_commit(method="POST", path_contains=TOKENS_PATH, status=500)
    with pytest.raises(DynatraceApiError, match="HTTP 500"):
        _create(env)
    assert len(env.dt.api_tokens(name_contains="ai-observability-test-ingest")) == 1  # the orphan
    token_id, _ = _create(env)
    assert [t.id for t in env.dt.api_tokens(name_contains="ai-observability-test-ingest")] == [token_id]


def test_lookup_pages_through_every_token_without_a_name_selector(env: Env) -> None:
    for i in range(230):
        env.dt.add_token(scopes=("metrics.ingest",), name=f"someone-else-{i}")
    wanted = env.dt.add_token(scopes=("metrics.ingest",), name="exact")
    env.dt.add_token(scopes=("metrics.ingest",), name="exact but longer")
    env.dt.add_token(scopes=("metrics.ingest",), name="EXACT")
    env.dt.clear_log()
    with DynatraceClient(env.url, TokenAuth("Api-Token", env.api_token), FAST) as client:
        found = TokenApi(client).find_by_name("exact", page_size=100)
    assert [t.id for t in found] == [wanted.rsplit(".", 1)[0]]
    listing = env.dt.calls(method="GET", path_contains=TOKENS_PATH)
    assert [c.status for c in listing] == [200, 200, 200]  # 234 tokens, 100 a page
    assert "apiTokenSelector=personalAccessToken%28false%29" in listing[0].query
    assert "name%28" not in listing[0].query
    assert all(c.query.startswith("nextPageKey=") and "&" not in c.query for c in listing[1:])
    with pytest.raises(ValueError, match=r"100\.\.10000"):
        TokenApi(client).find_by_name("exact", page_size=50)


def test_another_stack_or_scope_set_is_never_revoked(env: Env) -> None:
    first_id, _ = _create(env)
    _create(env, owner="ai-observability/prod")
    _create(env, scopes=["bizevents.ingest"])  # a replacement in progress: the old token must live on
    ids = {t.id for t in env.dt.api_tokens(name_contains="ai-observability-test-ingest")}
    assert first_id in ids
    assert len(ids) == 3


def test_diff_replaces_on_scopes_name_and_expiry_but_ignores_order(env: Env) -> None:
    token_id, outs = _create(env)
    same = P.check({}, env.token_props()).inputs
    assert P.diff(token_id, outs, {**same, "scopes": list(reversed(SEED_SCOPES))}).changes is False
    assert P.diff(token_id, outs, {**same, "scopes": ["bizevents.ingest"]}).replaces == ["scopes"]
    assert P.diff(token_id, outs, {**same, "name": "renamed"}).replaces == ["name"]
    assert P.diff(token_id, outs, {**same, "expires_in_days": 90}).replaces == ["expires_in_days"]
    rotated_admin = P.diff(token_id, outs, {**same, "api_token": env.dt.add_token()})
    assert rotated_admin.changes is True
    assert rotated_admin.replaces == []
    env.dt.clear_log()
    updated = P.update(token_id, outs, {**same, "api_token": "dt0c01.NEWADMIN"})
    assert env.dt.calls() == []
    assert updated.outs is not None
    assert updated.outs["token"] == outs["token"]


def test_read_reports_drift_revocation_and_disabling(env: Env) -> None:
    token_id, outs = _create(env)
    env.dt.disable_token(token_id)
    disabled = P.read(token_id, outs)
    assert disabled.outs is not None
    assert disabled.outs["enabled"] is False
    assert disabled.outs["token"] == outs["token"]  # the secret is kept, never re-fetched
    assert "enabled" in (P.diff(token_id, disabled.outs, P.check({}, env.token_props()).inputs).replaces or [])
    P.delete(token_id, outs)
    assert P.read(token_id, outs).id is None
    P.delete(token_id, outs)  # 404 = done
    assert [c.status for c in env.dt.calls(method="DELETE")] == [204, 404]
