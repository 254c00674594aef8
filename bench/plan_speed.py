"""Plan speed: `python -m tools.plan dev` against two floors, median of N interleaved runs.

- import floor: `python -c "import pulumi, pulumi_aws, pulumi_kubernetes"` (the bare SDK import line;
  pulumi_aws loads submodules lazily, so this floor excludes the submodules any program needs);
- fair floor: import the same SDK submodules the plan imports and register the same number of
  inert resources under mocks (bench/floor_program.py).

Usage: python -m bench.plan_speed [--runs 5] [--stack dev]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from ._timing import PYTHON, ROOT, clean_env, interleaved, machine, median, table

PROBE = """
import json, sys
from tools.plan import evaluate_stack
result = evaluate_stack(sys.argv[1])
mods = sorted(m for m in sys.modules if m.startswith(("pulumi_aws.", "pulumi_kubernetes.", "pulumi_policy")))
print(json.dumps({"modules": mods, "resources": len(result.resources)}))
"""


def probe(stack: str) -> dict[str, object]:
    proc = subprocess.run(
        [PYTHON, "-c", PROBE, stack], cwd=ROOT, env=clean_env(), capture_output=True, text=True, check=True
    )
    spec: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return spec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args()

    spec = probe(args.stack)
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        samples = interleaved(
            {
                "plan": [PYTHON, "-m", "tools.plan", args.stack, "--out", str(Path(tmp) / "build")],
                "import floor": [PYTHON, "-c", "import pulumi, pulumi_aws, pulumi_kubernetes"],
                "fair floor": [PYTHON, str(ROOT / "bench" / "floor_program.py"), str(spec_path)],
            },
            args.runs,
        )
    plan = median(samples["plan"])
    rows = [
        [name, f"{median(values):.3f}", f"{min(values):.3f}", f"{max(values):.3f}", f"{plan / median(values):.2f}"]
        for name, values in samples.items()
    ]
    print(f"Plan speed — stack {args.stack}, {args.runs} interleaved runs each, {machine()}")
    print(f"{spec['resources']} resources registered; {len(spec['modules'])} SDK submodules imported")  # type: ignore[arg-type]
    print(table(["command", "median s", "min s", "max s", "plan / this"], rows))


if __name__ == "__main__":
    main()
