"""What the offline plan's mocks answer when a resource is registered: inputs plus the
computed outputs a real provider would return (ARNs, URLs, ids), so dependent resources
see realistic values."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from .mock_invokes import MOCK_ACCOUNT_ID

ExtraOutputs = Callable[[str, Mapping[str, Any], str], dict[str, Any]]


def _arn(service: str, kind: str, sep: str = "/", regional: bool = True) -> ExtraOutputs:
    def outputs(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
        physical = str(inputs.get("name") or name)
        where = f"{region}:{MOCK_ACCOUNT_ID}" if regional else f":{MOCK_ACCOUNT_ID}"
        return {"arn": f"arn:aws:{service}:{where}:{kind}{sep}{physical}", "name": physical}

    return outputs


def _queue(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    physical = str(inputs.get("name") or name)
    return {
        "arn": f"arn:aws:sqs:{region}:{MOCK_ACCOUNT_ID}:{physical}",
        "url": f"https://sqs.{region}.amazonaws.com/{MOCK_ACCOUNT_ID}/{physical}",
        "name": physical,
    }


def _bucket(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    physical = str(inputs.get("bucket") or name)
    return {"arn": f"arn:aws:s3:::{physical}", "bucket": physical}


def _iam_role(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    physical = str(inputs.get("name") or name)
    return {"arn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/{physical}", "name": physical}


def _sns_topic(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    physical = str(inputs.get("name") or name)
    return {"arn": f"arn:aws:sns:{region}:{MOCK_ACCOUNT_ID}:{physical}", "name": physical}


def _log_group(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    physical = str(inputs.get("name") or name)
    return {"arn": f"arn:aws:logs:{region}:{MOCK_ACCOUNT_ID}:log-group:{physical}", "name": physical}


def _guardrail(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    gid = f"gr{zlib.crc32(name.encode()):010d}"
    return {
        "guardrailId": gid,
        "guardrailArn": f"arn:aws:bedrock:{region}:{MOCK_ACCOUNT_ID}:guardrail/{gid}",
        "version": "DRAFT",
        "status": "READY",
    }


def _guardrail_version(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {"version": "1"}


def _ingest_token(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    # Shape-valid, obviously fake; the SDK marks it secret (additional_secret_outputs).
    public = f"MOCK{zlib.crc32(name.encode()):020d}"
    return {"token_id": f"dt0c01.{public}", "token": f"dt0c01.{public}.{'0' * 64}", "enabled": True}


def _bucket_definition(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {"status": "active", "version": 1, "adopted": False}


def _settings_object(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    object_id = f"vu9U3hXa3q0AAAABAC{zlib.crc32(name.encode()):010d}"
    return {"object_id": object_id, "routing_object_id": object_id}


def _role_arn(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {"connection_name": name}


def _monitoring_configuration(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {
        "object_id": f"{uuid.UUID(int=zlib.crc32(name.encode()))}",
        "extension_version": "1.0.0",
        "resolved_feature_sets": list(inputs.get("feature_sets") or []),
    }


def _document(name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    return {"version": 1, "adopted": False}


MOCK_OUTPUTS: dict[str, ExtraOutputs] = {
    "pulumi-python:dynamic/dynatrace:IngestToken": _ingest_token,
    "pulumi-python:dynamic/dynatrace:GrailBucket": _bucket_definition,
    "pulumi-python:dynamic/dynatrace:OpenPipelinePipeline": _settings_object,
    "pulumi-python:dynamic/dynatrace:OpenPipelineRoute": _settings_object,
    "pulumi-python:dynamic/dynatrace:SettingsObject": _settings_object,
    "pulumi-python:dynamic/dynatrace:AwsConnectionRoleArn": _role_arn,
    "pulumi-python:dynamic/dynatrace:AwsMonitoringConfiguration": _monitoring_configuration,
    "pulumi-python:dynamic/dynatrace:Document": _document,
    "aws:cloudwatch/eventRule:EventRule": _arn("events", "rule"),
    "aws:cloudwatch/eventConnection:EventConnection": _arn("events", "connection"),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": _arn("events", "api-destination"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _arn("cloudwatch", "alarm", sep=":"),
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudtrail/trail:Trail": _arn("cloudtrail", "trail"),
    "aws:sqs/queue:Queue": _queue,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _arn("iam", "policy", regional=False),
    "aws:sns/topic:Topic": _sns_topic,
    "aws:bedrock/guardrail:Guardrail": _guardrail,
    "aws:bedrock/guardrailVersion:GuardrailVersion": _guardrail_version,
    "aws:kms/key:Key": _arn("kms", "key"),
}


def mock_state(type_: str, name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Inputs echoed back, plus computed outputs for the types the program depends on."""
    state = dict(inputs)
    extra = MOCK_OUTPUTS.get(type_)
    if extra is not None:
        for key, value in extra(name, inputs, region).items():
            if state.get(key) is None:  # dynamic resources declare their outputs as None inputs
                state[key] = value
    return state
