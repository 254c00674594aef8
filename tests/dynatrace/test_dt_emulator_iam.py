"""The emulator's SSO token endpoint and Account Management API behave as Dynatrace documents them
(plain HTTP against it, no product code): append versus replace, required query parameters, the
statement syntax, and what each token may do."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from testsupport.dynatrace.emulator import ACCOUNT_UUID, ENVIRONMENT_ID, DynatraceEmulator
from testsupport.dynatrace.emulator_iam import parse_statements
from testsupport.dynatrace.emulator_sso import TOKEN_PATH

LEVEL = ("environment", ENVIRONMENT_ID)
REPO = f"/iam/v1/repo/environment/{ENVIRONMENT_ID}"
ALL = ["account-idm-read", "account-idm-write", "iam-policies-management", "account-env-read"]


def _token(dt: DynatraceEmulator, scopes: list[str] = ALL, **form: str) -> str:
    client_id, secret = dt.sso.add_client(scopes)
    fields = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, **form}
    answer = requests.post(dt.url + TOKEN_PATH, data=fields, timeout=5)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["token_type"] == "Bearer"
    return str(body["access_token"])


def _call(dt: DynatraceEmulator, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, dt.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=5, **kwargs)


@pytest.fixture
def dt() -> Any:
    with DynatraceEmulator() as emulator:
        yield emulator


def test_the_token_endpoint_grants_and_refuses_as_documented(dt: DynatraceEmulator) -> None:
    client_id, secret = dt.sso.add_client(["storage:buckets:read", "account-idm-read"])
    post = lambda **form: requests.post(  # noqa: E731
        dt.url + TOKEN_PATH, data={"grant_type": "client_credentials", "client_id": client_id, **form}, timeout=5
    )
    wrong = post(client_secret=secret[:-1] + "X")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    missing = post(client_secret=secret, scope="storage:buckets:read storage:logs:read")
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_scope")
    assert "storage:logs:read" in missing.json()["error_description"]
    everything = post(client_secret=secret).json()  # no scope: every scope of the client
    assert set(everything["scope"].split()) == {"storage:buckets:read", "account-idm-read"}
    assert everything["expires_in"] == 300
    account = post(client_secret=secret, scope="account-idm-read", resource=f"urn:dtaccount:{ACCOUNT_UUID}").json()
    assert account["resource"] == f"urn:dtaccount:{ACCOUNT_UUID}"
    assert post(client_secret=secret, resource="urn:dtaccount:other").status_code == 400
    as_json = requests.post(dt.url + TOKEN_PATH, json={"grant_type": "client_credentials"}, timeout=5)
    assert as_json.status_code == 400
    assert post(client_secret=secret, grant_type="password").status_code == 400


def test_tokens_stop_working_when_the_tenant_says_so(dt: DynatraceEmulator) -> None:
    dt.sso.honoured_for = -1
    token = _token(dt)
    assert _call(dt, token, "GET", f"/iam/v1/accounts/{ACCOUNT_UUID}/groups").status_code == 401
    dt.sso.honoured_for = None
    token = _token(dt)
    assert _call(dt, token, "GET", f"/iam/v1/accounts/{ACCOUNT_UUID}/groups").status_code == 200
    dt.sso.expire_all()
    assert _call(dt, token, "GET", f"/iam/v1/accounts/{ACCOUNT_UUID}/groups").status_code == 401


def test_account_calls_want_their_scope_and_this_account(dt: DynatraceEmulator) -> None:
    reader = _token(dt, ["account-idm-read"])
    groups = f"/iam/v1/accounts/{ACCOUNT_UUID}/groups"
    assert _call(dt, reader, "GET", groups).status_code == 200
    assert _call(dt, reader, "POST", groups, json=[{"name": "x"}]).status_code == 403
    assert _call(dt, reader, "GET", f"{REPO}/policies").status_code == 403
    fine_grained = _token(dt, ["iam:policies:read"])  # the fine-grained scope is accepted too
    assert _call(dt, fine_grained, "GET", f"{REPO}/policies").status_code == 200
    other = "11111111-2222-3333-4444-555555555555"
    assert _call(dt, reader, "GET", f"/iam/v1/accounts/{other}/groups").status_code == 403
    for_environment = _token(dt, ALL, resource=f"urn:dtenvironment:{ENVIRONMENT_ID}")
    assert _call(dt, for_environment, "GET", groups).status_code == 403


def test_post_appends_bindings_and_put_replaces_them(dt: DynatraceEmulator) -> None:
    token = _token(dt)
    iam = dt.iam
    group = iam.put_group("SRE on-call")
    theirs = iam.put_policy(LEVEL, "Theirs", "ALLOW document:documents:read;")
    ours = iam.put_policy(LEVEL, "Ours", "ALLOW storage:bizevents:read;")
    iam.bind(LEVEL, theirs, group)

    assert _call(dt, token, "POST", f"{REPO}/bindings/{ours}", json={"groups": [group]}).status_code == 204
    assert sorted(iam.group_bindings(LEVEL, group)) == sorted([theirs, ours])  # appended
    by_group = _call(dt, token, "GET", f"{REPO}/bindings/groups/{group}").json()
    assert sorted(by_group["policyUuids"]) == sorted([theirs, ours])

    replaced = _call(dt, token, "PUT", f"{REPO}/bindings/groups/{group}", json={"policyUuids": [ours]})
    assert replaced.status_code == 204
    assert iam.group_bindings(LEVEL, group) == [ours]  # theirs discarded: why the product never PUTs

    iam.bind(LEVEL, theirs, group)
    level = {"policyBindings": [{"policyUuid": ours, "groups": [group]}]}
    assert _call(dt, token, "PUT", f"{REPO}/bindings", json=level).status_code == 204
    assert iam.group_bindings(LEVEL, group) == [ours]


def test_deletes_need_their_query_parameters(dt: DynatraceEmulator) -> None:
    token = _token(dt)
    iam = dt.iam
    group = iam.put_group("Auditors")
    policy = iam.put_policy(LEVEL, "Auditors", "ALLOW storage:bizevents:read;")
    iam.bind(LEVEL, policy, group)
    assert _call(dt, token, "DELETE", f"{REPO}/bindings/{policy}/{group}").status_code == 400  # no forceMultiple
    assert _call(dt, token, "DELETE", f"{REPO}/policies/{policy}").status_code == 400  # no force
    assert _call(dt, token, "DELETE", f"{REPO}/policies/{policy}", params={"force": "false"}).status_code == 400
    gone = _call(dt, token, "DELETE", f"{REPO}/bindings/{policy}/{group}", params={"forceMultiple": "true"})
    assert gone.status_code == 204
    again = _call(dt, token, "DELETE", f"{REPO}/bindings/{policy}/{group}", params={"forceMultiple": "true"})
    assert again.status_code == 400  # a binding that does not exist
    assert _call(dt, token, "DELETE", f"{REPO}/policies/{policy}", params={"force": "false"}).status_code == 204


def test_policies_are_validated_and_named_uniquely_per_level(dt: DynatraceEmulator) -> None:
    token = _token(dt)
    body = {"name": "P", "description": "d", "statementQuery": "ALLOW storage:logs:read;"}
    assert _call(dt, token, "POST", f"{REPO}/policies", json=body).status_code == 201
    assert _call(dt, token, "POST", f"{REPO}/policies", json=body).status_code == 400  # same name
    no_description = {"name": "Q", "statementQuery": "ALLOW storage:logs:read;"}
    assert _call(dt, token, "POST", f"{REPO}/policies", json=no_description).status_code == 400
    bad = {**body, "name": "R", "statementQuery": "ALLOW storage:logs:read"}
    answer = _call(dt, token, "POST", f"{REPO}/policies", json=bad)
    assert answer.status_code == 400
    assert set(answer.json()) == {"code", "message", "errorsMap"}
    assert _call(dt, token, "POST", "/iam/v1/repo/environment/zzz99999/policies", json=body).status_code == 404
    assert _call(dt, token, "POST", "/iam/v1/repo/global/global/policies", json=body).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "ALLOW storage:logs:read;",
        "ALLOW storage:events:read, storage:entities:read;\nALLOW hub:catalog:read;",
        'ALLOW storage:buckets:read WHERE storage:bucket-name = "gen_ai_events";',
        "ALLOW storage:buckets:read WHERE storage:bucket-name = 'gen_ai_events';",
        'ALLOW storage:buckets:read WHERE storage:bucket-name startsWith "default_";',
        'ALLOW settings:objects:read WHERE settings:schemaId IN ("a", "b") AND settings:scope = "environment";',
        'ALLOW storage:buckets:read WHERE storage:bucket-name MATCH ("team_*");',
        '// a comment line\nDENY storage:buckets:read WHERE storage:bucket-name != "x"; // trailing',
        'ALLOW settings:objects:read WHERE settings:schemaId = "a;b";',
    ],
)
def test_statements_the_docs_show_are_accepted(query: str) -> None:
    assert parse_statements(query)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "// only a comment",
        "ALLOW storage:logs:read",  # no closing ';'
        "GRANT storage:logs:read;",
        "ALLOW storage logs read;",
        "ALLOW storage:logs:read WHERE;",
        "ALLOW storage:logs:read WHERE storage:bucket-name ~ 'x';",
        "ALLOW storage:logs:read WHERE storage:bucket-name = x;",
        "ALLOW storage:logs:read;" * 101,
    ],
)
def test_statements_outside_the_syntax_are_refused(query: str) -> None:
    with pytest.raises(ValueError, match=r"statement|at most"):
        parse_statements(query)
