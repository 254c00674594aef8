"""Token scopes are written in one place (components/dynatrace/scopes.py): the docs carry them only
inside generated markers, and those are current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.dynatrace.scopes import CREDENTIALS, FEATURES, all_scopes
from tools import scope_docs

ROOT = Path(__file__).resolve().parents[2]
GENERATED_ELSEWHERE = {"configuration.md"}  # written by tools.config_docs from the same module
# Platform scope names (``storage:…``, ``document:…``) in any spelling, wildcards and ``a|b`` included.
_PLATFORM_SCOPE = re.compile(r"\b(?:storage|settings|document|extensions|iam|davis|state):[\w.*|-]+:[\w.*|-]+")


def test_committed_docs_are_current() -> None:
    assert scope_docs.main(["--check"]) == 0, "run `python -m tools.scope_docs`"


def test_check_mode_reports_stale_text_and_markers_naming_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "page.md"
    page.write_text("x <!-- scopes:dashboards -->`old`<!-- /scopes --> y\n", encoding="utf-8")
    monkeypatch.setattr(scope_docs, "documents", lambda: [page])
    monkeypatch.setattr(scope_docs, "PROJECT_ROOT", tmp_path)
    assert scope_docs.main(["--check"]) == 1
    assert "python -m tools.scope_docs" in capsys.readouterr().err
    assert scope_docs.main([]) == 0
    assert "`document:documents:read`" in page.read_text(encoding="utf-8")
    page.write_text("<!-- scopes:nothing -->x<!-- /scopes -->\n", encoding="utf-8")
    assert scope_docs.main(["--check"]) == 1
    assert "scopes:nothing names no credential or feature" in capsys.readouterr().out


@pytest.mark.parametrize("document", scope_docs.documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_scope_is_written_by_hand(document: Path) -> None:
    if document.name in GENERATED_ELSEWHERE:
        return
    prose = scope_docs.MARKER.sub("", document.read_text(encoding="utf-8"))
    by_hand = set(_PLATFORM_SCOPE.findall(prose))
    by_hand |= {s for s in all_scopes() if re.search(rf"(?<![\w.:-]){re.escape(s)}(?![\w:-])", prose)}
    assert by_hand == set(), f"{document.name}: put these inside <!-- scopes:… --> markers: {sorted(by_hand)}"


def test_every_credential_and_feature_is_documented() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in scope_docs.documents())
    keys = set(re.findall(r"<!-- scopes:([a-z-]+) -->", text))
    assert {"table"} | {c.key for c in CREDENTIALS} <= keys
    table = scope_docs.table()
    for feature in FEATURES:
        assert f"| {feature.title} | {scope_docs.inline(feature.scopes)} |" in table
