"""Tags applied to every taggable AWS resource of the stack."""

from __future__ import annotations

from collections.abc import Mapping


def aws_tags(base: Mapping[str, str], stack: str, component: str) -> dict[str, str]:
    """The stack's configured tags plus provenance tags naming the stack and component."""
    return {
        **dict(base),
        "managed-by": "pulumi",
        "ai-observability:stack": stack,
        "ai-observability:component": component,
    }
