"""Realistic resources (engine wire format: camelCase, numbers as floats) for the policy tests,
and builders for the args the engine hands to policies."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from components.dynatrace.access_policies import auditors_statement, users_statement
from policies.rules._support import PropPath
from policies.runner import PlanPolicyResource, PlanResourceValidationArgs

REGION, ACCOUNT = "eu-central-1", "123456789012"
STACK_URN = "urn:pulumi:dev::ai-observability::pulumi:pulumi:Stack::ai-observability-dev"
COMPONENT = "urn:pulumi:dev::ai-observability::ai-observability:test:Component::part"
API_TOKEN = "dt0c01." + "SAMPLEAPITOKEN0000000000" + "." + "C" * 64
PLATFORM_TOKEN = "dt0s16." + "SAMPLEPLATFORMTOKEN00000" + "." + "D" * 64
NGC_KEY = "nvapi-" + "s" * 40
TAGS = {"environment": "dev", "owner": "platform-team", "managed-by": "pulumi"}
DT = "pulumi-python:dynamic/dynatrace:"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::ai-observability::{type_}::{name}"


def _opts(parent: str | None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def resource_args(
    type_: str,
    props: Mapping[str, Any],
    name: str = "res",
    config: Mapping[str, Any] | None = None,
    secret_paths: frozenset[PropPath] | None = None,
) -> ResourceValidationArgs:
    """What the analyzer builds: props behind the unknown-checking proxy (Mapping, not dict)."""
    proxied = unknown_checking_proxy(copy.deepcopy(dict(props)))
    if secret_paths is not None:
        return PlanResourceValidationArgs(
            type_, proxied, urn(type_, name), name, _opts(COMPONENT), None, config, secret_paths=secret_paths
        )
    return ResourceValidationArgs(type_, proxied, urn(type_, name), name, _opts(COMPONENT), None, config)


def policy_resource(type_: str, props: Mapping[str, Any], name: str, parent: str | None = COMPONENT) -> PolicyResource:
    proxied = unknown_checking_proxy(copy.deepcopy(dict(props)))
    return PlanPolicyResource(
        type_, proxied, urn(type_, name), name, _opts(parent), None, None, [], {}, secret_paths=frozenset()
    )


def stack_args(resources: list[PolicyResource], config: Mapping[str, Any] | None = None) -> StackValidationArgs:
    return StackValidationArgs(resources, config)


def with_(props: Mapping[str, Any], path: str | tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``props`` with ``a.b.0.c`` (or a tuple path) set to ``value`` (``...`` deletes)."""
    result = copy.deepcopy(dict(props))
    keys: list[str | int] = (
        list(path) if isinstance(path, tuple) else [int(k) if k.isdigit() else k for k in path.split(".")]
    )
    node: Any = result
    for key in keys[:-1]:
        node = node[key]
    if value is ...:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return result


# --- Dynatrace (dynamic resources: snake_case props as the components register them) ----------

ACCOUNT_UUID = "2b794097-8ad2-4b32-b923-0131da2eeddf"


def iam_policy(name: str, statement_query: str) -> dict[str, Any]:
    """An ``IamPolicy`` as the access component registers it (the statement is the real builder's)."""
    return {
        "account_uuid": ACCOUNT_UUID,
        "oauth_client_id": "[secret]",
        "oauth_client_secret": "[secret]",
        "owner": "ai-observability/dev",
        "level_type": "environment",
        "level_id": "abc12345",
        "name": name,
        "description": name,
        "statement_query": statement_query,
        "adopt_existing": False,
        "client": None,
        "uuid": None,
        "adopted": None,
    }


USERS_POLICY = iam_policy("AI Observability users", users_statement(["default_", "dt_"]))
AUDITORS_POLICY = iam_policy("AI governance auditors", auditors_statement("gen_ai_events"))

