"""A Pulumi plugin process (dynamic-provider host, policy pack) started as the engine starts one:
it prints its gRPC port on its first line of stdout.

The process runs in a session and process group of its own, and leaving the context stops the
whole group. A wrapper such as ``faketime`` forks the real host as its child; stopping only the
wrapper would leave that child running after the test, still holding its port.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

PORT_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


class PluginStartError(RuntimeError):
    """The plugin did not print its port."""


def group_alive(pgid: int) -> bool:
    """Whether any process of process group ``pgid`` still runs (zombies are gone for good)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we may not signal still exists
        return True
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def stop_group(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to the plugin's whole process group, SIGKILL to what is left after ``timeout_s``."""
    pgid = proc.pid  # start_new_session: the plugin leads its own group
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout_s
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout_s)
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not group_alive(pgid):
            return
    raise RuntimeError(f"plugin process group {pgid} survived SIGKILL")


@contextlib.contextmanager
def plugin_process(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stderr: int | None = subprocess.PIPE,
    stop_timeout_s: float = STOP_TIMEOUT_S,
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Start ``command``; yield the process and the port it printed; stop its whole group on exit."""
    proc = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], PORT_TIMEOUT_S)
        line = proc.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            stop_group(proc, stop_timeout_s)
            err = proc.stderr.read()[-3000:] if proc.stderr is not None else ""
            raise PluginStartError(f"{command[0]} did not print its port (got {line!r}); stderr:\n{err}")
        yield proc, int(line)
    finally:
        stop_group(proc, stop_timeout_s)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
