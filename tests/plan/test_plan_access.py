"""The offline plan with access as code: the dev plan shows the IAM policies, groups and bindings;
its summary names the credential (OAuth client or token) each Dynatrace host gets; a configuration
that binds a forbidden group to the auditors policy is refused before anything is planned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import FAKE_API_TOKEN, FAKE_ENV, FAKE_PLATFORM_TOKEN, stack_file
from tests.plan.test_plan_cli import run_plan
from tools import plan

DT = "pulumi-python:dynamic/dynatrace:"
NS = "ai-observability"


def _by_type(document: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in document["resources"] if r["type"] == DT + kind]


def test_the_dev_plan_shows_the_policies_groups_and_bindings() -> None:
    document = plan.plan_document(plan.evaluate_stack("dev", env=FAKE_ENV))
    policies = {p["inputs"]["name"]: p["inputs"] for p in _by_type(document, "IamPolicy")}
    assert set(policies) == {"AI Observability users", "AI governance auditors"}
    users, auditors = policies["AI Observability users"], policies["AI governance auditors"]
    assert users["statement_query"].startswith("ALLOW storage:events:read, storage:entities:read,")
    assert 'storage:bucket-name startsWith "default_"' in users["statement_query"]
    assert auditors["statement_query"] == (
        'ALLOW storage:buckets:read WHERE storage:bucket-name = "gen_ai_events";\nALLOW storage:bizevents:read;'
    )
    for policy in policies.values():
        assert (policy["level_type"], policy["level_id"]) == ("environment", "abc12345")
        assert policy["oauth_client_secret"] == "[secret]"
    groups = {g["inputs"]["name"] for g in _by_type(document, "IamGroup")}
    assert groups == {"AI Observability users (dev)", "AI governance auditors (dev)"}
    bindings = sorted(b["inputs"]["group_name"] for b in _by_type(document, "IamPolicyBinding"))
    assert bindings == sorted(groups)
    assert {"accessPolicyIds", "accessGroupIds"} <= set(document["outputs"])


def _summary(stack: str, env: dict[str, str], tmp_path: Path) -> str:
    proc = run_plan(stack, tmp_path / stack, env=env)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.stdout


def test_the_summary_names_oauth_or_token_per_host(tmp_path: Path) -> None:
    dev = _summary("dev", {}, tmp_path)
    oauth = "OAuth client (dynatraceOAuthClientId, dynatraceOAuthClientSecret)"
    assert "abc12345.live.dynatrace.com (classic API): API token (dynatraceApiToken)" in dev
    assert f"abc12345.apps.dynatrace.com (platform API): {oauth}" in dev
    assert f"sso.dynatrace.com (OAuth token endpoint): {oauth}" in dev
    assert f"api.dynatrace.com (Account Management API): {oauth}" in dev

    prod = _summary("prod", {"DT_API_TOKEN": FAKE_API_TOKEN, "DT_PLATFORM_TOKEN": FAKE_PLATFORM_TOKEN}, tmp_path)
    assert "xyz98765.apps.dynatrace.com (platform API): platform token (dynatracePlatformToken)" in prod
    assert "sso.dynatrace.com" not in prod

    both = _summary("prod", FAKE_ENV, tmp_path / "both")
    assert f"xyz98765.apps.dynatrace.com (platform API): {oauth} — dynatracePlatformToken is set too" in both
    assert "the OAuth client wins" in both


@pytest.mark.parametrize("existing", [False, True])
def test_a_forbidden_group_bound_to_the_auditors_policy_is_refused(existing: bool, tmp_path: Path) -> None:
    raw = stack_file("dev")
    raw[f"{NS}:access"] = {
        "enabled": True,
        "auditors": {"groups": [{"name": "AI governance auditors"}, {"name": "Contractors", "existing": existing}]},
        "forbiddenGovernanceReaders": ["contractors"],
    }
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": raw}))
    proc = run_plan("bad", tmp_path / "out", env=FAKE_ENV, stack_dir=tmp_path)
    assert proc.returncode == 2
    assert f"{NS}:access.auditors.groups[1].name: 'Contractors' is listed in access.forbiddenGovernanceReaders" in (
        proc.stderr
    )
    assert not (tmp_path / "out").exists()
