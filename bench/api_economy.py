"""Dynatrace API economy: HTTP calls and wall time per operation of the real governance chain
(providers unpickled from ``__provider`` and driven like ``pulumi up``/``refresh``/``destroy``)
against the local emulator, with the providers' production client settings.

Also: bucket-create convergence as a ratio to the emulator's activation delay, and what the
Terraform provider's documented strategy (poll every 2 s until 10 consecutive ``active`` reads)
costs on the same emulator.

Usage: python -m bench.api_economy [--delay 5] [--lag 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import pulumi
import requests

from components.config.governance import GovernanceConfig
from components.dynatrace import ClientSettings, GrailBucketProvider
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.governance import DynatraceGovernance, DynatraceGovernanceArgs
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import (
    BUCKETS_PATH,
    CLASSIC_ADMIN_SCOPES,
    PLATFORM_ADMIN_SCOPES,
    DynatraceEmulator,
    Timing,
)

from ._timing import machine, table

PRODUCTION = ClientSettings()  # what users get


def governance_program(dt: DynatraceEmulator, api: str, platform: str, config: dict[str, Any]) -> Callable[[], Any]:
    validated = GovernanceConfig.model_validate(config)

    def run() -> dict[str, Any]:
        gov = DynatraceGovernance(
            "governance",
            DynatraceGovernanceArgs(
                environment_url=dt.url,
                platform_url=dt.url,
                api_token=pulumi.Output.secret(api),
                platform_auth=PlatformAuth.platform_token(platform),
                owner="ai-observability/bench",
                config=validated,
                client=PRODUCTION,
            ),
        )
        return {"bucket": gov.bucket_name}

    return run


def measure(dt: DynatraceEmulator, action: Callable[[], object]) -> tuple[int, int, int, float]:
    """(calls, GETs, writes, seconds) of one operation."""
    dt.clear_log()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    calls = dt.calls()
    gets = sum(1 for c in calls if c.method == "GET")
    return len(calls), gets, len(calls) - gets, seconds


def chain_operations(timing: Timing) -> list[list[object]]:
    rows: list[list[object]] = []
    with DynatraceEmulator(timing=timing) as dt:
        api = dt.add_token(kind="api", scopes=CLASSIC_ADMIN_SCOPES)
        platform = dt.add_token(kind="platform", scopes=PLATFORM_ADMIN_SCOPES)
        dt.set_routing(
            [
                {
                    "enabled": True,
                    "pipelineType": "builtin",
                    "builtinPipelineId": "default",
                    "matcher": "true",
                    "description": f"team-{i}",
                }
                for i in range(3)
            ]
        )
        engine = Engine()
        config: dict[str, Any] = {}
        for label, change, op in (
            ("create chain (token, bucket, pipeline, route)", None, "up"),
            ("no-op re-apply", None, "up"),
            ("retention update 1825 → 2000 days", {"bucket": {"retentionDays": 2000}}, "up"),
            ("refresh (4 resources)", None, "refresh"),
            ("destroy", None, "destroy"),
        ):
            if change:
                config.update(change)
            if op == "up":
                action: Callable[[], object] = lambda: engine.up(governance_program(dt, api, platform, config))  # noqa: E731
            elif op == "refresh":
                action = engine.refresh
            else:
                action = engine.destroy
            calls, gets, writes, seconds = measure(dt, action)
            rows.append([label, calls, gets, writes, f"{seconds:.2f}"])
    return rows


def convergence(timing: Timing) -> tuple[float, int, float, int]:
    """(our seconds, our calls, terraform-style seconds, terraform-style calls) for one bucket create."""
    with DynatraceEmulator(timing=timing) as dt:
        platform = dt.add_token(kind="platform", scopes=PLATFORM_ADMIN_SCOPES)
        props = {
            "platform_url": dt.url,
            "platform_token": platform,
            "client": PRODUCTION.to_props(),
            "bucket_name": "gen_ai_events",
            "table": "bizevents",
            "retention_days": 1825,
            "display_name": "GenAI audit events",
        }
        dt.clear_log()
        start = time.perf_counter()
        GrailBucketProvider().create(props)
        ours = time.perf_counter() - start
        our_calls = len(dt.calls())

        # The Terraform provider's documented strategy, run for real on the same emulator.
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {platform}"
        dt.clear_log()
        start = time.perf_counter()
        body = {"bucketName": "tf_bucket", "table": "bizevents", "retentionDays": 1825}
        session.post(f"{dt.url}{BUCKETS_PATH}", json=body, timeout=10).raise_for_status()
        consecutive = 0
        for _ in range(180):
            time.sleep(2)
            response = session.get(f"{dt.url}{BUCKETS_PATH}/tf_bucket", timeout=10)
            active = response.status_code == 200 and response.json().get("status") == "active"
            consecutive = consecutive + 1 if active else 0
            if consecutive == 10:
                break
        terraform = time.perf_counter() - start
        return ours, our_calls, terraform, len(dt.calls())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=5.0, help="bucket creating → active (s)")
    parser.add_argument("--lag", type=float, default=2.0, help="GET 404 after create (s)")
    args = parser.parse_args()
    timing = Timing(bucket_activation_delay=args.delay, bucket_visibility_lag=args.lag, bucket_delete_delay=0.5)

    print(
        f"Dynatrace API economy — emulator activation delay {args.delay:g} s, GET lag {args.lag:g} s, "
        f"production client settings, {machine()}"
    )
    print(table(["operation", "HTTP calls", "GET", "writes", "wall s"], chain_operations(timing)))
    ours, our_calls, terraform, tf_calls = convergence(timing)
    print()
    print(
        table(
            ["bucket create until usable", "seconds", "÷ activation delay", "HTTP calls"],
            [
                ["this provider (bounded backoff)", f"{ours:.2f}", f"{ours / args.delay:.2f}", our_calls],
                ["Terraform strategy (2 s × 10 active)", f"{terraform:.2f}", f"{terraform / args.delay:.2f}", tf_calls],
                ["Terraform ÷ this provider", f"{terraform / ours:.2f}", "", f"{tf_calls / our_calls:.2f}"],
            ],
        )
    )
    print(
        f"target: convergence ≤ delay + 2 s = {args.delay + 2:.1f} s → {'met' if ours <= args.delay + 2 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
