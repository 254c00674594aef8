"""A socket server on 127.0.0.1 served from a daemon thread: what the emulator and the proxy share."""

from __future__ import annotations

import socketserver
import threading


class ServingThread:
    """Serves ``server`` until :meth:`stop`, which also closes its socket and joins the thread."""

    def __init__(self, server: socketserver.BaseServer) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
