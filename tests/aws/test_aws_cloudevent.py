"""The CloudEvent the forwarder sends to Dynatrace, rendered the way EventBridge would.

``render_input_template`` models EventBridge's substitution rules; the first
tests pin the renderer to those rules, the rest render the forwarder's own transformer.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from components.aws.event_forwarding import CLOUDEVENT_EXTENSIONS, cloudevent_transformer
from tests.aws.samples import governance_events
from testsupport.aws.eventbridge_sim import DeliveryContext, render_input_template, validate_transformer
from testsupport.dynatrace.emulator import INGEST_PATH, DynatraceEmulator

EVENTS = governance_events()
CTX = DeliveryContext(ingestion_time="2025-03-04T10:15:31Z")
HOSTILE = 'quote " backslash \\ newline \n tab \t brace } placeholder <id> unicode é ✓'
CORE = {"specversion", "id", "source", "type", "time", "datacontenttype", "data"}


# CloudTrail delivers management events to EventBridge minutes after the call.
DELIVERY_DELAY = timedelta(minutes=3, seconds=37)


def delivery_of(event: dict[str, Any]) -> DeliveryContext:
    """EventBridge's side of one delivery: ingested ``DELIVERY_DELAY`` after the event happened."""
    happened = datetime.fromisoformat(event["time"])
    ingested = (happened + DELIVERY_DELAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    return DeliveryContext(ingestion_time=ingested)


def render(
    event: dict[str, Any], event_type: str = "gen_ai.auditing", context: DeliveryContext | None = None
) -> dict[str, Any]:
    paths, template = cloudevent_transformer(event_type)
    text = render_input_template(event, paths, template, context or delivery_of(event))
    rendered: dict[str, Any] = json.loads(text)
    return rendered


# --- the renderer follows EventBridge's rules -------------------------------------------------


def test_unquoted_string_placeholder_becomes_a_json_string() -> None:
    out = render_input_template({"detail": {"m": HOSTILE}}, {"m": "$.detail.m"}, '{"m":<m>}')
    assert json.loads(out) == {"m": HOSTILE}


def test_quoted_placeholder_is_inserted_raw_and_breaks_on_hostile_text() -> None:
    out = render_input_template({"detail": {"m": 'say "hi"'}}, {"m": "$.detail.m"}, '{"m":"<m>"}')
    assert out == '{"m":"say "hi""}'
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_objects_arrays_numbers_unquoted_are_json() -> None:
    event = {"detail": {"o": {"a": [1, 2]}, "n": 3, "b": False, "z": None}}
    paths = {"o": "$.detail.o", "a": "$.detail.o.a", "n": "$.detail.n", "b": "$.detail.b", "z": "$.detail.z"}
    out = render_input_template(event, paths, '{"o":<o>,"first":<a>,"n":<n>,"b":<b>,"z":<z>}')
    assert json.loads(out) == {"o": {"a": [1, 2]}, "first": [1, 2], "n": 3, "b": False, "z": None}
    indexed = render_input_template(event, {"x": "$.detail.o.a[1]"}, '{"x":<x>}')
    assert json.loads(indexed) == {"x": 2}


def test_absent_path_is_left_out() -> None:
    assert render_input_template({}, {"m": "$.detail.m"}, '{"m":"<m>"}') == '{"m":""}'
    assert (
        render_input_template({}, {"m": "$.detail.m"}, '{"m":<m>}') == '{"m":}'
    )  # invalid: why we quote nothing optional


def test_reserved_placeholders() -> None:
    event = {"id": "1", "detail": {"x": 'a"b'}}
    template = (
        '{"arn":"<aws.events.rule-arn>","name":<aws.events.rule-name>,'
        '"at":"<aws.events.event.ingestion-time>","whole":<aws.events.event.json>,"head":<aws.events.event>}'
    )
    out = json.loads(render_input_template(event, {}, template, CTX))
    assert out == {
        "arn": CTX.rule_arn,
        "name": CTX.rule_name,
        "at": CTX.ingestion_time,
        "whole": event,
        "head": {"id": "1"},
    }


@pytest.mark.parametrize(
    ("paths", "template", "why"),
    [
        ({"AWS.x": "$.id"}, '{"a":<AWS.x>}', "AWS."),
        ({"bad key": "$.id"}, '{"a":1}', "A-Za-z0-9"),
        ({}, '{"a":<undefined>}', "neither"),
        ({f"k{i}": "$.id" for i in range(101)}, '{"a":1}', "100"),
        ({}, "{" + " " * 8200 + "}", "8192"),
    ],
)
def test_transformers_eventbridge_would_refuse(paths: dict[str, str], template: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        validate_transformer(paths, template)


# --- the forwarder's CloudEvent -----------------------------------------------------------------


@pytest.mark.parametrize("event_id", sorted(EVENTS))
def test_every_governance_event_becomes_a_valid_cloudevent(event_id: str) -> None:
    event = EVENTS[event_id]
    delivery = delivery_of(event)
    cloud = render(event, context=delivery)
    assert cloud["specversion"] == "1.0"
    assert cloud["id"] == event["id"]
    assert cloud["id"]
    assert cloud["source"] == "aws.bedrock"
    assert cloud["type"] == "gen_ai.auditing"
    assert cloud["time"] == event["time"]  # when it happened, not when EventBridge got it
    assert datetime.fromisoformat(cloud["time"]).tzinfo is not None  # ISO-8601 with zone
    assert cloud["datacontenttype"] == "application/json"
    assert cloud["data"] == event["detail"]
    assert cloud["awsdetailtype"] == event["detail-type"]
    assert cloud["awsregion"] == event["region"]
    assert cloud["awsaccount"] == event["account"]
    assert cloud["awsingestiontime"] == delivery.ingestion_time
    assert cloud["awsrulearn"] == delivery.rule_arn
    for extension in set(cloud) - CORE:
        assert re.fullmatch(r"[a-z0-9]{1,20}", extension), extension
    assert set(CLOUDEVENT_EXTENSIONS) == set(cloud) - CORE


def _poison(node: Any) -> Any:
    """Every string inside ``node`` with hostile characters appended."""
    if isinstance(node, dict):
        return {k: _poison(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_poison(v) for v in node]
    return node + HOSTILE if isinstance(node, str) else node


@pytest.mark.parametrize(
    "event_id", ["shared:ct-create-guardrail.json", "shared:model-customization-job-state-change.json"]
)
def test_quotes_backslashes_newlines_in_event_values_keep_valid_json(event_id: str) -> None:
    event = copy.deepcopy(EVENTS[event_id])
    event["detail"] = _poison(event["detail"])
    event["detail"]["failureMessage"] = 'Job failed: "validation" error\nat C:\\data\\train.jsonl'
    cloud = render(event)
    assert cloud["data"] == event["detail"]


def test_audit_record_carries_the_call_time_and_the_delivery_time_apart() -> None:
    """A CreateGuardrail call at 10:15:30 delivered minutes later keeps 10:15:30 as its ``time``."""
    event = EVENTS["shared:ct-create-guardrail.json"]
    delivery = DeliveryContext(
        rule_arn="arn:aws:events:eu-central-1:123456789012:rule/ai-governance-forwarding",
        ingestion_time="2025-03-04T10:21:07Z",
    )
    cloud = render(event, context=delivery)
    assert cloud["time"] == event["detail"]["eventTime"] == "2025-03-04T10:15:30Z"
    assert cloud["awsingestiontime"] == "2025-03-04T10:21:07Z"
    assert cloud["awsrulearn"] == "arn:aws:events:eu-central-1:123456789012:rule/ai-governance-forwarding"
    happened, ingested = (datetime.fromisoformat(cloud[k]) for k in ("time", "awsingestiontime"))
    assert ingested - happened == timedelta(minutes=5, seconds=37)


def test_sample_events_carry_iso_8601_times() -> None:
    """The CloudEvent ``time`` is copied from the event: real events give RFC 3339 timestamps."""
    for event_id, event in EVENTS.items():
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"]), event_id


def test_extension_names_follow_the_cloudevents_naming_rule() -> None:
    """Lowercase a-z0-9, at most 20 characters: unlike the reference template's dotted names."""
    for name in CLOUDEVENT_EXTENSIONS:
        assert re.fullmatch(r"[a-z0-9]{1,20}", name), name
    assert {"awsregion", "awsrulearn", "awsingestiontime"} <= set(CLOUDEVENT_EXTENSIONS)


def test_event_type_is_configurable() -> None:
    assert render(EVENTS["shared:ct-create-guardrail.json"], "acme.genai.audit")["type"] == "acme.genai.audit"


def test_only_envelope_fields_sit_inside_template_quotes() -> None:
    paths, template = cloudevent_transformer("gen_ai.auditing")
    quoted = set(re.findall(r'"<([A-Za-z0-9_.-]+)>"', template))
    assert quoted <= {
        "id",
        "source",
        "detailtype",
        "region",
        "account",
        "time",
        "aws.events.event.ingestion-time",
        "aws.events.rule-arn",
    }
    assert '"data":<detail>' in template
    assert paths["detail"] == "$.detail"


def test_dynatrace_stores_the_call_time_and_the_delivery_extensions() -> None:
    """What EventBridge would POST, sent to the emulated tenant the way the API destination does."""
    event = EVENTS["shared:ct-create-guardrail.json"]
    delivery = DeliveryContext(ingestion_time="2025-03-04T10:21:07Z")
    paths, template = cloudevent_transformer("gen_ai.auditing")
    body = render_input_template(event, paths, template, delivery).encode()
    with DynatraceEmulator() as tenant:
        token = tenant.add_token(scopes=("bizevents.ingest",), name="ingest")
        headers = {"Authorization": f"Api-Token {token}", "Content-Type": "application/cloudevent+json"}
        answer = requests.post(tenant.url + INGEST_PATH, data=body, headers=headers, timeout=10)
        assert answer.status_code == 202, answer.text
        (stored,) = tenant.events
    assert stored["event.type"] == "gen_ai.auditing"
    assert stored["event.id"] == event["id"]
    assert stored["time"] == "2025-03-04T10:15:30Z"
    assert stored["awsingestiontime"] == "2025-03-04T10:21:07Z"
    assert stored["awsrulearn"] == delivery.rule_arn
