"""End-to-end scenarios: the real ``DynatraceGovernance`` component, its providers unpickled from
``__provider`` and driven like ``pulumi up`` / ``destroy`` (``dt_engine``), against the emulator."""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

from components.config.governance import SEED_INGEST_SCOPES, GovernanceConfig
from components.dynatrace import DynatraceApiError, DynatraceConflictError
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.governance import DynatraceGovernance, DynatraceGovernanceArgs
from tests.dynatrace.conftest import CANARY_SECRETS, FAST, Env
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import BUCKETS_PATH, SETTINGS_PATH, TOKENS_PATH, Faults

OURS = "AI Event Routing"
FOREIGN = [
    {"enabled": True, "pipelineType": "builtin", "builtinPipelineId": "default", "matcher": "true", "description": d}
    for d in ("team-a: payments", "team-b: search", "catch-all")
]


class Stack:
    """One stack (``ai-observability/test``) deployed with the engine against the emulator."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.engine = Engine()
        self.config: dict[str, Any] = {}

    def program(self) -> Callable[[], dict[str, Any]]:
        config = GovernanceConfig.model_validate(self.config)
        env = self.env

        def run() -> dict[str, Any]:
            gov = DynatraceGovernance(
                "governance",
                DynatraceGovernanceArgs(
                    environment_url=env.url,
                    platform_url=env.url,
                    api_token=pulumi.Output.secret(env.api_token),
                    platform_auth=PlatformAuth.platform_token(env.platform_token),
                    owner="ai-observability/test",
                    config=config,
                    client=FAST,
                ),
            )
            return {"bucket": gov.bucket_name, "pipeline": gov.pipeline_id, "token": gov.ingest_token}

        return run

    def up(self, **config: Any) -> dict[str, Any]:
        self.config.update(config)
        return self.engine.up(self.program())

    def ops(self, start: int) -> list[tuple[str, str]]:
        return self.engine.ops_since(start)


@pytest.fixture
def stack(env: Env) -> Stack:
    env.dt.set_routing(FOREIGN)
    return Stack(env)


def _ours(env: Env) -> list[dict[str, Any]]:
    return [e for e in env.dt.routing_entries() if e["description"] == OURS]


def _assert_converged(env: Env, *, bucket: str = "gen_ai_events", retention: int = 1825) -> None:
    """Exactly one of everything, wired together, foreign routes intact and after ours."""
    assert env.dt.custom_buckets() == [bucket] or sorted(env.dt.custom_buckets()) == [bucket]
    assert env.dt.bucket(bucket)["retentionDays"] == retention
    [pipeline] = env.dt.pipelines()
    assert pipeline.value["storage"]["processors"][0]["bucketAssignment"]["bucketName"] == bucket
    assert [e["description"] for e in env.dt.routing_entries()] == [OURS] + [f["description"] for f in FOREIGN]
    assert env.dt.routing_entries()[1:] == FOREIGN
    assert _ours(env)[0]["pipelineId"] == pipeline.object_id
    assert _ours(env)[0]["matcher"] == 'matchesValue(event.type,"gen_ai.auditing")'
    [token] = env.dt.api_tokens(name_contains="ai-observability-ingest")
    assert sorted(token.scopes) == sorted(SEED_INGEST_SCOPES)


def test_fresh_create_of_the_whole_chain(stack: Stack, env: Env) -> None:
    outputs = stack.up()
    assert sorted(stack.ops(0)) == sorted(
        [
            ("create", "governance-ingest-token"),
            ("create", "governance-bucket"),
            ("create", "governance-pipeline"),
            ("create", "governance-route"),
        ]
    )
    _assert_converged(env)
    assert outputs["bucket"] == "gen_ai_events"
    assert outputs["pipeline"] == env.dt.pipelines()[0].object_id
    [token] = env.dt.api_tokens(name_contains="ai-observability-ingest")
    assert outputs["token"] == token.token


def test_unchanged_re_apply_makes_zero_write_calls(stack: Stack, env: Env) -> None:
    stack.up()
    env.dt.clear_log()
    start = len(stack.engine.ops)
    stack.up()
    assert {op for op, _ in stack.ops(start)} == {"same"}
    assert env.dt.writes() == []
    assert env.dt.calls() == []  # not even a read: check and diff work on state alone


def test_retention_change_is_exactly_one_in_place_update(stack: Stack, env: Env) -> None:
    stack.up()
    env.dt.clear_log()
    start = len(stack.engine.ops)
    stack.up(bucket={"retentionDays": 400})
    assert [o for o in stack.ops(start) if o[0] != "same"] == [("update", "governance-bucket")]
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PATCH", 200)]
    _assert_converged(env, retention=400)


def test_bucket_rename_replaces_the_bucket_and_repoints_the_pipeline(stack: Stack, env: Env) -> None:
    stack.up()
    old_pipeline = env.dt.pipelines()[0].object_id
    env.dt.clear_log()
    start = len(stack.engine.ops)
    stack.up(bucket={"name": "gen_ai_events_v2"})
    changes = [o for o in stack.ops(start) if o[0] != "same"]
    assert changes == [
        ("replace", "governance-bucket"),
        ("create", "governance-bucket"),
        ("update", "governance-pipeline"),
        ("delete", "governance-bucket"),
    ]
    writes = [(c.method, c.path.rsplit("/", 1)[-1]) for c in env.dt.writes()]
    assert writes.index(("POST", "bucket-definitions")) < writes.index(("PUT", old_pipeline))
    assert writes.index(("PUT", old_pipeline)) < writes.index(("DELETE", "gen_ai_events"))
    assert env.dt.pipelines()[0].object_id == old_pipeline  # updated in place, not replaced
    env.dt.buckets.pop("gen_ai_events", None)  # finishing its asynchronous delete
    _assert_converged(env, bucket="gen_ai_events_v2")


def test_foreign_routes_survive_in_order_with_ours_first(stack: Stack, env: Env) -> None:
    stack.up()
    assert env.dt.routing_entries()[0]["description"] == OURS
    assert env.dt.routing_entries()[1:] == FOREIGN


def test_concurrent_foreign_edit_during_our_write_is_retried_and_both_survive(stack: Stack, env: Env) -> None:
    added = {**FOREIGN[0], "description": "team-c: added while we were writing"}
    env.dt.concurrent_routing_edit(lambda entries: [*entries, added])
    stack.up()
    descriptions = [e["description"] for e in env.dt.routing_entries()]
    assert descriptions == [OURS] + [f["description"] for f in FOREIGN] + [added["description"]]
    assert [c.status for c in env.dt.calls(method="PUT", path_contains=SETTINGS_PATH)] == [409, 200]


def test_destroy_removes_route_then_pipeline_then_bucket_and_leaves_foreign_routes(stack: Stack, env: Env) -> None:
    stack.up()
    env.dt.clear_log()
    stack.engine.destroy()
    writes = [(c.method, c.path) for c in env.dt.writes()]
    routing_id = env.dt.routing().object_id  # type: ignore[union-attr]
    route_removed = writes.index(("PUT", f"{SETTINGS_PATH}/{routing_id}"))
    pipeline_deleted = next(i for i, w in enumerate(writes) if w[0] == "DELETE" and SETTINGS_PATH in w[1])
    bucket_deleted = writes.index(("DELETE", f"{BUCKETS_PATH}/gen_ai_events"))
    assert route_removed < pipeline_deleted < bucket_deleted
    assert all(c.status < 400 for c in env.dt.writes())  # Dynatrace accepted each step in that order
    assert env.dt.routing_entries() == FOREIGN
    assert env.dt.pipelines() == []
    assert env.dt.bucket("gen_ai_events") is None or env.dt.bucket("gen_ai_events")["status"] == "deleting"
    assert env.dt.api_tokens(name_contains="ai-observability-ingest") == []
    assert stack.engine.state == {}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", BUCKETS_PATH), ("POST", SETTINGS_PATH), ("PUT", f"{SETTINGS_PATH}/"), ("POST", TOKENS_PATH)],
    ids=["bucket", "pipeline", "route", "token"],
)
def test_a_repeated_create_after_a_crash_produces_no_duplicates(stack: Stack, env: Env, method: str, path: str) -> None:
    env.dt.fail_after_commit(method=method, path_contains=path, status=500)
    if method == "PUT":
        # A PUT carries its update token and is repeated by the client: the repeat is refused as
        # stale (the first one landed), the provider re-reads and finds its entry already there.
        stack.up()
        assert [c.status for c in env.dt.writes(path_contains=path) if c.method == "PUT"][:2] == [500, 409]
    else:
        with pytest.raises(Exception, match="HTTP 500"):
            stack.up()  # a POST is not repeated blindly: not recorded in state, the next run adopts
        stack.up()
    _assert_converged(env)
    assert len(stack.engine.state) == 4


@pytest.mark.parametrize("retry_after", ["0", None], ids=["retry-after", "backoff"])
def test_with_30_percent_overload_every_scenario_converges(stack: Stack, env: Env, retry_after: str | None) -> None:
    env.dt.faults = Faults(fail_ratio=0.3, statuses=(429, 503), retry_after=retry_after, seed=11)
    stack.up()
    _assert_converged(env)
    env.dt.clear_log()
    stack.up()
    assert env.dt.writes() == []
    stack.up(bucket={"retentionDays": 400})
    _assert_converged(env, retention=400)
    env.dt.concurrent_routing_edit(lambda entries: entries[:1] + entries[2:] + entries[1:2])  # someone reorders
    stack.up(route={"matcher": 'matchesValue(event.type,"gen_ai.auditing") or matchesValue(event.type,"x")'})
    assert _ours(env)[0]["matcher"].endswith('"x")')
    assert env.dt.routing_entries()[0]["description"] == OURS
    stack.up(bucket={"name": "gen_ai_events_v2"})
    assert env.dt.pipelines()[0].value["storage"]["processors"][0]["bucketAssignment"]["bucketName"] == (
        "gen_ai_events_v2"
    )
    stack.engine.destroy()
    assert {e["description"] for e in env.dt.routing_entries()} == {f["description"] for f in FOREIGN}
    assert env.dt.pipelines() == []
    injected = Counter(c.status for c in env.dt.calls(injected=True))
    assert injected[429] > 0
    assert injected[503] > 0


def test_refresh_detects_drift_and_deletion_and_up_repairs_it(stack: Stack, env: Env) -> None:
    stack.up()
    env.dt.edit_routing(lambda e: [*e[1:], e[0]])  # someone moved our route last
    env.dt.buckets["gen_ai_events"].retention_days = 7  # and shortened retention in the UI
    stack.engine.refresh()
    stack.up()
    _assert_converged(env)
    env.dt.edit_routing(lambda e: e[1:])  # then someone deleted our route
    stack.engine.refresh()
    assert ("refresh-gone", "governance-route") in stack.ops(0)
    start = len(stack.engine.ops)
    stack.up()
    assert ("create", "governance-route") in stack.ops(start)
    _assert_converged(env)


@pytest.fixture
def leak_watch(all_logs: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Texts to scan: every log record (all loggers, DEBUG) plus whatever a test appends."""
    texts: list[str] = []
    yield texts
    texts.extend(r.getMessage() for r in all_logs.records)
    texts.append(all_logs.text)


