"""Canary secrets, given through env and through config, never reach build/ or the plan's output."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import stack_file
from tests.plan.test_plan_cli import run_plan
from tools import plan

CANARIES = {
    "dynatraceApiToken": ("DT_API_TOKEN", "dt0c01.CANARYAPI000000000000000." + "CANARYAPISECRET".ljust(64, "1")),
    "dynatracePlatformToken": (
        "DT_PLATFORM_TOKEN",
        "dt0s16.CANARYPLATFORM0000000000." + "CANARYPLATFORMSECRET".ljust(64, "2"),
    ),
    "dynatraceIngestToken": (
        "DT_INGEST_TOKEN",
        "dt0c01.CANARYINGEST000000000000." + "CANARYINGESTSECRET".ljust(64, "3"),
    ),
    "ngcApiKey": ("NGC_API_KEY", "nvapi-CANARYNGCKEY-4444444444444444444444"),
}
OAUTH_CANARIES = {
    "dynatraceOAuthClientId": ("DT_CLIENT_ID", "dt0s02.CANARYID"),
    "dynatraceOAuthClientSecret": ("DT_CLIENT_SECRET", "dt0s02.CANARYID." + "CANARYOAUTHSECRET".ljust(64, "5")),
}


def fragments(value: str) -> list[str]:
    """The whole value and its secret-looking parts (a leak of a part is still a leak)."""
    return [value, *[part for part in value.split(".") if len(part) >= 20]]


def leaves(plain: Any, redacted: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, plain leaf, redacted counterpart — '[secret]' once a secret boundary is crossed)."""
    if redacted == plan.REDACTED:
        yield path, plain, redacted
    elif isinstance(plain, dict):
        for key, value in plain.items():
            yield from leaves(value, redacted.get(key), f"{path}.{key}")
    elif isinstance(plain, list):
        for index, value in enumerate(plain):
            yield from leaves(value, redacted[index], f"{path}[{index}]")
    else:
        yield path, plain, redacted


def contains(value: Any, needle: str) -> bool:
    if isinstance(value, str):
        return needle in value
    if isinstance(value, dict):
        return any(contains(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(contains(v, needle) for v in value)
    return False


def stack_without_minted_token(*, access: bool) -> dict[str, Any]:
    """dev, but taking the ingest token from config: every secret then flows into resources."""
    raw = stack_file("dev")
    raw["ai-observability:governance"]["ingestToken"]["create"] = False
    raw["ai-observability:access"]["enabled"] = access
    return raw


@pytest.mark.parametrize("source", ["env", "config"])
@pytest.mark.parametrize("platform", ["token", "oauth"])
def test_canaries_never_leave_as_plain_text(source: str, platform: str, tmp_path: Path) -> None:
    """Every secret reaches the resources that need it, shown only as "[secret]"; with an OAuth client
    configured as well (and access on), the OAuth client wins and the platform token reaches nothing."""
    oauth = platform == "oauth"
    raw = stack_without_minted_token(access=oauth)
    canaries = {**CANARIES, **(OAUTH_CANARIES if oauth else {})}
    unused = {"dynatracePlatformToken"} if oauth else set()
    env: dict[str, str] = {}
    for key, (env_name, value) in canaries.items():
        if source == "env":
            env[env_name] = value
        else:
            raw[f"ai-observability:{key}"] = value
    (tmp_path / "Pulumi.canary.yaml").write_text(yaml.safe_dump({"config": raw}))
    out = tmp_path / "build"
    proc = run_plan("canary", out, env=env, stack_dir=tmp_path)
    if source == "env":
        assert proc.returncode in (0, 1), proc.stderr
    else:
        # Plain-text secrets in a stack file are refused, each with the command that stores it encrypted.
        assert proc.returncode == 2, proc.stdout + proc.stderr
        for key in canaries:
            assert f"pulumi config set --secret {key} --stack canary" in proc.stderr
        assert not out.exists()
        # What the engine would hand the program after decrypting: the same config, in process.
        result = plan.evaluate_stack("canary", raw_config=raw, env=env)
        plan.write_artefacts(result, [], out)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert (out / "plan.json") in files
    for _, (_, value) in canaries.items():
        for fragment in fragments(value):
            assert fragment not in proc.stdout
            assert fragment not in proc.stderr
            for path in files:
                assert fragment not in path.read_text(), f"{fragment[:12]}… leaked into {path.relative_to(out)}"

    # And the inputs that held them are there, shown as "[secret]" (so the test is not vacuous).
    result = plan.evaluate_stack("canary", raw_config=raw, env=env)
    for key, (_, value) in canaries.items():
        holders = [
            (r.urn, path, shown)
            for r in result.resources
            for path, leaf, shown in leaves(r.plain_inputs, r.redacted_inputs)
            if contains(leaf, fragments(value)[-1])
        ]
        if key in unused:
            assert holders == [], f"{key} reaches {holders[0][0]} although the OAuth client wins"
            continue
        assert holders, f"no resource received {key}: the canary test would prove nothing"
        for urn, path, shown in holders:
            assert shown == plan.REDACTED, f"{key} reaches {urn}{path} unredacted"
    for fragment in (f for _, v in canaries.values() for f in fragments(v)):
        assert not contains(result.outputs, fragment)
