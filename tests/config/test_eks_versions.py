"""Rule: ``eks.version`` comes from the dated table of EKS Kubernetes versions.

A version not in the table, or past its end of extended support, is refused by the config; past
its end of standard support it is accepted by the config and reported by the
``eks-cluster-version-in-standard-support`` policy (advisory or mandatory per stack). Dates are
compared in UTC on the day the check runs; the tests pin that day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.registry import all_policies
from policies.rules import _eks_versions
from policies.rules._eks_versions import EKS_VERSIONS, EksVersion
from policies.rules._support import Outcome
from tests.config.typed_config import changed, issues, path_of, set_at
from tests.policies.policy_samples import resource_args

POLICY = next(p for p in all_policies() if p.name == "eks-cluster-version-in-standard-support")
VERSION = path_of("eks", ("version",))


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, day.day)


def test_the_table_is_ordered_and_follows_the_calendar_rule() -> None:
    """Versions ascend; standard support ends about 14 months after the EKS release and extended
    support exactly 12 months after that (AWS's calendar; release dates are approximate by days)."""
    minors = [int(row.version.split(".")[1]) for row in EKS_VERSIONS]
    assert minors == list(range(minors[0], minors[0] + len(minors)))
    for row in EKS_VERSIONS:
        assert row.eks_release < row.end_of_standard_support < row.end_of_extended_support
        assert abs((row.end_of_standard_support - _months_later(row.eks_release, 14)).days) <= 3, row
        assert row.end_of_extended_support == _months_later(row.end_of_standard_support, 12), row


def test_the_table_was_checked_after_its_newest_release() -> None:
    assert max(row.eks_release for row in EKS_VERSIONS) <= _eks_versions.CHECKED


def _on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(_eks_versions, "today", lambda: day)


def _config_issues(version: str) -> list[str]:
    found = issues(changed("prod", lambda raw: set_at(raw, "eks", ("version",), version)), "prod")
    return [i.message for i in found if i.path == VERSION]


def _policy(version: str) -> Outcome:
    cluster = {"name": "genai-prod", "version": version, "roleArn": "arn:aws:iam::123456789012:role/eks"}
    return POLICY.check(resource_args("aws:eks/cluster:Cluster", cluster)).outcome


@settings(max_examples=60, deadline=None)
@given(row=st.sampled_from(EKS_VERSIONS), offset=st.integers(min_value=-400, max_value=400))
def test_support_status_on_any_day(row: EksVersion, offset: int) -> None:
    """Around each boundary: standard → config and policy pass; extended → policy reports; ended → config refuses."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for boundary in (row.end_of_standard_support, row.end_of_extended_support):
            day = boundary + timedelta(days=offset)
            _on(monkeypatch, day)
            status = row.status(day)
            config = _config_issues(row.version)
            if status == "ended":
                assert any("end of extended support" in m for m in config), config
            else:
                assert config == []
                expected = Outcome.COMPLIANT if status == "standard" else Outcome.NON_COMPLIANT
                assert _policy(row.version) is expected


def test_the_boundaries_are_the_start_of_the_date(monkeypatch: pytest.MonkeyPatch) -> None:
    row = _eks_versions.eks_version("1.33")
    assert row is not None
    _on(monkeypatch, row.end_of_standard_support - timedelta(days=1))
    assert _policy("1.33") is Outcome.COMPLIANT
    _on(monkeypatch, row.end_of_standard_support)
    assert _policy("1.33") is Outcome.NON_COMPLIANT
    _on(monkeypatch, row.end_of_extended_support - timedelta(days=1))
    assert _config_issues("1.33") == []
    _on(monkeypatch, row.end_of_extended_support)
    assert _config_issues("1.33")


def test_on_2026_12_04(monkeypatch: pytest.MonkeyPatch) -> None:
    """The day the table was checked: 1.31 has ended, 1.33 is in extended support, 1.35 is current."""
    _on(monkeypatch, date(2026, 12, 4))
    assert "2026-11-26" in " ".join(_config_issues("1.31"))
    assert "upgrade to 1.36" in " ".join(_config_issues("1.31"))
    assert _config_issues("1.33") == []
    assert _policy("1.33") is Outcome.NON_COMPLIANT
    assert _policy("1.34") is Outcome.NON_COMPLIANT  # standard support ended 2026-12-02
    assert _policy("1.35") is Outcome.COMPLIANT
    message = (
        POLICY.check(resource_args("aws:eks/cluster:Cluster", {"name": "c", "version": "1.33"})).findings[0].message
    )
    assert "2026-07-29" in message
    assert "eks.version" in message


@pytest.mark.parametrize("version", ["1.27", "1.40", "2.0", "1.3", "1.35.1", "v1.35", "１.35", "1.35 "])
def test_versions_outside_the_table_are_refused(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _on(monkeypatch, date(2026, 12, 4))
    found = _config_issues(version)
    if version.strip() == "1.35":  # surrounding whitespace is trimmed, as in every string
        assert found == []
    elif not version.isascii():  # a look-alike digit is named
        assert any("U+FF11 (FULLWIDTH DIGIT ONE)" in m for m in found), found
    else:
        assert any("release calendar" in m for m in found), found


def test_the_policy_does_not_judge_what_it_cannot_know() -> None:
    assert (
        POLICY.check(resource_args("aws:eks/nodeGroup:NodeGroup", {"version": "1.20"})).outcome
        is Outcome.NOT_APPLICABLE
    )
    assert _policy("1.99") is Outcome.NOT_APPLICABLE
