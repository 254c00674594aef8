"""The fair floor for the offline plan: import the same SDK submodules and register the same
number of inert resources under the same mocks — nothing else.

Usage: python bench/floor_program.py <spec.json> [--gc-policy]
  spec: {"modules": [...], "resources": N}
  --gc-policy: run under the garbage-collector policy of the plan's command line (tools.batch_gc)
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    for module in spec["modules"]:
        importlib.import_module(module)
    import pulumi

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[Any, Any]]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], None]:
            return {}, None

    pulumi.runtime.set_mocks(Mocks(), project="floor", stack="floor", preview=False)

    class Inert(pulumi.CustomResource):
        def __init__(self, name: str) -> None:
            super().__init__("floor:index:Inert", name, {"value": name})

    def program() -> Any:
        return pulumi.Output.all(*[Inert(f"r{i}").id for i in range(int(spec["resources"]))])

    pulumi.runtime.test(program)()


if __name__ == "__main__":
    if "--gc-policy" in sys.argv[2:]:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tools import batch_gc

        batch_gc.for_batch_run()
        main(sys.argv[1])
        batch_gc.before_exit()
    else:
        main(sys.argv[1])
