"""The offline runner: config resolution like --policy-pack-config, the engine's view of props,
the secrecy extension, and that it calls the pack's own policy objects."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from policy_samples import (
    CONNECTION,
    DT,
    EVENT_TARGET,
    GRAIL_BUCKET,
    GUARDRAIL,
    GUARDRAIL_VERSION,
    NODE_GROUP,
    PLATFORM_TOKEN,
    QUEUE_POLICY,
    with_,
)
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from components.secret_wire import secret_wrapper
from policies.registry import all_policies
from policies.rules import governance_bucket_retains_bizevents
from policies.runner import (
    CONFIG_DIR,
    evaluate_policies,
    load_pack_config,
    pack_config_problems,
    resolve,
    run_policies,
    wrapped_secret_paths,
)

BUCKET_POLICY = governance_bucket_retains_bizevents.governance_bucket_retains_bizevents
COMPONENT_URN = "urn:pulumi:prod::ai-observability::ai-observability:guardrails:Guardrails::g"


def secret(value: Any) -> dict[str, Any]:
    return secret_wrapper(value)


@dataclass
class Fake:
    """Shaped like tools.plan.PlannedResource (wire inputs, secrets wrapped)."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str = ""
    custom: bool = True
    urn: str = field(default="")

    def __post_init__(self) -> None:
        self.urn = self.urn or f"urn:pulumi:prod::ai-observability::{self.type}::{self.name}"


def bucket(retention: float) -> Fake:
    inputs = with_(GRAIL_BUCKET, "retention_days", retention)
    inputs["platform_token"] = secret(inputs["platform_token"])
    return Fake(DT + "GrailBucket", "governance-bucket", inputs)


# --- configuration ------------------------------------------------------------------------------


def test_committed_configs_are_valid_and_set_every_policy_level() -> None:
    for stack, level in (("dev", EnforcementLevel.ADVISORY), ("prod", EnforcementLevel.MANDATORY)):
        config = load_pack_config(stack)
        assert pack_config_problems(config) == []
        assert {resolve(p, config)[0] for p in all_policies()} == {level}


def test_resolve_follows_policy_pack_config_semantics() -> None:
    assert resolve(BUCKET_POLICY, {}) == (EnforcementLevel.MANDATORY, {"minRetentionDays": 184})
    level, settings = resolve(
        BUCKET_POLICY,
        {
            "all": "advisory",
            "governance-bucket-retains-bizevents": {"enforcementLevel": "disabled", "minRetentionDays": 7},
        },
    )
    assert (level, settings) == (EnforcementLevel.DISABLED, {"minRetentionDays": 7})
    assert resolve(BUCKET_POLICY, {"all": {"enforcementLevel": "advisory"}})[0] == EnforcementLevel.ADVISORY


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"governance-bucket-retain": "mandatory"}, "'governance-bucket-retain' is not a policy of this pack"),
        ({"governance-bucket-retains-bizevents": {"minRetention": 1}}, "unknown setting (allowed: minRetentionDays)"),
        ({"governance-bucket-retains-bizevents": {"minRetentionDays": "184"}}, "must be of type integer"),
        ({"governance-bucket-retains-bizevents": {"minRetentionDays": 0}}, "must be at least 1"),
        ({"governance-bucket-retains-bizevents": {"minRetentionDays": 3658}}, "must be at most 3657"),
        ({"model-invocation-logging-retained": {"minRetentionDays": 4000}}, "must be at most 3653"),
        ({"all": "strict"}, "'strict' is not an enforcement level"),
        ({"guardrail-filters-prompt-attacks": {"minInputStrength": "EXTREME"}}, "must be one of NONE, LOW"),
        ({"gpu-node-groups-use-allowed-instance-types": {"allowedInstanceTypes": ["g5.*", 5]}}, "[1] must be of type"),
    ],
)
def test_invalid_pack_config_is_rejected(config: dict[str, Any], problem: str) -> None:
    problems = pack_config_problems(config)
    assert any(problem in p for p in problems), problems
    with pytest.raises(ValueError, match="invalid policy pack config"):
        run_policies([], config)


def test_load_pack_config_names_the_file(tmp_path: Any) -> None:
    (tmp_path / "qa.json").write_text(json.dumps({"all": "mandatory", "nope": "advisory"}))
    with pytest.raises(ValueError, match=r"qa\.json: 'nope' is not a policy"):
        load_pack_config("qa", tmp_path)
    assert load_pack_config("absent", tmp_path) == {}
    assert CONFIG_DIR.name == "config"


# --- running ------------------------------------------------------------------------------------


def test_violation_carries_policy_enforcement_urn_and_message() -> None:
    resource = bucket(30.0)
    [violation] = [v.as_dict() for v in run_policies([resource], load_pack_config("prod"))]
    assert set(violation) == {"policy", "enforcement", "urn", "message"}
    assert violation["policy"] == "governance-bucket-retains-bizevents"
    assert violation["enforcement"] == "mandatory"
    assert violation["urn"] == resource.urn
    assert "Why: " in violation["message"]
    assert "Fix: " in violation["message"]
    assert run_policies([resource], load_pack_config("dev"))[0].enforcement == "advisory"
    assert run_policies([resource], {"governance-bucket-retains-bizevents": "disabled"}) == []
    assert run_policies([resource], {"governance-bucket-retains-bizevents": {"minRetentionDays": 30}}) == []


