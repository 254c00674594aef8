"""Test-suite time on this machine: the README's test command, split into its parts.

Usage: python -m bench.suite_time
"""

from __future__ import annotations

import re
import subprocess
import time

from ._timing import ROOT, clean_env, machine, table

PARTS = {
    "ruff check + format --check": [[".venv/bin/ruff", "check", "."], [".venv/bin/ruff", "format", "--check", "."]],
    "mypy --strict (warm cache)": [[".venv/bin/mypy", "components", "tools", "policies", "__main__.py"]],
    "pytest -n 2": [[".venv/bin/pytest", "-n", "2", "-q", "-p", "no:cacheprovider"]],
}


def main() -> None:
    rows = []
    total = 0.0
    tests = ""
    for name, commands in PARTS.items():
        start = time.perf_counter()
        for argv in commands:
            proc = subprocess.run(argv, cwd=ROOT, env=clean_env(), capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
            found = re.search(r"(\d+ passed[^\n]*) in ", proc.stdout)
            tests = found.group(1) if found else tests
        seconds = time.perf_counter() - start
        total += seconds
        rows.append([name, f"{seconds:.1f}"])
    rows.append(["total (target ≤ 180 s)", f"{total:.1f}"])
    print(f"Test suite — {machine()}; {tests}")
    print(table(["part", "seconds"], rows))


if __name__ == "__main__":
    main()
