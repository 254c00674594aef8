"""Reading the raw stack configuration from the Pulumi runtime (the only place that does)."""

from __future__ import annotations

import os
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from .stack import StackConfig, parse_stack_config


def raw_pulumi_config() -> dict[str, Any]:
    """Every config key the engine passed to this program (env bag, then explicit values)."""
    raw: dict[str, Any] = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    return raw


def load_from_pulumi() -> StackConfig:
    """Validated configuration of the running stack; raises ``ConfigError``."""
    return parse_stack_config(raw_pulumi_config(), os.environ, stack=pulumi.get_stack())
