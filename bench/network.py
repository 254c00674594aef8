"""Corporate-network cost: the governance create chain directly over HTTP, over HTTPS with a
private CA through a loopback ``CONNECT`` proxy, and the same with one request in three answered
503; plus the time to the first failure when the CA is not trusted (production client settings).

Usage: python -m bench.network [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from components.dynatrace import ClientSettings, DynatraceClient, DynatraceTlsError, TokenAuth
from components.dynatrace.api import BUCKETS_PATH
from testsupport.dynatrace.connect_proxy import ConnectProxy
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import (
    CLASSIC_ADMIN_SCOPES,
    PLATFORM_ADMIN_SCOPES,
    DynatraceEmulator,
    Faults,
    Timing,
)
from testsupport.dynatrace.netfixtures import NETWORK_VARIABLES
from testsupport.dynatrace.tls import PrivateCa, make_private_ca

from ._timing import machine, table
from .api_economy import governance_program

TIMING = Timing(bucket_activation_delay=0.5, bucket_visibility_lag=0.2, bucket_delete_delay=0.1)


def _set_network(values: dict[str, str]) -> None:
    for name in NETWORK_VARIABLES:
        os.environ.pop(name, None)
        os.environ.pop(name.lower(), None)
    os.environ.update({"NO_PROXY": "", "no_proxy": "", **values})


def create_chain(ca: PrivateCa | None, proxy: bool, fail_ratio: float) -> tuple[int, int, int, float]:
    """(calls served, calls answered 503, proxy tunnels, seconds) of one create chain."""
    dt = DynatraceEmulator(timing=TIMING, faults=Faults(fail_ratio=fail_ratio, statuses=(503,), retry_after=None))
    dt.start(tls=ca.server_context() if ca else None)
    tunnels = ConnectProxy().start()
    try:
        api = dt.add_token(kind="api", scopes=CLASSIC_ADMIN_SCOPES)
        platform = dt.add_token(kind="platform", scopes=PLATFORM_ADMIN_SCOPES)
        network = {"REQUESTS_CA_BUNDLE": str(ca.ca_pem)} if ca else {}
        if proxy:
            network["HTTPS_PROXY"] = network["HTTP_PROXY"] = tunnels.url
        _set_network(network)
        start = time.perf_counter()
        Engine().up(governance_program(dt, api, platform, {}))
        seconds = time.perf_counter() - start
        calls = dt.calls()
        injected = sum(1 for c in calls if c.injected)
        return len(calls) - injected, injected, len(tunnels.tunnels), seconds
    finally:
        tunnels.stop()
        dt.stop()
        _set_network({})


def first_failure(ca: PrivateCa, runs: int) -> tuple[float, int]:
    """Median seconds until an untrusted certificate is reported, and the attempts it took."""
    dt = DynatraceEmulator().start(tls=ca.server_context())
    _set_network({})
    samples: list[float] = []
    attempts = 0
    try:
        for _ in range(runs):
            start = time.perf_counter()
            try:
                with DynatraceClient(dt.url, TokenAuth("Bearer", "dt0s16.BENCH.NOTASECRET000"), ClientSettings()) as c:
                    c.request("GET", BUCKETS_PATH)
            except DynatraceTlsError as exc:
                attempts = exc.attempts
            samples.append(time.perf_counter() - start)
    finally:
        dt.stop()
    return statistics.median(samples), attempts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ca = make_private_ca(Path(tempfile.mkdtemp(prefix="bench-ca-")))
    variants = (
        ("HTTP, direct", None, False, 0.0),
        ("HTTPS private CA, via CONNECT proxy", ca, True, 0.0),
        ("HTTPS private CA, via proxy, 1/3 answered 503", ca, True, 1 / 3),
    )
    results: dict[str, list[tuple[int, int, int, float]]] = {label: [] for label, *_ in variants}
    for _ in range(args.runs):  # interleaved: machine noise hits every variant alike
        for label, variant_ca, proxy, ratio in variants:
            results[label].append(create_chain(variant_ca, proxy, ratio))
    base = statistics.median(r[3] for r in results["HTTP, direct"])
    rows: list[list[object]] = []
    for label, samples in results.items():
        seconds = statistics.median(r[3] for r in samples)
        rows.append(
            [
                label,
                f"{statistics.median(r[0] for r in samples):g}",
                f"{statistics.median(r[1] for r in samples):g}",
                f"{statistics.median(r[2] for r in samples):g}",
                f"{seconds:.2f}",
                f"{seconds / base:.2f}",
            ]
        )
    print(f"Corporate networks — create chain (token, bucket, pipeline, route), {args.runs} runs, {machine()}")
    print(table(["create chain", "calls served", "503s", "proxy tunnels", "median s", "÷ direct"], rows))
    seconds, attempts = first_failure(ca=make_private_ca(Path(tempfile.mkdtemp(prefix="bench-ca-"))), runs=5)
    print()
    print(f"untrusted CA, production settings: first failure after {seconds * 1000:.0f} ms, {attempts} attempt(s)")
    print(f"target: < 2 s → {'met' if seconds < 2 else 'MISSED'}")


if __name__ == "__main__":
    main()
