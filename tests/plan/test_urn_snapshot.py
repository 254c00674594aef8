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


def _moved_child_urns(child_opts: pulumi.ResourceOptions) -> Registered:
    """A component with one child registered with ``child_opts`` (plus ``parent=`` the component)."""

    def program() -> None:
        part = pulumi.ComponentResource("ai-observability:test:Part", "part", None)
        pulumi.ComponentResource(
            "ai-observability:test:Child",
            "part-child",
            None,
            pulumi.ResourceOptions.merge(child_opts, pulumi.ResourceOptions(parent=part)),
        )

    run = run_under_mocks(program, stack="dev", region="us-east-1", resource_class=RegisteredResource)
    return of_resources(run.resources)


def test_a_resource_moved_under_a_component_answers_for_its_root_urn() -> None:
    """``Alias(parent=ROOT_STACK_RESOURCE)``: the monitor resolves the alias spec as the engine does."""
    moved = _moved_child_urns(pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]))
    result = compare(["urn:pulumi:dev::ai-observability::ai-observability:test:Child::part-child"], moved)
    assert result.lost == ()
    assert result.moved == (
        (
            "urn:pulumi:dev::ai-observability::ai-observability:test:Child::part-child",
            "urn:pulumi:dev::ai-observability::ai-observability:test:Part$ai-observability:test:Child::part-child",
        ),
    )


def test_a_childs_own_aliases_also_hold_under_its_parents_old_identity() -> None:
    """The engine multiplies a renamed parent's old URN by each of the child's own aliases."""

    def program() -> None:
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(name="cache")])
        part = pulumi.ComponentResource("ai-observability:test:Part", "model-cache", None, renamed)
        pulumi.ComponentResource(
            "ai-observability:test:Child",
            "model-cache-child",
            None,
            pulumi.ResourceOptions(parent=part, aliases=[pulumi.Alias(type_="ai-observability:test:OldChild")]),
        )

    registered_now = of_resources(
        run_under_mocks(program, stack="dev", region="us-east-1", resource_class=RegisteredResource).resources
    )
    old = "urn:pulumi:dev::ai-observability::ai-observability:test:Part$ai-observability:test:OldChild::cache-child"
    assert registered_now.aliases[old] == (
        "urn:pulumi:dev::ai-observability::ai-observability:test:Part$ai-observability:test:Child::model-cache-child"
    )
