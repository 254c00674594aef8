"""The scheduled verify's issue logic against a fake GitHub API on loopback: one issue per stack,
opened on failure, updated while failing, closed when green; never a duplicate, never another
stack's issue, never the token in a message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.delivery.conftest import GITHUB, load_script
from tests.delivery.fake_github import FakeGitHub


@pytest.fixture(scope="module")
def stack_issue() -> ModuleType:
    return load_script(GITHUB / "scripts" / "stack_issue.py")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    try:
        yield fake
    finally:
        fake.stop()


def _report(result: str = "fail") -> dict[str, Any]:
    check = {
        "id": "route",
        "title": "route",
        "status": "fail" if result == "fail" else "pass",
        "summary": "route 'AI Event Routing': at position 1, not 0; ahead of it: 'team-x | all' (matcher true)",
        "hint": "run `pulumi up`",
    }
    return {
        "schemaVersion": 1,
        "stack": "dev",
        "result": result,
        "exitCode": 1 if result == "fail" else 0,
        "totals": {"passed": 3, "warnings": 0, "failures": 1 if result == "fail" else 0, "skipped": 0},
        "sections": [{"name": "governance", "status": check["status"], "checks": [check]}],
    }


def _run(
    module: ModuleType,
    github: FakeGitHub,
    tmp_path: Path,
    report: dict[str, Any] | None,
    exit_code: int,
    drift: str = "success",
    stack: str = "dev",
    token: str | None = None,
) -> int:
    path = tmp_path / "verify.json"
    if report is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(json.dumps(report))
    env = {"GITHUB_TOKEN": token or github.token, "GITHUB_REPOSITORY": github.repository, "GITHUB_API_URL": github.url}
    argv = ["--stack", stack, "--report", str(path), "--verify-exit", str(exit_code), "--drift", drift]
    result: int = module.main([*argv, "--run-url", "https://github.invalid/run/7"], env)
    return result


def test_failure_opens_one_issue_updates_it_and_green_closes_it(
    stack_issue: ModuleType, github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(stack_issue, github, tmp_path, _report(), 1) == 0
    [issue] = github.issues
    assert issue["title"] == "verify: stack dev is not working"
    assert "<!-- ai-observability-verify stack=dev -->" in issue["body"]
    assert "| governance | route | fail |" in issue["body"]
    assert "'team-x \\| all'" in issue["body"]  # table cells escape pipes
    assert "verify-failure" in github.labels
    assert "opened issue #1" in capsys.readouterr().out

    second = _report()
    second["sections"][0]["checks"][0]["summary"] = "route 'AI Event Routing' is missing"
    assert _run(stack_issue, github, tmp_path, second, 1) == 0
    assert len(github.issues) == 1  # updated, not duplicated
    assert "is missing" in github.issues[0]["body"]
    assert "updated issue #1" in capsys.readouterr().out

    assert _run(stack_issue, github, tmp_path, _report("pass"), 0) == 0
    assert github.issues[0]["state"] == "closed"
    assert github.issues[0]["state_reason"] == "completed"
    assert github.comments == [(1, "verify is green again: https://github.invalid/run/7")]
    assert _run(stack_issue, github, tmp_path, _report("pass"), 0) == 0  # green again: nothing to do
    assert "green; no open issue" in capsys.readouterr().out.splitlines()[-1]
    assert len(github.issues) == 1


def test_drift_alone_opens_the_issue_and_says_so(stack_issue: ModuleType, github: FakeGitHub, tmp_path: Path) -> None:
    assert _run(stack_issue, github, tmp_path, _report("pass"), 0, drift="failure") == 0
    [issue] = github.issues
    assert "**Drift:**" in issue["body"]
    assert "--expect-no-changes" in issue["body"]


def test_a_run_that_wrote_no_report_still_opens_the_issue(
    stack_issue: ModuleType, github: FakeGitHub, tmp_path: Path
) -> None:
    assert _run(stack_issue, github, tmp_path, None, 2) == 0
    assert "verify wrote no report (exit code 2)" in github.issues[0]["body"]
    error = {"schemaVersion": 1, "stack": "dev", "result": "error", "exitCode": 2, "error": "set DT_PLATFORM_TOKEN"}
    assert _run(stack_issue, github, tmp_path, error, 2) == 0
    assert "verify could not run (exit 2): set DT_PLATFORM_TOKEN" in github.issues[0]["body"]


def test_other_stacks_issues_and_pull_requests_are_left_alone_across_pages(
    stack_issue: ModuleType, github: FakeGitHub, tmp_path: Path
) -> None:
    github.page_size = 2
    github.labels.add("verify-failure")
    github.add_issue("pr", "<!-- ai-observability-verify stack=dev -->", ["verify-failure"], pull_request=True)
    github.add_issue("prod", "<!-- ai-observability-verify stack=prod -->", ["verify-failure"])
    ours = github.add_issue("dev", "<!-- ai-observability-verify stack=dev -->", ["verify-failure"])  # on page 2
    github.add_issue("old dev", "<!-- ai-observability-verify stack=dev -->", ["verify-failure"], state="closed")
    assert _run(stack_issue, github, tmp_path, _report("pass"), 0) == 0
    assert github.issue(ours)["state"] == "closed"
    assert [i["state"] for i in github.issues] == ["open", "open", "closed", "closed"]
    assert (
        "GET",
        f"/repos/{github.repository}/issues?state=open&labels=verify-failure&per_page=2&page=2",
    ) in github.requests


def test_an_api_failure_is_reported_without_the_token(
    stack_issue: ModuleType, github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    github.fail_with = 502
    assert _run(stack_issue, github, tmp_path, _report(), 1) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("::error title=Verify issue not updated::GitHub GET /issues failed with HTTP 502")
    assert github.token not in printed
    github.fail_with = None
    assert _run(stack_issue, github, tmp_path, _report(), 1, token="ghs_REVOKEDTOKEN0000") == 1
    printed = capsys.readouterr().out
    assert "HTTP 401" in printed
    assert "ghs_REVOKEDTOKEN0000" not in printed


def test_a_next_page_on_another_host_is_not_followed(stack_issue: ModuleType, github: FakeGitHub) -> None:
    calls: list[str] = []

    class Api(stack_issue.GitHub):  # type: ignore[misc, name-defined]
        def call(self, method: str, path: str, body: Any = None) -> Any:
            calls.append(path)
            return 200, [], {"Link": '<https://evil.invalid/repos/x/issues?page=2>; rel="next"'}

    assert stack_issue.find_issue(Api(github.url, github.repository, github.token), "dev") is None
    assert calls == ["/issues?state=open&labels=verify-failure&per_page=100"]
