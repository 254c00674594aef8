"""How the Pulumi CLI types a YAML scalar: a port of ``gopkg.in/yaml.v3`` v3.0.1 (the version pinned in
pulumi/pulumi ``sdk/go.mod``), ``resolve.go`` (``resolve``, ``parseTimestamp``) and the scalar branch of
``decode.go`` (decoding into ``interface{}``).

This is YAML 1.2's core schema as yaml.v3 implements it, not PyYAML's YAML 1.1:

- booleans are only ``true``/``True``/``TRUE`` and ``false``/``False``/``FALSE``: ``yes``, ``no``,
  ``on``, ``off``, ``y``, ``n`` are strings;
- null is ``~``, ``null``, ``Null``, ``NULL`` or nothing;
- integers are whatever Go's ``strconv.ParseInt(text, 0, 64)`` reads once every ``_`` is removed
  (``1_000``, ``0x1F``, ``0o17``, ``0b101``, and ``017`` as octal), then ``ParseUint`` up to 2^64-1;
- floats are ``.inf``/``.nan`` spellings and the decimal pattern ``yamlStyleFloat``
  (``1e3``, ``.5``, ``1.``; also ``08``, which is not an octal integer); a float Go cannot hold
  (``1e400``) stays a string; sexagesimal ``1:30`` is a string;
- an unquoted ``2024-01-01`` (four formats) is a timestamp, which the Pulumi CLI hands to the program
  as Go's ``time.Time.String()``: ``2024-01-01 00:00:00 +0000 UTC`` (see ``GoTimestamp``).

Quoted and block scalars are strings; an explicit core tag (``!!str``, ``!!int``, ...) forces or checks
the type as yaml.v3 does (``!!int abc`` is an error, ``!!float 1`` is 1.0).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import math
import re
from dataclasses import dataclass

STR, BOOL, INT, FLOAT, NULL = "!!str", "!!bool", "!!int", "!!float", "!!null"
TIMESTAMP, BINARY, MERGE, MAP, SEQ = "!!timestamp", "!!binary", "!!merge", "!!map", "!!seq"
_LONG_PREFIX = "tag:yaml.org,2002:"
_RESOLVABLE = frozenset({"", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP})

# resolve.go init(): the first character of a plain scalar decides what it may be.
_HINT: dict[str, str] = {"+": "S", "-": "S", ".": "."}
_HINT.update({c: "D" for c in "0123456789"})
_HINT.update({c: "M" for c in "yYnNtTfFoO~"})
_MAP: dict[str, tuple[str, object]] = {}
for _tag, _value, _spellings in (
    (BOOL, True, ("true", "True", "TRUE")),
    (BOOL, False, ("false", "False", "FALSE")),
    (NULL, None, ("", "~", "null", "Null", "NULL")),
    (FLOAT, math.nan, (".nan", ".NaN", ".NAN")),
    (FLOAT, math.inf, (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
    (FLOAT, -math.inf, ("-.inf", "-.Inf", "-.INF")),
):
    for _spelling in _spellings:
        _MAP[_spelling] = (_tag, _value)

_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# What strconv.ParseFloat accepts after a leading '.': Go's decimal float syntax, where single underscores
# may separate digits (``underscoreOK`` in strconv); Python's float() reads the same text.
_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


def _digit(text: str, pos: int) -> bool:
    """An ASCII digit at ``pos`` (Go's time parser counts only 0-9)."""
    return pos < len(text) and "0" <= text[pos] <= "9"


def _digits(text: str) -> bool:
    return re.fullmatch("[0-9]+", text) is not None


class YamlTypeError(ValueError):
    """A scalar whose explicit tag yaml.v3 cannot honour (``cannot decode !!str `abc` as a !!int``)."""


def short_tag(tag: str) -> str:
    """``tag:yaml.org,2002:int`` → ``!!int`` (yaml.v3 ``shortTag``); other tags unchanged."""
    return "!!" + tag[len(_LONG_PREFIX) :] if tag.startswith(_LONG_PREFIX) else tag


@dataclass(frozen=True)
class GoTimestamp:
    """A timestamp yaml.v3 decoded into ``time.Time``; ``text`` is its Go ``String()``.

    The Pulumi CLI turns a ``time.Time`` config value into that text (``config.unmarshalObject`` in
    ``sdk/go/common/resource/config/object.go``), so the program receives e.g.
    ``2001-12-14 21:59:43.1 -0500 -0500``. An offset that matches the CLI machine's local zone would
    print the zone's name instead; this assumes a machine on UTC (CI runners), where ``+00:00`` and
    ``Z`` both print ``+0000 UTC``.
    """

    text: str


# --- strconv.ParseInt / ParseUint with base 0 (Go syntax) -------------------------------------


def _parse_uint(text: str) -> int | None:
    """``strconv.ParseUint(text, 0, 64)``: 0x/0o/0b prefixes, a leading 0 for octal; no sign."""
    if not text:
        return None
    base, digits = 10, text
    if text[0] == "0":
        prefix = text[1:2].lower()
        if len(text) >= 3 and prefix in ("b", "o", "x"):
            base, digits = {"b": 2, "o": 8, "x": 16}[prefix], text[2:]
        else:
            base, digits = 8, text[1:]
    value = 0
    for char in digits:
        digit = int(char, 36) if char.isascii() and char.isalnum() else 99
        if digit >= base:
            return None
        value = value * base + digit
    return value if value <= _UINT64_MAX else None


def _parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)``: an optional sign, then ``_parse_uint``, within int64."""
    if not text:
        return None
    sign, rest = 1, text
    if text[0] in "+-":
        sign, rest = (-1 if text[0] == "-" else 1), text[1:]
    magnitude = _parse_uint(rest)
    if magnitude is None:
        return None
    value = sign * magnitude
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)`` for the decimal forms yaml.v3 lets through; None when out of range."""
    value = float(text)
    return None if math.isinf(value) else value


