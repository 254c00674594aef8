"""Container image references: the distribution reference grammar, and what "pinned" means.

One parser for the stack config (every image key) and the policy pack (``nim-images-pinned``), so
the two can never disagree. The grammar is the producer's: ``github.com/distribution/reference``
(``reference.go`` grammar comment and ``regexp.go``, commit 0965666), which the kubelet uses
through ``ParseNormalizedNamed``::

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [domain '/'] remote-name
    domain           := host [':' port-number]
    host             := domain-name | IPv4address | \\[ IPv6address \\]
    domain-name      := domain-component ['.' domain-component]*
    domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    port-number      := /[0-9]+/
    path-component   := alpha-numeric [separator alpha-numeric]*
    remote-name      := path-component ['/' path-component]*
    alpha-numeric    := /[a-z0-9]+/
    separator        := /[_.]|__|[-]+/
    tag              := /[\\w][\\w.-]{0,127}/          (Go's \\w is ASCII: [A-Za-z0-9_])
    digest           := algorithm ":" hex             (go-digest v1.0.0: sha256 64, sha384 96,
                                                       sha512 128 lower-case hex digits)

A repository path is at most 255 characters (``RepositoryNameTotalLengthMax``); a first component
is the domain only when it contains ``.`` or ``:`` or is ``localhost`` (``splitDockerDomain``),
so upper case there is a domain and upper case anywhere in the path is refused
(``ErrNameContainsUppercase``). A reference is *pinned* when it has a digest or a tag other than
``latest`` (in any letter case: ``Latest`` is just as mutable and reads as the same thing).

Kept free of third-party imports: the pack runs it under the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_ANCHORED_REPOSITORY = re.compile(rf"^(?:{_DOMAIN}/)?{_REMOTE_NAME}$")
# go-digest v1.0.0 algorithm.go: registered algorithms and their lower-case hex lengths.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
REPOSITORY_MAX = 255
UNPINNED_TAG = "latest"
EXAMPLE = "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"


@dataclass(frozen=True)
class ImageReference:
    domain: str  # "" when the reference names none (Docker Hub)
    path: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        return self.digest is not None or (self.tag is not None and self.tag.lower() != UNPINNED_TAG)


def _name_problem(name: str) -> str:
    """Why the name part (before any tag or digest) breaks the grammar, as specifically as possible."""
    first, slash, rest = name.partition("/")
    path = rest if slash and _looks_like_domain(first) else name
    if path != path.lower():
        return "upper case in the repository path (registries store repositories in lower case)"
    if name.endswith("/"):
        return "a trailing '/' (the repository path ends with a name)"
    if "//" in name:
        return "an empty path component ('//')"
    if ".." in path:
        return "'..' in the repository path (a separator is one '.', one or two '_', or dashes)"
    return "a repository path that is not lower-case components separated by '/'"


def _looks_like_domain(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component != component.lower()


def digest_problem(digest: str) -> str | None:
    """What digests are allowed, when ``digest`` (``<algorithm>:<hex>``) is not one the kubelet can verify."""
    algorithm, _, hex_digits = digest.partition(":")
    length = DIGEST_HEX_LENGTHS.get(algorithm)
    if length is not None and re.fullmatch(rf"[a-f0-9]{{{length}}}", hex_digits):
        return None
    allowed = ", ".join(f"{a} ({n} lower-case hex digits)" for a, n in DIGEST_HEX_LENGTHS.items())
    return f"allowed: {allowed}"


def split_reference(text: str) -> tuple[str, str | None, str | None]:
    """``(name, tag, digest)``: the digest after the ``@``, the tag after the last ``:`` not followed by ``/``."""
    name_tag, at, digest = text.partition("@")
    name, colon, tag = name_tag.rpartition(":")
    if not colon or "/" in tag:
        name, tag = name_tag, ""
        colon = ""
    return name, (tag if colon else None), (digest if at else None)


def parse_image_reference(text: str) -> ImageReference:
    """The parts of ``text``; ``ValueError`` saying which part breaks the grammar."""
    if not text or not text.isascii():
        raise ValueError(f"must be an image reference of ASCII characters, e.g. {EXAMPLE}")
    name, tag, digest = split_reference(text)
    if not _ANCHORED_REPOSITORY.match(name):
        raise ValueError(f"is not an image reference: {_name_problem(name)}; e.g. {EXAMPLE}")
    if tag is not None and not re.fullmatch(_TAG, tag):
        raise ValueError("has a malformed tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with '.' or '-'")
    if digest is not None and (problem := digest_problem(digest)) is not None:
        raise ValueError(f"has a digest the kubelet cannot verify; {problem}")
    first, slash, rest = name.partition("/")
    domain, path = (first, rest) if slash and _looks_like_domain(first) else ("", name)
    if len(path) > REPOSITORY_MAX:
        raise ValueError(f"has a repository path of {len(path)} characters; at most {REPOSITORY_MAX}")
    if not domain and re.fullmatch(r"[a-f0-9]{64}", path):
        raise ValueError("is a 64-hex image id, not a repository name")
    return ImageReference(domain, path, tag, digest)


def pin_problem(text: str) -> str | None:
    """Why ``text`` is not a pinned image reference (None when it is); for config and policy alike."""
    try:
        reference = parse_image_reference(text)
    except ValueError as error:
        return str(error)
    if reference.tag is not None and reference.tag.lower() == UNPINNED_TAG:
        fix = "drop the tag: the digest pins the image" if reference.digest else "pin a version tag or a digest"
        return f"uses the tag {reference.tag!r}, which moves with every release; {fix}"
    if not reference.pinned:
        return "has neither a tag nor a digest (the runtime would pull 'latest'); pin a version tag or a digest"
    return None


def repository_problem(text: str) -> str | None:
    """Why ``text`` is not a repository name (no tag, no digest) of the grammar (None when it is)."""
    if not text.isascii() or not _ANCHORED_REPOSITORY.match(text):
        return f"is not an image repository (tag and digest set apart): {_name_problem(text)}"
    return None
