"""A plugin started by the tests stops with everything it forked: no host outlives its test.

``faketime`` runs the dynamic-provider host as its child; stopping only the wrapper orphans the
host, which then keeps running (and holding its port) after the suite.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testsupport.plugin_host import PluginStartError, group_alive, plugin_process

FAKETIME = shutil.which("faketime")
# Prints a port as a plugin does, then waits to be stopped.
PLUGIN = "import time; print(50051, flush=True); time.sleep(120)"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _forked_host(proc: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 10
    while not (children := _children(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(children) == 1, "faketime forks the command it runs"
    return children[0]


@pytest.mark.skipif(FAKETIME is None, reason="faketime (Debian libfaketime) is not installed")
def test_a_host_forked_by_faketime_stops_with_its_wrapper(tmp_path: Path) -> None:
    assert FAKETIME is not None
    command = [FAKETIME, "-f", "+3d", sys.executable, "-c", PLUGIN]
    with plugin_process(command, cwd=tmp_path, env=os.environ) as (proc, port):
        assert port == 50051
        host = _forked_host(proc)
        assert _alive(host)
    assert not _alive(host)
    assert not group_alive(proc.pid)


@pytest.mark.skipif(FAKETIME is None, reason="faketime (Debian libfaketime) is not installed")
def test_stopping_only_the_wrapper_would_leave_the_host_running(tmp_path: Path) -> None:
    """The control: what the group stop prevents does happen when only the wrapper is stopped."""
    assert FAKETIME is not None
    command = [FAKETIME, "-f", "+3d", sys.executable, "-c", PLUGIN]
    with plugin_process(command, cwd=tmp_path, env=os.environ) as (proc, _):
        host = _forked_host(proc)
        proc.terminate()
        proc.wait(timeout=10)
        time.sleep(0.2)
        assert _alive(host), "the orphaned host keeps running"
    assert not _alive(host)


def test_a_plugin_that_prints_no_port_is_stopped_and_named(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys, time; print('no port', flush=True); time.sleep(120)"]
    started = time.monotonic()
    with (
        pytest.raises(PluginStartError, match="did not print its port"),
        plugin_process(command, cwd=tmp_path, env=os.environ),
    ):
        pass
    assert time.monotonic() - started < 10


def test_a_plugin_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    ignore = f"import signal; signal.signal({int(signal.SIGTERM)}, signal.SIG_IGN); {PLUGIN}"
    started = time.monotonic()
    with plugin_process([sys.executable, "-c", ignore], cwd=tmp_path, env=os.environ, stop_timeout_s=0.5) as (proc, _):
        pass
    assert not group_alive(proc.pid)
    assert proc.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 5
