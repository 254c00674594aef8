"""Small, testable helpers the GitHub Actions workflows call (kept out of YAML on purpose).

Subcommands (outputs go to ``$GITHUB_OUTPUT`` when it is set, else to stdout):

- ``stacks [--root DIR]``: every committed stack (``Pulumi.<stack>.yaml``) as a JSON list,
  the matrix of the pull-request jobs — a new ``Pulumi.<env>.yaml`` is picked up by itself.
- ``region STACK [--root DIR]``: the AWS region the stack deploys to (for the OIDC credentials step),
  read as the offline plan reads it: a production stack must set ``aws:region``; elsewhere the
  documented fallback applies, with a notice.
- ``credentials --mode preview|deploy|verify``: are the credentials for a real Pulumi run present?
  Reads booleans/values the workflow passes in the environment (never secret values):
  ``HAS_PULUMI_TOKEN`` ("true"/"false"), ``PULUMI_BACKEND_URL``, ``AWS_ROLE_ARN``.
  ``preview`` reports ``ready=false`` with a notice (forks, unconfigured repositories);
  ``deploy`` and ``verify`` fail (a deploy or a scheduled verify that was switched on must not
  silently do nothing).
- ``summary --stack S --exit-code N --log FILE --out-dir DIR``: the Markdown block the
  offline-plan job appends to ``$GITHUB_STEP_SUMMARY`` (plan summary + policy report).
- ``verify-step --stack S [--only SECTIONS] [--json-file F] [--report-only]``: runs
  ``python -m tools.verify`` for the stack (the Pulumi CLI stack name from ``$PULUMI_STACK``), prints
  its report and appends it to ``$GITHUB_STEP_SUMMARY``, writes ``exit-code`` to ``$GITHUB_OUTPUT``
  and exits with verify's exit code (0 with ``--report-only``).

Standard library only, so the discovery job can run on the runner's system Python before any
installation; ``region`` alone imports the project (its stack-file reader), from the project virtualenv.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>.+)\.yaml$")
EXIT_MEANINGS = {
    0: "ok",
    1: "mandatory policy violation",
    2: "invalid configuration",
}


class HelperError(Exception):
    """A problem the workflow log should show as a one-line error."""


def discover_stacks(root: Path = ROOT) -> list[str]:
    """Names of the committed stacks: every ``Pulumi.<stack>.yaml`` in ``root``, sorted."""
    stacks: list[str] = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        match = STACK_FILE.match(path.name)
        if match is None:
            continue
        stack = match.group("stack")
        if not STACK_NAME.match(stack):
            raise HelperError(f"{path.name}: {stack!r} is not a valid stack name (letters, digits, '-', '_', '.')")
        stacks.append(stack)
    if not stacks:
        raise HelperError(f"no Pulumi.<stack>.yaml in {root}")
    return stacks


def stack_region(stack: str, root: Path | None = None, env: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """The AWS region ``stack`` deploys to, and a note when the stack does not set it.

    Read exactly as the offline plan and the program read it (``tools.plan_config.deploy_region``): the
    stack file as the Pulumi CLI parses it (YAML 1.2, ``<ns>:config:<key>`` forms, Pulumi.yaml's
    ``config:``), where the CLI reads it (``stackConfigDir``; ``root`` instead when given). A production
    stack must set ``aws:region``; elsewhere an unset region follows ``$AWS_REGION``/``$AWS_DEFAULT_REGION``
    (``env``, default the process environment), else ``us-east-1``. Needs the project virtualenv.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # run as a script, this file's folder is first on the path
    from components.config import ConfigError
    from tools.plan import PlanError, read_stack_file
    from tools.plan_config import deploy_region
    from tools.stack_file import StackFileError

    try:
        return deploy_region(stack, read_stack_file(stack, root), os.environ if env is None else env)
    except ConfigError as error:
        raise HelperError("; ".join(str(issue) for issue in error.issues)) from None
    except (FileNotFoundError, PlanError, StackFileError) as error:
        raise HelperError(str(error)) from None


def check_credentials(mode: str, env: Mapping[str, str]) -> tuple[bool, list[str]]:
    """``(ready, missing)`` for a real Pulumi run: a state backend and an AWS role to assume."""
    missing: list[str] = []
    if env.get("HAS_PULUMI_TOKEN", "").lower() != "true" and not env.get("PULUMI_BACKEND_URL", "").strip():
        missing.append("secret PULUMI_ACCESS_TOKEN or variable PULUMI_BACKEND_URL")
    if not env.get("AWS_ROLE_ARN", "").strip():
        role_variable = {"preview": "AWS_PREVIEW_ROLE_ARN", "verify": "AWS_VERIFY_ROLE_ARN"}.get(
            mode, "AWS_DEPLOY_ROLE_ARN"
        )
        missing.append(f"variable {role_variable}")
    return not missing, missing


def _cell(value: Any) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    text = " ".join(str(value).split())
    return text.replace("\\", "\\\\").replace("|", "\\|") or " "


