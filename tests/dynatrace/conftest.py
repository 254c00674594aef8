"""Fixtures for the Dynatrace provider tests: a fresh emulator per test, canary admin tokens,
fast client settings, and property bags for each provider."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.dynatrace import ClientSettings  # noqa: E402
from components.dynatrace.credentials import AccountAuth, PlatformAuth  # noqa: E402
from components.dynatrace.scopes import CLASSIC, OAUTH, PLATFORM, scopes_for  # noqa: E402
from testsupport.dynatrace.emulator import ACCOUNT_UUID, ENVIRONMENT_ID, DynatraceEmulator, Timing  # noqa: E402

# Canary tokens: if any of this text shows up in a log line, exception or message, a test fails.
CANARY_API_TOKEN = "dt0c01.CANARYAPITOKEN0000000001." + "CANARYAPISECRET" + "A" * 49
CANARY_PLATFORM_TOKEN = "dt0s16.CANARYPLATFORM0000000001." + "CANARYPLATFORMSECRET" + "B" * 44
CANARY_OAUTH_CLIENT_ID = "dt0s02.CANARYCL"
CANARY_OAUTH_SECRET = CANARY_OAUTH_CLIENT_ID + ".CANARYOAUTHSECRET" + "D" * 47
CANARY_SECRETS = (
    CANARY_API_TOKEN.split(".", 2)[2],
    CANARY_PLATFORM_TOKEN.split(".", 2)[2],
    CANARY_OAUTH_SECRET.split(".", 2)[2],
)

# Tiny waits for tests; production defaults live in ClientSettings().
FAST = ClientSettings(
    connect_timeout=2,
    read_timeout=5,
    max_retry_seconds=10,
    backoff_base=0.005,
    backoff_max=0.05,
    wait_timeout=10,
    poll_initial=0.03,
    poll_max=0.15,
    conflict_attempts=10,
)
TEST_TIMING = Timing(
    bucket_activation_delay=0.2, bucket_visibility_lag=0.1, bucket_update_delay=0.0, bucket_delete_delay=0.05
)
OWNER = "ai-observability/test"


@dataclass
class Env:
    """One emulated tenant plus the admin credentials the providers use."""

    dt: DynatraceEmulator
    api_token: str
    platform_token: str
    oauth_client_id: str = CANARY_OAUTH_CLIENT_ID
    oauth_client_secret: str = CANARY_OAUTH_SECRET

    @property
    def url(self) -> str:
        return self.dt.url

    def oauth(self, scopes: tuple[str, ...] | list[str], **extra: Any) -> dict[str, Any]:
        """Platform connection inputs with the OAuth client (SSO served by the emulator)."""
        return {
            "platform_url": self.url,
            "oauth_client_id": self.oauth_client_id,
            "oauth_client_secret": self.oauth_client_secret,
            "oauth_scopes": list(scopes),
            "sso_url": self.url,
            "client": FAST.to_props(),
            **extra,
        }

    def account(self, **extra: Any) -> dict[str, Any]:
        """Account Management connection inputs (the emulator serves SSO and the API)."""
        return {
            "account_uuid": ACCOUNT_UUID,
            "oauth_client_id": self.oauth_client_id,
            "oauth_client_secret": self.oauth_client_secret,
            "sso_url": self.url,
            "account_api_url": self.url,
            "owner": OWNER,
            "client": FAST.to_props(),
            **extra,
        }

    def platform_auth(self) -> PlatformAuth:
        return PlatformAuth.oauth_client(self.oauth_client_id, self.oauth_client_secret, sso_url=self.url)

    def account_auth(self) -> AccountAuth:
        return AccountAuth(
            ACCOUNT_UUID, self.oauth_client_id, self.oauth_client_secret, sso_url=self.url, account_api_url=self.url
        )

    def policy_props(self, **extra: Any) -> dict[str, Any]:
        base = {
            "level_id": ENVIRONMENT_ID,
            "name": "AI governance auditors",
            "description": "AI governance audit trail",
            "statement_query": 'ALLOW storage:buckets:read WHERE storage:bucket-name = "gen_ai_events";\n'
            "ALLOW storage:bizevents:read;",
        }
        return self.account(**{**base, **extra})

    def group_props(self, **extra: Any) -> dict[str, Any]:
        return self.account(**{"name": "AI governance auditors (test)", "description": "auditors", **extra})

    def binding_props(self, policy_uuid: str, group_name: str, group_uuid: str | None, **extra: Any) -> dict[str, Any]:
        base = {"level_id": ENVIRONMENT_ID, "policy_uuid": policy_uuid, "group_name": group_name}
        if group_uuid is not None:
            base["group_uuid"] = group_uuid
        return self.account(**{**base, **extra})

    def classic(self, **extra: Any) -> dict[str, Any]:
        return {"environment_url": self.url, "api_token": self.api_token, "client": FAST.to_props(), **extra}

    def platform(self, **extra: Any) -> dict[str, Any]:
        return {"platform_url": self.url, "platform_token": self.platform_token, "client": FAST.to_props(), **extra}

    def bucket_props(self, **extra: Any) -> dict[str, Any]:
        base = {"bucket_name": "gen_ai_events", "table": "bizevents", "retention_days": 1825, "display_name": "GenAI"}
        return self.platform(**{**base, **extra})

    def pipeline_props(self, **extra: Any) -> dict[str, Any]:
        base = {
            "owner": OWNER,
            "custom_id": "ai-data-governance",
            "display_name": "AI Data Governance",
            "bucket_name": "gen_ai_events",
        }
        return self.classic(**{**base, **extra})

    def route_props(self, pipeline_id: str, **extra: Any) -> dict[str, Any]:
        base = {
            "description": "AI Event Routing",
            "pipeline_id": pipeline_id,
            "matcher": 'matchesValue(event.type,"gen_ai.auditing")',
        }
        return self.classic(**{**base, **extra})

    def token_props(self, **extra: Any) -> dict[str, Any]:
        base = {
            "owner": OWNER,
            "name": "ai-observability-test-ingest",
            "scopes": [
                "bizevents.ingest",
                "metrics.ingest",
                "logs.ingest",
                "events.ingest",
                "openTelemetryTrace.ingest",
            ],
            "expires_in_days": 30,
        }
        return self.classic(**{**base, **extra})


@pytest.fixture
def dt() -> Iterator[DynatraceEmulator]:
    with DynatraceEmulator(timing=TEST_TIMING) as emulator:
        yield emulator


@pytest.fixture
def env(dt: DynatraceEmulator) -> Env:
    # Exactly the scopes the docs tell users to grant: every scenario proves they suffice.
    api = dt.add_token(CANARY_API_TOKEN, kind="api", scopes=scopes_for(CLASSIC), name="admin")
    platform = dt.add_token(CANARY_PLATFORM_TOKEN, kind="platform", scopes=scopes_for(PLATFORM), name="platform")
    dt.sso.add_client(scopes_for(OAUTH), client_id=CANARY_OAUTH_CLIENT_ID, secret=CANARY_OAUTH_SECRET)
    return Env(dt, api, platform)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every logger at DEBUG (urllib3 included) for token-leak checks."""
    caplog.set_level(logging.DEBUG)
    return caplog


# Corporate-network fixtures (private CA, HTTPS emulator, CONNECT proxy): see netfixtures.py.
from testsupport.dynatrace.netfixtures import (  # noqa: E402, F401
    clear_network_environment,
    net_env,
    other_ca,
    private_ca,
    proxied,
    tls_tenant,
)


@pytest.fixture(autouse=True)
def _no_proxy_or_ca_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client honours HTTPS_PROXY/REQUESTS_CA_BUNDLE...: a developer's settings must not send
    test traffic for 127.0.0.1 through a real proxy, or change which CAs the tests trust."""
    clear_network_environment(monkeypatch)
