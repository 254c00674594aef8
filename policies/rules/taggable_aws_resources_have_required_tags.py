"""Every taggable AWS resource carries the required tags.

Applies to AWS resources whose type accepts ``tags``: a type is taggable when its pulumi-aws
``<Type>Args`` class takes a ``tags`` argument (detected once per type when pulumi-aws is
importable), otherwise when it is on ``TAGGABLE_FALLBACK``, the taggable types this stack uses.
Compliant when each key of ``requiredTags`` (default ``environment``, ``owner``) has a non-empty
value in ``tags`` or ``tagsAll``.

Why: tags attribute cost, ownership and environment; untagged resources are orphaned in audits
and cost reports.

Fix: set the keys in ``ai-observability:tags`` (every component applies them), or change
``requiredTags`` for this rule in ``policies/config/<stack>.json``.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from functools import lru_cache

from pulumi_policy import ResourceValidationArgs

from ._support import ResourceRule, Verdict, get, judge, label, not_applicable, schema, settings, string_list, violation

DEFAULT_REQUIRED_TAGS = ["environment", "owner"]
CONFIG = schema(requiredTags=string_list(DEFAULT_REQUIRED_TAGS, "Tag keys every taggable AWS resource must carry."))

# Taggable types this stack creates (used when pulumi-aws cannot be imported by the pack).
TAGGABLE_FALLBACK: frozenset[str] = frozenset(
    {
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudtrail/trail:Trail",
        "aws:sqs/queue:Queue",
        "aws:sns/topic:Topic",
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:kms/key:Key",
        "aws:bedrock/guardrail:Guardrail",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/addon:Addon",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/securityGroup:SecurityGroup",
    }
)


@lru_cache(maxsize=256)
def is_taggable(resource_type: str) -> bool:
    """Whether an ``aws:<module>/<name>:<Type>`` resource accepts ``tags``."""
    try:
        _, module_path, class_name = resource_type.split(":")
    except ValueError:
        return False
    module_name = module_path.split("/", 1)[0]
    try:
        with warnings.catch_warnings():
            # pulumi_aws.s3 warns about its own deprecated *V2 classes on import.
            warnings.simplefilter("ignore", DeprecationWarning)
            module = importlib.import_module("pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}")
            args_class = getattr(module, f"{class_name}Args")
    except (ImportError, AttributeError):
        return resource_type in TAGGABLE_FALLBACK
    return "tags" in inspect.signature(args_class.__init__).parameters


def check(args: ResourceValidationArgs) -> Verdict:
    """A taggable AWS resource carries every required tag with a non-empty value."""
    if not args.resource_type.startswith("aws:") or not is_taggable(args.resource_type):
        return not_applicable("only AWS resources that accept tags")
    required = [str(t) for t in settings(args, CONFIG)["requiredTags"]]
    missing = [key for key in required if not (get(args.props, "tags", key) or get(args.props, "tagsAll", key))]
    if not missing:
        return judge([])
    return judge(
        [
            violation(
                f"{label(args)} lacks required tag(s) {', '.join(missing)}",
                "tags attribute cost, ownership and environment; untagged resources are orphaned in audits "
                "and cost reports",
                f"set {', '.join(missing)} in ai-observability:tags (every component applies them), or change "
                "taggable-aws-resources-have-required-tags.requiredTags in the policy pack config",
            )
        ]
    )


taggable_aws_resources_have_required_tags = ResourceRule(
    "taggable-aws-resources-have-required-tags",
    "Every taggable AWS resource carries the required tags (default: environment, owner).",
    check,
    config_schema=CONFIG,
    remediation_steps="Set the required keys in ai-observability:tags.",
)
