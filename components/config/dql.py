"""A small DQL tokenizer: enough to tell a single boolean expression from a pipeline.

OpenPipeline matchers (a pipeline's processor ``matcher``, a route's ``matcher``) are one DQL
condition; a top-level ``|`` would append a pipeline stage. The lexical rules follow the DQL
lexer Dynatrace publishes for its IDE plugin (dynatrace-oss/intellij-idea-dql,
``src/main/grammar/dql.flex``): strings in ``"..."`` or ``'...'`` with backslash escapes,
multi-line strings in ``\"\"\"...\"\"\"``, identifiers in backticks, ``// ...`` line comments and
``/* ... */`` block comments. A ``|`` inside any of them is text, not a pipe.
"""

from __future__ import annotations

from typing import Final

_QUOTES: Final = ('"', "'", "`")


def _skip_quoted(text: str, start: int, quote: str) -> int:
    """Index after the closing ``quote`` of the literal opened at ``start`` (-1 if unterminated)."""
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            return index + 1
        index += 1
    return -1


def matcher_problem(text: str) -> str | None:
    """Why ``text`` is not a single DQL condition (None when it is one, as far as its tokens show)."""
    index = 0
    while index < len(text):
        if text.startswith('"""', index):
            end = text.find('"""', index + 3)
            if end < 0:
                return f"has an unterminated multi-line string starting at character {index + 1}"
            index = end + 3
        elif text[index] in _QUOTES:
            end = _skip_quoted(text, index, text[index])
            if end < 0:
                return f"has an unterminated {text[index]}-quoted literal starting at character {index + 1}"
            index = end
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end < 0:
                return f"has an unterminated /* comment starting at character {index + 1}"
            index = end + 2
        elif text[index] == "|":
            return (
                f"has a '|' at character {index + 1} outside any string or comment: a matcher is one DQL condition "
                '(e.g. matchesValue(event.type, "gen_ai.auditing")), not a pipeline of commands'
            )
        else:
            index += 1
    return None
