"""Every AWS name the stack derives, and the service limit each must fit.

One source per derived name: the components name their resources through these classes, and the
configuration check (``name_budgets``) measures the very same names before anything is planned.

A resource the program names without a physical name is auto-named by the Pulumi AWS provider:
the bridge's ``AutoName`` appends a ``-`` and 7 random hex characters to the resource name
(pulumi/pulumi-terraform-bridge ``pkg/tfbridge/info/autonaming.go``: ``Separator: "-"``,
``Randlen: 7``; the suffix comes from ``resource.NewUniqueName`` in pulumi/pulumi
``sdk/go/common/resource/resource_id.go``). pulumi-aws auto-names every resource with an input
``name`` this way (``provider/autonaming.go``) and the EventBridge target's ``targetId``
likewise (``provider/resources.go``). The service limit then applies to name + 8 characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

AUTONAME_SUFFIX: Final = 8
"""``-`` plus 7 random hex characters, appended by Pulumi's auto-naming."""


@dataclass(frozen=True)
class NameLimit:
    """What one AWS API accepts as a resource name."""

    what: str
    max_length: int
    source: str
    """Where the limit is published (the botocore service model shape, or the API reference)."""
    problem: Callable[[str], str | None] | None = None
    """A grammar rule beyond the length (None: the length is the only rule the stack can break)."""


_ADJACENT_PUNCTUATION = re.compile(r"[._-]{2}")


def _trail_name_problem(name: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]", name):
        return "must start and end with a letter or digit"
    if _ADJACENT_PUNCTUATION.search(name):
        return "must not have adjacent '.', '_' or '-' (CloudTrail refuses 'my--trail')"
    return None


# Limits, from the botocore service models (AWS's published API definitions) unless stated.
IAM_ROLE = NameLimit("IAM role name", 64, "botocore iam roleNameType (max 64)")
IAM_POLICY = NameLimit("IAM inline policy name", 128, "botocore iam policyNameType (max 128)")
EVENTBRIDGE_RULE = NameLimit("EventBridge rule name", 64, "botocore events RuleName (max 64)")
EVENTBRIDGE_CONNECTION = NameLimit("EventBridge connection name", 64, "botocore events ConnectionName (max 64)")
EVENTBRIDGE_API_DESTINATION = NameLimit(
    "EventBridge API destination name", 64, "botocore events ApiDestinationName (max 64)"
)
EVENTBRIDGE_TARGET_ID = NameLimit("EventBridge target id", 64, "botocore events TargetId (max 64)")
SQS_QUEUE = NameLimit("SQS queue name", 80, "SQS API Reference, CreateQueue QueueName: up to 80 characters")
SNS_TOPIC = NameLimit("SNS topic name", 256, "SNS API Reference, CreateTopic Name: 1-256 characters")
CLOUDWATCH_ALARM = NameLimit("CloudWatch alarm name", 255, "botocore cloudwatch AlarmName (max 255)")
LOG_GROUP = NameLimit("CloudWatch Logs log group name", 512, "botocore logs LogGroupName (max 512)")
CLOUDTRAIL_TRAIL = NameLimit(
    "CloudTrail trail name",
    128,
    "CloudTrail API Reference, CreateTrail Name: 3-128 characters, letter or digit at both ends, no adjacent . _ -",
    _trail_name_problem,
)
BEDROCK_GUARDRAIL = NameLimit("Bedrock guardrail name", 50, "botocore bedrock GuardrailName (max 50)")
EKS_NODE_GROUP = NameLimit(
    "EKS node group name", 63, "EKS API Reference, CreateNodegroup; its label value eks.amazonaws.com/nodegroup (63)"
)
EKS_CLUSTER = NameLimit("EKS cluster name", 100, "EKS API Reference, CreateCluster name: 1-100 characters")


@dataclass(frozen=True)
class DerivedName:
    """A name the stack gives an AWS resource: the Pulumi resource name, or the physical name itself."""

    text: str
    limit: NameLimit
    auto_named: bool = False
    """True: ``text`` is the Pulumi resource name and AWS sees ``text`` + ``-`` + 7 random characters."""

    @property
    def length(self) -> int:
        """Characters of the name AWS receives."""
        return len(self.text) + (AUTONAME_SUFFIX if self.auto_named else 0)

    @property
    def excess(self) -> int:
        """Characters over the limit (0 or less: fits)."""
        return self.length - self.limit.max_length

    @property
    def shown(self) -> str:
        """The name as AWS will see it (the random part written as ``-xxxxxxx``)."""
        return f"{self.text}-xxxxxxx" if self.auto_named else self.text


