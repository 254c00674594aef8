"""The IAM documents of docs/: least privilege, and enough for what the stack really creates.

A small evaluator (Allow statements, IAM wildcards, the condition operators the documents use)
answers "may the deploy role do X on Y?"; the offline plans of the committed stacks say which
X and Y a `pulumi up` needs. A resource type the mapping below does not know fails the test, so
a new kind of resource cannot land without the deploy role being able to create it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

DOCS = ROOT / "docs"
DEPLOY = DOCS / "deploy-role-policy.json"
PREVIEW = DOCS / "preview-role-policy.json"
TRUSTS = {"deploy": DOCS / "deploy-role-trust-policy.json", "preview": DOCS / "preview-role-trust-policy.json"}
INLINE_POLICY_LIMIT = 10_240  # characters, whitespace excluded, all inline policies of a role
READ_VERBS = ("Describe", "Get", "List")
# Actions that have no resource-level permissions: they may (must) use "Resource": "*".
RESOURCELESS_WRITES = {
    "bedrock:PutModelInvocationLoggingConfiguration",
    "bedrock:DeleteModelInvocationLoggingConfiguration",
    "iam:CreateServiceLinkedRole",
    "kms:CreateKey",
    "kms:TagResource",
}
AUTONAME_SUFFIX = "-1a2b3c4"  # Pulumi auto-naming appends "-" and 7 hex characters


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key not in context:
                return False
            value = context[key]
            if operator in ("StringEquals", "ArnEquals"):
                ok = value in _as_list(expected)
            elif operator in ("StringLike", "ArnLike"):
                ok = any(_like(p, value) for p in _as_list(expected))
            elif operator == "Bool":
                ok = value == str(expected).lower()
            else:
                raise AssertionError(f"the evaluator does not know condition operator {operator}")
            if not ok:
                return False
    return True


def allows(policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str] | None = None) -> bool:
    """Does an Allow statement of ``policy`` grant ``action`` on ``resource`` (no Deny statements)?"""
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        if not any(_like(p.lower(), action.lower()) for p in _as_list(statement["Action"])):
            continue
        if not any(_like(p, resource) for p in _as_list(statement["Resource"])):
            continue
        if "Condition" in statement and not _condition_holds(statement["Condition"], context or {}):
            continue
        return True
    return False


# --- Shape and least privilege ----------------------------------------------------------------


@pytest.mark.parametrize("path", [DEPLOY, PREVIEW, *TRUSTS.values()], ids=lambda p: p.name)
def test_policy_documents_are_well_formed(path: Path) -> None:
    document = load(path)
    assert document["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids)), "Sids are unique"
    for statement in document["Statement"]:
        assert re.fullmatch(r"[A-Za-z0-9]+", statement["Sid"])
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement
        assert "NotResource" not in statement
    assert len(json.dumps(document, separators=(",", ":"))) <= INLINE_POLICY_LIMIT


@pytest.mark.parametrize("path", [DEPLOY, PREVIEW], ids=lambda p: p.name)
def test_no_wildcard_actions_and_no_unscoped_writes(path: Path) -> None:
    for statement in load(path)["Statement"]:
        resources = _as_list(statement["Resource"])
        for action in _as_list(statement["Action"]):
            name = action.partition(":")[2]
            assert name not in ("", "*"), f"{statement['Sid']}: {action} is a wildcard"
            writes = not name.startswith(READ_VERBS)
            if writes and "*" in resources:
                assert action in RESOURCELESS_WRITES, f"{statement['Sid']}: {action} on every resource"
                if action not in {
                    "bedrock:PutModelInvocationLoggingConfiguration",
                    "bedrock:DeleteModelInvocationLoggingConfiguration",
                }:
                    assert "Condition" in statement, f"{statement['Sid']}: {action} on * needs a condition"


def test_pass_role_is_limited_to_stack_roles_and_their_services() -> None:
    policy = load(DEPLOY)
    passing = [s for s in policy["Statement"] if "iam:PassRole" in _as_list(s["Action"])]
    assert passing
    for statement in passing:
        assert "*" not in _as_list(statement["Resource"])
        assert "iam:PassedToService" in statement["Condition"]["StringEquals"]
    role = "arn:aws:iam::111122223333:role/bedrock-governance-dev-target-1a2b3c4"
    assert allows(policy, "iam:PassRole", role, {"iam:PassedToService": "events.amazonaws.com"})
    assert not allows(policy, "iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"})
    assert not allows(
        policy,
        "iam:PassRole",
        "arn:aws:iam::111122223333:role/OrganizationAdmin",
        {"iam:PassedToService": "events.amazonaws.com"},
    )
    # Only the AWS-managed policies EKS needs can be attached — never AdministratorAccess.
    node_role = "arn:aws:iam::111122223333:role/gpu-gpu-a10g-node-role-1a2b3c4"
    assert allows(
        policy,
        "iam:AttachRolePolicy",
        node_role,
        {"iam:PolicyARN": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
    )
    assert not allows(
        policy, "iam:AttachRolePolicy", node_role, {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}
    )
    assert not allows(policy, "iam:CreateRole", "arn:aws:iam::111122223333:role/eks-admin")


def test_the_evaluator_is_not_a_yes_machine() -> None:
    policy = load(DEPLOY)
    assert allows(policy, "s3:GetBucketPolicy", "arn:aws:s3:::ai-obs-dev-invocations-abc")  # s3:GetBucket*
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::ai-obs-dev-invocations-abc/key")
    assert not allows(policy, "s3:DeleteBucket", "arn:aws:s3:::someone-elses-bucket")
    assert not allows(policy, "kms:ScheduleKeyDeletion", "arn:aws:kms:eu-central-1:1:key/k")  # untagged key
    assert allows(
        policy, "kms:ScheduleKeyDeletion", "arn:aws:kms:eu-central-1:1:key/k", {"aws:ResourceTag/managed-by": "pulumi"}
    )


def test_preview_role_is_read_only() -> None:
    for statement in load(PREVIEW)["Statement"]:
        for action in _as_list(statement["Action"]):
            assert action.partition(":")[2].startswith(READ_VERBS), f"{action}: previews never change anything"
        assert not any(a.startswith("s3:GetObject") for a in _as_list(statement["Action"]))


@pytest.mark.parametrize(("role", "subject"), [("deploy", "environment:"), ("preview", "pull_request")])
def test_trust_policies_accept_only_this_repository_s_github_oidc_tokens(role: str, subject: str) -> None:
    statement = load(TRUSTS[role])["Statement"][0]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    equals = statement["Condition"]["StringEquals"]
    assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    subjects = _as_list(equals["token.actions.githubusercontent.com:sub"])
    assert "StringLike" not in statement["Condition"], "exact subjects only (no repo:*)"
    for sub in subjects:
        owner_repo, _, rest = sub.removeprefix("repo:").partition(":")
        assert "/" in owner_repo
        assert "*" not in sub
        assert rest.startswith(subject), f"{role} role trusted for {sub}"


# --- Enough for what the stack creates --------------------------------------------------------


@dataclass
class Needs:
    """What creating the resources of a plan asks of the deploy role."""

    region: str
    account: str
    physical: dict[tuple[str, str], str] = field(default_factory=dict)  # (type, mock name) → AWS name
    unknown: set[str] = field(default_factory=set)

    def arn(self, service: str, rest: str, regional: bool = True) -> str:
        where = f"{self.region}:{self.account}" if regional else f":{self.account}"
        return f"arn:aws:{service}:{where}:{rest}"

    def name(self, type_: str, mock_name: Any) -> str:
        return self.physical.get((type_, str(mock_name)), str(mock_name))

    def role_arn_name(self, role_arn: Any) -> str:
        return self.name("aws:iam/role:Role", str(role_arn).rsplit("/", 1)[-1])


def _physical(resource: Any) -> str:
    inputs = resource.plain_inputs
    for key in ("name", "bucket"):
        if isinstance(inputs.get(key), str) and inputs[key]:
            return str(inputs[key])
    for key in ("namePrefix", "bucketPrefix"):
        if isinstance(inputs.get(key), str) and inputs[key]:
            return str(inputs[key]) + "abc123"
    return str(resource.name) + AUTONAME_SUFFIX


def _mock_name(resource: Any) -> str:
    """The name the offline plan's mocks gave the resource (what dependents receive)."""
    inputs = resource.plain_inputs
    return str(inputs.get("name") or inputs.get("bucket") or resource.name)


