"""Ingest-token rotation: a plain ``pulumi up`` inside ``rotateBeforeDays`` of the stored expiry
mints the next token, hands it to every consumer, then revokes the old one.

The provider reads time only through ``components.dynatrace.ingest_token.now``; these tests move
that clock (and the emulated tenant's clock, so tokens really expire there) instead of waiting.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pulumi
import pytest
import requests

from components.aws.event_forwarding import BedrockEventForwarder, BedrockEventForwarderArgs
from components.config import parse_stack_config
from components.config.governance import GovernanceConfig
from components.dynatrace import IngestTokenProvider, ingest_token
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.governance import DynatraceGovernance, DynatraceGovernanceArgs
from components.kubernetes.collector import SECRET_HASH_ANNOTATION, CollectorDaemonSet, CollectorDaemonSetArgs
from tests.conftest import stack_file
from tests.dynatrace.conftest import FAST, Env
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import INGEST_PATH, TOKENS_PATH

P = IngestTokenProvider()
TOKEN = "governance-ingest-token"
CONNECTION = "bedrock-governance-dev-connection"


class Clock:
    """The provider's clock, moved by whole days from the real start of the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, dt: Any) -> None:
        self.start = datetime.now(UTC)
        self.days = 0.0
        self.dt = dt
        monkeypatch.setattr(ingest_token, "now", self.now)

    def now(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def travel(self, days: float) -> None:
        """Move both clocks (ours and the tenant's) to ``days`` after the start."""
        self.dt.advance_clock(days=days - self.days)
        self.days = days


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, env: Env) -> Clock:
    return Clock(monkeypatch, env.dt)


# -- the provider's diff, on a controllable clock ---------------------------------------------------


