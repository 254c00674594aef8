"""Bedrock governance events → Dynatrace business events.

``BedrockEventForwarder`` creates:

- a CloudTrail trail (multi-region, management events, log file validation, hardened S3
  bucket with lifecycle) — or declares an existing (organization) trail and creates none:
  Bedrock API calls reach EventBridge only through an enabled trail;
- an EventBridge rule matching the native Bedrock job events and the governance API calls
  (explicit ``eventName`` list: never InvokeModel/Converse traffic);
- a connection (API key header ``Authorization: Api-Token <token>``, stored by EventBridge in
  a Secrets Manager secret it owns) and an API destination to ``/api/v2/bizevents/ingest``;
- a target with a CloudEvent input transformer, a retry policy, an SQS dead-letter queue and
  a least-privilege role;
- CloudWatch alarms on failed / dead-lettered invocations and on the DLQ's depth, with an
  optional SNS topic for their actions.

Only 429, 5xx and timeouts are retried by EventBridge; a 400/401/403/413 from Dynatrace goes
straight to the dead-letter queue, which the alarms watch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypedDict

import pulumi
import pulumi_aws as aws
from pulumi_aws.cloudtrail import TrailEventSelectorArgsDict
from pulumi_aws.cloudwatch import (
    EventConnectionAuthParametersArgsDict,
    EventTargetHttpTargetArgsDict,
    EventTargetInputTransformerArgsDict,
    EventTargetRetryPolicyArgsDict,
)

from components.aws.iam import (
    caller_context,
    deny_insecure_transport,
    inline_policy,
    policy_json,
    service_role,
    service_statement,
)
from components.aws.s3 import bucket_prefix, create_log_bucket
from components.config import EventForwardingConfig
from components.config.aws_names import QUEUE_ALARM_SUFFIX, RULE_ALARM_METRICS, ForwarderNames, alarm_suffix
from components.config.event_forwarding import MAX_EVENT_PATTERN_CHARS, pattern_text

CLOUDEVENT_CONTENT_TYPE = "application/cloudevent+json"


@dataclass(frozen=True)
class BedrockEventForwarderArgs:
    """Typed inputs of ``BedrockEventForwarder``."""

    config: EventForwardingConfig
    ingest_url: str
    """Dynatrace business events ingest endpoint, ``<environment URL>/api/v2/bizevents/ingest``."""
    ingest_token: pulumi.Output[str]
    """Ingest token with ``bizevents.ingest`` (a Pulumi secret; never plain text)."""
    event_type: str = "gen_ai.auditing"
    """CloudEvent ``type`` of every forwarded event (what the OpenPipeline route matches)."""
    tags: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# The transformer: any EventBridge event → a CloudEvent (JSON format, spec 1.0) for Dynatrace
# ---------------------------------------------------------------------------------------------

# Envelope fields EventBridge itself sets: they cannot hold quotes, backslashes or newlines,
# so they may sit inside the template's quotes (EventBridge inserts quoted values unescaped).
# Free text lives only in ``detail``, which is passed unquoted (EventBridge emits it as JSON).
CLOUDEVENT_INPUT_PATHS: dict[str, str] = {
    "id": "$.id",
    "source": "$.source",
    "detailtype": "$.detail-type",
    "region": "$.region",
    "account": "$.account",
    "time": "$.time",
    "detail": "$.detail",
}

# CloudEvent extension attributes → the placeholder they carry. Dynatrace's reference template
# (dynatrace-oss/cloud-snippets, aws/eventbridge-events-to-dynatrace/biz-events.yaml) names two
# of these ``aws.region`` and ``aws.eventbridge.rule.arn``; CloudEvents 1.0 allows only [a-z0-9]
# in attribute names.
CLOUDEVENT_EXTENSIONS: dict[str, str] = {
    "awsdetailtype": "detailtype",
    "awsregion": "region",
    "awsaccount": "account",
    "awsingestiontime": "aws.events.event.ingestion-time",
    "awsrulearn": "aws.events.rule-arn",
}


def cloudevent_transformer(event_type: str) -> tuple[dict[str, str], str]:
    """``(input_paths, input_template)`` turning an EventBridge event into a CloudEvent.

    ``type`` is the constant ``event_type`` (what the OpenPipeline route matches); ``time`` is
    the event's own ``time`` (for a CloudTrail event: when the API call happened), as in
    Dynatrace's reference template; when EventBridge ingested the event and the rule that
    matched it are the ``awsingestiontime`` and ``awsrulearn`` extension attributes; the
    original detail-type, region and account are extension attributes too; ``data`` is the
    event's ``detail``.
    """
    parts = [
        '"specversion":"1.0"',
        '"id":"<id>"',
        '"source":"<source>"',
        f'"type":{json.dumps(event_type)}',
        '"time":"<time>"',
        '"datacontenttype":"application/json"',
    ]
    parts += [f'"{attribute}":"<{placeholder}>"' for attribute, placeholder in CLOUDEVENT_EXTENSIONS.items()]
    parts.append('"data":<detail>')
    return dict(CLOUDEVENT_INPUT_PATHS), "{" + ",".join(parts) + "}"


# ---------------------------------------------------------------------------------------------
# Specs: config (and resolved values) → resource arguments; pure, no resources
# ---------------------------------------------------------------------------------------------


def rule_event_pattern(cfg: EventForwardingConfig) -> str:
    """The rule's event pattern as EventBridge stores it; refused if over the pattern quota."""
    text = pattern_text(cfg.event_pattern)
    if len(text) >= MAX_EVENT_PATTERN_CHARS:
        raise ValueError(
            f"event pattern has {len(text)} characters; EventBridge allows under {MAX_EVENT_PATTERN_CHARS}"
        )
    return text


