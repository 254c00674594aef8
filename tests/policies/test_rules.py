"""Every rule, table-driven: realistic compliant, non-compliant and not-applicable resources.

Each case builds the args the engine would hand the policy and goes through
``policy.validate`` (the CrossGuard entry point), so the adapter is tested too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from policy_samples import (
    API_TOKEN,
    AUDITORS_POLICY,
    BUCKET,
    BUCKET_PAB,
    BUCKET_SSE,
    BUCKET_VERSIONING,
    COLLECTOR_CONFIG_YAML,
    COLLECTOR_DAEMONSET,
    COMPONENT,
    CONNECTION,
    CPU_NODE_GROUP,
    DLQ_ALARM,
    DLQ_POLICY_DOCUMENT,
    DT,
    EVENT_RULE,
    EVENT_TARGET,
    FAILED_ALARM,
    GOVERNANCE_PATTERN,
    GRAIL_BUCKET,
    GUARDRAIL,
    GUARDRAIL_VERSION,
    INVOCATION_LOGGING,
    LOG_GROUP,
    NGC_KEY,
    NGC_SECRET,
    NIM_CONTAINER,
    NIM_DEPLOYMENT,
    NODE_GROUP,
    PIPELINE,
    PLATFORM_TOKEN,
    QUEUE_POLICY,
    ROLE_POLICY,
    ROUTE,
    TAGS,
    TRAIL,
    USERS_POLICY,
    collector_config_map,
    iam_document,
    iam_policy,
    policy_resource,
    resource_args,
    stack_args,
    urn,
    with_,
)
from pulumi_policy import ResourceValidationArgs, StackValidationArgs
from pulumi_policy.policy import _NotApplicableError

from policies.registry import Policy, all_policies
from policies.rules._support import Outcome
from policies.runner import _NotApplicableError as _PlanNotApplicable

POLICIES = {p.name: p for p in all_policies()}
COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE = Outcome.COMPLIANT, Outcome.NON_COMPLIANT, Outcome.NOT_APPLICABLE

Args = ResourceValidationArgs | StackValidationArgs


@dataclass(frozen=True)
class Case:
    policy: str
    id: str
    build: Callable[[], Args]
    expected: Outcome
    mentions: str = ""  # a substring the (first) violation message must contain


def run(policy: Policy, args: Args) -> tuple[Outcome, list[tuple[str, str | None]]]:
    """Drive ``policy.validate`` like the analyzer: violations, or not applicable."""
    reported: list[tuple[str, str | None]] = []
    try:
        policy.validate(args, lambda message, urn=None: reported.append((message, urn)))  # type: ignore[arg-type]
    except (_NotApplicableError, _PlanNotApplicable):
        return NOT_APPLICABLE, reported
    return (NON_COMPLIANT if reported else COMPLIANT), reported


# --- builders -----------------------------------------------------------------------------------

NODE = "aws:eks/nodeGroup:NodeGroup"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
QPOLICY = "aws:sqs/queuePolicy:QueuePolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
GUARD = "aws:bedrock/guardrail:Guardrail"
GUARD_V = "aws:bedrock/guardrailVersion:GuardrailVersion"
LOGGING = "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration"
LOGGROUP = "aws:cloudwatch/logGroup:LogGroup"
CT = "aws:cloudtrail/trail:Trail"
CONNECTION_TYPE = "aws:cloudwatch/eventConnection:EventConnection"
OURS = "ai-observability:governance:Governance"


def _detectors() -> dict[str, dict[str, Any]]:
    from components.config.collector import KongConfig
    from components.config.governance import GovernanceConfig
    from components.config.signals import SignalsConfig
    from components.dynatrace.signals.detectors import SCHEMA_ID, detector_specs

    specs = detector_specs(SignalsConfig(), GovernanceConfig(), KongConfig())
    return {sp.name: {"schema_id": SCHEMA_ID, "key": sp.key, "value": sp.value} for sp in specs}


DETECTORS = _detectors()


def r(type_: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> Callable[[], Args]:
    return lambda: resource_args(type_, props, config=config)


def s(*resources: tuple[str, dict[str, Any]], config: dict[str, Any] | None = None) -> Callable[[], Args]:
    return lambda: stack_args(
        [policy_resource(t, p, f"{t.rsplit(':', 1)[-1].lower()}-{i}") for i, (t, p) in enumerate(resources)], config
    )


def rs(type_: str, props: dict[str, Any], *secret: tuple[str | int, ...]) -> Callable[[], Args]:
    """Args as the offline plan builds them: with the secret-wrapped input paths."""
    return lambda: resource_args(type_, props, secret_paths=frozenset(secret))


def pattern(value: dict[str, Any]) -> dict[str, Any]:
    return with_(EVENT_RULE, "eventPattern", json.dumps(value))


FORWARDING = [
    (TARGET, EVENT_TARGET),
    (QPOLICY, QUEUE_POLICY),
    (ALARM, FAILED_ALARM),
    (ALARM, DLQ_ALARM),
]
TRAIL_SET = [(CT, TRAIL), ("aws:s3/bucket:Bucket", BUCKET)]
TRAIL_COMPANIONS = [
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", BUCKET_SSE),
    ("aws:s3/bucketVersioning:BucketVersioning", BUCKET_VERSIONING),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", BUCKET_PAB),
]
TEMPLATE_ANNOTATIONS = ("spec", "template", "metadata", "annotations")
CONTAINER = ("spec", "template", "spec", "containers", 0)
WILDCARD = {"Effect": "Allow", "Action": "*", "Resource": "*"}

MONITORING_TRUST: dict[str, Any] = {
    "Sid": "DynatraceAssumesWithExternalId",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "connection-external-id"}},
}

CASES: list[Case] = [
    # governance-bucket-retains-bizevents
    Case("governance-bucket-retains-bizevents", "default-1825", r(DT + "GrailBucket", GRAIL_BUCKET), COMPLIANT),
    Case(
        "governance-bucket-retains-bizevents",
        "30-days",
        r(DT + "GrailBucket", with_(GRAIL_BUCKET, "retention_days", 30.0)),
        NON_COMPLIANT,
        "keeps data 30.0 days; at least 184",
    ),
    Case(
        "governance-bucket-retains-bizevents",
        "logs-table",
        r(DT + "GrailBucket", with_(GRAIL_BUCKET, "table", "logs")),
        NON_COMPLIANT,
        "governance.bucket.table",
    ),
    Case(
        "governance-bucket-retains-bizevents",
        "configured-minimum",
        r(DT + "GrailBucket", with_(GRAIL_BUCKET, "retention_days", 365.0), {"minRetentionDays": 400}),
        NON_COMPLIANT,
        "at least 400",
    ),
    Case(
        "governance-bucket-retains-bizevents",
        "untyped-dynamic-resource",
        r(
            "pulumi-python:dynamic:Resource",
            {"resourceKind": "GrailBucket", "bucketName": "b", "table": "bizevents", "retentionDays": 100.0},
        ),
        NOT_APPLICABLE,
    ),
    Case("governance-bucket-retains-bizevents", "other-type", r(DT + "OpenPipelineRoute", ROUTE), NOT_APPLICABLE),
    # genai-route-first-matches-auditing
    Case("genai-route-first-matches-auditing", "default", r(DT + "OpenPipelineRoute", ROUTE), COMPLIANT),
    Case(
        "genai-route-first-matches-auditing",
        "spaced-matcher",
        r(DT + "OpenPipelineRoute", with_(ROUTE, "matcher", 'matchesValue(event.type, "gen_ai.auditing")')),
        COMPLIANT,
    ),
    Case(
        "genai-route-first-matches-auditing",
        "second-position",
        r(DT + "OpenPipelineRoute", with_(ROUTE, "position", 1.0)),
        NON_COMPLIANT,
        "governance.route.position",
    ),
    Case(
        "genai-route-first-matches-auditing",
        "catch-all-matcher",
        r(DT + "OpenPipelineRoute", with_(ROUTE, "matcher", "true")),
        NON_COMPLIANT,
        "matches 'true'",
    ),
    Case(
        # A custom governance.eventType: the route is right, the pack's expectation is what to change.
        "genai-route-first-matches-auditing",
        "custom-event-type",
        r(DT + "OpenPipelineRoute", with_(ROUTE, "matcher", 'matchesValue(event.type,"acme.ai.audit")')),
        NON_COMPLIANT,
        "set this policy's eventType to 'acme.ai.audit' in the policy pack configuration",
    ),
    Case(
        "genai-route-first-matches-auditing",
        "custom-event-type-configured",
        r(
            DT + "OpenPipelineRoute",
            with_(ROUTE, "matcher", 'event.type == "acme.ai.audit"'),
            config={"eventType": "acme.ai.audit"},
        ),
        COMPLIANT,
    ),
    Case(
        "genai-route-first-matches-auditing",
        "broad-matcher-fix",
        r(DT + "OpenPipelineRoute", with_(ROUTE, "matcher", 'startsWith(event.type, "gen_ai")')),
        NON_COMPLIANT,
        "remove ai-observability:governance.route.matcher",
    ),
    Case("genai-route-first-matches-auditing", "bucket", r(DT + "GrailBucket", GRAIL_BUCKET), NOT_APPLICABLE),
    # governance-pipeline-stores-to-bucket (stack)
    Case(
        "governance-pipeline-stores-to-bucket",
        "default",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "OpenPipelinePipeline", PIPELINE),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        COMPLIANT,
    ),
    Case(
        "governance-pipeline-stores-to-bucket",
        "other-bucket",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "OpenPipelinePipeline", with_(PIPELINE, "bucket_name", "x_y")),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        NON_COMPLIANT,
        "stores into 'x_y'",
    ),
    Case(
        "governance-pipeline-stores-to-bucket",
        "no-bucket",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "OpenPipelinePipeline", with_(PIPELINE, "bucket_name", ...)),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        NON_COMPLIANT,
        "no bucket",
    ),
    Case(
        "governance-pipeline-stores-to-bucket",
        "unrouted",
        s((DT + "GrailBucket", GRAIL_BUCKET), (DT + "OpenPipelinePipeline", PIPELINE)),
        NON_COMPLIANT,
        "has no route",
    ),
    Case(
        "governance-pipeline-stores-to-bucket",
        "logs-bucket",
        s(
            (DT + "GrailBucket", with_(GRAIL_BUCKET, "table", "logs")),
            (DT + "OpenPipelinePipeline", PIPELINE),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        NON_COMPLIANT,
        "not into a bizevents Grail bucket of this stack (none)",
    ),
    Case("governance-pipeline-stores-to-bucket", "no-pipeline", s((DT + "GrailBucket", GRAIL_BUCKET)), NOT_APPLICABLE),
    # governance-bucket-readable-only-by-auditors (stack)
    Case(
        "governance-bucket-readable-only-by-auditors",
        "defaults",
        s((DT + "GrailBucket", GRAIL_BUCKET), (DT + "IamPolicy", USERS_POLICY), (DT + "IamPolicy", AUDITORS_POLICY)),
        COMPLIANT,
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "users-read-every-bucket",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "IamPolicy", iam_policy("AI Observability users", "ALLOW storage:buckets:read, storage:logs:read;")),
            (DT + "IamPolicy", AUDITORS_POLICY),
        ),
        NON_COMPLIANT,
        "IAM policy IamPolicy 'iampolicy-1' lets its groups read the governance bucket 'gen_ai_events' together",
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "a-prefix-that-matches",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (
                DT + "IamPolicy",
                with_(USERS_POLICY, "statement_query", USERS_POLICY["statement_query"].replace("dt_", "gen_")),
            ),
            (DT + "IamPolicy", AUDITORS_POLICY),
        ),
        NON_COMPLIANT,
        "together with other buckets",
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "auditors-read-more",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (
                DT + "IamPolicy",
                iam_policy(
                    "AI governance auditors",
                    'ALLOW storage:buckets:read WHERE storage:bucket-name IN ("gen_ai_events", "default_logs");',
                ),
            ),
        ),
        NON_COMPLIANT,
        "together with other buckets",
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "nobody-reads-it",
        s((DT + "GrailBucket", GRAIL_BUCKET), (DT + "IamPolicy", USERS_POLICY)),
        NON_COMPLIANT,
        "no IAM policy of the stack lets auditors read",
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "denied-to-users",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (
                DT + "IamPolicy",
                iam_policy(
                    "users",
                    "ALLOW storage:buckets:read; // every bucket but\n"
                    'DENY storage:buckets:read WHERE storage:bucket-name = "gen_ai_events";',
                ),
            ),
            (DT + "IamPolicy", AUDITORS_POLICY),
        ),
        COMPLIANT,
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "unreadable-statement",
        s(
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "IamPolicy", iam_policy("users", "ALLOW storage:buckets:read WHERE storage:bucket-name ~ x;")),
            (DT + "IamPolicy", AUDITORS_POLICY),
        ),
        NON_COMPLIANT,
        "together with other buckets",
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "access-off",
        s((DT + "GrailBucket", GRAIL_BUCKET), (DT + "OpenPipelineRoute", ROUTE)),
        NOT_APPLICABLE,
    ),
    Case(
        "governance-bucket-readable-only-by-auditors",
        "no-bucket",
        s((DT + "IamPolicy", USERS_POLICY), (DT + "IamPolicy", AUDITORS_POLICY)),
        NOT_APPLICABLE,
    ),
    # stack-stores-genai-audit-events / stack-has-bedrock-guardrails / stack-has-model-invocation-logging
    # (stack rules that judge what is absent; they apply to stacks with an ai-observability component)
    Case(
        "stack-stores-genai-audit-events",
        "default",
        s(
            (OURS, {}),
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "OpenPipelinePipeline", PIPELINE),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        COMPLIANT,
    ),
    Case(
        "stack-stores-genai-audit-events",
        "governance-disabled",
        s((OURS, {}), (GUARD, GUARDRAIL)),
        NON_COMPLIANT,
        "creates no OpenPipeline pipeline",
    ),
    Case(
        "stack-stores-genai-audit-events",
        "matcher-false",
        s(
            (OURS, {}),
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "OpenPipelinePipeline", with_(PIPELINE, "matcher", " ( FALSE ) ")),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        NON_COMPLIANT,
        "never matches",
    ),
    Case(
        "stack-stores-genai-audit-events",
        "matcher-not-true",
        s(
            (OURS, {}),
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "OpenPipelinePipeline", with_(PIPELINE, "matcher", "not true")),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        NON_COMPLIANT,
        "never matches",
    ),
    Case(
        "stack-stores-genai-audit-events",
        "no-storage-processor",
        s(
            (OURS, {}),
            (DT + "GrailBucket", GRAIL_BUCKET),
            (DT + "OpenPipelinePipeline", with_(PIPELINE, "bucket_name", ...)),
            (DT + "OpenPipelineRoute", ROUTE),
        ),
        NON_COMPLIANT,
        "assigns to no bucket",
    ),
    Case(
        "stack-stores-genai-audit-events",
        "unrouted",
        s((OURS, {}), (DT + "GrailBucket", GRAIL_BUCKET), (DT + "OpenPipelinePipeline", PIPELINE)),
        NON_COMPLIANT,
        "has no route",
    ),
    Case("stack-stores-genai-audit-events", "foreign-stack", s((GUARD, GUARDRAIL)), NOT_APPLICABLE),
    Case("stack-has-bedrock-guardrails", "default", s((OURS, {}), (GUARD, GUARDRAIL)), COMPLIANT),
    Case(
        "stack-has-bedrock-guardrails",
        "guardrails-disabled",
        s((OURS, {}), (DT + "GrailBucket", GRAIL_BUCKET)),
        NON_COMPLIANT,
        "creates no Bedrock guardrail",
    ),
    Case("stack-has-bedrock-guardrails", "foreign-stack", s((DT + "GrailBucket", GRAIL_BUCKET)), NOT_APPLICABLE),
    Case("stack-has-model-invocation-logging", "default", s((OURS, {}), (LOGGING, INVOCATION_LOGGING)), COMPLIANT),
    Case(
        "stack-has-model-invocation-logging",
        "logging-disabled",
        s((OURS, {}), (GUARD, GUARDRAIL)),
        NON_COMPLIANT,
        "no Bedrock model invocation logging",
    ),
    Case("stack-has-model-invocation-logging", "foreign-stack", s((GUARD, GUARDRAIL)), NOT_APPLICABLE),
    # api-destination-targets-retry-with-dlq
    Case("api-destination-targets-retry-with-dlq", "default", r(TARGET, EVENT_TARGET), COMPLIANT),
    Case(
        "api-destination-targets-retry-with-dlq",
        "no-dlq",
        r(TARGET, with_(EVENT_TARGET, "deadLetterConfig", ...)),
        NON_COMPLIANT,
        "no dead-letter queue",
    ),
    Case(
        "api-destination-targets-retry-with-dlq",
        "no-retry",
        r(TARGET, with_(EVENT_TARGET, "retryPolicy", ...)),
        NON_COMPLIANT,
        "eventForwarding.retry.maximumRetryAttempts",
    ),
    Case(
        "api-destination-targets-retry-with-dlq",
        "zero-retries",
        r(TARGET, with_(EVENT_TARGET, "retryPolicy.maximumRetryAttempts", 0.0)),
        NON_COMPLIANT,
        "maximumRetryAttempts=0.0",
    ),
    Case(
        "api-destination-targets-retry-with-dlq",
        "sns-target",
        r(TARGET, with_(EVENT_TARGET, "arn", "arn:aws:sns:eu-central-1:123456789012:ops")),
        NOT_APPLICABLE,
    ),
    # event-queue-policies-restrict-source-arn
    Case("event-queue-policies-restrict-source-arn", "default", r(QPOLICY, QUEUE_POLICY), COMPLIANT),
    Case(
        "event-queue-policies-restrict-source-arn",
        "no-condition",
        r(QPOLICY, with_(QUEUE_POLICY, "policy", json.dumps(with_(DLQ_POLICY_DOCUMENT, "Statement.0.Condition", ...)))),
        NON_COMPLIANT,
        "without an aws:SourceArn condition",
    ),
    Case(
        "event-queue-policies-restrict-source-arn",
        "source-account-only",
        r(
            QPOLICY,
            with_(
                QUEUE_POLICY,
                "policy",
                json.dumps(
                    with_(DLQ_POLICY_DOCUMENT, "Statement.0.Condition", {"StringEquals": {"aws:SourceAccount": "1"}})
                ),
            ),
        ),
        NON_COMPLIANT,
        "aws:SourceArn",
    ),
    Case(
        "event-queue-policies-restrict-source-arn",
        "sns-principal",
        r(
            QPOLICY,
            with_(
                QUEUE_POLICY,
                "policy",
                json.dumps(with_(DLQ_POLICY_DOCUMENT, "Statement.0.Principal", {"Service": "sns.amazonaws.com"})),
            ),
        ),
        NOT_APPLICABLE,
    ),
    # event-forwarding-dlq-guarded-and-alarmed (stack)
    Case("event-forwarding-dlq-guarded-and-alarmed", "default", s(*FORWARDING), COMPLIANT),
    Case(
        "event-forwarding-dlq-guarded-and-alarmed",
        "no-failed-alarm",
        s(*[f for f in FORWARDING if f[1] is not FAILED_ALARM]),
        NON_COMPLIANT,
        "FailedInvocations",
    ),
    Case(
        "event-forwarding-dlq-guarded-and-alarmed",
        "no-depth-alarm",
        s(*[f for f in FORWARDING if f[1] is not DLQ_ALARM]),
        NON_COMPLIANT,
        "ApproximateNumberOfMessagesVisible",
    ),
    Case(
        "event-forwarding-dlq-guarded-and-alarmed",
        "no-queue-policy",
        s(*[f for f in FORWARDING if f[0] != QPOLICY]),
        NON_COMPLIANT,
        "has no queue policy",
    ),
    Case(
        "event-forwarding-dlq-guarded-and-alarmed",
        "metric-math-alarm",
        s(
            *[f for f in FORWARDING if f[1] is not FAILED_ALARM],
            (
                ALARM,
                {
                    "metricQueries": [
                        {"id": "m1", "metric": {k: FAILED_ALARM[k] for k in ("namespace", "metricName", "dimensions")}}
                    ]
                },
            ),
        ),
        COMPLIANT,
    ),
    Case("event-forwarding-dlq-guarded-and-alarmed", "nothing", s((ALARM, DLQ_ALARM)), NOT_APPLICABLE),
    # bedrock-rule-excludes-inference
    Case("bedrock-rule-excludes-inference", "governance-ops", r(RULE, EVENT_RULE), COMPLIANT),
    Case(
        "bedrock-rule-excludes-inference",
        "all-cloudtrail-calls",
        r(RULE, pattern({"source": ["aws.bedrock"], "detail-type": ["AWS API Call via CloudTrail"]})),
        NON_COMPLIANT,
        "InvokeModel, InvokeModelWithBidirectionalStream, InvokeModelWithResponseStream",
    ),
    Case(
        "bedrock-rule-excludes-inference",
        "anything-but",
        r(RULE, pattern({"source": ["aws.bedrock"], "detail": {"eventName": [{"anything-but": ["InvokeModel"]}]}})),
        NON_COMPLIANT,
        "Converse",
    ),
    Case(
        # Bedrock Agent Runtime's CreateSession / CreateInvocation are inference calls too.
        "bedrock-rule-excludes-inference",
        "prefix-create",
        r(RULE, pattern({"source": ["aws.bedrock"], "detail": {"eventName": [{"prefix": "Create"}]}})),
        NON_COMPLIANT,
        "CreateSession",
    ),
    Case(
        "bedrock-rule-excludes-inference",
        "prefix-create-guardrail",
        r(RULE, pattern({"source": ["aws.bedrock"], "detail": {"eventName": [{"prefix": "CreateGuardrail"}]}})),
        COMPLIANT,
    ),
    Case(
        "bedrock-rule-excludes-inference",
        "agent-runtime",
        r(RULE, pattern({"source": ["aws.bedrock"], "detail": {"eventName": ["CreateAgent", "InvokeAgent"]}})),
        NON_COMPLIANT,
        "InvokeAgent",
    ),
    Case(
        "bedrock-rule-excludes-inference",
        "too-long",
        r(
            RULE,
            pattern(
                with_(
                    GOVERNANCE_PATTERN, "$or.0.detail.eventName", [f"CreateSomethingNumber{i:04d}" for i in range(90)]
                )
            ),
        ),
        NON_COMPLIANT,
        "at most 2048 allowed",
    ),
    Case(
        "bedrock-rule-excludes-inference",
        "ec2-rule",
        r(RULE, pattern({"source": ["aws.ec2"]})),
        NOT_APPLICABLE,
    ),
    # no-credentials-in-plain-text
    Case("no-credentials-in-plain-text", "collector-configmap", r(CONFIG_MAP, collector_config_map()), COMPLIANT),
    Case("no-credentials-in-plain-text", "nim-deployment", r(DEPLOYMENT, NIM_DEPLOYMENT), COMPLIANT),
    Case(
        "no-credentials-in-plain-text",
        "token-in-configmap",
        r(CONFIG_MAP, collector_config_map(COLLECTOR_CONFIG_YAML.replace("${env:DT_API_TOKEN}", API_TOKEN))),
        NON_COMPLIANT,
        "Dynatrace API token (dt0c01.) in plain text at data.config.yaml",
    ),
    Case(
        "no-credentials-in-plain-text",
        "ngc-key-env-literal",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.env.0", {"name": "NGC_API_KEY", "value": NGC_KEY})),
        NON_COMPLIANT,
        "NGC API key (nvapi-)",
    ),
    Case(
        "no-credentials-in-plain-text",
        "token-in-tag",
        r(RULE, with_(EVENT_RULE, "tags", {**TAGS, "debug": PLATFORM_TOKEN})),
        NON_COMPLIANT,
        "at tags.debug",
    ),
    Case(
        "no-credentials-in-plain-text",
        "token-in-pod-annotation",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, "spec.template.metadata.annotations.token", API_TOKEN)),
        NON_COMPLIANT,
        "spec.template.metadata.annotations.token",
    ),
    Case("no-credentials-in-plain-text", "k8s-secret", r("kubernetes:core/v1:Secret", NGC_SECRET), NOT_APPLICABLE),
    Case("no-credentials-in-plain-text", "dynamic", r(DT + "GrailBucket", GRAIL_BUCKET), NOT_APPLICABLE),
    # credentials-reach-resources-as-secrets (offline plan: secret paths visible)
    Case(
        "credentials-reach-resources-as-secrets",
        "connection-secret",
        rs(CONNECTION_TYPE, CONNECTION, ("authParameters",)),
        COMPLIANT,
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "connection-plain",
        rs(CONNECTION_TYPE, CONNECTION),
        NON_COMPLIANT,
        "at authParameters.apiKey.value that is not a Pulumi secret",
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "non-token-api-key-plain",
        rs(CONNECTION_TYPE, with_(CONNECTION, "authParameters.apiKey.value", "Api-Token placeholder")),
        NON_COMPLIANT,
        "API-key header value",
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "ngc-secret-wrapped",
        rs("kubernetes:core/v1:Secret", NGC_SECRET, ("stringData", "NGC_API_KEY")),
        COMPLIANT,
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "ngc-secret-plain",
        rs("kubernetes:core/v1:Secret", with_(NGC_SECRET, "stringData.NGC_API_KEY", "legacy-key-" + "k" * 40)),
        NON_COMPLIANT,
        "Secret data at stringData.NGC_API_KEY",
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "dynamic-token-secret",
        rs(DT + "GrailBucket", GRAIL_BUCKET, ("platform_token",)),
        COMPLIANT,
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "dynamic-oauth-token-plain",
        rs(DT + "GrailBucket", with_(GRAIL_BUCKET, "platform_token", "eyJhbGciOiJSUzI1NiJ9.oauth-bearer")),
        NON_COMPLIANT,
        "credential input 'platform_token'",
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "token-in-a-tag-plain",
        rs(RULE, with_(EVENT_RULE, "tags", {**TAGS, "t": API_TOKEN})),
        NON_COMPLIANT,
        "Dynatrace API token (dt0c01.) at tags.t",
    ),
    Case(
        "credentials-reach-resources-as-secrets",
        "engine-cannot-see-secrecy",
        r(CONNECTION_TYPE, CONNECTION),
        NOT_APPLICABLE,
    ),
    Case("credentials-reach-resources-as-secrets", "no-credentials", rs(RULE, EVENT_RULE), NOT_APPLICABLE),
    # guardrail-filters-prompt-attacks
    Case("guardrail-filters-prompt-attacks", "high", r(GUARD, GUARDRAIL), COMPLIANT),
    Case(
        "guardrail-filters-prompt-attacks",
        "medium",
        r(GUARD, with_(GUARDRAIL, "contentPolicyConfig.filtersConfigs.1.inputStrength", "MEDIUM")),
        NON_COMPLIANT,
        "filters prompt attacks at MEDIUM",
    ),
    Case(
        "guardrail-filters-prompt-attacks",
        "medium-allowed-by-config",
        r(
            GUARD,
            with_(GUARDRAIL, "contentPolicyConfig.filtersConfigs.1.inputStrength", "MEDIUM"),
            {"minInputStrength": "MEDIUM"},
        ),
        COMPLIANT,
    ),
    Case(
        "guardrail-filters-prompt-attacks",
        "missing",
        r(GUARD, with_(GUARDRAIL, "contentPolicyConfig", ...)),
        NON_COMPLIANT,
        "has no PROMPT_ATTACK filter",
    ),
    Case("guardrail-filters-prompt-attacks", "version", r(GUARD_V, GUARDRAIL_VERSION), NOT_APPLICABLE),
    # guardrail-has-sensitive-information-policy
    Case("guardrail-has-sensitive-information-policy", "pii", r(GUARD, GUARDRAIL), COMPLIANT),
    Case(
        "guardrail-has-sensitive-information-policy",
        "none",
        r(GUARD, with_(GUARDRAIL, "sensitiveInformationPolicyConfig", ...)),
        NON_COMPLIANT,
        "guardrails.guardrails[].piiEntities",
    ),
    Case("guardrail-has-sensitive-information-policy", "rule", r(RULE, EVENT_RULE), NOT_APPLICABLE),
    # guardrails-have-pinned-version (stack)
    Case(
        "guardrails-have-pinned-version",
        "sibling-version",
        s((GUARD, GUARDRAIL), (GUARD_V, GUARDRAIL_VERSION)),
        COMPLIANT,
    ),
    Case(
        "guardrails-have-pinned-version",
        "two-guardrails-one-version",
        s((GUARD, GUARDRAIL), (GUARD, GUARDRAIL), (GUARD_V, GUARDRAIL_VERSION)),
        NON_COMPLIANT,
        "has no pinned version",
    ),
    Case("guardrails-have-pinned-version", "no-version", s((GUARD, GUARDRAIL)), NON_COMPLIANT, "guardrailVersion"),
    Case("guardrails-have-pinned-version", "no-guardrail", s((RULE, EVENT_RULE)), NOT_APPLICABLE),
    # model-invocation-logging-retained (stack)
    Case(
        "model-invocation-logging-retained",
        "365-days",
        s((GUARD, GUARDRAIL), (LOGGING, INVOCATION_LOGGING), (LOGGROUP, LOG_GROUP)),
        COMPLIANT,
    ),
    Case(
        "model-invocation-logging-retained",
        "180-days",
        s((LOGGING, INVOCATION_LOGGING), (LOGGROUP, with_(LOG_GROUP, "retentionInDays", 180.0))),
        NON_COMPLIANT,
        "keeps records 180 days; at least 365",
    ),
    Case(
        "model-invocation-logging-retained",
        "missing",
        s((GUARD, GUARDRAIL)),
        NON_COMPLIANT,
        "guardrails.invocationLogging.enabled",
    ),
    Case(
        "model-invocation-logging-retained",
        "owned-elsewhere",
        s((GUARD, GUARDRAIL), config={"required": False}),
        NOT_APPLICABLE,
    ),
    Case(
        "model-invocation-logging-retained",
        "unmanaged-group",
        s((LOGGING, INVOCATION_LOGGING)),
        NON_COMPLIANT,
        "does not manage",
    ),
    Case("model-invocation-logging-retained", "no-bedrock", s((RULE, EVENT_RULE)), NOT_APPLICABLE),
    # cloudtrail-multi-region-validated
    Case("cloudtrail-multi-region-validated", "default", r(CT, TRAIL), COMPLIANT),
    Case(
        "cloudtrail-multi-region-validated",
        "single-region",
        r(CT, with_(TRAIL, "isMultiRegionTrail", False)),
        NON_COMPLIANT,
        "is not multi-region",
    ),
    Case(
        "cloudtrail-multi-region-validated",
        "no-validation",
        r(CT, with_(TRAIL, "enableLogFileValidation", ...)),
        NON_COMPLIANT,
        "does not validate log files",
    ),
    Case("cloudtrail-multi-region-validated", "bucket", r("aws:s3/bucket:Bucket", BUCKET), NOT_APPLICABLE),
    # cloudtrail-bucket-encrypted-versioned-private (stack)
    Case(
        "cloudtrail-bucket-encrypted-versioned-private",
        "companions",
        s(*TRAIL_SET, *TRAIL_COMPANIONS),
        COMPLIANT,
    ),
    Case(
        "cloudtrail-bucket-encrypted-versioned-private",
        "bare-bucket",
        s(*TRAIL_SET),
        NON_COMPLIANT,
        "has no default encryption",
    ),
    Case(
        "cloudtrail-bucket-encrypted-versioned-private",
        "suspended-versioning",
        s(
            *TRAIL_SET,
            *[
                c
                if "Versioning" not in c[0]
                else (c[0], with_(BUCKET_VERSIONING, "versioningConfiguration.status", "Suspended"))
                for c in TRAIL_COMPANIONS
            ],
        ),
        NON_COMPLIANT,
        "is not versioned",
    ),
    Case(
        "cloudtrail-bucket-encrypted-versioned-private",
        "partial-public-block",
        s(
            *TRAIL_SET,
            *[
                c if "PublicAccess" not in c[0] else (c[0], with_(BUCKET_PAB, "restrictPublicBuckets", False))
                for c in TRAIL_COMPANIONS
            ],
        ),
        NON_COMPLIANT,
        "does not block all public access",
    ),
    Case(
        "cloudtrail-bucket-encrypted-versioned-private",
        "existing-trail",
        s(("aws:s3/bucket:Bucket", BUCKET)),
        NOT_APPLICABLE,
    ),
    # gpu node groups
    Case("gpu-node-groups-use-nvidia-ami", "al2023-nvidia", r(NODE, NODE_GROUP), COMPLIANT),
    Case(
        "gpu-node-groups-use-nvidia-ami",
        "al2-gpu",
        r(NODE, with_(NODE_GROUP, "amiType", "AL2_x86_64_GPU")),
        NON_COMPLIANT,
        "gpuNodeGroups[].amiType",
    ),
    Case("gpu-node-groups-use-nvidia-ami", "cpu-group", r(NODE, CPU_NODE_GROUP), NOT_APPLICABLE),
    Case("gpu-node-groups-tainted", "tainted", r(NODE, NODE_GROUP), COMPLIANT),
    Case(
        "gpu-node-groups-tainted",
        "untainted",
        r(NODE, with_(NODE_GROUP, "taints", [])),
        NON_COMPLIANT,
        "nvidia.com/gpu:NoSchedule",
    ),
    Case("gpu-node-groups-tainted", "cpu-group", r(NODE, CPU_NODE_GROUP), NOT_APPLICABLE),
    Case("gpu-node-groups-disk-at-least-min", "200gib", r(NODE, NODE_GROUP), COMPLIANT),
    Case(
        "gpu-node-groups-disk-at-least-min",
        "default-20gib",
        r(NODE, with_(NODE_GROUP, "diskSize", ...)),
        NON_COMPLIANT,
        "20 GiB disk",
    ),
    Case(
        "gpu-node-groups-disk-at-least-min",
        "configured-300",
        r(NODE, NODE_GROUP, {"minDiskSizeGib": 300}),
        NON_COMPLIANT,
        "at least 300 GiB",
    ),
    Case(
        "gpu-node-groups-disk-at-least-min",
        "launch-template",
        r(NODE, with_(with_(NODE_GROUP, "diskSize", ...), "launchTemplate", {"name": "gpu", "version": "1"})),
        NOT_APPLICABLE,
    ),
    Case("gpu-node-groups-use-allowed-instance-types", "g5", r(NODE, NODE_GROUP), COMPLIANT),
    Case(
        "gpu-node-groups-use-allowed-instance-types",
        "p3",
        r(NODE, with_(NODE_GROUP, "instanceTypes", ["p3.2xlarge"])),
        NON_COMPLIANT,
        "p3.2xlarge",
    ),
    Case(
        "gpu-node-groups-use-allowed-instance-types",
        "restricted-by-config",
        r(NODE, NODE_GROUP, {"allowedInstanceTypes": ["g6.*"]}),
        NON_COMPLIANT,
        "g5.xlarge",
    ),
    Case("gpu-node-groups-use-allowed-instance-types", "cpu", r(NODE, CPU_NODE_GROUP), NOT_APPLICABLE),
    # NIM workloads
    Case("nim-pods-annotated-for-scraping", "default", r(DEPLOYMENT, NIM_DEPLOYMENT), COMPLIANT),
    Case(
        "nim-pods-annotated-for-scraping",
        "on-workload-metadata",
        r(
            DEPLOYMENT,
            with_(
                with_(NIM_DEPLOYMENT, "spec.template.metadata.annotations", {}),
                "metadata.annotations",
                {"metrics.dynatrace.com/scrape": "true"},
            ),
        ),
        NON_COMPLIANT,
        "not the pod template",
    ),
    Case(
        "nim-pods-annotated-for-scraping",
        "old-path",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, (*TEMPLATE_ANNOTATIONS, "metrics.dynatrace.com/path"), "/metrics")),
        NON_COMPLIANT,
        "/metrics",
    ),
    Case("nim-pods-annotated-for-scraping", "collector", r(DAEMONSET, COLLECTOR_DAEMONSET), NOT_APPLICABLE),
    Case("gpu-requests-equal-limits", "equal", r(DEPLOYMENT, NIM_DEPLOYMENT), COMPLIANT),
    Case(
        "gpu-requests-equal-limits",
        "limit-only",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.resources.requests", {"cpu": "4"})),
        COMPLIANT,
    ),
    Case(
        "gpu-requests-equal-limits",
        "request-without-limit",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.resources.limits", {"memory": "32Gi"})),
        NON_COMPLIANT,
        "limits None",
    ),
    Case(
        "gpu-requests-equal-limits",
        "different",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, (*CONTAINER, "resources", "limits", "nvidia.com/gpu"), "2")),
        NON_COMPLIANT,
        "requests 1 and limits 2",
    ),
    Case("gpu-requests-equal-limits", "no-gpu", r(DAEMONSET, COLLECTOR_DAEMONSET), NOT_APPLICABLE),
    Case("nim-containers-run-as-non-root", "uid-1000", r(DEPLOYMENT, NIM_DEPLOYMENT), COMPLIANT),
    Case(
        "nim-containers-run-as-non-root",
        "root",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.securityContext.runAsUser", 0.0)),
        NON_COMPLIANT,
        "runAsUser=0.0",
    ),
    Case(
        "nim-containers-run-as-non-root",
        "unset",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, "spec.template.spec.securityContext", {})),
        NON_COMPLIANT,
        "may run as root",
    ),
    Case("nim-containers-run-as-non-root", "collector", r(DAEMONSET, COLLECTOR_DAEMONSET), NOT_APPLICABLE),
    Case("nim-containers-disallow-privilege-escalation", "false", r(DEPLOYMENT, NIM_DEPLOYMENT), COMPLIANT),
    Case(
        "nim-containers-disallow-privilege-escalation",
        "unset",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.securityContext", ...)),
        NON_COMPLIANT,
        "allowPrivilegeEscalation=None",
    ),
    Case(
        "nim-containers-disallow-privilege-escalation",
        "privileged",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.securityContext.privileged", True)),
        NON_COMPLIANT,
        "privileged=True",
    ),
    Case(
        "nim-containers-disallow-privilege-escalation",
        "configmap",
        r(CONFIG_MAP, collector_config_map()),
        NOT_APPLICABLE,
    ),
    Case("nim-images-pinned", "1.8.6", r(DEPLOYMENT, NIM_DEPLOYMENT), COMPLIANT),
    Case(
        "nim-images-pinned",
        "digest",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.image", "nvcr.io/nim/meta/llama@sha256:" + "a" * 64)),
        COMPLIANT,
    ),
    Case(
        "nim-images-pinned",
        "latest",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.image", "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest")),
        NON_COMPLIANT,
        "nims[].image",
    ),
    Case(
        "nim-images-pinned",
        "untagged",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.image", "nvcr.io/nim/meta/llama-3.1-8b-instruct")),
        NON_COMPLIANT,
        "unpinned image",
    ),
    Case(
        "nim-images-pinned",
        "latest-any-case-with-digest",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.image", "nvcr.io/nim/llama:Latest@sha256:" + "a" * 64)),
        NON_COMPLIANT,
        "tag 'Latest'",
    ),
    Case(
        "nim-images-pinned",
        "upper-case-path",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.image", "nvcr.io/nim/Meta/llama:1.8.6")),
        NON_COMPLIANT,
        "upper case",
    ),
    Case("nim-images-pinned", "collector", r(DAEMONSET, COLLECTOR_DAEMONSET), NOT_APPLICABLE),
    Case("nim-credentials-from-secret-refs", "secret-ref", r(DEPLOYMENT, NIM_DEPLOYMENT), COMPLIANT),
    Case(
        "nim-credentials-from-secret-refs",
        "configmap-ref",
        r(
            DEPLOYMENT,
            with_(
                NIM_DEPLOYMENT,
                f"{NIM_CONTAINER}.env.0.valueFrom",
                {"configMapKeyRef": {"name": "ngc", "key": "NGC_API_KEY"}},
            ),
        ),
        NON_COMPLIANT,
        "a non-Secret source",
    ),
    Case(
        "nim-credentials-from-secret-refs",
        "literal",
        r(DEPLOYMENT, with_(NIM_DEPLOYMENT, f"{NIM_CONTAINER}.env.0", {"name": "NGC_API_KEY", "value": "x" * 30})),
        NON_COMPLIANT,
        "from a literal",
    ),
    Case("nim-credentials-from-secret-refs", "collector", r(DAEMONSET, COLLECTOR_DAEMONSET), NOT_APPLICABLE),
    # collector
    Case("collector-memory-limiter-first", "new-names", r(CONFIG_MAP, collector_config_map()), COMPLIANT),
    Case(
        "collector-memory-limiter-first",
        "batch-first",
        r(
            CONFIG_MAP,
            collector_config_map(
                COLLECTOR_CONFIG_YAML.replace(
                    "processors: [memory_limiter, k8s_attributes, batch]", "processors: [batch, memory_limiter]"
                )
            ),
        ),
        NON_COMPLIANT,
        "pipeline 'traces' starts with ['batch']",
    ),
    Case(
        "collector-memory-limiter-first",
        "plain-configmap",
        r(CONFIG_MAP, {"metadata": {"name": "otel-instrumentation"}, "data": {"OTEL_SERVICE_NAME": "x"}}),
        NOT_APPLICABLE,
    ),
    Case(
        "collector-delta-staleness-exceeds-scrape-interval",
        "5m-vs-30s",
        r(CONFIG_MAP, collector_config_map()),
        COMPLIANT,
    ),
    Case(
        "collector-delta-staleness-exceeds-scrape-interval",
        "old-names-25h",
        r(
            CONFIG_MAP,
            collector_config_map(
                COLLECTOR_CONFIG_YAML.replace("cumulative_to_delta", "cumulativetodelta").replace("5m", "25h")
            ),
        ),
        COMPLIANT,
    ),
    Case(
        "collector-delta-staleness-exceeds-scrape-interval",
        "20s-vs-30s",
        r(CONFIG_MAP, collector_config_map(COLLECTOR_CONFIG_YAML.replace("max_staleness: 5m", "max_staleness: 20s"))),
        NON_COMPLIANT,
        "max_staleness '20s', not longer than the scrape interval 30s",
    ),
    Case(
        "collector-delta-staleness-exceeds-scrape-interval",
        "old-name-missing-staleness",
        r(
            CONFIG_MAP,
            collector_config_map(
                COLLECTOR_CONFIG_YAML.replace("cumulative_to_delta", "cumulativetodelta").replace(
                    "    max_staleness: 5m\n", "    {}\n"
                )
            ),
        ),
        NON_COMPLIANT,
        "processor 'cumulativetodelta' has max_staleness None",
    ),
    Case(
        "collector-delta-staleness-exceeds-scrape-interval",
        "no-delta",
        r(
            CONFIG_MAP,
            collector_config_map(
                COLLECTOR_CONFIG_YAML.replace("  cumulative_to_delta:\n    max_staleness: 5m\n", "").replace(
                    " cumulative_to_delta,", ""
                )
            ),
        ),
        NON_COMPLIANT,
        "no cumulative-to-delta processor",
    ),
    Case(
        "collector-delta-staleness-exceeds-scrape-interval",
        "daemonset",
        r(DAEMONSET, COLLECTOR_DAEMONSET),
        NOT_APPLICABLE,
    ),
    Case("collector-exporter-token-from-env", "env", r(CONFIG_MAP, collector_config_map()), COMPLIANT),
    Case(
        "collector-exporter-token-from-env",
        "old-name-literal",
        r(
            CONFIG_MAP,
            collector_config_map(
                COLLECTOR_CONFIG_YAML.replace("otlp_http", "otlphttp").replace("${env:DT_API_TOKEN}", API_TOKEN)
            ),
        ),
        NON_COMPLIANT,
        "exporter 'otlphttp' does not take its Authorization token from the environment",
    ),
    Case(
        "collector-exporter-token-from-env",
        "no-header",
        r(
            CONFIG_MAP,
            collector_config_map(
                COLLECTOR_CONFIG_YAML.replace(
                    '    headers:\n      Authorization: "Api-Token ${env:DT_API_TOKEN}"\n', ""
                )
            ),
        ),
        NON_COMPLIANT,
        "no header",
    ),
    Case(
        "collector-exporter-token-from-env",
        "debug-only",
        r(
            CONFIG_MAP,
            collector_config_map(
                "exporters: {debug: {}}\nservice: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}\n"
            ),
        ),
        NOT_APPLICABLE,
    ),
    Case("collector-resource-limits-set", "limits", r(DAEMONSET, COLLECTOR_DAEMONSET), COMPLIANT),
    Case(
        "collector-resource-limits-set",
        "no-cpu-limit",
        r(DAEMONSET, with_(COLLECTOR_DAEMONSET, "spec.template.spec.containers.0.resources.limits", {"memory": "1Gi"})),
        NON_COMPLIANT,
        "has no cpu limit",
    ),
    Case("collector-resource-limits-set", "nim", r(DEPLOYMENT, NIM_DEPLOYMENT), NOT_APPLICABLE),
    # iam-no-wildcard-action-on-wildcard-resource
    Case(
        "iam-no-wildcard-action-on-wildcard-resource",
        "scoped",
        r("aws:iam/rolePolicy:RolePolicy", ROLE_POLICY),
        COMPLIANT,
    ),
    Case(
        "iam-no-wildcard-action-on-wildcard-resource",
        "admin-role-policy",
        r("aws:iam/rolePolicy:RolePolicy", with_(ROLE_POLICY, "policy", iam_document(WILDCARD))),
        NON_COMPLIANT,
        "allows * on Resource '*'",
    ),
    Case(
        "iam-no-wildcard-action-on-wildcard-resource",
        "service-wildcard-inline",
        r(
            "aws:iam/role:Role",
            {
                "assumeRolePolicy": iam_document(
                    {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ),
                "inlinePolicies": [
                    {
                        "name": "logs",
                        "policy": iam_document({"Effect": "Allow", "Action": ["logs:*"], "Resource": ["*"]}),
                    }
                ],
                "tags": TAGS,
            },
        ),
        NON_COMPLIANT,
        "inlinePolicies[0] allows logs:*",
    ),
    Case(
        "iam-no-wildcard-action-on-wildcard-resource",
        "deny-star",
        r("aws:iam/policy:Policy", {"policy": iam_document({**WILDCARD, "Effect": "Deny"})}),
        COMPLIANT,
    ),
    Case(
        "iam-no-wildcard-action-on-wildcard-resource",
        "wildcard-queue-policy",
        r(QPOLICY, with_(QUEUE_POLICY, "policy", iam_document({**WILDCARD, "Principal": "*"}))),
        NON_COMPLIANT,
        "QueuePolicy",
    ),
    Case("iam-no-wildcard-action-on-wildcard-resource", "rule", r(RULE, EVENT_RULE), NOT_APPLICABLE),
    # cross-account-role-trust-requires-external-id
    Case(
        "cross-account-role-trust-requires-external-id",
        "monitoring-role-with-external-id",
        r("aws:iam/role:Role", {"assumeRolePolicy": iam_document(MONITORING_TRUST), "tags": TAGS}),
        COMPLIANT,
    ),
    Case(
        "cross-account-role-trust-requires-external-id",
        "monitoring-role-without-external-id",
        r(
            "aws:iam/role:Role",
            {"assumeRolePolicy": iam_document({k: v for k, v in MONITORING_TRUST.items() if k != "Condition"})},
        ),
        NON_COMPLIANT,
        "without an sts:ExternalId condition",
    ),
    Case(
        "cross-account-role-trust-requires-external-id",
        "external-id-only-in-a-negated-operator",
        r(
            "aws:iam/role:Role",
            {
                "assumeRolePolicy": iam_document(
                    {**MONITORING_TRUST, "Condition": {"StringNotEquals": {"sts:ExternalId": "x"}}}
                )
            },
        ),
        NON_COMPLIANT,
        "arn:aws:iam::000000000000:root",
    ),
    Case(
        "cross-account-role-trust-requires-external-id",
        "service-role",
        r(
            "aws:iam/role:Role",
            {
                "assumeRolePolicy": iam_document(
                    {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}
                )
            },
        ),
        NOT_APPLICABLE,
    ),
    Case("cross-account-role-trust-requires-external-id", "rule", r(RULE, EVENT_RULE), NOT_APPLICABLE),
    # taggable-aws-resources-have-required-tags
    Case("taggable-aws-resources-have-required-tags", "tagged", r(RULE, EVENT_RULE), COMPLIANT),
    Case(
        "taggable-aws-resources-have-required-tags",
        "no-owner",
        r(RULE, with_(EVENT_RULE, "tags", {"environment": "dev"})),
        NON_COMPLIANT,
        "lacks required tag(s) owner",
    ),
    Case(
        "taggable-aws-resources-have-required-tags",
        "untagged-node-group",
        r(NODE, with_(NODE_GROUP, "tags", ...)),
        NON_COMPLIANT,
        "environment, owner",
    ),
    Case(
        "taggable-aws-resources-have-required-tags",
        "configured-cost-center",
        r(RULE, EVENT_RULE, {"requiredTags": ["cost-center"]}),
        NON_COMPLIANT,
        "cost-center",
    ),
    Case("taggable-aws-resources-have-required-tags", "event-target", r(TARGET, EVENT_TARGET), NOT_APPLICABLE),
    Case("taggable-aws-resources-have-required-tags", "k8s", r(DEPLOYMENT, NIM_DEPLOYMENT), NOT_APPLICABLE),
    # Dynatrace AI alerts
    Case(
        "ai-alert-detectors-enabled",
        "guardrail-on",
        r(DT + "SettingsObject", DETECTORS["guardrailActivations"]),
        COMPLIANT,
    ),
    Case(
        "ai-alert-detectors-enabled",
        "forwarding-off",
        r(DT + "SettingsObject", with_(DETECTORS["forwarding"], "value.enabled", False)),
        NON_COMPLIANT,
        "forwarding",
    ),
    Case(
        "ai-alert-detectors-enabled",
        "optional-alert-off",
        r(DT + "SettingsObject", with_(DETECTORS["tokenUsage"], "value.enabled", False)),
        NOT_APPLICABLE,
    ),
    Case(
        "ai-alert-detectors-exist",
        "both",
        s(
            (GUARD, GUARDRAIL),
            (DT + "OpenPipelineRoute", ROUTE),
            *((DT + "SettingsObject", d) for d in DETECTORS.values()),
        ),
        COMPLIANT,
    ),
    Case(
        "ai-alert-detectors-exist",
        "no-guardrail-alert",
        s((GUARD, GUARDRAIL), (DT + "OpenPipelineRoute", ROUTE), (DT + "SettingsObject", DETECTORS["forwarding"])),
        NON_COMPLIANT,
        "guardrailActivations",
    ),
    Case("ai-alert-detectors-exist", "bucket-only", s((DT + "GrailBucket", GRAIL_BUCKET)), NOT_APPLICABLE),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.policy}:{c.id}" for c in CASES])
def test_rule(case: Case) -> None:
    outcome, reported = run(POLICIES[case.policy], case.build())
    assert outcome == case.expected, reported
    if case.expected is NON_COMPLIANT:
        message = reported[0][0]
        assert case.mentions in message, message
        for text, _ in reported:
            assert "Why: " in text, text
            assert "Fix: " in text, text
    else:
        assert reported == []


def test_non_compliant_stack_findings_name_the_resource() -> None:
    args = stack_args([policy_resource(GUARD, GUARDRAIL, "lonely")])
    _, reported = run(POLICIES["guardrails-have-pinned-version"], args)
    assert reported
    assert reported[0][1] == urn(GUARD, "lonely")


def test_guardrail_version_linked_by_dependency_not_parent() -> None:
    """Under the engine a version is linked through its guardrailArn property dependency."""
    guardrail = policy_resource(GUARD, GUARDRAIL, "a", parent=COMPONENT)
    version = policy_resource(GUARD_V, GUARDRAIL_VERSION, "a-v1", parent="urn:elsewhere")
    version.property_dependencies["guardrailArn"] = [guardrail]
    outcome, _ = run(POLICIES["guardrails-have-pinned-version"], stack_args([guardrail, version]))
    assert outcome is COMPLIANT


def test_connection_value_is_allowed_to_hold_the_token_in_plain_engine_view() -> None:
    """The EventBridge connection is where the token belongs: the plain-text rule ignores it."""
    outcome, _ = run(
        POLICIES["no-credentials-in-plain-text"],
        resource_args("aws:cloudwatch/eventConnection:EventConnection", CONNECTION),
    )
    assert outcome is COMPLIANT


def test_event_pattern_matcher_on_the_shared_sample_event() -> None:
    """The matcher behind bedrock-rule-excludes-inference agrees with EventBridge on a real event."""
    from policies.rules._event_pattern import may_match

    event = json.loads((Path(__file__).resolve().parents[1] / "aws/events/ct-create-guardrail.json").read_text())
    assert may_match(GOVERNANCE_PATTERN, event)
    assert not may_match(with_(GOVERNANCE_PATTERN, "$or.0.detail.eventName", ["InvokeModel"]), event)
    assert not may_match({"source": ["aws.ec2"]}, event)
    assert may_match(
        {"detail": {"eventName": [{"prefix": "Create"}], "awsRegion": [{"anything-but": "us-east-1"}]}}, event
    )
    assert not may_match({"detail": {"userAgent": [{"exists": False}]}}, event)