Check = tuple[str, str, dict[str, str]]  # action, resource ARN, condition context
Rule = Callable[[Mapping[str, Any], str, Needs], Iterator[Check]]


def _rule_arn(i: Mapping[str, Any], name: str, n: Needs) -> str:
    bus = i.get("eventBusName")
    return n.arn("events", f"rule/{bus}/{name}" if bus and bus != "default" else f"rule/{name}")


def _pass(n: Needs, role_arn: Any, service: str) -> Check:
    return (
        "iam:PassRole",
        f"arn:aws:iam::{n.account}:role/{n.role_arn_name(role_arn)}",
        {"iam:PassedToService": service},
    )


def _bucket_sub(action: str) -> Rule:
    def rule(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
        yield action, f"arn:aws:s3:::{n.name('aws:s3/bucket:Bucket', i['bucket'])}", {}

    return rule


def _event_target(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
    yield "events:PutTargets", _rule_arn(i, n.name("aws:cloudwatch/eventRule:EventRule", i["rule"]), n), {}
    if i.get("roleArn"):
        yield _pass(n, i["roleArn"], "events.amazonaws.com")


def _connection(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
    yield "events:CreateConnection", n.arn("events", f"connection/{name}"), {}
    yield "secretsmanager:CreateSecret", n.arn("secretsmanager", f"secret:events!connection/{name}/0000-AbCdEf"), {}


def _invocation_logging(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
    yield "bedrock:PutModelInvocationLoggingConfiguration", "*", {}
    role = ((i.get("loggingConfig") or {}).get("cloudwatchConfig") or {}).get("roleArn")
    if role:
        yield _pass(n, role, "bedrock.amazonaws.com")


def _cluster(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
    yield "eks:CreateCluster", n.arn("eks", f"cluster/{name}"), {}
    yield _pass(n, i["roleArn"], "eks.amazonaws.com")


def _node_group(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
    yield "eks:CreateNodegroup", n.arn("eks", f"cluster/{i['clusterName']}"), {}
    yield _pass(n, i["nodeRoleArn"], "eks.amazonaws.com")


def _addon(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
    yield "eks:CreateAddon", n.arn("eks", f"cluster/{i['clusterName']}"), {}
    for association in i.get("podIdentityAssociations") or []:
        yield _pass(n, association["roleArn"], "pods.eks.amazonaws.com")


def _role_sub(action: str) -> Rule:
    def rule(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
        context = {"iam:PolicyARN": str(i["policyArn"])} if "policyArn" in i else {}
        yield action, f"arn:aws:iam::{n.account}:role/{n.name('aws:iam/role:Role', i['role'])}", context

    return rule


def _simple(action: str, rest: Callable[[Mapping[str, Any], str], str], service: str, regional: bool = True) -> Rule:
    def rule(i: Mapping[str, Any], name: str, n: Needs) -> Iterator[Check]:
        yield action, n.arn(service, rest(i, name), regional), {}

    return rule


RULES: dict[str, Rule] = {
    "aws:cloudwatch/eventRule:EventRule": lambda i, name, n: iter([("events:PutRule", _rule_arn(i, name, n), {})]),
    "aws:cloudwatch/eventTarget:EventTarget": _event_target,
    "aws:cloudwatch/eventConnection:EventConnection": _connection,
    "aws:cloudwatch/eventApiDestination:EventApiDestination": _simple(
        "events:CreateApiDestination", lambda i, name: f"api-destination/{name}", "events"
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _simple(
        "cloudwatch:PutMetricAlarm", lambda i, n: f"alarm:{n}", "cloudwatch"
    ),
    "aws:cloudwatch/logGroup:LogGroup": _simple("logs:CreateLogGroup", lambda i, n: f"log-group:{n}", "logs"),
    "aws:sqs/queue:Queue": _simple("sqs:CreateQueue", lambda i, n: n, "sqs"),
    "aws:sqs/queuePolicy:QueuePolicy": lambda i, name, n: iter(
        [
            (
                "sqs:SetQueueAttributes",
                n.arn("sqs", n.name("aws:sqs/queue:Queue", str(i["queueUrl"]).rsplit("/", 1)[-1])),
                {},
            )
        ]
    ),
    "aws:sns/topic:Topic": _simple("sns:CreateTopic", lambda i, n: n, "sns"),
    "aws:cloudtrail/trail:Trail": _simple("cloudtrail:CreateTrail", lambda i, n: f"trail/{n}", "cloudtrail"),
    "aws:s3/bucket:Bucket": lambda i, name, n: iter([("s3:CreateBucket", f"arn:aws:s3:::{name}", {})]),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_sub("s3:PutBucketPolicy"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_sub("s3:PutBucketPublicAccessBlock"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_sub("s3:PutBucketOwnershipControls"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_sub(
        "s3:PutEncryptionConfiguration"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_sub("s3:PutBucketVersioning"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_sub("s3:PutLifecycleConfiguration"),
    "aws:iam/role:Role": lambda i, name, n: iter(
        [("iam:CreateRole", f"arn:aws:iam::{n.account}:role{i.get('path') or '/'}{name}", {})]
    ),
    "aws:iam/rolePolicy:RolePolicy": _role_sub("iam:PutRolePolicy"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _role_sub("iam:AttachRolePolicy"),
    "aws:bedrock/guardrail:Guardrail": lambda i, name, n: iter(
        [("bedrock:CreateGuardrail", n.arn("bedrock", "guardrail/gr0123456789"), {})]
    ),
    "aws:bedrock/guardrailVersion:GuardrailVersion": lambda i, name, n: iter(
        [("bedrock:CreateGuardrailVersion", n.arn("bedrock", "guardrail/gr0123456789"), {})]
    ),
    "aws:bedrockmodel/invocationLoggingConfiguration:InvocationLoggingConfiguration": _invocation_logging,
    "aws:eks/cluster:Cluster": _cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:eks/addon:Addon": _addon,
    "aws:eks/accessEntry:AccessEntry": lambda i, name, n: iter(
        [("eks:CreateAccessEntry", n.arn("eks", f"cluster/{i['clusterName']}"), {})]
    ),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": lambda i, name, n: iter(
        [("eks:AssociateAccessPolicy", n.arn("eks", f"cluster/{i['clusterName']}"), {})]
    ),
    "aws:kms/key:Key": lambda i, name, n: iter(
        [("kms:CreateKey", "*", {"aws:RequestTag/managed-by": str((i.get("tags") or {}).get("managed-by", ""))})]
    ),
}


def missing_permissions(resources: list[Any], region: str, account: str) -> tuple[list[str], set[str]]:
    """Checks the deploy role fails for ``resources``, and the AWS types the mapping lacks."""
    policy = load(DEPLOY)
    needs = Needs(region=region, account=account)
    for resource in resources:
        needs.physical[(resource.type, _mock_name(resource))] = _physical(resource)
    failures: list[str] = []
    for resource in resources:
        if not resource.custom or not resource.type.startswith("aws:"):
            continue
        rule = RULES.get(resource.type)
        if rule is None:
            needs.unknown.add(resource.type)
            continue
        for action, arn, context in rule(resource.plain_inputs, _physical(resource), needs):
            if not allows(policy, action, arn, context):
                failures.append(f"{resource.type} {resource.name}: {action} on {arn} {context or ''}".rstrip())
    return failures, needs.unknown


def test_the_coverage_check_catches_a_resource_the_role_cannot_create() -> None:
    @dataclass
    class Fake:
        type: str
        name: str
        inputs: dict[str, Any]
        custom: bool = True

        @property
        def plain_inputs(self) -> dict[str, Any]:
            return self.inputs

    ok = [
        Fake("aws:sqs/queue:Queue", "bedrock-governance-dev-dlq", {}),
        Fake("aws:iam/role:Role", "eks-cluster-role", {}),
        Fake(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "a",
            {"role": "eks-cluster-role", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"},
        ),
        Fake("aws:s3/bucket:Bucket", "logs", {"bucketPrefix": "ai-obs-dev-invocations-"}),
        Fake("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {"bucket": "logs"}),
    ]
    assert missing_permissions(ok, "eu-central-1", "111122223333") == ([], set())
    bad = [
        Fake("aws:sqs/queue:Queue", "orders-dlq", {}),
        Fake("aws:iam/role:Role", "eks-cluster-role", {}),
        Fake(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "admin",
            {"role": "eks-cluster-role", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        ),
        Fake("aws:lambda/function:Function", "fn", {}),
    ]
    failures, unknown = missing_permissions(bad, "eu-central-1", "111122223333")
    assert len(failures) == 2
    assert "orders-dlq" in failures[0]
    assert "AdministratorAccess" in failures[1]
    assert unknown == {"aws:lambda/function:Function"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_deploy_role_can_create_everything_the_stack_plans(stack: str, planned: Callable[[str], Any]) -> None:
    from tools.mock_invokes import MOCK_ACCOUNT_ID

    raw = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    result = planned(stack)
    assert any(r.type.startswith("aws:") for r in result.resources), "the plan has no AWS resource to check"
    failures, unknown = missing_permissions(result.resources, raw.get("aws:region", "us-east-1"), MOCK_ACCOUNT_ID)
    assert unknown == set(), "map these types in tests/delivery/test_iam_policies.py RULES and grant them"
    assert failures == [], "docs/deploy-role-policy.json lacks:\n" + "\n".join(failures)
