"""Tags applied to every taggable AWS resource of the stack."""

from __future__ import annotations

from collections.abc import Mapping

# Keys ``aws_tags`` adds to every resource (they override configured tags of the same key).
STACK_TAG_KEYS: tuple[str, ...] = ("managed-by", "ai-observability:stack", "ai-observability:component")
# AWS allows 50 user tags per resource ("Tagging AWS resources", tag naming limits and requirements).
MAX_TAGS_PER_RESOURCE = 50


def aws_tags(base: Mapping[str, str], stack: str, component: str) -> dict[str, str]:
    """The stack's configured tags plus provenance tags naming the stack and component."""
    return {
        **dict(base),
        "managed-by": "pulumi",
        "ai-observability:stack": stack,
        "ai-observability:component": component,
    }
