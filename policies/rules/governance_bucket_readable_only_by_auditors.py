"""The governance bucket of the stack is readable only through an auditors' IAM policy of the stack.

A stack rule for stacks that manage access (``ai-observability:access``, IAM policies of kind
``IamPolicy``) and keep governance events (a ``bizevents`` ``GrailBucket``): compliant when at least
one policy lets its groups read each governance bucket, and every policy that does grants the
bucket-read permission for the governance bucket(s) and nothing else (``WHERE storage:bucket-name
= "<bucket>"``) — the auditors policy. A users' policy that grants every bucket, or a prefix or
pattern that matches the governance bucket, violates it. Not applicable without IAM policies or
without a governance bucket.

Why: the governance bucket holds the audit trail of who changed guardrails and model access; a
policy that reads it among other buckets hands it to everyone bound to that policy.

Fix: keep ``access.users.readBucketPrefixes`` to Dynatrace's own ``default_``/``dt_`` buckets (none
can match a custom bucket) and grant the governance bucket only through the auditors policy.
"""

from __future__ import annotations

from pulumi_policy import StackValidationArgs

from ._governance import bizevents_buckets
from ._iam_statements import bucket_access
from ._support import Finding, StackRule, Verdict, judge, label, not_applicable, of_kind, text, violation

NAME = "governance-bucket-readable-only-by-auditors"


def check(args: StackValidationArgs) -> Verdict:
    """The governance bucket is readable only through an auditors' policy (and through one)."""
    policies = of_kind(args.resources, "IamPolicy")
    if not policies:
        return not_applicable("the stack manages no IAM policy (ai-observability:access is off)")
    buckets = bizevents_buckets(args.resources)
    if not buckets:
        return not_applicable("the stack keeps no governance bucket")
    findings: list[Finding] = []
    for bucket in sorted(buckets):
        readers = 0
        for policy in policies:
            query = text(policy.props, "statement_query")
            if query is None:
                continue  # not known yet (preview): nothing to judge
            access = bucket_access(query, bucket, frozenset(buckets))
            if not access.reads:
                continue
            if access.only:
                readers += 1
                continue
            findings.append(
                violation(
                    f"IAM policy {label(policy)} lets its groups read the governance bucket {bucket!r} "
                    "together with other buckets",
                    "the governance audit trail is then readable by everyone bound to a broad policy",
                    "grant storage:buckets:read in that policy only for other buckets (e.g. startsWith "
                    '"default_"), and read the governance bucket through the auditors policy',
                    urn=policy.urn,
                )
            )
        if readers == 0 and not findings:
            findings.append(
                violation(
                    f"no IAM policy of the stack lets auditors read the governance bucket {bucket!r}",
                    "the audit trail needs readers, and they should read it through one narrow policy",
                    "keep the auditors policy of ai-observability:access (storage:buckets:read WHERE "
                    f'storage:bucket-name = "{bucket}")',
                )
            )
    return judge(findings)


governance_bucket_readable_only_by_auditors = StackRule(
    NAME,
    "The governance bucket is readable only through the auditors IAM policy.",
    check,
    remediation_steps="Grant reading the governance bucket only in the auditors policy.",
)
