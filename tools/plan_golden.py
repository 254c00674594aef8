"""The committed artefacts of the offline plan, kept byte for byte in ``tests/plan/golden/<stack>/``.

The offline plan is the pull-request gate, so what it writes for every committed
``Pulumi.<stack>.yaml`` (``plan.json``, ``manifests/``, ``collector/config.yaml``,
``policy-report.json``) is committed too: a refactor or a speed-up must leave them byte-identical,
and a change that alters them on purpose rewrites them, so that the pull request shows the new
artefacts next to the code that changed them.

    python -m tools.plan_golden            # re-plan every committed stack and rewrite tests/plan/golden/
    python -m tools.plan_golden --check    # exit 1 naming every artefact that differs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tools.generated_file import PROJECT_ROOT, sync
from tools.plan import PLAN_MARKER, evaluate_stack, policy_violations, write_artefacts
from tools.urn_snapshot import committed_stacks

GOLDEN_DIR = PROJECT_ROOT / "tests" / "plan" / "golden"
COMMAND = "python -m tools.plan_golden"


def planned_artefacts(stack: str) -> dict[str, str]:
    """What ``python -m tools.plan <stack>`` writes, by path relative to its output folder.

    The environment's secret fallbacks (``DT_API_TOKEN``...) are not read: the artefacts never
    contain a secret, and a developer's shell must not change them.
    """
    result = evaluate_stack(stack, env={})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / stack
        write_artefacts(result, policy_violations(result, stack), out)
        return {
            path.relative_to(out).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(out.rglob("*"))
            if path.is_file() and path.name != PLAN_MARKER
        }


def committed_artefacts(stack: str, directory: Path = GOLDEN_DIR) -> list[str]:
    """The paths (relative to ``<directory>/<stack>``) of the committed artefacts of ``stack``."""
    root = directory / stack
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def sync_stack(stack: str, *, check: bool, directory: Path = GOLDEN_DIR) -> int:
    """Rewrite (``check``: only compare) the committed artefacts of ``stack``; 1 when any is stale."""
    planned = planned_artefacts(stack)
    stale = 0
    for relative, text in planned.items():
        stale |= sync(directory / stack / relative, text, command=COMMAND, check=check)
    for relative in committed_artefacts(stack, directory):
        if relative in planned:
            continue
        path = directory / stack / relative
        shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        if check:
            print(f"{shown} is no longer planned: run `{COMMAND}`", file=sys.stderr)
            stale = 1
        else:
            path.unlink()
            print(f"removed {shown}")
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed artefact differs from the plan")
    args = parser.parse_args(argv)
    results = [sync_stack(stack, check=args.check) for stack in committed_stacks()]
    return max(results, default=0)


if __name__ == "__main__":
    sys.exit(main())
