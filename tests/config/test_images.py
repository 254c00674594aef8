"""Rule: one image grammar for every image key, and the policy pack agrees.

Every image key (``nims[].image``, ``telemetry.dcgmExporter.image``, ``eks.devicePluginImage``,
and the collector's ``imageRepository`` + ``imageVersion`` + ``imageDigest``) follows the
distribution reference grammar (``github.com/distribution/reference``): lower-case repository
path, no ``//``, ``..`` or trailing ``/``; a tag, a digest or both; digests are allowed
everywhere; a ``latest`` tag is refused in any letter case. ``nim-images-pinned`` judges a
deployed NIM image with the same function, so config and policy never disagree.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.registry import all_policies
from policies.rules._image_reference import parse_image_reference, pin_problem
from policies.rules._support import Outcome
from tests.config.typed_config import changed, issues, path_of, set_at
from tests.policies.policy_samples import NIM_DEPLOYMENT, resource_args, with_

DIGEST = "sha256:" + "0123456789abcdef" * 4
# (stack, section, location) of every key that holds a whole image reference.
IMAGE_KEYS = [
    ("dev", "nims", (0, "image")),
    ("dev", "telemetry", ("dcgmExporter", "image")),
    ("prod", "eks", ("devicePluginImage",)),
]
POLICY = next(p for p in all_policies() if p.name == "nim-images-pinned")
SETTINGS = settings(max_examples=80, deadline=None)

_ALNUM = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_SEPARATOR = st.sampled_from([".", "_", "__", "-", "--"])
PATH_COMPONENT = st.builds(
    lambda first, rest: first + "".join(sep + part for sep, part in rest),
    _ALNUM,
    st.lists(st.tuples(_SEPARATOR, _ALNUM), max_size=2),
)
DOMAIN = st.one_of(
    st.sampled_from(["nvcr.io", "ghcr.io", "public.ecr.aws", "localhost", "registry.corp.example:5000", "[::1]:5000"]),
    st.builds(lambda a, b: f"{a}.{b}", _ALNUM, st.sampled_from(["io", "example", "com"])),
)
TAG = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True).filter(lambda t: t.lower() != "latest")


@st.composite
def references(draw: st.DrawFn) -> str:
    """A pinned reference of the grammar: optional domain, 1-3 path components, a tag and/or a digest."""
    domain = draw(st.none() | DOMAIN)
    path = "/".join(draw(st.lists(PATH_COMPONENT, min_size=1, max_size=3)))
    tag, digest = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    name = f"{domain}/{path}" if domain else path
    return name + (f":{draw(TAG)}" if tag else "") + (f"@{DIGEST}" if digest else "")


def image_problems(stack: str, key: str, loc: tuple[str | int, ...], image: str) -> list[str]:
    return [
        i.message
        for i in issues(changed(stack, lambda raw: set_at(raw, key, loc, image)), stack)
        if i.path == path_of(key, loc)
    ]


def policy_outcome(image: str) -> Outcome:
    """The verdict of ``nim-images-pinned`` on a NIM pod with a sidecar running ``image`` (every container counts)."""
    containers = NIM_DEPLOYMENT["spec"]["template"]["spec"]["containers"]
    pod = with_(NIM_DEPLOYMENT, "spec.template.spec.containers", [*containers, {"name": "sidecar", "image": image}])
    return POLICY.check(resource_args("kubernetes:apps/v1:Deployment", pod)).outcome


@SETTINGS
@given(reference=references(), slot=st.sampled_from(IMAGE_KEYS))
def test_pinned_references_of_the_grammar_are_accepted_by_every_image_key(
    reference: str, slot: tuple[str, str, tuple[str | int, ...]]
) -> None:
    assert image_problems(*slot, reference) == []
    assert policy_outcome(reference) is Outcome.COMPLIANT


@SETTINGS
@given(
    case=st.sampled_from(["latest", "LATEST", "Latest", "lAtEsT", "laTEST"]),
    digest=st.booleans(),
    slot=st.sampled_from(IMAGE_KEYS),
)
def test_a_latest_tag_is_refused_in_any_letter_case(
    case: str, digest: bool, slot: tuple[str, str, tuple[str | int, ...]]
) -> None:
    image = f"nvcr.io/nim/meta/llama-3.1-8b-instruct:{case}" + (f"@{DIGEST}" if digest else "")
    problems = image_problems(*slot, image)
    assert any(f"tag {case!r}" in p for p in problems), problems
    assert policy_outcome(image) is Outcome.NON_COMPLIANT


@SETTINGS
@given(reference=references(), data=st.data())
def test_upper_case_in_the_repository_path_is_refused(reference: str, data: st.DataObject) -> None:
    parsed = parse_image_reference(reference)
    at = data.draw(st.sampled_from([i for i, c in enumerate(parsed.path) if c.isalpha()] or [0]))
    if not parsed.path[at].isalpha():
        return
    path = parsed.path[:at] + parsed.path[at].upper() + parsed.path[at + 1 :]
    bad = (f"{parsed.domain}/" if parsed.domain else "nvcr.io/") + path + ":1.0"
    problem = pin_problem(bad)
    assert problem is not None
    assert "upper case" in problem
    assert image_problems("dev", "nims", (0, "image"), bad)
    assert policy_outcome(bad) is Outcome.NON_COMPLIANT


@pytest.mark.parametrize(
    ("image", "says"),
    [
        ("nvcr.io/nim//llama:1.0", "'//'"),
        ("nvcr.io/nim/llama/:1.0", "trailing '/'"),
        ("nvcr.io/nim/../llama:1.0", "'..'"),
        ("nvcr.io/nim/a..b:1.0", "'..'"),
        ("nvcr.io/Nim/llama:1.0", "upper case"),
        ("nvcr.io/nim/llama", "neither a tag nor a digest"),
        ("nvcr.io/nim/llama:", "malformed tag"),
        ("nvcr.io/nim/llama:.1", "malformed tag"),
        ("nvcr.io/nim/llama@sha256:abc", "digest"),
        ("nvcr.io/nim/llama@sha256:" + "A" * 64, "lower-case hex"),
        ("nvcr.io/nim/llama@md5:" + "a" * 32, "digest"),
        ("nvcr.io/nim/llama:１.0", "ASCII"),
        ("nvcr io/nim/llama:1.0", "not an image reference"),
        ("nvcr.io/nim/llama:1.0 x", "malformed tag"),
        ("0123456789abcdef" * 4 + ":1", "64-hex image id"),
    ],
)
def test_malformed_references_are_refused_by_config_and_policy(image: str, says: str) -> None:
    for slot in IMAGE_KEYS:
        problems = image_problems(*slot, image)
        assert any(says in p for p in problems), (slot, problems)
    assert policy_outcome(image) is Outcome.NON_COMPLIANT


@pytest.mark.parametrize(
    "image",
    [
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6",
        f"nvcr.io/nim/meta/llama-3.1-8b-instruct@{DIGEST}",
        f"nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6@{DIGEST}",
        "nvcr.io/nvidia/k8s/dcgm-exporter:4.6.1-4.8.4-distroless",
        "Registry.Corp.Example:5000/mirror/nim__x--y:V1",  # upper case in the domain and the tag is legal
        "ubuntu:22.04",  # a Docker Hub short name
        "localhost/nim:1",
    ],
)
def test_legitimate_neighbours_pass_everywhere(image: str) -> None:
    for slot in IMAGE_KEYS:
        assert image_problems(*slot, image) == [], slot
    assert policy_outcome(image) is Outcome.COMPLIANT


def test_the_collector_image_takes_a_digest_and_the_same_grammar() -> None:
    raw = changed("prod", lambda r: set_at(r, "collector", ("imageDigest",), DIGEST))
    from tests.config.typed_config import parse

    config = parse(raw, "prod")
    assert config.collector.image.endswith(f":0.54.0@{DIGEST}")
    assert pin_problem(config.collector.image) is None
    for key, value, says in [
        ("imageDigest", "sha256:abc", "image digest"),
        ("imageRepository", "ghcr.io/Dynatrace/collector", "upper case"),
        ("imageRepository", "ghcr.io/dynatrace//collector", "'//'"),
        ("imageRepository", "ghcr.io/dynatrace/collector:0.54.0", "tag and digest set apart"),
        ("imageVersion", "latest", "pattern"),
    ]:
        raw = changed("prod", lambda r, k=key, v=value: set_at(r, "collector", (k,), v))
        problems = [i.message for i in issues(raw, "prod")]
        assert any(says in p for p in problems), (key, problems)
