"""Container image keys: one grammar (the distribution reference grammar) for every image the stack runs.

The parser is shared with the policy pack (``policies/rules/_image_reference.py``) so the config and
``nim-images-pinned`` agree on every reference: NIM images, the collector, the DCGM exporter and the
NVIDIA device plugin all take a tag, a digest or both, and none may float on ``latest``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from policies.rules._image_reference import digest_problem, pin_problem, repository_problem

from ._base import Allowed


def _pinned(value: str) -> str:
    if (problem := pin_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _repository(value: str) -> str:
    if (problem := repository_problem(value)) is not None:
        raise ValueError(problem)
    return value


def _digest(value: str) -> str:
    if (problem := digest_problem(value)) is not None:
        raise ValueError(f"must be an image digest the kubelet can verify; {problem}")
    return value


PinnedImage = Annotated[
    str,
    AfterValidator(_pinned),
    Allowed(
        "image reference (distribution grammar: lower-case repository path) with a version tag (not `latest` in any "
        "letter case), a digest (`@sha256:…`), or both"
    ),
]
"""``<registry>/<repository>:<tag>``, ``...@sha256:<digest>`` or ``...:<tag>@sha256:<digest>``."""
ImageRepository = Annotated[
    str, AfterValidator(_repository), Allowed("image repository (distribution grammar), without tag or digest")
]
ImageDigest = Annotated[
    str, AfterValidator(_digest), Allowed("`sha256:` and 64 lower-case hex digits (or sha384, sha512)")
]
