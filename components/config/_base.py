"""Shared base for every configuration model: camelCase keys, no unknown keys, immutable."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

# Prometheus-style durations as used by the collector (10s, 5m, 25h), bounded by Go's time.Duration.
from .durations import DURATION_PATTERN as DURATION_PATTERN
from .durations import Duration as Duration
from .durations import duration_seconds as duration_seconds

NAMESPACE = "ai-observability"


class ConfigModel(BaseModel):
    """Base for config sections: keys are camelCase in the stack file, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
        str_strip_whitespace=True,
    )


# A Kubernetes DNS-1123 label (namespaces, object names).
K8S_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
K8sName = Annotated[str, StringConstraints(pattern=K8S_NAME_PATTERN, max_length=63)]

# An AWS resource name usable as a prefix (EventBridge, SQS, IAM, CloudWatch).
AWS_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
AwsName = Annotated[str, StringConstraints(pattern=AWS_NAME_PATTERN)]


PositiveInt = Annotated[int, Field(ge=1)]

# A customer managed KMS key, by key or alias ARN (what CloudTrail, EventBridge connections,
# CloudWatch Logs and Bedrock guardrails accept as their key).
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[A-Za-z0-9/_-]+$")


def _kms_key_arn(value: str) -> str:
    if not _KMS_KEY_ARN.match(value):
        raise ValueError("must be a KMS key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>)")
    return value


KmsKeyArn = Annotated[str, AfterValidator(_kms_key_arn)]
