"""A real HTTP ``CONNECT`` proxy on 127.0.0.1 for tests (RFC 9110 §9.3.6): it records every tunnel
it opens or refuses, can refuse all of them (403, like a corporate allow-list), can require
``Proxy-Authorization`` (407), and can map a requested target to another local port (so a client
that bypasses the proxy reaches nothing at all).

Only loopback targets are ever connected to.
"""

from __future__ import annotations

import base64
import select
import socket
import socketserver
import threading
from dataclasses import dataclass, field

from testsupport.loopback import ServingThread


@dataclass
class Tunnel:
    target: str
    """``host:port`` as the client asked for it."""
    status: int
    proxy_authorization: str | None = None


@dataclass
class ConnectProxy:
    refuse: bool = False
    credentials: tuple[str, str] | None = None
    """When set, ``Proxy-Authorization: Basic`` with these must accompany each ``CONNECT``."""
    routes: dict[str, tuple[str, int]] = field(default_factory=dict)
    """``host:port`` asked for → the local address actually connected to."""
    tunnels: list[Tunnel] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: socketserver.ThreadingTCPServer | None = None
    _serving: ServingThread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the proxy first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def targets(self) -> list[str]:
        with self._lock:
            return [t.target for t in self.tunnels if t.status == 200]

    def start(self) -> ConnectProxy:
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._serving = ServingThread(self._server)
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
        self._server = None

    def __enter__(self) -> ConnectProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, tunnel: Tunnel) -> None:
        with self._lock:
            self.tunnels.append(tunnel)


class _Handler(socketserver.StreamRequestHandler):
    proxy: ConnectProxy
    rbufsize = 0  # unbuffered: no byte after the CONNECT header block is left behind in a buffer

    def _answer(self, status: int, reason: str, extra: str = "") -> None:
        self.wfile.write(f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Length: 0\r\n\r\n".encode())
        self.wfile.flush()

    def handle(self) -> None:
        request_line = self.rfile.readline(8192).decode("latin-1").strip()
        headers: dict[str, str] = {}
        while True:
            line = self.rfile.readline(8192).decode("latin-1")
            if line in ("\r\n", "\n", ""):
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        method, _, rest = request_line.partition(" ")
        target = rest.rpartition(" ")[0] if " " in rest else rest
        proxy = self.proxy
        if method != "CONNECT":
            proxy._record(Tunnel(target, 405))
            self._answer(405, "Method Not Allowed")
            return
        auth = headers.get("proxy-authorization")
        if proxy.credentials is not None:
            expected = "Basic " + base64.b64encode(":".join(proxy.credentials).encode()).decode()
            if auth != expected:
                proxy._record(Tunnel(target, 407, auth))
                self._answer(407, "Proxy Authentication Required", 'Proxy-Authenticate: Basic realm="test"\r\n')
                return
        if proxy.refuse:
            proxy._record(Tunnel(target, 403, auth))
            self._answer(403, "Forbidden")
            return
        host, _, port_text = target.rpartition(":")
        upstream_addr = proxy.routes.get(target, (host.strip("[]"), int(port_text or 0)))
        if upstream_addr[0] not in ("127.0.0.1", "localhost"):
            proxy._record(Tunnel(target, 403, auth))
            self._answer(403, "Forbidden")  # a test proxy never leaves the machine
            return
        try:
            upstream = socket.create_connection(upstream_addr, timeout=5)
        except OSError:
            proxy._record(Tunnel(target, 502, auth))
            self._answer(502, "Bad Gateway")
            return
        proxy._record(Tunnel(target, 200, auth))
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        self._relay(upstream)

    def _relay(self, upstream: socket.socket) -> None:
        client = self.connection
        upstream.settimeout(None)
        client.settimeout(None)
        with upstream:
            sockets = [client, upstream]
            while True:
                readable, _, broken = select.select(sockets, [], sockets, 30)
                if broken or not readable:
                    return
                for sock in readable:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
