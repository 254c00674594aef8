"""Shared helpers for the benchmarks: timing commands, medians, tables."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment without credentials, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "NGC_", "PULUMI_"))}
    env.update(extra or {})
    return env


def time_command(argv: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> float:
    """Wall seconds of one run; raises if the command fails."""
    start = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=env or clean_env(), capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0,):
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def interleaved(
    commands: Mapping[str, Sequence[str]], runs: int, env: dict[str, str] | None = None
) -> dict[str, list[float]]:
    """Run every command ``runs`` times, interleaved (so machine noise hits all alike)."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(time_command(argv, env))
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells[1:]]
    return "\n".join(lines)


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}"


def load() -> str:
    """The 1, 5 and 15 minute load averages (other work on this machine skews every figure)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
