"""Verify in a corporate network: Dynatrace over HTTPS with a private CA, reachable only through a
CONNECT proxy (the proxy and CA variables the stack's client honours)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.verify.conftest import INSTANT, Verifier
from testsupport.dynatrace.deployed_stack import deploy, seed_signals
from testsupport.dynatrace.emulator_sso import TOKEN_PATH
from testsupport.dynatrace.netfixtures import ProxiedTenant, ca_path
from testsupport.dynatrace.tls import PrivateCa


def test_https_with_a_private_ca_through_the_connect_proxy(
    proxied: ProxiedTenant, private_ca: PrivateCa, net_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    net_env.setenv("REQUESTS_CA_BUNDLE", ca_path(private_ca))
    proxied.tenant.dt.timing = INSTANT  # buckets active at once: the deployment never waits
    deployed = deploy(proxied.tenant.dt, "dev")  # directly, with the CA trusted
    seed_signals(deployed)
    # The deployed URL as the stack outputs name it: a host only the proxy can reach.
    outputs = {**deployed.outputs, "dynatraceEnvironmentUrl": proxied.url, "dynatracePlatformUrl": proxied.url}
    net_env.setenv("HTTPS_PROXY", proxied.proxy.url)
    proxied.proxy.tunnels.clear()
    outcome = Verifier(deployed, tmp_path)(outputs=outputs)
    assert outcome.code == 0, outcome.stdout
    assert outcome.report["environmentUrl"] == proxied.url
    assert outcome.check("probe")["state"] == "found"
    assert proxied.proxy.tunnels
    assert {t.target for t in proxied.proxy.tunnels} == {proxied.target}
    assert {t.status for t in proxied.proxy.tunnels} == {200}


def test_an_untrusted_certificate_fails_every_check_with_the_variable_to_set(
    proxied: ProxiedTenant, private_ca: PrivateCa, net_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    net_env.setenv("REQUESTS_CA_BUNDLE", ca_path(private_ca))
    deployed = deploy(proxied.tenant.dt, "dev")
    net_env.delenv("REQUESTS_CA_BUNDLE")  # verify runs where the private CA is not trusted
    outcome = Verifier(deployed, tmp_path)("--only", "governance")
    assert outcome.code == 1
    bucket = outcome.check("bucket")
    assert bucket["status"] == "fail"
    assert "REQUESTS_CA_BUNDLE" in bucket["summary"]


def test_the_oauth_token_endpoint_is_reached_through_the_proxy_with_the_private_ca(
    proxied: ProxiedTenant, private_ca: PrivateCa, net_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SSO (served here by the same HTTPS emulator, named by --sso-url) gets the proxy and CA settings too."""
    net_env.setenv("REQUESTS_CA_BUNDLE", ca_path(private_ca))
    proxied.tenant.dt.timing = INSTANT
    deployed = deploy(proxied.tenant.dt, "dev")
    deployed.dt.tokens.pop(deployed.platform_token)  # only the OAuth client's access tokens work
    outputs = {**deployed.outputs, "dynatraceEnvironmentUrl": proxied.url, "dynatracePlatformUrl": proxied.url}
    net_env.setenv("HTTPS_PROXY", proxied.proxy.url)
    proxied.proxy.tunnels.clear()
    deployed.dt.clear_log()
    outcome = Verifier(deployed, tmp_path)(
        "--sso-url", proxied.url, "--only", "probe", env=deployed.oauth_env, outputs=outputs
    )
    assert outcome.code == 0, outcome.stdout
    assert outcome.check("probe")["state"] == "found"
    assert [c.status for c in deployed.dt.calls(path_contains=TOKEN_PATH)] == [200]
    assert {t.target for t in proxied.proxy.tunnels} == {proxied.target}
