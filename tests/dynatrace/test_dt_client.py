"""The HTTP client: retry policy (429/503/connection errors only, Retry-After / X-RateLimit-Reset,
capped backoff with jitter, bounded budget), error messages, and token hygiene."""

from __future__ import annotations

import email.utils
import pickle
import random
import time

import pytest

from components.dynatrace import ClientSettings, DynatraceApiError, DynatraceClient, DynatraceConnectionError, TokenAuth
from components.dynatrace import api as api_module
from components.dynatrace.api import BUCKETS_PATH, SettingsApi
from components.dynatrace.client import backoff_delay, parse_rate_limit_reset, parse_retry_after
from components.dynatrace.errors import redact
from tests.dynatrace.conftest import CANARY_SECRETS, FAST, Env
from testsupport.dynatrace.emulator import DynatraceEmulator


class FakeTime:
    """Sleep advances a fake monotonic clock: retry budgets are tested without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _client(env: Env, fake: FakeTime, **overrides: float) -> DynatraceClient:
    settings = FAST.model_copy(update=overrides)
    return DynatraceClient(
        env.url, TokenAuth("Bearer", env.platform_token), settings, sleep=fake.sleep, clock=fake.clock
    )


def test_retry_after_in_seconds_and_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("0", now) == 0.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now) == pytest.approx(30, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_rate_limit_reset_is_read_tolerantly() -> None:
    now = 1_700_000_000.0
    assert parse_rate_limit_reset(str(int((now + 5) * 1_000_000)), now) == pytest.approx(5)  # µs (the docs)
    assert parse_rate_limit_reset(str(int((now + 5) * 1_000)), now) == pytest.approx(5)  # ms
    assert parse_rate_limit_reset(str(int(now + 5)), now) == pytest.approx(5)  # s (Dynatrace's Go client)
    assert parse_rate_limit_reset("3", now) == 3.0  # a bare delay
    assert parse_rate_limit_reset("x", now) is None


def test_backoff_is_exponential_capped_and_jittered() -> None:
    settings = ClientSettings(backoff_base=0.5, backoff_max=8)
    rng = random.Random(1)
    for attempt, cap in ((1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (12, 8.0)):
        delays = {backoff_delay(attempt, settings, rng) for _ in range(20)}
        assert all(cap / 2 <= d <= cap for d in delays)
        assert len(delays) > 1  # jitter


def test_429_honours_retry_after_then_succeeds(env: Env) -> None:
    env.dt.fail_next(2, status=429, path_contains=BUCKETS_PATH, retry_after="3")
    fake = FakeTime()
    with _client(env, fake) as client:
        response = client.request("GET", BUCKETS_PATH)
    assert response.status == 200
    assert fake.sleeps == [3.0, 3.0]
    assert [c.status for c in env.dt.calls()] == [429, 429, 200]


def test_503_with_http_date_and_rate_limit_reset_headers(env: Env) -> None:
    env.dt.fail_next(1, status=503, retry_after=email.utils.formatdate(time.time() + 4, usegmt=True))
    env.dt.fail_next(1, status=429, rate_limit_reset=str(int((time.time() + 2) * 1_000_000)))
    fake = FakeTime()
    with _client(env, fake) as client:
        client.request("GET", BUCKETS_PATH)
    assert 2.5 <= fake.sleeps[0] <= 4.5
    assert 1.5 <= fake.sleeps[1] <= 2.5


def test_503_without_hints_backs_off_exponentially(env: Env) -> None:
    env.dt.fail_next(4, status=503)
    fake = FakeTime()
    with _client(env, fake, backoff_base=1.0, backoff_max=4.0) as client:
        client.request("GET", BUCKETS_PATH)
    caps = [1.0, 2.0, 4.0, 4.0]
    assert all(cap / 2 <= s <= cap for s, cap in zip(fake.sleeps, caps, strict=True))


def test_retry_budget_is_bounded(env: Env) -> None:
    env.dt.fail_next(1000, status=503)
    fake = FakeTime()
    with (
        _client(env, fake, max_retry_seconds=5, backoff_base=1, backoff_max=2) as client,
        pytest.raises(DynatraceApiError) as raised,
    ):
        client.request("GET", BUCKETS_PATH)
    assert sum(fake.sleeps) <= 5
    assert raised.value.status == 503
    assert raised.value.attempts == len(fake.sleeps) + 1
    # A server asking for more than the remaining budget fails at once, without sleeping.
    env.dt.clear_scripts()
    env.dt.fail_next(1, status=429, retry_after="120")
    fake = FakeTime()
    with _client(env, fake, max_retry_seconds=30) as client, pytest.raises(DynatraceApiError) as too_long:
        client.request("GET", BUCKETS_PATH)
    assert fake.sleeps == []
    assert too_long.value.status == 429


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_other_statuses_are_never_retried(env: Env, status: int) -> None:
    env.dt.fail_next(1, status=status)
    fake = FakeTime()
    with _client(env, fake) as client, pytest.raises(DynatraceApiError) as raised:
        client.request("GET", BUCKETS_PATH)
    assert raised.value.status == status
    assert len(env.dt.calls()) == 1
    assert fake.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_transient_server_errors_are_retried_for_repeatable_methods(env: Env, status: int, method: str) -> None:
    env.dt.fail_next(2, status=status, method=method)
    fake = FakeTime()
    with _client(env, fake) as client:
        response = client.request(method, f"{BUCKETS_PATH}/default_logs", ok=(200, 400, 403, 404))
    assert [c.status for c in env.dt.calls()][:2] == [status, status]
    assert len(env.dt.calls()) == 3
    assert response.status != status
    assert len(fake.sleeps) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_post_answered_with_a_server_error_is_not_repeated(env: Env, status: int) -> None:
    # The write may have been applied: the caller looks it up by its idempotency key instead.
    env.dt.fail_next(1, status=status, method="POST")
    fake = FakeTime()
    body = {"bucketName": "once_only", "table": "bizevents", "retentionDays": 10}
    with _client(env, fake) as client, pytest.raises(DynatraceApiError) as raised:
        client.request("POST", BUCKETS_PATH, json_body=body, ok=(201,))
    assert raised.value.status == status
    assert len(env.dt.calls()) == 1
    assert fake.sleeps == []


@pytest.mark.parametrize(
    ("scheme", "setting"),
    [("Bearer", "ai-observability:dynatracePlatformToken"), ("Api-Token", "ai-observability:dynatraceApiToken")],
)
def test_rejected_tokens_fail_at_once_naming_the_setting_to_fix(env: Env, scheme: str, setting: str) -> None:
    fake = FakeTime()
    wrong = "dt0s16.WRONGTOKEN000000000000001.SECRETPART" + "C" * 40
    path = BUCKETS_PATH if scheme == "Bearer" else "/api/v2/settings/objects"
    auth = TokenAuth("Bearer" if scheme == "Bearer" else "Api-Token", wrong)
    with (
        DynatraceClient(env.url, auth, FAST, sleep=fake.sleep, clock=fake.clock) as client,
        pytest.raises(DynatraceApiError) as raised,
    ):
        client.request("GET", path)
    assert raised.value.status == 401
    assert setting in str(raised.value)
    assert "SECRETPART" not in str(raised.value)
    assert len(env.dt.calls()) == 1
    assert fake.sleeps == []
    weak = env.dt.add_token(kind="platform", scopes=("storage:bucket-definitions:read",))
    with (
        DynatraceClient(env.url, TokenAuth("Bearer", weak), FAST) as client,
        pytest.raises(DynatraceApiError, match=r"lacks a permission .* ai-observability:dynatracePlatformToken"),
    ):
        client.request("POST", BUCKETS_PATH, json_body={})


def test_connection_refused_is_retried_within_budget() -> None:
    gone = DynatraceEmulator().start()
    url = gone.url
    gone.stop()  # nothing listens on that port any more
    fake = FakeTime()
    settings = FAST.model_copy(update={"max_retry_seconds": 1.0, "backoff_base": 0.1, "backoff_max": 0.2})
    client = DynatraceClient(url, TokenAuth("Bearer", "x" * 20), settings, sleep=fake.sleep, clock=fake.clock)
    with client, pytest.raises(DynatraceConnectionError) as raised:
        client.request("POST", BUCKETS_PATH, json_body={})
    assert raised.value.ambiguous is False  # never reached a server: safe to repeat, even a POST
    assert raised.value.attempts > 3
    assert sum(fake.sleeps) <= 1.0


def test_post_whose_response_is_lost_is_not_blindly_repeated(env: Env) -> None:
    env.dt.fail_after_commit(method="POST", path_contains=BUCKETS_PATH, drop=True)
    fake = FakeTime()
    body = {"bucketName": "lost_reply", "table": "bizevents", "retentionDays": 10}
    with _client(env, fake) as client, pytest.raises(DynatraceConnectionError) as raised:
        client.request("POST", BUCKETS_PATH, json_body=body, ok=(201,))
    assert raised.value.ambiguous is True
    assert len(env.dt.calls(method="POST")) == 1
    assert env.dt.bucket("lost_reply") is not None


def test_errors_name_method_path_status_and_dynatrace_message(env: Env) -> None:
    fake = FakeTime()
    with _client(env, fake) as client, pytest.raises(DynatraceApiError) as raised:
        client.request("POST", BUCKETS_PATH, json_body={"bucketName": "dt_x", "table": "nope", "retentionDays": 0})
    text = str(raised.value)
    assert text.startswith(f"Dynatrace POST {BUCKETS_PATH} failed with HTTP 400: Bucket definition is invalid")
    assert "bucketName must not start with dt_ or default_" in text
    assert "table must be one of" in text
    assert "retentionDays must be an integer between 1 and 3657" in text


def test_settings_error_arrays_are_understood(env: Env) -> None:
    with DynatraceClient(env.url, TokenAuth("Api-Token", env.api_token), FAST) as client:
        api = SettingsApi(client)
        from components.dynatrace.models import PIPELINES_SCHEMA, SettingsObjectCreate

        with pytest.raises(DynatraceApiError) as raised:
            api.create(
                SettingsObjectCreate(schema_id=PIPELINES_SCHEMA, value={"customId": "dt.bad", "displayName": ""})
            )
    assert raised.value.status == 400
    assert raised.value.mentions("customId: Must not start with 'dt.'")
    assert raised.value.mentions("displayName is required")


def test_paging_follows_next_page_key_alone(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(7):
        env.dt.put_pipeline(f"pipeline-{i}")
    monkeypatch.setattr(api_module, "SETTINGS_PAGE_SIZE", 3)
    with DynatraceClient(env.url, TokenAuth("Api-Token", env.api_token), FAST) as client:
        found = SettingsApi(client).list("builtin:openpipeline.bizevents.pipelines")
    assert sorted(o.value["customId"] for o in found) == [f"pipeline-{i}" for i in range(7)]
    queries = [c.query for c in env.dt.calls(method="GET")]
    assert len(queries) == 3
    assert "pageSize=3" in queries[0]
    assert all(q.startswith("nextPageKey=") and "&" not in q for q in queries[1:])


def test_tokens_never_appear_in_reprs_errors_or_pickles(env: Env) -> None:
    env.dt.faults.echo_credentials = True
    weak = env.dt.add_token(kind="platform", scopes=("storage:bucket-definitions:read",))
    auth = TokenAuth("Bearer", weak)
    client = DynatraceClient(env.url, auth, FAST)
    with client, pytest.raises(DynatraceApiError) as raised:
        client.request("POST", BUCKETS_PATH, json_body={})
    secret = weak.split(".")[2]
    assert raised.value.status == 403
    for text in (str(raised.value), repr(raised.value), repr(client), repr(auth)):
        assert secret not in text
    assert "received 'Bearer ***'" in str(raised.value)  # the echo was redacted, not dropped
    with pytest.raises(TypeError):
        pickle.dumps(auth)
    with pytest.raises(TypeError):
        pickle.dumps(client)


def test_redact_masks_known_secrets_and_token_shapes() -> None:
    text = f"boom {CANARY_SECRETS[0]} dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.{'Z' * 64} Bearer abc.def-ghi Api-Token zzz"
    cleaned = redact(text, [CANARY_SECRETS[0]])
    assert CANARY_SECRETS[0] not in cleaned
    assert "Z" * 64 not in cleaned
    assert "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.***" in cleaned  # the public id stays for diagnosis
    assert "Bearer ***" in cleaned
    assert "Api-Token ***" in cleaned


def test_production_defaults_are_sane() -> None:
    defaults = ClientSettings()
    assert 1 <= defaults.connect_timeout <= 10
    assert 10 <= defaults.read_timeout <= 120
    assert 60 <= defaults.max_retry_seconds <= 600
    assert defaults.backoff_max <= 60
    assert defaults.wait_timeout >= 180  # "creation can take up to 1 minute" plus propagation
