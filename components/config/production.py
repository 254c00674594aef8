"""Which stacks are production: one rule, read from the file the policy gate already uses.

A stack is production when its policy-pack configuration, ``policies/config/<stack>.json`` (the file
passed as ``--policy-pack-config``, and read by the offline plan), enforces every policy as mandatory:
``"all": "mandatory"`` (or ``{"enforcementLevel": "mandatory"}``; ``remediate`` counts as mandatory, as
the engine reports it). Such a stack may leave nothing to the machine that deploys it: ``aws:region``
must be in its configuration, never taken from ``$AWS_REGION`` or guessed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

POLICY_CONFIG_DIR = Path(__file__).resolve().parent.parent.parent / "policies" / "config"
_BLOCKING_LEVELS = frozenset({"mandatory", "remediate"})


def enforces_all_policies(pack_config: Mapping[str, Any]) -> bool:
    """Whether a pack configuration makes every policy blocking (``all`` is mandatory or remediate)."""
    entry = pack_config.get("all")
    level = entry.get("enforcementLevel") if isinstance(entry, Mapping) else entry
    return level in _BLOCKING_LEVELS


def is_production(stack: str, directory: Path = POLICY_CONFIG_DIR) -> bool:
    """Whether ``stack`` is a production stack; ``ValueError`` when its policy configuration cannot be read."""
    path = directory / f"{stack}.json"
    if not path.is_file():
        return False
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"not valid UTF-8 text (byte {error.start})") from None
    except (OSError, RecursionError) as error:
        raise ValueError(f"cannot be read ({type(error).__name__})") from None
    return isinstance(loaded, Mapping) and enforces_all_policies(loaded)