GRAIL_BUCKET = {
    "platform_url": "https://abc12345.apps.dynatrace.com",
    "platform_token": PLATFORM_TOKEN,
    "bucket_name": "gen_ai_events",
    "table": "bizevents",
    "retention_days": 1825.0,
    "display_name": "GenAI audit events",
    "client": None,
    "status": None,
    "version": None,
    "adopted": None,
}
ROUTE = {
    "environment_url": "https://abc12345.live.dynatrace.com",
    "api_token": API_TOKEN,
    "description": "AI Event Routing",
    "matcher": 'matchesValue(event.type,"gen_ai.auditing")',
    "pipeline_id": "vu9U3hXa3q0AAAABACdidWlsdGluOm9wZW5waXBlbGluZS5iaXpldmVudHMucGlwZWxpbmVz",
    "position": 0.0,
    "enabled": True,
}
# The governance component's pipeline inputs: the bucket as a flat input, processor built by the provider.
PIPELINE = {
    "environment_url": "https://abc12345.live.dynatrace.com",
    "api_token": API_TOKEN,
    "custom_id": "ai-data-governance",
    "display_name": "AI Data Governance",
    "processor_id": "store-governed-events",
    "processor_description": "Keep governed GenAI events in the governance bucket for its retention period",
    "matcher": "true",
    "bucket_name": "gen_ai_events",
}

# --- Bedrock event forwarding ------------------------------------------------------------------

RULE_NAME = "bedrock-governance-dev"
DLQ_NAME = "bedrock-governance-dev-dlq"
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{RULE_NAME}"
GOVERNANCE_OPERATIONS = ["CreateGuardrail", "UpdateGuardrail", "DeleteGuardrail", "CreateGuardrailVersion"]
GOVERNANCE_PATTERN = {
    "source": ["aws.bedrock"],
    "$or": [
        {
            "detail-type": ["AWS API Call via CloudTrail"],
            "detail": {"eventSource": ["bedrock.amazonaws.com"], "eventName": GOVERNANCE_OPERATIONS},
        },
        {"detail-type": ["Model Customization Job State Change", "Batch Inference Job State Change"]},
    ],
}
EVENT_RULE = {
    "name": RULE_NAME,
    "description": "Bedrock governance events to Dynatrace",
    "eventBusName": "default",
    "eventPattern": json.dumps(GOVERNANCE_PATTERN),
    "state": "ENABLED",
    "tags": TAGS,
}
EVENT_TARGET = {
    "rule": RULE_NAME,
    "eventBusName": "default",
    "arn": f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/bedrock-governance-dev/0f1e2d3c",
    "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bedrock-governance-dev-target",
    "retryPolicy": {"maximumRetryAttempts": 185.0, "maximumEventAgeInSeconds": 86400.0},
    "deadLetterConfig": {"arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{DLQ_NAME}"},
    "httpTarget": {"headerParameters": {"Content-Type": "application/cloudevent+json"}},
    "inputTransformer": {
        "inputPaths": {"id": "$.id", "detail": "$.detail"},
        "inputTemplate": '{"specversion":"1.0","id":"<id>","type":"gen_ai.auditing","data":<detail>}',
    },
}
DLQ_POLICY_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowEventBridgeDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{DLQ_NAME}",
            "Condition": {"ArnEquals": {"aws:SourceArn": RULE_ARN}},
        }
    ],
}
QUEUE_POLICY = {
    "queueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{DLQ_NAME}",
    "policy": json.dumps(DLQ_POLICY_DOCUMENT),
}
FAILED_ALARM = {
    "namespace": "AWS/Events",
    "metricName": "FailedInvocations",
    "dimensions": {"RuleName": RULE_NAME},
    "statistic": "Sum",
    "period": 300.0,
    "evaluationPeriods": 1.0,
    "threshold": 0.0,
    "comparisonOperator": "GreaterThanThreshold",
    "treatMissingData": "notBreaching",
    "tags": TAGS,
}
DLQ_ALARM = {
    "namespace": "AWS/SQS",
    "metricName": "ApproximateNumberOfMessagesVisible",
    "dimensions": {"QueueName": DLQ_NAME},
    "statistic": "Maximum",
    "period": 300.0,
    "evaluationPeriods": 1.0,
    "threshold": 0.0,
    "comparisonOperator": "GreaterThanThreshold",
    "tags": TAGS,
}
CONNECTION = {
    "name": "bedrock-governance-dev",
    "authorizationType": "API_KEY",
    "authParameters": {"apiKey": {"key": "Authorization", "value": f"Api-Token {API_TOKEN}"}},
}