def _minted(env: Env, **props: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    inputs = P.check({}, env.token_props(**props)).inputs
    result = P.create(inputs)
    assert result.outs is not None
    return result.id, result.outs, inputs


def test_unchanged_a_few_days_after_creation_replaced_one_day_before_expiry(env: Env, clock: Clock) -> None:
    token_id, outs, inputs = _minted(env, expires_in_days=30, rotate_before_days=7)
    for day in (0, 3, 22.9):
        clock.travel(day)
        assert P.diff(token_id, outs, inputs).changes is False, day
    for day in (23.1, 29, 29.99):
        clock.travel(day)
        diff = P.diff(token_id, outs, inputs)
        assert diff.replaces == ["expiration_date"], day
        assert diff.delete_before_replace is False  # the new token exists before the old one goes


def test_an_already_expired_token_is_replaced_even_without_a_rotation_window(env: Env, clock: Clock) -> None:
    token_id, outs, inputs = _minted(env, expires_in_days=30)
    assert inputs.get("rotate_before_days") is None
    clock.travel(29)
    assert P.diff(token_id, outs, inputs).changes is False
    clock.travel(31)
    diff = P.diff(token_id, outs, inputs)
    assert diff.replaces == ["expiration_date"]
    assert diff.delete_before_replace is False


def test_a_token_without_expiry_is_never_rotated(env: Env, clock: Clock) -> None:
    props = env.token_props()
    props.pop("expires_in_days")
    inputs = P.check({}, props).inputs
    result = P.create(inputs)
    assert result.outs is not None
    assert result.outs["expiration_date"] is None
    clock.travel(5000)
    assert P.diff(result.id, result.outs, inputs).changes is False


def test_check_rejects_a_window_as_long_as_the_lifetime(env: Env) -> None:
    failures = P.check({}, env.token_props(expires_in_days=30, rotate_before_days=30)).failures
    assert [f.reason for f in failures] == ["rotate_before_days must be smaller than expires_in_days"]


def test_changing_only_the_window_updates_state_without_an_api_call(env: Env, clock: Clock) -> None:
    token_id, outs, inputs = _minted(env, expires_in_days=30, rotate_before_days=7)
    wider = {**inputs, "rotate_before_days": 10}
    diff = P.diff(token_id, outs, wider)
    assert (diff.changes, diff.replaces) == (True, [])
    env.dt.clear_log()
    updated = P.update(token_id, outs, wider)
    assert env.dt.calls() == []
    assert updated.outs is not None
    assert updated.outs["rotate_before_days"] == 10
    assert updated.outs["token"] == outs["token"]
    clock.travel(21)  # inside the wider window only
    assert P.diff(token_id, updated.outs, wider).replaces == ["expiration_date"]


def test_the_replacement_does_not_revoke_the_token_it_replaces(env: Env, clock: Clock) -> None:
    old_id, old_outs, inputs = _minted(env, expires_in_days=30, rotate_before_days=7)
    clock.travel(29)
    env.dt.clear_log()
    new = P.create(inputs)  # the engine's first half of a create-before-delete replacement
    assert new.outs is not None
    live = {t.id for t in env.dt.api_tokens(name_contains="ai-observability-test-ingest")}
    assert live == {old_id, new.id}  # both valid while consumers switch
    assert new.outs["dynatrace_name"] != old_outs["dynatrace_name"]
    P.delete(old_id, old_outs)  # the second half, after every consumer was updated
    assert [t.id for t in env.dt.api_tokens(name_contains="ai-observability-test-ingest")] == [new.id]
    calls = [(c.method, c.status) for c in env.dt.calls()]
    assert calls == [("GET", 200), ("POST", 201), ("DELETE", 204)]


# -- a whole ``pulumi up`` with the token's consumers ----------------------------------------------


class RotatingStack:
    """Governance plus the two consumers of the token (EventBridge connection, collector Secret and
    DaemonSet) deployed by the engine, the Dynatrace part against the emulator."""

    def __init__(self, env: Env, fake_env: dict[str, str]) -> None:
        self.env = env
        self.engine = Engine(stack="dev")
        self.dev = parse_stack_config(stack_file("dev"), fake_env)
        self.governance = GovernanceConfig.model_validate({"ingestToken": {"expiresInDays": 30, "rotateBeforeDays": 7}})

    def program(self) -> Callable[[], dict[str, Any]]:
        env, dev, cfg = self.env, self.dev, self.governance

        def run() -> dict[str, Any]:
            gov = DynatraceGovernance(
                "governance",
                DynatraceGovernanceArgs(
                    environment_url=env.url,
                    platform_url=env.url,
                    api_token=pulumi.Output.secret(env.api_token),
                    platform_auth=PlatformAuth.platform_token(env.platform_token),
                    owner="ai-observability/dev",
                    config=cfg,
                    client=FAST,
                ),
            )
            assert gov.ingest_token is not None
            BedrockEventForwarder(
                dev.event_forwarding.name_prefix,
                BedrockEventForwarderArgs(
                    config=dev.event_forwarding, ingest_url=env.url + INGEST_PATH, ingest_token=gov.ingest_token
                ),
            )
            CollectorDaemonSet(
                "collector",
                CollectorDaemonSetArgs(
                    collector=dev.collector,
                    kong=dev.kong,
                    otlp_endpoint=env.url + "/api/v2/otlp",
                    ingest_token=gov.ingest_token,
                ),
            )
            return {"token": gov.ingest_token, "expires": gov.ingest_token_expires_at}

        return run

    def up(self) -> dict[str, Any]:
        self.engine.timeline.clear()
        return self.engine.up(self.program())

    def connection_header(self) -> str:
        return str(self.engine.plain_inputs[CONNECTION]["authParameters"]["apiKey"]["value"])

    def collector_secret(self) -> str:
        return str(self.engine.plain_inputs["collector-secret"]["stringData"]["DT_API_TOKEN"])

    def pod_secret_hash(self) -> str:
        template = self.engine.plain_inputs["collector-daemonset"]["spec"]["template"]
        return str(template["metadata"]["annotations"][SECRET_HASH_ANNOTATION])

    def token_steps(self) -> list[tuple[str, str]]:
        interesting = {TOKEN, CONNECTION, "collector-secret", "collector-daemonset"}
        return [(o.op, o.name) for o in self.engine.timeline if o.name in interesting and o.op != "same"]


def _ingest(env: Env, token: str) -> int:
    event = {"specversion": "1.0", "id": "1", "source": "aws.bedrock", "type": "gen_ai.auditing"}
    response = requests.post(
        env.url + INGEST_PATH,
        data=json.dumps(event),
        headers={"Authorization": f"Api-Token {token}", "Content-Type": "application/cloudevent+json"},
        timeout=5,
    )
    return response.status_code


def test_plain_up_rotates_inside_the_window_and_consumers_switch_before_the_revoke(
    env: Env, clock: Clock, fake_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    stack = RotatingStack(env, fake_env)
    first = stack.up()
    old_token = first["token"]
    assert stack.connection_header() == f"Api-Token {old_token}"
    assert stack.collector_secret() == old_token
    old_hash = stack.pod_secret_hash()
    expires = datetime.fromisoformat(first["expires"].replace("Z", "+00:00"))
    assert timedelta(days=29) < expires - clock.start < timedelta(days=31)

    clock.travel(3)
    env.dt.clear_log()
    assert stack.up()["token"] == old_token
    assert env.dt.calls(path_contains=TOKENS_PATH) == []  # a no-op up makes no token call

    clock.travel(29)  # one day before expiry
    env.dt.clear_log()
    rotated = stack.up()
    new_token = rotated["token"]
    assert new_token != old_token
    calls = [(c.method, c.status) for c in env.dt.calls(path_contains=TOKENS_PATH)]
    assert calls == [("GET", 200), ("POST", 201), ("DELETE", 204)]  # list (orphan check), mint, revoke
    steps = stack.token_steps()
    assert steps[:2] == [("replace", TOKEN), ("create", TOKEN)]
    assert steps[-1] == ("delete", TOKEN)
    revoke_at = len(steps) - 1
    for consumer in (CONNECTION, "collector-secret", "collector-daemonset"):
        assert ("register", consumer) in steps[:revoke_at], consumer  # updated before the revoke
    assert stack.connection_header() == f"Api-Token {new_token}"
    assert stack.collector_secret() == new_token
    assert stack.pod_secret_hash() != old_hash  # pods roll onto the new token
    assert rotated["expires"] != first["expires"]
    with capsys.disabled():
        print(f"\nrotation: {len(calls)} token calls ({', '.join(m for m, _ in calls)})")

    clock.travel(31)  # the old token's expiry has passed; the new one carries on
    assert _ingest(env, old_token) == 401
    assert _ingest(env, new_token) == 202
    env.dt.clear_log()
    assert stack.up()["token"] == new_token  # the new token is far from its own window
    assert env.dt.calls(path_contains=TOKENS_PATH) == []


def test_up_after_the_token_expired_replaces_it_at_once(env: Env, clock: Clock, fake_env: dict[str, str]) -> None:
    stack = RotatingStack(env, fake_env)
    old_token = stack.up()["token"]
    clock.travel(45)  # nobody ran up during the window
    assert _ingest(env, old_token) == 401
    new_token = stack.up()["token"]
    assert new_token != old_token
    assert _ingest(env, new_token) == 202
    assert stack.collector_secret() == new_token
    assert [t.token for t in env.dt.api_tokens(name_contains="ai-observability-ingest")] == [new_token]


def test_refresh_of_a_revoked_or_disabled_token_leads_to_a_new_one(
    env: Env, clock: Clock, fake_env: dict[str, str]
) -> None:
    stack = RotatingStack(env, fake_env)
    first = stack.up()["token"]
    clock.travel(2)
    env.dt.disable_token(first.rsplit(".", 1)[0])
    stack.engine.refresh()
    second = stack.up()["token"]
    assert second != first
    assert stack.collector_secret() == second
    env.dt.tokens.pop(second)  # revoked in the UI
    stack.engine.refresh()
    assert ("refresh-gone", TOKEN) in stack.engine.ops_since(0)
    third = stack.up()["token"]
    assert third not in (first, second)
    assert _ingest(env, third) == 202