def _parse_int_base(digits: str, base: int, negative: bool) -> int | None:
    """``strconv.ParseInt(sign+digits, base, 64)`` / ``ParseUint(digits, base, 64)`` for the 0b/0o branches."""
    if not digits or any(not (c.isascii() and c.isalnum()) or int(c, 36) >= base for c in digits):
        return None
    value = int(digits, base) * (-1 if negative else 1)
    if negative:
        return value if value >= _INT64_MIN else None
    return value if value <= _UINT64_MAX else None


# --- time.Parse for the four layouts of parseTimestamp ------------------------------------------


def _number(text: str, pos: int, maximum: int) -> tuple[int, int] | None:
    """Go ``getnum(value, false)``: one or two digits; the value must not exceed ``maximum``."""
    if not _digit(text, pos):
        return None
    end = pos + 2 if _digit(text, pos + 1) else pos + 1
    value = int(text[pos:end])
    return (value, end) if value <= maximum else None


def _go_time_string(year: int, month: int, day: int, clock: tuple[int, int, int, int], offset: int | None) -> str:
    hour, minute, second, nanos = clock
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    if offset is None or offset == 0:
        zone = "+0000 UTC"
    else:
        sign = "-" if offset < 0 else "+"
        minutes = abs(offset) // 60
        numeric = f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
        zone = f"{numeric} {numeric}"
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}{fraction} {zone}"


def parse_timestamp(text: str) -> GoTimestamp | None:
    """yaml.v3 ``parseTimestamp``: ``time.Parse`` with the layouts ``2006-1-2T15:4:5.999999999Z07:00`` (also
    with ``t``), ``2006-1-2 15:4:5.999999999`` and ``2006-1-2``; ranges checked as ``time.Parse`` does."""
    if len(text) < 5 or not _digits(text[:4]) or text[4] != "-":
        return None
    year = int(text[:4])
    month = _number(text, 5, 12)
    if month is None or month[0] < 1 or month[1] >= len(text) or text[month[1]] != "-":
        return None
    day = _number(text, month[1] + 1, 99)
    if day is None or not 1 <= day[0] <= calendar.monthrange(year, month[0])[1]:
        return None
    pos = day[1]
    if pos == len(text):
        return GoTimestamp(_go_time_string(year, month[0], day[0], (0, 0, 0, 0), None))
    separator = text[pos]
    if separator in "Tt":
        pos += 1
    elif separator == " ":
        while pos < len(text) and text[pos] == " ":
            pos += 1
    else:
        return None
    hour = _number(text, pos, 23)
    if hour is None or hour[1] >= len(text) or text[hour[1]] != ":":
        return None
    minute = _number(text, hour[1] + 1, 59)
    if minute is None or minute[1] >= len(text) or text[minute[1]] != ":":
        return None
    second = _number(text, minute[1] + 1, 59)
    if second is None:
        return None
    pos, nanos = second[1], 0
    if pos + 1 < len(text) and text[pos] in ".," and _digit(text, pos + 1):
        end = pos + 1
        while _digit(text, end):
            end += 1
        nanos = int(text[pos + 1 : min(end, pos + 10)].ljust(9, "0"))
        pos = end
    offset: int | None = None
    if separator in "Tt":  # the layouts with a T also require a zone: Z or ±hh:mm
        if text[pos : pos + 1] == "Z":
            offset, pos = 0, pos + 1
        elif (
            len(text) - pos >= 6
            and text[pos] in "+-"
            and text[pos + 3] == ":"
            and _digits(text[pos + 1 : pos + 3])
            and _digits(text[pos + 4 : pos + 6])
        ):
            hours, minutes = int(text[pos + 1 : pos + 3]), int(text[pos + 4 : pos + 6])
            if hours > 24 or minutes > 60:
                return None
            offset = (hours * 3600 + minutes * 60) * (-1 if text[pos] == "-" else 1)
            pos += 6
        else:
            return None
    if pos != len(text):
        return None
    return GoTimestamp(_go_time_string(year, month[0], day[0], (hour[0], minute[0], second[0], nanos), offset))


