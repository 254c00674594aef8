"""AWS region codes: only the regions the pinned AWS provider knows (``aws_regions.py``), never a pattern."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator

from ._base import Allowed
from .aws_regions import REGIONS
from .errors import ConfigIssue
from .text import non_ascii, text_problem


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


def region_issues(raw: Mapping[str, Any], env: Mapping[str, str], stack: str, production: bool) -> list[ConfigIssue]:
    """The region names every ARN the stack builds: a malformed one is refused, never shown; a production
    stack names it in its configuration (``components.config.production``)."""
    configured = raw.get("aws:region")
    if production and not (isinstance(configured, str) and configured.strip()):
        return [
            ConfigIssue(
                "aws:region",
                f"is required in a production stack (policies/config/{stack}.json enforces every policy): the region"
                " every ARN names may not depend on $AWS_REGION or a default of the machine that deploys; set it with"
                f" `pulumi config set aws:region <region> --stack {stack}`",
            )
        ]
    for source, value in (
        ("aws:region", raw.get("aws:region")),
        ("AWS_REGION", env.get("AWS_REGION")),
        ("AWS_DEFAULT_REGION", env.get("AWS_DEFAULT_REGION")),
    ):
        if value is None or value == "":
            continue
        text = value if isinstance(value, str) else ""
        problem = text_problem(text) or region_problem(text.strip())
        return [] if problem is None else [ConfigIssue(source, problem)]
    return []


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
