"""Amazon Resource Names the stack is given: one grammar, known partitions and regions.

``arn:<partition>:<service>:<region>:<account>:<resource>`` (IAM User Guide, "IAM identifiers",
ARN format). The partition is one of botocore's partitions and the region one the pinned AWS
provider knows, in that partition (``aws_regions.py``, generated); the account is exactly twelve
ASCII digits; each kind of ARN has its resource grammar from the service's API model (botocore's
``service-2.json``, cited per kind). Each ARN type carries its :class:`ArnKind` in its annotation,
so the check that an ARN is in the stack's own partition and region (``cross_checks.py``) finds
every ARN field by type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

from ._base import Allowed
from .aws_regions import PARTITIONS, REGIONS

_ARN = re.compile(
    r"^arn:(?P<partition>[^:]*):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.*)$", re.DOTALL
)
_ACCOUNT = re.compile(r"^[0-9]{12}$")


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str  # "" for a global service (IAM)
    account: str
    resource: str


@dataclass(frozen=True)
class ArnKind:
    """What one kind of ARN must look like, and how it relates to the stack's region."""

    noun: str
    service: str
    resource: re.Pattern[str]
    resource_text: str  # the resource grammar in words
    example: str
    regional: bool = True
    other_region_flag: str | None = None
    """A boolean field beside the ARN that, when true, declares an ARN in another region legitimate."""

    def __call__(self, value: str) -> str:
        parse_arn(value, self)
        return value


def parse_arn(value: str, kind: ArnKind) -> Arn:
    """The parts of ``value``; ``ValueError`` naming the part that breaks ``kind``'s grammar."""
    match = _ARN.match(value)
    if match is None:
        raise ValueError(f"must be a {kind.noun} such as {kind.example}")
    arn = Arn(**match.groupdict())
    if arn.partition not in PARTITIONS:
        raise ValueError(f"partition {arn.partition!r} is not an AWS partition (known: {', '.join(PARTITIONS)})")
    if arn.service != kind.service:
        raise ValueError(f"must be a {kind.noun} (service {kind.service!r}) such as {kind.example}")
    if kind.regional:
        partition = REGIONS.get(arn.region)
        if partition is None:
            raise ValueError(f"region {arn.region!r} is not an AWS region the AWS provider knows (e.g. us-east-1)")
        if partition != arn.partition:
            raise ValueError(f"region {arn.region} is in partition {partition}, not {arn.partition}")
    elif arn.region:
        raise ValueError(f"{kind.service} ARNs have no region (e.g. {kind.example})")
    if not _ACCOUNT.match(arn.account):
        raise ValueError("the account id must be exactly 12 digits 0-9")
    if not kind.resource.match(arn.resource):
        raise ValueError(f"the resource must be {kind.resource_text} (e.g. {kind.example})")
    return arn


# KMS key ids are UUIDs, multi-Region keys ``mrk-`` and 32 hex digits (KMS Developer Guide, "Key
# identifiers"; botocore bedrock ``KmsKeyArn``: ``key/[a-zA-Z0-9-]{36}``). Alias names: 1-256
# characters of ``[a-zA-Z0-9:/_-]`` including ``alias/`` (botocore kms ``AliasNameType``).
_KMS_KEY = r"key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_KMS_ALIAS = r"alias/[A-Za-z0-9:/_-]{1,250}"
KMS_KEY = ArnKind(
    "KMS key or alias ARN",
    "kms",
    re.compile(rf"^(?:{_KMS_KEY}|{_KMS_ALIAS})$"),
    "key/<key id> or alias/<alias name>",
    "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
)
KMS_KEY_ONLY = ArnKind(
    "KMS key ARN",
    "kms",
    re.compile(rf"^{_KMS_KEY}$"),
    "key/<key id> (a key ARN, not an alias)",
    "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
)
# CreateTrail ``Name``: 3-128 ASCII letters, digits, '.', '_' or '-', starting and ending with a letter
# or digit, no two of '._-' next to each other, not an IP address (botocore cloudtrail model).
TRAIL = ArnKind(
    "CloudTrail trail ARN",
    "cloudtrail",
    re.compile(r"^trail/(?![0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$)(?=.{3,128}$)[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$"),
    "trail/<name> (3-128 of A-Z a-z 0-9 . _ -, letter or digit at both ends, no two of . _ - adjacent)",
    "arn:aws:cloudtrail:eu-central-1:123456789012:trail/org-management-trail",
    other_region_flag="existing_trail_multi_region",
)
# CreateTopic ``Name``: 1-256 ASCII letters, digits, '_' and '-' (botocore sns model); alarm actions
# take standard topics.
SNS_TOPIC = ArnKind(
    "SNS topic ARN",
    "sns",
    re.compile(r"^[A-Za-z0-9_-]{1,256}$"),
    "the topic name (1-256 of A-Z a-z 0-9 _ -)",
    "arn:aws:sns:eu-central-1:123456789012:platform-oncall",
)
# IAM ``roleNameType`` ([\w+=,.@-]{1,64}, ASCII) under a path of printable ASCII (``pathType``),
# botocore iam model.
_ROLE = r"role/(?:[!-~]*/)?[A-Za-z0-9_+=,.@-]{1,64}"
IAM_ROLE = ArnKind(
    "IAM role ARN",
    "iam",
    re.compile(rf"^{_ROLE}$"),
    "role/<path/><role name>",
    "arn:aws:iam::123456789012:role/PlatformAdmin",
    regional=False,
)
IAM_PRINCIPAL = ArnKind(
    "IAM account root or role ARN",
    "iam",
    re.compile(rf"^(?:root|{_ROLE})$"),
    "root or role/<path/><role name>",
    "arn:aws:iam::123456789012:root",
    regional=False,
)

_SAME_REGION = "in the stack's partition and region (aws:region)"
KmsKeyArn = Annotated[str, AfterValidator(KMS_KEY), KMS_KEY, Allowed(f"KMS key or alias ARN {_SAME_REGION}")]
"""A customer managed KMS key, by key or alias ARN (CloudTrail, EventBridge connections, Bedrock guardrails, S3)."""
KmsKeyOnlyArn = Annotated[
    str, AfterValidator(KMS_KEY_ONLY), KMS_KEY_ONLY, Allowed(f"KMS key ARN (not an alias) {_SAME_REGION}")
]
"""A KMS key by key ARN only: CloudWatch Logs takes "the ARN of the KMS key" (botocore logs ``CreateLogGroup``)."""
TrailArn = Annotated[
    str,
    AfterValidator(TRAIL),
    TRAIL,
    Allowed(f"CloudTrail trail ARN {_SAME_REGION}, or in another region of it with existingTrailMultiRegion"),
]
SnsTopicArn = Annotated[str, AfterValidator(SNS_TOPIC), SNS_TOPIC, Allowed(f"SNS topic ARN {_SAME_REGION}")]
IamRoleArn = Annotated[str, AfterValidator(IAM_ROLE), IAM_ROLE, Allowed("IAM role ARN in the stack's partition")]
IamPrincipalArn = Annotated[
    str, AfterValidator(IAM_PRINCIPAL), IAM_PRINCIPAL, Allowed("IAM account root or role ARN in the stack's partition")
]
