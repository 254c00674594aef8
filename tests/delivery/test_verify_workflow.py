"""The verify workflows: after every deploy, and every day for every committed stack, with one issue
per stack; and the CI helper step that runs verify and reports it in the job summary."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.delivery.conftest import PULUMI_ACTION, steps_using, workflow
from tests.verify.conftest import INSTANT
from testsupport.dynatrace.deployed_stack import deploy, seed_signals
from testsupport.dynatrace.emulator import DynatraceEmulator

DISCOVERED_MATRIX = "${{ fromJSON(needs.stacks.outputs.stacks) }}"


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in job["steps"] if s.get("name", "").startswith(name))
    return found


def test_the_scheduled_verify_runs_daily_for_every_discovered_stack_in_its_own_environment() -> None:
    document = workflow("verify.yml")
    triggers = document["on"]
    [schedule] = triggers["schedule"]
    minute, hour, day_of_month, month, day_of_week = schedule["cron"].split()
    assert (day_of_month, month, day_of_week) == ("*", "*", "*"), "daily"
    assert minute.isdigit()
    assert hour.isdigit()
    assert "workflow_dispatch" in triggers
    assert document["permissions"] == {}
    jobs = document["jobs"]
    assert "PULUMI_DEPLOY_ENABLED" in jobs["stacks"]["if"]
    job = jobs["verify"]
    assert job["strategy"]["matrix"]["stack"] == DISCOVERED_MATRIX
    assert job["strategy"]["fail-fast"] is False
    assert 1 <= job["strategy"]["max-parallel"] <= 10, "bounded parallelism"
    assert job["environment"] == "verify-${{ matrix.stack }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    assert job["concurrency"]["group"] == "verify-${{ matrix.stack }}"  # never a deploy's pulumi-<stack>
    assert job["concurrency"]["cancel-in-progress"] is False


def test_drift_and_verify_both_feed_the_stack_issue() -> None:
    job = workflow("verify.yml")["jobs"]["verify"]
    [drift] = steps_using(job, PULUMI_ACTION)
    assert drift["with"]["command"] == "preview"
    assert drift["with"]["refresh"] is True
    assert drift["with"]["expect-no-changes"] is True
    assert drift["continue-on-error"] is True
    check = _step(job, "Verify")
    assert "verify-step" in check["run"]
    assert "--json-file" in check["run"]
    assert "--report-only" in check["run"]  # the issue step decides, then the last step fails the job
    issue = _step(job, "Open, update or close")
    assert issue["if"].startswith("always()")
    assert "stack_issue.py" in issue["run"]
    assert issue["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert issue["env"]["DRIFT"] == "${{ steps.drift.outcome }}"
    fail = _step(job, "Fail on")
    assert fail["if"] == "steps.verify.outputs.exit-code != '0' || steps.drift.outcome == 'failure'"
    names = [s.get("name", s.get("uses", "")) for s in job["steps"]]
    assert names.index(issue["name"]) < names.index(fail["name"])
    role = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"))
    assert role["with"]["role-to-assume"] == "${{ vars.AWS_VERIFY_ROLE_ARN }}"


def test_every_deploy_verifies_governance_and_the_probe_blocking_and_signals_not() -> None:
    for job_id, job in workflow("deploy.yml")["jobs"].items():
        ups = steps_using(job, PULUMI_ACTION)
        if not ups:
            continue
        stack = job["environment"]
        names = [s.get("name", "") for s in job["steps"]]
        up = names.index(ups[0]["name"])
        blocking = _step(job, "Verify the governance chain and the probe")
        signals = _step(job, "Verify signals")
        assert up < names.index(blocking["name"]) < names.index(signals["name"]), job_id
        assert f"--stack {stack} --only governance,probe" in blocking["run"]
        assert "continue-on-error" not in blocking
        assert f"--stack {stack} --only signals" in signals["run"]
        assert signals["continue-on-error"] is True
        assert f"'{stack}'" in blocking["env"]["PULUMI_STACK"]
        assert blocking["env"]["DT_PLATFORM_TOKEN"] == "${{ secrets.DT_PLATFORM_TOKEN }}"


def test_the_ci_step_runs_verify_against_the_emulator_and_reports_it(
    helpers: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with DynatraceEmulator(timing=INSTANT) as dt:
        deployed = deploy(dt, "dev")
        seed_signals(deployed)
        # The Pulumi CLI as the step finds it on PATH: `pulumi stack output --json --show-secrets`.
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        deployed.write_outputs(tmp_path / "outputs.json")
        fake = bin_dir / "pulumi"
        fake.write_text(f"#!/bin/sh\ncat {tmp_path}/outputs.json\n")
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        for name, value in deployed.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PULUMI_STACK", "acme/dev")
        summary, output = tmp_path / "summary.md", tmp_path / "output"
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        monkeypatch.setenv("GITHUB_OUTPUT", str(output))
        report = tmp_path / "verify.json"
        code = helpers.main(["verify-step", "--stack", "dev", "--only", "governance,probe", "--json-file", str(report)])
        dt.tokens.pop(deployed.ingest_token)
        failing = helpers.main(["verify-step", "--stack", "dev", "--only", "probe", "--report-only"])
    assert code == 0, summary.read_text()
    assert json.loads(report.read_text())["result"] == "pass"
    text = summary.read_text()
    assert text.startswith("## verify `dev` (governance,probe): passed (exit 0)")
    assert "PASS  probe event" in text
    assert "## verify `dev` (probe): FAILED (exit 1)" in text
    assert failing == 0  # --report-only
    assert output.read_text().splitlines() == ["exit-code=0", "exit-code=1"]
    assert deployed.ingest_token.split(".", 2)[2] not in text


def test_verify_credentials_are_required_when_switched_on(
    helpers: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HAS_PULUMI_TOKEN", "true")
    monkeypatch.delenv("AWS_ROLE_ARN", raising=False)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    assert helpers.main(["credentials", "--mode", "verify"]) == 1
    assert "AWS_VERIFY_ROLE_ARN" in capsys.readouterr().out


def test_the_issue_script_runs_on_the_runners_python_alone(tmp_path: Path) -> None:
    done = subprocess.run(
        ["python3", "-S", ".github/scripts/stack_issue.py", "--help"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--verify-exit" in done.stdout
