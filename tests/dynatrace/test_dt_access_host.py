"""Access as code through the Pulumi SDK's dynamic-provider host (``python -m pulumi.dynamic``),
driven over gRPC as the engine drives ``pulumi up`` / ``refresh`` / ``destroy``:

- create, then a no-op (no write, not even a token request: the host caches the access token);
- drift on refresh (a statement added and a binding removed in the account console);
- an access token the tenant stops accepting mid-run, renewed once;
- destroy of what the stack made only, with a foreign binding on the same group kept;
- a corporate network: HTTPS with a private CA, reachable only through a ``CONNECT`` proxy — the
  SSO and Account Management hosts included — while one request in three is answered 503.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from components.dynatrace import GrailBucketProvider
from components.dynatrace.bucket import GrailBucket
from components.dynatrace.iam_binding import IamPolicyBindingProvider
from components.dynatrace.iam_group import IamGroupProvider
from components.dynatrace.iam_policy import IamPolicyProvider
from components.dynatrace.scopes import OAUTH, scopes_for
from tests.dynatrace.conftest import CANARY_OAUTH_CLIENT_ID, CANARY_OAUTH_SECRET, CANARY_SECRETS, FAST, Env
from tests.dynatrace.test_dt_dynamic_host import Wire, _start_host, _strip
from tests.dynatrace.test_dt_network_scenario import provider_host
from testsupport.dynatrace.emulator import ACCOUNT_UUID, ENVIRONMENT_ID, Faults
from testsupport.dynatrace.emulator_sso import TOKEN_PATH
from testsupport.dynatrace.netfixtures import ProxiedTenant
from testsupport.dynatrace.tls import PrivateCa

LEVEL = ("environment", ENVIRONMENT_ID)
NONE = provider_pb2.DiffResponse.DIFF_NONE
SOME = provider_pb2.DiffResponse.DIFF_SOME


@pytest.fixture(scope="module")
def host() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    with _start_host() as stub:
        yield stub


class Access:
    """The engine's side of one stack's access resources: check, create, diff, read, update, delete."""

    def __init__(self, host: provider_pb2_grpc.ResourceProviderStub, env: Env) -> None:
        self.env = env
        self.policy = Wire(host, IamPolicyProvider(), "IamPolicy")
        self.group = Wire(host, IamGroupProvider(), "IamGroup")
        self.binding = Wire(host, IamPolicyBindingProvider(), "IamPolicyBinding")
        self.state: dict[str, tuple[Wire, str, dict[str, Any], dict[str, Any]]] = {}

    def create(self, key: str, wire: Wire, news: dict[str, Any]) -> str:
        checked, failures = wire.check({}, news)
        assert failures == []
        id_, outs = wire.create(_strip(checked))
        self.state[key] = (wire, id_, _strip(checked), _strip(outs))
        return id_

    def up(self, existing_group: str) -> None:
        env = self.env
        policy = self.create("policy", self.policy, env.policy_props())
        group = self.create("group", self.group, env.group_props())
        self.create("ours", self.binding, env.binding_props(policy, "AI governance auditors (test)", group))
        self.create("theirs", self.binding, env.binding_props(policy, existing_group, None))

    def unchanged(self) -> bool:
        """A second ``pulumi up``: check and diff each resource against its stored outputs."""
        for wire, id_, inputs, outs in self.state.values():
            checked, failures = wire.check(inputs, inputs)
            assert failures == []
            if wire.diff(id_, outs, _strip(checked)).changes != NONE:
                return False
        return True

    def refresh(self) -> dict[str, str]:
        """``pulumi refresh``: read each resource; the ids (empty = gone)."""
        found = {}
        for key, (wire, id_, inputs, outs) in list(self.state.items()):
            read_id, read_outs = wire.read(id_, outs)
            found[key] = read_id
            if read_id:
                self.state[key] = (wire, id_, inputs, _strip(read_outs))
        return found

    def destroy(self) -> None:
        for key in ("theirs", "ours", "group", "policy"):  # dependents first, as the engine orders them
            wire, id_, _, outs = self.state.pop(key)
            wire.delete(id_, outs)


def _existing_group_with_a_foreign_binding(env: Env) -> tuple[str, str]:
    iam = env.dt.iam
    group = iam.put_group("SRE on-call", "managed by people in the console")
    foreign = iam.put_policy(LEVEL, "Team dashboards", "ALLOW document:documents:read;")
    iam.bind(LEVEL, foreign, group)
    return group, foreign


def test_access_scenarios_through_the_dynamic_provider_host(
    host: provider_pb2_grpc.ResourceProviderStub, env: Env
) -> None:
    dt, iam = env.dt, env.dt.iam
    existing, foreign = _existing_group_with_a_foreign_binding(env)
    access = Access(host, env)

    # create
    access.up("SRE on-call")
    policy, group = access.state["policy"][1], access.state["group"][1]
    assert sorted(iam.group_bindings(LEVEL, existing)) == sorted([foreign, policy])  # appended, theirs kept
    assert iam.group_bindings(LEVEL, group) == [policy]
    assert [c.method for c in dt.writes(path_contains="/bindings")] == ["POST", "POST"]

    # no-op: no write at all (the host process still holds the access token)
    dt.clear_log()
    assert access.unchanged()
    assert set(access.refresh().values()) != {""}
    assert access.unchanged()
    assert dt.writes() == []
    assert dt.calls(path_contains=TOKEN_PATH) == []

    # drift: a statement added and our binding removed in the account console
    iam.policies[LEVEL][policy].statement_query += "\nALLOW storage:logs:read;"
    iam.unbind(LEVEL, policy, group)
    found = access.refresh()
    assert found["ours"] == ""  # refresh reports the binding gone
    access.state.pop("ours")
    wire, id_, inputs, outs = access.state["policy"]
    assert "storage:logs:read" in outs["statement_query"]
    diff = wire.diff(id_, outs, inputs)
    assert (diff.changes, list(diff.replaces)) == (SOME, [])
    access.state["policy"] = (wire, id_, inputs, _strip(wire.update(id_, outs, inputs)))
    access.create("ours", access.binding, env.binding_props(policy, "AI governance auditors (test)", group))
    assert "storage:logs:read" not in iam.policies[LEVEL][policy].statement_query
    assert iam.group_bindings(LEVEL, group) == [policy]

    # the tenant stops accepting the cached access token: one 401, one fresh token, the call succeeds
    dt.sso.expire_all()
    dt.clear_log()
    assert access.refresh()["policy"] == policy
    statuses = [(c.path == TOKEN_PATH, c.status) for c in dt.calls()]
    assert statuses[:3] == [(False, 401), (True, 200), (False, 200)]
    assert [s for s in statuses if s[0]] == [(True, 200)]  # exactly one token request

    # destroy: ours only
    access.destroy()
    assert iam.group_bindings(LEVEL, existing) == [foreign]
    assert existing in iam.groups
    assert group not in iam.groups
    assert policy not in iam.policies[LEVEL]
    assert foreign in iam.policies[LEVEL]


def test_oauth_platform_calls_and_account_calls_through_a_proxy_with_a_private_ca_and_overload(
    proxied: ProxiedTenant, private_ca: PrivateCa
) -> None:
    """SSO and the Account Management API are separate hosts, reachable only through the proxy."""
    dt = proxied.tenant.dt
    dt.sso.add_client(
        scopes_for(OAUTH),
        client_id=CANARY_OAUTH_CLIENT_ID,
        secret=CANARY_OAUTH_SECRET,
    )
    closed: list[socket.socket] = []

    def host_behind_proxy() -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))  # bound, never listening: only the proxy reaches the emulator from here
        closed.append(sock)
        target = f"127.0.0.1:{sock.getsockname()[1]}"
        proxied.proxy.routes[target] = ("127.0.0.1", int(dt.url.rsplit(":", 1)[1]))
        return target

    sso, account_api = host_behind_proxy(), host_behind_proxy()
    env = Env(dt, proxied.tenant.api_token, proxied.tenant.platform_token)
    existing, foreign = _existing_group_with_a_foreign_binding(env)

    def account(**extra: Any) -> dict[str, Any]:
        return env.account(sso_url=f"https://{sso}", account_api_url=f"https://{account_api}", **extra)

    bucket_props = {
        "platform_url": proxied.url,
        "oauth_client_id": CANARY_OAUTH_CLIENT_ID,
        "oauth_client_secret": CANARY_OAUTH_SECRET,
        "oauth_scopes": list(GrailBucket.OAUTH_SCOPES),
        "sso_url": f"https://{sso}",
        "client": FAST.to_props(),
        "bucket_name": "gen_ai_events",
        "table": "bizevents",
        "retention_days": 1825,
    }
    dt.faults = Faults(fail_ratio=1 / 3, statuses=(503,), retry_after=None)
    try:
        network = {"HTTPS_PROXY": proxied.proxy.url, "REQUESTS_CA_BUNDLE": str(private_ca.ca_pem)}
        with provider_host(network) as stub:
            bucket = Wire(stub, GrailBucketProvider(), "GrailBucket")
            checked, failures = bucket.check({}, bucket_props)
            assert failures == []
            bucket.create(_strip(checked))
            policy_wire = Wire(stub, IamPolicyProvider(), "IamPolicy")
            group_wire = Wire(stub, IamGroupProvider(), "IamGroup")
            binding_wire = Wire(stub, IamPolicyBindingProvider(), "IamPolicyBinding")
            ids = {}
            for key, wire, news in (
                ("policy", policy_wire, account(**_policy_fields())),
                ("group", group_wire, account(name="AI governance auditors (test)", description="auditors")),
            ):
                checked, failures = wire.check({}, news)
                assert failures == []
                ids[key] = wire.create(_strip(checked))[0]
            for group_name, group_uuid in (("AI governance auditors (test)", ids["group"]), ("SRE on-call", None)):
                fields: dict[str, Any] = {"level_id": ENVIRONMENT_ID, "policy_uuid": ids["policy"]}
                fields.update(group_name=group_name, **({"group_uuid": group_uuid} if group_uuid else {}))
                checked, failures = binding_wire.check({}, account(**fields))
                assert failures == []
                binding_wire.create(_strip(checked))
    finally:
        for sock in closed:
            sock.close()

    injected = [c for c in dt.calls() if c.injected]
    served = [c for c in dt.calls() if not c.injected]
    # The storm hit every host: the token endpoint, the Account Management API and the platform.
    for where in (TOKEN_PATH, "/iam/v1/", "/platform/"):
        assert any(where in c.path for c in injected), f"no 503 for {where}"
    print(f"\noauth+access through proxy: {len(served)} calls served, {len(injected)} answered 503")
    assert {c.status for c in served} <= {200, 201, 204, 404}, [(c.method, c.path, c.status) for c in served]
    # Converged: one bucket, one policy, one group, both bindings appended next to the foreign one.
    assert dt.custom_buckets() == ["gen_ai_events"]
    assert len(dt.iam.policies[LEVEL]) == 2
    assert sorted(dt.iam.group_bindings(LEVEL, existing)) == sorted([foreign, ids["policy"]])
    assert dt.iam.group_bindings(LEVEL, ids["group"]) == [ids["policy"]]
    # Every host — platform, SSO, Account Management — was reached through the proxy only.
    assert {t.target for t in proxied.proxy.tunnels if t.status == 200} == {proxied.target, sso, account_api}
    assert ACCOUNT_UUID in {c.path.split("/")[4] for c in served if c.path.startswith("/iam/v1/accounts/")}
    assert all(secret not in repr(dt.sso.requests) for secret in CANARY_SECRETS)


def _policy_fields() -> dict[str, Any]:
    return {
        "level_id": ENVIRONMENT_ID,
        "name": "AI governance auditors",
        "description": "AI governance audit trail",
        "statement_query": 'ALLOW storage:buckets:read WHERE storage:bucket-name = "gen_ai_events";\n'
        "ALLOW storage:bizevents:read;",
    }
