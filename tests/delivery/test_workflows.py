"""The delivery rules the workflows must keep: what runs where, with which credentials."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.config import parse_stack_config
from tests.conftest import ROOT, stack_file
from tests.delivery.conftest import (
    PULUMI_ACTION,
    action_files,
    load_yaml,
    steps_using,
    uses_refs,
    workflow,
    workflow_files,
)

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
EXACT_VERSION = re.compile(r"^v\d+\.\d+\.\d+$")
DISCOVERED_MATRIX = "${{ fromJSON(needs.stacks.outputs.stacks) }}"


def _pulumi_jobs(document: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """job id → (job, its pulumi/actions step); every job that runs pulumi/actions exactly once."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for job_id, job in document["jobs"].items():
        steps = steps_using(job, PULUMI_ACTION)
        if steps:
            assert len(steps) == 1, f"{job_id}: one Pulumi command per job"
            found[job_id] = (job, steps[0])
    return found


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def _ancestors(jobs: dict[str, Any], job_id: str) -> set[str]:
    seen: set[str] = set()
    pending = _needs(jobs[job_id])
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending.extend(_needs(jobs[current]))
    return seen


# --- Pull requests without credentials -----------------------------------------------------


def test_pull_request_checks_reference_no_secret_and_hold_a_read_only_token() -> None:
    text = (ROOT / ".github/workflows/checks.yml").read_text()
    document = workflow("checks.yml")
    assert "pull_request" in document["on"]
    # No secret anywhere in the file (forks get none; the checks must not need any).
    assert not re.search(r"secrets\s*(\.|\[)", text), "checks.yml must reference no secret"
    assert document["permissions"] == {"contents": "read"}
    for job_id, job in document["jobs"].items():
        assert "environment" not in job, f"{job_id}: no environment on pull-request checks"
        assert "permissions" not in job, f"{job_id}: jobs inherit the read-only token"
        assert not steps_using(job, PULUMI_ACTION), f"{job_id}: no real Pulumi run without credentials"
        assert not steps_using(job, "aws-actions/configure-aws-credentials")


def test_no_workflow_runs_pull_request_code_with_the_base_repository_privileges() -> None:
    for path in workflow_files():
        triggers = load_yaml(path)["on"]
        names = [triggers] if isinstance(triggers, str) else list(triggers)
        assert "pull_request_target" not in names, f"{path.name}: never pull_request_target"
        assert "workflow_run" not in names, f"{path.name}: no privileged follow-up of untrusted runs"


def test_checks_run_the_suite_and_plan_every_discovered_stack() -> None:
    jobs = workflow("checks.yml")["jobs"]
    assert any(s.get("run", "").strip() == "make test" for s in jobs["test"]["steps"])
    discover = [s for s in jobs["stacks"]["steps"] if s.get("id") == "discover"]
    assert discover
    assert "ci_helpers.py stacks" in discover[0]["run"]
    assert jobs["stacks"]["outputs"]["stacks"] == "${{ steps.discover.outputs.stacks }}"

    plan_job = jobs["offline-plan"]
    assert plan_job["needs"] == "stacks"
    assert plan_job["strategy"]["matrix"]["stack"] == DISCOVERED_MATRIX
    assert plan_job["strategy"]["fail-fast"] is False  # every stack reports, even if one fails
    steps = {s.get("name", s.get("uses", "")): s for s in plan_job["steps"]}
    plan = steps["Offline plan"]
    assert 'python -m tools.plan "$STACK"' in plan["run"]
    assert "PIPESTATUS[0]" in plan["run"]
    publish = steps["Publish the plan summary and policy report"]
    assert publish["if"].startswith("always()")
    assert "GITHUB_STEP_SUMMARY" in publish["run"]
    assert "ci_helpers.py summary" in publish["run"]
    upload = steps["Upload the plan artefacts"]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"].startswith("always()")
    assert upload["with"]["path"] == "build/${{ matrix.stack }}/"
    assert "${{ matrix.stack }}" in upload["with"]["name"]  # one artefact per stack
    fail = steps["Fail on a policy violation or an invalid configuration"]
    assert fail["if"] == "steps.plan.outputs.exit-code != '0'"


