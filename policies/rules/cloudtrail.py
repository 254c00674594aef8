"""The CloudTrail trail this stack creates is trustworthy.

- ``cloudtrail-multi-region-validated`` (resource): multi-region, log file validation on.
- ``cloudtrail-bucket-encrypted-versioned-private`` (stack): the trail's S3 bucket (when the
  stack creates it) has default encryption, versioning enabled and all four public-access
  blocks — either as separate ``aws:s3/bucket*`` resources or inline on the bucket.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from ._support import (
    Finding,
    ResourceRule,
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

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
_FIX_TRAIL = "the event-forwarding component creates the trail (ai-observability:eventForwarding.trail.create)"


def check_trail(args: ResourceValidationArgs) -> Verdict:
    """The trail is multi-region and validates its log files."""
    if args.resource_type != TRAIL:
        return not_applicable("only CloudTrail trails")
    findings = []
    if get(args.props, "isMultiRegionTrail") is not True:
        findings.append(
            violation(
                f"trail {label(args)} is not multi-region",
                "Bedrock calls in other regions would go unrecorded and never reach the governance pipeline",
                f"set isMultiRegionTrail=true; {_FIX_TRAIL}",
            )
        )
    if get(args.props, "enableLogFileValidation") is not True:
        findings.append(
            violation(
                f"trail {label(args)} does not validate log files",
                "without digest files nobody can prove the audit logs were not altered or deleted",
                f"set enableLogFileValidation=true; {_FIX_TRAIL}",
            )
        )
    return judge(findings)


cloudtrail_multi_region_validated = ResourceRule(
    "cloudtrail-multi-region-validated",
    "CloudTrail trails of the stack are multi-region with log file validation.",
    check_trail,
    remediation_steps="Set isMultiRegionTrail and enableLogFileValidation on the trail.",
)


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


def check_bucket(args: StackValidationArgs) -> Verdict:
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
                    f"keep the bucket settings of the event-forwarding component; {_FIX_TRAIL}",
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
    check_bucket,
    remediation_steps="Add SSE, versioning and a full public access block to the trail bucket.",
)
