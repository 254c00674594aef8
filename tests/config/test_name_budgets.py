"""Rule: every AWS name the stack derives fits its service's limit, Pulumi's auto-name suffix included.

Pulumi's AWS provider auto-names a resource the program gives no physical name: resource name +
``-`` + 7 random hex characters (pulumi-terraform-bridge ``AutoName``: separator "-", Randlen 7).
The limits are the botocore service-model maxima (IAM role 64, EventBridge names 64, ...).
The bounds below are computed here from that statement, independently of the code under test.
"""

from __future__ import annotations

import re
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import parse_stack_config
from tests.conftest import FAKE_ENV, config_issues, stack_file

NS = "ai-observability"
ENV = FAKE_ENV
SUFFIX = 8  # "-" + 7 random hex characters

# The tightest derived name of each key, as the rule states it.
FORWARDER_MAX = 64 - len("-destination") - SUFFIX  # EventBridge API destination <prefix>-destination-xxxxxxx
INVOCATION_LOGGING_MAX = 64 - len("-invocation-logging-role") - SUFFIX  # IAM role
NODE_GROUP_MAX = 64 - len("-node-role") - SUFFIX  # IAM role <group>-node-role-xxxxxxx
GUARDRAIL_MAX = 50  # Bedrock guardrail <prefix>-<name>

# Letters and digits only: adjacent "-" or "_" is a CloudTrail grammar matter, tested on its own below.
AWS_NAME_CHARS = string.ascii_letters + string.digits
K8S_NAME_CHARS = string.ascii_lowercase + string.digits + "-"


def _aws_name(length: int, draw_chars: str) -> str:
    return ("a" + draw_chars * length)[:length]


def _with_forwarder_prefix(prefix: str) -> dict[str, Any]:
    raw = stack_file("dev")
    raw[f"{NS}:eventForwarding"]["namePrefix"] = prefix
    return raw


def _with_guardrails_prefix(prefix: str, name: str = "g") -> dict[str, Any]:
    raw = stack_file("dev")
    raw[f"{NS}:guardrails"]["namePrefix"] = prefix
    raw[f"{NS}:guardrails"]["guardrails"][0]["name"] = name
    return raw


def _with_group_name(name: str) -> dict[str, Any]:
    raw = stack_file("dev")
    raw[f"{NS}:gpuNodeGroups"][0]["name"] = name
    raw[f"{NS}:nims"][0]["nodeGroup"] = name
    return raw


@settings(max_examples=40, deadline=None)
@given(length=st.integers(min_value=FORWARDER_MAX - 6, max_value=63), chars=st.text(AWS_NAME_CHARS, min_size=1))
def test_event_forwarding_prefix_fits_every_derived_name(length: int, chars: str) -> None:
    issues = config_issues(_with_forwarder_prefix(_aws_name(length, chars)))
    key = f"{NS}:eventForwarding.namePrefix"
    if length <= FORWARDER_MAX:
        assert key not in issues, issues
    else:
        assert f"shorten namePrefix by {length - FORWARDER_MAX} character(s)" in issues[key]
        assert "EventBridge API destination name" in issues[key]
        assert "auto-naming" in issues[key]


@settings(max_examples=40, deadline=None)
@given(length=st.integers(min_value=INVOCATION_LOGGING_MAX - 6, max_value=63))
def test_guardrails_prefix_fits_the_invocation_logging_role(length: int) -> None:
    issues = config_issues(_with_guardrails_prefix(_aws_name(length, "x")))
    key = f"{NS}:guardrails.namePrefix"
    if length <= INVOCATION_LOGGING_MAX:
        assert key not in issues, issues
    else:
        assert f"by {length - INVOCATION_LOGGING_MAX} character(s)" in issues[key]
        assert "IAM role name" in issues[key]


@settings(max_examples=40, deadline=None)
@given(prefix=st.integers(min_value=1, max_value=INVOCATION_LOGGING_MAX), name=st.integers(min_value=1, max_value=50))
def test_guardrail_name_and_prefix_fit_bedrock(prefix: int, name: int) -> None:
    issues = config_issues(_with_guardrails_prefix(_aws_name(prefix, "p"), _aws_name(name, "n")))
    key = f"{NS}:guardrails.guardrails[0].name"
    total = prefix + 1 + name
    if total <= GUARDRAIL_MAX:
        assert key not in issues, issues
    else:
        assert f"by {total - GUARDRAIL_MAX} character(s)" in issues[key]
        assert "Bedrock guardrail name" in issues[key]


