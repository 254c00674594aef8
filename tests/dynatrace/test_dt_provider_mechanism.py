"""The mechanism the Dynatrace providers share: the provider base, the optimistic-locking retry
loop and the idempotent Settings create, exercised against the emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from components.dynatrace import DynatraceApiError, DynatraceClient, DynatraceTimeoutError, TokenAuth
from components.dynatrace._provider import (
    AGAIN,
    Again,
    DynatraceProvider,
    Poller,
    adopt_or_create,
    retry_on_conflict,
)
from components.dynatrace.api import SETTINGS_PATH, SettingsApi
from components.dynatrace.aws_monitoring import MonitoringConfigProvider, RoleArnProvider
from components.dynatrace.bucket import GrailBucketProvider
from components.dynatrace.document import DocumentProvider
from components.dynatrace.ingest_token import IngestTokenProvider
from components.dynatrace.models import PIPELINES_SCHEMA, SettingsObject, SettingsObjectCreate
from components.dynatrace.pipeline import OpenPipelinePipelineProvider, desired_value, external_id_for
from components.dynatrace.route import OpenPipelineRouteProvider
from components.dynatrace.settings_object import SettingsObjectProvider
from tests.dynatrace.conftest import FAST, Env

PROVIDERS: list[type[DynatraceProvider[Any]]] = [
    GrailBucketProvider,
    IngestTokenProvider,
    OpenPipelinePipelineProvider,
    OpenPipelineRouteProvider,
    SettingsObjectProvider,
    DocumentProvider,
    RoleArnProvider,
    MonitoringConfigProvider,
]


@contextmanager
def _settings_api(env: Env) -> Iterator[SettingsApi]:
    with DynatraceClient(env.url, TokenAuth("Api-Token", env.api_token), FAST) as client:
        yield SettingsApi(client)


def _pipeline(env: Env) -> str:
    GrailBucketProvider().create(GrailBucketProvider().check({}, env.bucket_props()).inputs)
    provider = OpenPipelinePipelineProvider()
    return provider.create(provider.check({}, env.pipeline_props()).inputs).id


def _read(api: SettingsApi, object_id: str) -> SettingsObject:
    obj = api.get(object_id)
    assert obj is not None
    return obj


def _stale_token(object_id: str) -> Any:
    """A colleague's write between our read and our PUT (a new updateToken each time)."""
    edits = iter(range(1, 100))

    def colleague_edits(dt: Any) -> None:
        dt.settings[object_id].update_token = f"changed-by-someone-{next(edits)}"

    return colleague_edits


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.__name__)
def test_each_provider_states_its_inputs_connection_and_output_only_fields(
    provider: type[DynatraceProvider[Any]],
) -> None:
    fields = set(provider.INPUTS.model_fields)
    assert set(provider.INPUTS.CONNECTION) <= fields
    assert provider.OUTPUTS, "every resource reports at least one output-only property"
    assert not set(provider.outputs_only()) & fields  # output-only keys never reach the inputs model


def test_check_drops_output_only_keys_and_diff_treats_the_connection_as_state_only(env: Env) -> None:
    provider = GrailBucketProvider()
    news = provider.check({}, {**env.bucket_props(), "status": "active", "version": 3, "adopted": None}).inputs
    assert not {"status", "version", "adopted"} & set(news)
    moved = {**news, "platform_url": "https://other.apps.dynatrace.com"}
    diff = provider.diff("gen_ai_events", news, moved)
    assert diff.changes is True
    assert diff.replaces == []


def test_retry_on_conflict_rereads_after_each_409_until_the_write_lands(env: Env) -> None:
    object_id = _pipeline(env)
    env.dt.before_request(_stale_token(object_id), method="PUT", path_contains=object_id, times=2)
    with _settings_api(env) as api:
        first = _read(api, object_id)
        env.dt.clear_log()

        def write(obj: SettingsObject) -> str:
            api.update(object_id, {**obj.value, "displayName": "Renamed"}, obj.update_token)
            return "written"

        result = retry_on_conflict(FAST, lambda: _read(api, object_id), write, give_up="never", first=first)
    assert result == "written"
    assert [(c.method, c.status) for c in env.dt.writes()] == [("PUT", 409), ("PUT", 409), ("PUT", 200)]
    assert len(env.dt.calls(method="GET", path_contains=object_id)) == 2  # ``first`` stood for the first read
    assert env.dt.settings[object_id].value["displayName"] == "Renamed"


