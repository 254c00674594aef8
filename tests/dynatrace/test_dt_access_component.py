"""The ``DynatraceAccess`` component as ``pulumi up`` / ``destroy`` run it (the real program on the
SDK's mocks, each dynamic resource through its unpickled provider against the emulator): the
policies, groups and bindings the configuration asks for, in dependency order, a second run
without writes, and a destroy that leaves the existing group and its other bindings alone."""

from __future__ import annotations

import pulumi

from components.config.access import AccessConfig
from components.dynatrace.access import DynatraceAccess, DynatraceAccessArgs
from tests.dynatrace.conftest import FAST, OWNER, Env
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import ENVIRONMENT_ID

LEVEL = ("environment", ENVIRONMENT_ID)
CONFIG = AccessConfig.model_validate(
    {
        "enabled": True,
        "users": {"groups": [{"name": "AI Observability users (test)"}, {"name": "SRE on-call", "existing": True}]},
        "forbiddenGovernanceReaders": ["Contractors"],
    }
)


def program(env: Env, config: AccessConfig = CONFIG) -> pulumi.Output[dict[str, str]] | None:
    access = DynatraceAccess(
        "access",
        DynatraceAccessArgs(
            auth=env.account_auth(),
            environment_id=ENVIRONMENT_ID,
            owner=OWNER,
            stack="test",
            governance_bucket="gen_ai_events",
            config=config,
            client=FAST,
        ),
    )
    return access.policy_ids


def test_up_no_op_and_destroy_of_the_access_component(env: Env) -> None:
    iam = env.dt.iam
    existing = iam.put_group("SRE on-call", "managed in the console")
    foreign = iam.put_policy(LEVEL, "Team dashboards", "ALLOW document:documents:read;")
    iam.bind(LEVEL, foreign, existing)
    engine = Engine(stack="test")

    engine.up(lambda: {"policies": program(env)})
    users = iam.policy_named(LEVEL, "AI Observability users")
    auditors = iam.policy_named(LEVEL, "AI governance auditors")
    assert users is not None
    assert auditors is not None
    assert 'storage:bucket-name startsWith "default_"' in users.statement_query
    assert 'storage:bucket-name = "gen_ai_events"' in auditors.statement_query
    made = [iam.group_named(name) for name in ("AI Observability users (test)", "AI governance auditors (test)")]
    assert all(g is not None for g in made)
    users_group, auditors_group = (g.uuid for g in made if g is not None)
    assert iam.group_bindings(LEVEL, users_group) == [users.uuid]
    assert iam.group_bindings(LEVEL, auditors_group) == [auditors.uuid]
    assert sorted(iam.group_bindings(LEVEL, existing)) == sorted([foreign, users.uuid])
    ops = [op for op, _ in engine.ops_since(0)]
    assert ops.count("create") == 2 + 2 + 3  # policies, created groups, bindings

    # A second run: nothing to do and nothing written.
    env.dt.clear_log()
    start = len(engine.ops)
    engine.up(lambda: {"policies": program(env)})
    assert {op for op, _ in engine.ops_since(start)} == {"same"}
    assert [c for c in env.dt.writes() if "/sso/" not in c.path] == []

    # Destroy: bindings before policies and groups; what the stack did not make stays.
    start = len(engine.ops)
    engine.destroy()
    order = [name for _, name in engine.ops_since(start)]
    for binding, needs in (
        ("access-auditors-binding-ai-governance-auditors-test", ("auditors-policy", "group-ai-governance")),
        ("access-users-binding-ai-observability-users-test", ("users-policy", "group-ai-observability")),
        ("access-users-binding-sre-on-call", ("users-policy",)),
    ):
        for dependency in needs:  # a binding goes before the policy and the group it binds
            assert order.index(binding) < order.index(next(n for n in order if dependency in n)), order
    assert iam.group_bindings(LEVEL, existing) == [foreign]
    assert set(iam.groups) == {existing}
    assert set(iam.policies[LEVEL]) == {foreign}
