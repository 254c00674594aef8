"""Bad guardrail / event-forwarding / invocation-logging configs fail with the full key path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from policies.rules._bedrock_operations import CONTROL_PLANE_OPERATIONS
from tests.conftest import FAKE_ENV, stack_file

NS = "ai-observability"
ENV = dict(FAKE_ENV)
Mutation = Callable[[dict[str, Any]], None]


def guardrail(raw: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = raw[f"{NS}:guardrails"]["guardrails"][0]
    return node


def forwarding(raw: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = raw[f"{NS}:eventForwarding"]
    return node


def logging_cfg(raw: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = raw[f"{NS}:guardrails"].setdefault("invocationLogging", {})
    return node


def filters(*items: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"type": t, "inputStrength": i, "outputStrength": o} for t, i, o in items]


def topic(i: int, definition: str = "Talk about topic.", examples: int = 1) -> dict[str, Any]:
    return {"name": f"Topic {i}", "definition": definition, "examples": [f"example {n}" for n in range(examples)]}


# (id, stack, mutation, expected key path below ai-observability:, expected text in that line)
CASES: list[tuple[str, str, Mutation, str, str]] = [
    (
        "prompt-attack-output",
        "dev",
        lambda r: guardrail(r).update(contentFilters=filters(("PROMPT_ATTACK", "HIGH", "HIGH"))),
        "guardrails.guardrails[0].contentFilters[0].outputStrength",
        "NONE",
    ),
    (
        "seven-filters",
        "dev",
        lambda r: guardrail(r).update(contentFilters=filters(*[("HATE", "HIGH", "HIGH")] * 7)),
        "guardrails.guardrails[0].contentFilters",
        "6",
    ),
    (
        "filter-twice",
        "dev",
        lambda r: guardrail(r).update(contentFilters=filters(("HATE", "HIGH", "HIGH"), ("HATE", "LOW", "LOW"))),
        "guardrails.guardrails[0].contentFilters[1].type",
        "twice",
    ),
    (
        "filter-strength",
        "dev",
        lambda r: guardrail(r).update(contentFilters=filters(("HATE", "EXTREME", "HIGH"))),
        "guardrails.guardrails[0].contentFilters[0].inputStrength",
        "HIGH",
    ),
    (
        "thirty-one-topics",
        "prod",
        lambda r: guardrail(r).update(deniedTopics=[topic(i) for i in range(31)]),
        "guardrails.guardrails[0].deniedTopics",
        "30",
    ),
    (
        "six-examples",
        "dev",
        lambda r: guardrail(r).update(deniedTopics=[topic(0, examples=6)]),
        "guardrails.guardrails[0].deniedTopics[0].examples",
        "5",
    ),
    (
        "classic-definition",
        "dev",
        lambda r: guardrail(r).update(deniedTopics=[topic(0, definition="x" * 201)]),
        "guardrails.guardrails[0].deniedTopics[0].definition",
        "200",
    ),
    (
        "standard-definition",
        "prod",
        lambda r: guardrail(r).update(deniedTopics=[topic(0, definition="x" * 1001)]),
        "guardrails.guardrails[0].deniedTopics[0].definition",
        "1000",
    ),
    (
        "topic-twice",
        "prod",
        lambda r: guardrail(r).update(deniedTopics=[topic(1), {**topic(1), "name": "TOPIC 1"}]),
        "guardrails.guardrails[0].deniedTopics[1].name",
        "twice",
    ),
    (
        "standard-without-profile",
        "prod",
        lambda r: guardrail(r).pop("crossRegionProfile"),
        "guardrails.guardrails[0].crossRegionProfile",
        "STANDARD",
    ),
    (
        "profile-wrong-region",
        "prod",
        lambda r: guardrail(r).update(crossRegionProfile="us.guardrail.v1:0"),
        "guardrails.guardrails[0].crossRegionProfile",
        "'eu' family",
    ),
    (
        "profile-unknown-region",
        "prod",
        lambda r: r.update({"aws:region": "ca-central-1"}),
        "guardrails.guardrails[0].crossRegionProfile",
        "ca-central-1",
    ),
    (
        "profile-malformed",
        "prod",
        lambda r: guardrail(r).update(crossRegionProfile="europe"),
        "guardrails.guardrails[0].crossRegionProfile",
        "eu.guardrail.v1:0",
    ),
    (
        "grounding-threshold",
        "dev",
        lambda r: guardrail(r)["grounding"].update(grounding=1.0),
        "guardrails.guardrails[0].grounding.grounding",
        "0.99",
    ),
    (
        "grounding-negative",
        "dev",
        lambda r: guardrail(r)["grounding"].update(relevance=-0.1),
        "guardrails.guardrails[0].grounding.relevance",
        "0",
    ),
    (
        "grounding-empty",
        "dev",
        lambda r: guardrail(r).update(grounding={"grounding": None, "relevance": None}),
        "guardrails.guardrails[0].grounding",
        "omit",
    ),
    (
        "message-too-long",
        "dev",
        lambda r: guardrail(r).update(blockedInputMessage="x" * 501),
        "guardrails.guardrails[0].blockedInputMessage",
        "500",
    ),
    (
        "pii-action",
        "dev",
        lambda r: guardrail(r).update(piiEntities=[{"type": "EMAIL", "action": "REDACT"}]),
        "guardrails.guardrails[0].piiEntities[0].action",
        "ANONYMIZE",
    ),
    (
        "pii-type",
        "dev",
        lambda r: guardrail(r).update(piiEntities=[{"type": "SOCIAL_SECURITY", "action": "BLOCK"}]),
        "guardrails.guardrails[0].piiEntities[0].type",
        "US_SOCIAL_SECURITY_NUMBER",
    ),
    (
        "pii-twice",
        "dev",
        lambda r: guardrail(r).update(piiEntities=[{"type": "EMAIL"}, {"type": "EMAIL", "action": "BLOCK"}]),
        "guardrails.guardrails[0].piiEntities[1].type",
        "twice",
    ),
    (
        "regex-invalid",
        "dev",
        lambda r: guardrail(r).update(regexes=[{"name": "ticket", "pattern": "TICKET-(\\d+"}]),
        "guardrails.guardrails[0].regexes[0].pattern",
        "regular expression",
    ),
    (
        "regexes-31",
        "dev",
        lambda r: guardrail(r).update(regexes=[{"name": f"r{i}", "pattern": "x"} for i in range(31)]),
        "guardrails.guardrails[0].regexes",
        "30",
    ),
    (
        "word-twice",
        "prod",
        lambda r: guardrail(r).update(words=["aurora", "Aurora"]),
        "guardrails.guardrails[0].words[1]",
        "twice",
    ),
    (
        "no-policy",
        "dev",
        lambda r: guardrail(r).update(
            contentFilters=[], piiEntities=[], deniedTopics=[], profanityFilter=False, grounding=None
        ),
        "guardrails.guardrails[0]",
        "no policy",
    ),
    ("tier", "dev", lambda r: guardrail(r).update(tier="PREMIUM"), "guardrails.guardrails[0].tier", "STANDARD"),
    (
        "guardrail-kms",
        "dev",
        lambda r: guardrail(r).update(kmsKeyArn="alias/guardrails"),
        "guardrails.guardrails[0].kmsKeyArn",
        "ARN",
    ),
    ("aws-name-too-long", "dev", lambda r: guardrail(r).update(name="x" * 45), "guardrails.guardrails[0].name", "50"),
    (
        "guardrail-names-repeat",
        "dev",
        lambda r: r[f"{NS}:guardrails"]["guardrails"].append(copy.deepcopy(guardrail(r))),
        "guardrails.guardrails[1].name",
        "twice",
    ),
    (
        "guardrail-unknown-key",
        "dev",
        lambda r: guardrail(r).update(contentFilter=[]),
        "guardrails.guardrails[0].contentFilter",
        "contentFilters",
    ),
    (
        "logging-nothing-delivered",
        "dev",
        lambda r: logging_cfg(r).update(textData=False),
        "guardrails.invocationLogging.textData",
        "at least one",
    ),
    (
        "logging-large-data-expiry",
        "dev",
        lambda r: logging_cfg(r).update(largeDataExpirationDays=90),
        "guardrails.invocationLogging.largeDataExpirationDays",
        "184",
    ),
    (
        "forwarding-pattern-too-long",
        "dev",
        # Every control-plane operation of the service models: far over the pattern quota.
        lambda r: forwarding(r).update(operations=list(CONTROL_PLANE_OPERATIONS)),
        "eventForwarding.operations",
        "2048",
    ),
    (
        "forwarding-converse",
        "prod",
        lambda r: forwarding(r).update(operations=["CreateGuardrail", "ConverseStream"]),
        "eventForwarding.operations",
        "ConverseStream",
    ),
    (
        "forwarding-operations-repeat",
        "dev",
        lambda r: forwarding(r).update(operations=["CreateGuardrail", "CreateGuardrail"]),
        "eventForwarding.operations",
        "repeat",
    ),
    (
        "forwarding-rate-limit",
        "dev",
        lambda r: forwarding(r).update(rateLimitPerSecond=301),
        "eventForwarding.rateLimitPerSecond",
        "300",
    ),
    (
        "trail-both",
        "prod",
        lambda r: forwarding(r)["trail"].update(create=True),
        "eventForwarding.trail.existingTrailArn",
        "must not be set",
    ),
    (
        "trail-kms-existing",
        "prod",
        lambda r: forwarding(r)["trail"].update(
            kmsKeyArn="arn:aws:kms:eu-central-1:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666"
        ),
        "eventForwarding.trail.kmsKeyArn",
        "create is false",
    ),
    (
        "trail-expiry",
        "dev",
        lambda r: forwarding(r)["trail"].update(logExpirationDays=180),
        "eventForwarding.trail.logExpirationDays",
        "184",
    ),
    (
        "trail-arn",
        "prod",
        lambda r: forwarding(r)["trail"].update(existingTrailArn="org-management-trail"),
        "eventForwarding.trail.existingTrailArn",
        "trail ARN",
    ),
    (
        "trail-events",
        "dev",
        lambda r: forwarding(r)["trail"].update(managementEvents="ReadOnly"),
        "eventForwarding.trail.managementEvents",
        "WriteOnly",
    ),
    (
        "alarm-topic-twice",
        "prod",
        lambda r: forwarding(r)["alarms"].update(createTopic=True),
        "eventForwarding.alarms.createTopic",
        "snsTopicArn",
    ),
    (
        "dlq-retention",
        "dev",
        lambda r: forwarding(r).update(deadLetter={"messageRetentionSeconds": 2_000_000}),
        "eventForwarding.deadLetter.messageRetentionSeconds",
        "1209600",
    ),
    (
        "retry-age",
        "prod",
        lambda r: forwarding(r)["retry"].update(maximumEventAgeSeconds=90_000),
        "eventForwarding.retry.maximumEventAgeSeconds",
        "86400",
    ),
]


@pytest.mark.parametrize(
    ("stack", "mutate", "expected_path", "expected_text"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_bad_config_names_the_key_path(stack: str, mutate: Mutation, expected_path: str, expected_text: str) -> None:
    raw = stack_file(stack)
    parse_stack_config(raw, ENV, stack)  # the committed stack file is valid
    mutate(raw)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, stack)
    full = f"{NS}:{expected_path}"
    lines = [line for line in str(caught.value).splitlines() if line.strip().startswith(f"- {full}:")]
    assert lines, f"no problem reported at {full}:\n{caught.value}"
    assert any(expected_text in line for line in lines), str(caught.value)


def test_table_has_at_least_15_guardrail_and_forwarding_cases() -> None:
    assert len(CASES) >= 15


def test_region_comes_from_aws_region_then_environment() -> None:
    raw = stack_file("prod")
    assert parse_stack_config(raw, ENV, "prod").aws_region == "eu-central-1"
    del raw["aws:region"]
    assert parse_stack_config(raw, {**ENV, "AWS_DEFAULT_REGION": "eu-central-1"}, "prod").aws_region == "eu-central-1"
    assert parse_stack_config(raw, ENV, "prod").aws_region is None  # unknown region: the profile is not checked


def test_defaults_are_production_grade() -> None:
    config = parse_stack_config({f"{NS}:dynatrace": {"environmentUrl": "https://abc12345.live.dynatrace.com"}}, ENV)
    fwd = config.event_forwarding
    assert (fwd.retry.maximum_retry_attempts, fwd.retry.maximum_event_age_seconds) == (185, 86400)
    assert fwd.trail.create
    assert fwd.trail.log_expiration_days >= 184
    assert fwd.alarms.enabled
    assert fwd.dead_letter.message_retention_seconds == 14 * 24 * 3600
    [default] = config.guardrails.guardrails
    kinds = {f.type: f for f in default.content_filters}
    assert set(kinds) == {"SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"}
    assert kinds["PROMPT_ATTACK"].input_strength == "HIGH"
    assert kinds["PROMPT_ATTACK"].output_strength == "NONE"
    assert {e.type for e in default.pii_entities if e.action == "BLOCK"} >= {
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "PASSWORD",
    }
    assert default.profanity_filter
    assert config.guardrails.invocation_logging.retention_days >= 365
