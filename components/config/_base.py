"""Shared base for every configuration model: camelCase keys, no unknown keys, immutable, and the
rules every value obeys whatever its key (visible text, finite numbers)."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Final, TypeVar, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ModelWrapValidatorHandler,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import CoreSchema, core_schema

from .text import validate_text_first

NAMESPACE = "ai-observability"


class ConfigModel(BaseModel):
    """Base for config sections: keys are camelCase in the stack file, snake_case in Python.

    Two rules hold for every field of every section, so no key can forget them:

    - numbers are finite: NaN and ±infinity (YAML ``.nan``, ``.inf``) are refused, since Pulumi
      cannot even encode them and no bound means anything against them;
    - strings (values, list items, map keys) contain no control, invisible format (bidi,
      zero-width) or line-separator character; the error names the code point (``text.py``).
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
    )

    @model_validator(mode="wrap")
    @classmethod
    def _visible_text(cls, data: Any, handler: ModelWrapValidatorHandler[ConfigModel]) -> ConfigModel:
        return validate_text_first(cls, data, handler)


@dataclass(frozen=True)
class Allowed:
    """Annotation metadata: what a type allows, in words, for the configuration reference."""

    text: str


@dataclass(frozen=True)
class Within(Allowed):
    """Annotation metadata that also validates: ``measure(value)`` lies between ``measure(minimum)`` and
    ``measure(maximum)`` inclusive; the reference states the range as ``text``, the error gives ``reason``."""

    measure: Callable[[str], Any] = str
    minimum: str = ""
    maximum: str = ""
    reason: str = ""

    def _check(self, value: str) -> str:
        if not self.measure(self.minimum) <= self.measure(value) <= self.measure(self.maximum):
            raise ValueError(f"must be between {self.minimum} and {self.maximum} ({self.reason})")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))


def within(measure: Callable[[str], Any], minimum: str, maximum: str, reason: str) -> Within:
    """``Annotated[T, within(...)]``: a ``T`` from ``minimum`` to ``maximum`` as ``measure`` compares them."""
    return Within(f"{minimum}–{maximum}", measure, minimum, maximum, reason)


M = TypeVar("M")
Loc = tuple[str | int, ...]


def marked_values(model: BaseModel, marker: type[M]) -> Iterator[tuple[Loc, Any, M, BaseModel]]:
    """``(key path, value, marker, owning model)`` for every value whose type carries ``marker`` metadata.

    Walks nested models, lists and maps; the path uses the stack file's keys (aliases).
    """
    for name, field in type(model).model_fields.items():
        markers = [item for item in field.metadata if isinstance(item, marker)]
        yield from _marked(getattr(model, name), field.annotation, markers, (field.alias or name,), marker, model)


def _marked(
    value: Any, annotation: Any, markers: list[M], loc: Loc, marker: type[M], owner: BaseModel
) -> Iterator[tuple[Loc, Any, M, BaseModel]]:
    if value is None:
        return
    if isinstance(value, BaseModel):
        for sub, item, found, inner in marked_values(value, marker):
            yield (*loc, *sub), item, found, inner
        return
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner_type, *metadata = typing.get_args(annotation)
        extra = [item for item in metadata if isinstance(item, marker)]
        yield from _marked(value, inner_type, [*markers, *extra], loc, marker, owner)
    elif origin in (Union, types.UnionType):
        arms = [arm for arm in typing.get_args(annotation) if arm is not type(None)]
        yield from _marked(value, arms[0] if len(arms) == 1 else Any, markers, loc, marker, owner)
    elif isinstance(value, list):
        item_type = typing.get_args(annotation)[0] if origin is list else Any
        for index, item in enumerate(value):
            yield from _marked(item, item_type, [], (*loc, index), marker, owner)
    elif isinstance(value, dict):
        item_type = typing.get_args(annotation)[1] if origin is dict else Any
        for key, item in value.items():
            yield from _marked(item, item_type, [], (*loc, str(key)), marker, owner)
    else:
        for found in markers:
            yield loc, value, found, owner


# A Kubernetes DNS-1123 label (namespaces, object names).
K8S_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
K8sName = Annotated[str, StringConstraints(pattern=K8S_NAME_PATTERN, max_length=63)]

# An AWS resource name usable as a prefix (EventBridge, SQS, IAM, CloudWatch).
AWS_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"
AwsName = Annotated[str, StringConstraints(pattern=AWS_NAME_PATTERN)]

PositiveInt = Annotated[int, Field(ge=1)]

# Prometheus-style durations as used by the collector: 10s, 5m, 25h. The collector parses every
# duration into Go's time.Duration, an int64 count of nanoseconds (Go ``time`` package:
# ``maxDuration Duration = 1<<63 - 1``, about 2562047h): a larger value overflows and the collector
# refuses its configuration at start. The bound is computed from that integer, never listed.
DURATION_PATTERN = r"^[1-9][0-9]*(ms|s|m|h)$"
_DURATION_RE = re.compile(r"^([1-9][0-9]*)(ms|s|m|h)$")
_UNIT_NANOSECONDS: Final = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
GO_MAX_DURATION_NS: Final = 2**63 - 1


def duration_nanoseconds(value: str) -> int:
    """Exact nanoseconds in a duration such as ``30s`` or ``25h``."""
    match = _DURATION_RE.match(value)
    if match is None:
        raise ValueError(f"not a duration: {value!r}")
    return int(match.group(1)) * _UNIT_NANOSECONDS[match.group(2)]


def duration_seconds(value: str) -> float:
    """Seconds in a duration such as ``30s`` or ``25h``."""
    return duration_nanoseconds(value) / 10**9


def _within_go_duration(value: str) -> str:
    if duration_nanoseconds(value) > GO_MAX_DURATION_NS:
        hours = GO_MAX_DURATION_NS // _UNIT_NANOSECONDS["h"]
        raise ValueError(
            f"overflows Go's time.Duration, which the collector parses it into (at most {hours}h, about 292 years)"
        )
    return value


Duration = Annotated[
    str,
    StringConstraints(pattern=DURATION_PATTERN),
    AfterValidator(_within_go_duration),
    Allowed("no longer than Go's time.Duration (about 2562047h)"),
]
