"""``--aws-probe``: tag and untag the stack's guardrail, then find the CloudTrail event in Grail.

AWS is played by botocore's ``Stubber`` on real boto3 clients — every request is validated against the
service models botocore ships (Bedrock TagResource/UntagResource, CloudWatch GetMetricStatistics, SQS
GetQueueAttributes); moto has no Bedrock guardrails. When the stubbed ``TagResource`` returns, the
CloudTrail event it causes is matched against the stack's own EventBridge pattern, rendered with the
stack's own CloudEvent input transformer (``testsupport.aws.eventbridge_sim``) and posted to the
emulator's ingest with the stack's ingest token, as the API destination would.
"""

from __future__ import annotations

import copy
import datetime
import io
import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import ANY, Stubber
from moto.events.models import EventPattern

from components.aws.event_forwarding import cloudevent_transformer, rule_event_pattern
from tests.aws.samples import cloudtrail_call
from tests.verify.conftest import FAST_VERIFY, Outcome, Verifier
from testsupport.aws.eventbridge_sim import render_input_template
from testsupport.dynatrace.deployed_stack import DeployedStack
from tools.verify import cli
from tools.verify.aws_probe import TAG_KEY
from tools.verify.settings import VerifySettings

REGION = "eu-central-1"
GUARDRAIL_ARN = f"arn:aws:bedrock:{REGION}:111122223333:guardrail/abcd1234efgh"
RULE_ARN = f"arn:aws:events:{REGION}:111122223333:rule/bedrock-governance-dev-rule"
DLQ_URL = f"https://sqs.{REGION}.amazonaws.com/111122223333/bedrock-governance-dev-dlq"


