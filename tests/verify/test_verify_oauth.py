"""verify with an OAuth client instead of a platform token: the providers' rule (the OAuth client wins
when both are set), one access token per kind of platform call with exactly that call's scopes from
``components.dynatrace.scopes``, the emulator's SSO token endpoint, a token that stops working during
the run, a wrong client secret, and no credential in any output."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from components.dynatrace.scopes import VERIFY_CALLS
from tests.verify.conftest import Outcome, Verifier
from testsupport.dynatrace.deployed_stack import DeployedStack, seed_signals
from testsupport.dynatrace.emulator import Faults
from testsupport.dynatrace.emulator_grail import EXECUTE_PATH

OAUTH = "OAuth client ($DT_CLIENT_ID, $DT_CLIENT_SECRET)"


def _host(deployed: DeployedStack) -> str:
    return deployed.dt.url.split("://", 1)[1]


def _oauth_run(verify: Verifier, *args: str, env: dict[str, str] | None = None, as_json: bool = True) -> Outcome:
    """verify with the deployment's OAuth client, its access tokens from the emulator's SSO endpoint."""
    deployed = verify.deployed
    return verify("--sso-url", deployed.dt.url, *args, env=env or deployed.oauth_env, as_json=as_json)


def _scope_sets(deployed: DeployedStack) -> Counter[frozenset[str]]:
    return Counter(frozenset(form["scope"].split()) for form in deployed.dt.sso.requests)


def _platform_calls(deployed: DeployedStack) -> list[tuple[str, int]]:
    return [(c.path, c.status) for c in deployed.dt.calls() if c.path.startswith("/platform/")]


def _statuses_of_platform_checks(outcome: Outcome) -> dict[str, str | None]:
    """Every check that needs the platform credential, and its state."""
    return {
        c["id"]: c["state"]
        for s in outcome.report["sections"]
        for c in s["checks"]
        if c["id"] in ("bucket", "signals-objects", "probe", "signals") or c["id"].startswith("signal:")
    }


@pytest.mark.parametrize("platform_token_too", [False, True], ids=["oauth-only", "oauth-and-token"])
def test_an_oauth_client_serves_every_platform_call_with_each_calls_scopes(
    verify: Verifier, platform_token_too: bool
) -> None:
    deployed = verify.deployed
    seed_signals(deployed)
    dt = deployed.dt
    dt.tokens.pop(deployed.platform_token)  # a call with the platform token would now be refused
    dt.sso.requests.clear()
    env = {**deployed.oauth_env, **({"DT_PLATFORM_TOKEN": deployed.platform_token} if platform_token_too else {})}
    outcome = _oauth_run(verify, env=env)
    assert outcome.code == 0, outcome.stdout
    assert {s["name"]: s["status"] for s in outcome.report["sections"]} == {
        "governance": "pass",
        "probe": "pass",
        "signals": "pass",
    }
    assert outcome.check("probe")["state"] == "found"
    # One access token per kind of call, requested with exactly the scopes that call needs, once each.
    assert _scope_sets(deployed) == Counter(frozenset(scopes) for scopes in VERIFY_CALLS.values())
    assert all("resource" not in form for form in dt.sso.requests)  # platform calls name no account
    platform = {(c["host"], c["role"]): c for c in outcome.report["credentials"]}
    entry = platform[(_host(deployed), "platform API")]
    assert entry["credential"] == OAUTH
    assert entry["note"] == ("$DT_PLATFORM_TOKEN is set too; the OAuth client wins" if platform_token_too else None)
    assert platform[(_host(deployed), "OAuth token endpoint")]["credential"] == OAUTH
    assert platform[(_host(deployed), "classic API")]["credential"] == "API token ($DT_API_TOKEN)"


def test_the_table_names_the_credential_of_each_host(verify: Verifier) -> None:
    deployed = verify.deployed
    outcome = _oauth_run(verify, "--only", "governance", as_json=False)
    lines = outcome.stdout.splitlines()
    start = lines.index("Dynatrace credentials per host:")
    assert f"  {_host(deployed)} (platform API): {OAUTH}" in lines[start:]
    assert f"  {_host(deployed)} (OAuth token endpoint): {OAUTH}" in lines[start:]


def test_a_token_that_expires_mid_run_is_refreshed_once(verify: Verifier) -> None:
    deployed = verify.deployed
    seed_signals(deployed)
    dt = deployed.dt
    dt.grail.ingest_lag = 0.2  # the probe's first lookup finds nothing: verify pauses, then looks again
    expired: list[bool] = []

    def sleep(seconds: float) -> None:
        if not expired:  # during the first pause, every access token issued so far stops working
            dt.sso.expire_all()
            expired.append(True)
        time.sleep(seconds)

    dt.clear_log()
    dt.sso.requests.clear()
    outcome = Verifier(deployed, verify.tmp, verify.settings).with_settings(sleep=sleep)(
        "--sso-url", dt.url, env=deployed.oauth_env
    )
    assert expired
    assert outcome.code == 0, outcome.stdout
    assert outcome.check("probe")["state"] == "found"
    refused = [(c.method, c.path) for c in dt.calls() if c.status == 401]
    assert refused == [("POST", EXECUTE_PATH)]  # the probe's next lookup, with the expired token
    probe_scopes = frozenset(VERIFY_CALLS["probe"])
    requested = _scope_sets(deployed)
    assert requested[probe_scopes] == 2  # renewed once ...
    assert sum(requested.values()) == len(VERIFY_CALLS) + 1  # ... and nothing else fetched twice


def test_a_wrong_client_secret_fails_the_platform_checks_naming_the_setting_not_the_secret(
    verify: Verifier,
) -> None:
    deployed = verify.deployed
    wrong = deployed.oauth_client_id + ".WRONGSECRET" + "W" * 53
    deployed.dt.clear_log()
    outcome = _oauth_run(verify, env={**deployed.oauth_env, "DT_CLIENT_SECRET": wrong})
    assert outcome.code == 1
    states = _statuses_of_platform_checks(outcome)
    assert states == {"bucket": "credential-refused", "signals-objects": "credential-refused",
                      "probe": "credential-refused", "signals": "credential-refused"}  # fmt: skip
    bucket = outcome.check("bucket")["summary"]
    assert "invalid_client" in bucket
    assert "dynatraceOAuthClientSecret" in bucket
    assert "DT_CLIENT_SECRET" in bucket
    # The classic API's checks do not depend on the OAuth client.
    assert {outcome.check(i)["status"] for i in ("ingest-token", "pipeline", "route")} == {"pass"}
    assert "WRONGSECRET" not in outcome.stdout + outcome.stderr
    # SSO is asked once per kind of call at most, never once per check; no API call went out.
    assert max(_scope_sets(deployed).values()) == 1
    assert _platform_calls(deployed) == []


def test_a_scope_the_client_may_not_grant_fails_only_the_checks_that_need_it(verify: Verifier) -> None:
    deployed = verify.deployed
    seed_signals(deployed)
    dt = deployed.dt
    client = dt.sso.clients[deployed.oauth_client_id]
    client.scopes = client.scopes - {"storage:spans:read"}
    dt.sso.requests.clear()
    outcome = _oauth_run(verify)
    assert outcome.code == 1
    signals = [c for s in outcome.report["sections"] if s["name"] == "signals" for c in s["checks"]]
    assert len(signals) > 10
    assert {c["state"] for c in signals} == {"credential-refused"}
    assert _scope_sets(deployed)[frozenset(VERIFY_CALLS["signals"])] == 1  # refused once, not asked per query
    assert "storage:spans:read" in signals[0]["summary"]
    assert outcome.check("probe")["state"] == "found"  # the probe's token needs no span scope
    assert outcome.check("bucket")["status"] == "pass"
    assert {s["name"]: s["status"] for s in outcome.report["sections"]}["governance"] == "pass"


@pytest.mark.parametrize("with_json", [True, False])
def test_no_oauth_secret_or_access_token_in_any_output(verify: Verifier, with_json: bool) -> None:
    deployed = verify.deployed
    dt = deployed.dt
    dt.faults = Faults(echo_credentials=True)  # error answers quote the Authorization header
    dt.sso.honoured_for = -1  # every access token is refused: 401s, a renewal, 401s again
    dt.tokens.pop(deployed.ingest_token)
    dt.clear_log()
    outcome = _oauth_run(verify, as_json=with_json)
    text = outcome.stdout + outcome.stderr
    issued = list(dt.sso.issued)
    assert issued  # access tokens were fetched, sent and refused with an echo ...
    assert {status for _, status in _platform_calls(deployed)} == {401}
    assert "(received 'Bearer ***')" in text  # ... which was masked
    canaries = [
        deployed.oauth_client_secret,
        deployed.oauth_client_secret.rsplit(".", 1)[1],
        deployed.oauth_client_id,
        deployed.api_token.split(".", 2)[2],
        deployed.ingest_token.split(".", 2)[2],
        *issued,
        *(token.split(".")[2] for token in issued),  # the signature part on its own
    ]
    assert [c for c in canaries if c in text] == []
    assert outcome.code == 1
