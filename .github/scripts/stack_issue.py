"""One GitHub issue per stack for the scheduled verify: opened on failure, updated while it fails,
closed when verify is green again.

    python3 .github/scripts/stack_issue.py --stack dev --report verify.json --verify-exit 1 \\
        --drift failure --run-url https://github.com/o/r/actions/runs/1

Reads ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` (``owner/repo``) and ``GITHUB_API_URL`` (default
``https://api.github.com``) from the environment. The issue of a stack is the open issue labelled
``verify-failure`` whose body carries the marker ``<!-- ai-observability-verify stack=<stack> -->``; the
label is created when missing. REST endpoints used (GitHub REST API, "Issues", "Labels", "Issue
comments"): ``GET/POST /repos/{repo}/labels[/{name}]``, ``GET /repos/{repo}/issues`` (``state``,
``labels``, ``per_page``; pages followed through the ``Link`` header), ``POST /repos/{repo}/issues``,
``PATCH /repos/{repo}/issues/{number}``, ``POST /repos/{repo}/issues/{number}/comments``. The
workflow token needs ``issues: write``.

A failure is verify's exit code other than 0 (a failed check, or it could not run) or drift
(``pulumi preview --refresh --expect-no-changes`` failed). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LABEL = "verify-failure"
LABEL_COLOR = "d73a4a"
MAX_BODY = 60_000  # GitHub refuses issue bodies over 65,536 characters
MAX_PAGES = 10
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(Exception):
    """A GitHub API call failed; the message names the call and the status, never the token."""


@dataclass
class GitHub:
    api: str
    repository: str
    token: str

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, Mapping[str, str]]:
        url = path if path.startswith("http") else f"{self.api}/repos/{self.repository}{path}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - the configured API URL
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None, dict(response.headers)
        except urllib.error.HTTPError as error:
            if error.code == 404 and method == "GET":
                return 404, None, {}
            raise GitHubError(f"GitHub {method} {path.split('?')[0]} failed with HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise GitHubError(f"GitHub {method} {path.split('?')[0]}: no response ({type(error).__name__})") from None


def marker(stack: str) -> str:
    return f"<!-- ai-observability-verify stack={stack} -->"


def ensure_label(github: GitHub) -> None:
    status, _, _ = github.call("GET", f"/labels/{LABEL}")
    if status == 404:
        github.call(
            "POST",
            "/labels",
            {"name": LABEL, "color": LABEL_COLOR, "description": "the scheduled verify found a stack not working"},
        )


def find_issue(github: GitHub, stack: str) -> dict[str, Any] | None:
    path: str | None = f"/issues?state=open&labels={LABEL}&per_page=100"
    for _ in range(MAX_PAGES):
        if path is None:
            return None
        _, items, headers = github.call("GET", path)
        for item in items or []:
            if "pull_request" not in item and marker(stack) in (item.get("body") or ""):
                found: dict[str, Any] = item
                return found
        link = _NEXT.search(headers.get("Link") or headers.get("link") or "")
        # Follow only pages of the same API: the token must never be sent anywhere else.
        path = link.group(1) if link and link.group(1).startswith(f"{github.api}/") else None
    return None


def _cell(value: Any) -> str:
    text = " ".join(str(value if value is not None else "").split())
    return text.replace("\\", "\\\\").replace("|", "\\|")[:500]


def render_body(stack: str, report: dict[str, Any] | None, verify_exit: int, drift: str, run_url: str) -> str:
    lines = [marker(stack), f"## verify: stack `{stack}` is not working", ""]
    lines.append(f"Latest run: {run_url}" if run_url else "Latest run: (no URL)")
    lines.append("")
    if drift == "failure":
        lines += [
            "**Drift:** `pulumi preview --refresh --expect-no-changes` found changes: the stack differs from its "
            "code (a change made in a console or UI?). The run log shows the diff; `pulumi up` restores it.",
            "",
        ]
    if report is None:
        lines.append(f"verify wrote no report (exit code {verify_exit}); see the run log.")
    elif report.get("result") == "error":
        lines.append(f"verify could not run (exit 2): {_cell(report.get('error'))}")
    else:
        totals = report.get("totals") or {}
        lines.append(
            f"verify: **{report.get('result')}** (exit {verify_exit}) — {totals.get('failures', 0)} failure(s), "
            f"{totals.get('warnings', 0)} warning(s), {totals.get('passed', 0)} passed."
        )
        rows = [
            (section.get("name"), check)
            for section in report.get("sections") or []
            for check in section.get("checks") or []
            if check.get("status") in ("fail", "warn")
        ]
        if rows:
            lines += ["", "| section | check | status | what was found | what to do |", "|---|---|---|---|---|"]
            for name, check in rows:
                cells = [name, check.get("title"), check.get("status"), check.get("summary"), check.get("hint")]
                lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "This issue is updated by each scheduled run and closed when verify is green again."]
    body = "\n".join(lines) + "\n"
    return body if len(body) <= MAX_BODY else body[: MAX_BODY - 40] + "\n\n(truncated; see the run)\n"


def sync_issue(
    github: GitHub, stack: str, report: dict[str, Any] | None, verify_exit: int, drift: str, run_url: str
) -> str:
    """Open, update or close the stack's issue; returns what was done."""
    failing = verify_exit != 0 or drift == "failure"
    issue = find_issue(github, stack)
    if failing:
        body = render_body(stack, report, verify_exit, drift, run_url)
        if issue is None:
            ensure_label(github)
            _, created, _ = github.call(
                "POST", "/issues", {"title": f"verify: stack {stack} is not working", "body": body, "labels": [LABEL]}
            )
            return f"opened issue #{created['number']}"
        github.call("PATCH", f"/issues/{issue['number']}", {"body": body})
        return f"updated issue #{issue['number']}"
    if issue is None:
        return "green; no open issue"
    github.call("POST", f"/issues/{issue['number']}/comments", {"body": f"verify is green again: {run_url}"})
    github.call("PATCH", f"/issues/{issue['number']}", {"state": "closed", "state_reason": "completed"})
    return f"closed issue #{issue['number']}"


def _report(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stack_issue.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--report", type=Path, required=True, help="verify's --json-file")
    parser.add_argument("--verify-exit", type=int, required=True)
    parser.add_argument("--drift", default="skipped", help="outcome of the drift step: success, failure, skipped")
    parser.add_argument("--run-url", default="")
    args = parser.parse_args(argv)
    environment = os.environ if env is None else env
    token, repository = environment.get("GITHUB_TOKEN", ""), environment.get("GITHUB_REPOSITORY", "")
    if not token or not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        print("::error::GITHUB_TOKEN and GITHUB_REPOSITORY (owner/repo) are required")
        return 2
    api = environment.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    try:
        done = sync_issue(
            GitHub(api, repository, token), args.stack, _report(args.report), args.verify_exit, args.drift, args.run_url
        )
    except GitHubError as error:
        print(f"::error title=Verify issue not updated::{error}")
        return 1
    print(f"stack {args.stack}: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