@settings(max_examples=40, deadline=None)
@given(length=st.integers(min_value=NODE_GROUP_MAX - 6, max_value=63), chars=st.text(K8S_NAME_CHARS, min_size=1))
def test_gpu_node_group_name_fits_its_node_role(length: int, chars: str) -> None:
    name = ("g" + chars * length)[:length].rstrip("-")
    name = name + "a" * (length - len(name))
    issues = config_issues(_with_group_name(name))
    key = f"{NS}:gpuNodeGroups[0].name"
    if length <= NODE_GROUP_MAX:
        assert key not in issues, issues
    else:
        assert f"shorten the name by {length - NODE_GROUP_MAX} character(s)" in issues[key]


def test_the_reported_lengths_from_the_issue_are_refused() -> None:
    assert f"{NS}:eventForwarding.namePrefix" in config_issues(_with_forwarder_prefix("f" * 45))
    assert f"{NS}:guardrails.namePrefix" in config_issues(_with_guardrails_prefix("g" * 40))
    assert f"{NS}:gpuNodeGroups[0].name" in config_issues(_with_group_name("n" * 63))


@pytest.mark.parametrize("name", ["my--trail", "my_.trail", "a.-b"])
def test_a_created_trail_name_follows_cloudtrail_grammar(name: str) -> None:
    issues = config_issues(_with_forwarder_prefix(name.replace(".", "_")))
    assert "adjacent" in issues[f"{NS}:eventForwarding.namePrefix"]


def test_an_existing_trail_does_not_constrain_the_prefix_grammar() -> None:
    raw = stack_file("prod")  # declares an existing trail: the stack names no trail
    raw[f"{NS}:eventForwarding"]["namePrefix"] = "bedrock--gov"
    assert f"{NS}:eventForwarding.namePrefix" not in config_issues(raw, "prod")


# ---------------------------------------------------------------------------------------------
# The names the program really registers: at the longest accepted keys, every one fits.
# ---------------------------------------------------------------------------------------------

# Resource type -> (physical-name input, limit); without that input the provider auto-names it.
AWS_NAME_LIMITS: dict[str, tuple[str, int]] = {
    "aws:iam/role:Role": ("name", 64),
    "aws:iam/rolePolicy:RolePolicy": ("name", 128),
    "aws:cloudwatch/eventRule:EventRule": ("name", 64),
    "aws:cloudwatch/eventConnection:EventConnection": ("name", 64),
    "aws:cloudwatch/eventApiDestination:EventApiDestination": ("name", 64),
    "aws:cloudwatch/eventTarget:EventTarget": ("targetId", 64),
    "aws:sqs/queue:Queue": ("name", 80),
    "aws:sns/topic:Topic": ("name", 256),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", 255),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512),
    "aws:cloudtrail/trail:Trail": ("name", 128),
    "aws:bedrock/guardrail:Guardrail": ("name", 50),
    "aws:eks/nodeGroup:NodeGroup": ("nodeGroupName", 63),
    "aws:eks/cluster:Cluster": ("name", 100),
}


def _longest_accepted(stack: str) -> dict[str, Any]:
    raw = stack_file(stack)
    raw[f"{NS}:eventForwarding"]["namePrefix"] = "f" * FORWARDER_MAX
    guardrails = raw[f"{NS}:guardrails"]
    guardrails["namePrefix"] = "p" * INVOCATION_LOGGING_MAX
    for index, guardrail in enumerate(guardrails["guardrails"]):
        guardrail["name"] = (f"{index}" * GUARDRAIL_MAX)[: GUARDRAIL_MAX - INVOCATION_LOGGING_MAX - 1]
    renamed = {}
    for index, group in enumerate(raw[f"{NS}:gpuNodeGroups"]):
        renamed[group["name"]] = group["name"] = (f"g{index}" + "x" * NODE_GROUP_MAX)[:NODE_GROUP_MAX]
    for nim in raw[f"{NS}:nims"]:
        nim["nodeGroup"] = renamed[nim["nodeGroup"]]
    return raw


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_registered_aws_name_fits_at_the_longest_accepted_keys(stack: str) -> None:
    from tools.plan import evaluate_stack

    raw = _longest_accepted(stack)
    parse_stack_config(raw, ENV, stack)  # accepted: every key is at its bound
    result = evaluate_stack(stack, raw_config=raw, env=ENV)
    checked = 0
    for resource in result.resources:
        if resource.type not in AWS_NAME_LIMITS:
            continue
        prop, limit = AWS_NAME_LIMITS[resource.type]
        explicit = resource.inputs.get(prop)
        physical = explicit if isinstance(explicit, str) else f"{resource.name}-{'x' * (SUFFIX - 1)}"
        assert len(physical) <= limit, f"{resource.type} {physical!r}: {len(physical)} > {limit}"
        checked += 1
    assert checked >= 15
    longest = max(
        (r for r in result.resources if r.type == "aws:cloudwatch/eventApiDestination:EventApiDestination"),
        key=lambda r: len(r.name),
    )
    assert len(longest.name) + SUFFIX == 64  # the bound is tight: one more character would not fit
    assert re.fullmatch(r"f+-destination", longest.name)
