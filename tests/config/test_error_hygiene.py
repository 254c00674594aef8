"""Error messages never show a secret; key-level checks of the raw configuration."""

from __future__ import annotations

import pytest

from components.config import ConfigError, ConfigIssue, parse_stack_config
from components.config.errors import redact_text, remember_secret
from components.config.pulumi_source import config_key_issues, plaintext_secret_issues
from tests.conftest import stack_file

NS = "ai-observability"


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("got 'https://admin:S3cretValue1@abc.live.dynatrace.com/e/x'", "S3cretValue1"),
        ("see http://tokenonly0000@host/path", "tokenonly0000"),
        ("dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.SECRETSECRETSECRET0000", "SECRETSECRETSECRET0000"),
        ("dt0s16.PLATFORMPUBLIC0000000000.PLATFORMSECRET", "PLATFORMSECRET"),
        ("key nvapi-AbCdEf0123456789_secret", "AbCdEf0123456789_secret"),
        ("Authorization: Api-Token abcdefghijklmnop", "abcdefghijklmnop"),
        ("https://host/api?api-token=qwertyuiop123&x=1", "qwertyuiop123"),
        ("aws AKIAABCDEFGHIJKLMNOP here", "AKIAABCDEFGHIJKLMNOP"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJzdWIiOiIxIn0"),
    ],
)
def test_secret_shapes_are_redacted(text: str, hidden: str) -> None:
    shown = redact_text(text)
    assert hidden not in shown
    assert "[redacted]" in shown


def test_plain_text_is_left_alone() -> None:
    text = "ai-observability:governance.bucket.retentionDays: must be <= 3657 (got 99999); allowed: 1-3657"
    assert redact_text(text) == text
    assert redact_text("https://abc12345.live.dynatrace.com/e/env") == "https://abc12345.live.dynatrace.com/e/env"


def test_remembered_secret_values_never_appear_in_config_errors() -> None:
    remember_secret("an-unshaped-secret-value-42")
    error = ConfigError([ConfigIssue(f"{NS}:dynatrace.environmentUrl", "got 'an-unshaped-secret-value-42'")])
    assert "an-unshaped-secret-value-42" not in str(error)


def test_rejected_url_with_credentials_is_not_echoed() -> None:
    raw = {f"{NS}:dynatrace": {"environmentUrl": "http://me:Hunter2Hunter2@abc12345.live.dynatrace.com"}}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, {})
    assert f"{NS}:dynatrace.environmentUrl" in str(caught.value)
    assert "Hunter2Hunter2" not in str(caught.value)


def test_number_for_a_version_string_suggests_quoting() -> None:
    raw = stack_file("dev")
    raw[f"{NS}:eks"]["version"] = 1.30
    with pytest.raises(ConfigError, match=r'ai-observability:eks\.version: .*1\.3.*quote it as meant, e\.g\. "1\.30"'):
        parse_stack_config(raw, {})


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ai-observabilty:governance", "did you mean ai-observability:governance?"),
        ("ai_observability:nims", "did you mean ai-observability:nims?"),
        ("Ai-Observability:tags", "did you mean ai-observability:tags?"),
        ("governance", "keys have the form <namespace>:<name>"),
        (":governance", "keys have the form <namespace>:<name>"),
    ],
)
def test_key_issues(key: str, expected: str) -> None:
    issues = config_key_issues([key])
    assert len(issues) == 1
    assert issues[0].path == key
    assert expected in issues[0].message


@pytest.mark.parametrize("key", ["aws:region", "kubernetes:context", f"{NS}:governance", "pulumi:template"])
def test_other_namespaces_and_ours_pass(key: str) -> None:
    assert config_key_issues([key]) == []


def test_plaintext_secret_gives_the_command_and_not_the_value() -> None:
    raw = {f"{NS}:ngcApiKey": "nvapi-plaintextvalue000000000000", f"{NS}:dynatraceApiToken": {"secure": "v1:abc"}}
    issues = plaintext_secret_issues(raw, lambda key: isinstance(raw[key], dict), "dev", "Pulumi.dev.yaml")
    assert [issue.path for issue in issues] == [f"{NS}:ngcApiKey"]
    assert "`pulumi config set --secret ngcApiKey --stack dev`" in issues[0].message
    assert "plaintextvalue" not in str(issues[0])
