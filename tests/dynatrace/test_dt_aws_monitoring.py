"""AWS Cloud Platform Monitoring end to end: the real ``DynatraceAwsConnection`` component (AWS
connection settings object, IAM role under mocks, role ARN, da-aws monitoring configuration)
driven like ``pulumi up``/``refresh``/``destroy`` (``dt_engine``) against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from components.aws.bedrock_metrics import DynatraceAwsConnection, DynatraceAwsConnectionArgs
from components.config.telemetry import BedrockMetricsConfig
from components.dynatrace.aws_monitoring import CONFIG_PAGE_SIZE, pairing_identity
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.settings_object import SettingsObjectProvider
from tests.dynatrace.conftest import Env
from testsupport.dynatrace import emulator_aws
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import Faults

PRINCIPAL = "arn:aws:iam::000000000000:root"
BEDROCK_SETS = sorted(s for s in emulator_aws.SAMPLE_FEATURE_SETS if s.startswith("Bedrock"))


class Stack:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.engine = Engine()
        self.section: dict[str, Any] = {"enabled": True, "dynatracePrincipalArn": PRINCIPAL}
        self.regions = ["us-east-1"]
        self.auth = PlatformAuth.platform_token(env.platform_token)

    def program(self) -> Callable[[], dict[str, Any]]:
        config = BedrockMetricsConfig.model_validate(self.section)
        env, regions, auth = self.env, list(self.regions), self.auth

        def run() -> dict[str, Any]:
            side = DynatraceAwsConnection(
                "dynatrace-aws",
                DynatraceAwsConnectionArgs(
                    platform_url=env.url,
                    platform_auth=auth,
                    owner="ai-observability/test",
                    config=config,
                    connection_name=config.connection_name or "ai-observability-test",
                    regions=regions,
                    tags={},
                ),
            )
            return {
                "connection": side.connection_id,
                "external": side.external_id,
                "role": side.role_arn,
                "monitoring": side.monitoring_configuration_id,
            }

        return run

    def up(self) -> dict[str, Any]:
        return self.engine.up(self.program())


@pytest.fixture
def stack(env: Env) -> Stack:
    return Stack(env)


def _connections(env: Env) -> list[Any]:
    return env.dt.objects(emulator_aws.CONNECTION_SCHEMA)


def _foreign(env: Env, name: str = "team-b") -> tuple[str, str]:
    """Another team's connection and its monitoring configuration."""
    value = {
        "name": name,
        "type": "awsRoleBasedAuthentication",
        "awsRoleBasedAuthentication": {
            "roleArn": "arn:aws:iam::111111111111:role/b",
            "consumers": ["SVC:com.dynatrace.da"],
        },
    }
    connection = env.dt.put_object(emulator_aws.CONNECTION_SCHEMA, value)
    ext = env.dt.aws_extension
    config = {
        "version": ext.versions[0],
        "description": name,
        "featureSets": ["EC2_essential"],
        "aws": {"credentials": [{"connectionId": connection, "accountId": "111111111111"}], "regionFiltering": []},
    }
    status, body = ext.handle(
        "POST",
        emulator_aws.EXTENSIONS_PREFIX + emulator_aws.EXTENSION + "/monitoring-configurations",
        json.dumps({"scope": emulator_aws.SCOPE, "value": config}).encode(),
        {connection: value},
    )
    assert status == 201
    return connection, body["objectId"]


def test_one_up_creates_connection_role_arn_and_bedrock_only_configuration(stack: Stack, env: Env) -> None:
    foreign_connection, foreign_config = _foreign(env)
    out = stack.up()
    ours = [c for c in _connections(env) if c.object_id != foreign_connection]
    assert [c.object_id for c in ours] == [out["connection"]]
    assert out["external"] == out["connection"]
    block = ours[0].value["awsRoleBasedAuthentication"]
    assert block == {"roleArn": out["role"], "consumers": ["SVC:com.dynatrace.da"]}
    config = env.dt.aws_extension.configs[out["monitoring"]].value
    assert sorted(config["featureSets"]) == BEDROCK_SETS
    assert config["version"] == "1.10.2"  # the highest installed version
    assert config["aws"]["regionFiltering"] == ["us-east-1"]
    assert config["aws"]["credentials"][0]["connectionId"] == out["connection"]
    assert config["aws"]["credentials"][0]["accountId"] == out["role"].split(":")[4]

    env.dt.clear_log()
    stack.up()
    assert env.dt.writes() == []

    stack.engine.destroy()
    assert [c.object_id for c in _connections(env)] == [foreign_connection]
    assert list(env.dt.aws_extension.configs) == [foreign_config]


def test_region_change_updates_the_configuration_in_place(stack: Stack, env: Env) -> None:
    out = stack.up()
    env.dt.clear_log()
    stack.regions = ["us-east-1", "eu-central-1"]
    stack.up()
    assert [c.method for c in env.dt.writes()] == ["PUT"]
    config = env.dt.aws_extension.configs[out["monitoring"]].value
    assert config["aws"]["regionFiltering"] == ["eu-central-1", "us-east-1"]


