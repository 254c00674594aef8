"""Helpers for the rule-by-type tests: committed stacks as raw config, every string leaf, one parse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from components.config import ConfigError, ConfigIssue, StackConfig, parse_stack_config
from components.config.errors import key_path
from tests.conftest import FAKE_ENV, stack_file

NS = "ai-observability"
ENV = dict(FAKE_ENV)
Raw = dict[str, Any]
Loc = tuple[str | int, ...]


def parse(raw: Raw, stack: str = "dev") -> StackConfig:
    return parse_stack_config(raw, ENV, stack)


def issues(raw: Raw, stack: str = "dev") -> list[ConfigIssue]:
    """The problems of ``raw`` (empty when it parses)."""
    try:
        parse(raw, stack)
    except ConfigError as error:
        return error.issues
    return []


def changed(stack: str, change: Callable[[Raw], None]) -> Raw:
    raw = stack_file(stack)
    change(raw)
    return raw


def set_at(raw: Raw, key: str, loc: Loc, value: Any) -> None:
    """``raw[ai-observability:<key>]<loc> = value``, creating maps on the way."""
    if not loc:
        raw[f"{NS}:{key}"] = value
        return
    node = raw.setdefault(f"{NS}:{key}", {})
    for part in loc[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[loc[-1]] = value


def string_leaves(raw: Raw) -> Iterator[tuple[str, Loc, str]]:
    """``(section key, location, value)`` of every string value of our namespace in ``raw``."""

    def walk(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
        if isinstance(value, str):
            yield loc, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*loc, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*loc, index))

    for full_key, value in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace == NS and isinstance(value, dict | list):
            for loc, text in walk(value, ()):
                yield key, loc, text


def path_of(key: str, loc: Loc) -> str:
    return key_path(key, loc)
