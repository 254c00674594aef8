"""``ai-observability:eventForwarding`` — Bedrock governance events → Dynatrace business events."""

from __future__ import annotations

import difflib
import json
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from policies.rules._bedrock_operations import BOTOCORE_VERSION, CONTROL_PLANE_OPERATIONS
from policies.rules._bedrock_operations import INFERENCE_OPERATIONS as _INFERENCE_OPERATIONS

from ._base import AwsName, ConfigModel
from .arn import KmsKeyArn, SnsTopicArn, TrailArn

# Native Bedrock job events (exact EventBridge detail-type strings).
JOB_STATE_DETAIL_TYPES: tuple[str, ...] = (
    "Model Customization Job State Change",
    "Batch Inference Job State Change",
    "Bedrock Data Automation Job Created",
    "Bedrock Data Automation Job Succeeded",
    "Bedrock Data Automation Job Failed With Client Error",
    "Bedrock Data Automation Job Failed With Service Error",
)
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
BEDROCK_EVENT_SOURCE = "aws.bedrock"
BEDROCK_API_EVENT_SOURCE = "bedrock.amazonaws.com"

# EventBridge's service quota for one event pattern (the API accepts 4096; the quota says 2048).
MAX_EVENT_PATTERN_CHARS = 2048

# CloudTrail operations of Bedrock that matter for governance (never InvokeModel/Converse traffic).
GOVERNANCE_OPERATIONS: tuple[str, ...] = (
    "CreateGuardrail",
    "UpdateGuardrail",
    "DeleteGuardrail",
    "CreateGuardrailVersion",
    "PutEnforcedGuardrailConfiguration",
    "DeleteEnforcedGuardrailConfiguration",
    "PutModelInvocationLoggingConfiguration",
    "DeleteModelInvocationLoggingConfiguration",
    "CreateModelCustomizationJob",
    "StopModelCustomizationJob",
    "CreateModelImportJob",
    "CreateModelCopyJob",
    "DeleteCustomModel",
    "DeleteImportedModel",
    "CreateProvisionedModelThroughput",
    "UpdateProvisionedModelThroughput",
    "DeleteProvisionedModelThroughput",
    "CreateInferenceProfile",
    "DeleteInferenceProfile",
    "CreateModelInvocationJob",
    "StopModelInvocationJob",
    "CreateEvaluationJob",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
    "CreateFoundationModelAgreement",
    "PutUseCaseForModelAccess",
    # Tags drive attribute-based access and cost allocation; verify's --aws-probe also tags a guardrail.
    "TagResource",
    "UntagResource",
)
# One list for config and policy pack (the pack must stay importable without this package),
# generated from AWS's service models (``python -m tools.bedrock_operations``).
INFERENCE_OPERATIONS: frozenset[str] = frozenset(_INFERENCE_OPERATIONS)
GOVERNANCE_CANDIDATES: frozenset[str] = frozenset(CONTROL_PLANE_OPERATIONS)
"""Operations a governance event may name: every ``bedrock`` and ``bedrock-agent`` operation."""


_SHOWN_NAMES = 5


def _named(ops: list[str]) -> str:
    shown = ", ".join(repr(op[:80]) for op in ops[:_SHOWN_NAMES])
    return shown + (f" and {len(ops) - _SHOWN_NAMES} more" if len(ops) > _SHOWN_NAMES else "")


def _operation_problems(ops: list[str]) -> list[str]:
    """Why names of ``ops`` cannot be forwarded governance operations (empty when all can)."""
    problems = []
    inference = [op for op in ops if op in INFERENCE_OPERATIONS]
    if inference:
        problems.append(
            f"{_named(inference)}: inference traffic (bedrock-runtime / bedrock-agent-runtime), not governance "
            "events; allowed: control-plane operations of bedrock and bedrock-agent such as CreateGuardrail"
        )
    unknown = [op for op in ops if op not in INFERENCE_OPERATIONS and op not in GOVERNANCE_CANDIDATES]
    if unknown:
        hints = [
            f"{op!r} → {close[0]!r}"
            for op in unknown[:_SHOWN_NAMES]
            if (close := difflib.get_close_matches(op, sorted(GOVERNANCE_CANDIDATES), n=1, cutoff=0.75))
        ]
        problems.append(
            f"{_named(unknown)}: not operations of the Bedrock control-plane APIs (bedrock, bedrock-agent; AWS "
            f"service models as of botocore {BOTOCORE_VERSION})"
            + (f"; did you mean {', '.join(hints)}?" if hints else "")
        )
    return problems