def test_a_feature_set_the_extension_does_not_offer_fails_before_any_configuration_write(
    stack: Stack, env: Env
) -> None:
    stack.section["featureSets"] = ["Bedrock_Nonexistent"]
    with pytest.raises(Exception, match="Bedrock_essential"):
        stack.up()
    assert env.dt.aws_extension.configs == {}


def test_rerun_after_lost_state_adopts_instead_of_duplicating(stack: Stack, env: Env) -> None:
    stack.up()
    stack.engine.state.clear()
    stack.up()
    assert len(_connections(env)) == 1
    assert len(env.dt.aws_extension.configs) == 1


def test_refresh_sees_a_manual_feature_set_edit_and_up_restores_it(stack: Stack, env: Env) -> None:
    out = stack.up()
    env.dt.aws_extension.configs[out["monitoring"]].value["featureSets"].append("EC2_essential")
    stack.engine.refresh()
    env.dt.clear_log()
    stack.up()
    assert [c.method for c in env.dt.writes()] == ["PUT"]
    assert sorted(env.dt.aws_extension.configs[out["monitoring"]].value["featureSets"]) == BEDROCK_SETS


def test_the_emulator_refuses_changing_a_set_role_arn(stack: Stack, env: Env) -> None:
    out = stack.up()
    record = env.dt.settings[out["connection"]]
    changed = json.loads(json.dumps(record.value))
    changed["awsRoleBasedAuthentication"]["roleArn"] = "arn:aws:iam::000000000000:role/other"
    problems = emulator_aws.connection_change_problems(record.value, changed, [])
    assert problems
    assert "cannot be changed" in problems[0]["message"]


def test_one_in_three_overloaded_answers_still_converge(stack: Stack, env: Env) -> None:
    env.dt.faults = Faults(fail_ratio=1 / 3, statuses=(503,), retry_after="0", seed=7)
    out = stack.up()
    assert len(_connections(env)) == 1
    assert list(env.dt.aws_extension.configs) == [out["monitoring"]]


# --- paging, updatable fields, and the connection/configuration pairing --------------------------

MONITORING_PATH = emulator_aws.EXTENSIONS_PREFIX + emulator_aws.EXTENSION + "/monitoring-configurations"


def _list_queries(env: Env) -> list[str]:
    return [c.query for c in env.dt.calls(method="GET") if c.path == MONITORING_PATH]


def test_the_configuration_is_found_on_page_two_after_a_lost_state(stack: Stack, env: Env) -> None:
    for index in range(CONFIG_PAGE_SIZE):  # a full first page of other teams' configurations
        _foreign(env, f"team-{index:03d}")
    first = stack.up()["monitoring"]
    assert list(env.dt.aws_extension.configs)[CONFIG_PAGE_SIZE] == first  # ours is on page 2

    stack.engine.state.clear()
    env.dt.clear_log()
    assert stack.up()["monitoring"] == first  # adopted, not duplicated
    assert len(env.dt.aws_extension.configs) == CONFIG_PAGE_SIZE + 1
    queries = _list_queries(env)
    assert queries[0] == f"page-size={CONFIG_PAGE_SIZE}"
    assert queries[1].startswith("page-key=")
    assert "&" not in queries[1]
    assert [c.method for c in env.dt.writes(path_contains="/monitoring-configurations")] == []


def test_an_update_changes_only_the_fields_dynatrace_supports_changing(stack: Stack, env: Env) -> None:
    out = stack.up()
    created = json.loads(json.dumps(env.dt.aws_extension.configs[out["monitoring"]].value))
    env.dt.clear_log()
    stack.regions = ["eu-central-1", "us-east-1"]
    stack.section["featureSets"] = ["Bedrock_essential"]
    stack.section["connectionName"] = "renamed-connection"
    stack.up()
    assert env.dt.aws_extension.unsupported_changes == []
    config = env.dt.aws_extension.configs[out["monitoring"]].value
    assert config["aws"]["regionFiltering"] == ["eu-central-1", "us-east-1"]
    assert config["featureSets"] == ["Bedrock_essential"]
    assert config["description"] == "renamed-connection"
    assert config["aws"]["metricsConfiguration"] == created["aws"]["metricsConfiguration"]  # create-only
    assert config["aws"]["credentials"] == created["aws"]["credentials"]
    puts = env.dt.calls(method="PUT", path_contains="/monitoring-configurations/")
    assert len(puts) == 1
    assert env.dt.settings[out["connection"]].value["name"] == "renamed-connection"


