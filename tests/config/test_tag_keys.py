"""Rule: tag keys are compared ignoring letter case (they land on IAM roles, and IAM tag keys are
case-insensitive), so two keys differing only in case, or a key equal to one of the stack's own
in another case, are refused; distinct keys are not."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import config_issues, stack_file

NS = "ai-observability"
STACK_KEYS = ("managed-by", "ai-observability:stack", "ai-observability:component", "ai-observability:node-group")


def _issues(tags: dict[str, str]) -> dict[str, str]:
    raw: dict[str, Any] = stack_file("dev")
    raw[f"{NS}:tags"] = tags
    return config_issues(raw)


def _recase(key: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(key, flips + [False] * len(key), strict=False))


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(["owner", "Owner", "cost-center", "CostCenter", "team:platform", "Équipe"]),
    flips=st.lists(st.booleans(), min_size=1, max_size=14),
)
def test_keys_differing_only_in_case_are_refused(key: str, flips: list[bool]) -> None:
    other = _recase(key, flips)
    tags = {"environment": "dev", key: "a", other: "b"}
    issues = _issues(tags)
    if other == key:  # the same key once: a legitimate map
        assert not issues
    else:
        (message,) = issues.values()
        assert "only in letter case" in message
        assert repr(key) in message


@settings(max_examples=40, deadline=None)
@given(key=st.sampled_from(STACK_KEYS), flips=st.lists(st.booleans(), min_size=1, max_size=30))
def test_a_stack_tag_key_in_any_case_is_refused(key: str, flips: list[bool]) -> None:
    user_key = _recase(key, flips)
    issues = _issues({"environment": "dev", "owner": "x", user_key: "mine"})
    assert any("set by the stack itself" in m and "ignore letter case" in m for m in issues.values()), issues


def test_distinct_keys_that_look_alike_still_pass() -> None:
    assert not _issues({"environment": "dev", "owner": "x", "owner-2": "y", "owners": "z", "Owner_": "w"})
    assert not _issues({"environment": "dev", "owner": "x", "managed-by-team": "platform", "stack": "a"})
