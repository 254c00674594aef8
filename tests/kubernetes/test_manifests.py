"""Every Kubernetes object of this area is valid for Kubernetes 1.33 and passes checkov.

Objects are rendered exactly as the offline plan writes ``build/<stack>/manifests/``
(``tools.plan.kubernetes_manifest``: wire-format inputs, secrets redacted).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.kubernetes.collector import CHECKOV_SKIPS as COLLECTOR_SKIPS
from components.kubernetes.collector import HOST_PORT_CHECKOV_SKIP
from components.kubernetes.dcgm_exporter import CHECKOV_SKIPS as DCGM_SKIPS
from components.kubernetes.device_plugin import CHECKOV_SKIPS as PLUGIN_SKIPS
from components.kubernetes.nim import CHECKOV_SKIPS as NIM_SKIPS
from tests.conftest import ROOT
from tests.kubernetes.conftest import NS, Run, config_for, manifests, run_kubernetes

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
KUBERNETES_VERSION = "1.33.0"


def _keyless_bottlerocket(raw: dict[str, Any]) -> None:
    raw[f"{NS}:nims"][0]["ngcCredentials"] = False
    for group in raw[f"{NS}:gpuNodeGroups"]:
        group["amiType"] = "BOTTLEROCKET_x86_64_NVIDIA"


@pytest.fixture(scope="module")
def all_manifests(dev_run: Run, prod_run: Run) -> list[dict[str, Any]]:
    variant = run_kubernetes(config_for("dev", _keyless_bottlerocket))
    found = manifests(dev_run) + manifests(prod_run) + manifests(variant)
    kinds = {m["kind"] for m in found}
    assert {"Namespace", "Secret", "PersistentVolumeClaim", "Deployment", "Service", "DaemonSet"} <= kinds
    assert "StorageClass" in kinds
    return found


def test_every_object_validates_strictly_against_kubernetes_1_33(all_manifests: list[dict[str, Any]]) -> None:
    for manifest in all_manifests:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_validation_would_catch_a_misspelled_field(dev_run: Run) -> None:
    deployment = next(m for m in manifests(dev_run) if m["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["nodeSelektor"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def _write(manifests_: list[dict[str, Any]], directory: Path, *, keep_skips: bool = True) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index, manifest in enumerate(manifests_):
        document = json.loads(json.dumps(manifest))
        if not keep_skips:
            annotations = document["metadata"].get("annotations") or {}
            for key in [k for k in annotations if k.startswith("checkov.io/skip")]:
                del annotations[key]
        (directory / f"{index:03d}-{document['kind'].lower()}.yaml").write_text(yaml.safe_dump(document))


def run_checkov(directory: Path) -> dict[str, Any]:
    # Fully offline: no mapping download, no version check, no guideline download.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"}
    result = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "kubernetes",
            "-d",
            str(directory),
            "--output",
            "json",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    if isinstance(report, list):
        report = report[0]
    results: dict[str, Any] = report.get("results", {}) if report else {}
    return results


@pytest.mark.skipif(not CHECKOV.exists(), reason=f"checkov not installed at {CHECKOV} (see docs/development.md)")
def test_checkov_finds_nothing_unexplained(all_manifests: list[dict[str, Any]], tmp_path: Path) -> None:
    _write(all_manifests, tmp_path / "with-skips")
    results = run_checkov(tmp_path / "with-skips")
    failed = [(c["check_id"], c["resource"]) for c in results.get("failed_checks", [])]
    assert failed == [], failed
    # Each skip is an accepted finding with a reason (the annotation text).
    skips = (*NIM_SKIPS, *PLUGIN_SKIPS, *DCGM_SKIPS, *COLLECTOR_SKIPS, HOST_PORT_CHECKOV_SKIP)
    declared = {skip.split("=", 1)[0] for skip in skips}
    skipped = results.get("skipped_checks", [])
    assert skipped, "the annotations were not read"
    for check in skipped:
        assert check["check_id"] in declared, check["check_id"]
        assert check["check_result"].get("suppress_comment"), check["check_id"]
    assert len(results.get("passed_checks", [])) > 100
