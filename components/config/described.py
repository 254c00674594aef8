"""Validators that carry their rule in words, for the generated configuration reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import AfterValidator


def described(check: Callable[[str], str], text: str) -> AfterValidator:
    """``AfterValidator(check)``; ``tools.config_docs`` states the rule as ``text`` where the key is described."""
    setattr(check, "rule_text", text)  # noqa: B010 (a function attribute read by the docs generator)
    return AfterValidator(check)


def within(measure: Callable[[str], Any], minimum: str, maximum: str, reason: str) -> AfterValidator:
    """Validator: ``measure(value)`` lies between ``measure(minimum)`` and ``measure(maximum)`` inclusive.

    ``reason`` says why, in the error; the reference states the range as ``minimum–maximum``.
    """
    low, high = measure(minimum), measure(maximum)

    def check(value: str) -> str:
        if not low <= measure(value) <= high:
            raise ValueError(f"must be between {minimum} and {maximum} ({reason})")
        return value

    return described(check, f"{minimum}–{maximum}")
