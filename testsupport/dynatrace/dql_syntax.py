"""A parser for the subset of the Dynatrace Query Language (DQL) the emulator evaluates.

It turns query text into a small syntax tree (:class:`Query` of :class:`Command` s) or raises
:class:`DqlSyntaxError` with the position of the offending token. Positions follow the Grail Query
API's ``PositionInfo`` (zero-based ``index``, ``line`` and ``column``; ``@dynatrace-sdk/client-query``
1.23.1, ``models/position-info.d.ts``).

The grammar follows the DQL reference pages on docs.dynatrace.com ("DQL language reference",
"DQL commands", "DQL functions", "DQL operators"):

- a query is commands separated by ``|``; a command is a name followed by comma-separated
  arguments: expressions, assignments ``name = expr``, named parameters ``name: expr`` and
  ``{…}`` lists (``summarize {a = count()}, by:{x}``);
- expressions: string literals in double quotes (``\\"``, ``\\\\``, ``\\n``, ``\\t``, ``\\uXXXX``
  escapes), numbers, durations (``5m``, ``24h``, ``100ms``), ``true``/``false``/``null``, field names
  (dotted, or in backticks), iterative array references ``name[]``, function calls with positional and
  named arguments, ``$variables``, unary ``-``/``not``, and the binary operators
  ``* / %``, ``+ -``, ``== != < <= > >=``, ``and``, ``xor``, ``or`` (in this order of precedence);
- ``//`` line comments and ``/* … */`` block comments.

Names of commands and functions are checked by the evaluator (:mod:`.dql_eval`), which knows which
ones it implements: the parser only checks the structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DURATION_UNITS_NS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
}
KEYWORDS = frozenset({"and", "or", "xor", "not", "true", "false", "null"})


@dataclass(frozen=True)
class Position:
    index: int
    line: int
    column: int

    def body(self) -> dict[str, int]:
        return {"index": self.index, "line": self.line, "column": self.column}


class DqlSyntaxError(Exception):
    """The query does not parse; ``start``/``end`` locate the offending text."""

    def __init__(self, message: str, start: Position, end: Position | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end or start

    def position(self) -> dict[str, Any]:
        return {"start": self.start.body(), "end": self.end.body()}


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, duration, variable, op, eof
    text: str
    value: Any
    start: Position
    end: Position


_IDENT = re.compile(r"[A-Za-z_@][A-Za-z0-9_@]*(?:\.[A-Za-z0-9_@]+)*")
_NUMBER = re.compile(r"(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")
_UNIT = re.compile(r"[A-Za-z]+")
_OPERATORS = (
    "==",
    "!=",
    "<=",
    ">=",
    "[]",
    "|",
    ",",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ":",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
)
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "/": "/"}


def _positions(text: str) -> list[Position]:
    """Position of every index in ``text`` (plus one past the end)."""
    out: list[Position] = []
    line = column = 0
    for index, char in enumerate(text):
        out.append(Position(index, line, column))
        if char == "\n":
            line, column = line + 1, 0
        else:
            column += 1
    out.append(Position(len(text), line, column))
    return out


def tokenize(text: str) -> list[Token]:
    at = _positions(text)
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise DqlSyntaxError("The comment is not closed: expected */", at[i], at[n])
            i = end + 2
            continue
        start = i
        if char == '"':
            text_value, i = _string(text, i, at)
            tokens.append(Token("string", text[start:i], text_value, at[start], at[i]))
            continue
        if char == "`":
            end = text.find("`", i + 1)
            if end < 0 or end == i + 1:
                raise DqlSyntaxError(
                    "The field name in backticks is not closed or empty", at[i], at[n if end < 0 else end]
                )
            i = end + 1
            tokens.append(Token("ident", text[start:i], text[start + 1 : end], at[start], at[i]))
            continue
        if char == "$":
            match = _IDENT.match(text, i + 1)
            if match is None:
                raise DqlSyntaxError("Expected a variable name after $", at[i], at[i + 1])
            i = match.end()
            tokens.append(Token("variable", text[start:i], match.group(0), at[start], at[i]))
            continue
        number = _NUMBER.match(text, i)
        if number is not None and char in "0123456789.":
            i = number.end()
            unit = _UNIT.match(text, i)
            if unit is not None:
                if unit.group(0) not in DURATION_UNITS_NS or "." in number.group(0) or "e" in number.group(0).lower():
                    raise DqlSyntaxError(
                        f"Invalid number or duration {text[start : unit.end()]!r}", at[start], at[unit.end()]
                    )
                i = unit.end()
                nanos = int(number.group(0)) * DURATION_UNITS_NS[unit.group(0)]
                tokens.append(Token("duration", text[start:i], nanos, at[start], at[i]))
                continue
            literal = number.group(0)
            value: int | float = float(literal) if any(c in literal for c in ".eE") else int(literal)
            tokens.append(Token("number", literal, value, at[start], at[i]))
            continue
        ident = _IDENT.match(text, i)
        if ident is not None:
            i = ident.end()
            tokens.append(Token("ident", ident.group(0), ident.group(0), at[start], at[i]))
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is None:
            raise DqlSyntaxError(f"Unexpected character {char!r}", at[i], at[i + 1])
        i += len(op)
        tokens.append(Token("op", op, op, at[start], at[i]))
    tokens.append(Token("eof", "", None, at[n], at[n]))
    return tokens


def _string(text: str, i: int, at: list[Position]) -> tuple[str, int]:
    out: list[str] = []
    j = i + 1
    while j < len(text):
        char = text[j]
        if char == '"':
            return "".join(out), j + 1
        if char == "\\":
            nxt = text[j + 1 : j + 2]
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[j + 2 : j + 6]):
                out.append(chr(int(text[j + 2 : j + 6], 16)))
                j += 6
                continue
            if nxt not in _ESCAPES:
                raise DqlSyntaxError(f"Invalid escape sequence \\{nxt}", at[j], at[min(j + 2, len(text))])
            out.append(_ESCAPES[nxt])
            j += 2
            continue
        out.append(char)
        j += 1
    raise DqlSyntaxError('The string literal is not closed: expected "', at[i], at[len(text)])


# --- syntax tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    start: Position = field(compare=False, repr=False)
    end: Position = field(compare=False, repr=False)


@dataclass(frozen=True)
class Literal(Node):
    value: Any = None


@dataclass(frozen=True)
class Duration(Node):
    nanos: int = 0


@dataclass(frozen=True)
class FieldRef(Node):
    name: str = ""
    iterative: bool = False
    """``name[]``: the elements of an array field, one at a time (iterative expression)."""


@dataclass(frozen=True)
class Variable(Node):
    name: str = ""


@dataclass(frozen=True)
class Call(Node):
    name: str = ""
    args: tuple[Expr, ...] = ()
    named: tuple[tuple[str, Expr], ...] = ()

    def param(self, name: str) -> Expr | None:
        return next((value for key, value in self.named if key == name), None)


@dataclass(frozen=True)
class Unary(Node):
    op: str = ""
    operand: Expr | None = None


@dataclass(frozen=True)
class Binary(Node):
    op: str = ""
    left: Expr | None = None
    right: Expr | None = None


@dataclass(frozen=True)
class Braces(Node):
    """``{a = expr, b, …}``: a list of (possibly named) expressions."""

    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Item(Node):
    """One argument: ``expr``, ``name = expr`` (``name`` set) or, in a command, ``name: expr`` (``param``)."""

    expr: Expr | None = None
    name: str | None = None
    param: str | None = None
    direction: str | None = None
    """``asc``/``desc`` after a ``sort`` expression."""


@dataclass(frozen=True)
class Subquery(Node):
    """``[fetch … | …]``: a query as an argument (``append``)."""

    commands: tuple[Command, ...] = ()


Expr = Literal | Duration | FieldRef | Variable | Call | Unary | Binary | Braces | Subquery


@dataclass(frozen=True)
class Command(Node):
    name: str = ""
    items: tuple[Item, ...] = ()

    def positional(self) -> list[Item]:
        return [i for i in self.items if i.param is None]

    def param(self, name: str) -> Expr | None:
        return next((i.expr for i in self.items if i.param == name), None)

    def params(self) -> dict[str, Expr]:
        return {i.param: i.expr for i in self.items if i.param is not None and i.expr is not None}


@dataclass(frozen=True)
class Query:
    text: str
    commands: tuple[Command, ...]


def source(query: Query, node: Node) -> str:
    """The text of ``node`` as written in the query."""
    return query.text[node.start.index : node.end.index]


# --- parser ---------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tok
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return token

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text.lower() in words and not self.tok.text.startswith("`")

    def expect_op(self, op: str, what: str) -> Token:
        if not self.is_op(op):
            self.fail(f"Expected {op!r} {what}")
        return self.advance()

    def fail(self, message: str) -> None:
        token = self.tok
        found = "the end of the query" if token.kind == "eof" else repr(token.text)
        raise DqlSyntaxError(f"{message}, found {found}", token.start, token.end)

    # query := command ("|" command)*
    def query(self) -> Query:
        commands = self.commands()
        if self.tok.kind != "eof":
            self.fail("Expected '|' or the end of the query")
        return Query(self.text, tuple(commands))

    def commands(self) -> list[Command]:
        commands = [self.command(first=True)]
        while self.is_op("|"):
            self.advance()
            commands.append(self.command(first=False))
        return commands

    def subquery(self) -> Subquery:
        start = self.advance().start  # [
        commands = self.commands()
        end = self.expect_op("]", "to close the subquery").end
        return Subquery(start, end, tuple(commands))

    def command(self, *, first: bool) -> Command:
        if self.tok.kind != "ident" or "." in self.tok.text or self.tok.text.startswith("`"):
            self.fail(
                "Expected a command name" if not first else "A query starts with a command such as fetch or timeseries"
            )
        name_token = self.advance()
        items: list[Item] = []
        if not (self.is_op("|", "]") or self.tok.kind == "eof"):
            items.append(self.item(command=True))
            while self.is_op(","):
                self.advance()
                items.append(self.item(command=True))
        end = self.tokens[self.i - 1].end if self.i > 0 else name_token.end
        return Command(name_token.start, end, name_token.text, tuple(items))

    def item(self, *, command: bool) -> Item:
        start = self.tok.start
        if self.tok.kind == "ident" and self.peek().kind == "op":
            nxt = self.peek().text
            if nxt == ":":
                param = self.advance().text
                self.advance()
                expr = self.expression()
                return Item(start, expr.end, expr, param=param)
            if nxt == "=":
                name = self.advance().value
                self.advance()
                expr = self.expression()
                return Item(start, expr.end, expr, name=str(name))
        expr = self.expression()
        direction = None
        if command and self.is_word("asc", "desc"):
            direction = self.advance().text.lower()
        return Item(start, self.tokens[self.i - 1].end, expr, direction=direction)

    # precedence climbing: or < xor < and < not < comparison < additive < multiplicative < unary
    def expression(self) -> Expr:
        return self.binary(0)

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("or",),
        ("xor",),
        ("and",),
        ("==", "!=", "<", "<=", ">", ">="),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def binary(self, level: int) -> Expr:
        if level == len(self._LEVELS):
            return self.unary()
        if level == 3 and self.is_word("not"):
            token = self.advance()
            operand = self.binary(3)
            return Unary(token.start, operand.end, "not", operand)
        left = self.binary(level + 1)
        ops = self._LEVELS[level]
        while (self.tok.kind == "op" and self.tok.text in ops) or (self.is_word(*ops) and ops[0].isalpha()):
            op = self.advance().text.lower()
            right = self.binary(level + 1)
            left = Binary(left.start, right.end, op, left, right)
            if level == 3 and self.tok.kind == "op" and self.tok.text in ops:
                self.fail("Comparisons cannot be chained; use and")
        return left

    def unary(self) -> Expr:
        if self.is_op("-"):
            token = self.advance()
            operand = self.unary()
            return Unary(token.start, operand.end, "-", operand)
        return self.primary()

    def primary(self) -> Expr:
        token = self.tok
        if token.kind in ("string", "number"):
            self.advance()
            return Literal(token.start, token.end, token.value)
        if token.kind == "duration":
            self.advance()
            return Duration(token.start, token.end, int(token.value))
        if token.kind == "variable":
            self.advance()
            return Variable(token.start, token.end, str(token.value))
        if self.is_op("("):
            self.advance()
            inner = self.expression()
            self.expect_op(")", "to close the parenthesis")
            return inner
        if self.is_op("{"):
            return self.braces()
        if self.is_op("["):
            return self.subquery()
        if token.kind == "ident":
            quoted = token.text.startswith("`")
            lowered = token.text.lower()
            if not quoted and lowered in ("true", "false", "null"):
                self.advance()
                return Literal(token.start, token.end, {"true": True, "false": False, "null": None}[lowered])
            if not quoted and lowered in KEYWORDS:
                self.fail("Expected an expression")
            self.advance()
            if self.is_op("(") and not quoted:
                return self.call(token)
            if self.is_op("[]"):
                end = self.advance().end
                return FieldRef(token.start, end, str(token.value), iterative=True)
            return FieldRef(token.start, token.end, str(token.value))
        self.fail("Expected an expression")
        raise AssertionError  # unreachable: fail raises

    def braces(self) -> Braces:
        start = self.advance().start
        items: list[Item] = []
        if not self.is_op("}"):
            items.append(self.item(command=False))
            while self.is_op(","):
                self.advance()
                items.append(self.item(command=False))
        end = self.expect_op("}", "to close the list").end
        return Braces(start, end, tuple(items))

    def call(self, name: Token) -> Call:
        self.advance()  # (
        args: list[Expr] = []
        named: list[tuple[str, Expr]] = []
        if not self.is_op(")"):
            while True:
                if self.tok.kind == "ident" and self.peek().kind == "op" and self.peek().text == ":":
                    key = self.advance().text
                    self.advance()
                    named.append((key, self.expression()))
                else:
                    if named:
                        self.fail("Positional arguments must come before named ones")
                    args.append(self.expression())
                if not self.is_op(","):
                    break
                self.advance()
        end = self.expect_op(")", f"to close the call of {name.text}").end
        return Call(name.start, end, name.text, tuple(args), tuple(named))


def parse(text: str) -> Query:
    """The syntax tree of ``text``; :class:`DqlSyntaxError` when it does not parse."""
    if not text.strip():
        raise DqlSyntaxError("The query is empty", Position(0, 0, 0))
    return _Parser(text).query()
