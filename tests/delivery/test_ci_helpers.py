"""The CI helper script the workflows call: credential detection and the job summary."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT


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


def test_region_comes_from_the_stack_file(helpers: ModuleType, tmp_path: Path) -> None:
    import yaml

    config = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    assert helpers.stack_region("prod") == config["aws:region"]
    (tmp_path / "Pulumi.noregion.yaml").write_text("config:\n  ai-observability:x: 1\n")
    assert helpers.stack_region("noregion", tmp_path) == "us-east-1"
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  aws:region: 'eu-central-1; curl evil'\n")
    with pytest.raises(helpers.HelperError, match="not an AWS region"):
        helpers.stack_region("bad", tmp_path)
    with pytest.raises(helpers.HelperError, match="no stack file"):
        helpers.stack_region("missing", tmp_path)
