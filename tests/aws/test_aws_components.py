"""The AWS components under Pulumi mocks: every resource, with the inputs that matter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pytest

from components.aws.event_forwarding import BedrockEventForwarder, BedrockEventForwarderArgs, cloudevent_transformer
from components.aws.guardrails import (
    BedrockGuardrail,
    BedrockGuardrailArgs,
    config_fingerprint,
    deny_without_guardrail_policy,
)
from components.aws.invocation_logging import BedrockInvocationLogging, BedrockInvocationLoggingArgs
from components.config import EventForwardingConfig, GuardrailConfig, InvocationLoggingConfig
from tests.aws.mockrun import REGION, MockRun, contains_plain, run
from tools.mock_invokes import MOCK_ACCOUNT_ID

TOKEN = "dt0c01." + "COMPONENTTEST00000000000" + "." + "C" * 64
INGEST_URL = "https://abc12345.live.dynatrace.com/api/v2/bizevents/ingest"
TAGS = {"owner": "platform-team", "ai-observability:component": "test"}

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
CONNECTION = "aws:cloudwatch/eventConnection:EventConnection"
DESTINATION = "aws:cloudwatch/eventApiDestination:EventApiDestination"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
# Types that take tags (the others — connection, destination, target, policies, bucket
# settings, guardrail version, logging configuration — have no tags argument).
TAGGABLE = {
    RULE,
    ROLE,
    QUEUE,
    ALARM,
    TOPIC,
    TRAIL,
    BUCKET,
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:bedrock/guardrail:Guardrail",
}


def forward(config: Mapping[str, Any] | None = None, event_type: str = "gen_ai.auditing") -> MockRun:
    cfg = EventForwardingConfig.model_validate(config or {})

    def program() -> dict[str, Any]:
        fwd = BedrockEventForwarder(
            "fwd",
            BedrockEventForwarderArgs(
                config=cfg,
                ingest_url=INGEST_URL,
                ingest_token=pulumi.Output.secret(TOKEN),
                event_type=event_type,
                tags=TAGS,
            ),
        )
        outputs: dict[str, Any] = {
            "rule": fwd.rule_arn,
            "ruleName": fwd.rule_name,
            "dlqUrl": fwd.dead_letter_queue_url,
            "dlqArn": fwd.dead_letter_queue_arn,
            "destination": fwd.api_destination_arn,
            "trail": fwd.trail_arn,
        }
        if fwd.alarm_topic_arn is not None:
            outputs["topic"] = fwd.alarm_topic_arn
        return outputs

    return run(program)


@pytest.fixture(scope="module")
def default_run() -> MockRun:
    return forward()


def statement(document: dict[str, Any]) -> dict[str, Any]:
    [only] = document["Statement"]
    assert isinstance(only, dict)
    return only


# --- event forwarder --------------------------------------------------------------------------


def test_every_child_is_parented_to_the_component(default_run: MockRun) -> None:
    [component] = [r for r in default_run.resources if r.type == "ai-observability:aws:BedrockEventForwarder"]
    children = [r for r in default_run.resources if r is not component]
    direct = {r.urn for r in children if r.parent == component.urn}
    assert len(direct) == len(children)
    assert all(r.name.startswith("fwd-") for r in children)


def test_invokes_are_the_three_documented_ones(default_run: MockRun) -> None:
    assert set(default_run.invokes) == {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getRegion:getRegion",
        "aws:index/getPartition:getPartition",
    }


def test_rule_on_default_bus_with_the_config_pattern(default_run: MockRun) -> None:
    rule = default_run.one(RULE).plain
    assert rule["eventBusName"] == "default"
    assert rule["state"] == "ENABLED"
    assert rule["eventPattern"] == '{"source":["aws.bedrock"],' + rule["eventPattern"].split(",", 1)[1]
    assert len(rule["eventPattern"]) < 2048


def test_connection_holds_the_token_as_a_secret_only(default_run: MockRun) -> None:
    connection = default_run.one(CONNECTION)
    assert connection.plain["authorizationType"] == "API_KEY"
    assert connection.plain["authParameters"]["apiKey"] == {"key": "Authorization", "value": f"Api-Token {TOKEN}"}
    assert not contains_plain(connection.inputs, TOKEN)  # present only inside a secret wrapper
    for resource in default_run.resources:
        assert not contains_plain(resource.inputs, TOKEN), resource.name
    assert TOKEN not in repr(default_run.outputs)


def test_api_destination(default_run: MockRun) -> None:
    dest = default_run.one(DESTINATION).plain
    assert dest["invocationEndpoint"] == INGEST_URL
    assert dest["httpMethod"] == "POST"
    assert dest["invocationRateLimitPerSecond"] == 100
    assert dest["connectionArn"].endswith(":connection/fwd-connection")


def test_target_role_is_least_privilege(default_run: MockRun) -> None:
    role = default_run.one(ROLE)
    trust = statement(role.policy("assumeRolePolicy"))
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": MOCK_ACCOUNT_ID}
    assert trust["Condition"]["ArnEquals"] == {"aws:SourceArn": default_run.outputs["rule"]}
    grant = statement(default_run.one(ROLE_POLICY).policy())
    assert grant["Effect"] == "Allow"
    assert grant["Action"] == "events:InvokeApiDestination"
    assert grant["Resource"] == default_run.outputs["destination"]


def test_dead_letter_queue_and_its_policy(default_run: MockRun) -> None:
    queue = default_run.one(QUEUE).plain
    assert queue["fifoQueue"] is False
    assert queue["sqsManagedSseEnabled"] is True
    assert queue["messageRetentionSeconds"] == 1209600
    policy = default_run.one(QUEUE_POLICY)
    assert policy.plain["queueUrl"] == default_run.outputs["dlqUrl"]
    grant = statement(policy.policy())
    assert grant["Principal"] == {"Service": "events.amazonaws.com"}
    assert grant["Action"] == "sqs:SendMessage"
    assert grant["Resource"] == default_run.outputs["dlqArn"]
    assert grant["Condition"] == {"ArnEquals": {"aws:SourceArn": default_run.outputs["rule"]}}


def test_target_transformer_retry_and_dlq(default_run: MockRun) -> None:
    target = default_run.one(TARGET)
    props = target.plain
    assert props["arn"] == default_run.outputs["destination"]
    assert props["roleArn"] == default_run.one(ROLE).plain.get("arn", props["roleArn"])
    assert props["httpTarget"] == {"headerParameters": {"Content-Type": "application/cloudevent+json"}}
    paths, template = cloudevent_transformer("gen_ai.auditing")
    assert props["inputTransformer"] == {"inputPaths": paths, "inputTemplate": template}
    assert props["retryPolicy"] == {"maximumRetryAttempts": 185, "maximumEventAgeInSeconds": 86400}
    assert props["deadLetterConfig"] == {"arn": default_run.outputs["dlqArn"]}
    # the target waits for the role's permission and the DLQ policy
    deps = {default_run.by_urn(u).type for u in target.dependencies}
    assert {ROLE_POLICY, QUEUE_POLICY} <= deps


def test_alarms(default_run: MockRun) -> None:
    alarms = {a.plain["metricName"]: a.plain for a in default_run.of_type(ALARM)}
    assert set(alarms) == {
        "FailedInvocations",
        "InvocationsSentToDlq",
        "InvocationsFailedToBeSentToDlq",
        "ApproximateNumberOfMessagesVisible",
    }
    for metric, alarm in alarms.items():
        assert alarm["treatMissingData"] == "notBreaching", metric
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["threshold"] == 0
        assert alarm["alarmActions"] == []
        assert alarm["okActions"] == []
    assert alarms["FailedInvocations"]["namespace"] == "AWS/Events"
    assert alarms["FailedInvocations"]["dimensions"] == {"RuleName": default_run.outputs["ruleName"]}
    dlq = alarms["ApproximateNumberOfMessagesVisible"]
    assert dlq["namespace"] == "AWS/SQS"
    assert dlq["dimensions"] == {"QueueName": default_run.one(QUEUE).plain.get("name", "fwd-dlq")}


def test_created_trail_and_its_hardened_bucket(default_run: MockRun) -> None:
    trail = default_run.one(TRAIL)
    props = trail.plain
    assert props["name"] == "bedrock-governance-trail"
    assert props["isMultiRegionTrail"]
    assert props["enableLogFileValidation"]
    assert props["enableLogging"]
    assert props["includeGlobalServiceEvents"] is True
    assert props["eventSelectors"] == [{"includeManagementEvents": True, "readWriteType": "All"}]
    bucket = default_run.one(BUCKET).plain
    assert bucket["bucketPrefix"].startswith("bedrock-governance-trail-")
    assert bucket["forceDestroy"] is False
    policy = default_run.one(BUCKET_POLICY)
    assert props["s3BucketName"] == policy.plain["bucket"] == "fwd-trail-logs"  # the mock's bucket name
    doc = policy.policy()
    trail_arn = f"arn:aws:cloudtrail:{REGION}:{MOCK_ACCOUNT_ID}:trail/bedrock-governance-trail"
    assert default_run.outputs["trail"] == trail_arn
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["CloudTrailAclCheck"]["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    write = by_sid["CloudTrailWrite"]
    assert write["Condition"]["StringEquals"] == {
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:SourceArn": trail_arn,
    }
    assert write["Resource"].endswith(f"/AWSLogs/{MOCK_ACCOUNT_ID}/*")
    assert by_sid["DenyInsecureTransport"]["Effect"] == "Deny"
    assert policy.urn in trail.dependencies  # the trail is created once CloudTrail may write
    settings = {
        r.type.split(":")[-1]: r.plain
        for r in default_run.resources
        if r.type.startswith("aws:s3/bucket") and r.type != BUCKET
    }
    assert all(v["bucket"] == "fwd-trail-logs" for v in settings.values())
    sse = settings["BucketServerSideEncryptionConfiguration"]["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse == {"sseAlgorithm": "AES256"}
    assert settings["BucketVersioning"]["versioningConfiguration"] == {"status": "Enabled"}
    block = settings["BucketPublicAccessBlock"]
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert settings["BucketOwnershipControls"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    [rule] = settings["BucketLifecycleConfiguration"]["rules"]
    assert rule["status"] == "Enabled"
    assert rule["expiration"]["days"] == 400 >= 184


def test_every_taggable_resource_is_tagged(default_run: MockRun) -> None:
    taggable = [r for r in default_run.resources if r.type in TAGGABLE]
    assert {r.type for r in taggable} >= {RULE, ROLE, QUEUE, ALARM, TRAIL, BUCKET}
    for resource in taggable:
        assert resource.plain.get("tags") == TAGS, resource.name


def test_existing_trail_is_declared_not_created() -> None:
    arn = "arn:aws:cloudtrail:eu-central-1:111122223333:trail/org-management-trail"
    result = forward({"trail": {"create": False, "existingTrailArn": arn}})
    assert not result.of_type(TRAIL)
    assert not result.of_type(BUCKET)
    assert not result.of_type(BUCKET_POLICY)
    assert result.outputs["trail"] == arn


def test_custom_bus_kms_write_only_trail_and_tuning() -> None:
    key = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = forward(
        {
            "eventBusName": "governance",
            "rateLimitPerSecond": 7,
            "kmsKeyArn": key,
            "retry": {"maximumRetryAttempts": 10, "maximumEventAgeSeconds": 3600},
            "trail": {"kmsKeyArn": key, "managementEvents": "WriteOnly", "logExpirationDays": 731},
            "alarms": {"periodSeconds": 60},
        },
        event_type="acme.genai.audit",
    )
    assert result.one(RULE).plain["eventBusName"] == "governance"
    assert result.one(TARGET).plain["eventBusName"] == "governance"
    assert result.one(DESTINATION).plain["invocationRateLimitPerSecond"] == 7
    assert result.one(CONNECTION).plain["kmsKeyIdentifier"] == key
    assert result.one(TARGET).plain["retryPolicy"] == {"maximumRetryAttempts": 10, "maximumEventAgeInSeconds": 3600}
    assert '"type":"acme.genai.audit"' in result.one(TARGET).plain["inputTransformer"]["inputTemplate"]
    trail = result.one(TRAIL).plain
    assert trail["kmsKeyId"] == key
    assert trail["eventSelectors"][0]["readWriteType"] == "WriteOnly"
    [sse] = next(r for r in result.resources if r.type.endswith("BucketServerSideEncryptionConfiguration")).plain[
        "rules"
    ]
    assert sse["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}
    assert all(a.plain["period"] == 60 for a in result.of_type(ALARM))


def test_alarm_actions_use_created_or_existing_topic_or_no_alarms() -> None:
    created = forward({"alarms": {"createTopic": True}})
    topic_arn = created.outputs["topic"]
    assert created.one(TOPIC).plain["tags"] == TAGS
    assert all(a.plain["alarmActions"] == [topic_arn] for a in created.of_type(ALARM))
    existing = "arn:aws:sns:eu-central-1:111122223333:platform-oncall"
    declared = forward({"alarms": {"snsTopicArn": existing}})
    assert not declared.of_type(TOPIC)
    assert all(a.plain["alarmActions"] == [existing] == a.plain["okActions"] for a in declared.of_type(ALARM))
    disabled = forward({"alarms": {"enabled": False}})
    assert not disabled.of_type(ALARM)
    assert not disabled.of_type(TOPIC)


# --- guardrails ---------------------------------------------------------------------------------

FULL_GUARDRAIL: dict[str, Any] = {
    "name": "support-bot",
    "tier": "STANDARD",
    "crossRegionProfile": "eu.guardrail.v1:0",
    "kmsKeyArn": "arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666",
    "contentFilters": [
        {"type": "HATE", "inputStrength": "HIGH", "outputStrength": "MEDIUM"},
        {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"},
    ],
    "piiEntities": [{"type": "US_SOCIAL_SECURITY_NUMBER", "action": "BLOCK"}, {"type": "NAME", "action": "NONE"}],
    "regexes": [{"name": "ticket", "pattern": "TICKET-\\d{6}", "action": "ANONYMIZE", "description": "Ticket ids"}],
    "deniedTopics": [
        {"name": "Legal advice", "definition": "Advice on a specific legal case.", "examples": ["Can I sue?"]}
    ],
    "words": ["project-aurora"],
    "profanityFilter": True,
    "grounding": {"grounding": 0.8, "relevance": None},
}


def guardrail_run(raw: Mapping[str, Any]) -> MockRun:
    cfg = GuardrailConfig.model_validate(raw)

    def program() -> dict[str, Any]:
        g = BedrockGuardrail("gr", BedrockGuardrailArgs(config=cfg, aws_name=f"prefix-{cfg.name}", tags=TAGS))
        return {"id": g.guardrail_id, "arn": g.guardrail_arn, "version": g.version, "identifier": g.identifier}

    return run(program)


def test_guardrail_inputs_from_config() -> None:
    result = guardrail_run(FULL_GUARDRAIL)
    g = result.one("aws:bedrock/guardrail:Guardrail").plain
    assert g["name"] == "prefix-support-bot"
    assert g["tags"] == TAGS
    assert g["kmsKeyArn"] == FULL_GUARDRAIL["kmsKeyArn"]
    assert g["crossRegionConfig"] == {"guardrailProfileIdentifier": "eu.guardrail.v1:0"}
    assert g["contentPolicyConfig"]["tierConfigs"] == [{"tierName": "STANDARD"}]
    assert g["contentPolicyConfig"]["filtersConfigs"][1] == {
        "type": "PROMPT_ATTACK",
        "inputStrength": "HIGH",
        "outputStrength": "NONE",
    }
    sensitive = g["sensitiveInformationPolicyConfig"]
    assert sensitive["piiEntitiesConfigs"] == FULL_GUARDRAIL["piiEntities"]
    assert sensitive["regexesConfigs"] == FULL_GUARDRAIL["regexes"]
    topics = g["topicPolicyConfig"]
    assert topics["topicsConfigs"] == [{**FULL_GUARDRAIL["deniedTopics"][0], "type": "DENY"}]
    assert topics["tierConfigs"] == [{"tierName": "STANDARD"}]
    assert g["wordPolicyConfig"] == {
        "managedWordListsConfigs": [{"type": "PROFANITY"}],
        "wordsConfigs": [{"text": "project-aurora"}],
    }
    assert g["contextualGroundingPolicyConfig"] == {"filtersConfigs": [{"type": "GROUNDING", "threshold": 0.8}]}
    version = result.one("aws:bedrock/guardrailVersion:GuardrailVersion")
    assert version.plain["guardrailArn"] == result.outputs["arn"]
    assert version.plain["skipDestroy"] is True
    assert version.plain["description"].endswith(
        f"[config {config_fingerprint(GuardrailConfig.model_validate(FULL_GUARDRAIL))}]"
    )
    assert len(version.plain["description"]) <= 200
    assert result.outputs["identifier"] == f"{result.outputs['arn']}:{result.outputs['version']}"
    assert result.outputs["version"] != "DRAFT"


def test_guardrail_without_optional_policies_omits_them() -> None:
    result = guardrail_run({"name": "minimal", "piiEntities": [], "profanityFilter": False})
    g = result.one("aws:bedrock/guardrail:Guardrail").plain
    for absent in (
        "sensitiveInformationPolicyConfig",
        "topicPolicyConfig",
        "wordPolicyConfig",
        "contextualGroundingPolicyConfig",
        "crossRegionConfig",
        "kmsKeyArn",
    ):
        assert absent not in g, absent
    assert len(g["contentPolicyConfig"]["filtersConfigs"]) == 6  # the default filters


def test_a_changed_guardrail_gets_a_new_pinned_version() -> None:
    base = GuardrailConfig.model_validate(FULL_GUARDRAIL)
    changed = GuardrailConfig.model_validate({**FULL_GUARDRAIL, "words": ["project-aurora", "project-borealis"]})
    relabelled = GuardrailConfig.model_validate({**FULL_GUARDRAIL, "versionDescription": "Release 7"})
    assert config_fingerprint(base) != config_fingerprint(changed)
    assert config_fingerprint(base) == config_fingerprint(relabelled)


def test_deny_policy_requires_a_pinned_guardrail() -> None:
    import json

    ids = [
        "arn:aws:bedrock:eu-central-1:123456789012:guardrail/b:2",
        "arn:aws:bedrock:eu-central-1:123456789012:guardrail/a:1",
    ]
    doc = json.loads(deny_without_guardrail_policy(ids))
    only = statement(doc)
    assert only["Effect"] == "Deny"
    assert only["Resource"] == "*"
    assert only["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert only["Condition"] == {"StringNotEquals": {"bedrock:GuardrailIdentifier": sorted(ids)}}
    with pytest.raises(ValueError, match="at least one"):
        deny_without_guardrail_policy([])


# --- invocation logging -----------------------------------------------------------------------------


def logging_run(raw: Mapping[str, Any]) -> MockRun:
    cfg = InvocationLoggingConfig.model_validate(raw)

    def program() -> dict[str, Any]:
        c = BedrockInvocationLogging("log", BedrockInvocationLoggingArgs(config=cfg, name_prefix="ai-obs", tags=TAGS))
        return {"group": c.log_group_name, "groupArn": c.log_group_arn, "role": c.role_arn}

    return run(program)


def test_invocation_logging_resources() -> None:
    key = "arn:aws:kms:eu-central-1:123456789012:key/mrk-0a1b2c3d11112222333344445555aaaa"
    result = logging_run({"retentionDays": 731, "kmsKeyArn": key, "imageData": True})
    group = result.one("aws:cloudwatch/logGroup:LogGroup").plain
    assert group["name"] == "/aws/bedrock/ai-obs/model-invocations"
    assert group["retentionInDays"] == 731
    assert group["kmsKeyId"] == key
    assert group["tags"] == TAGS
    trust = statement(result.one(ROLE).policy("assumeRolePolicy"))
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{MOCK_ACCOUNT_ID}:*"},
    }
    grant = statement(result.one(ROLE_POLICY).policy())
    assert grant["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert grant["Resource"] == f"{result.outputs['groupArn']}:log-stream:*"
    bucket_policy = result.one(BUCKET_POLICY).policy()
    delivery = next(s for s in bucket_policy["Statement"] if s["Sid"] == "BedrockLargeDataDelivery")
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"].endswith("/large-data/*")
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": MOCK_ACCOUNT_ID}
    lifecycle = next(r for r in result.resources if r.type.endswith("BucketLifecycleConfiguration")).plain
    assert lifecycle["rules"][0]["expiration"]["days"] == 731
    config = result.one("aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration")
    logging_config = config.plain["loggingConfig"]
    assert logging_config["cloudwatchConfig"]["logGroupName"] == result.outputs["group"]
    assert logging_config["cloudwatchConfig"]["roleArn"] == result.outputs["role"]
    assert logging_config["cloudwatchConfig"]["largeDataDeliveryS3Config"]["keyPrefix"] == "large-data"
    assert (logging_config["textDataDeliveryEnabled"], logging_config["imageDataDeliveryEnabled"]) == (True, True)
    assert (logging_config["embeddingDataDeliveryEnabled"], logging_config["videoDataDeliveryEnabled"]) == (
        False,
        False,
    )
    deps = {result.by_urn(u).type for u in config.dependencies}
    assert {ROLE_POLICY, BUCKET_POLICY} <= deps  # Bedrock checks the destinations when the config is put


def test_invocation_logging_without_large_data_bucket() -> None:
    result = logging_run({"largeDataBucket": False})
    assert not result.of_type(BUCKET)
    config = result.one("aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration").plain
    assert "largeDataDeliveryS3Config" not in config["loggingConfig"]["cloudwatchConfig"]
    assert result.one("aws:cloudwatch/logGroup:LogGroup").plain["retentionInDays"] == 731
