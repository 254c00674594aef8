"""Renames never destroy live infrastructure: every committed stack registers exactly its snapshot.

A URN that leaves the snapshot must be carried by an ``aliases=`` entry of the resource that
replaces it (``tools.urn_snapshot``); then the engine moves the resource instead of deleting it.
"""

from __future__ import annotations

import pulumi
import pytest

from tools.mock_run import RegisteredResource, run_under_mocks
from tools.urn_snapshot import Registered, committed_stacks, compare, of_resources, read_snapshot, registered

STACKS = committed_stacks()


def test_every_committed_stack_has_a_snapshot() -> None:
    assert {"dev", "prod"} <= set(STACKS)
    for stack in STACKS:
        assert read_snapshot(stack), f"no URN snapshot for {stack}: run python -m tools.urn_snapshot --update"


@pytest.mark.parametrize("stack", STACKS)
def test_registered_urns_match_the_snapshot(stack: str) -> None:
    result = compare(read_snapshot(stack), registered(stack))
    assert result.unchanged, (
        f"stack {stack}: URNs changed; give renamed resources aliases= and run "
        "`python -m tools.urn_snapshot --update`:\n" + "\n".join(result.describe())
    )


def _component_urns(name: str, aliases: list[pulumi.Alias] | None = None) -> Registered:
    """Register one component (and a child) under mocks, as the offline plan would."""

    class Part(pulumi.ComponentResource):
        def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("ai-observability:test:Part", resource_name, None, opts)
            pulumi.ComponentResource(
                "ai-observability:test:Child", f"{resource_name}-child", None, pulumi.ResourceOptions(parent=self)
            )
            self.register_outputs({})

    def program() -> None:
        Part(name, pulumi.ResourceOptions(aliases=aliases))

    run = run_under_mocks(program, stack="dev", region="us-east-1", resource_class=RegisteredResource)
    return of_resources(run.resources)


def test_a_rename_without_alias_is_reported_as_a_deletion() -> None:
    before = _component_urns("cache").urns
    result = compare(before, _component_urns("model-cache"))
    assert not result.unchanged
    assert (len(result.lost), len(result.added)) == (2, 2)  # the component and its child
    assert "urn:pulumi:dev::ai-observability::ai-observability:test:Part::cache" in result.lost


def test_a_rename_with_alias_is_a_move() -> None:
    before = _component_urns("cache").urns
    renamed = _component_urns("model-cache", aliases=[pulumi.Alias(name="cache")])
    result = compare(before, renamed)
    assert result.lost == ()
    assert (
        "urn:pulumi:dev::ai-observability::ai-observability:test:Part::cache",
        "urn:pulumi:dev::ai-observability::ai-observability:test:Part::model-cache",
    ) in result.moved


def test_urns_follow_the_engine_rule_for_parent_types() -> None:
    """Under the root stack a type stands alone; below a component it is qualified by the parent's."""
    urns = _component_urns("cache").urns
    assert urns == {
        "urn:pulumi:dev::ai-observability::ai-observability:test:Part::cache",
        "urn:pulumi:dev::ai-observability::ai-observability:test:Part$ai-observability:test:Child::cache-child",
    }
