"""AWS region codes: only the regions the pinned AWS provider knows (``aws_regions.py``), never a pattern."""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import AfterValidator

from ._base import Allowed
from .aws_regions import REGIONS
from .text import non_ascii


class InStackPartition:
    """Annotation metadata: the region must be in the stack's own partition (checked across sections)."""


IN_STACK_PARTITION = InStackPartition()


def region_problem(value: str) -> str | None:
    """Why ``value`` is not a region code the AWS provider knows (None when it is)."""
    if value in REGIONS:
        return None
    if (where := non_ascii(value)) is not None:
        return f"{where}: an AWS region code is ASCII letters, digits and '-', such as us-east-1 or eu-central-1"
    near = sorted(difflib.get_close_matches(value, list(REGIONS), n=3, cutoff=0.8)) if value.isascii() else []
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    return f"must be an AWS region code such as us-east-1 or eu-central-1 (one the AWS provider knows){hint}"


def _region(value: str) -> str:
    if (problem := region_problem(value)) is not None:
        raise ValueError(problem)
    return value


AwsRegion = Annotated[
    str,
    AfterValidator(_region),
    IN_STACK_PARTITION,
    Allowed("an AWS region code the AWS provider knows, in the stack's partition"),
]
"""A region code from the generated list (``us-east-1``); full-width digits or a made-up region are refused."""
