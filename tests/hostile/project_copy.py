"""A throw-away copy of the project for running the real CLI on hostile input, and a snapshot of
its file tree to prove that nothing changed outside ``build/<stack>/``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

COPIED = ("components", "tools", "policies", "__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml")
COPIED += ("Makefile",)

Snapshot = dict[str, tuple[str, int, int]]


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    (target / "canary-outside.txt").write_text("must survive every run\n")
    return target


def snapshot(root: Path) -> Snapshot:
    """Every path under ``root`` (links not followed): kind, size, modification time."""
    seen: Snapshot = {}
    for directory, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(directory) / name
            info = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            seen[str(path.relative_to(root))] = (kind, info.st_size if kind == "file" else 0, info.st_mtime_ns)
    return seen


def changes_outside(before: Snapshot, after: Snapshot, allowed: str | None) -> list[str]:
    """Paths added, removed or modified, except below ``allowed`` (a folder relative to the root)."""
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}

    def inside(path: str) -> bool:
        return allowed is not None and (path == allowed or path.startswith(allowed + os.sep))

    def expected(path: str) -> bool:
        return allowed is not None and (path == "build" or inside(path))

    return sorted(p for p in changed if not expected(p))


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "NGC_", "PULUMI_", "AWS_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run_cli(
    project: Path, args: list[str], env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", *args],
        cwd=project,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
