"""The offline plan runs the pack over the real program: committed stacks pass, a weakened prod
setting fails the plan (exit 1) with the violation named in policy-report.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from policies.runner import evaluate_policies, load_pack_config
from tools import plan

ROOT = Path(__file__).resolve().parents[2]


def committed(stack: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return copy.deepcopy(loaded)


@pytest.fixture(scope="module")
def reports() -> dict[str, Any]:
    results = {}
    for stack in ("dev", "prod"):
        result = plan.evaluate_stack(stack, env={})
        results[stack] = (result, evaluate_policies(result.resources, load_pack_config(stack)))
    return results


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stacks_have_no_mandatory_violation(reports: dict[str, Any], stack: str) -> None:
    _, report = reports[stack]
    assert [v for v in report.violations if v.enforcement == "mandatory"] == []
    assert [v for v in report.violations if v.enforcement != "advisory"] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stacks_violate_nothing_even_when_enforced(reports: dict[str, Any], stack: str) -> None:
    """dev is advisory, but as committed it would pass prod's mandatory level too."""
    result, _ = reports[stack]
    strict = evaluate_policies(result.resources, {"all": "mandatory"})
    assert [(v.policy, v.urn.rsplit("::", 1)[-1], v.message) for v in strict.violations] == []


def test_short_bucket_retention_fails_prod_plan(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stack = "prod"
    raw = committed(stack)
    raw["ai-observability:governance"]["bucket"]["retentionDays"] = 30
    monkeypatch.setattr(plan, "read_stack_file", lambda name, root=ROOT: raw)
    for name in ("DT_API_TOKEN", "DT_PLATFORM_TOKEN", "DT_INGEST_TOKEN", "NGC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert plan.main([stack, "--out", str(tmp_path)]) == plan.EXIT_POLICY
    report = json.loads((tmp_path / "policy-report.json").read_text())
    [entry] = [v for v in report if v["policy"] == "governance-bucket-retains-bizevents"]
    assert entry["enforcement"] == "mandatory"
    assert entry["urn"].startswith(f"urn:pulumi:{stack}::ai-observability::")
    assert "keeps data 30" in entry["message"]
    assert "Fix: raise ai-observability:governance.bucket.retentionDays" in entry["message"]
    assert [v for v in report if v is not entry] == []


@pytest.mark.parametrize(
    ("key", "change", "policies"),
    [
        (
            "guardrails",
            {"enabled": False},
            {"stack-has-bedrock-guardrails", "stack-has-model-invocation-logging"},
        ),
        ("guardrails", {"invocationLogging": {"enabled": False}}, {"stack-has-model-invocation-logging"}),
        ("governance", {"pipeline": {"matcher": "false"}}, {"stack-stores-genai-audit-events"}),
        ("governance", {"enabled": False}, {"stack-stores-genai-audit-events"}),
    ],
)
def test_prod_without_a_control_fails_the_plan(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    key: str,
    change: dict[str, Any],
    policies: set[str],
) -> None:
    """What a stack leaves out is a mandatory violation in prod (and only advisory in dev)."""
    raw = committed("prod")
    raw[f"ai-observability:{key}"].update(change)
    monkeypatch.setattr(plan, "read_stack_file", lambda name, root=ROOT: raw)
    for name in ("DT_API_TOKEN", "DT_PLATFORM_TOKEN", "DT_INGEST_TOKEN", "NGC_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert plan.main(["prod", "--out", str(tmp_path)]) == plan.EXIT_POLICY
    summary = capsys.readouterr().out
    assert all(f"[mandatory] {policy}: stack prod: " in summary for policy in policies), summary
    report = json.loads((tmp_path / "policy-report.json").read_text())
    assert {v["policy"] for v in report if v["policy"].startswith("stack-")} == policies
    assert {v["enforcement"] for v in report if v["policy"] in policies} == {"mandatory"}
    result = plan.evaluate_stack("prod", raw_config=raw, env={})
    dev = evaluate_policies(result.resources, load_pack_config("dev"))
    assert {v.policy for v in dev.violations} >= policies
    assert {v.enforcement for v in dev.violations} == {"advisory"}
