"""Harness for the Kubernetes-side tests: run ``stack._kubernetes`` under Pulumi mocks.

``stack._kubernetes`` declares the cluster and GPU node groups and the ``KubernetesWorkloads``
component (provider, device plugin, DCGM exporter, storage class, NIMs, collector).

The mocks answer invokes from ``tools/mock_invokes.py`` and resources from
``tools/mock_state.py`` (the offline plan's own answers), and record every registration with
its inputs in engine wire format (camelCase, secrets still wrapped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from components.config import StackConfig, parse_stack_config
from tests.conftest import FAKE_ENV, stack_file
from tools.mock_run import MockRun, RegisteredResource, run_under_mocks
from tools.mock_run import is_secret_wrapper as is_secret  # noqa: F401 - re-exported for the tests
from tools.mock_run import redact as redact

NS = "ai-observability"
REGION = "eu-central-1"
ENV = dict(FAKE_ENV)
# What governance would mint (the committed stacks let it mint the ingest token).
MINTED_INGEST_TOKEN = "dt0c01." + "TESTINGESTTOKEN000000000" + "." + "C" * 64


class Registered(RegisteredResource):
    @property
    def plain(self) -> dict[str, Any]:
        return self.plain_inputs


@dataclass
class Run(MockRun[Registered]):
    provider: Any = None  # the Kubernetes provider of the workloads component (None without eks)

    def kubernetes(self) -> list[Registered]:
        return [r for r in self.resources if r.type.startswith("kubernetes:")]


def run_kubernetes(config: StackConfig) -> Run:
    """Register what ``stack._kubernetes`` declares for ``config``; outputs fully resolved."""
    from components import stack

    provider: list[Any] = []

    def program() -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        workloads = stack._kubernetes(config, pulumi.Output.secret(MINTED_INGEST_TOKEN), outputs)
        provider.append(workloads.provider if workloads is not None else None)
        return outputs

    recorded = run_under_mocks(program, stack=config.stack, region=REGION, resource_class=Registered)
    return Run(**vars(recorded), provider=provider[0])


def config_for(
    stack: str, edit: Callable[[dict[str, Any]], None] | None = None, env: dict[str, str] | None = None
) -> StackConfig:
    raw = stack_file(stack)
    if edit is not None:
        edit(raw)
    return parse_stack_config(raw, ENV if env is None else env, stack)


_RUNS: dict[str, Run] = {}


@pytest.fixture(scope="session")
def dev_run() -> Run:
    if "dev" not in _RUNS:
        _RUNS["dev"] = run_kubernetes(config_for("dev"))
    return _RUNS["dev"]


@pytest.fixture(scope="session")
def prod_run() -> Run:
    if "prod" not in _RUNS:
        _RUNS["prod"] = run_kubernetes(config_for("prod"))
    return _RUNS["prod"]


def manifests(run: Run) -> list[dict[str, Any]]:
    """Kubernetes objects as the offline plan writes them (``tools.plan.kubernetes_manifest``)."""
    from tools.plan import kubernetes_manifest

    found = []
    for resource in run.kubernetes():
        manifest = kubernetes_manifest(resource)  # Secrets keep their keys, values redacted
        if manifest is not None:
            found.append(manifest)
    return found
