"""Kubernetes resource quantities (``500m``, ``2``, ``1.5``, ``1Gi``, ``1G``, ``1e3``), parsed exactly.

Grammar as the API server accepts it (k8s.io/apimachinery ``resource.Quantity``):
``<number><suffix>`` where the number is a non-negative decimal and the suffix is a binary SI
unit (``Ki Mi Gi Ti Pi Ei``), a decimal SI unit (``n u m "" k M G T P E``) or a decimal
exponent (``e3``, ``E-2``). Values are compared as exact fractions, never floats.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated

from pydantic import AfterValidator

from ._base import Within, within

_QUANTITY = re.compile(
    r"^\+?(?P<number>[0-9]+(\.[0-9]*)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
CPU_EXAMPLES = "500m, 2, 1.5"
MEMORY_EXAMPLES = "512Mi, 16Gi, 1G"


def parse_quantity(text: str) -> Fraction:
    """The exact value of a Kubernetes quantity; ``ValueError`` when it is not one."""
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    value = Fraction(match.group("number"))
    suffix = match.group("suffix") or ""
    if suffix in _BINARY:
        return value * _BINARY[suffix]
    if suffix in _DECIMAL:
        return value * _DECIMAL[suffix]
    exponent = int(suffix[1:])
    if abs(exponent) > 30:
        raise ValueError(f"{text!r}: exponent out of range")
    return value * Fraction(10) ** exponent


def _cpu(text: str) -> str:
    try:
        value = parse_quantity(text)
    except ValueError:
        raise ValueError(f"must be a CPU quantity such as {CPU_EXAMPLES} (cores; m = millicores)") from None
    if value < Fraction(1, 1000):
        raise ValueError(f"must be at least 1m (one millicore); allowed: {CPU_EXAMPLES}")
    return text


def _memory(text: str) -> str:
    try:
        value = parse_quantity(text)
    except ValueError:
        raise ValueError(f"must be a memory quantity such as {MEMORY_EXAMPLES} (bytes; Ki/Mi/Gi binary)") from None
    if text.endswith("m"):
        raise ValueError(f"'m' means milli-bytes; did you mean {text[:-1]}Mi? allowed: {MEMORY_EXAMPLES}")
    if value < 1024 * 1024:
        raise ValueError(f"must be at least 1Mi; allowed: {MEMORY_EXAMPLES}")
    return text


def memory_range(minimum: str, maximum: str, reason: str) -> Within:
    """Validator for ``Annotated[MemoryQuantity, ...]``: ``minimum`` to ``maximum`` inclusive; ``reason`` says why."""
    return within(parse_quantity, minimum, maximum, reason)


CpuQuantity = Annotated[str, AfterValidator(_cpu)]
"""A CPU request or limit (``500m``, ``2``, ``1.5``)."""
MemoryQuantity = Annotated[str, AfterValidator(_memory)]
"""A memory or storage size (``512Mi``, ``16Gi``, ``1G``)."""


def cores(text: str) -> float:
    return float(parse_quantity(text))


def gib(text: str) -> float:
    return float(parse_quantity(text) / 2**30)
