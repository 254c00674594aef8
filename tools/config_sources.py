"""Which configuration values a resource name comes from: named when the engine refuses the name.

The engine refuses a second resource with one URN (``Duplicate resource URN``); the user's fix is
in the configuration, so the plan names the keys whose values appear in the duplicated name. A
value appears when its text, its lower-case slug (what names derived from it use: ``[^a-z0-9]`` runs
become ``-``), or the slug of its last ``/`` or ``:`` segment (an ARN's resource name) occurs in the
name. Secret keys are never searched, and values are not shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from components.config import NAMESPACE, config_path
from components.config.secrets import SECRET_KEYS

_MIN_CHARS = 3  # shorter values (a, 1, us) occur in names by chance
_MAX_SHOWN = 8
_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")


def _leaves(value: Any, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*loc, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*loc, index))


def _forms(text: str) -> set[str]:
    lower = text.lower()
    last = re.split(r"[/:]", lower)[-1]
    return {
        form
        for form in (lower, _NOT_NAME_CHARS.sub("-", lower).strip("-"), _NOT_NAME_CHARS.sub("-", last).strip("-"))
        if len(form) >= _MIN_CHARS
    }


def config_sources(name: str, values: Mapping[str, Any]) -> list[str]:
    """Key paths (``ai-observability:nims[1].name``) of the plain values of ``values`` found in ``name``,
    longest match first."""
    lowered = name.lower()
    found: dict[str, int] = {}
    for full_key, value in values.items():
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE or key in SECRET_KEYS:
            continue
        for loc, text in _leaves(value):
            matched = [len(form) for form in _forms(text) if form in lowered]
            if matched:
                found[config_path(full_key, loc)] = max(matched)
    return sorted(found, key=lambda path: (-found[path], path))


def config_sources_hint(urn: str, values: Mapping[str, Any]) -> str:
    """The sentence a duplicate-URN error ends with: the keys to change, or that none is involved."""
    name = urn.rsplit("::", 1)[-1]
    sources = config_sources(name, values)
    if not sources:
        return f"; no configuration value appears in the name {name!r}: the program registers it twice"
    shown = ", ".join(sources[:_MAX_SHOWN]) + (
        f" and {len(sources) - _MAX_SHOWN} more" if len(sources) > _MAX_SHOWN else ""
    )
    return f"; the name {name!r} comes from the configuration: {shown} (make their values distinct)"
