"""Rules: AWS regions come from a maintained list; ARNs are in the stack's partition and region.

- ``aws:region`` and ``telemetry.bedrockMetrics.regions`` are regions of the generated list
  (``components/config/aws_regions.py``: pulumi-aws's ``Region`` enum, partitions from botocore);
  no free-form pattern, so a well-formed but unknown region is refused.
- Every ARN names a known partition, a region of that partition and a 12-digit account, and its
  resource follows the service's grammar.
- KMS keys, the SNS topic and the trail are in the stack's region; IAM roles and principals in its
  partition. Only a trail declared multi-region may name another region (its home region).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.aws_regions import PARTITIONS, REGIONS
from tests.config.typed_config import Raw, changed, issues, path_of, set_at
from tests.conftest import ROOT

KEY_ID = "0a1b2c3d-1111-2222-3333-444455556666"
ACCOUNT = "111122223333"
SETTINGS = settings(max_examples=60, deadline=None)


# --- the maintained region list -------------------------------------------------------------------


def test_the_region_list_is_the_installed_aws_providers() -> None:
    """Self-contained currency check: the committed list is exactly pulumi-aws's Region enum."""
    from pulumi_aws import Region

    assert set(REGIONS) == {member.value for member in Region}


def test_every_region_has_a_known_partition() -> None:
    assert set(REGIONS.values()) <= set(PARTITIONS)
    assert REGIONS["eu-central-1"] == "aws"
    assert REGIONS["us-gov-west-1"] == "aws-us-gov"
    assert REGIONS["cn-north-1"] == "aws-cn"


