"""URN snapshots: what each committed stack registers, kept so that a rename cannot destroy anything unseen.

A resource's URN (stack, project, parent type chain, type, name) is its identity in the Pulumi
state. A change of name, type or parent makes ``pulumi up`` delete the old resource and create a
new one: for a Grail bucket or a node group that is data loss or an outage. ``tests/plan/urns/``
holds the URNs the offline plan registers for every committed ``Pulumi.<stack>.yaml``.

A change that drops a URN must give the resource that replaces it ``aliases=`` naming the old
identity (``pulumi.Alias(name=..., parent=...)``); the engine then moves the resource in place.
``python -m tools.urn_snapshot`` compares; ``--update`` rewrites the snapshots and refuses a
dropped URN that no alias covers unless it is named with ``--allow-delete URN``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools.mock_run import RegisteredResource

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DIR = PROJECT_ROOT / "tests" / "plan" / "urns"


@dataclass(frozen=True)
class Registered:
    """The URNs one evaluation registered, and the earlier URNs each one answers for."""

    urns: frozenset[str]
    aliases: dict[str, str] = field(default_factory=dict)  # alias URN -> the URN that carries it


@dataclass(frozen=True)
class Comparison:
    added: tuple[str, ...]
    moved: tuple[tuple[str, str], ...]  # (old URN, new URN) through an alias
    lost: tuple[str, ...]  # dropped with no alias: `pulumi up` would delete these

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.moved or self.lost)

    def describe(self) -> list[str]:
        lines = [f"  + {urn}" for urn in self.added]
        lines += [f"  ~ {old}\n    -> {new} (alias)" for old, new in self.moved]
        lines += [f"  - {urn}  (no alias: pulumi up would DELETE it)" for urn in self.lost]
        return lines


def compare(snapshot: Iterable[str], current: Registered) -> Comparison:
    before = frozenset(snapshot)
    dropped = sorted(before - current.urns)
    return Comparison(
        added=tuple(sorted(current.urns - before)),
        moved=tuple((urn, current.aliases[urn]) for urn in dropped if urn in current.aliases),
        lost=tuple(urn for urn in dropped if urn not in current.aliases),
    )


def committed_stacks(root: Path = PROJECT_ROOT) -> list[str]:
    """The stacks with a committed ``Pulumi.<stack>.yaml``."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def registered(stack: str) -> Registered:
    """What the offline plan of ``stack`` registers (its config validated first)."""
    from tools.plan import evaluate_stack

    return of_resources(evaluate_stack(stack, env={}).resources)


def of_resources(resources: Sequence[RegisteredResource]) -> Registered:
    """The URNs of ``resources`` and every alias the engine will honour for them.

    Besides a resource's own ``aliases=``, the engine derives aliases for the children of an
    aliased parent: under each of the parent's old identities, the child's type (and the type of
    each of the child's own aliases), with its name's parent prefix swapped for the old one
    (``cache-child`` under a parent once called ``cache`` and now ``model-cache`` answers for
    ``cache-child`` as ``model-cache-child``): ``stepGenerator.generateAliases`` in
    ``pkg/resource/deploy/step_generator.go`` of pulumi/pulumi.
    """
    by_urn = {r.urn: r for r in resources}
    derived: dict[str, list[str]] = {}

    def aliases_of(resource: RegisteredResource) -> list[str]:
        if resource.urn not in derived:
            found = list(resource.aliases)
            parent = by_urn.get(resource.parent)
            if parent is not None:
                identities = [(resource.type, resource.name), *(_type_and_name(own) for own in resource.aliases)]
                found += [
                    _child_alias(old, parent.name, type_, name)
                    for old in aliases_of(parent)
                    for type_, name in identities
                ]
            derived[resource.urn] = found
        return derived[resource.urn]

    aliases = {alias: r.urn for r in resources for alias in aliases_of(r)}
    return Registered(urns=frozenset(by_urn), aliases=aliases)


def _type_and_name(urn: str) -> tuple[str, str]:
    """The (unqualified) type and the name of a URN."""
    _, qualified_type, name = urn.rsplit("::", 2)
    return qualified_type.rsplit("$", 1)[-1], name


def _child_alias(parent_alias: str, parent_name: str, child_type: str, child_name: str) -> str:
    prefix, qualified_type, old_parent_name = parent_alias.rsplit("::", 2)
    if child_name.startswith(parent_name):
        child_name = old_parent_name + child_name[len(parent_name) :]
    return f"{prefix}::{qualified_type}${child_type}::{child_name}"


def snapshot_path(stack: str, directory: Path = SNAPSHOT_DIR) -> Path:
    return directory / f"{stack}.txt"


def read_snapshot(stack: str, directory: Path = SNAPSHOT_DIR) -> list[str]:
    path = snapshot_path(stack, directory)
    if not path.is_file():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def write_snapshot(stack: str, urns: Iterable[str], directory: Path = SNAPSHOT_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    header = (
        f"# URNs the offline plan registers for stack {stack!r}; rewrite with: python -m tools.urn_snapshot --update\n"
    )
    snapshot_path(stack, directory).write_text(header + "".join(f"{u}\n" for u in sorted(urns)), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.urn_snapshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the snapshots of the committed stacks")
    parser.add_argument(
        "--allow-delete", action="append", default=[], metavar="URN", help="a dropped URN that may go (repeatable)"
    )
    args = parser.parse_args(argv)
    stale = refused = False
    for stack in committed_stacks():
        current = registered(stack)
        result = compare(read_snapshot(stack), current)
        if result.unchanged:
            print(f"{stack}: {len(current.urns)} URNs, unchanged")
            continue
        print(f"{stack}: the registered URNs differ from {snapshot_path(stack).relative_to(PROJECT_ROOT)}")
        print("\n".join(result.describe()))
        unexpected = [urn for urn in result.lost if urn not in args.allow_delete]
        if args.update and not unexpected:
            write_snapshot(stack, current.urns)
            print(f"{stack}: snapshot rewritten")
        elif args.update:
            refused = True
            print(f"{stack}: not rewritten: give the replacing resources aliases=, or pass --allow-delete URN")
        else:
            stale = True
    if stale:
        print("run `python -m tools.urn_snapshot --update` once every dropped URN has an alias")
    return 1 if stale or refused else 0


if __name__ == "__main__":
    sys.exit(main())
