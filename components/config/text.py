"""The rule every configuration string follows: no character a reviewer cannot see.

A stack file is reviewed as text in a pull request. A control character (NUL, escape, a line
break inside a value), an invisible format character (the bidi controls that reorder what is
displayed, zero-width spaces and joiners, the byte-order mark, the soft hyphen), a lone surrogate
or a line/paragraph separator makes the value differ from what the reviewer read, so none may
appear in any string: keys, values, list items and map keys alike. The message names the code
point (``U+202E``) and its position, never relying on the character being visible.

Leading and trailing whitespace is removed before the check, exactly as the models strip it
(pydantic's ``str_strip_whitespace`` trims Unicode ``White_Space``), so a YAML folded block's final
line break is not an error. Other separators (``U+00A0`` and the rest of ``Zs``) are visible
spacing and stay allowed in free text; grammars (hostnames, names, ids) refuse them on their own.

``ConfigModel`` applies the rule to every field of every model (``check_model_input``); plain
string types outside a model use ``ConfigText``.
"""

from __future__ import annotations

import types
import typing
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Annotated, Any, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ModelWrapValidatorHandler, ValidationError
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

ERROR_TYPE = "config_text"

# What pydantic's ``str_strip_whitespace`` trims (Rust ``str::trim``: the Unicode White_Space
# property; unlike Python's ``str.strip()``, not the information separators U+001C-U+001F).
_TRIMMED = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"

# Unicode general categories refused anywhere in a string, with why.
_REFUSED: dict[str, str] = {
    "Cc": "a control character",
    "Cf": "an invisible format character (bidi control, zero-width character or similar)",
    "Cs": "a lone surrogate (not a character)",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
# Control characters have no Unicode name; the common ones by their usual name.
_CONTROL_NAMES: dict[int, str] = {
    0x00: "NUL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "CHARACTER TABULATION",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def code_point(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character named so that it never needs to be seen."""
    number = ord(char)
    name = _CONTROL_NAMES.get(number) or unicodedata.name(char, "")
    return f"U+{number:04X}" + (f" ({name})" if name else "")


def non_ascii(value: str) -> str | None:
    """``contains U+FF11 (FULLWIDTH DIGIT ONE) at character 11`` for the first non-ASCII character, or None.

    For values that are ASCII by definition (region codes, versions): a look-alike digit or letter
    of another script is named, since it cannot be told apart on screen.
    """
    for index, char in enumerate(value):
        if not char.isascii():
            return f"contains {code_point(char)} at character {index + 1}"
    return None


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable configuration text (None when it is)."""
    core = value.strip(_TRIMMED)
    if core.isprintable():  # fast path: no Cc, Cf, Cs, Co, Cn, Zl, Zp or Zs other than ' '
        return None
    offset = len(value) - len(value.lstrip(_TRIMMED))
    for index, char in enumerate(core, start=offset):
        category = unicodedata.category(char)
        kind = _REFUSED.get(category)
        if kind is None:
            continue
        line_break = category in ("Zl", "Zp") or char in "\n\r\v\f\x85"
        fix = (
            "write the value on one line (a YAML folded block '>-' joins its lines)"
            if line_break
            else "remove it (copied text often carries such characters unseen)"
        )
        return f"contains {code_point(char)} at character {index + 1}, {kind}: {fix}"
    return None


def _config_text(value: Any) -> Any:
    if isinstance(value, str) and (problem := text_problem(value)) is not None:
        raise PydanticCustomError(ERROR_TYPE, problem)
    return value


ConfigText = Annotated[str, BeforeValidator(_config_text)]
"""A string outside any ``ConfigModel`` (e.g. tag keys and values) that follows the same rule."""


# --- every field of a model ---------------------------------------------------------------------

Loc = tuple[str | int, ...]
_KEY = "[key]"  # pydantic's location marker: the mapping entry's key is at fault
_BUILTIN_ERRORS = frozenset(typing.get_args(ErrorType))


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _unwrap(annotation: Any) -> Any:
    """``X`` for ``Annotated[X, ...]`` and ``X | None``; ``Any`` for a union of several types."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            arms = [arm for arm in typing.get_args(annotation) if arm is not type(None)]
            if len(arms) != 1:
                return Any
            annotation = arms[0]
        else:
            return annotation


def _check(text: str, loc: Loc, found: list[InitErrorDetails], *, key: bool = False) -> None:
    problem = text_problem(text)
    if problem is not None:
        where = (*loc, _KEY) if key else loc
        found.append(InitErrorDetails(type=PydanticCustomError(ERROR_TYPE, problem), loc=where, input=text))


def _walk(value: Any, annotation: Any, loc: Loc, found: list[InitErrorDetails]) -> None:
    """Every refused string in ``value``, guided by its type; nested models check themselves."""
    annotation = _unwrap(annotation)
    if _is_model(annotation) and isinstance(value, Mapping):
        return
    if isinstance(value, str):
        _check(value, loc, found)
        return
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(value, Mapping):
        item = args[1] if origin in (dict, Mapping) and len(args) == 2 else Any
        for key, entry in value.items():
            if isinstance(key, str):
                _check(key, (*loc, key), found, key=True)
            _walk(entry, item, (*loc, str(key)), found)
    elif isinstance(value, list | tuple):
        item = args[0] if origin in (list, tuple, Sequence) and args else Any
        for index, entry in enumerate(value):
            _walk(entry, item, (*loc, index), found)


@cache
def _field_types(model: type[BaseModel]) -> dict[str, Any]:
    """Input key (alias and field name) -> the field's annotation."""
    types_by_key: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        types_by_key[name] = field.annotation
        if field.alias:
            types_by_key[field.alias] = field.annotation
    return types_by_key


def text_errors(model: type[BaseModel], data: Any) -> list[InitErrorDetails]:
    """pydantic line errors for every refused string in ``model``'s own input (not nested models')."""
    if not isinstance(data, Mapping):
        return []
    fields = _field_types(model)
    found: list[InitErrorDetails] = []
    for key, value in data.items():
        if isinstance(key, str):
            _check(key, (key,), found, key=True)
        _walk(value, fields.get(key, Any) if isinstance(key, str) else Any, (str(key),), found)
    return found


def _line_error(error: ErrorDetails) -> InitErrorDetails:
    """An error pydantic reported, in the form that raises it again unchanged."""
    if error["type"] in _BUILTIN_ERRORS:
        line = InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"])
        if "ctx" in error:
            line["ctx"] = error["ctx"]
        return line
    return InitErrorDetails(
        type=PydanticCustomError(error["type"], error["msg"]), loc=error["loc"], input=error["input"]
    )


def _related(found: Loc, loc: Loc) -> bool:
    """Whether an error at ``loc`` is about the value (or key) refused at ``found``, or a field holding it."""
    prefix = found[:-1] if found and found[-1] == _KEY else found
    return bool(loc) and (loc[: len(prefix)] == prefix or prefix[: len(loc)] == loc)


ModelT = TypeVar("ModelT", bound=BaseModel)


def validate_text_first(model: type[BaseModel], data: Any, handler: ModelWrapValidatorHandler[ModelT]) -> ModelT:
    """Validate ``data`` with ``handler``, refusing every string that breaks the rule.

    Other problems of the same input are still reported, except those about a value already
    refused for its text (one message per value, the one naming the code point).
    """
    found = text_errors(model, data)
    if not found:
        return handler(data)
    try:
        handler(data)
    except ValidationError as error:
        found += [_line_error(e) for e in error.errors() if not any(_related(f["loc"], e["loc"]) for f in found)]
    raise ValidationError.from_exception_data(model.__name__, found)
