"""Corporate networks: the client honours HTTPS_PROXY / NO_PROXY and a private CA given through
REQUESTS_CA_BUNDLE or SSL_CERT_FILE, never reads ~/.netrc, and fails at once (with what to set)
on TLS verification failures and refused proxy tunnels."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import requests.utils

from components.dynatrace import (
    ClientSettings,
    DynatraceClient,
    DynatraceConnectionError,
    DynatraceProxyError,
    DynatraceTlsError,
    TokenAuth,
)
from components.dynatrace.api import BUCKETS_PATH
from tests.dynatrace.conftest import CANARY_SECRETS, FAST, Env
from testsupport.dynatrace.netfixtures import ProxiedTenant, TlsTenant
from testsupport.dynatrace.tls import PrivateCa

PRODUCTION = ClientSettings()


def _get(url: str, token: str, settings: ClientSettings = FAST) -> int:
    with DynatraceClient(url, TokenAuth("Bearer", token), settings) as client:
        return client.request("GET", BUCKETS_PATH).status


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"])
def test_a_private_ca_is_trusted_through_the_standard_variables(
    net_env: pytest.MonkeyPatch, tls_tenant: TlsTenant, private_ca: PrivateCa, variable: str
) -> None:
    net_env.setenv(variable, str(private_ca.ca_pem))
    assert tls_tenant.dt.url.startswith("https://")
    assert _get(tls_tenant.dt.url, tls_tenant.platform_token) == 200
    assert [c.status for c in tls_tenant.dt.calls()] == [200]


def test_requests_ca_bundle_wins_over_ssl_cert_file(
    net_env: pytest.MonkeyPatch, tls_tenant: TlsTenant, private_ca: PrivateCa, other_ca: PrivateCa
) -> None:
    net_env.setenv("REQUESTS_CA_BUNDLE", str(private_ca.ca_pem))
    net_env.setenv("SSL_CERT_FILE", str(other_ca.ca_pem))
    assert _get(tls_tenant.dt.url, tls_tenant.platform_token) == 200


@pytest.mark.parametrize("trusted", ["none", "other"])
def test_an_untrusted_certificate_fails_at_once_and_says_what_to_set(
    net_env: pytest.MonkeyPatch,
    tls_tenant: TlsTenant,
    other_ca: PrivateCa,
    all_logs: pytest.LogCaptureFixture,
    trusted: str,
) -> None:
    if trusted == "other":
        net_env.setenv("REQUESTS_CA_BUNDLE", str(other_ca.ca_pem))
    started = time.perf_counter()
    with pytest.raises(DynatraceTlsError) as raised:
        _get(tls_tenant.dt.url, tls_tenant.platform_token, PRODUCTION)  # production retry budget: 120 s
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"time to first failure {elapsed:.2f}s"
    text = str(raised.value)
    assert text.startswith(f"Dynatrace GET {BUCKETS_PATH}: TLS certificate verification failed")
    assert "REQUESTS_CA_BUNDLE" in text
    assert "SSL_CERT_FILE" in text
    if trusted == "other":
        assert f"trusted CAs: REQUESTS_CA_BUNDLE={other_ca.ca_pem}" in text
    assert raised.value.attempts == 1
    assert raised.value.ambiguous is False
    assert tls_tenant.dt.calls() == []  # no request got through
    for secret in CANARY_SECRETS:
        assert secret not in text
        assert secret not in all_logs.text


def test_a_ca_variable_naming_a_missing_file_is_reported(net_env: pytest.MonkeyPatch, tls_tenant: TlsTenant) -> None:
    net_env.setenv("SSL_CERT_FILE", "/nonexistent/corp-ca.pem")
    started = time.perf_counter()
    with pytest.raises(DynatraceTlsError, match=r"SSL_CERT_FILE names '/nonexistent/corp-ca\.pem', which does not"):
        _get(tls_tenant.dt.url, tls_tenant.platform_token, PRODUCTION)
    assert time.perf_counter() - started < 1.0
    assert tls_tenant.dt.calls() == []


def test_tls_to_a_plain_http_port_fails_at_once(net_env: pytest.MonkeyPatch, env: Env) -> None:
    url = env.url.replace("http://", "https://")
    started = time.perf_counter()
    with pytest.raises(DynatraceTlsError, match="does not speak TLS"):
        _get(url, env.platform_token, PRODUCTION)
    assert time.perf_counter() - started < 2.0


def test_every_call_goes_through_the_https_proxy(
    net_env: pytest.MonkeyPatch, proxied: ProxiedTenant, private_ca: PrivateCa
) -> None:
    net_env.setenv("REQUESTS_CA_BUNDLE", str(private_ca.ca_pem))
    with pytest.raises(DynatraceConnectionError):  # nothing listens there: only the proxy reaches the tenant
        _get(proxied.url, proxied.tenant.platform_token, FAST.model_copy(update={"max_retry_seconds": 0.2}))
    net_env.setenv("HTTPS_PROXY", proxied.proxy.url)
    with DynatraceClient(proxied.url, TokenAuth("Bearer", proxied.tenant.platform_token), FAST) as client:
        for _ in range(3):
            assert client.request("GET", BUCKETS_PATH).status == 200
    assert _get(proxied.url, proxied.tenant.platform_token) == 200
    assert [c.status for c in proxied.tenant.dt.calls()] == [200] * 4
    assert proxied.proxy.targets() == [proxied.target] * 2  # one tunnel per client session, reused


def test_lower_case_https_proxy_and_proxy_credentials_from_the_url(
    net_env: pytest.MonkeyPatch, proxied: ProxiedTenant, private_ca: PrivateCa
) -> None:
    proxied.proxy.credentials = ("corp-user", "proxy-pass-1234")
    net_env.setenv("SSL_CERT_FILE", str(private_ca.ca_pem))
    net_env.setenv("https_proxy", proxied.proxy.url.replace("http://", "http://corp-user:proxy-pass-1234@"))
    assert _get(proxied.url, proxied.tenant.platform_token) == 200
    assert proxied.proxy.targets() == [proxied.target]


def test_no_proxy_sends_listed_hosts_direct(
    net_env: pytest.MonkeyPatch, proxied: ProxiedTenant, private_ca: PrivateCa
) -> None:
    proxied.proxy.refuse = True  # a proxy that would fail every call
    net_env.setenv("REQUESTS_CA_BUNDLE", str(private_ca.ca_pem))
    net_env.setenv("HTTPS_PROXY", proxied.proxy.url)
    net_env.setenv("NO_PROXY", "example.internal,127.0.0.1")
    assert _get(proxied.tenant.dt.url, proxied.tenant.platform_token) == 200
    assert proxied.proxy.tunnels == []


def test_a_refused_tunnel_fails_at_once_without_echoing_proxy_credentials(
    net_env: pytest.MonkeyPatch, proxied: ProxiedTenant, private_ca: PrivateCa, all_logs: pytest.LogCaptureFixture
) -> None:
    proxied.proxy.refuse = True
    net_env.setenv("REQUESTS_CA_BUNDLE", str(private_ca.ca_pem))
    net_env.setenv("HTTPS_PROXY", proxied.proxy.url.replace("http://", "http://corp-user:Pr0xySecretPw@"))
    started = time.perf_counter()
    with pytest.raises(DynatraceProxyError) as raised:
        _get(proxied.url, proxied.tenant.platform_token, PRODUCTION)
    assert time.perf_counter() - started < 2.0
    text = str(raised.value)
    assert "refused the tunnel (403 Forbidden)" in text
    assert "HTTPS_PROXY" in text
    assert "NO_PROXY" in text
    assert "Pr0xySecretPw" not in text
    assert "Pr0xySecretPw" not in all_logs.text
    assert [t.status for t in proxied.proxy.tunnels] == [403]


def test_wrong_proxy_credentials_fail_at_once(
    net_env: pytest.MonkeyPatch, proxied: ProxiedTenant, private_ca: PrivateCa
) -> None:
    proxied.proxy.credentials = ("corp-user", "the-right-one")
    net_env.setenv("REQUESTS_CA_BUNDLE", str(private_ca.ca_pem))
    net_env.setenv("HTTPS_PROXY", proxied.proxy.url.replace("http://", "http://corp-user:a%40wrong-one@"))
    with pytest.raises(DynatraceProxyError) as raised:
        _get(proxied.url, proxied.tenant.platform_token, PRODUCTION)
    assert "refused the tunnel (407 Proxy Authentication Required)" in str(raised.value)
    assert "wrong-one" not in str(raised.value)
    assert [t.status for t in proxied.proxy.tunnels] == [407]


def test_a_proxy_that_cannot_reach_the_tenant_is_retried(
    net_env: pytest.MonkeyPatch, proxied: ProxiedTenant, private_ca: PrivateCa
) -> None:
    proxied.proxy.routes.clear()  # the proxy now connects to the closed port itself: 502 Bad Gateway
    net_env.setenv("REQUESTS_CA_BUNDLE", str(private_ca.ca_pem))
    net_env.setenv("HTTPS_PROXY", proxied.proxy.url)
    settings = FAST.model_copy(update={"max_retry_seconds": 0.3})
    with (
        DynatraceClient(proxied.url, TokenAuth("Bearer", proxied.tenant.platform_token), settings) as client,
        pytest.raises(DynatraceConnectionError) as raised,
    ):
        client.request("POST", BUCKETS_PATH, json_body={})
    assert not isinstance(raised.value, DynatraceProxyError)
    assert raised.value.ambiguous is False  # the tunnel never opened: even a POST is safe to repeat
    assert raised.value.attempts > 1
    assert {t.status for t in proxied.proxy.tunnels} == {502}
    assert len(proxied.proxy.tunnels) == raised.value.attempts


def test_netrc_never_supplies_credentials(
    net_env: pytest.MonkeyPatch, tls_tenant: TlsTenant, private_ca: PrivateCa, tmp_path: Path
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password NETRC-PASSWORD-0001\n")
    netrc.chmod(0o600)
    net_env.setenv("HOME", str(tmp_path))
    net_env.setenv("NETRC", str(netrc))
    net_env.setenv("REQUESTS_CA_BUNDLE", str(private_ca.ca_pem))
    assert requests.utils.get_netrc_auth(tls_tenant.dt.url) == ("intruder", "NETRC-PASSWORD-0001")  # it is there
    consulted: list[str] = []
    real = requests.utils.get_netrc_auth

    def recording(url: str, raise_errors: bool = False) -> tuple[str, str] | None:
        consulted.append(url)
        return real(url, raise_errors)

    net_env.setattr(requests.sessions, "get_netrc_auth", recording)
    with DynatraceClient(tls_tenant.dt.url, TokenAuth("Bearer", tls_tenant.platform_token), FAST) as client:
        assert client.request("GET", BUCKETS_PATH).status == 200
    assert consulted == []


def test_network_errors_are_not_logged_with_tokens(
    net_env: pytest.MonkeyPatch, tls_tenant: TlsTenant, all_logs: pytest.LogCaptureFixture
) -> None:
    all_logs.set_level(logging.DEBUG)
    with pytest.raises(DynatraceTlsError):
        _get(tls_tenant.dt.url, tls_tenant.platform_token)
    assert all(secret not in all_logs.text for secret in CANARY_SECRETS)