def trail_name(cfg: EventForwardingConfig) -> str:
    return ForwarderNames(cfg.component_name).trail.text


def trail_arn(partition: str, region: str, account: str, name: str) -> str:
    """The ARN a trail will have, known before it exists (the bucket policy names it)."""
    return f"arn:{partition}:cloudtrail:{region}:{account}:trail/{name}"


def trail_bucket_policy(bucket_arn: str, account_id: str, source_arn: str) -> str:
    """CloudTrail (for trail ``source_arn`` only) may read the ACL and write under
    ``AWSLogs/<account>/``, as bucket owner; TLS only."""
    return policy_json(
        [
            service_statement(
                "CloudTrailAclCheck",
                "cloudtrail.amazonaws.com",
                "s3:GetBucketAcl",
                {"StringEquals": {"aws:SourceArn": source_arn}},
                resource=bucket_arn,
            ),
            service_statement(
                "CloudTrailWrite",
                "cloudtrail.amazonaws.com",
                "s3:PutObject",
                {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": source_arn}},
                resource=f"{bucket_arn}/AWSLogs/{account_id}/*",
            ),
            deny_insecure_transport(bucket_arn),
        ]
    )


def trail_event_selector(cfg: EventForwardingConfig) -> TrailEventSelectorArgsDict:
    """Management events (what carries the Bedrock control-plane calls), no data events."""
    return {"include_management_events": True, "read_write_type": cfg.trail.management_events}


def dead_letter_queue_policy(queue_arn: str, rule_arn: str) -> str:
    """Only EventBridge, on behalf of rule ``rule_arn``, may send to the queue."""
    return policy_json(
        [
            service_statement(
                "EventBridgeDeadLetters",
                "events.amazonaws.com",
                "sqs:SendMessage",
                {"ArnEquals": {"aws:SourceArn": rule_arn}},
                resource=queue_arn,
            )
        ]
    )


def api_key_auth(ingest_token: pulumi.Output[str]) -> EventConnectionAuthParametersArgsDict:
    """``Authorization: Api-Token <token>``, kept a secret."""
    return {
        "api_key": {
            "key": "Authorization",
            "value": pulumi.Output.secret(pulumi.Output.concat("Api-Token ", ingest_token)),
        }
    }


class TargetSpec(TypedDict):
    """``aws.cloudwatch.EventTarget`` arguments that come from config alone."""

    http_target: EventTargetHttpTargetArgsDict
    input_transformer: EventTargetInputTransformerArgsDict
    retry_policy: EventTargetRetryPolicyArgsDict


def target_spec(cfg: EventForwardingConfig, event_type: str) -> TargetSpec:
    """The CloudEvent transformer, its content type, and the configured retries."""
    paths, template = cloudevent_transformer(event_type)
    return {
        "http_target": {"header_parameters": {"Content-Type": CLOUDEVENT_CONTENT_TYPE}},
        "input_transformer": {"input_paths": paths, "input_template": template},
        "retry_policy": {
            "maximum_retry_attempts": cfg.retry.maximum_retry_attempts,
            "maximum_event_age_in_seconds": cfg.retry.maximum_event_age_seconds,
        },
    }


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm: ``> 0`` of ``metric`` over the configured period, on the rule or the DLQ."""

    suffix: str
    description: str
    namespace: str
    metric: str
    subject: Literal["rule", "queue"]
    statistic: str

    @property
    def dimension(self) -> str:
        return "RuleName" if self.subject == "rule" else "QueueName"


def alarm_specs() -> list[AlarmSpec]:
    """The rule's failure metrics (summed) and the DLQ's visible messages (maximum)."""
    rule_alarms = [
        AlarmSpec(
            alarm_suffix(metric),
            f"Bedrock governance events to Dynatrace: {metric} > 0 (see the dead-letter queue)",
            "AWS/Events",
            metric,
            "rule",
            "Sum",
        )
        for metric in RULE_ALARM_METRICS
    ]
    queue_alarm = AlarmSpec(
        QUEUE_ALARM_SUFFIX,
        "Bedrock governance events are waiting in the dead-letter queue",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "queue",
        "Maximum",
    )
    return [*rule_alarms, queue_alarm]


# ---------------------------------------------------------------------------------------------
# The component
# ---------------------------------------------------------------------------------------------


class BedrockEventForwarder(pulumi.ComponentResource):
    """Forwards Bedrock governance events to Dynatrace as CloudEvents, with retries, DLQ and alarms."""

    rule_arn: pulumi.Output[str]
    rule_name: pulumi.Output[str]
    event_pattern: str
    connection_arn: pulumi.Output[str]
    api_destination_arn: pulumi.Output[str]
    target_role_arn: pulumi.Output[str]
    dead_letter_queue_arn: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    trail_arn: pulumi.Output[str]
    trail_created: bool
    alarm_topic_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: BedrockEventForwarderArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-observability:aws:BedrockEventForwarder", name, None, opts)
        cfg = args.config
        names = ForwarderNames(name)
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        account, region, partition = caller_context(self)

        # Bedrock API calls reach EventBridge only through an enabled trail.
        self.trail_created = cfg.trail.create
        if cfg.trail.existing_trail_arn is not None:
            self.trail_arn = pulumi.Output.from_input(cfg.trail.existing_trail_arn)
        else:
            self.trail_arn = self._trail(name, cfg, tags, account, region, partition)

        self.event_pattern = rule_event_pattern(cfg)
        rule = aws.cloudwatch.EventRule(
            names.rule.text,
            description="Bedrock governance events (job state changes, control-plane API calls) to Dynatrace",
            event_bus_name=cfg.event_bus_name,
            event_pattern=self.event_pattern,
            state="ENABLED",
            tags=tags,
            opts=child,
        )
        connection = aws.cloudwatch.EventConnection(
            names.connection.text,
            description="Dynatrace business events ingest (Api-Token)",
            authorization_type="API_KEY",
            auth_parameters=api_key_auth(args.ingest_token),
            kms_key_identifier=cfg.kms_key_arn,
            opts=child,
        )
        destination = aws.cloudwatch.EventApiDestination(
            names.destination.text,
            description="Dynatrace /api/v2/bizevents/ingest",
            connection_arn=connection.arn,
            http_method="POST",
            invocation_endpoint=args.ingest_url,
            invocation_rate_limit_per_second=cfg.rate_limit_per_second,
            opts=child,
        )

        # Trusted by EventBridge for this rule only; may invoke this destination only.
        role = service_role(
            names.target_role.text,
            service="events.amazonaws.com",
            sid="EventBridgeRuleTarget",
            conditions={"StringEquals": {"aws:SourceAccount": account}, "ArnEquals": {"aws:SourceArn": rule.arn}},
            description="EventBridge invokes the Dynatrace API destination",
            tags=tags,
            parent=self,
        )
        role_policy = inline_policy(
            names.target_policy.text,
            role,
            sid="InvokeDynatraceDestination",
            action="events:InvokeApiDestination",
            resource=destination.arn,
            parent=self,
        )

        # Standard queue (a FIFO queue cannot be a rule's dead-letter queue), SSE-SQS.
        dlq = aws.sqs.Queue(
            names.dead_letter_queue.text,
            fifo_queue=False,
            sqs_managed_sse_enabled=True,
            message_retention_seconds=cfg.dead_letter.message_retention_seconds,
            tags=tags,
            opts=child,
        )
        dlq_policy = aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=dlq.url,
            policy=pulumi.Output.all(dlq.arn, rule.arn).apply(lambda v: dead_letter_queue_policy(v[0], v[1])),
            opts=child,
        )

        aws.cloudwatch.EventTarget(
            names.target.text,
            rule=rule.name,
            event_bus_name=cfg.event_bus_name,
            arn=destination.arn,
            role_arn=role.arn,
            **target_spec(cfg, args.event_type),
            dead_letter_config={"arn": dlq.arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, dlq_policy]),
        )

        self.alarm_topic_arn = None
        if cfg.alarms.enabled:
            self.alarm_topic_arn = self._alarms(name, cfg, tags, rule, dlq)

        self.rule_arn = rule.arn
        self.rule_name = rule.name
        self.connection_arn = connection.arn
        self.api_destination_arn = destination.arn
        self.target_role_arn = role.arn
        self.dead_letter_queue_arn = dlq.arn
        self.dead_letter_queue_url = dlq.url
        self.register_outputs(
            {
                "ruleArn": self.rule_arn,
                "ruleName": self.rule_name,
                "apiDestinationArn": self.api_destination_arn,
                "deadLetterQueueUrl": self.dead_letter_queue_url,
                "trailArn": self.trail_arn,
                "alarmTopicArn": self.alarm_topic_arn,
            }
        )

    def _trail(
        self,
        name: str,
        cfg: EventForwardingConfig,
        tags: dict[str, str],
        account: pulumi.Output[str],
        region: pulumi.Output[str],
        partition: pulumi.Output[str],
    ) -> pulumi.Output[str]:
        """A multi-region management-events trail writing to a hardened bucket; returns its ARN."""
        store = create_log_bucket(
            f"{name}-trail-logs",
            prefix=bucket_prefix(cfg.name_prefix, "trail"),
            expiration_days=cfg.trail.log_expiration_days,
            kms_key_arn=cfg.trail.kms_key_arn,
            tags=tags,
            parent=self,
        )
        arn = pulumi.Output.all(partition, region, account).apply(
            lambda v: trail_arn(v[0], v[1], v[2], trail_name(cfg))
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-trail-logs-policy",
            bucket=store.bucket.bucket,
            policy=pulumi.Output.all(store.bucket.arn, account, arn).apply(
                lambda v: trail_bucket_policy(v[0], v[1], v[2])
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=store.ready),
        )
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name(cfg),
            s3_bucket_name=store.bucket.bucket,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=cfg.trail.kms_key_arn,
            event_selectors=[trail_event_selector(cfg)],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        return trail.arn

    def _alarms(
        self,
        name: str,
        cfg: EventForwardingConfig,
        tags: dict[str, str],
        rule: aws.cloudwatch.EventRule,
        dlq: aws.sqs.Queue,
    ) -> pulumi.Output[str] | None:
        """Alarms on the rule's failure metrics and the DLQ depth; returns the action topic ARN."""
        child = pulumi.ResourceOptions(parent=self)
        topic_arn: pulumi.Output[str] | None = None
        if cfg.alarms.create_topic:
            topic_arn = aws.sns.Topic(ForwarderNames(name).alarm_topic.text, tags=tags, opts=child).arn
        elif cfg.alarms.sns_topic_arn is not None:
            topic_arn = pulumi.Output.from_input(cfg.alarms.sns_topic_arn)
        actions: list[pulumi.Input[str]] = [] if topic_arn is None else [topic_arn]
        subjects = {"rule": rule.name, "queue": dlq.name}
        for spec in alarm_specs():
            aws.cloudwatch.MetricAlarm(
                ForwarderNames(name).alarm(spec.suffix).text,
                alarm_description=spec.description,
                namespace=spec.namespace,
                metric_name=spec.metric,
                dimensions={spec.dimension: subjects[spec.subject]},
                statistic=spec.statistic,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                period=cfg.alarms.period_seconds,
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                ok_actions=actions,
                tags=tags,
                opts=child,
            )
        return topic_arn
