"""Small helpers shared by the rules (resource kinds, property access)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"


def is_dynamic_kind(args: ResourceValidationArgs, kind: str) -> bool:
    """True for a dynamic resource of this stack whose ``resourceKind`` input is ``kind``.

    Python dynamic resources all share one type token, so the Dynatrace providers echo a
    ``resourceKind`` input (e.g. ``GrailBucket``) that rules can recognise them by.
    """
    return args.resource_type == DYNAMIC_TYPE and args.props.get("resourceKind") == kind
