"""How a secret travels in a property map between the Pulumi engine and a program or provider.

The engine wraps a secret value as ``{SECRET_SIG_KEY: SECRET_SIG, "value": <plain value>}``.
The two markers are the Pulumi Python SDK's own (``pulumi.runtime.rpc``); this module is the one
place the program, its dynamic providers and the offline plan read them from. The policy pack
reads the same markers from its own SDK (``pulumi_policy.deserialize``) to stay standalone.
"""

from __future__ import annotations

from typing import Any, Final

from pulumi.runtime import rpc

SECRET_SIG_KEY: Final[str] = rpc._special_sig_key
SECRET_SIG: Final[str] = rpc._special_secret_sig


def is_secret_wrapper(value: Any) -> bool:
    """Whether ``value`` is the engine's wrapper of a secret."""
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def secret_wrapper(value: Any) -> dict[str, Any]:
    """``value`` wrapped as the engine sends a secret."""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}