def governance_event_pattern(
    operations: list[str] | tuple[str, ...], include_job_state_changes: bool
) -> dict[str, Any]:
    """The EventBridge pattern for Bedrock governance events.

    CloudTrail API calls are matched by explicit ``eventName`` (inference calls are management
    events too and must never match); native job events by their exact detail-types.
    """
    api_calls: dict[str, Any] = {
        "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        "detail": {"eventSource": [BEDROCK_API_EVENT_SOURCE], "eventName": list(operations)},
    }
    if not include_job_state_changes:
        return {"source": [BEDROCK_EVENT_SOURCE], **api_calls}
    return {
        "source": [BEDROCK_EVENT_SOURCE],
        "$or": [{"detail-type": list(JOB_STATE_DETAIL_TYPES)}, api_calls],
    }


def pattern_text(pattern: dict[str, Any]) -> str:
    """The pattern as EventBridge stores it (compact JSON); its length is what the quota counts."""
    return json.dumps(pattern, separators=(",", ":"))


class TrailConfig(ConfigModel):
    create: bool = True
    """Create a multi-region management-events trail; false = use ``existingTrailArn``."""
    existing_trail_arn: TrailArn | None = None
    """CloudTrail trail ARN of the trail that records Bedrock's management events; only (and then required) with
    ``create: false``. In the stack's region, unless ``existingTrailMultiRegion`` says otherwise."""
    existing_trail_multi_region: bool = False
    """Declares that ``existingTrailArn`` is a multi-region trail (as organization trails are), so its ARN may name
    another region of the stack's partition: the trail's home region. A multi-region trail records management events
    in every region and delivers them to each region's EventBridge; a single-region trail elsewhere would deliver
    nothing here."""
    log_expiration_days: Annotated[int, Field(ge=184, le=36500)] = 400
    """S3 lifecycle expiry of the trail's logs: at least 184 days (six months, EU AI Act Art. 19 and 26(6)), at most
    36500 (a century: S3 lifecycle rules set no maximum, this is the stack's sanity bound)."""
    management_events: Literal["All", "WriteOnly"] = "All"
    """Management events the created trail records (EventBridge only needs WriteOnly)."""
    kms_key_arn: KmsKeyArn | None = None
    """Customer KMS key for the created trail's logs (its key policy must admit CloudTrail); default SSE-S3."""

    @model_validator(mode="after")
    def _declared(self) -> TrailConfig:
        if not self.create and self.existing_trail_arn is None:
            raise ValueError(
                "@existingTrailArn: is required when create is false (Bedrock API calls reach "
                "EventBridge only through an enabled CloudTrail trail)"
            )
        if self.create and self.existing_trail_arn is not None:
            raise ValueError("@existingTrailArn: must not be set when create is true")
        if not self.create and self.kms_key_arn is not None:
            raise ValueError("@kmsKeyArn: applies only to a trail the stack creates (create is false)")
        if self.existing_trail_multi_region and self.existing_trail_arn is None:
            raise ValueError("@existingTrailMultiRegion: applies only with existingTrailArn")
        return self


class RetryConfig(ConfigModel):
    maximum_retry_attempts: Annotated[int, Field(ge=0, le=185)] = 185
    """EventBridge retries of a failed delivery (429, 5xx, timeouts) before the event goes to the dead-letter queue;
    0-185 (EventBridge ``RetryPolicy.MaximumRetryAttempts``, botocore events model)."""
    maximum_event_age_seconds: Annotated[int, Field(ge=60, le=86400)] = 86400
    """How long EventBridge keeps retrying an event; 60-86400 seconds (EventBridge
    ``RetryPolicy.MaximumEventAgeInSeconds``, botocore events model)."""


class DeadLetterConfig(ConfigModel):
    message_retention_seconds: Annotated[int, Field(ge=60, le=1209600)] = 1209600
    """Retention of undeliverable events in the SQS dead-letter queue (default 14 days); 60-1209600 seconds (SQS
    ``MessageRetentionPeriod``: 1 minute to 14 days)."""


