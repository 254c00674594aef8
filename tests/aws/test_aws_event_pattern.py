"""The Bedrock governance rule's pattern: what it matches, what it rejects, how long it is.

Matching uses moto's EventBridge-compatible matcher (``moto.events.models.EventPattern``,
moto 5.2.5), which implements ``$or``, prefix/exists filters and nested ``detail`` keys.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.models import EventPattern

from components.config import EventForwardingConfig
from components.config.event_forwarding import (
    GOVERNANCE_OPERATIONS,
    MAX_EVENT_PATTERN_CHARS,
    governance_event_pattern,
    pattern_text,
)
from tests.aws.samples import governance_events, job_event, unrelated_events

DEFAULT_PATTERN = pattern_text(EventForwardingConfig().event_pattern)
GOVERNANCE = governance_events()
UNRELATED = unrelated_events()


def matches(pattern_json: str, event: dict[str, Any]) -> bool:
    return bool(EventPattern.load(pattern_json).matches_event(event))


def test_default_pattern_is_under_the_quota() -> None:
    assert len(DEFAULT_PATTERN) < MAX_EVENT_PATTERN_CHARS
    print(f"default event pattern: {len(DEFAULT_PATTERN)} characters (quota {MAX_EVENT_PATTERN_CHARS})")


def test_pattern_names_every_governance_operation_and_no_inference_call() -> None:
    names = json.loads(DEFAULT_PATTERN)["$or"][1]["detail"]["eventName"]
    assert names == list(GOVERNANCE_OPERATIONS)
    assert not {"InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"} & set(names)


@pytest.mark.parametrize("event_id", sorted(GOVERNANCE))
def test_rule_matches_governance_event(event_id: str) -> None:
    assert matches(DEFAULT_PATTERN, GOVERNANCE[event_id]), event_id


@pytest.mark.parametrize("event_id", sorted(UNRELATED))
def test_rule_rejects_unrelated_event(event_id: str) -> None:
    assert not matches(DEFAULT_PATTERN, UNRELATED[event_id]), event_id


def test_without_job_state_changes_only_api_calls_match() -> None:
    pattern = pattern_text(governance_event_pattern(GOVERNANCE_OPERATIONS, include_job_state_changes=False))
    assert "$or" not in pattern
    assert not matches(pattern, job_event("Model Customization Job State Change"))
    assert matches(pattern, GOVERNANCE["api:DeleteModelInvocationLoggingConfiguration"])
    assert not matches(pattern, UNRELATED["inference:InvokeModel"])


def test_narrowed_operations_narrow_the_rule() -> None:
    config = EventForwardingConfig.model_validate({"operations": ["DeleteModelInvocationLoggingConfiguration"]})
    pattern = pattern_text(config.event_pattern)
    assert matches(pattern, GOVERNANCE["api:DeleteModelInvocationLoggingConfiguration"])
    assert not matches(pattern, GOVERNANCE["api:CreateGuardrail"])
    assert matches(pattern, GOVERNANCE["shared:model-customization-job-state-change.json"])


def test_matcher_is_not_trivially_permissive() -> None:
    """Guard for the matcher itself: a pattern for another source matches none of our events."""
    other = json.dumps({"source": ["aws.ec2"]})
    assert not any(matches(other, event) for event in GOVERNANCE.values())
