"""Configuration keys are read by their camelCase names only.

Rule: a key is either exactly a field's camelCase name or unknown. The Python (snake_case) name of a
field — ``retention_days`` for ``retentionDays`` — is refused like any unknown key, with the spelling
that is read; it is never half accepted. Tried on every multi-word key of the committed stacks (and
random sets of them), beside the camelCase neighbours, which must still parse.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic.alias_generators import to_snake

from components.config import ConfigError, parse_stack_config
from tests.conftest import FAKE_ENV, stack_file

NS = "ai-observability"
ENV = dict(FAKE_ENV)
FREE_FORM = ("tags",)  # user-chosen keys, not field names


def _camel_keys(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key != to_snake(key):
                yield (*path, key)
            yield from _camel_keys(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _camel_keys(item, (*path, index))


KEYS = [
    (stack, key, path)
    for stack in ("dev", "prod")
    for key, value in stack_file(stack).items()
    if key.startswith(f"{NS}:") and key.split(":", 1)[1] not in FREE_FORM
    for path in _camel_keys(value)
]


def _rename(raw: dict[str, Any], key: str, path: tuple[str | int, ...]) -> str:
    target: Any = raw[key]
    for part in path[:-1]:
        target = target[part]
    name = str(path[-1])
    target[to_snake(name)] = target.pop(name)
    return to_snake(name)


@pytest.mark.parametrize(("stack", "key", "path"), KEYS, ids=[f"{s}:{k}{list(p)}" for s, k, p in KEYS])
def test_the_snake_case_name_of_a_key_is_refused(stack: str, key: str, path: tuple[str | int, ...]) -> None:
    raw = copy.deepcopy(stack_file(stack))
    snake = _rename(raw, key, path)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, stack)
    expected = key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*path[:-1], snake))
    (issue,) = [i for i in caught.value.issues if i.path == expected]
    assert f"unknown key; did you mean {path[-1]}?" in issue.message


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(st.sets(st.sampled_from([k for k in KEYS if k[0] == "prod"]), min_size=1, max_size=4))
def test_each_snake_case_key_among_several_is_named(chosen: set[tuple[str, str, tuple[str | int, ...]]]) -> None:
    raw = copy.deepcopy(stack_file("prod"))
    renamed = []
    for _, key, path in sorted(chosen, key=lambda item: (item[1], len(item[2])), reverse=True):
        try:
            renamed.append((key, path, _rename(raw, key, path)))
        except (KeyError, IndexError, TypeError):
            continue  # an enclosing key was renamed first
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, "prod")
    paths = {issue.path for issue in caught.value.issues}
    for key, path, _ in renamed:
        parent = key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[:-1])
        assert any(p.startswith(parent) for p in paths), (path, paths)


def test_a_snake_case_top_level_key_is_refused_with_its_camel_case_name() -> None:
    raw = copy.deepcopy(stack_file("dev"))
    raw[f"{NS}:event_forwarding"] = raw.pop(f"{NS}:eventForwarding")
    expected = r"ai-observability:event_forwarding: unknown key; did you mean eventForwarding"
    with pytest.raises(ConfigError, match=expected):
        parse_stack_config(raw, ENV)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_camel_case_neighbours_parse(stack: str) -> None:
    parse_stack_config(stack_file(stack), ENV, stack)
