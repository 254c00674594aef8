"""The AWS components' spec builders and shared facts, as plain functions: no Pulumi mocks."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.aws.eks_cluster import (
    access_config,
    admin_access_entries,
    control_plane_log_group_name,
    role_slug,
    secrets_encryption,
    system_node_group,
    vpc_config,
)
from components.aws.event_forwarding import (
    CLOUDEVENT_CONTENT_TYPE,
    CLOUDEVENT_EXTENSIONS,
    alarm_specs,
    cloudevent_transformer,
    dead_letter_queue_policy,
    rule_event_pattern,
    target_spec,
    trail_arn,
    trail_bucket_policy,
    trail_event_selector,
    trail_name,
)
from components.aws.iam import NODE_POLICIES, node_policy_attachment_name
from components.aws.invocation_logging import (
    LARGE_DATA_PREFIX,
    large_data_bucket_policy,
    log_group_name,
    logging_config,
)
from components.aws.s3 import bucket_prefix, encryption_rule, lifecycle_rule
from components.config import EventForwardingConfig, GpuNodeGroupConfig, GuardrailConfig, InvocationLoggingConfig
from components.config.kubernetes import EksConfig
from components.secret_wire import SECRET_SIG, SECRET_SIG_KEY, is_secret_wrapper, secret_wrapper
from policies.rules._gpu_nodes import GPU_INSTANCE_TYPES, NVIDIA_AMI_TYPES
from policies.rules.gpu_node_groups_use_allowed_instance_types import DEFAULT_INSTANCE_TYPES
from policies.rules.gpu_node_groups_use_nvidia_ami import AMI_CONFIG
from testsupport.aws.eventbridge_sim import CLOUDEVENT_ATTRIBUTE_NAME, validate_transformer

ROOT = Path(__file__).resolve().parents[2]
SUBNETS = ["subnet-0a1b2c3d", "subnet-0e1f2a3b"]
ADMIN = "arn:aws:iam::123456789012:role/Platform_Admins"
BUCKET_ARN = "arn:aws:s3:::example-bucket"
KMS_KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def statements(document: str) -> dict[str, dict[str, object]]:
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


# --- EksCluster -------------------------------------------------------------------------------


def eks(**overrides: object) -> EksConfig:
    return EksConfig.model_validate({"clusterName": "ai", "create": True, "subnetIds": SUBNETS, **overrides})


def test_cluster_endpoint_is_private_unless_configured_public() -> None:
    assert vpc_config(eks()) == {
        "subnet_ids": SUBNETS,
        "endpoint_private_access": True,
        "endpoint_public_access": False,
    }
    assert vpc_config(eks(endpointPublicAccess=True))["endpoint_public_access"] is True


def test_cluster_uses_access_entries_and_encrypts_secrets() -> None:
    assert access_config() == {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True}
    assert secrets_encryption(KMS_KEY) == {"provider": {"key_arn": KMS_KEY}, "resources": ["secrets"]}
    assert control_plane_log_group_name("ai") == "/aws/eks/ai/cluster"


def test_admin_roles_get_name_safe_slugs() -> None:
    config = eks(adminRoleArns=[ADMIN, "arn:aws:iam::123456789012:role/path/ci.deploy@x"])
    assert admin_access_entries(config) == [
        ("platform-admins", ADMIN),
        ("ci-deploy-x", "arn:aws:iam::123456789012:role/path/ci.deploy@x"),
    ]
    assert role_slug("arn:aws:iam::123456789012:role/--Odd--") == "odd"


def test_system_node_group_is_untainted_on_demand_standard_al2023() -> None:
    spec = system_node_group(eks(systemNodeGroup={"instanceTypes": ["m7i.xlarge"], "minSize": 3, "desiredSize": 3}))
    assert spec["node_group_name"] == "system"
    assert spec["ami_type"] == "AL2023_x86_64_STANDARD"
    assert spec["capacity_type"] == "ON_DEMAND"
    assert spec["instance_types"] == ["m7i.xlarge"]
    assert spec["scaling_config"] == {"min_size": 3, "desired_size": 3, "max_size": 3}
    assert spec["subnet_ids"] == SUBNETS
    assert "taints" not in spec  # CoreDNS and the CSI controller must fit here


def test_node_role_attachments_are_named_after_their_policies() -> None:
    names = [node_policy_attachment_name("eks-system-node", p) for p in NODE_POLICIES]
    assert names == [
        "eks-system-node-amazoneksworkernodepolicy",
        "eks-system-node-amazonec2containerregistryreadonly",
        "eks-system-node-amazoneks-cni-policy",
    ]


# --- BedrockEventForwarder --------------------------------------------------------------------


def test_target_sends_cloudevents_with_the_configured_retries() -> None:
    cfg = EventForwardingConfig.model_validate({"retry": {"maximumRetryAttempts": 5, "maximumEventAgeSeconds": 600}})
    spec = target_spec(cfg, "gen_ai.auditing")
    assert spec["http_target"] == {"header_parameters": {"Content-Type": CLOUDEVENT_CONTENT_TYPE}}
    assert spec["retry_policy"] == {"maximum_retry_attempts": 5, "maximum_event_age_in_seconds": 600}
    paths, template = cloudevent_transformer("gen_ai.auditing")
    assert spec["input_transformer"] == {"input_paths": paths, "input_template": template}


@pytest.mark.parametrize("event_type", ["gen_ai.auditing", 'odd "type" \\ with quotes'])
def test_transformer_is_one_eventbridge_accepts(event_type: str) -> None:
    paths, template = cloudevent_transformer(event_type)
    validate_transformer(paths, template)
    assert all(CLOUDEVENT_ATTRIBUTE_NAME.match(name) for name in CLOUDEVENT_EXTENSIONS)


def test_rule_pattern_is_compact_json_of_the_configured_operations() -> None:
    cfg = EventForwardingConfig.model_validate({"operations": ["CreateGuardrail"], "includeJobStateChanges": False})
    text = rule_event_pattern(cfg)
    assert text == json.dumps(cfg.event_pattern, separators=(",", ":"))
    assert json.loads(text)["detail"]["eventName"] == ["CreateGuardrail"]


def test_trail_policy_admits_only_this_trail_and_tls() -> None:
    cfg = EventForwardingConfig.model_validate({"namePrefix": "gov"})
    arn = trail_arn("aws", "eu-central-1", "123456789012", trail_name(cfg))
    assert arn == "arn:aws:cloudtrail:eu-central-1:123456789012:trail/gov-trail"
    policy = statements(trail_bucket_policy(BUCKET_ARN, "123456789012", arn))
    assert policy["CloudTrailWrite"]["Resource"] == f"{BUCKET_ARN}/AWSLogs/123456789012/*"
    assert policy["CloudTrailWrite"]["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": arn}
    }
    assert policy["CloudTrailAclCheck"]["Resource"] == BUCKET_ARN
    assert policy["DenyInsecureTransport"]["Effect"] == "Deny"
    assert trail_event_selector(cfg) == {"include_management_events": True, "read_write_type": "All"}


def test_only_the_rule_may_dead_letter() -> None:
    rule = "arn:aws:events:eu-central-1:123456789012:rule/gov-rule"
    queue = "arn:aws:sqs:eu-central-1:123456789012:gov-dlq"
    (statement,) = statements(dead_letter_queue_policy(queue, rule)).values()
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Resource"] == queue
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule}}


def test_alarms_watch_rule_failures_and_the_queue_depth() -> None:
    specs = {spec.suffix: spec for spec in alarm_specs()}
    assert set(specs) == {
        "failed-invocations",
        "invocations-sent-to-dlq",
        "invocations-failed-to-be-sent-to-dlq",
        "dlq-messages",
    }
    assert (specs["failed-invocations"].dimension, specs["failed-invocations"].statistic) == ("RuleName", "Sum")
    queue = specs["dlq-messages"]
    assert (queue.namespace, queue.metric, queue.dimension) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
    )


# --- BedrockInvocationLogging and the log bucket ----------------------------------------------


def test_logging_config_delivers_configured_modalities_and_large_bodies() -> None:
    cfg = InvocationLoggingConfig.model_validate({"imageData": True})
    spec = logging_config(cfg, log_group="/aws/bedrock/p/model-invocations", role_arn="role", large_data_bucket="b")
    assert spec["cloudwatch_config"] == {
        "log_group_name": "/aws/bedrock/p/model-invocations",
        "role_arn": "role",
        "large_data_delivery_s3_config": {"bucket_name": "b", "key_prefix": LARGE_DATA_PREFIX},
    }
    assert (spec["text_data_delivery_enabled"], spec["image_data_delivery_enabled"]) == (True, True)
    assert (spec["embedding_data_delivery_enabled"], spec["video_data_delivery_enabled"]) == (False, False)
    without = logging_config(cfg, log_group="g", role_arn="r", large_data_bucket=None)
    assert "large_data_delivery_s3_config" not in without["cloudwatch_config"]
    assert log_group_name("p") == "/aws/bedrock/p/model-invocations"


def test_large_data_bucket_admits_bedrock_under_its_prefix_only() -> None:
    conditions = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    policy = statements(large_data_bucket_policy(BUCKET_ARN, conditions))
    assert policy["BedrockLargeDataDelivery"]["Resource"] == f"{BUCKET_ARN}/{LARGE_DATA_PREFIX}/*"
    assert policy["BedrockLargeDataDelivery"]["Condition"] == conditions
    assert policy["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_log_bucket_encryption_and_lifecycle() -> None:
    assert encryption_rule(None) == {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
    assert encryption_rule(KMS_KEY) == {
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": KMS_KEY},
        "bucket_key_enabled": True,
    }
    rule = lifecycle_rule(400)
    assert rule["expiration"] == {"days": 400}
    assert rule["noncurrent_version_expiration"] == {"noncurrent_days": 90}
    assert rule["abort_incomplete_multipart_upload"] == {"days_after_initiation": 7}


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("Bedrock_Governance", "bedrock-governance-trail-"), ("___", "ai-observability-trail-"), ("x" * 60, "x" * 37)],
)
def test_bucket_prefix_is_lowercase_and_short(prefix: str, expected: str) -> None:
    assert bucket_prefix(prefix, "trail") == expected


# --- one source per fact ----------------------------------------------------------------------


def node_group(instance_type: str) -> GpuNodeGroupConfig:
    return GpuNodeGroupConfig.model_validate(
        {"name": "gpu", "amiType": "AL2023_x86_64_NVIDIA", "instanceTypes": [instance_type]}
    )


@pytest.mark.parametrize("instance_type", ["p5e.48xlarge", "p5en.48xlarge"])
def test_config_accepts_the_h200_instances_the_pack_allows(instance_type: str) -> None:
    assert node_group(instance_type).instance_types == [instance_type]
    assert GPU_INSTANCE_TYPES[instance_type].total_gpu_memory_gib == 8 * 141


def test_every_instance_type_the_config_accepts_passes_the_packs_default_allow_list() -> None:
    for instance_type in GPU_INSTANCE_TYPES:
        node_group(instance_type)
        assert any(fnmatch.fnmatch(instance_type, pattern) for pattern in DEFAULT_INSTANCE_TYPES), instance_type
    assert AMI_CONFIG.properties["allowedAmiTypes"]["default"] == list(NVIDIA_AMI_TYPES)


def test_config_imports_no_component_module() -> None:
    code = (
        "import sys, components.config\n"
        "print(sorted(m for m in sys.modules if m.startswith('components.') and not m.startswith('components.config')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (GuardrailConfig, {"name": "g", "kmsKeyArn": "alias/mine"}),
        (InvocationLoggingConfig, {"kmsKeyArn": "alias/mine"}),
        (EventForwardingConfig, {"kmsKeyArn": "alias/mine"}),
        (EventForwardingConfig, {"trail": {"kmsKeyArn": "alias/mine"}}),
    ],
)
def test_kms_key_arns_are_checked_alike_everywhere(model: type[GuardrailConfig], key: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"must be a KMS key (or alias )?ARN such as arn:aws:kms:"):
        model.model_validate(key)
    accepted = {
        k: KMS_KEY if v == "alias/mine" else {"kmsKeyArn": KMS_KEY} if isinstance(v, dict) else v
        for k, v in key.items()
    }
    model.model_validate(accepted)


def test_secret_wire_markers_are_the_policy_sdks_too() -> None:
    from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY

    assert (SECRET_SIG_KEY, SECRET_SIG) == (SPECIAL_SIG_KEY, SPECIAL_SECRET_SIG)
    assert is_secret_wrapper(secret_wrapper("x"))
    assert not is_secret_wrapper({"value": "x"})