# --- resolve ------------------------------------------------------------------------------------


def _number_or_timestamp(tag: str, text: str) -> tuple[str, object] | None:
    """The ``'D', 'S'`` branch of ``resolve``: timestamp, int, uint, float, then 0b/0o spellings."""
    if tag in ("", TIMESTAMP):
        stamp = parse_timestamp(text)
        if stamp is not None:
            return TIMESTAMP, stamp
    plain = text.replace("_", "")
    for parse in (_parse_int, _parse_uint):
        number = parse(plain)
        if number is not None:
            return INT, number
    if _YAML_STYLE_FLOAT.fullmatch(plain):
        value = _parse_float(plain)
        if value is not None:
            return FLOAT, value
    for prefix, base in (("0b", 2), ("0o", 8)):
        if plain.startswith(prefix):
            number = _parse_int_base(plain[2:], base, negative=False)
        elif plain.startswith("-" + prefix):
            number = _parse_int_base(plain[3:], base, negative=True)
        else:
            continue
        if number is not None:
            return INT, number
    return None


def resolve(tag: str, text: str) -> tuple[str, object]:
    """yaml.v3 ``resolve(tag, in)``: the tag and value of a scalar (``tag`` is "" for a plain one).

    Raises ``YamlTypeError`` where yaml.v3 fails (an explicit tag the text does not fit).
    """
    tag = short_tag(tag)
    if tag not in _RESOLVABLE:
        return tag, text
    resolved_tag: str = STR
    value: object = text
    hint = _HINT.get(text[:1], "") if text else "N"
    if hint and tag not in (STR, BINARY):
        if text in _MAP:
            resolved_tag, value = _MAP[text]
        elif hint == "." and _DOT_FLOAT.fullmatch(text) and (number := _parse_float(text)) is not None:
            resolved_tag, value = FLOAT, number
        elif hint in ("D", "S") and (found := _number_or_timestamp(tag, text)) is not None:
            resolved_tag, value = found
    if tag in ("", resolved_tag):
        return resolved_tag, value
    if tag == FLOAT and resolved_tag == INT:
        return FLOAT, float(value)  # type: ignore[arg-type]  # an INT here is always an int
    raise YamlTypeError(f"cannot decode {resolved_tag} `{text}` as a {tag}")


def scalar_value(tag: str | None, text: str, quoted: bool) -> object:
    """The value yaml.v3 decodes a scalar to in an ``interface{}`` (``decoder.scalar``).

    ``tag`` is the explicit tag or None; ``quoted`` is true for quoted and block scalars, which
    are strings unless an explicit tag says otherwise (``indicatedString``).
    """
    explicit = short_tag(tag) if tag not in (None, "!") else ""
    if explicit == STR or (not explicit and quoted):
        return text
    if explicit == BINARY:
        try:
            # base64.StdEncoding.DecodeString: line breaks are ignored, anything else must be base64.
            data = base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
        except (binascii.Error, ValueError):
            raise YamlTypeError("!!binary value contains invalid base64 data") from None
        # Go keeps the bytes in a string; encoding/json writes invalid UTF-8 as U+FFFD.
        return data.decode("utf-8", errors="replace")
    return resolve(explicit, text)[1]