def test_project_setup_uses_python_3_11_with_a_pip_cache() -> None:
    setup = load_yaml(ROOT / ".github/actions/setup-project/action.yml")
    assert setup["inputs"]["python-version"]["default"] == "3.11"
    python = next(s for s in setup["runs"]["steps"] if str(s.get("uses", "")).startswith("actions/setup-python@"))
    assert python["with"]["cache"] == "pip"
    for requirement in ("requirements.txt", "requirements-dev.txt", "policies/requirements.txt"):
        assert requirement in python["with"]["cache-dependency-path"].split()
        assert (ROOT / requirement).is_file()
    assert any("make venv" in s.get("run", "") for s in setup["runs"]["steps"])
    assert any("GITHUB_PATH" in s.get("run", "") for s in setup["runs"]["steps"])  # .venv/bin for later steps


# --- Pull requests with credentials: real previews -------------------------------------------


def test_preview_posts_one_policy_checked_comment_per_discovered_stack() -> None:
    document = workflow("preview.yml")
    assert list(document["on"]) == ["pull_request"]
    assert document["permissions"] == {}
    jobs = document["jobs"]
    job, step = _pulumi_jobs(document)["preview"]
    assert job["strategy"]["matrix"]["stack"] == DISCOVERED_MATRIX
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert "environment" not in job  # a protected environment would ask for approval on every push
    inputs = step["with"]
    assert inputs["command"] == "preview"
    assert inputs["comment-on-pr"] is True
    assert inputs["edit-pr-comment"] is True
    assert inputs["policyPacks"] == "policies"
    assert inputs["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"
    assert "matrix.stack" in inputs["stack-name"]
    # Forks (no secrets) and Dependabot are skipped before anything runs.
    condition = jobs["stacks"]["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "dependabot[bot]" in condition


def test_preview_is_skipped_cleanly_when_credentials_are_absent() -> None:
    job = workflow("preview.yml")["jobs"]["preview"]
    steps = job["steps"]
    index = next(i for i, s in enumerate(steps) if s.get("id") == "credentials")
    check = steps[index]
    assert "--mode preview" in check["run"]
    # The check sees whether the token exists, never its value.
    assert check["env"]["HAS_PULUMI_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN != '' }}"
    assert all("secrets." not in value or "!= ''" in value for value in check["env"].values())
    for later in steps[index + 1 :]:
        assert later.get("if") == "steps.credentials.outputs.ready == 'true'", later
    for earlier in steps[:index]:
        assert "secrets." not in str(earlier)


def test_previews_and_deploys_never_share_a_concurrency_group() -> None:
    preview_job, _ = _pulumi_jobs(workflow("preview.yml"))["preview"]
    group = preview_job["concurrency"]["group"]
    assert not group.startswith("pulumi-"), "a queued preview must not displace a queued deploy"
    assert "github.event.pull_request.number" in group
    assert "matrix.stack" in group


# --- Deploys ------------------------------------------------------------------------------


def _deploy_jobs() -> dict[str, tuple[dict[str, Any], dict[str, Any], str]]:
    """job id → (job, pulumi step, stack) for every `pulumi up` job of deploy.yml."""
    result: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {}
    for job_id, (job, step) in _pulumi_jobs(workflow("deploy.yml")).items():
        assert step["with"]["command"] == "up", job_id
        match = re.fullmatch(r"policies/config/([A-Za-z0-9_.-]+)\.json", step["with"]["policyPackConfigs"])
        assert match, f"{job_id}: policyPackConfigs names one stack's policy config"
        result[job_id] = (job, step, match.group(1))
    return result


def test_deploy_runs_on_main_after_the_checks_and_only_when_switched_on() -> None:
    document = workflow("deploy.yml")
    assert document["on"]["push"] == {"branches": ["main"]}
    assert document["permissions"] == {}
    checks = document["jobs"]["checks"]
    assert checks["uses"] == "./.github/workflows/checks.yml"
    assert "workflow_call" in workflow("checks.yml")["on"]
    for job_id, (job, _, _) in _deploy_jobs().items():
        assert "checks" in _ancestors(document["jobs"], job_id), f"{job_id}: deploy only tested commits"
        assert "vars.PULUMI_DEPLOY_ENABLED == 'true'" in job["if"]
        assert "github.ref == 'refs/heads/main'" in job["if"]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}


def test_deploy_runs_weekly_so_the_ingest_token_rotates_without_a_push(fake_env: dict[str, str]) -> None:
    document = workflow("deploy.yml")
    [entry] = document["on"]["schedule"]
    minute, hour, day_of_month, month, day_of_week = entry["cron"].split()
    assert minute.isdigit()
    assert hour.isdigit()
    assert (day_of_month, month) == ("*", "*")
    assert day_of_week.isdigit(), "once a week, on one weekday"
    for job_id, (job, step, _) in _deploy_jobs().items():
        # Nothing may keep a scheduled run from deploying: no event filter, the checks still first.
        assert "github.event_name" not in job["if"], job_id
        assert step["with"]["command"] == "up"
    # Every committed stack's rotation window spans several weekly runs (one may fail or wait).
    for stack in ("dev", "prod"):
        token = parse_stack_config(stack_file(stack), fake_env, stack).governance.ingest_token
        assert token.rotation_days is None or token.rotation_days >= 3 * 7, stack


def test_each_deploy_job_is_bound_to_one_stack_its_environment_and_its_concurrency_group() -> None:
    deploys = _deploy_jobs()
    assert {stack for _, _, stack in deploys.values()} >= {"dev", "prod"}
    for job_id, (job, step, stack) in deploys.items():
        # A copied job with one forgotten rename must fail here, not deploy the wrong stack.
        assert job["environment"] == stack, f"{job_id}: GitHub environment of {stack}"
        assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}, job_id
        assert f"'{stack}'" in step["with"]["stack-name"], job_id
        region = next(s for s in job["steps"] if s.get("id") == "region")
        assert region["run"].endswith(f"region {stack}"), job_id
        assert f"pulumi-up-{stack}-" in str(job["steps"]), job_id
        assert step["with"]["policyPacks"] == "policies"
        assert (ROOT / "policies" / "config" / f"{stack}.json").is_file()
        check = next(s for s in job["steps"] if "credentials --mode deploy" in s.get("run", ""))
        assert check["env"]["AWS_ROLE_ARN"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"


def test_prod_is_gated_by_its_environment_after_dev_succeeded() -> None:
    document = workflow("deploy.yml")
    by_stack = {stack: job_id for job_id, (_, _, stack) in _deploy_jobs().items()}
    prod = document["jobs"][by_stack["prod"]]
    assert prod["environment"] == "prod"
    assert by_stack["dev"] in _ancestors(document["jobs"], by_stack["prod"])
    assert by_stack["prod"] not in _ancestors(document["jobs"], by_stack["dev"])


def test_concurrency_groups_are_one_per_stack() -> None:
    groups = [job["concurrency"]["group"] for job, _, _ in _deploy_jobs().values()]
    assert len(groups) == len(set(groups))


# --- Pinning ----------------------------------------------------------------------------------


def test_every_action_is_pinned_to_a_commit_sha_with_its_exact_version() -> None:
    refs = uses_refs(workflow_files() + action_files())
    assert refs, "no uses: found"
    remote = [r for r in refs if not r.local]
    assert {r.action for r in remote} >= {
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-artifact",
        "aws-actions/configure-aws-credentials",
        PULUMI_ACTION,
    }
    for ref in remote:
        where = f"{ref.path.relative_to(ROOT)}:{ref.line}: {ref.ref}"
        assert SHA_PIN.match(ref.ref), f"{where}: pin to a full commit SHA (no branch, no tag)"
        assert EXACT_VERSION.match(ref.comment or ""), f"{where}: add the '# vX.Y.Z' it is"
    # One version of each action across all files (a bump updates every use).
    versions: dict[str, set[tuple[str, str | None]]] = {}
    for ref in remote:
        versions.setdefault(ref.action, set()).add((ref.version, ref.comment))
    assert {a: v for a, v in versions.items() if len(v) > 1} == {}
    for ref in (r for r in refs if r.local):
        target = ROOT / ref.ref
        assert target.is_file() or (target / "action.yml").is_file(), f"{ref.ref} does not exist"


def test_pin_rule_rejects_floating_references() -> None:
    for floating in ("actions/checkout@v4", "actions/checkout@main", "pulumi/actions@v7.0.0", "x/y@1234567"):
        assert not SHA_PIN.match(floating)
    assert SHA_PIN.match("actions/checkout@" + "a" * 40)
    assert not EXACT_VERSION.match("v7")
    assert EXACT_VERSION.match("v7.0.0")


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml", "verify.yml"])
def test_pulumi_cli_version_is_pinned_to_the_sdk_version(name: str) -> None:
    document = workflow(name)
    sdk = re.search(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert sdk is not None
    assert document["env"]["PULUMI_VERSION"] == sdk.group(1)
    for _, step in _pulumi_jobs(document).values():
        assert step["with"]["pulumi-version"] == "${{ env.PULUMI_VERSION }}"
