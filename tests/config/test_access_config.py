"""Configuration of access as code and the OAuth client: shapes, pairing, the account, the negative
rule, and which credential serves the platform calls."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from tests.conftest import FAKE_API_TOKEN, FAKE_OAUTH_CLIENT_ID, FAKE_OAUTH_CLIENT_SECRET, FAKE_PLATFORM_TOKEN

NS = "ai-observability"
UUID = "2b794097-8ad2-4b32-b923-0131da2eeddf"
BASE: dict[str, Any] = {
    f"{NS}:dynatrace": {"environmentUrl": "https://abc12345.live.dynatrace.com"},
    f"{NS}:eventForwarding": {"enabled": False},
}
TOKENS = {"DT_API_TOKEN": FAKE_API_TOKEN, "DT_PLATFORM_TOKEN": FAKE_PLATFORM_TOKEN}
OAUTH = {"DT_CLIENT_ID": FAKE_OAUTH_CLIENT_ID, "DT_CLIENT_SECRET": FAKE_OAUTH_CLIENT_SECRET}


def _problems(raw: dict[str, Any], env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, env)
    return str(caught.value)


def test_with_both_credentials_the_oauth_client_serves_the_platform_calls() -> None:
    both = parse_stack_config(BASE, {**TOKENS, **OAUTH})
    assert both.uses_oauth_client
    assert not parse_stack_config(BASE, TOKENS).uses_oauth_client
    # An OAuth client alone is enough for every platform call.
    alone = parse_stack_config(BASE, {"DT_API_TOKEN": FAKE_API_TOKEN, **OAUTH})
    assert alone.uses_oauth_client
    message = _problems(BASE, {"DT_API_TOKEN": FAKE_API_TOKEN})
    assert f"{NS}:dynatracePlatformToken: is required" in message
    assert "unless an OAuth client is configured" in message


@pytest.mark.parametrize(
    ("env", "key", "expected"),
    [
        ({"DT_CLIENT_ID": "dt0s02.abc"}, "dynatraceOAuthClientId", "an OAuth client id dt0s02."),
        ({"DT_CLIENT_ID": FAKE_PLATFORM_TOKEN}, "dynatraceOAuthClientId", "got a platform token (dt0s16.)"),
        ({"DT_CLIENT_SECRET": FAKE_OAUTH_CLIENT_ID}, "dynatraceOAuthClientSecret", "an OAuth client secret dt0s02."),
        ({"DT_PLATFORM_TOKEN": FAKE_OAUTH_CLIENT_SECRET}, "dynatracePlatformToken", "dynatraceOAuthClientSecret"),
    ],
)
def test_credential_shapes_name_the_kind_never_the_value(env: dict[str, str], key: str, expected: str) -> None:
    message = _problems(BASE, {**TOKENS, **OAUTH, **env})
    assert f"{NS}:{key}" in message
    assert expected in message
    for value in env.values():
        assert value not in message


def test_an_oauth_client_is_its_id_and_its_own_secret() -> None:
    message = _problems(BASE, {**TOKENS, "DT_CLIENT_ID": FAKE_OAUTH_CLIENT_ID})
    assert f"{NS}:dynatraceOAuthClientSecret: must be set together with dynatraceOAuthClientId" in message
    other = "dt0s02.OTHERCLI." + "E" * 64
    message = _problems(BASE, {**TOKENS, "DT_CLIENT_ID": FAKE_OAUTH_CLIENT_ID, "DT_CLIENT_SECRET": other})
    assert "belongs to another OAuth client" in message
    assert other not in message
    assert FAKE_OAUTH_CLIENT_ID not in message


def test_access_needs_the_oauth_client_and_the_account() -> None:
    message = _problems({**BASE, f"{NS}:access": {"enabled": True}}, TOKENS)
    for key in ("dynatraceOAuthClientId", "dynatraceOAuthClientSecret", "dynatraceAccountUuid"):
        assert f"{NS}:{key}: is required" in message
    assert "accepts only OAuth clients" in message


@pytest.mark.parametrize("given", [UUID, UUID.upper(), f"urn:dtaccount:{UUID}"])
def test_the_account_uuid_is_accepted_bare_or_as_urn(given: str) -> None:
    raw = {**BASE, f"{NS}:access": {"enabled": True}, f"{NS}:dynatraceAccountUuid": given}
    assert parse_stack_config(raw, {**TOKENS, **OAUTH}).account_uuid == UUID


def test_a_malformed_account_uuid_is_refused() -> None:
    message = _problems({**BASE, f"{NS}:dynatraceAccountUuid": "my-account"}, TOKENS)
    assert f"{NS}:dynatraceAccountUuid" in message
    assert "must be the account's UUID" in message


def _access(access: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {**BASE, f"{NS}:dynatraceAccountUuid": UUID, f"{NS}:access": {"enabled": True, **access}, **top}


def test_access_rules_across_sections() -> None:
    raw = _access(
        {
            "users": {
                "groups": [{"name": "SRE on-call", "existing": True}, {"name": "sre-on-call"}],
                "readBucketPrefixes": ["default_", "gen_"],
            },
            "auditors": {"groups": [{"name": "Security"}, {"name": "Contractors"}]},
            "forbiddenGovernanceReaders": ["CONTRACTORS"],
        }
    )
    message = _problems(raw, {**TOKENS, **OAUTH})
    assert f"{NS}:access.auditors.groups[1].name: 'Contractors' is listed in access.forbiddenGovernanceReaders" in (
        message
    )
    assert f"{NS}:access.users.readBucketPrefixes[1]: 'gen_' matches the governance bucket 'gen_ai_events'" in message
    assert f"{NS}:access.users.groups[1].name: 'sre-on-call' and 'SRE on-call'" in message


def test_access_needs_a_saas_environment_id() -> None:
    raw = _access({})
    raw[f"{NS}:dynatrace"] = {
        "environmentUrl": "https://dynatrace.example.com/e/abc",
        "platformUrl": "https://abc.apps.example.com",
        "customPlatformHost": "abc.apps.example.com",
    }
    assert parse_stack_config(raw, {**TOKENS, **OAUTH}).dynatrace.environment_id == "abc"
    raw[f"{NS}:dynatrace"] = {
        "environmentUrl": "https://dynatrace.example.com",
        "platformUrl": "https://p.example.com",
        "customPlatformHost": "p.example.com",
    }
    assert f"{NS}:access.enabled: needs a Dynatrace SaaS environment URL" in _problems(raw, {**TOKENS, **OAUTH})


def test_a_group_is_created_or_existing_not_both() -> None:
    raw = _access(
        {
            "users": {"groups": [{"name": "Shared", "existing": True}]},
            "auditors": {"groups": [{"name": "Shared"}]},
        }
    )
    assert f"{NS}:access.auditors.groups[0].existing: group 'Shared' is also access.users.groups[0]" in _problems(
        raw, {**TOKENS, **OAUTH}
    )


def test_the_default_groups_carry_the_stack_name() -> None:
    config = parse_stack_config(_access({}), {**TOKENS, **OAUTH}, stack="prod")
    assert [g.name for g in config.access.users.bound_groups(config.stack)] == ["AI Observability users (prod)"]
    assert [g.name for g in config.access.auditors.bound_groups(config.stack)] == ["AI governance auditors (prod)"]
