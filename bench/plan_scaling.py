"""Plan scaling: plan time with 1, 16 and 64 NIM services (each with its own GPU node group),
generated from the dev stack; reports t(N)/t(1) and resources registered per second.

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

from ._timing import PYTHON, ROOT, interleaved, machine, median, table

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
        commands = {}
        for size in sizes:
            name = f"scale{size}"
            (Path(tmp) / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": scaled_config(size)}))
            commands[name] = [PYTHON, "-m", "tools.plan", name, "--stack-dir", tmp, "--out", f"{tmp}/build/{name}"]
        samples = interleaved(commands, args.runs)
        counts = {
            name: len(json.loads((Path(tmp) / "build" / name / "plan.json").read_text())["resources"])
            for name in commands
        }
    base = median(samples[f"scale{sizes[0]}"])
    rows = []
    for size in sizes:
        name = f"scale{size}"
        t = median(samples[name])
        rows.append([size, counts[name], f"{t:.3f}", f"{t / base:.2f}", f"{counts[name] / t:.0f}"])
    print(f"Plan scaling — {args.runs} interleaved runs each, {machine()}")
    print(table(["NIMs (+groups)", "resources", "median s", f"t/t({sizes[0]})", "resources/s (incl. start-up)"], rows))


if __name__ == "__main__":
    main()
