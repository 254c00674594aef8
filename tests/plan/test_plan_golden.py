"""The offline plan writes, byte for byte, the committed artefacts of every committed stack.

``tests/plan/golden/<stack>/`` holds what ``python -m tools.plan <stack>`` wrote when they were last
rewritten on purpose (``python -m tools.plan_golden``). A change that should not alter the plan
(a refactor, a speed-up) must leave them identical; one that alters them rewrites them, so the pull
request shows the new artefacts.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools import plan_golden
from tools.plan import PLAN_MARKER
from tools.urn_snapshot import committed_stacks

STACKS = committed_stacks()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_dev_and_prod_are_pinned() -> None:
    assert {"dev", "prod"} <= set(STACKS)
    for stack in STACKS:
        assert plan_golden.committed_artefacts(stack), f"no golden artefacts for {stack}: run `{plan_golden.COMMAND}`"


@pytest.mark.parametrize("stack", STACKS)
def test_the_cli_writes_the_committed_artefacts_byte_for_byte(stack: str, tmp_path: Path) -> None:
    out = tmp_path / stack
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tools.plan", stack, "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    written = {path: data for path, data in _files(out).items() if path != PLAN_MARKER}
    golden = _files(plan_golden.GOLDEN_DIR / stack)
    assert sorted(written) == sorted(golden), f"artefact files changed: run `{plan_golden.COMMAND}` if intended"
    changed = [path for path in golden if written[path] != golden[path]]
    if changed:
        first = changed[0]
        diff = difflib.unified_diff(
            golden[first].decode().splitlines(),
            written[first].decode().splitlines(),
            f"golden/{stack}/{first}",
            f"planned/{stack}/{first}",
            lineterm="",
            n=2,
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(
            f"{stack}: {len(changed)} artefact(s) differ ({', '.join(changed)}); if intended, run "
            f"`{plan_golden.COMMAND}` and commit tests/plan/golden/\n{shown}"
        )


def test_check_mode_names_changed_and_vanished_artefacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(plan_golden, "planned_artefacts", lambda stack: {"plan.json": "{}\n"})
    monkeypatch.setattr(plan_golden, "PROJECT_ROOT", tmp_path)
    golden = tmp_path / "golden"
    (golden / "dev" / "manifests").mkdir(parents=True)
    (golden / "dev" / "plan.json").write_text('{"old": true}\n')
    (golden / "dev" / "manifests" / "gone.yaml").write_text("kind: Gone\n")

    assert plan_golden.sync_stack("dev", check=True, directory=golden) == 1
    err = capsys.readouterr().err
    assert "golden/dev/plan.json is stale" in err
    assert "golden/dev/manifests/gone.yaml is no longer planned" in err
    assert plan_golden.COMMAND in err

    assert plan_golden.sync_stack("dev", check=False, directory=golden) == 0
    assert _files(golden / "dev") == {"plan.json": b"{}\n"}
    assert plan_golden.sync_stack("dev", check=True, directory=golden) == 0
