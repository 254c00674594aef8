"""Reading the Dynatrace governance resources of a stack (Grail buckets and pipelines)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource

from ._support import get, of_kind, text


def pipeline_bucket(props: Mapping[str, Any]) -> str | None:
    """The Grail bucket an OpenPipeline pipeline's storage processor assigns events to."""
    return text(props, "bucket_name")


def bizevents_buckets(resources: Iterable[PolicyResource]) -> set[str]:
    """Names of the stack's Grail buckets that store the ``bizevents`` table."""
    return {
        name
        for bucket in of_kind(resources, "GrailBucket")
        if (name := text(bucket.props, "bucket_name")) is not None and get(bucket.props, "table") == "bizevents"
    }
