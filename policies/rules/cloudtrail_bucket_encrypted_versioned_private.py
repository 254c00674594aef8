"""The S3 bucket of the stack's CloudTrail trail is encrypted, versioned and blocks public access.

A stack rule: applies when the stack creates a trail and the bucket it names
(``s3BucketName``). Compliant when that bucket has default encryption, versioning ``Enabled`` and
all four public-access-block flags — as separate ``aws:s3/bucket*`` companion resources or inline
on the bucket.

Why: audit logs must be encrypted at rest, recoverable when overwritten or deleted, and never
public through an ACL or a bucket policy.

Fix: keep the bucket settings of the event-forwarding component
(``ai-observability:eventForwarding.trail.create``).
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import PolicyResource, StackValidationArgs

from ._cloudtrail import FIX_TRAIL, TRAIL
from ._support import (
    Finding,
    StackRule,
    Verdict,
    get,
    items,
    judge,
    label,
    not_applicable,
    obj,
    of_type,
    text,
    violation,
)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def bucket_identities(bucket: PolicyResource) -> set[str]:
    """Names a reference to ``bucket`` may carry: its bucket name, id, logical name.

    Under the offline plan's mocks a resource's id is ``<logical name>-id`` (the engine uses the
    bucket name), so that form is accepted too.
    """
    found = {bucket.name, f"{bucket.name}-id"}
    for key in ("bucket", "id", "arn"):
        value = text(bucket.props, key)
        if value:
            found.add(value)
    return found


def _refers_to(resource: PolicyResource, identities: set[str]) -> bool:
    return text(resource.props, "bucket") in identities


def _encrypted(bucket: PolicyResource, companions: list[PolicyResource]) -> bool:
    inline = obj(bucket.props, "serverSideEncryptionConfiguration")
    rules = items(inline, "rules") or ([obj(inline, "rule")] if obj(inline, "rule") else [])
    if any(text(r, "applyServerSideEncryptionByDefault", "sseAlgorithm") for r in rules):
        return True
    return any(
        text(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        for c in companions
        if c.resource_type in ENCRYPTION
        for rule in items(c.props, "rules")
    )


def _versioned(bucket: PolicyResource, companions: list[PolicyResource]) -> bool:
    if get(bucket.props, "versioning", "enabled") is True:
        return True
    return any(
        text(c.props, "versioningConfiguration", "status") == "Enabled"
        for c in companions
        if c.resource_type in VERSIONING
    )


def _private(_: PolicyResource, companions: list[PolicyResource]) -> bool:
    return any(
        all(get(c.props, flag) is True for flag in PUBLIC_ACCESS_FLAGS)
        for c in companions
        if c.resource_type == PUBLIC_ACCESS_BLOCK
    )


_REQUIREMENTS: list[tuple[Callable[[PolicyResource, list[PolicyResource]], bool], str, str]] = [
    (_encrypted, "has no default encryption", "audit logs must be encrypted at rest"),
    (_versioned, "is not versioned", "versioning keeps overwritten or deleted audit logs recoverable"),
    (
        _private,
        "does not block all public access (all four BucketPublicAccessBlock flags)",
        "an audit-log bucket must never become public through an ACL or bucket policy",
    ),
]


def check(args: StackValidationArgs) -> Verdict:
    """The trail's bucket, when created by the stack, is encrypted, versioned and private."""
    trails = of_type(args.resources, TRAIL)
    if not trails:
        return not_applicable("the stack creates no CloudTrail trail (an existing trail is used)")
    buckets = of_type(args.resources, *BUCKETS)
    companions = of_type(args.resources, *ENCRYPTION, *VERSIONING, PUBLIC_ACCESS_BLOCK)
    findings: list[Finding] = []
    checked = 0
    for trail in trails:
        name = text(trail.props, "s3BucketName")
        for bucket in buckets:
            identities = bucket_identities(bucket)
            if name not in identities:
                continue
            checked += 1
            own = [c for c in companions if _refers_to(c, identities)]
            findings.extend(
                violation(
                    f"bucket {label(bucket)} of trail {label(trail)} {what}",
                    why,
                    f"keep the bucket settings of the event-forwarding component; {FIX_TRAIL}",
                    urn=bucket.urn,
                )
                for test, what, why in _REQUIREMENTS
                if not test(bucket, own)
            )
    if not checked:
        return not_applicable("the trail's bucket is not created by this stack")
    return judge(findings)


cloudtrail_bucket_encrypted_versioned_private = StackRule(
    "cloudtrail-bucket-encrypted-versioned-private",
    "The S3 bucket of the stack's CloudTrail trail is encrypted, versioned and blocks public access.",
    check,
    remediation_steps="Add SSE, versioning and a full public access block to the trail bucket.",
)
