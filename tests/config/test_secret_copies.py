"""No configured secret in plain config.

Rule: the stack knows its secret values (each secret key's config value and its environment variable,
and a Dynatrace token's secret part on its own). A plain config value, or a mapping key, holding one of
them — as written, or base64-encoded in the standard or URL-safe alphabet, with or without padding, at
any byte offset of the encoded data — is refused at its key path, without showing it. Tried on
generated secrets, positions and encodings, beside neighbours that must still pass.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import ConfigError, parse_stack_config
from components.config.secrets import base64_forms
from tests.conftest import FAKE_API_TOKEN, FAKE_ENV, FAKE_NGC_KEY, stack_file

NS = "ai-observability"
ENV = dict(FAKE_ENV)
GENERATED = settings(max_examples=60, deadline=None, derandomize=True, database=None)
NGC_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"


def _leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def _path_text(key: str, path: tuple[str | int, ...]) -> str:
    return key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


DEV_LEAVES = [
    (key, path)
    for key, value in stack_file("dev").items()
    if key.startswith(f"{NS}:") and isinstance(value, dict | list)
    for path in _leaves(value)
]


def _place(raw: dict[str, Any], key: str, path: tuple[str | int, ...], text: str) -> None:
    target: Any = raw[key]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = text


def _encode(data: bytes, url_safe: bool, padded: bool) -> str:
    text = (base64.urlsafe_b64encode if url_safe else base64.b64encode)(data).decode()
    return text if padded else text.rstrip("=")


@GENERATED
@given(
    st.text(NGC_ALPHABET, min_size=20, max_size=80),
    st.sampled_from(DEV_LEAVES),
    st.binary(max_size=7),
    st.binary(max_size=7),
    st.sampled_from(["plain", "base64"]),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["env", "config"]),
)
def test_a_secret_copied_into_plain_config_is_refused_at_its_path_unshown(
    secret: str,
    leaf: tuple[str, tuple[str | int, ...]],
    before: bytes,
    after: bytes,
    encoding: str,
    url_safe: bool,
    padded: bool,
    source: str,
) -> None:
    key, path = leaf
    raw = copy.deepcopy(stack_file("dev"))
    env = dict(ENV)
    if source == "env":
        env["NGC_API_KEY"] = secret
    else:
        raw[f"{NS}:ngcApiKey"] = secret
    data = before + secret.encode() + after
    copied = data.decode("latin-1") if encoding == "plain" else _encode(data, url_safe, padded)
    _place(raw, key, path, copied)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, env)
    issues = [i for i in caught.value.issues if i.path == _path_text(key, path)]
    assert issues, caught.value
    assert "the value of ngcApiKey" in issues[0].message
    shown = str(caught.value)
    assert secret not in shown
    assert all(form not in shown for form in base64_forms(secret))


@pytest.mark.parametrize("where", ["tag key", "tag value", "list item", "nested value", "other namespace"])
def test_every_plain_position_is_searched(where: str) -> None:
    raw = copy.deepcopy(stack_file("dev"))
    if where == "tag key":
        raw[f"{NS}:tags"][f"x-{FAKE_NGC_KEY}"] = "v"
        expected = f'{NS}:tags["x-{FAKE_NGC_KEY}"]'
    elif where == "tag value":
        raw[f"{NS}:tags"]["note"] = f"key={FAKE_NGC_KEY}"
        expected = f"{NS}:tags.note"
    elif where == "list item":
        raw[f"{NS}:collector"]["appNamespaces"].append(FAKE_NGC_KEY)
        expected = f"{NS}:collector.appNamespaces[1]"
    elif where == "nested value":
        raw[f"{NS}:guardrails"]["guardrails"][0]["deniedTopics"][0]["examples"][0] = FAKE_NGC_KEY
        expected = f"{NS}:guardrails.guardrails[0].deniedTopics[0].examples[0]"
    else:
        raw["pulumi:tags"] = {"note": FAKE_NGC_KEY}
        expected = "pulumi:tags.note"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV)
    assert any(i.path.startswith(expected.split("[")[0]) and "ngcApiKey" in i.message for i in caught.value.issues)
    assert "0000000000000000000000000" not in str(caught.value)


def test_the_secret_part_of_a_token_is_a_secret_of_its_own() -> None:
    raw = copy.deepcopy(stack_file("dev"))
    raw[f"{NS}:tags"]["note"] = FAKE_API_TOKEN.rsplit(".", 1)[1]
    with pytest.raises(ConfigError, match=r"tags\.note: holds the value of the secret part of dynatraceApiToken"):
        parse_stack_config(raw, ENV)


@pytest.mark.parametrize(
    "neighbour",
    [
        FAKE_API_TOKEN.rsplit(".", 1)[0],  # the token's public id: not a secret
        FAKE_NGC_KEY[:7],  # a short piece
        base64.b64encode(b"platform-team").decode(),  # base64 of something else
        "nvapi-another-key-0000000000000000000000"[:5],
    ],
)
def test_neighbours_that_are_not_the_secret_pass(neighbour: str) -> None:
    raw = copy.deepcopy(stack_file("dev"))
    raw[f"{NS}:tags"]["note"] = neighbour
    assert parse_stack_config(raw, ENV).tags["note"] == neighbour


def test_an_encrypted_section_is_not_plain_and_its_values_are_never_shown() -> None:
    """A key Pulumi marks secret (encrypted in part) is not plain text; its errors show no values."""
    raw = copy.deepcopy(stack_file("dev"))
    raw[f"{NS}:governance"]["bucket"]["name"] = f"Bad Name {FAKE_NGC_KEY}"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, ENV, secret_keys={f"{NS}:governance"})
    assert all("ngcApiKey" not in issue.message for issue in caught.value.issues)
    assert "Bad Name" not in str(caught.value)
