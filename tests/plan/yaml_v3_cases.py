"""The scalars the yaml.v3 oracle fixture covers: hand-picked edges of YAML 1.1 versus 1.2 typing, and
seeded random text over the characters that decide a scalar's type.

``python -m tests.plan.yaml_v3_cases`` prints the stack-file documents as JSON, the input of
``fixtures/yaml_v3_oracle.go`` (see that file for how ``fixtures/yaml_v3_oracle.json`` is made).
"""

from __future__ import annotations

import json
import random
import sys

BOOLS_1_1 = ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"]
BOOLS_1_2 = ["true", "True", "TRUE", "false", "False", "FALSE", "tRue", "fAlse"]
NULLS = ["~", "null", "Null", "NULL", "nUll", "''"]
INTS = [
    "0",
    "-0",
    "+0",
    "12",
    "-12",
    "+12",
    "1_000",
    "1__0",
    "_1",
    "1_",
    "0x1F",
    "0X1f",
    "-0x1F",
    "+0x1F",
    "0o17",
    "0O17",
    "-0o17",
    "0b101",
    "-0b101",
    "0B11",
    "017",
    "-017",
    "0_17",
    "08",
    "09",
    "0x",
    "0o",
    "0b",
    "0xG",
    "00",
    "007",
    "0b2",
    "0o8",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "0xFFFFFFFFFFFFFFFF",
    "0x10000000000000000",
    "0o1777777777777777777777",
    "0b1111111111111111111111111111111111111111111111111111111111111111",
    "1:30",
    "1:30:00",
    "190:20:30",
    "+_5",
    "-_5",
    "1_2_3",
]
FLOATS = [
    "1.0",
    "1.",
    ".5",
    "-.5",
    "+.5",
    "1e3",
    "1E3",
    "1e+3",
    "1.0e3",
    "1.0e-3",
    "-1e-7",
    "1e-6",
    "1.5e-7",
    "1e21",
    "1e20",
    "1e400",
    "-1e400",
    "1e-400",
    ".inf",
    ".Inf",
    ".INF",
    "-.inf",
    "+.inf",
    "-.Inf",
    ".nan",
    ".NaN",
    ".NAN",
    "nan",
    "inf",
    "NaN",
    "Infinity",
    "1_000.5",
    "1.5_0",
    ".5_0",
    "0.1",
    "3.14159",
    "1.30",
    "100000.0",
    "1e6",
    "1e5",
    "123456789012345678901234567890",
    ".e5",
    ".",
    "1e",
    "1.2.3",
    "-0.0",
    "0.0",
    "1e-5",
    "2.50",
    "6.02e23",
    "-1E-10",
    "+1.e2",
    "1e+21",
    "99999999999999999999",
]
STAMPS = [
    "2024-01-01",
    "2024-1-1",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-00-10",
    "2024-04-31",
    "0000-02-29",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14T21:59:43Z",
    "2001-12-14 21:59:43.10",
    "2001-12-14  21:59:43",
    "2001-12-14T21:59:43",
    "2001-12-14T24:00:00Z",
    "2001-12-14T23:60:00Z",
    "2001-12-14T23:59:60Z",
    "2001-12-14T21:59:43.000Z",
    "2001-12-14T21:59:43,5Z",
    "2001-12-14T21:59:43+00:00",
    "2001-12-14T21:59:43+01:30",
    "2001-12-14T21:59:43-00:30",
    "2001-12-14T21:59:43+24:00",
    "2001-12-14T21:59:43+0100",
    "2001-12-14T1:2:3Z",
    "2001-12-14 1:2:3",
    "2001-12-14T21:59Z",
    "20240-01-01",
    "2024-01-01x",
    "2024-01-01 ",
    "2024-001-01",
    "2024-1-001",
]
# Left out of the fixture: the oracle's Go (1.19) parses these differently from the Go the Pulumi CLI is
# built with (src/time/format.go today takes any number of fraction digits and refuses a zone offset
# above 24 hours); tests/plan/test_yaml_v3.py states the current rule for them.
GO_VERSION_DEPENDENT = ["2001-12-14T21:59:43.1234567891Z", "2001-12-14T21:59:43+25:00"]
WORDS = ["hello", "1.30.0", "v1", "0.54.0", "1.33", "eu-central-1", "g5.2xlarge", "<<", "=", "-", "+", ".", "e"]
QUOTED = ["'yes'", "'12'", '"1e3"', '"true"', "'2024-01-01'", '"~"', "'.inf'", '"0x1F"']
TAGGED = [
    "!!int 12",
    "!!int '12'",
    "!!int 0x1F",
    "!!int 1.5",
    "!!int abc",
    "!!float 1",
    "!!float '2'",
    "!!float .inf",
    "!!str 12",
    "!!str yes",
    "!!str ~",
    "!!bool yes",
    "!!bool true",
    "!!bool 'false'",
    "!!null ''",
    "!!null ~",
    "!!null x",
    "!!timestamp 2024-01-01",
    "!!timestamp x",
    "!!binary aGVsbG8=",
    "!!binary 'aGVs bG8='",
    "! 12",
    "! yes",
]
# The characters that decide a scalar's type in either YAML version.
FUZZ_ALPHABET = "0123456789+-._eExXoObB:TtZnNyY"
FUZZ_COUNT = 700


def _fuzz() -> list[str]:
    rng = random.Random(20)  # fixed: the fixture must not change
    found: list[str] = []
    while len(found) < FUZZ_COUNT:
        text = "".join(rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(1, 10)))
        if text.startswith(("-", ":")) and len(text) > 1 and text[1] in " :":
            continue
        if text.endswith(":") or ": " in text:
            continue
        found.append(text)
    return found


def scalars() -> list[str]:
    picked = BOOLS_1_1 + BOOLS_1_2 + NULLS + INTS + FLOATS + STAMPS + WORDS + QUOTED + TAGGED + _fuzz()
    return list(dict.fromkeys(picked))


def document(scalar: str) -> str:
    """A stack file with the scalar as a top-level value, a nested value, and a mapping key."""
    return f"config:\n  t:top: {scalar}\n  t:nested:\n    v: {scalar}\n"


def key_document(scalar: str) -> str:
    return f"config:\n  t:keys:\n    {scalar}: x\n"


def documents() -> list[str]:
    picked = scalars()
    return [document(s) for s in picked] + [key_document(s) for s in picked]


def fixture(docs: list[str], outputs: list[dict[str, object]]) -> list[list[object]]:
    """``[scalar, top text, nested JSON, keys JSON]`` per scalar; None where the CLI refuses the document."""
    by_doc = dict(zip(docs, outputs, strict=True))
    rows: list[list[object]] = []
    for scalar in scalars():
        value, key = by_doc[document(scalar)], by_doc[key_document(scalar)]
        config = value.get("config") if isinstance(value.get("config"), dict) else None
        keys = key.get("config") if isinstance(key.get("config"), dict) else None
        rows.append(
            [
                scalar,
                None if config is None else config["t:top"],  # type: ignore[index]
                None if config is None else config["t:nested"],  # type: ignore[index]
                None if keys is None else keys["t:keys"],  # type: ignore[index]
            ]
        )
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fixture"]:
        with open(sys.argv[2]) as docs_file, open(sys.argv[3]) as out_file:
            rows = fixture(json.load(docs_file), json.load(out_file))
        print("[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]")
    else:
        print(json.dumps(documents()))
