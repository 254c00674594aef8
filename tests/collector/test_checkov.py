"""checkov finds nothing unjustified in the collector's manifests (checkov lives in .venv-checkov).

checkov's pins conflict with ours, so it has its own virtualenv:
``python3.11 -m venv .venv-checkov && .venv-checkov/bin/pip install checkov==3.3.30``.
Run fully offline: no Bridgecrew mapping/download, no PyPI update check.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from components.config import CollectorConfig, KongConfig
from tests.collector.harness import run_collector

CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"
pytestmark = pytest.mark.skipif(not CHECKOV.exists(), reason=f"checkov not installed at {CHECKOV}")
OFFLINE = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}
JUSTIFIED = {"CKV_K8S_43", "CKV_K8S_35", "CKV_K8S_38"}


def write_manifests(directory: Path, exposure: str) -> None:
    directory.mkdir()
    run = run_collector(
        CollectorConfig(otlp_exposure=exposure, app_namespaces=["genai-apps"]), KongConfig(enabled=True)
    )
    for index, manifest in enumerate(run.k8s_objects):
        (directory / f"{index:02d}-{manifest['kind'].lower()}.yaml").write_text(yaml.safe_dump(manifest))


def test_checkov_fails_nothing_and_skips_only_justified_checks(tmp_path: Path) -> None:
    write_manifests(tmp_path / "service", "service")
    write_manifests(tmp_path / "hostport", "hostPort")
    result = subprocess.run(
        [str(CHECKOV), "-d", str(tmp_path), "--framework", "kubernetes", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **OFFLINE},
    )
    report = json.loads(result.stdout)
    results = report["results"]
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in results["failed_checks"]]
    assert failed == []
    skipped = {(c["check_id"], Path(c["file_path"]).parent.name) for c in results["skipped_checks"]}
    assert skipped == {(check, mode) for check in JUSTIFIED for mode in ("service", "hostport")} | {
        ("CKV_K8S_26", "hostport")  # hostPort only where otlpExposure asks for it
    }
    assert report["summary"]["passed"] > 150
