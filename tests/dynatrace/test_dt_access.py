"""The access providers (IAM policy, group, binding) against the emulated Account Management API:
create, adoption after a lost state, no-op without writes, drift on refresh, appended bindings that
keep everyone else's, and a destroy that removes only what the stack made."""

from __future__ import annotations

from typing import Any

import pytest

from components.dynatrace.client import DynatraceClient, TokenAuth
from components.dynatrace.errors import DynatraceApiError, DynatraceConflictError
from components.dynatrace.iam_binding import IamPolicyBindingProvider
from components.dynatrace.iam_group import IamGroupProvider
from components.dynatrace.iam_policy import IamPolicyProvider
from tests.dynatrace.conftest import FAST, Env
from testsupport.dynatrace.emulator import ENVIRONMENT_ID

LEVEL = ("environment", ENVIRONMENT_ID)
POLICY, GROUP, BINDING = IamPolicyProvider(), IamGroupProvider(), IamPolicyBindingProvider()


def _create(provider: Any, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    checked = provider.check({}, props)
    assert checked.failures == [], checked.failures
    result = provider.create(checked.inputs)
    return result.id, dict(result.outs)


def _chain(env: Env) -> dict[str, tuple[str, dict[str, Any]]]:
    policy = _create(POLICY, env.policy_props())
    group = _create(GROUP, env.group_props())
    binding = _create(BINDING, env.binding_props(policy[0], "AI governance auditors (test)", group[0]))
    return {"policy": policy, "group": group, "binding": binding}


def test_create_then_a_no_op_makes_no_write(env: Env) -> None:
    made = _chain(env)
    policy_id, group_id = made["policy"][0], made["group"][0]
    iam = env.dt.iam
    assert iam.policies[LEVEL][policy_id].statement_query.startswith("ALLOW storage:buckets:read")
    assert iam.groups[group_id].description == "auditors [managed by ai-observability/test]"
    assert iam.group_bindings(LEVEL, group_id) == [policy_id]
    assert made["binding"][0] == f"environment/{ENVIRONMENT_ID}/{policy_id}/{group_id}"

    env.dt.clear_log()
    for provider, props, (id_, outs) in (
        (POLICY, env.policy_props(), made["policy"]),
        (GROUP, env.group_props(), made["group"]),
        (BINDING, env.binding_props(policy_id, "AI governance auditors (test)", group_id), made["binding"]),
    ):
        checked = provider.check(outs, props)
        assert provider.diff(id_, outs, checked.inputs).changes is False
        read = provider.read(id_, outs)
        assert read.id == id_
        assert provider.diff(id_, read.outs, checked.inputs).changes is False
    assert env.dt.writes() == []


def test_a_lost_state_adopts_by_name_without_writing(env: Env) -> None:
    made = _chain(env)
    env.dt.clear_log()
    again = _chain(env)  # a second create of each, as after a crash before the state was saved
    assert [again[k][0] for k in again] == [made[k][0] for k in made]
    assert all(again[k][1]["adopted"] for k in again)
    assert [c for c in env.dt.writes() if "/sso/" not in c.path] == []
    assert len(env.dt.iam.groups) == 1
    assert len(env.dt.iam.policies[LEVEL]) == 1


def test_foreign_objects_of_the_same_name_are_refused_unless_adoption_is_allowed(env: Env) -> None:
    iam = env.dt.iam
    foreign_group = iam.put_group("AI governance auditors (test)", "made by hand")
    with pytest.raises(DynatraceConflictError, match="not created by this stack"):
        _create(GROUP, env.group_props())
    group_id, outs = _create(GROUP, env.group_props(adopt_existing=True))
    assert (group_id, outs["adopted"]) == (foreign_group, True)
    assert iam.groups[group_id].description == "auditors [managed by ai-observability/test]"

    iam.put_policy(LEVEL, "AI governance auditors", "ALLOW storage:bizevents:read;", "by hand")
    with pytest.raises(DynatraceConflictError, match="adoptExisting"):
        _create(POLICY, env.policy_props())


def test_refresh_shows_a_statement_added_in_the_console_and_the_update_removes_it(env: Env) -> None:
    made = _chain(env)
    policy_id, outs = made["policy"]
    live = env.dt.iam.policies[LEVEL][policy_id]
    live.statement_query += "\nALLOW storage:logs:read;"  # someone widened the auditors policy
    read = POLICY.read(policy_id, outs)
    assert "storage:logs:read" in read.outs["statement_query"]
    checked = POLICY.check(read.outs, env.policy_props())
    diff = POLICY.diff(policy_id, read.outs, checked.inputs)
    assert (diff.changes, diff.replaces) == (True, [])
    env.dt.clear_log()
    POLICY.update(policy_id, read.outs, checked.inputs)
    assert "storage:logs:read" not in live.statement_query
    assert [(c.method, c.status) for c in env.dt.writes() if "/sso/" not in c.path] == [("PUT", 204)]


def test_refresh_shows_a_binding_removed_in_the_console_and_the_next_up_appends_it(env: Env) -> None:
    made = _chain(env)
    policy_id, group_id = made["policy"][0], made["group"][0]
    env.dt.iam.unbind(LEVEL, policy_id, group_id)
    binding_id, outs = made["binding"]
    assert BINDING.read(binding_id, outs).id is None  # gone: the engine drops it from the state
    again = _create(BINDING, env.binding_props(policy_id, "AI governance auditors (test)", group_id))
    assert again[1]["adopted"] is False
    assert env.dt.iam.group_bindings(LEVEL, group_id) == [policy_id]


def test_a_foreign_binding_on_the_same_group_is_kept_and_destroy_removes_only_ours(env: Env) -> None:
    iam = env.dt.iam
    existing = iam.put_group("SRE on-call", "managed in the console")
    foreign_policy = iam.put_policy(LEVEL, "Team dashboards", "ALLOW document:documents:read;")
    iam.bind(LEVEL, foreign_policy, existing)
    policy_id, policy_outs = _create(POLICY, env.policy_props())
    binding_id, binding_outs = _create(BINDING, env.binding_props(policy_id, "SRE on-call", None))
    assert binding_outs["group_id"] == existing
    assert sorted(iam.group_bindings(LEVEL, existing)) == sorted([foreign_policy, policy_id])
    assert [c.method for c in env.dt.writes(path_contains="/bindings")] == ["POST"]  # appended, never PUT

    BINDING.delete(binding_id, binding_outs)
    POLICY.delete(policy_id, policy_outs)
    assert iam.group_bindings(LEVEL, existing) == [foreign_policy]
    assert existing in iam.groups  # an existing group is never deleted
    assert foreign_policy in iam.policies[LEVEL]
    # Deleting again (already gone) is fine: 400 for a missing binding, 404 for a missing policy.
    BINDING.delete(binding_id, binding_outs)
    POLICY.delete(policy_id, policy_outs)


def test_deleting_a_policy_someone_else_bound_names_the_group_instead_of_dropping_their_binding(env: Env) -> None:
    made = _chain(env)
    policy_id, outs = made["policy"]
    other = env.dt.iam.put_group("Contractors")
    env.dt.iam.bind(LEVEL, policy_id, other)
    BINDING.delete(*made["binding"])
    with pytest.raises(DynatraceConflictError, match=other):
        POLICY.delete(policy_id, outs)
    assert policy_id in env.dt.iam.policies[LEVEL]


def test_binding_an_existing_group_that_does_not_exist_says_so(env: Env) -> None:
    policy_id, _ = _create(POLICY, env.policy_props())
    with pytest.raises(DynatraceConflictError, match="no group named 'Nobody'"):
        _create(BINDING, env.binding_props(policy_id, "Nobody", None))


def test_the_tenant_refuses_a_malformed_statement(env: Env) -> None:
    with pytest.raises(DynatraceApiError) as caught:
        _create(POLICY, env.policy_props(statement_query="ALLOW storage:buckets:read WHERE bucket = 1;"))
    assert caught.value.status == 400
    assert "Invalid statement query" in str(caught.value)


def test_an_environment_outside_the_account_is_refused_before_any_write(env: Env) -> None:
    with pytest.raises(DynatraceConflictError, match="is not in Dynatrace account"):
        _create(POLICY, env.policy_props(level_id="xyz98765"))
    assert [c for c in env.dt.writes() if "/sso/" not in c.path] == []


def test_platform_tokens_are_not_accepted_by_the_account_api(env: Env) -> None:
    with (
        DynatraceClient(env.url, TokenAuth("Bearer", env.platform_token), FAST) as client,
        pytest.raises(DynatraceApiError) as caught,
    ):
        client.request("GET", f"/iam/v1/accounts/{env.account()['account_uuid']}/groups")
    assert caught.value.status == 401


def test_the_account_api_wants_the_scope_of_each_call(env: Env) -> None:
    client_id, secret = env.dt.sso.add_client(["account-idm-read"])
    props = env.group_props(oauth_client_id=client_id, oauth_client_secret=secret)
    with pytest.raises(DynatraceApiError) as caught:
        _create(GROUP, props)
    # The provider asks for the access feature's scopes; this client may not grant them all.
    assert caught.value.status == 400
    assert "iam-policies-management" in str(caught.value)


@pytest.mark.parametrize("kind", ["policy", "group", "binding"])
def test_a_create_whose_answer_is_lost_is_found_not_repeated(env: Env, kind: str) -> None:
    """The POST lands but the connection drops before the answer: the next lookup adopts it."""
    policy_id = _create(POLICY, env.policy_props())[0] if kind == "binding" else ""
    path = {"policy": "/policies", "group": "/groups", "binding": "/bindings/"}[kind]
    env.dt.fail_after_commit(method="POST", path_contains=path, drop=True)
    if kind == "policy":
        _, outs = _create(POLICY, env.policy_props())
        assert len(env.dt.iam.policies[LEVEL]) == 1
    elif kind == "group":
        _, outs = _create(GROUP, env.group_props())
        assert len(env.dt.iam.groups) == 1
    else:
        group = env.dt.iam.put_group("SRE on-call")
        _, outs = _create(BINDING, env.binding_props(policy_id, "SRE on-call", None))
        assert env.dt.iam.group_bindings(LEVEL, group) == [policy_id]
    assert outs["adopted"] is True
    assert [c.status for c in env.dt.calls(method="POST", path_contains=path)] == [0]  # sent once, answer lost