# --- CloudTrail --------------------------------------------------------------------------------

TRAIL_BUCKET = "bedrock-governance-dev-trail"
TRAIL = {
    "name": "bedrock-governance-dev",
    "s3BucketName": TRAIL_BUCKET,
    "isMultiRegionTrail": True,
    "enableLogFileValidation": True,
    "includeGlobalServiceEvents": True,
    "tags": TAGS,
}
BUCKET = {"bucket": TRAIL_BUCKET, "forceDestroy": False, "tags": TAGS}
BUCKET_SSE = {"bucket": TRAIL_BUCKET, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
BUCKET_VERSIONING = {"bucket": TRAIL_BUCKET, "versioningConfiguration": {"status": "Enabled"}}
BUCKET_PAB = {
    "bucket": TRAIL_BUCKET,
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}

# --- Guardrails and logging --------------------------------------------------------------------

GUARDRAIL = {
    "name": "ai-obs-dev-genai-default-dev",
    "blockedInputMessaging": "Sorry, this request is not allowed by our AI usage policy.",
    "blockedOutputsMessaging": "Sorry, the response was blocked by our AI usage policy.",
    "contentPolicyConfig": {
        "filtersConfigs": [
            {"type": "HATE", "inputStrength": "HIGH", "outputStrength": "HIGH"},
            {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"},
        ],
        "tierConfigs": [{"tierName": "CLASSIC"}],
    },
    "sensitiveInformationPolicyConfig": {
        "piiEntitiesConfigs": [{"type": "AWS_SECRET_KEY", "action": "BLOCK"}, {"type": "EMAIL", "action": "ANONYMIZE"}]
    },
    "tags": TAGS,
}
GUARDRAIL_VERSION = {
    "guardrailArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/gr0123456789",
    "description": "Pinned by ai-observability",
}
LOG_GROUP_NAME = "/aws/bedrock/ai-obs-dev/model-invocations"
LOG_GROUP = {"name": LOG_GROUP_NAME, "retentionInDays": 365.0, "tags": TAGS}
INVOCATION_LOGGING = {
    "loggingConfig": {
        "cloudwatchConfig": {"logGroupName": LOG_GROUP_NAME, "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bedrock-logs"},
        "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": False,
        "embeddingDataDeliveryEnabled": False,
        "videoDataDeliveryEnabled": False,
    }
}

# --- EKS and Kubernetes ------------------------------------------------------------------------

NODE_GROUP = {
    "clusterName": "genai-dev",
    "nodeRoleArn": f"arn:aws:iam::{ACCOUNT}:role/genai-dev-gpu-nodes",
    "subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    "amiType": "AL2023_x86_64_NVIDIA",
    "instanceTypes": ["g5.xlarge", "g5.2xlarge"],
    "diskSize": 200.0,
    "capacityType": "SPOT",
    "scalingConfig": {"minSize": 0.0, "desiredSize": 1.0, "maxSize": 2.0},
    "labels": {"nvidia.com/gpu.present": "true"},
    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
    "tags": TAGS,
}
CPU_NODE_GROUP = with_(
    with_(with_(with_(NODE_GROUP, "amiType", "AL2023_x86_64_STANDARD"), "instanceTypes", ["m6i.large"]), "labels", {}),
    "taints",
    [],
)
NIM_IMAGE = "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"
NIM_DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "llama-3-1-8b", "namespace": "nim", "labels": {"app.kubernetes.io/name": "llama-3-1-8b"}},
    "spec": {
        "replicas": 1.0,
        "strategy": {"type": "Recreate"},
        "selector": {"matchLabels": {"app.kubernetes.io/name": "llama-3-1-8b"}},
        "template": {
            "metadata": {
                "labels": {"app.kubernetes.io/name": "llama-3-1-8b"},
                "annotations": {
                    "metrics.dynatrace.com/scrape": "true",
                    "metrics.dynatrace.com/port": "8000",
                    "metrics.dynatrace.com/path": "/v1/metrics",
                },
            },
            "spec": {
                "securityContext": {"runAsUser": 1000.0, "runAsGroup": 1000.0, "fsGroup": 1000.0, "runAsNonRoot": True},
                "imagePullSecrets": [{"name": "ngc-secret"}],
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                "containers": [
                    {
                        "name": "nim",
                        "image": NIM_IMAGE,
                        "ports": [{"name": "http-openai", "containerPort": 8000.0}],
                        "env": [
                            {
                                "name": "NGC_API_KEY",
                                "valueFrom": {"secretKeyRef": {"name": "ngc-api", "key": "NGC_API_KEY"}},
                            },
                            {"name": "NIM_CACHE_PATH", "value": "/opt/nim/.cache"},
                            {"name": "NIM_SERVER_PORT", "value": "8000"},
                        ],
                        "resources": {
                            "requests": {"nvidia.com/gpu": "1", "cpu": "4", "memory": "32Gi"},
                            "limits": {"nvidia.com/gpu": "1", "memory": "32Gi"},
                        },
                        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                    }
                ],
            },
        },
    },
}
NIM_CONTAINER = "spec.template.spec.containers.0"

