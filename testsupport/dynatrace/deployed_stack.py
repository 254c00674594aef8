"""A committed stack's Dynatrace side, deployed into the emulator the way ``pulumi up`` deploys it.

:func:`deploy` runs the stack's own wiring (``components.stack``: governance, then the signals) for
``Pulumi.<stack>.yaml`` with the Dynatrace URLs pointed at the emulator, through the dynamic-provider
engine of :mod:`.dt_engine`, and returns the stack outputs as ``pulumi stack output --json
--show-secrets`` prints them. :func:`seed_signals` gives every signal the stack watches one data point,
as its producers would.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from components import stack as stack_wiring
from components.config import DynatraceConfig, StackConfig, parse_stack_config
from components.dynatrace.signals import metrics
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import CLASSIC_ADMIN_SCOPES, PLATFORM_ADMIN_SCOPES, DynatraceEmulator
from testsupport.dynatrace.emulator_documents import DOCUMENT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
VERIFY_SCOPES = ("storage:buckets:read", "storage:bizevents:read", "storage:metrics:read", "storage:spans:read")
"""What verify reads beyond what the deployment needs (docs/operations.md#verify)."""
SEEDED_SPANS = 2000
PLATFORM_SCOPES = (*PLATFORM_ADMIN_SCOPES, *DOCUMENT_SCOPES, *VERIFY_SCOPES)


@dataclass
class DeployedStack:
    dt: DynatraceEmulator
    stack: str
    config: StackConfig
    engine: Engine
    api_token: str
    platform_token: str
    outputs: dict[str, Any]
    raw_config: dict[str, Any]
    """The stack file's ``config:`` as deployed (with any overrides)."""

    @property
    def env(self) -> dict[str, str]:
        """The environment verify (and a deploy) reads its tokens from."""
        return {"DT_API_TOKEN": self.api_token, "DT_PLATFORM_TOKEN": self.platform_token}

    def write_outputs(self, path: Path) -> Path:
        path.write_text(json.dumps(self.outputs, indent=2))
        return path

    def write_stack_file(self, folder: Path) -> Path:
        """``Pulumi.<stack>.yaml`` with the configuration this deployment used (for ``--stack-dir``)."""
        path = folder / f"Pulumi.{self.stack}.yaml"
        path.write_text(yaml.safe_dump({"config": self.raw_config}, sort_keys=False))
        return path

    @property
    def ingest_token(self) -> str:
        return str(self.outputs["dynatraceIngestToken"])


def raw_config(stack: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``config:`` of ``Pulumi.<stack>.yaml``; ``overrides`` replace whole keys (``ai-observability:kong``)."""
    raw: dict[str, Any] = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {**raw, **(overrides or {})}


def stack_config(stack: str, raw: dict[str, Any], url: str, env: dict[str, str]) -> StackConfig:
    """The configuration validated as the program validates it, Dynatrace URLs set to ``url``."""
    config = parse_stack_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}, {**env, "NGC_API_KEY": "x" * 24}, stack
    )
    # An http://127.0.0.1 URL is refused by the config model (https only): built unvalidated on purpose.
    return dataclasses.replace(config, dynatrace=DynatraceConfig.model_construct(environment_url=url, platform_url=url))


def deploy(
    dt: DynatraceEmulator,
    stack: str = "dev",
    *,
    api_token: str | None = None,
    platform_token: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> DeployedStack:
    api = dt.add_token(api_token, kind="api", scopes=CLASSIC_ADMIN_SCOPES, name="admin")
    platform = dt.add_token(platform_token, kind="platform", scopes=PLATFORM_SCOPES, name="platform")
    env = {"DT_API_TOKEN": api, "DT_PLATFORM_TOKEN": platform}
    raw = raw_config(stack, overrides)
    config = stack_config(stack, raw, dt.url, env)
    engine = Engine(stack=stack)

    def program() -> dict[str, Any]:
        outputs: dict[str, Any] = {
            "stack": config.stack,
            "dynatraceEnvironmentUrl": config.dynatrace.environment_url,
            "dynatracePlatformUrl": config.dynatrace.platform,
        }
        stack_wiring._governance(config, outputs)
        stack_wiring._signals(config, outputs)
        return outputs

    outputs = engine.up(program)
    return DeployedStack(dt, stack, config, engine, api, platform, outputs, raw)


def governance_event(event_type: str, event_id: str, *, event_name: str = "CreateGuardrail") -> dict[str, Any]:
    """A Bedrock governance CloudEvent as the stack's EventBridge target sends it."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "aws.bedrock",
        "type": event_type,
        "time": "2025-01-01T00:00:00Z",
        "data": {
            "eventName": event_name,
            "awsRegion": "eu-central-1",
            "sourceIPAddress": "198.51.100.7",
            "userIdentity": {"arn": "arn:aws:iam::111122223333:role/app"},
        },
    }


def send_event(deployed: DeployedStack, event: dict[str, Any]) -> None:
    response = requests.post(
        f"{deployed.dt.url}/api/v2/bizevents/ingest",
        data=json.dumps(event),
        headers={"Authorization": f"Api-Token {deployed.ingest_token}", "Content-Type": "application/cloudevent+json"},
        timeout=5,
    )
    response.raise_for_status()


def seed_signals(deployed: DeployedStack, *, skip: tuple[str, ...] = ()) -> None:
    """One data point for every metric of the catalogue, one GenAI span and one governance event
    (``skip`` leaves out producers by source: ``otlp``, ``nim``, ``kong``, ``cloudwatch``, ``dcgm``,
    ``spans``, ``governance``)."""
    grail = deployed.dt.grail
    now = time.time() - 60
    dimensions = {name: "seed" for name in metrics.FIELDS}
    for metric in metrics.ALL_METRICS:
        if metric.source not in skip:
            grail.add_metric(metric.key, 1.0, dimensions, timestamp=now)
    if "spans" not in skip:
        # Enough spans that a tile sampling 1 in 100 still reads some (Grail samples about 1/ratio).
        for number in range(SEEDED_SPANS):
            span: dict[str, Any] = {name: "seed" for name in metrics.FIELDS}
            span.update(
                {
                    "span_id": f"{number:016x}",
                    metrics.SPAN_STATUS_CODE: "error" if number % 10 == 0 else "ok",
                    metrics.SPAN_DURATION: 100 + number,
                    metrics.SPAN_INPUT_TOKENS: 7,
                    metrics.SPAN_OUTPUT_TOKENS: 11,
                }
            )
            grail.add_span(span, timestamp=now)
    if "governance" not in skip:
        send_event(deployed, governance_event(deployed.config.governance.event_type, "seed-event-1"))
