"""README.md is a short entry point; it and docs/ only point at things that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]

# Files the reader creates by following an example.
EXAMPLE_PATHS = {"policies/config/staging.json"}

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE_PATH = re.compile(r"`((?:components|policies|tools|tests|bench|docs)/[A-Za-z0-9_./-]*|__main__\.py)`")


def _prose(path: Path) -> str:
    return _FENCE.sub("", path.read_text(encoding="utf-8"))


def _anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to '-', repeats numbered."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(path), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def test_readme_is_an_entry_point() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    for command in ("make plan", "make test"):
        assert command in text
    for document in ("configuration", "operations", "ci-cd", "policies"):
        assert f"(docs/{document}.md)" in text


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    broken = []
    for target in _LINK.findall(_prose(document)):
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (document.parent / file_part).resolve() if file_part else document
        if not resolved.exists():
            broken.append(target)
            continue
        if anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(target)
    assert broken == [], f"{document.name}: links to nothing: {broken}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_paths_named_in_prose_exist(document: Path) -> None:
    missing = [
        p
        for p in _CODE_PATH.findall(_prose(document))
        if "<" not in p and p not in EXAMPLE_PATHS and not (ROOT / p).exists()
    ]
    assert missing == [], f"{document.name} names paths that do not exist: {missing}"


def test_no_reference_to_outside_fact_sheets() -> None:
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        assert "shared/reference" not in text, document.name
        assert "facts sheet" not in text, document.name
