"""The OpenPipeline schema limits a tenant enforces are rejected in the stack config first, with the
full key path and what is allowed: routing descriptions of at most 512 characters, and no
``dt.``/``dynatrace.`` prefix (in any letter case) on the pipeline customId or route description."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from tests.conftest import stack_file

NS = "ai-observability"


def _problems(fake_env: dict[str, str], section: str, key: str, value: Any) -> list[str]:
    raw = stack_file("dev")
    governance = raw.setdefault(f"{NS}:governance", {})
    governance.setdefault(section, {})[key] = value
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, fake_env, "dev")
    return [line.strip() for line in str(caught.value).splitlines() if line.strip().startswith("- ")]


RESERVED = "must not start with 'dt.' or 'dynatrace.' in any letter case"


@pytest.mark.parametrize(
    ("section", "key", "value", "allowed"),
    [
        ("route", "description", "r" * 513, "at most 512 characters"),
        ("route", "description", "DT.ai-route", RESERVED),
        ("route", "description", "Dynatrace.ai-route", RESERVED),
        ("pipeline", "customId", "DT.ai-data-governance", RESERVED),
        ("pipeline", "customId", "dynaTRACE.governance", RESERVED),
    ],
)
def test_schema_limits_are_config_errors_with_key_path(
    fake_env: dict[str, str], section: str, key: str, value: str, allowed: str
) -> None:
    problems = _problems(fake_env, section, key, value)
    path = f"- {NS}:governance.{section}.{key}:"
    assert [p for p in problems if p.startswith(path) and allowed in p], problems


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [("route", "description", "r" * 512), ("route", "description", "dtx routing"), ("pipeline", "customId", "dt-x")],
)
def test_values_a_tenant_accepts_pass(fake_env: dict[str, str], section: str, key: str, value: str) -> None:
    raw = stack_file("dev")
    raw.setdefault(f"{NS}:governance", {}).setdefault(section, {})[key] = value
    config = parse_stack_config(raw, fake_env, "dev")
    assert getattr(getattr(config.governance, section), "description" if key == "description" else "custom_id") == value
