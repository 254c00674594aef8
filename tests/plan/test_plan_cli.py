"""The offline plan as a user runs it: exit codes, artefacts, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.config import ConfigError
from tests.conftest import ROOT, stack_file
from tools import plan


def run_plan(stack: str, out: Path, env: dict[str, str], stack_dir: Path = ROOT) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DT_", "NGC_", "PULUMI_"))}
    return subprocess.run(
        [sys.executable, "-m", "tools.plan", stack, "--out", str(out), "--stack-dir", str(stack_dir)],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stacks_plan_cleanly(stack: str, tmp_path: Path) -> None:
    out = tmp_path / stack
    proc = run_plan(stack, out, env={})  # no credentials at all: placeholders stand in
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document = json.loads((out / "plan.json").read_text())
    assert document["stack"] == stack
    assert set(document) == {"stack", "resources", "outputs"}
    for resource in document["resources"]:
        assert set(resource) == {"urn", "type", "name", "parent", "inputs"}
        assert resource["urn"].startswith(f"urn:pulumi:{stack}::ai-observability::")
    assert isinstance(json.loads((out / "policy-report.json").read_text()), list)
    assert (out / "manifests").is_dir()
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    if config.get("ai-observability:collector", {}).get("enabled"):
        assert yaml.safe_load((out / "collector" / "config.yaml").read_text())["service"]["pipelines"]
    assert f"Offline plan for stack '{stack}'" in proc.stdout
    assert "placeholders used" in proc.stdout  # says plainly which secrets it could not know


def test_invalid_config_exits_2_with_key_path_and_no_traceback(tmp_path: Path) -> None:
    raw = stack_file("prod")
    raw["ai-observability:governance"]["bucket"]["retentionDays"] = 99999
    (tmp_path / "Pulumi.broken.yaml").write_text(yaml.safe_dump({"config": raw}))
    proc = run_plan("broken", tmp_path / "out", env={}, stack_dir=tmp_path)
    assert proc.returncode == 2
    assert "ai-observability:governance.bucket.retentionDays" in proc.stderr
    assert "99999" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "out").exists()  # nothing written for an invalid stack


def test_unknown_stack_exits_2(tmp_path: Path) -> None:
    proc = run_plan("nosuchstack", tmp_path / "out", env={})
    assert proc.returncode == 2
    assert "Pulumi.nosuchstack.yaml" in proc.stderr


def test_program_registers_nothing_on_invalid_config(fake_env: dict[str, str]) -> None:
    raw = stack_file("dev")
    raw["ai-observability:nims"][0]["gpus"] = 0
    with pytest.raises(ConfigError):
        plan.evaluate_stack("dev", raw_config=raw, env=fake_env)
    # The program itself (not only the plan's pre-check) refuses before registering anything.
    config, secret_keys, _ = plan.engine_config(raw, fake_env)
    recorded: dict[str, plan.PlannedResource] = {}
    with pytest.raises(Exception, match=r"ai-observability:nims\[0\]\.gpus"):
        plan._run_program("dev", config, secret_keys, "eu-central-1", recorded)
    assert recorded == {}


def test_plan_is_deterministic(fake_env: dict[str, str]) -> None:
    first = plan.plan_document(plan.evaluate_stack("prod", env=fake_env))
    second = plan.plan_document(plan.evaluate_stack("prod", env=fake_env))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
