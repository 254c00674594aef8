"""Plan speed: `python -m tools.plan <stack>` against its floors, median of N interleaved runs.

- import floor: `python -c "import pulumi, pulumi_aws, pulumi_kubernetes"` (the bare SDK import line;
  pulumi_aws loads submodules lazily, so this floor excludes the submodules any program needs);
- fair floor: import the same SDK submodules the plan imports and register the same number of
  inert resources under mocks (bench/floor_program.py), with the interpreter's defaults and under
  the plan's garbage-collector policy (see bench/_floor.py).

Usage: python -m bench.plan_speed [--runs 5] [--stack dev]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ._floor import floor_commands, plan_command
from ._timing import PYTHON, interleaved, load, machine, median, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        floors, spec = floor_commands(args.stack, Path(tmp))
        load_before = load()
        samples = interleaved(
            {
                "plan": plan_command(args.stack, Path(tmp) / "build"),
                "import floor": [PYTHON, "-c", "import pulumi, pulumi_aws, pulumi_kubernetes"],
                **floors,
            },
            args.runs,
        )
    plan = median(samples["plan"])
    rows = [
        [name, f"{median(values):.3f}", f"{min(values):.3f}", f"{max(values):.3f}", f"{plan / median(values):.2f}"]
        for name, values in samples.items()
    ]
    print(f"Plan speed — stack {args.stack}, {args.runs} interleaved runs each, {machine()}")
    print(f"load average before {load_before}, after {load()}")
    print(f"{spec['resources']} resources registered; {len(spec['modules'])} SDK modules imported")  # type: ignore[arg-type]
    print(table(["command", "median s", "min s", "max s", "plan / this"], rows))


if __name__ == "__main__":
    main()