def _auto(text: str, limit: NameLimit) -> DerivedName:
    return DerivedName(text, limit, auto_named=True)


# AWS/Events metrics of the forwarder's rule that get an alarm each (EventBridge emits them only
# when non-zero), and the suffix of the alarm on the dead-letter queue's depth.
RULE_ALARM_METRICS: tuple[str, ...] = ("FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq")
QUEUE_ALARM_SUFFIX: Final = "dlq-messages"


def alarm_suffix(metric: str) -> str:
    """``InvocationsSentToDlq`` → ``invocations-sent-to-dlq`` (the alarm's name suffix)."""
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in metric).lstrip("-")


@dataclass(frozen=True)
class ForwarderNames:
    """Names of the Bedrock event forwarder's resources (component ``eventForwarding.namePrefix``)."""

    component: str

    @property
    def trail(self) -> DerivedName:
        return DerivedName(f"{self.component}-trail", CLOUDTRAIL_TRAIL)

    @property
    def rule(self) -> DerivedName:
        return _auto(f"{self.component}-rule", EVENTBRIDGE_RULE)

    @property
    def connection(self) -> DerivedName:
        return _auto(f"{self.component}-connection", EVENTBRIDGE_CONNECTION)

    @property
    def destination(self) -> DerivedName:
        return _auto(f"{self.component}-destination", EVENTBRIDGE_API_DESTINATION)

    @property
    def target(self) -> DerivedName:
        return _auto(f"{self.component}-dynatrace", EVENTBRIDGE_TARGET_ID)

    @property
    def target_role(self) -> DerivedName:
        return _auto(f"{self.component}-target", IAM_ROLE)

    @property
    def target_policy(self) -> DerivedName:
        return _auto(f"{self.component}-target-invoke", IAM_POLICY)

    @property
    def dead_letter_queue(self) -> DerivedName:
        return _auto(f"{self.component}-dlq", SQS_QUEUE)

    @property
    def alarm_topic(self) -> DerivedName:
        return _auto(f"{self.component}-alarms", SNS_TOPIC)

    def alarm(self, suffix: str) -> DerivedName:
        return _auto(f"{self.component}-{suffix}", CLOUDWATCH_ALARM)

    @property
    def alarms(self) -> tuple[DerivedName, ...]:
        """Every alarm: one per rule metric, one on the dead-letter queue."""
        suffixes = [alarm_suffix(metric) for metric in RULE_ALARM_METRICS] + [QUEUE_ALARM_SUFFIX]
        return tuple(self.alarm(suffix) for suffix in suffixes)


@dataclass(frozen=True)
class InvocationLoggingNames:
    """Names of the invocation-logging resources (component ``<guardrails.namePrefix>-invocation-logging``)."""

    name_prefix: str

    @property
    def component(self) -> str:
        return f"{self.name_prefix}-invocation-logging"

    @property
    def log_group(self) -> DerivedName:
        return DerivedName(f"/aws/bedrock/{self.name_prefix}/model-invocations", LOG_GROUP)

    @property
    def role(self) -> DerivedName:
        return _auto(f"{self.component}-role", IAM_ROLE)

    @property
    def role_policy(self) -> DerivedName:
        return _auto(f"{self.component}-write-logs", IAM_POLICY)


def guardrail_name(name_prefix: str, name: str) -> DerivedName:
    """A guardrail's name in Bedrock: ``<namePrefix>-<name>`` (unique per account and region)."""
    return DerivedName(f"{name_prefix}-{name}", BEDROCK_GUARDRAIL)


def node_role(prefix: str) -> DerivedName:
    """An EKS node instance role, ``<prefix>-role`` (its policy attachments are named after ``prefix``)."""
    return _auto(f"{prefix}-role", IAM_ROLE)


@dataclass(frozen=True)
class NodeGroupNames:
    """Names of a GPU node group's resources (component = the group's name)."""

    component: str

    @property
    def node_group(self) -> DerivedName:
        return DerivedName(self.component, EKS_NODE_GROUP)

    @property
    def node_role_prefix(self) -> str:
        return f"{self.component}-node"

    @property
    def node_role(self) -> DerivedName:
        return node_role(self.node_role_prefix)


def control_plane_log_group(cluster_name: str) -> DerivedName:
    """The log group EKS writes a cluster's control-plane logs to (a fixed name per cluster)."""
    return DerivedName(f"/aws/eks/{cluster_name}/cluster", LOG_GROUP)
