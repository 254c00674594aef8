"""Helpers for the delivery tests: the workflow files, the CI helper module, offline plans."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.conftest import FAKE_ENV, ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
ACTIONS = GITHUB / "actions"
HELPERS_PATH = GITHUB / "scripts" / "ci_helpers.py"
PULUMI_ACTION = "pulumi/actions"

_USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>.*?))?\s*$")


def load_yaml(path: Path) -> dict[str, Any]:
    """A workflow/action file; the ``on`` key (YAML 1.1 reads it as True) is restored."""
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict), f"{path} is not a mapping"
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load_yaml(WORKFLOWS / name)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def action_files() -> list[Path]:
    return sorted([*ACTIONS.glob("*/action.yml"), *ACTIONS.glob("*/action.yaml")])


@dataclass(frozen=True)
class UsesRef:
    path: Path
    line: int
    ref: str  # e.g. "actions/checkout@<sha>" or "./.github/actions/x"
    comment: str | None  # the trailing "# v1.2.3" comment, if any

    @property
    def local(self) -> bool:
        return self.ref.startswith("./")

    @property
    def action(self) -> str:
        return self.ref.split("@", 1)[0]

    @property
    def version(self) -> str:
        return self.ref.split("@", 1)[1] if "@" in self.ref else ""


def uses_refs(paths: list[Path]) -> list[UsesRef]:
    """Every ``uses:`` line (steps and reusable-workflow jobs) with its trailing comment."""
    refs: list[UsesRef] = []
    for path in paths:
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            match = _USES_LINE.match(text)
            if match:
                refs.append(UsesRef(path, number, match.group("ref"), match.group("comment")))
    return refs


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).split("@", 1)[0] == action]


def load_script(path: Path) -> ModuleType:
    """A script of ``.github/scripts`` imported as a module (named after its file)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def helpers() -> ModuleType:
    """``.github/scripts/ci_helpers.py`` imported as a module."""
    return load_script(HELPERS_PATH)


@pytest.fixture(scope="session")
def planned() -> Callable[[str], Any]:
    """``planned(stack)``: the offline plan (``tools.plan.evaluate_stack``) of a committed stack,
    evaluated once per session with fake secrets."""
    from tools.plan import evaluate_stack

    env = dict(FAKE_ENV)
    cache: dict[str, Any] = {}

    def plan(stack: str) -> Any:
        if stack not in cache:
            cache[stack] = evaluate_stack(stack, env=env)
        return cache[stack]

    return plan


def run_plan_cli(stack: str, out: Path, stack_dir: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m tools.plan`` exactly as the offline-plan job runs it: no credentials at all."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "NGC_", "PULUMI_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", stack, "--out", str(out), "--stack-dir", str(stack_dir)],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
