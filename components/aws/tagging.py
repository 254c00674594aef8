"""Tags applied to every taggable AWS resource of the stack."""

from __future__ import annotations

from collections.abc import Mapping

from components.config.stack import STACK_TAG_KEYS


def aws_tags(base: Mapping[str, str], stack: str, component: str) -> dict[str, str]:
    """The stack's configured tags plus provenance tags (``STACK_TAG_KEYS``: the tool, the stack,
    the component); the configuration cannot set those keys."""
    provenance = dict(zip(STACK_TAG_KEYS, ("pulumi", stack, component), strict=True))
    return {**dict(base), **provenance}
