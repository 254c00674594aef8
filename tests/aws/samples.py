"""Sample EventBridge events: the shared ones, plus variants derived from them for every
governance kind (each derivation says what it changes) and events that must not match."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from components.config.event_forwarding import GOVERNANCE_OPERATIONS, JOB_STATE_DETAIL_TYPES

# Copies of shared/data/events (CloudTrail and Bedrock sample events, wire format), kept with the tests.
EVENTS = Path(__file__).resolve().parent / "events"


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def shared_samples() -> dict[str, dict[str, Any]]:
    """The sample events, by file name."""
    return {p.name: json.loads(p.read_text()) for p in sorted(EVENTS.glob("*.json"))}


def cloudtrail_call(operation: str, event_source: str = "bedrock.amazonaws.com") -> dict[str, Any]:
    """The shared CreateGuardrail CloudTrail event with another ``eventName`` (and/or eventSource)."""
    event = copy.deepcopy(_load("ct-create-guardrail.json"))
    event["detail"]["eventName"] = operation
    event["detail"]["eventSource"] = event_source
    event["id"] = f"00000000-0000-4000-8000-{abs(hash(operation)) % 10**12:012d}"
    return event


def job_event(detail_type: str) -> dict[str, Any]:
    """A native Bedrock job event: the shared customization event with another detail-type.

    Batch inference events carry ``detail.status`` (customization: ``detail.jobStatus``).
    """
    event = copy.deepcopy(_load("model-customization-job-state-change.json"))
    event["detail-type"] = detail_type
    if detail_type == "Batch Inference Job State Change":
        event["detail"].pop("jobStatus")
        event["detail"]["status"] = "Completed"
    return event


def governance_events() -> dict[str, dict[str, Any]]:
    """Every event kind the forwarder must deliver, by a readable id."""
    events = {f"shared:{name}": event for name, event in shared_samples().items()}
    events.update({f"job:{dt}": job_event(dt) for dt in JOB_STATE_DETAIL_TYPES})
    events.update({f"api:{op}": cloudtrail_call(op) for op in GOVERNANCE_OPERATIONS})
    return events


def unrelated_events() -> dict[str, dict[str, Any]]:
    """Events the rule must reject: inference traffic, read-only calls, other services."""
    events = {
        f"inference:{op}": cloudtrail_call(op)
        for op in ("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream")
    }
    events["read-only:GetGuardrail"] = cloudtrail_call("GetGuardrail")
    events["read-only:ListGuardrails"] = cloudtrail_call("ListGuardrails")
    iam = cloudtrail_call("CreateRole", event_source="iam.amazonaws.com")
    iam["source"] = "aws.iam"
    events["other-service:iam-CreateRole"] = iam
    agent = cloudtrail_call("CreateGuardrail", event_source="bedrock-agent.amazonaws.com")
    events["other-event-source:bedrock-agent"] = agent
    sagemaker_job = job_event("Model Customization Job State Change")
    sagemaker_job["source"] = "aws.sagemaker"
    events["other-source:sagemaker-same-detail-type"] = sagemaker_job
    events["other-detail-type:ec2"] = {
        "version": "0",
        "id": "7bf73129-1428-4cd3-a780-95db273d1602",
        "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2015-11-11T21:29:54Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
        "detail": {"instance-id": "i-abcd1111", "state": "pending"},
    }
    unknown_job = job_event("Knowledge Base Ingestion Job State Change")
    events["other-detail-type:bedrock-unlisted"] = unknown_job
    return events
