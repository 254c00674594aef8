"""Where the plan's time goes at fleet size: cProfile of `python -m tools.plan` for 1, 16 and 64 NIMs.

Each size is the dev stack scaled as in bench.plan_scaling, planned once under cProfile exactly as
the command line runs it (same entry point, so the same garbage-collector policy). Printed per
size: the phases of the plan and the functions with the most cumulative time, in ms per registered
resource; the profiler inflates pure-Python code, so compare rows with each other, not with the
wall-clock figures of the other benchmarks.

Usage: python -m bench.plan_profile [--sizes 1,16,64] [--top 15] [--save DIR]
"""

from __future__ import annotations

import argparse
import json
import pstats
import subprocess
import tempfile
from pathlib import Path

import yaml

from ._timing import PYTHON, ROOT, clean_env, load, machine, table
from .plan_scaling import scaled_config

PROFILE = """
import cProfile, runpy, sys
out, stack, stack_dir, plan_out = sys.argv[1:5]
sys.argv = ["tools.plan", stack, "--stack-dir", stack_dir, "--out", plan_out]
profile = cProfile.Profile()
try:
    profile.runcall(runpy.run_module, "tools.plan", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
profile.dump_stats(out)
"""

# (label, file suffix, function name): the phases of one plan, by the function that contains each.
PHASES = [
    ("whole plan", "tools/plan.py", "main"),
    ("stack file + config validation", "tools/plan.py", "read_stack_file"),
    ("program under mocks", "tools/mock_run.py", "run_under_mocks"),
    ("  program body (imports, components)", "__main__.py", "<module>"),
    ("  SDK: one registration (do_register)", "pulumi/runtime/resource.py", "do_register"),
    ("  SDK: stack trace per resource", "pulumi/runtime/resource.py", "_get_stack_trace"),
    ("  SDK: serialize inputs", "pulumi/runtime/rpc.py", "serialize_properties"),
    ("  SDK: resolve outputs", "pulumi/runtime/rpc.py", "resolve_outputs"),
    ("policies", "tools/plan.py", "policy_violations"),
    ("artefacts", "tools/plan.py", "write_artefacts"),
]


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    return sum(ct for (file, _, func), (_, _, _, ct, _) in raw.items() if func == name and file.endswith(suffix))


def _own(stats: pstats.Stats) -> dict[str, tuple[float, int]]:
    """Own time and calls per function."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    return {f"{_short(file)}:{line}({func})": (tt, nc) for (file, line, func), (_, nc, tt, _, _) in raw.items()}


def _short(file: str) -> str:
    for marker in ("site-packages/", "lib/python3.11/", f"{ROOT}/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,16,64")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--save", type=Path, default=None, help="keep the .prof files in this folder")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"Plan profile (cProfile) — {machine()}; load average {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp)
        profiles: dict[int, tuple[pstats.Stats, int]] = {}
        for size in sizes:
            name = f"scale{size}"
            (stacks / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": scaled_config(size)}))
            out = (args.save or stacks) / f"{name}.prof"
            out.parent.mkdir(parents=True, exist_ok=True)
            plan_out = stacks / "build" / name
            subprocess.run(
                [PYTHON, "-c", PROFILE, str(out), name, str(stacks), str(plan_out)],
                cwd=ROOT,
                env=clean_env(),
                check=True,
                capture_output=True,
            )
            resources = len(json.loads((plan_out / "plan.json").read_text())["resources"])
            profiles[size] = (pstats.Stats(str(out)), resources)

    first, last = sizes[0], sizes[-1]
    extra = profiles[last][1] - profiles[first][1]
    print(
        "Seconds per phase (under the profiler) at each size, and what each extra resource adds "
        f"({first} → {last} NIMs, {extra} more resources):"
    )
    header = ["phase", *(f"{size} NIMs ({profiles[size][1]} res.) s" for size in sizes), "ms per extra resource"]
    rows = []
    for label, suffix, func in PHASES:
        seconds = [_cumulative(stats, suffix, func) for stats, _ in profiles.values()]
        rows.append([label, *(f"{value:.3f}" for value in seconds), f"{1000 * (seconds[-1] - seconds[0]) / extra:.3f}"])
    print(table(header, rows))
    own = {size: _own(stats) for size, (stats, _) in profiles.items()}
    growth = sorted(
        ((own[last][name][0] - own[first].get(name, (0.0, 0))[0], name) for name in own[last]), reverse=True
    )[: args.top]
    print(f"\nThe {args.top} functions whose own time grows most per extra resource ({first} → {last} NIMs):")
    rows = [
        [
            name,
            *(f"{own[size].get(name, (0.0, 0))[0]:.3f}" for size in sizes),
            f"{1000 * grown / extra:.3f}",
            f"{(own[last][name][1] - own[first].get(name, (0.0, 0))[1]) / extra:.1f}",
        ]
        for grown, name in growth
    ]
    headers = ["function", *(f"own s at {size}" for size in sizes), "ms / extra resource", "calls / extra resource"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
