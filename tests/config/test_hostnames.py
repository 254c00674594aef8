"""Rules: host names are ASCII (IDNA only as typed punycode), and both Dynatrace URLs name one tenant.

Host names: LDH labels of 1-63, at most 253 characters, an ``xn--`` label must be valid punycode,
no all-numeric last label (IP addresses aside), one trailing dot legal. A look-alike letter of
another script (a Cyrillic ``а`` in ``dynatrace.com``) is refused and named by its code point.

Tenancy: ``platformUrl`` is the SaaS platform host of ``environmentUrl``'s environment id and
family, or a custom host confirmed by ``customPlatformHost``; it is derived only from a SaaS URL,
so a Managed ``/e/<id>`` path never ends up in a platform URL.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.dynatrace import SAAS_FAMILIES, DynatraceConfig
from components.config.hostname import hostname_problem
from tests.config.typed_config import changed, issues, parse, set_at

ENV_ID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=3, max_size=12)
# Letters that render like Latin ones (Unicode confusables: Cyrillic, Greek, full-width, Armenian, ...).
CONFUSABLES: dict[str, str] = {
    "a": "\u0430\u03b1\uff41",
    "c": "\u0441\u03f2\uff43",
    "e": "\u0435\u03b5\uff45",
    "i": "\u0456\u03b9\uff49",
    "n": "\u0578\uff4e",
    "o": "\u043e\u03bf\u0585\uff4f",
    "r": "\u0433\uff52",
    "t": "\u0442\uff54",
    "y": "\u0443\u03b3\uff59",
    "d": "\u0501\uff44",
}
SETTINGS = settings(max_examples=80, deadline=None)


def dynatrace(**values: Any) -> list[str]:
    """The problems of a ``dynatrace`` section (empty when valid), as ``key: message``."""
    raw = changed("dev", lambda r: set_at(r, "dynatrace", (), values))
    return [f"{i.path.rsplit('.', 1)[-1]}: {i.message}" for i in issues(raw) if "dynatrace" in i.path]


# --- host names -------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_a_look_alike_letter_in_a_dynatrace_host_is_refused_and_named(data: st.DataObject) -> None:
    host = "abc12345.live.dynatrace.com"
    spots = [i for i, c in enumerate(host) if c in CONFUSABLES]
    at = data.draw(st.sampled_from(spots))
    fake = data.draw(st.sampled_from(list(CONFUSABLES[host[at]])))
    spoofed = host[:at] + fake + host[at + 1 :]
    found = dynatrace(environmentUrl=f"https://{spoofed}")
    assert any(f"U+{ord(fake):04X}" in problem for problem in found), found


@SETTINGS
@given(
    letter=st.characters(categories=("L", "N", "M", "S", "Zs")).filter(lambda c: not c.isascii()), at=st.integers(0, 10)
)
def test_any_non_ascii_character_in_a_host_is_refused(letter: str, at: int) -> None:
    host = "dt.corp.example.com"
    at = min(at, len(host))
    assert hostname_problem(host[:at] + letter + host[at:]) is not None


@SETTINGS
@given(label=st.text(alphabet=st.characters(categories=("Ll", "Lo")), min_size=1, max_size=12))
def test_punycode_typed_on_purpose_is_accepted(label: str) -> None:
    try:
        encoded = label.encode("idna").decode("ascii")
    except UnicodeError:
        return  # not a valid IDNA label (e.g. mixed directionality): nothing to type
    if not encoded.startswith("xn--"):
        return  # an ASCII-only label
    assert hostname_problem(f"{encoded}.example.com") is None
    assert not dynatrace(
        environmentUrl=f"https://{encoded}.example.com/e/abc12345", platformUrl="https://abc12345.apps.dynatrace.com"
    )


@pytest.mark.parametrize(
    "host",
    [
        "abc12345.live.dynatrace.com.",  # trailing dot: fully qualified
        "ABC12345.Live.Dynatrace.COM",  # case-insensitive
        "xn--mnchen-3ya.example",  # münchen.example, typed as punycode
        "a-b.c-d.example",
        "10.1.2.3",
        "::1",
        f"{'a' * 63}.example.com",
    ],
)
def test_legitimate_host_names_pass(host: str) -> None:
    assert hostname_problem(host) is None


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("dyn\u0430trace.com", "U+0430 (CYRILLIC SMALL LETTER A)"),
        ("münchen.example", "U+00FC"),
        ("xn--zz.example", "not valid IDNA punycode"),
        ("xn--abc.example", "IDNA"),
        ("-abc.example.com", "not a host name label"),
        ("abc-.example.com", "not a host name label"),
        ("under_score.example.com", "not a host name label"),
        ("a..b.example", "not a host name label"),
        (f"{'a' * 64}.example.com", "not a host name label"),
        (".".join(["a" * 60] * 5), "1-253"),
        ("host.123", "all-numeric"),
        ("localhost", "fully-qualified"),
        ("１２３.example", "U+FF11"),
    ],
)
def test_malformed_host_names_are_refused(host: str, says: str) -> None:
    problem = hostname_problem(host)
    assert problem is not None
    assert says in problem


def test_host_names_are_normalized() -> None:
    config = DynatraceConfig.model_validate({"environmentUrl": "https://ABC12345.Live.Dynatrace.Com./"})
    assert config.environment_url == "https://abc12345.live.dynatrace.com"
    assert config.platform == "https://abc12345.apps.dynatrace.com"


@pytest.mark.parametrize("port", ["0", "65536", "１２", "+443"])
def test_ports_are_1_to_65535_in_ascii(port: str) -> None:
    assert dynatrace(environmentUrl=f"https://abc12345.live.dynatrace.com:{port}")


# --- one tenant -------------------------------------------------------------------------------


@SETTINGS
@given(first=ENV_ID, second=ENV_ID, family=st.integers(0, len(SAAS_FAMILIES) - 1))
def test_platform_url_is_the_same_tenant(first: str, second: str, family: int) -> None:
    classic, platform = SAAS_FAMILIES[family]
    found = dynatrace(environmentUrl=f"https://{first}{classic}", platformUrl=f"https://{second}{platform}")
    if first == second:
        assert found == []
    else:
        assert any("same tenant" in problem and "platformUrl" in problem for problem in found), found


@SETTINGS
@given(env_id=ENV_ID, one=st.integers(0, 2), other=st.integers(0, 2))
def test_platform_url_is_the_same_family(env_id: str, one: int, other: int) -> None:
    found = dynatrace(
        environmentUrl=f"https://{env_id}{SAAS_FAMILIES[one][0]}",
        platformUrl=f"https://{env_id}{SAAS_FAMILIES[other][1]}",
    )
    assert (found == []) == (one == other), found


@SETTINGS
@given(env_id=ENV_ID, family=st.integers(0, len(SAAS_FAMILIES) - 1))
def test_the_platform_url_is_derived_for_saas_only(env_id: str, family: int) -> None:
    classic, platform = SAAS_FAMILIES[family]
    config = DynatraceConfig.model_validate({"environmentUrl": f"https://{env_id}{classic}"})
    assert config.platform == f"https://{env_id}{platform}"


@SETTINGS
@given(env_id=ENV_ID, host=st.sampled_from(["dt.live.corp.example", "managed.example.com", "ag.example:9999"]))
def test_a_managed_path_never_leaks_into_the_platform_url(env_id: str, host: str) -> None:
    """``/e/<id>``: no platform URL is guessed (``.live.`` in a Managed host is not SaaS)."""
    found = dynatrace(environmentUrl=f"https://{host}/e/{env_id}")
    assert any("platformUrl: is required" in problem for problem in found), found
    config = DynatraceConfig.model_validate(
        {"environmentUrl": f"https://{host}/e/{env_id}", "platformUrl": f"https://{env_id}.apps.dynatrace.com"}
    )
    assert "/e/" not in config.platform
    assert config.bizevents_ingest_url == f"https://{host}/e/{env_id}/api/v2/bizevents/ingest"


def test_an_activegate_or_managed_url_names_its_tenant_by_path() -> None:
    assert not dynatrace(
        environmentUrl="https://ag.corp.example:9999/e/abc12345", platformUrl="https://abc12345.apps.dynatrace.com"
    )
    found = dynatrace(
        environmentUrl="https://ag.corp.example:9999/e/abc12345", platformUrl="https://xyz98765.apps.dynatrace.com"
    )
    assert any("same tenant" in problem for problem in found)


def test_a_custom_platform_host_must_be_confirmed_exactly() -> None:
    env = "https://abc12345.live.dynatrace.com"
    assert any(
        "customPlatformHost: proxy.corp.example" in p
        for p in dynatrace(environmentUrl=env, platformUrl="https://proxy.corp.example")
    )
    assert not dynatrace(
        environmentUrl=env, platformUrl="https://proxy.corp.example", customPlatformHost="proxy.corp.example"
    )
    assert not dynatrace(
        environmentUrl=env, platformUrl="https://Proxy.Corp.Example.", customPlatformHost="proxy.corp.example"
    )
    assert dynatrace(
        environmentUrl=env, platformUrl="https://proxy.corp.example", customPlatformHost="other.corp.example"
    )
    # Confirming a host that is not used, or a SaaS one, is a mistake too.
    assert dynatrace(environmentUrl=env, customPlatformHost="proxy.corp.example")
    assert dynatrace(
        environmentUrl=env,
        platformUrl="https://abc12345.apps.dynatrace.com",
        customPlatformHost="abc12345.apps.dynatrace.com",
    )


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"environmentUrl": "https://abc12345.apps.dynatrace.com"}, "is a platform host"),
        ({"environmentUrl": "https://abc12345.live.dynatrace.com/e/abc12345"}, "has no /e/<id> path"),
        (
            {
                "environmentUrl": "https://abc12345.live.dynatrace.com",
                "platformUrl": "https://abc12345.apps.dynatrace.com/e/x",
            },
            "without an API or other path",
        ),
    ],
)
def test_urls_of_the_wrong_kind_are_refused(values: dict[str, str], says: str) -> None:
    assert any(says in problem for problem in dynatrace(**values))


def test_the_committed_stacks_derive_their_platform_url() -> None:
    for stack in ("dev", "prod"):
        config = parse(changed(stack, lambda r: None), stack)
        assert config.dynatrace.platform.endswith(".apps.dynatrace.com")