def test_the_generated_module_is_current_against_botocore() -> None:
    """The partitions come from botocore's partitions.json (botocore ships with the test-only dependencies)."""
    pytest.importorskip("botocore", reason="botocore (via moto) is needed to regenerate the region list")
    result = subprocess.run(
        [sys.executable, "-m", "tools.aws_regions", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def _without_cross_partition(raw: Raw, region: str) -> None:
    raw["aws:region"] = region
    if REGIONS.get(region) != "aws":  # the sample Dynatrace principal is in the aws partition
        raw["ai-observability:telemetry"]["bedrockMetrics"] = {"enabled": False}


@SETTINGS
@given(region=st.sampled_from(sorted(REGIONS)))
def test_every_listed_region_is_accepted(region: str) -> None:
    assert issues(changed("dev", lambda raw: _without_cross_partition(raw, region))) == []


@SETTINGS
@given(
    region=st.from_regex(
        r"(us|eu|ap|sa|ca|me|af|il|mx|cn|xx)(-gov|-iso[bef]?)?-(north|south|east|west|central|northeast|southeast)-[0-9]{1,2}",
        fullmatch=True,
    )
)
def test_a_well_formed_region_not_in_the_list_is_refused(region: str) -> None:
    found = issues(changed("dev", lambda raw: _without_cross_partition(raw, region)))
    if region in REGIONS:
        assert found == []
    else:
        assert [i.path for i in found] == ["aws:region"]


@pytest.mark.parametrize(("typo", "suggestion"), [("eu-central-l", "eu-central-1"), ("us-east1", "us-east-1")])
def test_a_near_miss_gets_a_suggestion(typo: str, suggestion: str) -> None:
    (issue,) = issues(changed("dev", lambda raw: raw.__setitem__("aws:region", typo)))
    assert "did you mean" in issue.message
    assert suggestion in issue.message.split("did you mean", 1)[1]


# --- ARNs -----------------------------------------------------------------------------------------

# (section, location, ARN builder (partition, region, account) -> ARN, regional?)
ARN_KEYS: list[tuple[str, tuple[str | int, ...], Any, bool]] = [
    ("eventForwarding", ("kmsKeyArn",), lambda p, r, a: f"arn:{p}:kms:{r}:{a}:key/{KEY_ID}", True),
    ("guardrails", ("guardrails", 0, "kmsKeyArn"), lambda p, r, a: f"arn:{p}:kms:{r}:{a}:alias/guardrails", True),
    ("guardrails", ("invocationLogging", "kmsKeyArn"), lambda p, r, a: f"arn:{p}:kms:{r}:{a}:key/{KEY_ID}", True),
    ("eventForwarding", ("alarms", "snsTopicArn"), lambda p, r, a: f"arn:{p}:sns:{r}:{a}:oncall", True),
    ("eventForwarding", ("trail", "existingTrailArn"), lambda p, r, a: f"arn:{p}:cloudtrail:{r}:{a}:trail/org", True),
    ("eks", ("adminRoleArns", 0), lambda p, r, a: f"arn:{p}:iam::{a}:role/PlatformAdmin", False),
    ("telemetry", ("bedrockMetrics", "dynatracePrincipalArn"), lambda p, r, a: f"arn:{p}:iam::{a}:root", False),
]


def _prod_with(key: str, loc: tuple[str | int, ...], value: str, region: str = "eu-central-1") -> Raw:
    def change(raw: Raw) -> None:
        raw["aws:region"] = region
        if key != "telemetry":
            raw["ai-observability:telemetry"]["bedrockMetrics"] = {"enabled": False}
        set_at(raw, key, loc, value)

    return changed("prod", change)


@SETTINGS
@given(case=st.sampled_from(ARN_KEYS), region=st.sampled_from(sorted(REGIONS)))
def test_arns_lie_in_the_stacks_partition_and_region(case: tuple[str, Any, Any, bool], region: str) -> None:
    key, loc, build, regional = case
    stack_region = "eu-central-1"
    arn = build(REGIONS[region], region if regional else "", ACCOUNT)
    found = [i for i in issues(_prod_with(key, loc, arn, stack_region), "prod") if i.path == path_of(key, loc)]
    same_place = REGIONS[region] == "aws" and (region == stack_region or not regional)
    assert (found == []) == same_place, (arn, [i.message for i in found])
    if not same_place:
        assert any("partition" in i.message or "region" in i.message for i in found)


@SETTINGS
@given(region=st.sampled_from([r for r, p in REGIONS.items() if p == "aws"]))
def test_a_trail_declared_multi_region_may_name_its_home_region(region: str) -> None:
    arn = f"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/org-trail"

    def change(raw: Raw) -> None:
        set_at(raw, "eventForwarding", ("trail", "existingTrailArn"), arn)
        set_at(raw, "eventForwarding", ("trail", "existingTrailMultiRegion"), True)

    assert issues(changed("prod", change), "prod") == []
    single = [i for i in issues(_prod_with("eventForwarding", ("trail", "existingTrailArn"), arn), "prod")]
    assert (single == []) == (region == "eu-central-1")
    if region != "eu-central-1":
        assert "existingTrailMultiRegion: true" in single[0].message


@pytest.mark.parametrize(
    ("arn", "says"),
    [
        (f"arn:aws-fake:kms:eu-central-1:{ACCOUNT}:key/{KEY_ID}", "not an AWS partition"),
        (f"arn:aws-cn:kms:eu-central-1:{ACCOUNT}:key/{KEY_ID}", "is in partition aws, not aws-cn"),
        (f"arn:aws:kms:eu-central-9:{ACCOUNT}:key/{KEY_ID}", "not an AWS region"),
        (f"arn:aws:kms:eu-central-1:12345678901:key/{KEY_ID}", "12 digits"),
        (f"arn:aws:kms:eu-central-1:１１１１２２２２３３３３:key/{KEY_ID}", "12 digits"),
        (f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/not-a-key-id", "key/<key id>"),
        (f"arn:aws:sns:eu-central-1:{ACCOUNT}:topic", "service 'kms'"),
        ("alias/mine", "KMS key or alias ARN such as"),
    ],
)
def test_malformed_kms_arns_are_refused(arn: str, says: str) -> None:
    found = [i.message for i in issues(_prod_with("eventForwarding", ("kmsKeyArn",), arn), "prod")]
    assert any(says in m for m in found), found


@pytest.mark.parametrize(
    ("key", "loc", "arn"),
    [
        (
            "eventForwarding",
            ("kmsKeyArn",),
            f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/mrk-0a1b2c3d11112222333344445555aaaa",
        ),
        ("eventForwarding", ("kmsKeyArn",), f"arn:aws:kms:eu-central-1:{ACCOUNT}:alias/team/ai:obs_key-1"),
        ("guardrails", ("invocationLogging", "kmsKeyArn"), f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/{KEY_ID}"),
        ("eks", ("adminRoleArns", 0), f"arn:aws:iam::{ACCOUNT}:role/team/platform/Admin+Ops@corp"),
        (
            "eventForwarding",
            ("trail", "existingTrailArn"),
            f"arn:aws:cloudtrail:eu-central-1:{ACCOUNT}:trail/org.trail_1",
        ),
    ],
)
def test_legitimate_arns_pass(key: str, loc: tuple[str | int, ...], arn: str) -> None:
    assert issues(_prod_with(key, loc, arn), "prod") == []


def test_the_log_group_key_must_be_a_key_not_an_alias() -> None:
    arn = f"arn:aws:kms:eu-central-1:{ACCOUNT}:alias/logs"
    found = [i.message for i in issues(_prod_with("guardrails", ("invocationLogging", "kmsKeyArn"), arn), "prod")]
    assert any("not an alias" in m for m in found), found


@pytest.mark.parametrize("trail", ["trail/ab", "trail/a--b", "trail/-ab", "trail/10.0.0.1", "trail/" + "a" * 129])
def test_trail_names_follow_cloudtrail(trail: str) -> None:
    arn = f"arn:aws:cloudtrail:eu-central-1:{ACCOUNT}:{trail}"
    assert issues(_prod_with("eventForwarding", ("trail", "existingTrailArn"), arn), "prod")


def test_bedrock_metrics_regions_are_in_the_stacks_partition() -> None:
    def change(raw: Raw) -> None:
        raw["ai-observability:telemetry"]["bedrockMetrics"]["regions"] = ["eu-west-1", "us-gov-west-1"]

    found = issues(changed("dev", change))
    assert [i.path for i in found] == [path_of("telemetry", ("bedrockMetrics", "regions", 1))]
    assert "aws-us-gov" in found[0].message
