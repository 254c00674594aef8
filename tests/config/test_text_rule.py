"""Rule: no configuration string holds a character the reviewer cannot see.

Control characters (Cc: NUL, escape, tab, line breaks), invisible format characters (Cf: bidi
controls, zero-width spaces and joiners, BOM, soft hyphen), lone surrogates (Cs) and line/paragraph
separators (Zl, Zp) are refused in every string of every section: values, list items, map keys and
tags. The message names the code point. Visible text (other scripts, Zs spacing such as U+00A0,
emoji) still passes where the key's own grammar allows it, and leading/trailing whitespace is
trimmed as before.
"""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config import ConfigModel
from components.config.text import text_problem
from tests.config.typed_config import NS, changed, issues, parse, path_of, set_at, string_leaves
from tests.conftest import stack_file

REFUSED_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
INVISIBLE = st.characters(categories=REFUSED_CATEGORIES)
LEAVES = {stack: list(string_leaves(stack_file(stack))) for stack in ("dev", "prod")}
# Free-text keys (no grammar of their own): visible characters of any script must stay accepted there.
FREE_TEXT = [
    ("governance", ("bucket", "displayName")),
    ("governance", ("pipeline", "displayName")),
    ("guardrails", ("guardrails", 0, "deniedTopics", 0, "definition")),
    ("tags", ("owner",)),
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _poison(text: str, char: str, where: float) -> str:
    """``char`` inside ``text`` (never at an end: leading and trailing whitespace is trimmed, as it always was)."""
    if len(text) < 2:
        return text + char + text
    at = 1 + int((len(text) - 2) * where)
    return text[:at] + char + text[at:]


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


@SETTINGS
@given(
    data=st.data(),
    char=INVISIBLE,
    where=st.floats(min_value=0.01, max_value=0.99),
    stack=st.sampled_from(["dev", "prod"]),
)
def test_an_invisible_character_in_any_string_is_refused_with_its_code_point(
    data: st.DataObject, char: str, where: float, stack: str
) -> None:
    key, loc, text = data.draw(st.sampled_from(LEAVES[stack]))
    poisoned = _poison(text, char, where)
    raw = changed(stack, lambda r: set_at(r, key, loc, poisoned))
    found = [i for i in issues(raw, stack) if i.path == path_of(key, loc)]
    assert found, (key, loc, poisoned)
    assert any(_code(char) in i.message for i in found), [i.message for i in found]


@SETTINGS
@given(char=INVISIBLE, stack=st.sampled_from(["dev", "prod"]), data=st.data())
def test_an_invisible_character_in_a_map_key_is_refused(char: str, stack: str, data: st.DataObject) -> None:
    """Keys are strings too: unknown-key errors would otherwise echo them without naming the character."""
    key, loc, _ = data.draw(st.sampled_from([leaf for leaf in LEAVES[stack] if isinstance(leaf[1][-1], str)]))
    name = str(loc[-1])

    def change(raw: dict[str, object]) -> None:
        node = raw[f"{NS}:{key}"]
        for part in loc[:-1]:
            node = node[part]  # type: ignore[index]
        node[name[:1] + char + name[1:]] = node.pop(name)  # type: ignore[union-attr,attr-defined]

    found = issues(changed(stack, change), stack)
    assert any(_code(char) in i.message and "(the key)" in i.message for i in found), [str(i) for i in found]


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "U+0000 (NUL)"),
        ("\x1b", "U+001B (ESCAPE)"),
        ("\t", "U+0009 (CHARACTER TABULATION)"),
        ("\n", "U+000A (LINE FEED)"),
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\u200d", "U+200D (ZERO WIDTH JOINER)"),
        ("\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
        ("\u00ad", "U+00AD (SOFT HYPHEN)"),
        ("\u2028", "U+2028 (LINE SEPARATOR)"),
        ("\ud800", "U+D800"),
    ],
)
def test_the_message_names_the_code_point(char: str, name: str) -> None:
    problem = text_problem(f"ab{char}cd")
    assert problem is not None
    assert name in problem
    assert "at character 3" in problem