def test_no_token_text_in_any_log_line_exception_or_message(
    stack: Stack, env: Env, leak_watch: list[str], all_logs: pytest.LogCaptureFixture
) -> None:
    env.dt.faults.echo_credentials = True  # a server that quotes credentials back in errors
    env.dt.fail_next(3, status=429, retry_after="0")  # retries get logged
    stack.up()
    [minted] = env.dt.api_tokens(name_contains="ai-observability-ingest")
    stack.up(bucket={"retentionDays": 30})
    # Failures: a pipeline owned by another stack, then a revoked admin token.
    env.dt.put_pipeline("taken-by-someone", external_id="someone-else")
    with pytest.raises(DynatraceConflictError) as conflict:
        stack.up(pipeline={"customId": "taken-by-someone"})
    env.dt.tokens.pop(env.api_token)
    with pytest.raises(DynatraceApiError) as revoked:
        stack.up(route={"position": 2})
    for error in (conflict.value, revoked.value):
        leak_watch += [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert "401" in str(revoked.value)
    secrets = [*CANARY_SECRETS, minted.token.split(".")[2]]
    assert any("Dynatrace" in r.getMessage() for r in all_logs.records if r.levelno >= logging.DEBUG)
    scanned = "\n".join(leak_watch) + "\n".join(r.getMessage() for r in all_logs.records)
    for secret in secrets:
        assert secret not in scanned


def test_http_calls_per_operation(stack: Stack, env: Env) -> None:
    """Measured for the report (printed with -s); bounds keep regressions visible."""

    def count(action: Callable[[], Any]) -> tuple[int, int]:
        env.dt.clear_log()
        action()
        return len(env.dt.calls()), len(env.dt.writes())

    rows = {
        "create chain": count(stack.up),
        "no-op re-apply": count(stack.up),
        "retention update": count(lambda: stack.up(bucket={"retentionDays": 90})),
        "destroy": count(stack.engine.destroy),
    }
    print("\noperation          calls  writes")
    for name, (calls, writes) in rows.items():
        print(f"{name:<18} {calls:>5}  {writes:>6}")
    assert rows["no-op re-apply"] == (0, 0)
    assert rows["retention update"] == (2, 1)  # GET (version) + PATCH
    assert rows["destroy"] == (5, 4)  # token DELETE, routing GET+PUT, pipeline DELETE, bucket DELETE
    assert rows["create chain"][1] == 4  # bucket POST, pipeline POST, routing PUT, token POST
    assert rows["create chain"][0] <= 16
