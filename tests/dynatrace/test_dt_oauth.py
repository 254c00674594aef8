"""OAuth client credentials against the emulator's SSO token endpoint: the token request, caching
until shortly before ``expires_in``, one renewal on 401, the SSO's refusals with what to fix, and
no secret or access token in any message, log line or provider output."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from components.dynatrace import GrailBucketProvider
from components.dynatrace.api import BucketApi
from components.dynatrace.client import DynatraceClient
from components.dynatrace.errors import DynatraceApiError
from components.dynatrace.oauth import OAuthClientAuth, OAuthRefusedError, TokenCache, usable_seconds
from tests.dynatrace.conftest import CANARY_OAUTH_CLIENT_ID, CANARY_OAUTH_SECRET, CANARY_SECRETS, FAST, Env
from testsupport.dynatrace.emulator import ACCOUNT_UUID
from testsupport.dynatrace.emulator_sso import TOKEN_PATH

BUCKET_SCOPES = ("storage:bucket-definitions:read", "storage:bucket-definitions:write")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _auth(env: Env, scopes: tuple[str, ...] = BUCKET_SCOPES, **kwargs: Any) -> OAuthClientAuth:
    kwargs.setdefault("cache", TokenCache())
    return OAuthClientAuth(
        CANARY_OAUTH_CLIENT_ID, CANARY_OAUTH_SECRET, scopes, sso_url=env.url, settings=FAST, **kwargs
    )


def _token_requests(env: Env) -> int:
    return len(env.dt.calls(path_contains=TOKEN_PATH, injected=False))


def test_the_token_request_is_the_documented_form_and_the_token_a_bearer(env: Env) -> None:
    with DynatraceClient(env.url, _auth(env), FAST) as client:
        assert BucketApi(client).get("default_logs") is not None
    (form,) = env.dt.sso.requests
    assert form == {
        "grant_type": "client_credentials",
        "client_id": CANARY_OAUTH_CLIENT_ID,
        "client_secret": "***",
        "scope": " ".join(BUCKET_SCOPES),
    }
    # Account calls name the account as the token's resource.
    auth = _auth(env, ("account-idm-read",), resource=f"urn:dtaccount:{ACCOUNT_UUID}")
    with DynatraceClient(env.url, auth, FAST) as client:
        client.request("GET", f"/iam/v1/accounts/{ACCOUNT_UUID}/groups")
    assert env.dt.sso.requests[-1]["resource"] == f"urn:dtaccount:{ACCOUNT_UUID}"


def test_a_token_is_reused_until_shortly_before_it_expires(env: Env) -> None:
    clock, cache = Clock(), TokenCache()
    env.dt.sso.expires_in = 300
    auth = _auth(env, clock=clock, cache=cache)
    with DynatraceClient(env.url, auth, FAST) as client:
        for _ in range(5):
            BucketApi(client).get("default_logs")
        assert (_token_requests(env), cache.fetches) == (1, 1)
        clock.now += usable_seconds(300) - 1  # 239 s later: still the same token
        BucketApi(client).get("default_logs")
        assert cache.fetches == 1
        clock.now += 2  # within the last minute of its 300 s: a fresh one, before the tenant refuses the old
        BucketApi(client).get("default_logs")
        assert cache.fetches == 2
    assert [c.status for c in env.dt.calls(path_contains="bucket-definitions")] == [200] * 7
    assert usable_seconds(300) == 240
    assert usable_seconds(10) == 8


def test_a_token_the_tenant_no_longer_accepts_is_renewed_once(env: Env) -> None:
    """The tenant stops honouring the cached token before its expires_in: 401, one fresh token, done."""
    cache = TokenCache()
    with DynatraceClient(env.url, _auth(env, cache=cache), FAST) as client:
        BucketApi(client).get("default_logs")
        env.dt.sso.expire_all()
        env.dt.clear_log()
        assert BucketApi(client).get("default_logs") is not None
    calls = [(c.method, c.path.rsplit("/", 1)[-1], c.status) for c in env.dt.calls()]
    assert calls == [("GET", "default_logs", 401), ("POST", "token", 200), ("GET", "default_logs", 200)]
    assert cache.fetches == 2


def test_a_fresh_token_refused_again_fails_after_one_renewal_with_the_oauth_hint(env: Env) -> None:
    env.dt.sso.honoured_for = -1  # every token is already expired when the tenant sees it
    with DynatraceClient(env.url, _auth(env), FAST) as client, pytest.raises(DynatraceApiError) as caught:
        BucketApi(client).get("default_logs")
    assert caught.value.status == 401
    assert "dynatraceOAuthClientId" in str(caught.value)
    assert [c.status for c in env.dt.calls(path_contains="bucket-definitions")] == [401, 401]
    assert _token_requests(env) == 2


def test_a_wrong_secret_is_refused_with_what_to_check_and_never_shown(env: Env) -> None:
    wrong = CANARY_OAUTH_CLIENT_ID + "." + "W" * 64
    auth = OAuthClientAuth(CANARY_OAUTH_CLIENT_ID, wrong, BUCKET_SCOPES, sso_url=env.url, cache=TokenCache())
    with DynatraceClient(env.url, auth, FAST) as client, pytest.raises(DynatraceApiError) as caught:
        BucketApi(client).get("default_logs")
    text = str(caught.value)
    assert caught.value.status == 401
    assert "invalid_client" in text
    assert "dynatraceOAuthClientSecret" in text
    assert "W" * 64 not in text
    assert env.dt.calls(path_contains="bucket-definitions") == []  # nothing sent without a token


def test_a_refusal_is_final_for_the_credential_and_sso_is_not_asked_again(env: Env) -> None:
    wrong = CANARY_OAUTH_CLIENT_ID + "." + "W" * 64
    auth = OAuthClientAuth(CANARY_OAUTH_CLIENT_ID, wrong, BUCKET_SCOPES, sso_url=env.url, cache=TokenCache())
    with DynatraceClient(env.url, auth, FAST) as client:
        for _ in range(3):
            with pytest.raises(OAuthRefusedError) as caught:
                BucketApi(client).get("default_logs")
            assert "invalid_client" in str(caught.value)
    assert _token_requests(env) == 1
    # Overload is not a refusal: the next request asks again.
    env.dt.fail_next(1, status=503, path_contains=TOKEN_PATH, retry_after="3600")  # beyond the retry budget
    with DynatraceClient(env.url, _auth(env), FAST) as client:
        with pytest.raises(DynatraceApiError) as overloaded:
            BucketApi(client).get("default_logs")
        assert not isinstance(overloaded.value, OAuthRefusedError)
        assert BucketApi(client).get("default_logs") is not None


def test_a_scope_the_client_may_not_grant_names_the_scopes(env: Env) -> None:
    auth = _auth(env, ("storage:bucket-definitions:read", "storage:bucket-definitions:truncate"))
    with DynatraceClient(env.url, auth, FAST) as client, pytest.raises(DynatraceApiError) as caught:
        BucketApi(client).get("default_logs")
    text = str(caught.value)
    assert caught.value.status == 400
    assert "invalid_scope" in text
    assert "storage:bucket-definitions:truncate" in text
    assert "OAuth clients" in text


def test_overload_at_the_token_endpoint_is_retried(env: Env) -> None:
    env.dt.fail_next(3, status=503, path_contains=TOKEN_PATH, retry_after="0")
    with DynatraceClient(env.url, _auth(env), FAST) as client:
        assert BucketApi(client).get("default_logs") is not None
    statuses = [c.status for c in env.dt.calls(path_contains=TOKEN_PATH)]
    assert statuses == [503, 503, 503, 200]


def test_threads_share_one_token(env: Env) -> None:
    cache = TokenCache()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with DynatraceClient(env.url, _auth(env, cache=cache), FAST) as client:
                BucketApi(client).get("default_logs")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (cache.fetches, _token_requests(env)) == (1, 1)


def test_oauth_provider_outputs_hold_no_access_token_and_logs_no_secret(env: Env, all_logs: Any) -> None:
    provider = GrailBucketProvider()
    scopes = ["storage:bucket-definitions:read", "storage:bucket-definitions:write"]
    props = env.oauth(scopes, bucket_name="gen_ai_events", table="bizevents", retention_days=35)
    checked = provider.check({}, props)
    assert checked.failures == []
    created = provider.create(checked.inputs)
    assert env.dt.bucket("gen_ai_events") is not None
    issued = [t.value for t in env.dt.sso.issued.values()]
    assert issued
    outs = repr(created.outs)
    assert all(token not in outs for token in issued)  # the state never holds an access token
    assert created.outs is not None
    assert created.outs["oauth_scopes"] == scopes
    log = all_logs.text
    assert all(token not in log for token in issued)
    assert all(secret not in log for secret in CANARY_SECRETS)


def test_check_names_a_half_configured_oauth_client(env: Env) -> None:
    provider = GrailBucketProvider()
    base = {"bucket_name": "gen_ai_events", "table": "bizevents", "retention_days": 35, "client": FAST.to_props()}
    only_id = {**base, "platform_url": env.url, "oauth_client_id": CANARY_OAUTH_CLIENT_ID}
    assert [f.reason for f in provider.check({}, only_id).failures] == [
        "oauth_client_id and oauth_client_secret must be given together"
    ]
    no_scopes = {**only_id, "oauth_client_secret": CANARY_OAUTH_SECRET}
    assert "oauth_scopes" in provider.check({}, no_scopes).failures[0].reason
    nothing = {**base, "platform_url": env.url}
    assert "needs platform_token or an OAuth client" in provider.check({}, nothing).failures[0].reason
