"""Bad configurations fail with the full key path, the bad value (never a secret) and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from tests.conftest import stack_file

NS = "ai-observability"
DELETE = object()


def mutate(raw: dict[str, Any], key: str, path: str, value: Any) -> None:
    """Set ``raw[ns:key]<path>`` (dotted, ``[i]`` for lists) to ``value`` (or delete it)."""
    full = f"{NS}:{key}"
    if not path:
        if value is DELETE:
            raw.pop(full, None)
        else:
            raw[full] = value
        return
    node = raw.setdefault(full, {})
    parts = path.replace("[", ".[").split(".")
    parts = [p for p in parts if p]
    for part in parts[:-1]:
        node = node[int(part[1:-1])] if part.startswith("[") else node.setdefault(part, {})
    last = parts[-1]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    elif value is DELETE:
        node.pop(last, None)
    else:
        node[last] = value


# (id, stack, top-level key, path inside it, bad value, expected key path, expected text in the message)
CASES: list[tuple[str, str, str, str, Any, str, str]] = [
    (
        "url-http",
        "dev",
        "dynatrace",
        "environmentUrl",
        "http://abc12345.live.dynatrace.com",
        "dynatrace.environmentUrl",
        "https://",
    ),
    ("url-garbage", "dev", "dynatrace", "environmentUrl", "not a url", "dynatrace.environmentUrl", "https://"),
    ("url-empty", "dev", "dynatrace", "environmentUrl", "", "dynatrace.environmentUrl", "https://"),
    (
        "platform-ftp",
        "dev",
        "dynatrace",
        "platformUrl",
        "ftp://abc.apps.dynatrace.com",
        "dynatrace.platformUrl",
        "https://",
    ),
    (
        "platform-underivable",
        "dev",
        "dynatrace",
        "environmentUrl",
        "https://dynatrace.example.com/e/abc",
        "dynatrace.platformUrl",
        "derive",
    ),
    (
        "dynatrace-unknown-key",
        "dev",
        "dynatrace",
        "envUrl",
        "https://x.live.dynatrace.com",
        "dynatrace.envUrl",
        "environmentUrl",
    ),
    ("dynatrace-missing", "dev", "dynatrace", "", DELETE, "dynatrace", "required"),
    ("unknown-top-level", "dev", "governence", "", {"bucket": {}}, "governence", "governance"),
    (
        "retention-zero",
        "dev",
        "governance",
        "bucket.retentionDays",
        0,
        "governance.bucket.retentionDays",
        "greater than or equal to 1",
    ),
    (
        "retention-too-long",
        "prod",
        "governance",
        "bucket.retentionDays",
        4000,
        "governance.bucket.retentionDays",
        "3657",
    ),
    (
        "retention-type",
        "dev",
        "governance",
        "bucket.retentionDays",
        "five years",
        "governance.bucket.retentionDays",
        "'five years'",
    ),
    ("bucket-reserved-prefix", "dev", "governance", "bucket.name", "dt_events", "governance.bucket.name", "dt_"),
    ("bucket-malformed", "dev", "governance", "bucket.name", "GenAI Events", "governance.bucket.name", "a-z"),
    ("bucket-table", "dev", "governance", "bucket.table", "metrics", "governance.bucket.table", "bizevents"),
    ("bucket-unknown-key", "dev", "governance", "bucket.retention", 30, "governance.bucket.retention", "retentionDays"),
    (
        "pipeline-reserved",
        "dev",
        "governance",
        "pipeline.customId",
        "dt.pipeline",
        "governance.pipeline.customId",
        "dt.",
    ),
    (
        "route-position",
        "dev",
        "governance",
        "route.position",
        -1,
        "governance.route.position",
        "greater than or equal to 0",
    ),
    (
        "token-scope",
        "dev",
        "governance",
        "ingestToken.scopes",
        ["settings.write"],
        "governance.ingestToken.scopes",
        "bizevents.ingest",
    ),
    (
        "token-expiry",
        "dev",
        "governance",
        "ingestToken.expiresInDays",
        0,
        "governance.ingestToken.expiresInDays",
        "greater than or equal to 1",
    ),
    (
        "token-rotation-window",
        "dev",
        "governance",
        "ingestToken.rotateBeforeDays",
        90,
        "governance.ingestToken.rotateBeforeDays",
        "smaller than expiresInDays (90)",
    ),
    (
        "token-rotation-zero",
        "prod",
        "governance",
        "ingestToken.rotateBeforeDays",
        0,
        "governance.ingestToken.rotateBeforeDays",
        "greater than or equal to 1",
    ),
    ("rate-limit-zero", "dev", "eventForwarding", "rateLimitPerSecond", 0, "eventForwarding.rateLimitPerSecond", "1"),
    (
        "retry-attempts",
        "prod",
        "eventForwarding",
        "retry.maximumRetryAttempts",
        200,
        "eventForwarding.retry.maximumRetryAttempts",
        "185",
    ),
    (
        "retry-age",
        "dev",
        "eventForwarding",
        "retry.maximumEventAgeSeconds",
        30,
        "eventForwarding.retry.maximumEventAgeSeconds",
        "60",
    ),
    (
        "trail-undeclared",
        "prod",
        "eventForwarding",
        "trail.existingTrailArn",
        DELETE,
        "eventForwarding.trail.existingTrailArn",
        "required",
    ),
    (
        "inference-operation",
        "dev",
        "eventForwarding",
        "operations",
        ["CreateGuardrail", "InvokeModel"],
        "eventForwarding.operations",
        "InvokeModel",
    ),
    (
        "sns-arn",
        "prod",
        "eventForwarding",
        "alarms.snsTopicArn",
        "platform-oncall",
        "eventForwarding.alarms.snsTopicArn",
        "ARN",
    ),
    (
        "log-retention",
        "dev",
        "guardrails",
        "invocationLogging.retentionDays",
        30,
        "guardrails.invocationLogging.retentionDays",
        "365",
    ),
    ("eks-name-empty", "dev", "eks", "clusterName", "", "eks.clusterName", "pattern"),
    ("eks-create-no-subnets", "prod", "eks", "subnetIds", [], "eks.subnetIds", "two subnets"),
    ("eks-subnet-malformed", "prod", "eks", "subnetIds", ["subnet-1", "subnet-2"], "eks.subnetIds", "subnet-1"),
    (
        "ami-al2",
        "dev",
        "gpuNodeGroups",
        "[0].amiType",
        "AL2_x86_64_GPU",
        "gpuNodeGroups[0].amiType",
        "AL2023_x86_64_NVIDIA",
    ),
    ("disk-small", "dev", "gpuNodeGroups", "[0].diskSizeGib", 20, "gpuNodeGroups[0].diskSizeGib", "100"),
    (
        "scaling-order",
        "prod",
        "gpuNodeGroups",
        "[1].scaling.desiredSize",
        9,
        "gpuNodeGroups[1].scaling.desiredSize",
        "maxSize",
    ),
    ("node-groups-not-list", "dev", "gpuNodeGroups", "", {"name": "gpu"}, "gpuNodeGroups", "list"),
    (
        "nim-latest",
        "dev",
        "nims",
        "[0].image",
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest",
        "nims[0].image",
        "latest",
    ),
    ("nim-node-group", "prod", "nims", "[1].nodeGroup", "gpu-h100", "nims[1].nodeGroup", "gpu-l4"),
    ("nim-gpus-zero", "dev", "nims", "[0].gpus", 0, "nims[0].gpus", "1"),
    ("nim-name-malformed", "dev", "nims", "[0].name", "Llama_3", "nims[0].name", "DNS-1035 label"),
    ("staleness", "dev", "collector", "maxStaleness", "10s", "collector.maxStaleness", "scrapeInterval"),
    ("scrape-interval", "dev", "collector", "scrapeInterval", "30 seconds", "collector.scrapeInterval", "pattern"),
    ("kong-port", "dev", "kong", "port", 70000, "kong.port", "65535"),
    ("tag-type", "dev", "tags", "environment", 5, "tags.environment", "string"),
]


@pytest.mark.parametrize(
    ("stack", "key", "path", "value", "expected_path", "expected_text"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_value_names_full_key_path(
    stack: str, key: str, path: str, value: Any, expected_path: str, expected_text: str, fake_env: dict[str, str]
) -> None:
    raw = stack_file(stack)
    parse_stack_config(raw, fake_env, stack)  # the committed file itself is valid
    mutate(raw, key, path, value)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, fake_env, stack)
    message = str(caught.value)
    full = f"{NS}:{expected_path}"
    lines = [line for line in message.splitlines() if line.strip().startswith(f"- {full}:")]
    assert lines, f"no problem reported at {full}:\n{message}"
    assert any(expected_text in line for line in lines), message


def test_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_every_problem_is_reported_at_once(fake_env: dict[str, str]) -> None:
    raw = stack_file("dev")
    mutate(raw, "governance", "bucket.retentionDays", 0)
    mutate(raw, "collector", "scrapeInterval", "soon")
    mutate(raw, "kong", "port", 0)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, fake_env)
    paths = {issue.path for issue in caught.value.issues}
    assert {f"{NS}:governance.bucket.retentionDays", f"{NS}:collector.scrapeInterval", f"{NS}:kong.port"} <= paths


def test_malformed_secret_is_named_but_never_shown(fake_env: dict[str, str]) -> None:
    raw = stack_file("dev")
    leaked = "dt0c01.NOTVALID.super-secret-value-123"
    raw[f"{NS}:dynatraceApiToken"] = leaked
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, fake_env)
    message = str(caught.value)
    assert f"{NS}:dynatraceApiToken" in message
    assert "dt0c01." in message  # the expected shape is explained...
    assert leaked not in message
    assert "super-secret" not in message


def test_malformed_env_secret_names_the_variable(fake_env: dict[str, str]) -> None:
    env = {**fake_env, "DT_PLATFORM_TOKEN": "has whitespace inside"}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(stack_file("dev"), env)
    message = str(caught.value)
    assert f"{NS}:dynatracePlatformToken (from $DT_PLATFORM_TOKEN)" in message
    assert "has whitespace inside" not in message


@pytest.mark.parametrize(
    ("stack", "needed"),
    [
        # prod: the classic token and, without an OAuth client, the platform token.
        ("prod", (("dynatraceApiToken", "DT_API_TOKEN"), ("dynatracePlatformToken", "DT_PLATFORM_TOKEN"))),
        # dev manages access, which needs an OAuth client; the client then serves the platform calls too.
        (
            "dev",
            (
                ("dynatraceApiToken", "DT_API_TOKEN"),
                ("dynatraceOAuthClientId", "DT_CLIENT_ID"),
                ("dynatraceOAuthClientSecret", "DT_CLIENT_SECRET"),
            ),
        ),
    ],
)
def test_missing_secrets_are_required_with_remedy(stack: str, needed: tuple[tuple[str, str], ...]) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(stack_file(stack), {})
    message = str(caught.value)
    for key, env in needed:
        assert f"{NS}:{key}: is required" in message
        assert f"pulumi config set --secret {key}" in message
        assert env in message
    if stack == "dev":
        assert f"{NS}:dynatracePlatformToken" not in message


def test_secrets_are_pulumi_secrets(fake_env: dict[str, str]) -> None:
    config = parse_stack_config(stack_file("dev"), fake_env)
    assert "dynatraceApiToken" in repr(config.secrets)
    assert fake_env["DT_API_TOKEN"] not in repr(config)
    assert fake_env["DT_API_TOKEN"] not in str(config)


def test_json_text_values_are_accepted_like_the_engine_passes_them(fake_env: dict[str, str]) -> None:
    raw = {f"{NS}:dynatrace": '{"environmentUrl": "https://abc12345.live.dynatrace.com/"}'}
    config = parse_stack_config(raw, fake_env)
    assert config.dynatrace.environment_url == "https://abc12345.live.dynatrace.com"
    assert config.dynatrace.platform == "https://abc12345.apps.dynatrace.com"
    assert config.governance.bucket.retention_days == 1825  # the seed's defaults
    assert config.governance.route_matcher == 'matchesValue(event.type,"gen_ai.auditing")'


def test_rotation_needs_an_expiring_token(fake_env: dict[str, str]) -> None:
    raw = stack_file("prod")
    mutate(raw, "governance", "ingestToken.expiresInDays", None)
    mutate(raw, "governance", "ingestToken.rotateBeforeDays", 30)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, fake_env, "prod")
    [issue] = caught.value.issues
    assert issue.path == f"{NS}:governance.ingestToken.rotateBeforeDays"
    assert "expiresInDays (1-3650)" in issue.message


@pytest.mark.parametrize(
    ("expires", "rotate", "window"), [(365, None, 30), (90, None, 30), (12, None, 4), (2, None, 0), (90, 60, 60)]
)
def test_rotation_window_default_fits_inside_the_lifetime(
    expires: int, rotate: int | None, window: int, fake_env: dict[str, str]
) -> None:
    raw = stack_file("dev")
    mutate(raw, "governance", "ingestToken.expiresInDays", expires)
    mutate(raw, "governance", "ingestToken.rotateBeforeDays", DELETE if rotate is None else rotate)
    token = parse_stack_config(raw, fake_env).governance.ingest_token
    assert token.rotation_days == window
