"""``ai-observability:eventForwarding`` — Bedrock governance events → Dynatrace business events."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator, model_validator

from ._base import AwsName, ConfigModel

_TRAIL_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]{3,128}$")
_SNS_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")

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
)
INFERENCE_OPERATIONS: frozenset[str] = frozenset(
    {"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"}
)


class TrailConfig(ConfigModel):
    create: bool = True
    """Create a multi-region management-events trail; false = use ``existingTrailArn``."""
    existing_trail_arn: str | None = None
    log_expiration_days: Annotated[int, Field(ge=184, le=36500)] = 400
    """S3 lifecycle expiry of the trail's logs (≥184 days: six months for the EU AI Act)."""

    @field_validator("existing_trail_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is not None and not _TRAIL_ARN.match(value):
            raise ValueError("must be a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>)")
        return value

    @model_validator(mode="after")
    def _declared(self) -> TrailConfig:
        if not self.create and self.existing_trail_arn is None:
            raise ValueError(
                "@existingTrailArn: is required when create is false (Bedrock API calls reach "
                "EventBridge only through an enabled CloudTrail trail)"
            )
        if self.create and self.existing_trail_arn is not None:
            raise ValueError("@existingTrailArn: must not be set when create is true")
        return self


class RetryConfig(ConfigModel):
    maximum_retry_attempts: Annotated[int, Field(ge=0, le=185)] = 185
    maximum_event_age_seconds: Annotated[int, Field(ge=60, le=86400)] = 86400


class DeadLetterConfig(ConfigModel):
    message_retention_seconds: Annotated[int, Field(ge=60, le=1209600)] = 1209600


class AlarmsConfig(ConfigModel):
    enabled: bool = True
    sns_topic_arn: str | None = None
    """Existing SNS topic for alarm actions; omit (and leave createTopic false) for no actions."""
    create_topic: bool = False

    @field_validator("sns_topic_arn")
    @classmethod
    def _arn(cls, value: str | None) -> str | None:
        if value is not None and not _SNS_ARN.match(value):
            raise ValueError("must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)")
        return value

    @model_validator(mode="after")
    def _one_topic(self) -> AlarmsConfig:
        if self.create_topic and self.sns_topic_arn is not None:
            raise ValueError("@createTopic: cannot be true when snsTopicArn is set")
        return self


class EventForwardingConfig(ConfigModel):
    enabled: bool = True
    name_prefix: AwsName = "bedrock-governance"
    event_bus_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._/-]{1,256}$")] = "default"
    rate_limit_per_second: Annotated[int, Field(ge=1, le=300)] = 100
    include_job_state_changes: bool = True
    operations: list[str] = Field(default_factory=lambda: list(GOVERNANCE_OPERATIONS))
    kms_key_arn: str | None = None
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
        for op in value:
            if not re.fullmatch(r"[A-Z][A-Za-z]{2,80}", op):
                raise ValueError(f"{op!r} is not a Bedrock API operation name")
            if op in INFERENCE_OPERATIONS:
                raise ValueError(
                    f"{op!r} is inference traffic, not a governance event; allowed: "
                    "control-plane operations such as CreateGuardrail"
                )
        if len(set(value)) != len(value):
            raise ValueError("operations must not repeat")
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        if value is not None and not _KMS_ARN.match(value):
            raise ValueError("must be a KMS key or alias ARN")
        return value
