"""Plan scaling: the committed dev stack and the dev stack grown to 1, 16 and 64 NIM services (each
with its own GPU node group), each against its own fair floor (the same SDK modules, as many inert
resources; see bench/_floor.py), all measured in one interleaved run.

Reports per stack the plan, both floors and plan / floor; t(N)/t(first size) for the plan and the
fair floor; and what each extra resource costs between the first and the last size.

Usage: python -m bench.plan_scaling [--runs 3] [--sizes 1,16,64] [--no-dev]
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ._floor import FLOORS, floor_commands, plan_command
from ._timing import ROOT, interleaved, load, machine, median, table

NS = "ai-observability"


def scaled_config(size: int) -> dict[str, Any]:
    """dev with ``size`` node groups and one NIM per group."""
    base = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    group = base[f"{NS}:gpuNodeGroups"][0]
    nim = base[f"{NS}:nims"][0]
    config = copy.deepcopy(base)
    config[f"{NS}:gpuNodeGroups"] = [{**copy.deepcopy(group), "name": f"gpu-{i:03d}"} for i in range(size)]
    config[f"{NS}:nims"] = [
        {**copy.deepcopy(nim), "name": f"model-{i:03d}", "nodeGroup": f"gpu-{i:03d}"} for i in range(size)
    ]
    return config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1,16,64")
    parser.add_argument("--no-dev", action="store_true", help="leave out the committed dev stack")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # label -> (stack, folder of its Pulumi.<stack>.yaml)
        stacks: dict[str, tuple[str, Path]] = {} if args.no_dev else {"dev": ("dev", ROOT)}
        for size in sizes:
            name = f"scale{size}"
            (workdir / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": scaled_config(size)}))
            stacks[f"{size} NIMs"] = (name, workdir)
        commands: dict[str, list[str]] = {}
        for label, (stack, folder) in stacks.items():
            commands[f"{label}: plan"] = plan_command(stack, workdir / "build" / stack, folder)
            floors, _ = floor_commands(stack, workdir, folder)
            commands.update({f"{label}: {floor}": argv for floor, argv in floors.items()})
        load_before = load()
        samples = interleaved(commands, args.runs)
        counts = {
            label: len(json.loads((workdir / "build" / stack / "plan.json").read_text())["resources"])
            for label, (stack, _) in stacks.items()
        }

    def t(label: str, what: str) -> float:
        return median(samples[f"{label}: {what}"])

    fair, strict = FLOORS
    first = f"{sizes[0]} NIMs"
    rows = [
        [
            label,
            counts[label],
            f"{t(label, 'plan'):.3f}",
            f"{t(label, fair):.3f}",
            f"{t(label, 'plan') / t(label, fair):.2f}",
            f"{t(label, strict):.3f}",
            f"{t(label, 'plan') / t(label, strict):.2f}",
            f"{t(label, 'plan') / t(first, 'plan'):.2f}",
            f"{t(label, fair) / t(first, fair):.2f}",
        ]
        for label in stacks
    ]
    print(f"Plan scaling — {args.runs} interleaved runs each, {machine()}")
    print(f"load average before {load_before}, after {load()}")
    headers = [
        "stack",
        "resources",
        "plan s",
        "fair floor s",
        "plan / floor",
        "floor, GC policy s",
        "plan / it",
        f"plan t/t({sizes[0]})",
        f"floor t/t({sizes[0]})",
    ]
    print(table(headers, rows))
    last = f"{sizes[-1]} NIMs"
    extra = counts[last] - counts[first]
    for what in ("plan", fair, strict):
        cost = 1000 * (t(last, what) - t(first, what)) / extra
        print(f"{what}: {cost:.2f} ms per extra resource ({sizes[0]} → {sizes[-1]} NIMs)")


if __name__ == "__main__":
    main()