def render_summary(stack: str, exit_code: int, log: str, out_dir: Path) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: status, the plan's printed summary, the policy report."""
    meaning = EXIT_MEANINGS.get(exit_code, "unexpected failure")
    status = "passed" if exit_code == 0 else "FAILED"
    lines = [f"## Offline plan `{stack}`: {status} (exit {exit_code}: {meaning})", ""]
    lines += ["````text", log.rstrip("\n") or "(no output)", "````", ""]
    report_path = out_dir / "policy-report.json"
    if not report_path.is_file():
        lines.append("No policy report was written (the plan stopped before the policy checks).")
        return "\n".join(lines) + "\n"
    try:
        report = json.loads(report_path.read_text())
    except json.JSONDecodeError as error:
        lines.append(f"The policy report is not valid JSON: {error}")
        return "\n".join(lines) + "\n"
    if not report:
        lines.append("Policy report: no violations.")
        return "\n".join(lines) + "\n"
    order = {"mandatory": 0, "remediate": 1, "advisory": 2}
    rows = sorted(report, key=lambda v: (order.get(str(v.get("enforcement")), 3), str(v.get("policy"))))
    lines += [
        f"Policy report: {len(rows)} violation(s)",
        "",
        "| enforcement | policy | resource | message |",
        "|---|---|---|---|",
    ]
    for v in rows:
        urn = str(v.get("urn") or "")
        resource = urn.rsplit("::", 1)[-1] if urn else "(stack)"
        cells = [v.get("enforcement"), v.get("policy"), resource, v.get("message")]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def run_verify(stack: str, only: str | None, json_file: Path | None, env: Mapping[str, str]) -> tuple[int, str]:
    """``python -m tools.verify`` for ``stack`` as the workflows run it: (exit code, the report text)."""
    if not STACK_NAME.match(stack):
        raise HelperError(f"{stack!r} is not a valid stack name")
    command = [sys.executable, "-m", "tools.verify", stack, "--pulumi-stack", env.get("PULUMI_STACK") or stack]
    if only:
        command += ["--only", only]
    if json_file is not None:
        command += ["--json-file", str(json_file)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    return done.returncode, (done.stdout + done.stderr).rstrip("\n")


def verify_summary(stack: str, only: str | None, code: int, text: str) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the verify report in a code block."""
    meaning = {0: "passed", 1: "FAILED", 2: "could not run"}.get(code, "FAILED")
    title = f"## verify `{stack}`" + (f" ({only})" if only else "") + f": {meaning} (exit {code})"
    return "\n".join((title, "", "````text", text or "(no output)", "````", "")) + "\n"


def _emit_outputs(outputs: Mapping[str, str]) -> None:
    """Write ``key=value`` lines to ``$GITHUB_OUTPUT`` (or stdout outside Actions)."""
    text = "".join(f"{key}={value}\n" for key, value in outputs.items())
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ci_helpers.py", description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_stacks = sub.add_parser("stacks", help="committed stacks as a JSON list (output 'stacks')")
    p_stacks.add_argument("--root", type=Path, default=ROOT)
    p_region = sub.add_parser("region", help="aws:region of a stack (output 'region')")
    p_region.add_argument("stack")
    p_region.add_argument("--root", type=Path, default=None, help="folder of the stack file (default: the CLI's)")
    p_creds = sub.add_parser("credentials", help="are the credentials for a real run present? (output 'ready')")
    p_creds.add_argument("--mode", choices=("preview", "deploy", "verify"), required=True)
    p_summary = sub.add_parser("summary", help="Markdown job summary of an offline plan (stdout)")
    p_summary.add_argument("--stack", required=True)
    p_summary.add_argument("--exit-code", type=int, required=True)
    p_summary.add_argument("--log", type=Path, required=True)
    p_summary.add_argument("--out-dir", type=Path, required=True)
    p_verify = sub.add_parser("verify-step", help="run verify for a stack, report it in the job summary")
    p_verify.add_argument("--stack", required=True)
    p_verify.add_argument("--only", help="sections (governance,probe,signals)")
    p_verify.add_argument("--json-file", type=Path)
    p_verify.add_argument("--report-only", action="store_true", help="exit 0 whatever verify found")
    args = parser.parse_args(argv)

    try:
        if args.command == "stacks":
            stacks = discover_stacks(args.root)
            _emit_outputs({"stacks": json.dumps(stacks, separators=(",", ":"))})
            print(f"committed stacks: {', '.join(stacks)}", file=sys.stderr)
        elif args.command == "region":
            region, note = stack_region(args.stack, args.root)
            _emit_outputs({"region": region})
            if note:
                print(f"::notice title=AWS region of {args.stack}::{note}")
        elif args.command == "credentials":
            ready, missing = check_credentials(args.mode, os.environ)
            _emit_outputs({"ready": "true" if ready else "false"})
            if not ready:
                what = "; ".join(missing)
                if args.mode in ("deploy", "verify"):
                    print(f"::error title={args.mode.capitalize()} credentials missing::set {what} (see docs/ci-cd.md)")
                    return 1
                print(f"::notice title=Pulumi preview skipped::missing {what} (normal for forks; see docs/ci-cd.md)")
        elif args.command == "verify-step":
            code, text = run_verify(args.stack, args.only, args.json_file, os.environ)
            print(text)
            summary = os.environ.get("GITHUB_STEP_SUMMARY")
            if summary:
                with open(summary, "a", encoding="utf-8") as handle:
                    handle.write(verify_summary(args.stack, args.only, code, text))
            _emit_outputs({"exit-code": str(code)})
            return 0 if args.report_only else code
        else:
            log = args.log.read_text() if args.log.is_file() else ""
            sys.stdout.write(render_summary(args.stack, args.exit_code, log, args.out_dir))
    except HelperError as error:
        print(f"::error::{error}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
