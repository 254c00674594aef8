"""``--aws-probe``: the whole AWS → Dynatrace path, proven with one harmless Bedrock write.

It tags the stack's first guardrail with ``ai-observability-verify = <run id>`` and removes the tag
again (Bedrock ``TagResource`` / ``UntagResource``: no guardrail setting changes). CloudTrail records
both calls; the stack's EventBridge rule forwards ``TagResource`` (it is in the default
``eventForwarding.operations``) as a CloudEvent to Dynatrace. verify then searches the governance
bucket for the run id until it arrives or ``--aws-probe-timeout`` (default 15 minutes: CloudTrail
delivers management events to EventBridge within minutes) passes, and reports the delay together with
the rule's ``FailedInvocations`` (CloudWatch ``AWS/Events``, last hour) and the dead-letter queue's
depth (``ApproximateNumberOfMessages``).

boto3 is needed by this mode only and imported here, never by the rest of verify or the offline plan.
Credentials and region come from the standard AWS environment; the calls go to the guardrail's region.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from components.dynatrace.errors import DynatraceError
from components.dynatrace.grail_query import GrailQueryApi

from .inputs import VerifyInputs
from .lookup import lookup_until
from .probe import new_run_id
from .report import Check
from .settings import VerifySettings
from .tenant import connect

TAG_KEY = "ai-observability-verify"
PROBE_OPERATION = "TagResource"
_TITLE = "AWS probe (guardrail tag → CloudTrail → EventBridge → Dynatrace)"

ClientFactory = Callable[[str, str], Any]
"""``(service, region) → boto3 client``."""


def _boto3_clients(service: str, region: str) -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client(service, region_name=region)


def lookup_query(bucket: str, run_id: str) -> str:
    return "\n".join(
        (
            "fetch bizevents",
            f"| filter dt.system.bucket == {json.dumps(bucket)}",
            f"| search {json.dumps(run_id)}",
            "| fields timestamp, event.id, event.type",
            "| limit 10",
        )
    )


def check_aws_probe(
    inputs: VerifyInputs, settings: VerifySettings, clients: ClientFactory | None = None
) -> list[Check]:
    config = inputs.config
    guardrails = inputs.outputs.guardrails
    first = next(iter(guardrails.values()), None) if guardrails else None
    arn = str(first.get("arn")) if isinstance(first, dict) and first.get("arn") else None
    if not config.governance.enabled or not config.event_forwarding.enabled:
        return [_check("skip", "governance or eventForwarding is off: nothing forwards AWS events")]
    if arn is None:
        return [_check("fail", "no guardrail in the stack outputs to tag", "configure ai-observability:guardrails")]
    if PROBE_OPERATION not in config.event_forwarding.operations:
        return [
            _check(
                "fail",
                f"the EventBridge rule does not forward {PROBE_OPERATION}",
                f"add {PROBE_OPERATION} and UntagResource to ai-observability:eventForwarding.operations",
            )
        ]
    if clients is None:
        try:
            import boto3  # noqa: F401 - to fail early with a clear message
        except ImportError:
            return [_check("fail", "boto3 is not installed", "pip install boto3 (needed by --aws-probe only)")]
        clients = _boto3_clients
    region = arn.split(":")[3]
    started = settings.now()
    run_id = new_run_id(inputs.stack, started)
    details: dict[str, Any] = {"guardrailArn": arn, "runId": run_id}
    try:
        bedrock = clients("bedrock", region)
        bedrock.tag_resource(resourceARN=arn, tags=[{"key": TAG_KEY, "value": run_id}])
        tagged = settings.clock()
        bedrock.untag_resource(resourceARN=arn, tagKeys=[TAG_KEY])
    except Exception as error:  # botocore errors: no credentials, access denied, ...
        return [_check("fail", f"the Bedrock write failed: {_aws_error(error)}", details=details)]
    found, attempts = _wait(inputs, settings, run_id, tagged)
    details["attempts"] = attempts
    if isinstance(found, str):
        return [_check("fail", f"the lookup failed: {found}", details=details)]
    health = _delivery_health(inputs, clients, region, settings)
    details.update(health)
    health_text = ", ".join(f"{k} {v}" for k, v in health.items())
    if found is not None:
        details["delaySeconds"] = round(found, 3)
        troubled = any(isinstance(v, (int, float)) and v > 0 for v in health.values())
        return [
            _check(
                "warn" if troubled else "pass",
                f"arrived {found:.1f} s after the tag" + (f"; {health_text}" if health_text else ""),
                "earlier deliveries failed: look at the dead-letter queue (docs/aws.md)" if troubled else None,
                details,
                state="found",
            )
        ]
    return [
        _check(
            "fail",
            f"not in the governance bucket after {settings.aws_probe_timeout_seconds:g} s"
            + (f"; {health_text}" if health_text else ""),
            "check the trail (is it logging?), the rule's FailedInvocations and the dead-letter queue (docs/aws.md)",
            details,
            state="not-found",
        )
    ]


def _wait(inputs: VerifyInputs, settings: VerifySettings, run_id: str, tagged: float) -> tuple[float | str | None, int]:
    """(seconds from the tag to the event, or an error text, or None when it never came; lookups made)."""
    bucket = inputs.outputs.governance_bucket_name or inputs.config.governance.bucket.name
    with connect(inputs, settings.client) as connections:
        if connections.platform is None:
            return "no platform token or OAuth client", 0
        # The same lookup as the probe's (a business event in the governance bucket), with its scopes.
        api = GrailQueryApi(connections.platform.client("probe"), sleep=settings.sleep, clock=settings.clock)
        try:
            found = lookup_until(
                api,
                lookup_query(bucket, run_id),
                settings,
                since=tagged,
                timeout=settings.aws_probe_timeout_seconds,
                earliest=settings.now() - timedelta(minutes=30),
            )
        except DynatraceError as error:
            return str(error), 0
    return (found.seconds if found.records else None), found.attempts


def _delivery_health(
    inputs: VerifyInputs, clients: ClientFactory, region: str, settings: VerifySettings
) -> dict[str, Any]:
    """The rule's FailedInvocations over the last hour and the dead-letter queue's depth (what is known)."""
    health: dict[str, Any] = {}
    rule_arn = inputs.outputs.bedrock_event_rule_arn
    if rule_arn:
        end = settings.now()
        try:
            answer = clients("cloudwatch", rule_arn.split(":")[3]).get_metric_statistics(
                Namespace="AWS/Events",
                MetricName="FailedInvocations",
                Dimensions=[{"Name": "RuleName", "Value": rule_arn.rsplit("/", 1)[-1]}],
                StartTime=end - timedelta(hours=1),
                EndTime=end,
                Period=3600,
                Statistics=["Sum"],
            )
            health["failedInvocationsLastHour"] = int(sum(p.get("Sum", 0) for p in answer.get("Datapoints", [])))
        except Exception as error:  # reported, not fatal
            health["failedInvocationsLastHour"] = f"unknown ({_aws_error(error)})"
    queue = inputs.outputs.bedrock_event_dead_letter_queue_url
    if queue:
        try:
            attributes = clients("sqs", _queue_region(queue) or region).get_queue_attributes(
                QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
            )
            health["deadLetterQueueDepth"] = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        except Exception as error:  # reported, not fatal
            health["deadLetterQueueDepth"] = f"unknown ({_aws_error(error)})"
    return health


def _queue_region(url: str) -> str | None:
    """The region of an SQS queue URL (``https://sqs.<region>.amazonaws.com/<account>/<name>``)."""
    found = re.match(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/", url)
    return found.group(1) if found else None


def _aws_error(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return f"{code}: {(response.get('Error') or {}).get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"


def _check(
    status: str, summary: str, hint: str | None = None, details: dict[str, Any] | None = None, state: str | None = None
) -> Check:
    return Check.model_validate(
        {
            "id": "aws-probe",
            "title": _TITLE,
            "status": status,
            "summary": summary,
            "hint": hint,
            "details": details or {},
            "state": state,
        }
    )
