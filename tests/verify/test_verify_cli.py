"""The command's contract: where outputs and tokens come from, exit codes, the JSON schema, and what
it refuses before talking to Dynatrace (exit 2, never a traceback or a secret)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT
from tests.dynatrace.conftest import CANARY_SECRETS
from tests.verify.conftest import FAST_VERIFY, Outcome, Verifier
from testsupport.dynatrace.deployed_stack import seed_signals
from tools.verify import schema
from tools.verify.cli import main

SCHEMA = json.loads((ROOT / "docs" / "verify-report.schema.json").read_text())


def _run(argv: list[str], env: dict[str, str], stdin: str = "") -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env, stdin=io.StringIO(stdin), stdout=out, stderr=err, base_settings=FAST_VERIFY)
    return Outcome(code, out.getvalue(), err.getvalue())


def test_the_committed_schema_is_current() -> None:
    assert schema.main(["--check"]) == 0, "run `python -m tools.verify.schema`"


def test_reports_validate_against_the_documented_schema(verify: Verifier) -> None:
    seed_signals(verify.deployed)
    passing = verify().report
    jsonschema.validate(passing, SCHEMA)
    verify.deployed.dt.tokens.pop(verify.deployed.ingest_token)
    failing = verify().report
    jsonschema.validate(failing, SCHEMA)
    assert failing["result"] == "fail"
    error = _run(["dev", "--json", "--outputs", "/nonexistent/outputs.json"], verify.deployed.env)
    jsonschema.validate(error.report, SCHEMA)
    assert (error.code, error.report["result"], error.report["exitCode"]) == (2, "error", 2)


def test_outputs_come_from_standard_input(verify: Verifier) -> None:
    seed_signals(verify.deployed)
    outcome = _run(["dev", "--json", "--outputs", "-"], verify.deployed.env, json.dumps(verify.deployed.outputs))
    assert outcome.code == 0, outcome.stdout + outcome.stderr


def test_outputs_come_from_the_pulumi_cli_when_it_is_installed(
    verify: Verifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_signals(verify.deployed)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "outputs.json").write_text(json.dumps(verify.deployed.outputs))
    fake = bin_dir / "pulumi"
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat {tmp_path}/outputs.json\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    outcome = _run(["dev", "--json", "--pulumi-stack", "my-org/dev"], verify.deployed.env)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert (tmp_path / "args").read_text().split() == [
        "stack",
        "output",
        "--json",
        "--show-secrets",
        "--stack",
        "my-org/dev",
    ]


def test_a_failing_pulumi_cli_is_reported(verify: Verifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pulumi"
    fake.write_text("#!/bin/sh\necho 'error: no stack named dev found' >&2\nexit 255\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    outcome = _run(["dev"], verify.deployed.env)
    assert outcome.code == 2
    assert "pulumi stack output --stack dev failed (exit 255): error: no stack named dev found" in outcome.stderr


@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("no outputs and no CLI", "no stack outputs: the Pulumi CLI is not on PATH"),
        ("outputs not JSON", "not JSON"),
        ("outputs not an object", "must be a JSON object"),
        ("outputs of another stack", "the outputs are those of stack 'prod', not 'dev'"),
        ("no platform token", "set DT_PLATFORM_TOKEN (platform token with storage:bucket-definitions:read"),
        ("no platform token", "or DT_CLIENT_ID and DT_CLIENT_SECRET (an OAuth client with those scopes)"),
        ("half an OAuth client", "dynatraceOAuthClientSecret: must be set together with dynatraceOAuthClientId"),
        ("an OAuth secret of another client", "dynatraceOAuthClientSecret: belongs to another OAuth client"),
        ("a malformed classic token", "dynatraceApiToken (from $DT_API_TOKEN): must be a classic API token"),
        ("an invalid stack name", "invalid stack name"),
        ("no such stack file", "no stack file Pulumi.qa.yaml"),
        ("an outputs URL that is not https", "must use https://"),
    ],
)
def test_what_it_cannot_run_with_exits_2(
    verify: Verifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, fragment: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no Pulumi CLI
    env = dict(verify.deployed.env)
    outputs: Any = dict(verify.deployed.outputs)
    stack = "dev"
    path = tmp_path / "outputs.json"
    args: list[str] = ["--outputs", str(path)]
    if case == "no outputs and no CLI":
        args = []
    elif case == "outputs not JSON":
        outputs = "{not json"
    elif case == "outputs not an object":
        outputs = [1, 2]
    elif case == "outputs of another stack":
        outputs["stack"] = "prod"
    elif case == "no platform token":
        env.pop("DT_PLATFORM_TOKEN")
    elif case == "half an OAuth client":
        env.pop("DT_PLATFORM_TOKEN")
        env["DT_CLIENT_ID"] = verify.deployed.oauth_client_id
    elif case == "an OAuth secret of another client":
        env.update(verify.deployed.oauth_env)
        env["DT_CLIENT_SECRET"] = "dt0s02.OTHERCLI." + CANARY_SECRETS[0][:64].upper().ljust(64, "X")
    elif case == "a malformed classic token":
        env["DT_API_TOKEN"] = "dt0c01.SHORT." + CANARY_SECRETS[0]
    elif case == "an invalid stack name":
        stack = "../dev"
    elif case == "no such stack file":
        stack = "qa"
    elif case == "an outputs URL that is not https":
        outputs["dynatraceEnvironmentUrl"] = "http://abc12345.live.dynatrace.com"
    path.write_text(outputs if isinstance(outputs, str) else json.dumps(outputs))
    outcome = _run([stack, "--json", *args], env)
    assert outcome.code == 2, outcome.stderr
    assert fragment in outcome.stderr
    assert outcome.report["error"] in outcome.stderr
    assert "Traceback" not in outcome.stderr
    for secret in CANARY_SECRETS:
        assert secret not in outcome.stdout + outcome.stderr
    assert not verify.deployed.dt.calls(path_contains="/platform/storage/query/"), "nothing ran"


def test_table_output_for_people(verify: Verifier) -> None:
    verify.deployed.dt.edit_routing(
        lambda e: [
            {
                "enabled": True,
                "pipelineType": "builtin",
                "builtinPipelineId": "default",
                "matcher": "true",
                "description": "x",
            },
            *e,
        ]
    )
    outcome = verify(as_json=False)
    assert outcome.code == 1
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith(f"verify dev: {verify.deployed.dt.url}")
    assert any(line.startswith("  FAIL  route") for line in lines)
    assert any("→ another routing entry ahead of ours" in line for line in lines)
    assert lines[-1].startswith("FAIL: ")


def test_neither_verify_nor_the_offline_plan_imports_boto3() -> None:
    """boto3 is a dependency of --aws-probe only: importing every module of the program, the policy
    pack and the tools (the AWS probe module aside) must not load it."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for folder in ("components", "policies", "tools")
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "__main__.py" and p.relative_to(ROOT).as_posix() != "tools/verify/aws_probe.py"
    )
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "tools.verify.cli" in modules
    assert "tools.plan" in modules


def test_make_verify_against_the_emulator(verify: Verifier, tmp_path: Path) -> None:
    """``make verify STACK=dev``, exactly as a user runs it, against the dev stack in the emulator."""
    seed_signals(verify.deployed)
    outputs = verify.deployed.write_outputs(tmp_path / "outputs.json")
    env = {**os.environ, **verify.deployed.env, "STACK": "dev", "VERIFY_ARGS": f"--outputs {outputs} --json"}
    done = subprocess.run(
        ["make", "-s", "verify"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert (report["stack"], report["result"]) == ("dev", "pass")
    assert [s["name"] for s in report["sections"]] == ["governance", "probe", "signals"]