def test_runner_calls_the_packs_own_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """No second implementation: swapping the rule's check changes what the offline plan reports."""
    seen: list[str] = []
    original = BUCKET_POLICY.check

    def spy(args: Any) -> Any:
        seen.append(args.urn)
        return original(args)

    monkeypatch.setattr(BUCKET_POLICY, "check", spy)
    resource = bucket(1825.0)
    assert run_policies([resource], {}) == []
    assert seen == [resource.urn]
    assert BUCKET_POLICY in all_policies()


def test_not_applicable_is_recorded_not_reported() -> None:
    report = evaluate_policies([Fake("aws:eks/nodeGroup:NodeGroup", "gpu", NODE_GROUP)], {})
    assert report.violations == []
    assert ("governance-bucket-retains-bizevents", "only Dynatrace Grail buckets") in {
        (n.policy, n.reason) for n in report.not_applicable
    }
    assert "gpu-node-groups-use-nvidia-ami" not in {n.policy for n in report.not_applicable}


def test_rules_see_props_like_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets unwrapped to plain values, objects behind the analyzer's read-only proxies."""
    seen: list[Any] = []
    original = BUCKET_POLICY.check
    monkeypatch.setattr(BUCKET_POLICY, "check", lambda args: seen.append(args.props) or original(args))
    run_policies([bucket(1825.0)], {})
    [props] = seen
    assert props["platform_token"] == PLATFORM_TOKEN
    assert not isinstance(props, dict)
    assert isinstance(props, Mapping)


def test_secret_paths_extension_catches_a_plain_credential() -> None:
    wrapped = Fake(
        "aws:cloudwatch/eventConnection:EventConnection",
        "conn",
        with_(CONNECTION, "authParameters", secret(CONNECTION["authParameters"])),
    )
    plain = Fake("aws:cloudwatch/eventConnection:EventConnection", "leaky", CONNECTION)
    assert wrapped_secret_paths(wrapped.inputs) == frozenset({("authParameters",)})
    violations = run_policies([wrapped, plain], {"all": "mandatory"})
    assert [(v.policy, v.urn) for v in violations] == [("credentials-reach-resources-as-secrets", plain.urn)]
    assert "authParameters.apiKey.value" in violations[0].message


def test_wrapped_secret_paths_reach_into_lists() -> None:
    inputs = {"spec": {"containers": [{"env": [{"name": "A", "value": secret("x")}]}]}, "n": 1}
    assert wrapped_secret_paths(inputs) == frozenset({("spec", "containers", 0, "env", 0, "value")})


def test_stack_policies_see_every_resource_with_parents() -> None:
    guardrail = Fake("aws:bedrock/guardrail:Guardrail", "g", GUARDRAIL, parent=COMPONENT_URN)
    version = Fake("aws:bedrock/guardrailVersion:GuardrailVersion", "g-v1", GUARDRAIL_VERSION, parent=COMPONENT_URN)
    component = Fake("ai-observability:guardrails:Guardrails", "g", {}, custom=False, urn=COMPONENT_URN)
    pinned = {"guardrails-have-pinned-version": "mandatory"}
    only = {p.name: "disabled" for p in all_policies() if p.name not in pinned} | pinned
    assert run_policies([component, guardrail, version], only) == []
    [lonely] = run_policies([component, guardrail], only)
    assert lonely.urn == guardrail.urn


def test_unknown_values_during_preview_are_reported_like_the_engine() -> None:
    """A document still unknown at preview time gives the engine's advisory diagnostic, not a pass."""
    queue_policy = Fake(
        "aws:sqs/queuePolicy:QueuePolicy",
        "dlq-policy",
        {"queueUrl": QUEUE_POLICY["queueUrl"], "policy": UNKNOWN_STRING_VALUE},
    )
    violations = run_policies([queue_policy], {"all": "mandatory"})
    assert {(v.policy, v.enforcement) for v in violations} == {
        ("event-queue-policies-restrict-source-arn", "advisory"),
        ("iam-no-wildcard-action-on-wildcard-resource", "advisory"),
    }
    assert all("can't run policy" in v.message and "during preview" in v.message for v in violations)


def test_target_with_unknown_destination_arn_is_still_checked() -> None:
    inputs = with_(with_(EVENT_TARGET, "arn", UNKNOWN_STRING_VALUE), "deadLetterConfig", ...)
    violations = run_policies([Fake("aws:cloudwatch/eventTarget:EventTarget", "t", inputs)], {"all": "mandatory"})
    [missing_dlq] = [v for v in violations if v.policy == "api-destination-targets-retry-with-dlq"]
    assert "no dead-letter queue" in missing_dlq.message
    # the stack rule also sees the target (alarms missing in this one-resource stack)
    assert {v.policy for v in violations} == {
        "api-destination-targets-retry-with-dlq",
        "event-forwarding-dlq-guarded-and-alarmed",
    }