def test_a_role_change_replaces_connection_and_configuration_together_without_stale_state(
    stack: Stack, env: Env
) -> None:
    foreign_connection, foreign_config = _foreign(env)
    old = stack.up()
    stack.section["roleName"] = "ai-obs-dynatrace-monitoring-v2"  # Dynatrace never changes a set role ARN
    start = len(stack.engine.ops)
    new = stack.up()
    ops = stack.engine.ops_since(start)
    assert ("delete-before-replace", "dynatrace-aws-connection") in ops
    assert ("replace", "dynatrace-aws-monitoring-configuration") in ops
    assert new["connection"] != old["connection"]
    assert new["monitoring"] != old["monitoring"]
    ours = [c for c in _connections(env) if c.object_id != foreign_connection]
    assert [c.object_id for c in ours] == [new["connection"]]
    assert ours[0].value["awsRoleBasedAuthentication"]["roleArn"] == new["role"]
    assert new["role"].endswith("/ai-obs-dynatrace-monitoring-v2")
    assert sorted(env.dt.aws_extension.configs) == sorted([foreign_config, new["monitoring"]])
    config = env.dt.aws_extension.configs[new["monitoring"]].value
    assert config["aws"]["credentials"][0]["connectionId"] == new["connection"]
    # Nothing in the state points at what Dynatrace deleted: refresh finds every object, and the
    # next apply writes nothing.
    stack.engine.refresh()
    assert not [op for op, _ in stack.engine.ops_since(start) if op == "refresh-gone"]
    env.dt.clear_log()
    stack.up()
    assert env.dt.writes() == []


def test_a_configuration_deleted_outside_the_stack_is_noticed_with_its_connection(stack: Stack, env: Env) -> None:
    old = stack.up()
    status, _ = env.dt.aws_extension.handle(
        "DELETE", f"{MONITORING_PATH}/{old['monitoring']}", b"", {o.object_id: o.value for o in _connections(env)}
    )  # someone removes it in the AWS settings page; Dynatrace deletes the paired connection too
    assert status == 204
    env.dt.settings.pop(old["connection"])
    start = len(stack.engine.ops)
    stack.engine.refresh()
    gone = sorted(name for op, name in stack.engine.ops_since(start) if op == "refresh-gone")
    assert gone == ["dynatrace-aws-connection", "dynatrace-aws-monitoring-configuration", "dynatrace-aws-role-arn"]
    new = stack.up()
    assert [c.object_id for c in _connections(env)] == [new["connection"]]
    assert _connections(env)[0].value["awsRoleBasedAuthentication"]["roleArn"] == new["role"]
    assert (
        env.dt.aws_extension.configs[new["monitoring"]].value["aws"]["credentials"][0]["connectionId"]
        == (new["connection"])
    )
    trust = stack.engine.plain_inputs["dynatrace-aws-monitoring-role"]["assumeRolePolicy"]
    assert new["connection"] in trust  # the role's external ID follows the new connection


def test_the_connection_replacement_trigger_diff(env: Env) -> None:
    provider = SettingsObjectProvider()
    fields = {"owner": "o", "key": "k", "schema_id": emulator_aws.CONNECTION_SCHEMA, "value": {"name": "n"}}
    trigger = pairing_identity("role-a")
    base = {k: v for k, v in provider.check({}, env.platform(**fields)).inputs.items() if k != "replacement_trigger"}
    olds = {**base, "replacement_trigger": trigger, "object_id": "id"}
    assert provider.diff("id", olds, {**base, "replacement_trigger": trigger}).changes is False
    moved = provider.diff("id", olds, {**base, "replacement_trigger": pairing_identity("role-b")})
    assert moved.replaces == ["replacement_trigger"]
    assert moved.delete_before_replace is True
    legacy = {k: v for k, v in olds.items() if k != "replacement_trigger"}  # state from before the field
    taken_on = provider.diff("id", legacy, {**base, "replacement_trigger": trigger})
    assert taken_on.changes is True
    assert not taken_on.replaces
    updated = provider.update("id", legacy, {**base, "replacement_trigger": trigger})
    assert updated.outs is not None
    assert updated.outs["replacement_trigger"] == trigger
    assert env.dt.calls() == []  # the state only


def test_the_emulator_pages_like_the_documented_list(env: Env) -> None:
    for index in range(5):
        _foreign(env, f"team-{index:03d}")
    headers = {"Authorization": f"Bearer {env.platform_token}"}
    url = env.url + MONITORING_PATH

    def get(**params: str) -> requests.Response:
        return requests.get(url, params=params, headers=headers, timeout=5)

    first = get(**{"page-size": "2"}).json()
    assert len(first["items"]) == 2
    assert first["totalCount"] == 5
    assert get(**{"page-key": first["nextPageKey"], "page-size": "2"}).status_code == 400  # the key alone
    second = get(**{"page-key": first["nextPageKey"]}).json()
    third = get(**{"next-page-key": second["nextPageKey"]}).json()  # dtctl's parameter name
    assert "nextPageKey" not in third
    names = [i["value"]["description"] for page in (first, second, third) for i in page["items"]]
    assert names == [f"team-{i:03d}" for i in range(5)]
    assert len(get().json()["items"]) == 5  # 20 when unset
    assert get(**{"page-size": "501"}).status_code == 400
    assert get(**{"page-key": "garbage"}).status_code == 400