class AlarmsConfig(ConfigModel):
    enabled: bool = True
    """CloudWatch alarms on failed invocations, events sent (or not sent) to the DLQ and the DLQ depth."""
    sns_topic_arn: SnsTopicArn | None = None
    """Existing SNS topic for alarm actions, in the stack's region (an alarm action publishes to a topic of the
    alarm's own region); omit (and leave createTopic false) for no actions."""
    create_topic: bool = False
    """Create an SNS topic for the alarm actions (not together with ``snsTopicArn``)."""
    period_seconds: Literal[60, 300, 900, 3600] = 300
    """Evaluation period of every alarm, in seconds (CloudWatch periods of a standard-resolution alarm: 60 or a
    multiple of 60; these four)."""

    @model_validator(mode="after")
    def _one_topic(self) -> AlarmsConfig:
        if self.create_topic and self.sns_topic_arn is not None:
            raise ValueError("@createTopic: cannot be true when snsTopicArn is set")
        return self


class EventForwardingConfig(ConfigModel):
    enabled: bool = True
    """Needs the ingest token (minted by ``governance`` or given as ``ai-observability:dynatraceIngestToken``)."""
    name_prefix: AwsName = "bedrock-governance"
    """Prefix of the AWS resource names; the created trail is ``<namePrefix>-trail``. Every derived name must fit its
    service's limit, counting the 8 characters (``-`` + 7 random) Pulumi appends to auto-named resources: the API
    destination ``<namePrefix>-destination-xxxxxxx`` (64) allows at most 44 characters here; the error says by how much
    to shorten it."""
    event_bus_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]{1,256}$")] = "default"
    """Event bus of the rule (Bedrock events arrive on ``default``)."""
    rate_limit_per_second: Annotated[int, Field(ge=1, le=300)] = 100
    """Invocation rate limit of the API destination: at least 1 (EventBridge ``InvocationRateLimitPerSecond``), at
    most 300 (EventBridge's default quota of invocations per second per API destination)."""
    include_job_state_changes: bool = True
    """Also forward Bedrock's native job events (model customization, batch inference, data automation)."""
    operations: list[str] = Field(default_factory=lambda: list(GOVERNANCE_OPERATIONS))
    """Bedrock CloudTrail operations forwarded as governance events: unique names of operations of the ``bedrock``
    or ``bedrock-agent`` API (AWS's service models, as botocore publishes them: a typo such as ``CreateGuardrial`` is
    refused), never inference traffic (every ``bedrock-runtime`` and ``bedrock-agent-runtime`` operation, e.g.
    ``InvokeModel``, ``Converse``, ``InvokeAgent``, ``RetrieveAndGenerate``); the resulting event pattern must stay
    under 2,048 characters (EventBridge's quota)."""
    kms_key_arn: KmsKeyArn | None = None
    """Customer KMS key for the connection's secret (optional)."""
    trail: TrailConfig = Field(default_factory=TrailConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    dead_letter: DeadLetterConfig = Field(default_factory=DeadLetterConfig)
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig)

    @field_validator("operations")
    @classmethod
    def _operations(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must list at least one operation")
        problems = _operation_problems(value)
        if problems:
            raise ValueError("; ".join(problems))
        if len(set(value)) != len(value):
            raise ValueError("operations must not repeat")
        return value

    @model_validator(mode="after")
    def _pattern_fits(self) -> EventForwardingConfig:
        size = len(pattern_text(self.event_pattern))
        if size >= MAX_EVENT_PATTERN_CHARS:
            raise ValueError(
                f"@operations: the event pattern would be {size} characters; EventBridge allows "
                f"under {MAX_EVENT_PATTERN_CHARS} per pattern (list fewer operations)"
            )
        return self

    @property
    def component_name(self) -> str:
        """The forwarder component's name, which its AWS resource names derive from (``aws_names.ForwarderNames``)."""
        return self.name_prefix

    @property
    def event_pattern(self) -> dict[str, Any]:
        """The rule's event pattern (see ``governance_event_pattern``)."""
        return governance_event_pattern(self.operations, self.include_job_state_changes)
