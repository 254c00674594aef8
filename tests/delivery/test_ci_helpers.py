"""The CI helper script the workflows call: credential detection and the job summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT
from tests.delivery.conftest import HELPERS_PATH


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


@pytest.mark.parametrize(
    ("env", "ready"),
    [
        ({}, False),  # a fork or an unconfigured repository
        ({"HAS_PULUMI_TOKEN": "false", "PULUMI_BACKEND_URL": "", "AWS_ROLE_ARN": ""}, False),
        ({"HAS_PULUMI_TOKEN": "true"}, False),  # a backend but no AWS role
        ({"AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/preview"}, False),  # a role but no backend
        ({"HAS_PULUMI_TOKEN": "true", "AWS_ROLE_ARN": "arn:aws:iam::111122223333:role/preview"}, True),
        ({"PULUMI_BACKEND_URL": "s3://state-bucket", "AWS_ROLE_ARN": "arn:aws:iam::1:role/p"}, True),
    ],
)
def test_preview_credentials_are_detected_and_absence_is_not_an_error(
    helpers: ModuleType,
    env: dict[str, str],
    ready: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("HAS_PULUMI_TOKEN", "PULUMI_BACKEND_URL", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert helpers.main(["credentials", "--mode", "preview"]) == 0
    assert _outputs(output) == {"ready": "true" if ready else "false"}
    printed = capsys.readouterr().out
    assert ("::notice title=Pulumi preview skipped::" in printed) is not ready
    if not ready:
        assert "AWS_PREVIEW_ROLE_ARN" in printed or "PULUMI_ACCESS_TOKEN" in printed


def test_missing_deploy_credentials_fail_the_job(
    helpers: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HAS_PULUMI_TOKEN", "true")
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.delenv("AWS_ROLE_ARN", raising=False)
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
    assert helpers.main(["credentials", "--mode", "deploy"]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("::error title=Deploy credentials missing::")
    assert "AWS_DEPLOY_ROLE_ARN" in printed


def test_summary_lists_violations_mandatory_first_in_a_safe_table(helpers: ModuleType, tmp_path: Path) -> None:
    report = [
        {"policy": "b-advisory", "enforcement": "advisory", "urn": "urn:pulumi:dev::p::t::res-a", "message": "x"},
        {
            "policy": "a-mandatory",
            "enforcement": "mandatory",
            "urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::logs",
            "message": "retention | too short\nsecond line",
        },
        {"policy": "stack-rule", "enforcement": "advisory", "urn": "", "message": "stack-wide"},
    ]
    (tmp_path / "policy-report.json").write_text(json.dumps(report))
    text = helpers.render_summary("dev", 1, "Offline plan for stack 'dev': 3 resources\n", tmp_path)
    assert text.startswith("## Offline plan `dev`: FAILED (exit 1: mandatory policy violation)")
    assert "Offline plan for stack 'dev': 3 resources" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3
    assert rows[0] == "| mandatory | a-mandatory | logs | retention \\| too short second line |"
    assert "| (stack) |" in text  # a stack policy has no resource URN
    for row in rows:
        assert row.count(" | ") == 3  # the pipe in the message did not add a column


@pytest.mark.parametrize(
    ("exit_code", "report", "expected"),
    [
        (0, "[]", "Policy report: no violations."),
        (2, None, "No policy report was written"),
        (0, "{not json", "The policy report is not valid JSON"),
    ],
)
def test_summary_states_the_outcome(
    helpers: ModuleType, tmp_path: Path, exit_code: int, report: str | None, expected: str
) -> None:
    if report is not None:
        (tmp_path / "policy-report.json").write_text(report)
    text = helpers.render_summary("prod", exit_code, "", tmp_path)
    assert expected in text
    assert ("passed" in text.splitlines()[0]) is (exit_code == 0)


def _write_stack(folder: Path, stack: str, region_lines: str) -> None:
    """A stack file: the dev configuration with ``region_lines`` in place of its aws:region line."""
    dev = (ROOT / "Pulumi.dev.yaml").read_text()
    (folder / f"Pulumi.{stack}.yaml").write_text(dev.replace("  aws:region: eu-central-1\n", region_lines))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_committed_stack_deploys_to_the_region_its_plan_plans_for(helpers: ModuleType, stack: str) -> None:
    """CI assumes its AWS role in the region the stack deploys to, read by the plan's own reader."""
    from tools.plan import read_stack_file
    from tools.plan_config import prepare

    planned = prepare(stack, read_stack_file(stack), {}).region
    assert helpers.stack_region(stack, env={}) == (planned, None)
    assert planned == "eu-central-1"


