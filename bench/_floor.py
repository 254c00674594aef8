"""What the plan benchmarks share: the plan command, and the fair floor measured for the same stack.

The fair floor (``bench/floor_program.py``) imports the SDK modules the plan of that stack imports
and registers as many inert resources under the same mocks: what any program of that size pays
before doing anything of its own. It is measured twice:

- ``fair floor``: the floor program as it is, with the interpreter's defaults;
- ``fair floor, plan's GC policy``: the same program under the garbage-collector policy the plan's
  command line uses (``tools.batch_gc``). The plan/floor ratio against this one counts only the
  work the plan does beyond registering inert resources; against the first one, the policy's
  savings count in the plan's favour.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ._timing import PYTHON, ROOT, clean_env

# SDK modules, counted by prefix: core, providers, the policy SDK.
SDK_PREFIXES = ("pulumi.", "pulumi_aws.", "pulumi_kubernetes.", "pulumi_policy")

PROBE = """
import json, sys
from pathlib import Path
from tools.plan import evaluate_stack, policy_violations, read_stack_file
stack, stack_dir, prefixes = sys.argv[1], Path(sys.argv[2]), tuple(sys.argv[3].split(","))
result = evaluate_stack(stack, raw_config=read_stack_file(stack, stack_dir), env={})
policy_violations(result, stack)
modules = sorted(m for m in sys.modules if m.startswith(prefixes))
print(json.dumps({"modules": modules, "resources": len(result.resources)}))
"""

FLOORS = {"fair floor": [], "fair floor, plan's GC policy": ["--gc-policy"]}


def probe(stack: str, stack_dir: Path = ROOT) -> dict[str, object]:
    """The SDK modules the plan of ``stack`` imports and the number of resources it registers."""
    proc = subprocess.run(
        [PYTHON, "-c", PROBE, stack, str(stack_dir), ",".join(SDK_PREFIXES)],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    spec: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return spec


def plan_command(stack: str, out: Path, stack_dir: Path = ROOT) -> list[str]:
    return [PYTHON, "-m", "tools.plan", stack, "--stack-dir", str(stack_dir), "--out", str(out)]


def floor_commands(stack: str, workdir: Path, stack_dir: Path = ROOT) -> tuple[dict[str, list[str]], dict[str, object]]:
    """The floor commands for ``stack`` (by name, see ``FLOORS``) and the probed spec they reproduce."""
    spec = probe(stack, stack_dir)
    spec_path = workdir / f"floor-{stack}.json"
    spec_path.write_text(json.dumps(spec))
    floor = [PYTHON, str(ROOT / "bench" / "floor_program.py"), str(spec_path)]
    return {name: [*floor, *flags] for name, flags in FLOORS.items()}, spec