def test_retry_on_conflict_gives_up_after_the_configured_attempts(env: Env) -> None:
    object_id = _pipeline(env)
    settings = FAST.model_copy(update={"conflict_attempts": 3})
    env.dt.before_request(_stale_token(object_id), method="PUT", path_contains=object_id, times=5)
    env.dt.clear_log()
    with _settings_api(env) as api:

        def write(obj: SettingsObject) -> None:
            api.update(object_id, {**obj.value, "displayName": "Renamed"}, obj.update_token)

        with pytest.raises(DynatraceTimeoutError, match="pipeline kept conflicting"):
            retry_on_conflict(settings, lambda: _read(api, object_id), write, give_up="pipeline kept conflicting")
    assert [c.status for c in env.dt.writes()] == [409, 409, 409]


def test_retry_on_conflict_raises_other_errors_at_once(env: Env) -> None:
    object_id = _pipeline(env)
    env.dt.fail_next(status=400, method="PUT", path_contains=object_id)
    env.dt.clear_log()
    with _settings_api(env) as api:

        def write(obj: SettingsObject) -> None:
            api.update(object_id, obj.value, obj.update_token)

        with pytest.raises(DynatraceApiError) as caught:
            retry_on_conflict(FAST, lambda: _read(api, object_id), write, give_up="never")
    assert caught.value.status == 400
    assert len(env.dt.calls(method="PUT")) == 1


def test_again_restarts_at_once_without_the_conflict_backoff() -> None:
    slow = FAST.model_copy(update={"backoff_base": 30.0, "backoff_max": 60.0, "conflict_attempts": 3})
    answers: list[str | Again] = [AGAIN, AGAIN, "done"]
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    started = time.monotonic()
    result = retry_on_conflict(slow, read, lambda _state: answers.pop(0), give_up="never")
    assert result == "done"
    assert len(reads) == 3  # each restart reads again
    assert time.monotonic() - started < 5  # no 15-60 s backoff slept


def test_adopt_or_create_after_an_ambiguous_post_adopts_instead_of_duplicating(env: Env) -> None:
    _pipeline(env)
    provider = OpenPipelinePipelineProvider()
    inputs = provider.parse(provider.check({}, env.pipeline_props(custom_id="second-pipeline")).inputs)
    external_id = external_id_for(inputs.owner, "pipeline", inputs.custom_id)
    env.dt.fail_after_commit(method="POST", path_contains=SETTINGS_PATH, drop=True)
    env.dt.clear_log()
    adopted: list[str] = []
    with _settings_api(env) as api:
        object_id, was_adopted = adopt_or_create(
            api,
            SettingsObjectCreate(schema_id=PIPELINES_SCHEMA, value=desired_value(inputs), external_id=external_id),
            adopt=lambda found: adopted.append(found.object_id),
            poller=Poller(FAST, "second pipeline"),
            give_up=lambda: "never",
        )
    assert was_adopted is True
    assert adopted == [object_id]
    assert [p.object_id for p in env.dt.pipelines() if p.external_id == external_id] == [object_id]
    assert len(env.dt.writes(path_contains=SETTINGS_PATH)) == 1  # the POST landed once; no second one


def test_adopt_or_create_lets_also_retry_replace_an_error_with_a_clearer_one(env: Env) -> None:
    _pipeline(env)
    provider = OpenPipelinePipelineProvider()
    inputs = provider.parse(provider.check({}, env.pipeline_props(owner="ai-observability/other")).inputs)

    class ClearerError(Exception):
        pass

    def also_retry(exc: DynatraceApiError) -> bool:
        raise ClearerError(f"HTTP {exc.status}") from None

    with _settings_api(env) as api, pytest.raises(ClearerError, match="HTTP 400"):
        adopt_or_create(
            api,
            SettingsObjectCreate(
                schema_id=PIPELINES_SCHEMA, value=desired_value(inputs), external_id=inputs.external_id
            ),
            adopt=lambda _found: None,
            poller=Poller(FAST, "pipeline"),
            give_up=lambda: "never",
            also_retry=also_retry,
        )
    assert len(env.dt.pipelines()) == 1  # the customId is taken: nothing was created


def test_a_provider_without_remove_refuses_to_pretend_it_deleted(env: Env) -> None:
    class Incomplete(DynatraceProvider[Any]):
        INPUTS = GrailBucketProvider.INPUTS
        OUTPUTS = GrailBucketProvider.OUTPUTS

    with pytest.raises(NotImplementedError):
        Incomplete().delete("gen_ai_events", GrailBucketProvider().check({}, env.bucket_props()).inputs)
