"""Fixtures for corporate-network tests: a clean proxy/CA environment, a private CA, the emulator
over HTTPS with that CA's certificate, and a ``CONNECT`` proxy that is the only way to reach it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testsupport.dynatrace.connect_proxy import ConnectProxy
from testsupport.dynatrace.emulator import CLASSIC_ADMIN_SCOPES, PLATFORM_ADMIN_SCOPES, DynatraceEmulator
from testsupport.dynatrace.tls import PrivateCa, make_private_ca

NETWORK_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NETRC",
)


def clear_network_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or CA variable from the machine running the tests; NO_PROXY explicitly empty, so a
    developer's ``NO_PROXY=localhost,127.0.0.1`` cannot route test traffic around the proxy."""
    for name in NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("no_proxy", "")


@pytest.fixture
def net_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    clear_network_environment(monkeypatch)
    return monkeypatch


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCa:
    return make_private_ca(tmp_path_factory.mktemp("private-ca"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> PrivateCa:
    """A CA that did not sign the emulator's certificate."""
    return make_private_ca(tmp_path_factory.mktemp("other-ca"), name="Some Other Root CA")


@dataclass
class TlsTenant:
    dt: DynatraceEmulator
    api_token: str
    platform_token: str


@pytest.fixture
def tls_tenant(private_ca: PrivateCa) -> Iterator[TlsTenant]:
    from tests.dynatrace.conftest import CANARY_API_TOKEN, CANARY_PLATFORM_TOKEN, TEST_TIMING

    dt = DynatraceEmulator(timing=TEST_TIMING).start(tls=private_ca.server_context())
    try:
        api = dt.add_token(CANARY_API_TOKEN, kind="api", scopes=CLASSIC_ADMIN_SCOPES, name="admin")
        platform = dt.add_token(CANARY_PLATFORM_TOKEN, kind="platform", scopes=PLATFORM_ADMIN_SCOPES, name="platform")
        yield TlsTenant(dt, api, platform)
    finally:
        dt.stop()


@dataclass
class ProxiedTenant:
    """The TLS tenant behind a proxy: ``url`` names a loopback port where nothing listens, which
    only the proxy maps to the emulator, so a request that skips the proxy fails."""

    tenant: TlsTenant
    proxy: ConnectProxy
    url: str
    target: str


@pytest.fixture
def proxied(tls_tenant: TlsTenant) -> Iterator[ProxiedTenant]:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: the port stays ours and refuses connections
    port = closed.getsockname()[1]
    real_port = int(tls_tenant.dt.url.rsplit(":", 1)[1])
    proxy = ConnectProxy(routes={f"127.0.0.1:{port}": ("127.0.0.1", real_port)}).start()
    try:
        yield ProxiedTenant(tls_tenant, proxy, f"https://127.0.0.1:{port}", f"127.0.0.1:{port}")
    finally:
        proxy.stop()
        closed.close()


def ca_path(ca: PrivateCa) -> str:
    return str(Path(ca.ca_pem))
