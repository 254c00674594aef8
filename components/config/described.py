"""Validators that carry their rule in words, for the generated configuration reference."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import AfterValidator


def described(check: Callable[[str], str], text: str) -> AfterValidator:
    """``AfterValidator(check)``; ``tools.config_docs`` states the rule as ``text`` where the key is described."""
    setattr(check, "rule_text", text)  # noqa: B010 (a function attribute read by the docs generator)
    return AfterValidator(check)
