"""AWS Cloud Platform Monitoring end to end: the real ``DynatraceAwsConnection`` component (AWS
connection settings object, IAM role under mocks, role ARN, da-aws monitoring configuration)
driven like ``pulumi up``/``refresh``/``destroy`` (``dt_engine``) against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components.aws.bedrock_metrics import DynatraceAwsConnection, DynatraceAwsConnectionArgs
from components.config.telemetry import BedrockMetricsConfig
from components.dynatrace.credentials import PlatformAuth
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

    def program(self) -> Callable[[], dict[str, Any]]:
        config = BedrockMetricsConfig.model_validate(self.section)
        env, regions = self.env, list(self.regions)

        def run() -> dict[str, Any]:
            side = DynatraceAwsConnection(
                "dynatrace-aws",
                DynatraceAwsConnectionArgs(
                    platform_url=env.url,
                    platform_auth=PlatformAuth.platform_token(env.platform_token),
                    owner="ai-observability/test",
                    config=config,
                    connection_name="ai-observability-test",
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


def _foreign(env: Env) -> tuple[str, str]:
    """Another team's connection and its monitoring configuration."""
    value = {
        "name": "team-b",
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
        "description": "team-b",
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
