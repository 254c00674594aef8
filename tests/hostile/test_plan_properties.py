"""Property: whatever the stack file holds, the plan ends in exit 0, 1 or 2, never a traceback, and
never shows a secret.

Configurations are generated from the config models' JSON schemas (every section, random subsets of
keys, values of the schema's types, enums and secret-shaped strings) and from random mutations of
the committed stack files. Each is written as a stack file and planned through the in-process
entry point ``tools.plan.main``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config.stack import SECTIONS
from tests.conftest import stack_file
from tools import plan

NS = "ai-observability"
CANARY_TOKEN = "dt0c01.PROPCANARYPUBLIC00000000." + "PROPCANARYSECRET".ljust(64, "7")
CANARY_NGC = "nvapi-PropCanaryNgcKey0000000000000000000"
CANARY_PASSWORD = "PropCanaryUrlPassword"
SECRET_FRAGMENTS = ("PROPCANARYSECRET", "PropCanaryNgcKey", CANARY_PASSWORD)

SECRETISH = st.sampled_from(
    [
        CANARY_TOKEN,
        CANARY_NGC,
        f"https://user:{CANARY_PASSWORD}@abc12345.live.dynatrace.com",
        f"http://{CANARY_PASSWORD}@host/e/abc",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    SECRETISH,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3),
    max_leaves=8,
)


def _from_schema(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like ``schema`` (loosely: wrong types and secret-shaped strings mixed in)."""
    if "$ref" in schema:
        return _from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, depth)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return st.one_of([_from_schema(s, defs, depth) for s in schema[combinator]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if depth > 4:
        return SCALARS
    if kind == "object" and "properties" in schema:
        properties = {name: _from_schema(sub, defs, depth + 1) for name, sub in schema["properties"].items()}
        return st.fixed_dictionaries({}, optional=properties)
    if kind == "object":
        return st.dictionaries(
            st.text(max_size=10), _from_schema(schema.get("additionalProperties", {}), defs, depth + 1), max_size=3
        )
    if kind == "array":
        return st.lists(_from_schema(schema.get("items", {}), defs, depth + 1), max_size=3)
    if kind == "string":
        return st.one_of(
            st.text(max_size=20),
            st.from_regex(schema["pattern"], fullmatch=True) if "pattern" in schema else st.text(max_size=5),
            SECRETISH,
        )
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -5), max_value=schema.get("maximum", 100_000))
    if kind == "number":
        return st.floats(min_value=schema.get("minimum", -5.0), max_value=schema.get("maximum", 1e6))
    if kind == "boolean":
        return st.booleans()
    return JSON_VALUES


def _section_strategy() -> st.SearchStrategy[dict[str, Any]]:
    """Generated sections, alone or laid over a committed stack (so that some configs are valid)."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for section in SECTIONS:
        schema = section.adapter.json_schema(by_alias=True)
        parts[f"{NS}:{section.key}"] = _from_schema(schema, schema.get("$defs", {}))
    generated = st.fixed_dictionaries({}, optional=parts)

    def overlay(base: str | None, sections: dict[str, Any]) -> dict[str, Any]:
        config = stack_file(base) if base else {}
        config.update(sections)
        return config

    return st.builds(overlay, st.sampled_from(["dev", "prod", None]), generated)


def _mutate(config: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """Random edits of a committed config: drop, replace, retype or misspell keys at any depth."""
    config = copy.deepcopy(config)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        target: Any = config
        while True:
            keys = list(target) if isinstance(target, dict) else list(range(len(target)))
            if not keys:
                break
            key = data.draw(st.sampled_from(keys))
            child = target[key]
            if isinstance(child, dict | list) and child and data.draw(st.booleans()):
                target = child
                continue
            action = data.draw(st.sampled_from(["drop", "replace", "misspell", "secret"]))
            if action == "drop" and isinstance(target, dict):
                del target[key]
            elif action == "misspell" and isinstance(target, dict) and isinstance(key, str):
                target[key[:-1] or "x"] = target.pop(key)
            elif action == "secret":
                target[key] = data.draw(SECRETISH)
            else:
                target[key] = data.draw(JSON_VALUES)
            break
    return config


def _plan(config: dict[str, Any], stack: str = "prop") -> tuple[int, str]:
    workdir = Path(tempfile.mkdtemp(prefix="plan-prop-"))
    try:
        (workdir / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
        out, err = io.StringIO(), io.StringIO()
        env = {"DT_API_TOKEN": CANARY_TOKEN, "NGC_API_KEY": CANARY_NGC}
        with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = plan.main([stack, "--stack-dir", str(workdir), "--out", str(workdir / "out")])
        written = "".join(p.read_text(errors="replace") for p in (workdir / "out").rglob("*") if p.is_file())
        return code, out.getvalue() + err.getvalue() + written
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check(code: int, text: str) -> None:
    assert code in (0, 1, 2), text
    assert "Traceback" not in text
    for fragment in SECRET_FRAGMENTS:
        assert fragment not in text, f"secret fragment {fragment} shown:\n{text}"


PROPERTY_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(_section_strategy())
def test_configs_generated_from_the_models(config: dict[str, Any]) -> None:
    _check(*_plan(config))


@PROPERTY_SETTINGS
@given(st.sampled_from(["dev", "prod"]), st.data())
def test_mutations_of_committed_stacks(stack: str, data: st.DataObject) -> None:
    _check(*_plan(_mutate(stack_file(stack), data)))
