"""Adding an environment = copying a stack file: CI discovers it and the offline plan accepts it.

Everything happens in temporary directories (``--stack-dir``): the real tree never gets a
``Pulumi.staging.yaml``, so tests running in parallel never see one.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.delivery.conftest import run_plan_cli


def _copy_as_staging(root: Path) -> Path:
    """``Pulumi.dev.yaml`` → ``Pulumi.staging.yaml`` with the per-environment names renamed."""
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    staging = root / "Pulumi.staging.yaml"
    staging.write_text(re.sub(r"\bdev\b", "staging", text))
    return staging


def test_a_copied_stack_file_is_discovered_by_the_pull_request_jobs(
    helpers: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    _copy_as_staging(tmp_path)
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert helpers.main(["stacks", "--root", str(tmp_path)]) == 0
    key, _, value = output.read_text().strip().partition("=")
    assert key == "stacks"
    assert json.loads(value) == ["dev", "prod", "staging"]  # Pulumi.yaml is the project, not a stack


def test_discovery_of_the_committed_stacks(helpers: ModuleType) -> None:
    committed = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    assert helpers.discover_stacks() == committed
    assert {"dev", "prod"} <= set(committed)


def test_discovery_refuses_nonsense(helpers: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(helpers.HelperError, match="no Pulumi"):
        helpers.discover_stacks(tmp_path)
    (tmp_path / "Pulumi.bad name$(id).yaml").write_text("config: {}\n")
    with pytest.raises(helpers.HelperError, match="not a valid stack name"):
        helpers.discover_stacks(tmp_path)


def test_every_committed_stack_has_the_policy_config_its_preview_and_deploy_pass(helpers: ModuleType) -> None:
    for stack in helpers.discover_stacks():
        path = ROOT / "policies" / "config" / f"{stack}.json"
        assert path.is_file(), f"add {path.relative_to(ROOT)} (--policy-pack-config of stack {stack})"
        assert isinstance(json.loads(path.read_text()), dict)


def test_a_copied_stack_file_plans_offline_like_its_original(
    tmp_path: Path, helpers: ModuleType, planned: Callable[[str], Any]
) -> None:
    dev_types = Counter(r.type for r in planned("dev").resources)  # the committed original

    _copy_as_staging(tmp_path)
    staging = run_plan_cli("staging", tmp_path / "out", stack_dir=tmp_path)  # exactly as CI runs it
    assert staging.returncode == 0, staging.stdout + staging.stderr
    assert "Offline plan for stack 'staging'" in staging.stdout
    document = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert document["stack"] == "staging"
    assert all(r["urn"].startswith("urn:pulumi:staging::ai-observability::") for r in document["resources"])
    assert isinstance(json.loads((tmp_path / "out" / "policy-report.json").read_text()), list)
    assert not (ROOT / "Pulumi.staging.yaml").exists()

    # Same shape of configuration → the same resources; only the environment differs.
    assert Counter(r["type"] for r in document["resources"]) == dev_types

    # The job summary the offline-plan job would publish for it.
    summary = helpers.render_summary("staging", staging.returncode, staging.stdout, tmp_path / "out")
    assert summary.startswith("## Offline plan `staging`: passed")
