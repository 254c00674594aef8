"""The whole program (offline plan, ``tools.plan.evaluate_stack``) for the committed stacks:
dev creates its CloudTrail trail, prod declares the existing organization trail."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from tests.aws.samples import governance_events, unrelated_events
from tests.conftest import FAKE_ENV
from testsupport.aws.eventbridge_sim import DeliveryContext, render_input_template
from tools.plan import PlanResult, evaluate_stack, plan_document, read_stack_file

NS = "ai-observability"
INGEST_TOKEN = "dt0c01." + "STACKINGESTTOKEN00000000" + "." + "I" * 64
ENV = dict(FAKE_ENV)
PROD_TRAIL = "arn:aws:cloudtrail:eu-central-1:111122223333:trail/org-management-trail"
PROD_TOPIC = "arn:aws:sns:eu-central-1:111122223333:platform-oncall"


def plan(stack: str, **overrides: Any) -> PlanResult:
    """The committed stack file, with the ingest token given (not minted by governance) so the
    test knows its value and can prove it never leaks."""
    raw = read_stack_file(stack)
    raw[f"{NS}:governance"]["ingestToken"]["create"] = False
    raw[f"{NS}:dynatraceIngestToken"] = INGEST_TOKEN
    raw.update(overrides)
    return evaluate_stack(stack, raw_config=raw, env=ENV)


@pytest.fixture(scope="module")
def dev() -> PlanResult:
    return plan("dev")


@pytest.fixture(scope="module")
def prod() -> PlanResult:
    return plan("prod")


def one(result: PlanResult, type_: str) -> dict[str, Any]:
    found = result.of_type(type_)
    assert len(found) == 1, [r.name for r in found]
    return found[0].plain_inputs


COMMON_TYPES = {
    "ai-observability:aws:BedrockEventForwarder": 1,
    "aws:cloudwatch/eventRule:EventRule": 1,
    "aws:cloudwatch/eventConnection:EventConnection": 1,
    "aws:cloudwatch/eventApiDestination:EventApiDestination": 1,
    "aws:cloudwatch/eventTarget:EventTarget": 1,
    "aws:sqs/queue:Queue": 1,
    "aws:sqs/queuePolicy:QueuePolicy": 1,
    "ai-observability:aws:BedrockGuardrail": 1,
    "aws:bedrock/guardrail:Guardrail": 1,
    "aws:bedrock/guardrailVersion:GuardrailVersion": 1,
    "ai-observability:aws:BedrockInvocationLogging": 1,
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration": 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_aws_resource_is_planned(stack: str, dev: PlanResult, prod: PlanResult) -> None:
    result = dev if stack == "dev" else prod
    for type_, count in COMMON_TYPES.items():
        found = [r for r in result.of_type(type_) if "eks" not in r.name]
        assert len(found) == count, (type_, [r.name for r in found])
    forwarder = result.of_type("ai-observability:aws:BedrockEventForwarder")[0]
    alarms = [r for r in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if r.parent == forwarder.urn]
    assert len(alarms) == 4
    assert all(a.plain_inputs["treatMissingData"] == "notBreaching" for a in alarms)


def test_dev_creates_the_trail_and_a_topic(dev: PlanResult) -> None:
    trail = one(dev, "aws:cloudtrail/trail:Trail")
    assert trail["isMultiRegionTrail"]
    assert trail["enableLogFileValidation"]
    assert trail["name"] == "bedrock-governance-dev-trail"
    assert dev.outputs["bedrockEventTrailArn"].endswith(":trail/bedrock-governance-dev-trail")
    topic = one(dev, "aws:sns/topic:Topic")
    assert topic["tags"]["ai-observability:component"] == "event-forwarding"
    assert one(dev, "aws:cloudwatch/eventApiDestination:EventApiDestination")["invocationRateLimitPerSecond"] == 50


def test_prod_declares_the_existing_trail_and_topic(prod: PlanResult) -> None:
    assert not prod.of_type("aws:cloudtrail/trail:Trail")
    forwarder = prod.of_type("ai-observability:aws:BedrockEventForwarder")[0]
    assert not [r for r in prod.resources if r.parent == forwarder.urn and r.type.startswith("aws:s3/")]
    assert not prod.of_type("aws:sns/topic:Topic")
    assert prod.outputs["bedrockEventTrailArn"] == PROD_TRAIL
    assert prod.outputs["bedrockEventAlarmTopicArn"] == PROD_TOPIC
    alarms = [r for r in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if r.parent == forwarder.urn]
    assert all(a.plain_inputs["alarmActions"] == [PROD_TOPIC] for a in alarms)


def test_prod_guardrail_is_standard_tier_in_the_eu_profile(prod: PlanResult) -> None:
    g = one(prod, "aws:bedrock/guardrail:Guardrail")
    assert g["name"] == "ai-obs-prod-genai-default"
    assert g["crossRegionConfig"] == {"guardrailProfileIdentifier": "eu.guardrail.v1:0"}
    assert g["topicPolicyConfig"]["tierConfigs"] == [{"tierName": "STANDARD"}]
    assert len(g["topicPolicyConfig"]["topicsConfigs"]) == 2
    [group] = [r for r in prod.of_type("aws:cloudwatch/logGroup:LogGroup") if "invocation-logging" in r.name]
    assert group.plain_inputs["retentionInDays"] == 731


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_outputs(stack: str, dev: PlanResult, prod: PlanResult) -> None:
    result = dev if stack == "dev" else prod
    out = result.outputs
    assert out["bedrockEventRuleArn"].startswith("arn:aws:events:")
    assert out["bedrockEventDeadLetterQueueUrl"].startswith("https://sqs.")
    [(_name, guardrail)] = out["guardrails"].items()
    assert guardrail["id"]
    assert guardrail["version"] not in ("", "DRAFT")
    assert guardrail["identifier"] == f"{guardrail['arn']}:{guardrail['version']}"
    policy = json.loads(out["guardrailDenyPolicyJson"])
    [deny] = policy["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"]["StringNotEquals"]["bedrock:GuardrailIdentifier"] == [guardrail["identifier"]]
    assert out["bedrockInvocationLogGroup"].endswith("/model-invocations")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_secret_leaks(stack: str, dev: PlanResult, prod: PlanResult) -> None:
    result = dev if stack == "dev" else prod
    connection = result.of_type("aws:cloudwatch/eventConnection:EventConnection")[0]
    assert connection.redacted_inputs["authParameters"] == "[secret]"  # arrives as a secret
    api_key = connection.plain_inputs["authParameters"]["apiKey"]
    assert api_key == {"key": "Authorization", "value": f"Api-Token {INGEST_TOKEN}"}
    document = json.dumps(plan_document(result))
    assert INGEST_TOKEN not in document
    assert INGEST_TOKEN.split(".")[2] not in document


def test_deployed_pattern_and_transformer_work_on_the_samples(dev: PlanResult) -> None:
    pattern = EventPattern.load(one(dev, "aws:cloudwatch/eventRule:EventRule")["eventPattern"])
    assert all(pattern.matches_event(e) for e in governance_events().values())
    assert not any(pattern.matches_event(e) for e in unrelated_events().values())
    transformer = one(dev, "aws:cloudwatch/eventTarget:EventTarget")["inputTransformer"]
    for event in governance_events().values():
        text = render_input_template(event, transformer["inputPaths"], transformer["inputTemplate"], DeliveryContext())
        cloud = json.loads(text)
        assert cloud["type"] == "gen_ai.auditing"
        assert cloud["data"] == event["detail"]


def test_event_type_follows_governance_config() -> None:
    raw_gov = read_stack_file("dev")[f"{NS}:governance"]
    raw_gov["ingestToken"]["create"] = False
    result = plan("dev", **{f"{NS}:governance": {**raw_gov, "eventType": "acme.genai.audit"}})
    template = one(result, "aws:cloudwatch/eventTarget:EventTarget")["inputTransformer"]["inputTemplate"]
    assert '"type":"acme.genai.audit"' in template


def test_disabled_sections_create_nothing() -> None:
    result = plan(
        "dev",
        **{
            f"{NS}:eventForwarding": {"enabled": False},
            f"{NS}:guardrails": {"enabled": False},
        },
    )
    ours = ("aws:bedrock", "aws:cloudwatch/event", "aws:cloudtrail", "ai-observability:aws:Bedrock")
    assert not [r for r in result.resources if r.type.startswith(ours)]
