"""Generated files committed to the repository: write them, or check that they are current."""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def sync(path: Path, text: str, *, command: str, check: bool) -> int:
    """Write ``text`` to ``path`` when it differs; with ``check``, only report (exit 1) that it does."""
    shown = str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == text:
        return 0
    if check:
        print(f"{shown} is stale: run `{command}`", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {shown}")
    return 0
