"""The IAM monitoring role Dynatrace assumes to poll Bedrock CloudWatch metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import stack
from components.config import ConfigError, parse_stack_config
from components.telemetry_metrics import BEDROCK_METRICS, BEDROCK_NAMESPACES
from tests.aws.mockrun import run
from tests.conftest import FAKE_ENV, stack_file

NS = "ai-observability"
ENV = dict(FAKE_ENV)
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SETTINGS = "pulumi-python:dynamic/dynatrace:SettingsObject"
ROLE_ARN = "pulumi-python:dynamic/dynatrace:AwsConnectionRoleArn"
MONITORING = "pulumi-python:dynamic/dynatrace:AwsMonitoringConfiguration"
CONNECTION_SCHEMA = "builtin:hyperscaler-authentication.connections.aws"


def _run(stack_name: str, bedrock_metrics: dict[str, Any] | None = None) -> Any:
    raw = stack_file(stack_name)
    if bedrock_metrics is not None:
        raw[f"{NS}:telemetry"]["bedrockMetrics"] = bedrock_metrics
    config = parse_stack_config(raw, ENV, stack_name)

    def program() -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        stack._bedrock_metrics(config, outputs)
        return outputs

    return run(program, stack=stack_name)


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_role_is_assumable_only_by_the_dynatrace_principal_with_the_external_id(stack_name: str) -> None:
    result = _run(stack_name)
    role = result.one(ROLE, "dynatrace-aws-monitoring")
    telemetry = stack_file(stack_name)[f"{NS}:telemetry"]["bedrockMetrics"]
    assert role.plain["name"] == telemetry["roleName"]
    (statement,) = json.loads(role.plain["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"AWS": telemetry["dynatracePrincipalArn"]}
    assert statement["Action"] == "sts:AssumeRole"
    (connection,) = [r for r in result.of_type(SETTINGS) if r.plain["schema_id"] == CONNECTION_SCHEMA]
    external_id = result.outputs["dynatraceAwsExternalId"]
    assert external_id == result.outputs["dynatraceAwsConnectionId"]
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": external_id}}
    assert role.plain["tags"]["ai-observability:component"] == "bedrock-metrics"
    assert result.outputs["dynatraceMonitoringRoleArn"].endswith(f":role/{telemetry['roleName']}")
    assert connection.plain["value"] == {"name": f"ai-observability-{stack_name}", "type": "awsRoleBasedAuthentication"}


def test_a_configured_external_id_overrides_the_connection_id() -> None:
    telemetry = stack_file("dev")[f"{NS}:telemetry"]["bedrockMetrics"]
    result = _run("dev", {**telemetry, "externalId": "made-elsewhere-123"})
    (statement,) = json.loads(result.one(ROLE, "dynatrace-aws-monitoring").plain["assumeRolePolicy"])["Statement"]
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "made-elsewhere-123"}}


def test_monitoring_configuration_polls_only_bedrock_in_the_stack_region() -> None:
    result = _run("dev")
    (config,) = result.of_type(MONITORING)
    assert config.plain["feature_sets"] == []  # every Bedrock* feature set the extension offers
    assert config.plain["prefix"] == "Bedrock"
    assert config.plain["regions"] == [parse_stack_config(stack_file("dev"), ENV, "dev").aws_region]
    (arn,) = result.of_type(ROLE_ARN)
    assert arn.plain["connection_id"] == result.outputs["dynatraceAwsConnectionId"]


def test_role_may_read_cloudwatch_metrics_and_nothing_else() -> None:
    result = _run("dev")
    (policy,) = result.of_type(ROLE_POLICY)
    (statement,) = policy.policy()["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"]
    assert all(not action.endswith("*") for action in statement["Action"])


def test_disabled_creates_nothing() -> None:
    result = _run("dev", {"enabled": False})
    assert result.of_type(ROLE) == []
    assert "dynatraceMonitoringRoleArn" not in result.outputs


@pytest.mark.parametrize(
    ("value", "path", "text"),
    [
        ({"enabled": True, "externalId": "abc123"}, "bedrockMetrics.dynatracePrincipalArn", "required"),
        (
            {
                "enabled": True,
                "dynatracePrincipalArn": "arn:aws:iam::000000000000:root",
                "featureSets": ["EC2_essential"],
            },
            "bedrockMetrics.featureSets[0]",
            "Bedrock",
        ),
        (
            {"enabled": True, "dynatracePrincipalArn": "000000000000", "externalId": "abc123"},
            "bedrockMetrics.dynatracePrincipalArn",
            "arn:aws:iam::123456789012:root",
        ),
        (
            {"enabled": True, "dynatracePrincipalArn": "arn:aws:iam::000000000000:root", "externalId": "a b"},
            "bedrockMetrics.externalId",
            "",
        ),
        ({"enabled": True, "roleName": "no spaces allowed"}, "bedrockMetrics.roleName", ""),
    ],
)
def test_bad_bedrock_metrics_config_names_the_key(value: dict[str, Any], path: str, text: str) -> None:
    raw = stack_file("dev")
    raw[f"{NS}:telemetry"]["bedrockMetrics"] = value
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, "dev")
    lines = [str(issue) for issue in caught.value.issues if issue.path == f"{NS}:telemetry.{path}"]
    assert lines, str(caught.value)
    assert all(text in line for line in lines), str(caught.value)


def test_metric_keys_cover_invocations_tokens_errors_throttles_and_guardrail_interventions() -> None:
    keys = {metric.key for metric in BEDROCK_METRICS}
    assert BEDROCK_NAMESPACES == ("AWS/Bedrock", "AWS/Bedrock/Guardrails")
    assert {
        "AWS/Bedrock/Invocations",
        "AWS/Bedrock/InvocationLatency",
        "AWS/Bedrock/InvocationClientErrors",
        "AWS/Bedrock/InvocationServerErrors",
        "AWS/Bedrock/InvocationThrottles",
        "AWS/Bedrock/InputTokenCount",
        "AWS/Bedrock/OutputTokenCount",
        "AWS/Bedrock/Guardrails/InvocationsIntervened",
    } <= keys
    assert len(keys) == len(BEDROCK_METRICS)