@pytest.mark.parametrize(
    ("region_lines", "expected"),
    [
        ("  aws:region: eu-west-3\n", "eu-west-3"),
        ("  aws:config:region: eu-west-3\n", "eu-west-3"),  # the CLI's old key form: the same key
        ("  aws:region: 'eu-west-3' # quoted, commented\n", "eu-west-3"),
    ],
)
def test_the_region_is_read_as_the_cli_reads_the_stack_file(
    helpers: ModuleType, tmp_path: Path, region_lines: str, expected: str
) -> None:
    _write_stack(tmp_path, "staging", region_lines)
    assert helpers.stack_region("staging", tmp_path, env={}) == (expected, None)


@pytest.mark.parametrize(
    ("env", "expected", "said"),
    [
        ({}, "us-east-1", "planned for us-east-1"),
        ({"AWS_REGION": "ap-south-1"}, "ap-south-1", "$AWS_REGION"),
        ({"AWS_DEFAULT_REGION": "sa-east-1"}, "sa-east-1", "$AWS_DEFAULT_REGION"),
    ],
)
def test_a_stack_without_a_region_follows_the_documented_fallback_and_says_so(
    helpers: ModuleType, tmp_path: Path, env: dict[str, str], expected: str, said: str
) -> None:
    _write_stack(tmp_path, "staging", "")
    region, note = helpers.stack_region("staging", tmp_path, env=env)
    assert region == expected
    assert note is not None
    assert said in note


@pytest.mark.parametrize("env", [{}, {"AWS_REGION": "eu-central-1"}])
def test_a_production_stack_without_a_region_is_refused(
    helpers: ModuleType, tmp_path: Path, env: dict[str, str]
) -> None:
    """prod makes every policy mandatory (policies/config/prod.json): it may never fall back."""
    _write_stack(tmp_path, "prod", "")
    with pytest.raises(helpers.HelperError, match=r"aws:region: is required in a production stack"):
        helpers.stack_region("prod", tmp_path, env=env)


@pytest.mark.parametrize(
    ("region_lines", "message"),
    [
        ("  aws:region: 'eu-central-1; curl evil'\n", "must be an AWS region code"),
        ("  aws:region: eu-central-9\n", "must be an AWS region code"),
        ("  aws:region: eu-central-1\n  aws:region: us-west-2\n", "already defined"),  # PyYAML keeps the last
        ("  aws:region: eu-central-1\n  aws:config:region: us-west-2\n", "is set twice"),
        ("  aws:region:\n    secure: v1:AAAA\n", "is encrypted"),
        ("  aws:region: [eu-central-1]\n", "must be an AWS region code"),
    ],
)
def test_a_region_the_program_would_refuse_is_refused(
    helpers: ModuleType, tmp_path: Path, region_lines: str, message: str
) -> None:
    _write_stack(tmp_path, "staging", region_lines)
    with pytest.raises(helpers.HelperError, match=message):
        helpers.stack_region("staging", tmp_path, env={})


@pytest.mark.parametrize("stack", ["missing", "../dev", ""])
def test_no_region_without_a_readable_stack_file(helpers: ModuleType, tmp_path: Path, stack: str) -> None:
    with pytest.raises(helpers.HelperError):
        helpers.stack_region(stack, tmp_path, env={})


def _region_step(outputs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python .github/scripts/ci_helpers.py region ...`` from the project root, as the workflow step runs
    it after setup-project (no AWS variables, outputs to ``$GITHUB_OUTPUT``)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GITHUB_"))}
    return subprocess.run(
        [sys.executable, str(HELPERS_PATH), "region", *args],
        cwd=ROOT,
        env={**clean, "GITHUB_OUTPUT": str(outputs)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_region_subcommand_runs_as_the_workflows_run_it(tmp_path: Path) -> None:
    """The output line, and a notice when the stack sets no region."""
    outputs = tmp_path / "github-output"
    done = _region_step(outputs, "prod")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _outputs(outputs) == {"region": "eu-central-1"}
    _write_stack(tmp_path, "staging", "")
    done = _region_step(outputs, "staging", "--root", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _outputs(outputs)["region"] == "us-east-1"
    assert "::notice title=AWS region of staging::aws:region is not set" in done.stdout
    _write_stack(tmp_path, "prod", "")
    done = _region_step(outputs, "prod", "--root", str(tmp_path))
    assert done.returncode == 2
    assert done.stdout.startswith("::error::aws:region: is required in a production stack")
