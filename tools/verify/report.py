"""The verify report: one model for the table people read and the JSON machines read.

The JSON (``--json``) is this model dumped with camelCase keys; its JSON Schema is generated from the
model into ``docs/verify-report.schema.json`` (``python -m tools.verify.schema``) and versioned by
``schemaVersion``: fields are only ever added within a version.

Every text that leaves the tool passes through :func:`components.config.errors.redact_text` (the
secrets this run read, token shapes, credentials in URLs) — a server that echoes a token cannot leak it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components.config.errors import redact_text

SCHEMA_VERSION: Literal[1] = 1
Status = Literal["pass", "warn", "fail", "skip"]
SectionName = Literal["governance", "probe", "signals", "aws-probe"]
SECTION_NAMES: tuple[SectionName, ...] = ("governance", "probe", "signals", "aws-probe")
SELECTABLE_SECTIONS: tuple[SectionName, ...] = ("governance", "probe", "signals")
"""What ``--only`` chooses from (the AWS probe runs with ``--aws-probe``)."""
ExitCode = Literal[0, 1, 2]
EXIT_OK: ExitCode = 0
EXIT_FAILURE: ExitCode = 1
EXIT_CANNOT_RUN: ExitCode = 2


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Check(_Model):
    """One thing verified."""

    id: str = Field(
        description="Stable identifier, e.g. `ingest-token`, `detector:llmLatency`, `signal:tile:llmServices/…`."
    )
    title: str = Field(description="What was checked, for people.")
    status: Status = Field(description="`pass`, `warn` (fails only with --strict), `fail`, or `skip` (not applicable).")
    summary: str = Field(description="One line: what was found.")
    state: str | None = Field(
        default=None,
        description="Outcome class where a check has several: the probe (`found`, `token-refused`, `misrouted`, "
        "`not-found`, ...) and each signal (`live`, `silent-expected`, `silent`, `invalid-query`, `query-error`, "
        "`missing`); `credential-refused` on any check whose call Dynatrace SSO refused an access token for "
        "(the OAuth client's id or secret is wrong, or it may not grant a scope the call needs).",
    )
    hint: str | None = Field(default=None, description="What to do about a warning or failure.")
    details: dict[str, Any] = Field(default_factory=dict, description="Check-specific facts (see docs/operations.md).")


class HostCredential(_Model):
    """Which credential verify calls one Dynatrace host with (named, never shown)."""

    host: str = Field(description="Host name (and port), e.g. `abc12345.apps.dynatrace.com`.")
    role: str = Field(
        description="`classic API`, `ingest API`, `platform API` or `OAuth token endpoint` (Dynatrace SSO)."
    )
    credential: str = Field(
        description="The credential and the environment variables it came from, e.g. "
        "`OAuth client ($DT_CLIENT_ID, $DT_CLIENT_SECRET)`."
    )
    note: str | None = Field(
        default=None, description="E.g. that the platform token is set too and the OAuth client wins."
    )


class Section(_Model):
    name: SectionName
    status: Status = Field(description="The worst status of its checks (`skip` when none ran).")
    checks: list[Check] = Field(default_factory=list)


class Totals(_Model):
    passed: int = 0
    warnings: int = 0
    failures: int = 0
    skipped: int = 0


class Report(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    stack: str
    environment_url: str | None = None
    platform_url: str | None = None
    started_at: str = Field(description="ISO-8601 UTC time the run started.")
    duration_seconds: float = 0.0
    strict: bool = False
    result: Literal["pass", "fail", "error"] = Field(
        description="`pass` (exit 0), `fail` (exit 1: a failed check, or a warning with --strict), "
        "`error` (exit 2: the run could not start; see `error`)."
    )
    exit_code: ExitCode
    error: str | None = Field(default=None, description="Why the run could not start (result `error`).")
    credentials: list[HostCredential] = Field(
        default_factory=list,
        description="The credential each Dynatrace host is called with: for the platform host the OAuth client "
        "when it is set (it wins over the platform token, as in `pulumi up`), else the platform token.",
    )
    sections: list[Section] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    bytes_scanned: int | None = Field(default=None, description="Grail bytes the signal queries scanned, as reported.")

    def json_text(self) -> str:
        return redact_text(json.dumps(self.model_dump(by_alias=True, mode="json"), indent=2)) + "\n"


_ORDER: dict[Status, int] = {"skip": 0, "pass": 1, "warn": 2, "fail": 3}


def worst(statuses: Sequence[Status]) -> Status:
    return max(statuses, key=_ORDER.__getitem__) if statuses else "skip"


def section(name: SectionName, checks: list[Check]) -> Section:
    ran = [c.status for c in checks if c.status != "skip"]
    return Section(name=name, status=worst(ran) if ran else "skip", checks=checks)


def finish(report: Report) -> Report:
    """Totals, result and exit code from the sections."""
    checks = [c for s in report.sections for c in s.checks]
    report.totals = Totals(
        passed=sum(c.status == "pass" for c in checks),
        warnings=sum(c.status == "warn" for c in checks),
        failures=sum(c.status == "fail" for c in checks),
        skipped=sum(c.status == "skip" for c in checks),
    )
    failed = report.totals.failures > 0 or (report.strict and report.totals.warnings > 0)
    report.result = "fail" if failed else "pass"
    report.exit_code = EXIT_FAILURE if failed else EXIT_OK
    return report


_LABELS: dict[Status, str] = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}


def render_table(report: Report) -> str:
    """The report for people: one line per check, hints indented under it."""
    lines = [f"verify {report.stack}: {report.environment_url or '?'} (platform {report.platform_url or '?'})"]
    if report.error:
        lines.append(f"error: {report.error}")
        return redact_text("\n".join(lines)) + "\n"
    if report.credentials:
        lines.append("Dynatrace credentials per host:")
        for entry in report.credentials:
            note = f" — {entry.note}" if entry.note else ""
            lines.append(f"  {entry.host} ({entry.role}): {entry.credential}{note}")
    width = min(40, max((len(c.title) for s in report.sections for c in s.checks), default=10))
    for sec in report.sections:
        lines.append("")
        lines.append(f"{sec.name.upper()}  [{_LABELS[sec.status]}]")
        for check in sec.checks:
            state = f" ({check.state})" if check.state else ""
            lines.append(f"  {_LABELS[check.status]}  {check.title.ljust(width)}  {check.summary}{state}")
            if check.hint and check.status in ("warn", "fail"):
                lines.append(f"        → {check.hint}")
    totals = report.totals
    lines.append("")
    scanned = f"; Grail scanned {report.bytes_scanned:,} bytes" if report.bytes_scanned is not None else ""
    verdict = report.result.upper() + (" (strict: warnings fail)" if report.strict and totals.warnings else "")
    lines.append(
        f"{verdict}: {totals.passed} passed, {totals.warnings} warning(s), {totals.failures} failure(s), "
        f"{totals.skipped} skipped in {report.duration_seconds:.1f} s{scanned}"
    )
    return redact_text("\n".join(lines)) + "\n"
