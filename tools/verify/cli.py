"""``python -m tools.verify <stack>``: is the deployed stack working, and if not, why.

Exit codes: 0 everything passed (warnings allowed), 1 a check failed (or, with ``--strict``, warned),
2 verify cannot run (bad input, no outputs, missing tokens). See docs/operations.md#verify.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from components.config.errors import redact_text
from tools.plan import PROJECT_ROOT

from . import inputs as inputs_module
from .governance import check_governance
from .inputs import InputError, VerifyInputs
from .probe import check_probe
from .report import EXIT_CANNOT_RUN, SELECTABLE_SECTIONS, Report, SectionName, finish, render_table, section
from .settings import VerifySettings
from .signals import check_signals
from .tenant import StackObjects, connect, read_stack_objects


def _sections(text: str) -> list[SectionName]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in SELECTABLE_SECTIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(SELECTABLE_SECTIONS)} (comma-separated)")
    return [s for s in SELECTABLE_SECTIONS if s in chosen]


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 100_000:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tools.verify", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    p.add_argument(
        "--outputs",
        metavar="FILE",
        help="stack outputs JSON (`-` for standard input); default: run `pulumi stack output --json --show-secrets`",
    )
    p.add_argument(
        "--pulumi-stack", metavar="NAME", help="stack name for the Pulumi CLI when it differs (e.g. my-org/dev)"
    )
    p.add_argument("--stack-dir", type=Path, default=PROJECT_ROOT, help="directory holding Pulumi.<stack>.yaml")
    p.add_argument(
        "--only", type=_sections, default=list(SELECTABLE_SECTIONS), help="governance,probe,signals (default: all)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON (docs/verify-report.schema.json)")
    p.add_argument(
        "--json-file",
        type=Path,
        metavar="FILE",
        help="also write the JSON report to FILE (e.g. for a CI step after this one)",
    )
    p.add_argument(
        "--strict", action="store_true", help="warnings (silent signals, a token inside its rotation window) fail too"
    )
    p.add_argument("--window-hours", type=_positive, help="how far back signal queries look (default 24)")
    p.add_argument("--scan-limit-gb", type=_positive, help="Grail scan limit per signal query (default 10)")
    p.add_argument(
        "--sampling-ratio",
        type=int,
        choices=(1, 10, 100, 1000, 10000),
        help="sampling of span queries (default: the dashboards')",
    )
    p.add_argument("--probe-timeout", type=_positive, help="seconds to wait for the probe in Grail (default 300)")
    p.add_argument(
        "--aws-probe",
        action="store_true",
        help="also tag and untag the stack's guardrail and wait for that CloudTrail event "
        "(needs AWS credentials and boto3)",
    )
    p.add_argument(
        "--aws-probe-timeout",
        type=_positive,
        help="seconds to wait for the AWS probe event (default 900)",
    )
    p.add_argument(
        "--environment-url", help="classic Dynatrace URL (default: the stack output, else the configuration)"
    )
    p.add_argument("--platform-url", help="platform Dynatrace URL (default: the stack output, else the configuration)")
    p.add_argument(
        "--sso-url",
        help="Dynatrace SSO that issues the OAuth client's access tokens (default: https://sso.dynatrace.com)",
    )
    return p


def settings_from(args: argparse.Namespace, base: VerifySettings | None = None) -> VerifySettings:
    """``base`` (default: production settings) with what the command line sets explicitly."""
    given = {
        "window_hours": args.window_hours,
        "scan_limit_gbytes": args.scan_limit_gb,
        "sampling_ratio": args.sampling_ratio,
        "probe_timeout_seconds": args.probe_timeout,
        "aws_probe_timeout_seconds": args.aws_probe_timeout,
    }
    return replace(base or VerifySettings(), **{k: v for k, v in given.items() if v is not None})


def run(
    inputs: VerifyInputs,
    sections: Sequence[SectionName],
    settings: VerifySettings,
    *,
    strict: bool,
    aws_probe: bool = False,
    aws_clients: Callable[[str, str], Any] | None = None,
) -> Report:
    started_wall, started = settings.now(), settings.clock()
    report = Report(
        stack=inputs.stack,
        environment_url=inputs.environment_url,
        platform_url=inputs.platform_url,
        started_at=started_wall.isoformat().replace("+00:00", "Z"),
        strict=strict,
        result="pass",
        exit_code=0,
    )
    with connect(inputs, settings.client) as connections:
        report.credentials = connections.credentials
        objects = (
            read_stack_objects(inputs, connections.platform)
            if {"governance", "signals"} & set(sections)
            else StackObjects([], [])
        )
        if "governance" in sections:
            report.sections.append(
                section("governance", check_governance(inputs, connections, objects, settings.now()))
            )
        if "probe" in sections:
            report.sections.append(section("probe", check_probe(inputs, connections, settings)))
        if "signals" in sections:
            checks, scanned = check_signals(inputs, connections.platform, objects, settings, settings.now())
            report.sections.append(section("signals", checks))
            report.bytes_scanned = scanned
    if aws_probe:
        from .aws_probe import check_aws_probe  # boto3 only for this optional mode

        report.sections.append(section("aws-probe", check_aws_probe(inputs, settings, aws_clients)))
    report.duration_seconds = round(settings.clock() - started, 3)
    return finish(report)


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    base_settings: VerifySettings | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    settings = settings_from(args, base_settings)
    try:
        loaded = inputs_module.load(
            args.stack,
            sections=args.only,
            outputs_source=args.outputs,
            pulumi_stack=args.pulumi_stack,
            stack_dir=args.stack_dir,
            environment_url=args.environment_url,
            platform_url=args.platform_url,
            sso_url=args.sso_url,
            env=env,
            stdin=stdin if stdin is not None else sys.stdin,
        )
    except InputError as error:
        return _cannot_run(args, str(error), out, err)
    try:
        report = run(loaded, args.only, settings, strict=args.strict, aws_probe=args.aws_probe)
    except Exception as error:
        return _cannot_run(args, f"verify stopped: {type(error).__name__}: {error}", out, err)
    out.write(report.json_text() if args.json else render_table(report))
    if not _write_json_file(args, report, err):
        return EXIT_CANNOT_RUN
    return report.exit_code


def _write_json_file(args: argparse.Namespace, report: Report, err: IO[str]) -> bool:
    if args.json_file is None:
        return True
    try:
        args.json_file.write_text(report.json_text(), encoding="utf-8")
    except OSError as error:
        err.write(f"error: cannot write --json-file {args.json_file}: {error.strerror or type(error).__name__}\n")
        return False
    return True


def _cannot_run(args: argparse.Namespace, message: str, out: IO[str], err: IO[str]) -> int:
    text = redact_text(message)
    err.write(f"error: {text}\n")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    report = Report(stack=args.stack, started_at=stamp, result="error", exit_code=EXIT_CANNOT_RUN, error=text)
    if args.json:
        out.write(report.json_text())
    _write_json_file(args, report, err)
    return EXIT_CANNOT_RUN
