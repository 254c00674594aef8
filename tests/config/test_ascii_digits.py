"""Rule: a digit is 0-9. Python's ``\\d`` (and ``\\w``, ``str.isdigit``) accept every Unicode digit.

Every pattern in ``components/``, ``policies/`` and ``tools/`` spells digits ``[0-9]`` (pydantic's
Rust regex engine and Python's ``re`` both treat ``\\d`` as Unicode); no code asks ``isdigit``,
``isdecimal`` or ``isnumeric`` (true for ``²`` and ``١``, which ``int()`` then refuses or reads).
So full-width and other-script digits are refused in regions, versions and account ids.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.config.typed_config import changed, issues, path_of, set_at
from tests.conftest import ROOT

SCANNED = ("components", "policies", "tools")
# A regex escape for a Unicode-aware class: \d \D \w \W (not preceded by an escaping backslash).
_UNICODE_CLASS = re.compile(r"(?<!\\)(?:\\\\)*\\[dDwW]")
_UNICODE_PREDICATES = frozenset({"isdigit", "isdecimal", "isnumeric"})
# Every decimal digit outside ASCII: full-width, Arabic-Indic, Devanagari, mathematical, ... (Unicode category Nd).
NON_ASCII_DIGITS = st.sampled_from([chr(c) for c in range(0x80, 0x110000) if unicodedata.category(chr(c)) == "Nd"])


def _code_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants that are code (docstrings and other bare-expression strings are prose)."""
    prose = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose
    ]


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        f"{path}:{line}: {match.group()!r} in a pattern"
        for line, text in _code_strings(tree)
        if (match := _UNICODE_CLASS.search(text)) is not None
    ]
    found += [
        f"{path}:{node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _UNICODE_PREDICATES
    ]
    return found


def test_no_pattern_or_predicate_accepts_unicode_digits() -> None:
    files = [p for folder in SCANNED for p in sorted((ROOT / folder).rglob("*.py"))]
    assert len(files) > 100
    findings = [finding for path in files for finding in _findings(path)]
    assert findings == [], "use [0-9] (and re.fullmatch('[0-9]+', s) for a digits test):\n" + "\n".join(findings)


def test_the_scan_finds_what_it_forbids(tmp_path: Path) -> None:
    """The scanner is not vacuous: each forbidden form is reported, docstrings and [0-9] are not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Docs may mention \\\\d."""\n'
        "import re\n"
        'A = re.compile(r"^\\d{12}$")\n'
        'B = re.compile("[\\\\w.-]+")\n'
        'C = "12".isdigit()\n'
        'D = re.compile(r"^[0-9]{12}$")\n'
        'E = re.compile(r"\\\\d")  # an escaped backslash then d: a literal, allowed\n',
        encoding="utf-8",
    )
    found = _findings(sample)
    assert [f.split(":")[1] for f in found] == ["3", "4", "5"], found


def _with_digit(text: str, digit: str, position: int) -> str:
    """``text`` with its ``position``-th ASCII digit replaced by ``digit`` (same numeric value or not)."""
    spots = [i for i, c in enumerate(text) if c in "0123456789"]
    at = spots[position % len(spots)]
    return text[:at] + digit + text[at + 1 :]


# (stack, section key, location, valid value containing digits)
DIGIT_KEYS = [
    ("prod", "eks", ("version",), "1.35"),
    ("prod", "collector", ("imageVersion",), "0.54.0"),
    (
        "prod",
        "eventForwarding",
        ("trail", "existingTrailArn"),
        "arn:aws:cloudtrail:eu-central-1:111122223333:trail/org",
    ),
    ("prod", "eventForwarding", ("alarms", "snsTopicArn"), "arn:aws:sns:eu-central-1:111122223333:platform-oncall"),
    ("prod", "eks", ("adminRoleArns", 0), "arn:aws:iam::111122223333:role/PlatformAdmin"),
    ("dev", "telemetry", ("bedrockMetrics", "dynatracePrincipalArn"), "arn:aws:iam::000000000000:root"),
    ("dev", "telemetry", ("bedrockMetrics", "regions"), ["eu-central-1"]),
    ("prod", "guardrails", ("guardrails", 0, "crossRegionProfile"), "eu.guardrail.v1:0"),
    ("dev", "nims", (0, "image"), "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"),
]


@settings(max_examples=80, deadline=None)
@given(case=st.sampled_from(DIGIT_KEYS), digit=NON_ASCII_DIGITS, position=st.integers(min_value=0, max_value=20))
def test_a_non_ascii_digit_is_refused_where_digits_count(
    case: tuple[str, str, tuple[str | int, ...], str | list[str]], digit: str, position: int
) -> None:
    stack, key, loc, value = case
    bad: str | list[str] = (
        [_with_digit(value[0], digit, position)] if isinstance(value, list) else _with_digit(value, digit, position)
    )
    found = issues(changed(stack, lambda raw: set_at(raw, key, loc, bad)), stack)
    assert any(i.path.startswith(path_of(key, loc)) for i in found), (bad, [str(i) for i in found])
    assert not issues(changed(stack, lambda raw: set_at(raw, key, loc, value)), stack)


@settings(max_examples=40, deadline=None)
@given(digit=NON_ASCII_DIGITS, position=st.integers(min_value=0, max_value=3))
def test_a_non_ascii_digit_in_aws_region_is_refused(digit: str, position: int) -> None:
    def change(raw: dict[str, object]) -> None:
        raw["aws:region"] = _with_digit("eu-central-1", digit, position)

    found = issues(changed("dev", change))
    assert [i.path for i in found] == ["aws:region"]
    assert f"U+{ord(digit):04X}" in found[0].message


@pytest.mark.parametrize(
    ("key", "loc", "value"),
    [
        ("eks", ("version",), "１.35"),
        ("eks", ("version",), "1.３５"),
        ("collector", ("imageVersion",), "0.５4.0"),
        ("eks", ("adminRoleArns", 0), "arn:aws:iam::１１１１２２２２３３３３:role/PlatformAdmin"),
        ("eventForwarding", ("alarms", "snsTopicArn"), "arn:aws:sns:eu-central-١:111122223333:platform-oncall"),
    ],
)
def test_full_width_and_other_script_digits_are_refused(key: str, loc: tuple[str | int, ...], value: str) -> None:
    found = issues(changed("prod", lambda raw: set_at(raw, key, loc, value)), "prod")
    assert [i.path for i in found] == [path_of(key, loc)], [str(i) for i in found]
    if loc == ("version",):  # values that are ASCII by definition name the look-alike character
        assert "U+FF1" in found[0].message
