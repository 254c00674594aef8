"""The plan's command line runs under the batch garbage-collector policy; in-process callers do not."""

from __future__ import annotations

import gc
import runpy
import sys
from collections.abc import Iterator

import pytest

from tools import batch_gc, plan


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_the_policy_collects_rarely_and_spares_the_final_collections() -> None:
    batch_gc.for_batch_run()
    assert gc.get_threshold() == batch_gc.THRESHOLDS
    tracked = len(gc.get_objects())
    batch_gc.before_exit()
    assert gc.get_freeze_count() >= tracked // 2
    assert len(gc.get_objects()) < tracked // 2


# Running the already imported module as __main__ is the point here.
@pytest.mark.filterwarnings("ignore:'tools.plan' found in sys.modules:RuntimeWarning")
def test_only_the_command_line_applies_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(batch_gc, "for_batch_run", lambda: calls.append("run"))
    monkeypatch.setattr(batch_gc, "before_exit", lambda: calls.append("exit"))

    assert plan.main(["bad/name"]) == plan.EXIT_CONFIG
    assert calls == []

    monkeypatch.setattr(sys, "argv", ["tools.plan", "bad/name"])
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("tools.plan", run_name="__main__")
    assert exited.value.code == plan.EXIT_CONFIG
    assert calls == ["run", "exit"]