COLLECTOR_CONFIG_YAML = """\
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:MY_POD_IP}:4317"}
      http: {endpoint: "${env:MY_POD_IP}:4318"}
  prometheus:
    config:
      scrape_configs:
        - job_name: dynatrace-annotated-pods
          scrape_interval: 30s
          kubernetes_sd_configs:
            - role: pod
              selectors:
                - role: pod
                  field: spec.nodeName=${env:K8S_NODE_NAME}
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 25
  metric_start_time: {}
  cumulative_to_delta:
    max_staleness: 5m
  k8s_attributes:
    filter:
      node_from_env_var: K8S_NODE_NAME
  batch: {}
exporters:
  otlp_http:
    endpoint: ${env:DT_ENDPOINT}
    headers:
      Authorization: "Api-Token ${env:DT_API_TOKEN}"
extensions:
  health_check:
    endpoint: ${env:MY_POD_IP}:13133
service:
  extensions: [health_check]
  pipelines:
    metrics:
      receivers: [prometheus, otlp]
      processors: [memory_limiter, metric_start_time, cumulative_to_delta, k8s_attributes, batch]
      exporters: [otlp_http]
    traces:
      receivers: [otlp]
      processors: [memory_limiter, k8s_attributes, batch]
      exporters: [otlp_http]
"""


def collector_config_map(config_yaml: str = COLLECTOR_CONFIG_YAML) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "dynatrace-collector-config",
            "namespace": "dynatrace",
            "labels": {"ai-observability/role": "collector-config"},
        },
        "data": {"config.yaml": config_yaml},
    }


COLLECTOR_DAEMONSET: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "dynatrace-collector", "namespace": "dynatrace"},
    "spec": {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "dynatrace-collector"}},
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/name": "dynatrace-collector"}},
            "spec": {
                "containers": [
                    {
                        "name": "collector",
                        "image": "ghcr.io/dynatrace/dynatrace-otel-collector/dynatrace-otel-collector:0.54.0",
                        "args": ["--config=/etc/otelcol/config.yaml"],
                        "env": [
                            {
                                "name": "DT_API_TOKEN",
                                "valueFrom": {"secretKeyRef": {"name": "dynatrace-otelcol", "key": "DT_API_TOKEN"}},
                            },
                            {"name": "K8S_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                        ],
                        "resources": {
                            "requests": {"cpu": "200m", "memory": "256Mi"},
                            "limits": {"cpu": "1", "memory": "1Gi"},
                        },
                    }
                ]
            },
        },
    },
}
NGC_SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "ngc-api", "namespace": "nim"},
    "type": "Opaque",
    "stringData": {"NGC_API_KEY": NGC_KEY},
}


def iam_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROLE_POLICY = {
    "role": "bedrock-governance-dev-target",
    "policy": iam_document(
        {
            "Effect": "Allow",
            "Action": "events:InvokeApiDestination",
            "Resource": f"arn:aws:events:{REGION}:{ACCOUNT}:api-destination/bedrock-governance-dev/*",
        }
    ),
}