@pytest.mark.parametrize(
    "text",
    [
        "GenAI audit events",
        "Données d'audit IA — équipe ☃",  # other scripts, punctuation, symbols
        "審計イベント",
        "tab\u00a0between",  # Zs spacing is visible
        "emoji 💻 and ✓",
        "  padded  ",
        "folded block\n",  # a YAML '>' block's final line break is trimmed like any trailing space
        "\u3000ideographic space around\u3000",
    ],
)
def test_visible_text_passes(text: str) -> None:
    assert text_problem(text) is None


@SETTINGS
@given(
    text=st.text(
        alphabet=st.characters(categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="\x85"), min_size=1
    ),
    slot=st.sampled_from(FREE_TEXT),
)
def test_legitimate_free_text_of_any_script_is_accepted(text: str, slot: tuple[str, tuple[str | int, ...]]) -> None:
    """Neighbours of the rule: letters, marks, digits, punctuation, symbols and spaces of every script."""
    if not text.strip():
        return
    key, loc = slot
    if key == "tags":  # AWS's own tag alphabet is narrower: letters, digits, separators and _ . : / = + - @
        text = "".join(c for c in text if c.isalnum() or unicodedata.category(c) == "Zs" or c in "_.:/=+-@")
        if not text.strip():
            return
    raw = changed("dev", lambda r: set_at(r, key, loc, text[:100]))
    assert not [i for i in issues(raw) if i.path == path_of(key, loc) and "U+" in i.message], text


def test_every_section_model_shares_the_rule() -> None:
    """One mechanism: each config model inherits it from ConfigModel, none defines its own."""
    models = [m for m in _subclasses(ConfigModel)]
    assert len(models) > 20
    for model in models:
        assert "_visible_text" not in vars(model) or model is ConfigModel, model


def test_a_value_refused_for_its_text_is_not_echoed() -> None:
    """The code point and its position locate the problem; the value itself (a pasted token with a
    stray character no longer matches any secret pattern) is not shown."""
    pasted = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.\u202eSECRETSECRETSECRET"
    raw = changed("dev", lambda r: set_at(r, "tags", ("owner",), pasted))
    text = " ".join(str(i) for i in issues(raw))
    assert "U+202E" in text
    assert "at character 33" in text
    assert "SECRETSECRETSECRET" not in text
    assert "ABCDEFGHIJKLMNOP" not in text


def test_a_rejected_config_takes_under_a_second() -> None:
    raw = stack_file("prod")
    for key, loc, text in string_leaves(raw):
        set_at(raw, key, loc, text + "\u202e")
    started = time.perf_counter()
    found = issues(raw, "prod")
    elapsed = time.perf_counter() - started
    assert len(found) >= 40
    assert elapsed < 1.0, elapsed


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_stacks_still_parse(stack: str) -> None:
    parse(stack_file(stack), stack)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_aws_region_follows_the_rule_too() -> None:
    raw = changed("dev", lambda r: r.__setitem__("aws:region", "eu-central\u200b-1"))
    (issue,) = issues(raw)
    assert issue.path == "aws:region"
    assert "U+200B" in issue.message


# Keys with a grammar of their own (names, ids, versions, images, URLs): Zs spacing breaks them all.
GRAMMAR_KEYS = [
    ("dev", "governance", ("bucket", "name")),
    ("dev", "governance", ("pipeline", "customId")),
    ("dev", "collector", ("namespace",)),
    ("dev", "nims", (0, "image")),
    ("dev", "nims", (0, "name")),
    ("dev", "dynatrace", ("environmentUrl",)),
    ("prod", "eks", ("version",)),
    ("prod", "eventForwarding", ("alarms", "snsTopicArn")),
    ("dev", "gpuNodeGroups", (0, "instanceTypes", 0)),
]


@SETTINGS
@given(space=st.characters(categories=("Zs",)), slot=st.sampled_from(GRAMMAR_KEYS), where=st.floats(0.01, 0.99))
def test_space_separators_inside_a_grammar_key_are_refused(
    space: str, slot: tuple[str, str, tuple[str | int, ...]], where: float
) -> None:
    """Zs characters are visible spacing, so the text rule lets them be; every grammar refuses them."""
    stack, key, loc = slot
    text = next(t for k, lc, t in LEAVES[stack] if (k, lc) == (key, loc))
    raw = changed(stack, lambda r: set_at(r, key, loc, _poison(text, space, where)))
    # The key itself, or the list holding it (a list validator names the list).
    assert [i for i in issues(raw, stack) if i.path in (path_of(key, loc), path_of(key, loc[:-1]))]
