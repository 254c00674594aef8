"""Every platform feature with an OAuth client instead of a platform token: the Grail bucket
(governance), settings on the platform path and documents (detectors, dashboards), extensions (AWS
monitoring). Each feature's access token carries that feature's scopes, is fetched once and reused,
and an unchanged second ``up`` writes nothing (not even a token request)."""

from __future__ import annotations

import pulumi

from components.config.governance import GovernanceConfig
from components.dynatrace.governance import DynatraceGovernance, DynatraceGovernanceArgs
from components.dynatrace.scopes import AWS_MONITORING, DASHBOARDS, DETECTORS, GRAIL_BUCKET
from tests.dynatrace.conftest import FAST, Env
from tests.dynatrace.signals_stack import SignalsStack
from tests.dynatrace.test_dt_aws_monitoring import Stack as AwsStack
from testsupport.dynatrace.dt_engine import Engine
from testsupport.dynatrace.emulator_sso import TOKEN_PATH


def _requested_scopes(env: Env) -> set[frozenset[str]]:
    return {frozenset(form["scope"].split()) for form in env.dt.sso.requests}


def test_governance_signals_and_aws_monitoring_with_an_oauth_client(env: Env) -> None:
    governance = Engine()

    def program() -> None:
        DynatraceGovernance(
            "governance",
            DynatraceGovernanceArgs(
                environment_url=env.url,
                platform_url=env.url,
                api_token=pulumi.Output.secret(env.api_token),
                platform_auth=env.platform_auth(),
                owner="ai-observability/test",
                config=GovernanceConfig(),
                client=FAST,
            ),
        )

    governance.up(program)
    signals = SignalsStack(env)
    signals.auth = env.platform_auth()
    signals.up()
    aws = AwsStack(env)
    aws.auth = env.platform_auth()
    aws.up()

    assert env.dt.bucket("gen_ai_events") is not None
    assert env.dt.objects("builtin:davis.anomaly-detectors")
    assert env.dt.documents.documents
    # Platform calls used only OAuth access tokens, one per feature (cached across all its resources).
    bearer_calls = [c for c in env.dt.calls() if c.path.startswith("/platform/")]
    assert bearer_calls
    assert _requested_scopes(env) == {
        frozenset(GRAIL_BUCKET.scopes),
        frozenset(DETECTORS.scopes),
        frozenset(DASHBOARDS.scopes),
        frozenset(AWS_MONITORING.scopes),
    }
    assert len(env.dt.sso.requests) == 4

    # An unchanged second run: nothing written, no token requested.
    env.dt.clear_log()
    governance.up(program)
    signals.up()
    aws.up()
    assert env.dt.writes() == []
    assert env.dt.calls(path_contains=TOKEN_PATH) == []
