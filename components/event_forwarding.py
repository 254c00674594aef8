"""Bedrock governance events → Dynatrace business events (seed step 2).

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

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_aws.cloudtrail import TrailEventSelectorArgsDict
from pulumi_aws.cloudwatch import (
    EventConnectionAuthParametersArgsDict,
    EventTargetDeadLetterConfigArgsDict,
    EventTargetHttpTargetArgsDict,
    EventTargetInputTransformerArgsDict,
    EventTargetRetryPolicyArgsDict,
)

from .aws_iam import (
    caller_context,
    deny_insecure_transport,
    inline_policy,
    policy_json,
    service_role,
    service_statement,
)
from .config import EventForwardingConfig
from .config.event_forwarding import MAX_EVENT_PATTERN_CHARS, pattern_text
from .eventbridge_transform import cloudevent_transformer
from .invocation_logging import bucket_prefix, create_log_bucket

CLOUDEVENT_CONTENT_TYPE = "application/cloudevent+json"
# AWS/Events metrics of the rule, alarmed when non-zero (EventBridge emits them only then).
RULE_ALARM_METRICS: tuple[str, ...] = ("FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq")


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


def _kebab(metric: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in metric).lstrip("-")


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
        tags = dict(args.tags)
        child = pulumi.ResourceOptions(parent=self)
        account, region, partition = caller_context(self)

        # --- CloudTrail: Bedrock API calls reach EventBridge only through an enabled trail ---
        self.trail_created = cfg.trail.create
        if cfg.trail.existing_trail_arn is not None:
            self.trail_arn = pulumi.Output.from_input(cfg.trail.existing_trail_arn)
        else:
            self.trail_arn = self._trail(name, cfg, tags, account, region, partition)

        # --- The rule ---
        self.event_pattern = pattern_text(cfg.event_pattern)
        if len(self.event_pattern) >= MAX_EVENT_PATTERN_CHARS:
            raise ValueError(
                f"event pattern has {len(self.event_pattern)} characters; EventBridge allows under "
                f"{MAX_EVENT_PATTERN_CHARS}"
            )
        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            description="Bedrock governance events (job state changes, control-plane API calls) to Dynatrace",
            event_bus_name=cfg.event_bus_name,
            event_pattern=self.event_pattern,
            state="ENABLED",
            tags=tags,
            opts=child,
        )

        # --- Connection and API destination ---
        auth: EventConnectionAuthParametersArgsDict = {
            "api_key": {
                "key": "Authorization",
                "value": pulumi.Output.secret(pulumi.Output.concat("Api-Token ", args.ingest_token)),
            }
        }
        connection = aws.cloudwatch.EventConnection(
            f"{name}-connection",
            description="Dynatrace business events ingest (Api-Token)",
            authorization_type="API_KEY",
            auth_parameters=auth,
            kms_key_identifier=cfg.kms_key_arn,
            opts=child,
        )
        destination = aws.cloudwatch.EventApiDestination(
            f"{name}-destination",
            description="Dynatrace /api/v2/bizevents/ingest",
            connection_arn=connection.arn,
            http_method="POST",
            invocation_endpoint=args.ingest_url,
            invocation_rate_limit_per_second=cfg.rate_limit_per_second,
            opts=child,
        )

        # --- Target role: trusted by EventBridge for this rule only, may invoke this destination only ---
        role = service_role(
            f"{name}-target",
            service="events.amazonaws.com",
            sid="EventBridgeRuleTarget",
            conditions={"StringEquals": {"aws:SourceAccount": account}, "ArnEquals": {"aws:SourceArn": rule.arn}},
            description="EventBridge invokes the Dynatrace API destination",
            tags=tags,
            parent=self,
        )
        role_policy = inline_policy(
            f"{name}-target-invoke",
            role,
            sid="InvokeDynatraceDestination",
            action="events:InvokeApiDestination",
            resource=destination.arn,
            parent=self,
        )

        # --- Dead-letter queue: standard, SSE-SQS, only this rule may send ---
        dlq = aws.sqs.Queue(
            f"{name}-dlq",
            fifo_queue=False,
            sqs_managed_sse_enabled=True,
            message_retention_seconds=cfg.dead_letter.message_retention_seconds,
            tags=tags,
            opts=child,
        )

        def queue_policy(values: list[str]) -> str:
            queue_arn, rule_arn = values
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

        dlq_policy = aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=dlq.url,
            policy=pulumi.Output.all(dlq.arn, rule.arn).apply(queue_policy),
            opts=child,
        )

        # --- Target: CloudEvent transformer, retries, DLQ ---
        paths, template = cloudevent_transformer(args.event_type)
        transformer: EventTargetInputTransformerArgsDict = {"input_paths": paths, "input_template": template}
        http: EventTargetHttpTargetArgsDict = {"header_parameters": {"Content-Type": CLOUDEVENT_CONTENT_TYPE}}
        retry: EventTargetRetryPolicyArgsDict = {
            "maximum_retry_attempts": cfg.retry.maximum_retry_attempts,
            "maximum_event_age_in_seconds": cfg.retry.maximum_event_age_seconds,
        }
        dead_letter: EventTargetDeadLetterConfigArgsDict = {"arn": dlq.arn}
        aws.cloudwatch.EventTarget(
            f"{name}-dynatrace",
            rule=rule.name,
            event_bus_name=cfg.event_bus_name,
            arn=destination.arn,
            role_arn=role.arn,
            http_target=http,
            input_transformer=transformer,
            retry_policy=retry,
            dead_letter_config=dead_letter,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, dlq_policy]),
        )

        # --- Alarms ---
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
        trail_name = f"{cfg.name_prefix}-trail"
        store = create_log_bucket(
            f"{name}-trail-logs",
            prefix=bucket_prefix(cfg.name_prefix, "trail"),
            expiration_days=cfg.trail.log_expiration_days,
            kms_key_arn=cfg.trail.kms_key_arn,
            tags=tags,
            parent=self,
        )
        trail_arn = pulumi.Output.all(partition, region, account).apply(
            lambda v: f"arn:{v[0]}:cloudtrail:{v[1]}:{v[2]}:trail/{trail_name}"
        )

        def bucket_policy(values: list[str]) -> str:
            bucket_arn, account_id, source_arn = values
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

        policy = aws.s3.BucketPolicy(
            f"{name}-trail-logs-policy",
            bucket=store.bucket.bucket,
            policy=pulumi.Output.all(store.bucket.arn, account, trail_arn).apply(bucket_policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=store.ready),
        )
        selector: TrailEventSelectorArgsDict = {
            "include_management_events": True,
            "read_write_type": cfg.trail.management_events,
        }
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=store.bucket.bucket,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=cfg.trail.kms_key_arn,
            event_selectors=[selector],
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
            topic_arn = aws.sns.Topic(f"{name}-alarms", tags=tags, opts=child).arn
        elif cfg.alarms.sns_topic_arn is not None:
            topic_arn = pulumi.Output.from_input(cfg.alarms.sns_topic_arn)
        actions: list[pulumi.Input[str]] = [] if topic_arn is None else [topic_arn]

        def alarm(
            suffix: str,
            description: str,
            namespace: str,
            metric: str,
            dimensions: pulumi.Input[Mapping[str, pulumi.Input[str]]],
            statistic: str,
        ) -> None:
            aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                alarm_description=description,
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                statistic=statistic,
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

        for metric in RULE_ALARM_METRICS:
            alarm(
                _kebab(metric),
                f"Bedrock governance events to Dynatrace: {metric} > 0 (see the dead-letter queue)",
                "AWS/Events",
                metric,
                {"RuleName": rule.name},
                "Sum",
            )
        alarm(
            "dlq-messages",
            "Bedrock governance events are waiting in the dead-letter queue",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": dlq.name},
            "Maximum",
        )
        return topic_arn
