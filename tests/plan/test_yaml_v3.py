"""The plan types a stack file's scalars as the Pulumi CLI does: gopkg.in/yaml.v3, YAML 1.2's core schema.

Rule: only ``true``/``True``/``TRUE`` and ``false``/``False``/``FALSE`` are booleans; integers are Go's
``strconv.ParseInt(text, 0, 64)`` once ``_`` is removed (then ParseUint), floats the ``.inf``/``.nan``
spellings and yaml.v3's decimal pattern; an unquoted date is a timestamp the program receives as Go's
``time.Time.String()``; ``yes``/``on``/``1:30`` and the like are strings. Checked against the real
yaml.v3 (the oracle fixture) and by generated instances of each YAML 1.1-versus-1.2 category.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.plan import yaml_v3_cases
from tools.pulumi_project import Project
from tools.stack_config import engine_text, read_values
from tools.stack_file import StackFileError, parse_document
from tools.yaml_v3 import GoTimestamp, parse_timestamp, resolve

FIXTURE = Path(__file__).parent / "fixtures" / "yaml_v3_oracle.json"
PROJECT = Project(name="t")
FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)


def received(document: str) -> dict[str, str] | None:
    """What the program receives for each key of ``document`` (None when the CLI refuses it)."""
    try:
        raw = parse_document(document, "Pulumi.t.yaml").get("config") or {}
    except StackFileError:
        return None
    issues: list[Any] = []
    values = read_values(raw, PROJECT, issues)
    return None if issues else {key: engine_text(value) for key, value in values.values.items()}


def typed(value: Any) -> Any:
    """JSON data with each scalar's type kept (1 and 1.0 differ for a strict model)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def value_of(scalar: str) -> Any:
    """The value a program reads for ``scalar`` nested in an object (decoded from the JSON it receives)."""
    got = received(yaml_v3_cases.document(scalar))
    assert got is not None, scalar
    return json.loads(got["t:nested"])["v"]


ROWS: list[list[Any]] = json.loads(FIXTURE.read_text())


def test_the_oracle_fixture_covers_the_current_cases() -> None:
    assert [row[0] for row in ROWS] == yaml_v3_cases.scalars()


@pytest.mark.parametrize("row", ROWS, ids=[repr(row[0]) for row in ROWS])
def test_each_scalar_reaches_the_program_as_with_yaml_v3(row: list[Any]) -> None:
    scalar, top, nested, keys = row
    got = received(yaml_v3_cases.document(scalar))
    if top is None:
        assert got is None, f"yaml.v3 refuses {scalar!r}; the plan read {got}"
    else:
        assert got is not None, f"yaml.v3 reads {scalar!r}; the plan refused it"
        assert got["t:top"] == top
        assert typed(json.loads(got["t:nested"])) == typed(json.loads(nested))
    got_keys = received(yaml_v3_cases.key_document(scalar))
    if keys is None:
        assert got_keys is None, f"{scalar!r} is not a string key for yaml.v3"
    else:
        assert got_keys is not None
        assert json.loads(got_keys["t:keys"]) == json.loads(keys)


# --- generated instances per category ---------------------------------------------------------------

BOOL_WORDS_1_1 = ["y", "n", "yes", "no", "on", "off"]


def _case_variants(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


@FAST
@given(st.sampled_from(BOOL_WORDS_1_1).flatmap(_case_variants))
def test_yaml_1_1_booleans_are_strings(word: str) -> None:
    """``enabled: yes`` reaches the program as the string "yes" (a strict boolean field refuses it)."""
    assert value_of(word) == word


@FAST
@given(st.sampled_from(["true", "false"]).flatmap(_case_variants))
def test_only_three_spellings_of_each_boolean_are_booleans(word: str) -> None:
    expected = word == word.lower() or word == word.upper() or word == word.capitalize()
    assert value_of(word) == ((word.lower() == "true") if expected else word)


def _go_int_text(value: int, base: int, prefix_case: str, underscores: list[int]) -> str:
    digits = {10: str(abs(value)), 16: f"{abs(value):x}", 8: f"{abs(value):o}", 2: f"{abs(value):b}"}[base]
    for position in sorted({p % (len(digits) + 1) for p in underscores}, reverse=True):
        if 0 < position < len(digits):
            digits = digits[:position] + "_" + digits[position:]
    prefix = {10: "", 16: "0x", 8: "0o", 2: "0b"}[base]
    prefix = prefix.upper() if prefix_case == "upper" else prefix
    return ("-" if value < 0 else "") + prefix + digits


@FAST
@given(
    st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1),
    st.sampled_from([10, 16, 8, 2]),
    st.sampled_from(["lower", "upper"]),
    st.lists(st.integers(min_value=0, max_value=70), max_size=3),
)
def test_integers_in_go_syntax_with_underscores(
    value: int, base: int, prefix_case: str, underscores: list[int]
) -> None:
    """``1_000``, ``0x1F``, ``0o17``, ``0b101`` are integers (YAML 1.1 read ``0o17`` as text)."""
    text = _go_int_text(value, base, prefix_case, underscores)
    if base == 10 and abs(value) >= 10 and text.lstrip("-").startswith("0"):
        return  # a leading zero is octal in Go
    assert typed(value_of(text)) == ("int", value)


