"""Fixtures for verify: the dev stack deployed into a fresh emulator, and a runner for the CLI with
tiny waits (every poll and pause injected, no sleeps of seconds)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tests.dynatrace.conftest import CANARY_API_TOKEN, CANARY_PLATFORM_TOKEN, FAST
from testsupport.dynatrace.deployed_stack import DeployedStack, deploy
from testsupport.dynatrace.emulator import DynatraceEmulator, Timing
from tools.verify.cli import main
from tools.verify.settings import VerifySettings

# Buckets are active at once, so a deployment never waits for one.
INSTANT = Timing(bucket_activation_delay=0, bucket_visibility_lag=0, bucket_update_delay=0, bucket_delete_delay=0)
FAST_VERIFY = VerifySettings(
    client=FAST,
    query_request_timeout_ms=200,
    query_deadline_seconds=5,
    poll_pause=0.02,
    probe_timeout_seconds=3,
    probe_pause_initial=0.02,
    probe_pause_max=0.1,
    aws_probe_timeout_seconds=3,
)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.stdout)
        return document

    def check(self, check_id: str) -> dict[str, Any]:
        for section in self.report["sections"]:
            for item in section["checks"]:
                if item["id"] == check_id:
                    found: dict[str, Any] = item
                    return found
        raise AssertionError(
            f"no check {check_id} in {[c['id'] for s in self.report['sections'] for c in s['checks']]}"
        )

    def statuses(self) -> dict[str, str]:
        return {c["id"]: c["status"] for s in self.report["sections"] for c in s["checks"]}


@dataclass
class Verifier:
    deployed: DeployedStack
    tmp: Path
    settings: VerifySettings = FAST_VERIFY

    def __call__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        outputs: dict[str, Any] | None = None,
        as_json: bool = True,
    ) -> Outcome:
        path = self.tmp / "outputs.json"
        path.write_text(json.dumps(self.deployed.outputs if outputs is None else outputs))
        out, err = io.StringIO(), io.StringIO()
        code = main(
            [self.deployed.stack, "--outputs", str(path), *(["--json"] if as_json else []), *args],
            env=self.deployed.env if env is None else env,
            stdout=out,
            stderr=err,
            base_settings=self.settings,
        )
        return Outcome(code, out.getvalue(), err.getvalue())

    def with_settings(self, **changes: Any) -> Verifier:
        return Verifier(self.deployed, self.tmp, replace(self.settings, **changes))


@pytest.fixture
def dt() -> Iterator[DynatraceEmulator]:
    with DynatraceEmulator(timing=INSTANT) as emulator:
        yield emulator


@pytest.fixture
def deployed(dt: DynatraceEmulator) -> DeployedStack:
    return deploy(dt, "dev", api_token=CANARY_API_TOKEN, platform_token=CANARY_PLATFORM_TOKEN)


@pytest.fixture
def verify(deployed: DeployedStack, tmp_path: Path) -> Verifier:
    return Verifier(deployed, tmp_path)


# Corporate-network fixtures (private CA, HTTPS emulator, CONNECT proxy).
from testsupport.dynatrace.netfixtures import net_env, private_ca, proxied, tls_tenant  # noqa: E402, F401
