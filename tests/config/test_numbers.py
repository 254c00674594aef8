"""Rule: every number is finite and inside its documented bound.

NaN and ±infinity (YAML ``.nan``, ``.inf``) are refused by one model-wide setting, for every
numeric key; every integer and float key of every section has a lower and an upper bound (or a
fixed set of values), stated in its docstring with where it comes from; values just outside a
bound are refused at the key's path, the bounds themselves accepted.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic.fields import FieldInfo

from components.config import ConfigModel
from components.config.stack import SECTIONS
from tests.config.typed_config import changed, issues, path_of, set_at
from tools.config_docs import _attribute_docstrings

# Where a list or map of objects is entered when the prod stack is changed.
_ENTRY: dict[str, str | int] = {"[]": 0, ".<name>": "llmLatency"}


@dataclass(frozen=True)
class NumberKey:
    section: str
    loc: tuple[str | int, ...]
    model: type[BaseModel]
    name: str
    field: FieldInfo
    kind: type  # int or float
    low: float | None
    high: float | None
    choices: tuple[Any, ...] | None

    @property
    def adapter(self) -> TypeAdapter[Any]:
        annotated = (
            typing.Annotated[self.field.annotation, *self.field.metadata]
            if self.field.metadata
            else self.field.annotation
        )
        return TypeAdapter(annotated, config=ConfigDict(strict=True, allow_inf_nan=False))


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata += extra
        elif origin in (typing.Union, types.UnionType):
            arms = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = arms[0]
        else:
            return annotation, metadata


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    low = high = None
    for item in metadata:
        for inner in getattr(item, "metadata", [item]):
            if isinstance(inner, annotated_types.Ge):
                low = inner.ge
            elif isinstance(inner, annotated_types.Gt):
                low = inner.gt
            elif isinstance(inner, annotated_types.Le):
                high = inner.le
            elif isinstance(inner, annotated_types.Lt):
                high = inner.lt
    return low, high


def _model_of(annotation: Any) -> tuple[type[BaseModel], str] | None:
    annotation, _ = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    if origin is list:
        inner = _model_of(typing.get_args(annotation)[0])
        return (inner[0], "[]") if inner else None
    if origin is dict:
        inner = _model_of(typing.get_args(annotation)[1])
        return (inner[0], ".<name>") if inner else None
    return None


def number_keys() -> Iterator[NumberKey]:
    def walk(section: str, model: type[BaseModel], loc: tuple[str | int, ...]) -> Iterator[NumberKey]:
        for name, field in model.model_fields.items():
            key = field.alias or name
            nested = _model_of(field.annotation)
            if nested is not None:
                inner, container = nested
                yield from walk(section, inner, (*loc, key, _ENTRY[container]) if container else (*loc, key))
                continue
            base, metadata = _unwrap(field.annotation)
            values = typing.get_args(base) if typing.get_origin(base) is Literal else None
            kind = type(values[0]) if values else base
            if kind not in (int, float) or kind is bool:
                continue
            low, high = _bounds([*field.metadata, *metadata])
            yield NumberKey(section, (*loc, key), model, name, field, kind, low, high, values)

    for section in SECTIONS:
        if section.model is not None:
            prefix: tuple[str | int, ...] = (0,) if section.adapter.core_schema.get("type") == "list" else ()
            yield from walk(section.key, section.model, prefix)


KEYS = list(number_keys())
IDS = [f"{k.section}.{'.'.join(map(str, k.loc))}" for k in KEYS]


def test_the_audit_covers_every_numeric_key() -> None:
    assert len(KEYS) >= 30
    assert {k.kind for k in KEYS} == {int, float}


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_every_number_has_a_bound_and_says_where_it_comes_from(key: NumberKey) -> None:
    if key.choices is None:
        assert key.low is not None, "no lower bound"
        assert key.high is not None, "no upper bound"
    doc = key.field.description or _attribute_docstrings(key.model).get(key.name, "")
    assert doc, f"{key.model.__name__}.{key.name} has no docstring stating its bound"


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_the_bounds_themselves_are_accepted(key: NumberKey) -> None:
    low = None if _exclusive_low(key) else key.low  # an exclusive bound lies outside
    for value in key.choices or (low, key.high):
        if value is not None:
            key.adapter.validate_python(key.kind(value))


def _outside(key: NumberKey) -> list[float]:
    """The nearest values beyond each bound (for floats, the next representable number)."""
    if key.choices is not None:
        return [max(key.choices) + 1, min(key.choices) - 1]
    assert key.low is not None
    assert key.high is not None
    if key.kind is int:
        return [int(key.low) - 1, int(key.high) + 1]
    below = float(key.low) if _exclusive_low(key) else math.nextafter(float(key.low), -math.inf)
    return [below, math.nextafter(float(key.high), math.inf)]


def _exclusive_low(key: NumberKey) -> bool:
    return any(
        isinstance(inner, annotated_types.Gt)
        for item in [*key.field.metadata, *_unwrap(key.field.annotation)[1]]
        for inner in getattr(item, "metadata", [item])
    )


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_values_just_outside_a_bound_are_refused_at_the_key(key: NumberKey) -> None:
    for value in _outside(key):
        found = issues(changed("prod", lambda raw, v=value: set_at(raw, key.section, key.loc, v)), "prod")
        assert path_of(key.section, key.loc) in [i.path for i in found], (value, [str(i) for i in found])


@settings(max_examples=100, deadline=None)
@given(key=st.sampled_from(KEYS), value=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_nan_and_infinity_are_refused_everywhere(key: NumberKey, value: float) -> None:
    found = issues(changed("prod", lambda raw: set_at(raw, key.section, key.loc, value)), "prod")
    at_key = [i for i in found if i.path == path_of(key.section, key.loc)]
    assert at_key, [str(i) for i in found]


def test_nan_is_refused_by_one_model_wide_setting() -> None:
    assert ConfigModel.model_config.get("allow_inf_nan") is False
    message = " ".join(
        str(i)
        for i in issues(
            changed("prod", lambda raw: set_at(raw, "signals", ("alerts", "llmLatency", "threshold"), math.nan)), "prod"
        )
    )
    assert "finite number" in message


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from([k for k in KEYS if k.choices is None]), data=st.data())
def test_generated_values_outside_the_range_are_refused(key: NumberKey, data: st.DataObject) -> None:
    assert key.high is not None
    value = data.draw(
        st.integers(min_value=int(key.high) + 1, max_value=2**63)
        if key.kind is int
        else st.floats(min_value=float(key.high), exclude_min=True, allow_infinity=False)
    )
    found = issues(changed("prod", lambda raw: set_at(raw, key.section, key.loc, value)), "prod")
    assert path_of(key.section, key.loc) in [i.path for i in found]
