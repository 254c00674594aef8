"""The ``DynatraceSignals`` component as a one-component program, applied against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import SignalsConfig
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.signals.component import DynatraceSignals, DynatraceSignalsArgs
from tests.dynatrace.conftest import FAST, Env
from testsupport.dynatrace.dt_engine import Engine


class SignalsStack:
    """``signals`` holds the stack file's ``ai-observability:signals`` section; ``up`` overlays it."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.engine = Engine()
        self.signals: dict[str, Any] = {}
        self.kong = True
        self.auth = PlatformAuth.platform_token(env.platform_token)

    def program(self) -> Callable[[], dict[str, Any]]:
        config = SignalsConfig.model_validate(self.signals)
        kong = KongConfig(enabled=self.kong)
        env, auth = self.env, self.auth

        def run() -> dict[str, Any]:
            signals = DynatraceSignals(
                "signals",
                DynatraceSignalsArgs(
                    platform_url=env.url,
                    platform_auth=auth,
                    owner="ai-observability/test",
                    config=config,
                    governance=GovernanceConfig(),
                    kong=kong,
                    client=FAST,
                ),
            )
            return {"ids": signals.detector_ids, "dashboards": signals.dashboard_ids}

        return run

    def up(self, **signals: Any) -> dict[str, Any]:
        self.signals.update(signals)
        return self.engine.up(self.program())
