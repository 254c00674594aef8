"""Plan scaling: plan time with 1, 16 and 64 NIM services (each with its own GPU node group),
generated from the dev stack, each against its own fair floor (the same SDK modules, as many inert
resources; see bench/_floor.py), all measured in one interleaved run.

Reports per size the plan, both floors, plan / floor, and t(N)/t(first size) for the plan and the
floor.

Usage: python -m bench.plan_scaling [--runs 3] [--sizes 1,16,64]
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
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        stacks = Path(tmp)
        commands: dict[str, list[str]] = {}
        for size in sizes:
            name = f"scale{size}"
            (stacks / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": scaled_config(size)}))
            commands[f"{name} plan"] = plan_command(name, stacks / "build" / name, stacks)
            floors, _ = floor_commands(name, stacks, stacks)
            commands.update({f"{name} {floor}": argv for floor, argv in floors.items()})
        load_before = load()
        samples = interleaved(commands, args.runs)
        counts = {
            size: len(json.loads((stacks / "build" / f"scale{size}" / "plan.json").read_text())["resources"])
            for size in sizes
        }

    def t(size: int, what: str) -> float:
        return median(samples[f"scale{size} {what}"])

    fair, strict = FLOORS
    first = sizes[0]
    rows = [
        [
            size,
            counts[size],
            f"{t(size, 'plan'):.3f}",
            f"{t(size, fair):.3f}",
            f"{t(size, 'plan') / t(size, fair):.2f}",
            f"{t(size, strict):.3f}",
            f"{t(size, 'plan') / t(size, strict):.2f}",
            f"{t(size, 'plan') / t(first, 'plan'):.2f}",
            f"{t(size, fair) / t(first, fair):.2f}",
        ]
        for size in sizes
    ]
    print(f"Plan scaling — {args.runs} interleaved runs each, {machine()}")
    print(f"load average before {load_before}, after {load()}")
    headers = [
        "NIMs (+groups)",
        "resources",
        "plan s",
        "fair floor s",
        "plan / floor",
        "floor, GC policy s",
        "plan / it",
        f"plan t/t({first})",
        f"floor t/t({first})",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