@FAST
@given(st.integers(min_value=0, max_value=59), st.integers(min_value=1, max_value=999))
def test_sexagesimal_numbers_are_strings(seconds: int, minutes: int) -> None:
    """YAML 1.1 read ``1:30`` as 90; yaml.v3 passes the text."""
    text = f"{minutes}:{seconds:02d}"
    assert value_of(text) == text


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_floats_reach_the_program_as_the_same_number(value: float) -> None:
    """A number in any spelling Go reads arrives as that float; a whole one below 1e21 as the integer Go's
    JSON writes for it (its shortest decimal digits), which reads back as the same float."""
    whole = value.is_integer() and abs(value) < 1e21
    for text in {repr(value), repr(value).replace("e+", "e"), repr(value).upper()}:
        got = value_of(text)
        assert float(got) == value, text
        assert type(got) is (int if whole else float), text
        if whole:
            assert got == int(Decimal(repr(value)))


@FAST
@given(st.integers(min_value=1, max_value=300), st.integers(min_value=0, max_value=20))
def test_exponent_without_a_point_is_a_float(mantissa: int, exponent: int) -> None:
    """``1e3`` is a number for yaml.v3 (YAML 1.1 needed a point and a signed exponent)."""
    text = f"{mantissa}e{exponent}"
    assert value_of(text) == float(text)


@pytest.mark.parametrize("text", [".inf", ".Inf", "-.INF", "+.inf", ".nan", ".NaN"])
def test_infinity_and_nan_are_refused_with_the_key_path(text: str) -> None:
    """Pulumi cannot encode them (``json: unsupported value``): ``pulumi up`` would stop; the plan refuses."""
    issues: list[Any] = []
    read_values(parse_document(f"config:\n  t:x:\n    v: [1, {text}]\n", "f")["config"], PROJECT, issues)
    assert [issue.path for issue in issues] == ["t:x.v[1]"]
    assert "cannot store" in issues[0].message


@FAST
@given(st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(9999, 12, 31)))
def test_unquoted_dates_reach_the_program_as_go_time_text(day: datetime.date) -> None:
    assert value_of(day.isoformat()) == f"{day.isoformat()} 00:00:00 +0000 UTC"
    assert value_of(f"'{day.isoformat()}'") == day.isoformat()  # quoted: the text as written


@FAST
@given(st.integers(min_value=1000, max_value=9999), st.integers(min_value=1, max_value=12), st.integers(29, 99))
def test_impossible_dates_are_strings(year: int, month: int, day: int) -> None:
    text = f"{year}-{month:02d}-{day:02d}"
    try:
        datetime.date(year, month, day)
    except ValueError:
        assert value_of(text) == text


def test_timestamp_rules_of_the_go_the_cli_is_built_with() -> None:
    """Go's time.Parse (src/time/format.go) takes any number of fraction digits (nanoseconds kept) and
    refuses a zone offset above 24 hours; the oracle's Go 1.19 did neither, so these are stated here."""
    stamp = parse_timestamp("2001-12-14T21:59:43.1234567891Z")
    assert stamp == GoTimestamp("2001-12-14 21:59:43.123456789 +0000 UTC")
    assert parse_timestamp("2001-12-14T21:59:43+25:00") is None
    assert parse_timestamp("2001-12-14T21:59:43+24:00") == GoTimestamp("2001-12-14 21:59:43 +2400 +2400")


@pytest.mark.parametrize(
    ("tag", "text", "expected"),
    [
        ("", "yes", "yes"),
        ("", "~", None),
        ("", "0o17", 15),
        ("", "017", 15),
        ("", "08", 8.0),
        ("!!str", "12", "12"),
        ("!!float", "1", 1.0),
        ("tag:yaml.org,2002:int", "0x10", 16),
    ],
)
def test_resolve_follows_yaml_v3(tag: str, text: str, expected: Any) -> None:
    assert typed(resolve(tag, text)[1]) == typed(expected)


def test_backup_yes_is_a_valid_string_tag_and_enabled_yes_is_not_a_boolean() -> None:
    """The two directions of the YAML 1.1 mistake: a tag value ``yes`` is text for Pulumi, so it is
    accepted; ``enabled: yes`` is text too, so a boolean field refuses it."""
    from components.config import ConfigError, parse_stack_config
    from tests.conftest import FAKE_ENV, ROOT

    env = dict(FAKE_ENV)
    text = (ROOT / "Pulumi.dev.yaml").read_text().replace("    owner: platform-team\n", "    backup: yes\n")
    config = received(text)
    assert config is not None
    assert parse_stack_config(config, env).tags["backup"] == "yes"
    refused = text.replace("  ai-observability:kong:\n    enabled: true", "  ai-observability:kong:\n    enabled: on")
    with pytest.raises(
        ConfigError, match=r"ai-observability:kong\.enabled: must be a boolean \(allowed: true, false\)"
    ):
        parse_stack_config(received(refused) or {}, env)