class FakeAws:
    """boto3 clients behind Stubbers; ``deliver`` decides whether the tag reaches Dynatrace."""

    def __init__(self, deployed: DeployedStack, *, deliver: bool = True, failed: int = 0, dead: int = 0) -> None:
        self.deployed = deployed
        self.deliver = deliver
        self.stubs: list[Stubber] = []
        self.failed, self.dead = failed, dead
        self.sent: list[dict[str, Any]] = []

    def __call__(self, service: str, region: str) -> Any:
        client = boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
        stub = Stubber(client)
        if service == "bedrock":
            stub.add_response(
                "tag_resource", {}, {"resourceARN": GUARDRAIL_ARN, "tags": [{"key": TAG_KEY, "value": ANY}]}
            )
            stub.add_response("untag_resource", {}, {"resourceARN": GUARDRAIL_ARN, "tagKeys": [TAG_KEY]})
            client.meta.events.register("provide-client-params.bedrock.TagResource", self._remember)
            client.meta.events.register("after-call.bedrock.TagResource", self._cloudtrail)
        elif service == "cloudwatch":
            stub.add_response(
                "get_metric_statistics",
                {"Label": "FailedInvocations", "Datapoints": [{"Sum": float(self.failed), "Unit": "Count"}]},
                {
                    "Namespace": "AWS/Events",
                    "MetricName": "FailedInvocations",
                    "Dimensions": [{"Name": "RuleName", "Value": "bedrock-governance-dev-rule"}],
                    "StartTime": ANY,
                    "EndTime": ANY,
                    "Period": 3600,
                    "Statistics": ["Sum"],
                },
            )
        elif service == "sqs":
            stub.add_response(
                "get_queue_attributes",
                {"Attributes": {"ApproximateNumberOfMessages": str(self.dead)}},
                {"QueueUrl": DLQ_URL, "AttributeNames": ["ApproximateNumberOfMessages"]},
            )
        stub.activate()
        self.stubs.append(stub)
        return client

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(copy.deepcopy(params))

    def _cloudtrail(self, **_: Any) -> None:
        if not self.deliver:
            return
        config = self.deployed.config
        event = cloudtrail_call("TagResource")
        event["detail"]["requestParameters"] = self.sent[-1]
        event["time"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        pattern = json.loads(rule_event_pattern(config.event_forwarding))
        assert EventPattern.load(json.dumps(pattern)).matches_event(event), "the stack's rule forwards TagResource"
        paths, template = cloudevent_transformer(config.governance.event_type)
        body = render_input_template(event, paths, template)
        answer = requests.post(
            f"{self.deployed.dt.url}/api/v2/bizevents/ingest",
            data=body,
            headers={
                "Authorization": f"Api-Token {self.deployed.ingest_token}",
                "Content-Type": "application/cloudevent+json",
            },
            timeout=5,
        )
        answer.raise_for_status()


@pytest.fixture
def with_aws_outputs(verify: Verifier) -> Verifier:
    verify.deployed.outputs.update(
        guardrails={"genai-default-dev": {"id": "abcd1234efgh", "arn": GUARDRAIL_ARN, "version": "1"}},
        bedrockEventRuleArn=RULE_ARN,
        bedrockEventDeadLetterQueueUrl=DLQ_URL,
    )
    return verify


def _aws_probe(verify: Verifier, aws: FakeAws, settings: VerifySettings = FAST_VERIFY) -> Outcome:
    path = verify.tmp / "outputs.json"
    verify.deployed.write_outputs(path)
    loaded = cli.inputs_module.load(
        "dev", sections=["governance"], outputs_source=str(path), env=verify.deployed.env, stdin=io.StringIO()
    )
    report = cli.run(loaded, [], settings, strict=False, aws_probe=True, aws_clients=aws)
    return Outcome(report.exit_code, report.json_text(), "")


def test_the_tag_arrives_in_the_governance_bucket_with_its_delay_and_delivery_health(
    with_aws_outputs: Verifier,
) -> None:
    aws = FakeAws(with_aws_outputs.deployed)
    outcome = _aws_probe(with_aws_outputs, aws)
    check = outcome.check("aws-probe")
    assert (check["status"], check["state"]) == ("pass", "found"), check
    assert check["details"]["delaySeconds"] >= 0
    assert check["details"]["failedInvocationsLastHour"] == 0
    assert check["details"]["deadLetterQueueDepth"] == 0
    assert aws.sent[0]["tags"][0]["value"] == check["details"]["runId"]
    for stub in aws.stubs:
        stub.assert_no_pending_responses()  # tagged, untagged, and both health readings taken


def test_a_tag_that_never_arrives_names_the_failed_invocations_and_the_dead_letter_queue(
    with_aws_outputs: Verifier,
) -> None:
    aws = FakeAws(with_aws_outputs.deployed, deliver=False, failed=3, dead=2)
    outcome = _aws_probe(with_aws_outputs, aws, replace(FAST_VERIFY, aws_probe_timeout_seconds=0.3))
    check = outcome.check("aws-probe")
    assert (check["status"], check["state"]) == ("fail", "not-found")
    assert "failedInvocationsLastHour 3, deadLetterQueueDepth 2" in check["summary"]
    assert outcome.code == 1


def test_without_a_guardrail_or_the_tag_operation_it_says_what_is_missing(with_aws_outputs: Verifier) -> None:
    deployed = with_aws_outputs.deployed
    deployed.outputs["guardrails"] = {}
    assert "no guardrail" in _aws_probe(with_aws_outputs, FakeAws(deployed)).check("aws-probe")["summary"]
    deployed.outputs["guardrails"] = {"g": {"arn": GUARDRAIL_ARN}}
    deployed.raw_config["ai-observability:eventForwarding"] = {
        **deployed.raw_config["ai-observability:eventForwarding"],
        "operations": ["CreateGuardrail"],
    }
    folder = with_aws_outputs.tmp
    deployed.write_stack_file(folder)
    path = deployed.write_outputs(folder / "outputs.json")
    loaded = cli.inputs_module.load(
        "dev",
        sections=[],
        outputs_source=str(path),
        stack_dir=folder,
        env=deployed.env,
        stdin=io.StringIO(),
    )
    report = cli.run(loaded, [], FAST_VERIFY, strict=False, aws_probe=True, aws_clients=FakeAws(deployed))
    [check] = report.sections[0].checks
    assert check.status == "fail"
    assert "add TagResource and UntagResource to ai-observability:eventForwarding.operations" in (check.hint or "")
