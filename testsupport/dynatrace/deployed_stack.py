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
from components.config.secrets import parse_secrets
from components.dynatrace.scopes import CLASSIC, OAUTH, PLATFORM, scopes_for
from components.dynatrace.signals import metrics
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator import DynatraceEmulator

ROOT = Path(__file__).resolve().parents[2]
SEEDED_SPANS = 2000


@dataclass
class DeployedStack:
    dt: DynatraceEmulator
    stack: str
    config: StackConfig
    engine: Engine
    api_token: str
    platform_token: str
    oauth_client_id: str
    oauth_client_secret: str
    """An OAuth client of the emulator's SSO with every scope the docs list (``scopes_for(OAUTH)``)."""
    outputs: dict[str, Any]
    raw_config: dict[str, Any]
    """The stack file's ``config:`` as deployed (with any overrides)."""

    @property
    def env(self) -> dict[str, str]:
        """The environment verify (and a deploy) reads its tokens from."""
        return {"DT_API_TOKEN": self.api_token, "DT_PLATFORM_TOKEN": self.platform_token}

    @property
    def oauth_env(self) -> dict[str, str]:
        """The environment of a verify run whose platform calls use the OAuth client (no platform token)."""
        return {
            "DT_API_TOKEN": self.api_token,
            "DT_CLIENT_ID": self.oauth_client_id,
            "DT_CLIENT_SECRET": self.oauth_client_secret,
        }

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
    api = dt.add_token(api_token, kind="api", scopes=scopes_for(CLASSIC), name="admin")
    platform = dt.add_token(platform_token, kind="platform", scopes=scopes_for(PLATFORM), name="platform")
    client_id, client_secret = dt.sso.add_client(scopes_for(OAUTH))
    env = {"DT_API_TOKEN": api, "DT_PLATFORM_TOKEN": platform}
    raw = raw_config(stack, overrides)
    # Validated with the OAuth client too (a stack with access on requires one), then deployed with the
    # platform token: the wiring sends an OAuth client to production SSO, which the emulator is not.
    config = stack_config(stack, raw, dt.url, {**env, "DT_CLIENT_ID": client_id, "DT_CLIENT_SECRET": client_secret})
    config = dataclasses.replace(config, secrets=parse_secrets({}, {**env, "NGC_API_KEY": "x" * 24})[0])
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
    return DeployedStack(dt, stack, config, engine, api, platform, client_id, client_secret, outputs, raw)


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


def seed_signals(deployed: DeployedStack) -> None:
    """Data as every producer of the catalogue sends it, a minute ago: one point per metric (each
    dimension set, under its current name), GenAI spans, and one governance event through ingest."""
    grail = deployed.dt.grail
    now = time.time() - 60
    for metric in metrics.ALL_METRICS:
        grail.add_metric(metric.key, 1.0, {field.name: "seed" for field in metric.dimensions}, timestamp=now)
    # Enough spans that a tile sampling 1 in 100 still reads some (Grail samples about 1/ratio).
    for number in range(SEEDED_SPANS):
        span: dict[str, Any] = {field.name: "seed" for field in metrics.SPAN_FIELDS}
        span.update(
            {
                "span_id": f"{number:016x}",
                metrics.SPAN_STATUS_CODE.name: "error" if number % 10 == 0 else "ok",
                metrics.SPAN_DURATION.name: 100 + number,
                metrics.SPAN_INPUT_TOKENS.name: 7,
                metrics.SPAN_OUTPUT_TOKENS.name: 11,
            }
        )
        grail.add_span(span, timestamp=now)
    send_event(deployed, governance_event(deployed.config.governance.event_type, "seed-event-1"))
