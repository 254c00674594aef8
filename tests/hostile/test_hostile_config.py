"""Hostile and mistaken stack configurations: each is refused with the full key path, the allowed
values, and never a secret in the message; near misses that are legitimate stay accepted."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from components.config import ConfigError, parse_stack_config
from tests.conftest import FAKE_API_TOKEN, FAKE_ENV, FAKE_NGC_KEY, FAKE_PLATFORM_TOKEN, stack_file

NS = "ai-observability"
ENV = dict(FAKE_ENV)
SECRETS = (FAKE_API_TOKEN, FAKE_PLATFORM_TOKEN, FAKE_NGC_KEY)
# Credential-shaped values that are not the configured secrets (those are refused as copies, see
# tests/config/test_config_reading.py): the shape alone must be refused.
OTHER_TOKEN = "dt0c01." + "OTHERTOKENPUBLIC00000000" + "." + "C" * 64
OTHER_NGC_KEY = "nvapi-other-000000000000000000000000000"
Raw = dict[str, Any]


@dataclass(frozen=True)
class Case:
    id: str
    change: Callable[[Raw], None]
    path: str  # the full key path one issue must name
    says: tuple[str, ...]  # texts the message must contain (the allowed values, the reason)
    stack: str = "dev"


def at(key: str, *path: str | int, value: Any) -> Callable[[Raw], None]:
    """Set ``ai-observability:<key>`` → path → value (creating objects on the way)."""

    def change(raw: Raw) -> None:
        if not path:
            raw[f"{NS}:{key}"] = value
            return
        node = raw.setdefault(f"{NS}:{key}", {})
        for part in path[:-1]:
            node = node[part] if isinstance(part, int) else node.setdefault(part, {})
        node[path[-1]] = value

    return change


def both(*changes: Callable[[Raw], None]) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        for one in changes:
            one(raw)

    return change


def two_nims(first: tuple[str, str], second: tuple[str, str]) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        base = raw[f"{NS}:nims"][0]
        raw[f"{NS}:nims"] = [
            {**base, "namespace": first[0], "name": first[1]},
            {**base, "namespace": second[0], "name": second[1]},
        ]
        # Two one-GPU NIMs need two running nodes (no autoscaler: desiredSize is what runs).
        raw[f"{NS}:gpuNodeGroups"][0]["scaling"] = {"minSize": 0, "desiredSize": 2, "maxSize": 2}

    return change


def many_tags(count: int) -> Callable[[Raw], None]:
    def change(raw: Raw) -> None:
        raw[f"{NS}:tags"] = {f"tag-{i}": "x" for i in range(count)}
        raw[f"{NS}:tags"].update(environment="dev", owner="platform-team")

    return change


DIGEST = "@sha256:" + "0123456789abcdef" * 4
CASES: list[Case] = [
    # --- strict types: no bool for int, no number for string, no string for bool ---------------
    Case(
        "retention-bool",
        at("governance", "bucket", "retentionDays", value=True),
        "governance.bucket.retentionDays",
        ("whole number", "from 1 to 3657", "true/false"),
    ),
    Case(
        "retention-float",
        at("governance", "bucket", "retentionDays", value=30.5),
        "governance.bucket.retentionDays",
        ("whole number", "from 1 to 3657"),
    ),
    Case(
        "retention-string",
        at("governance", "bucket", "retentionDays", value="1825"),
        "governance.bucket.retentionDays",
        ("whole number",),
    ),
    Case("gpus-bool", at("nims", 0, "gpus", value=True), "nims[0].gpus", ("whole number", "true/false")),
    Case("replicas-bool", at("nims", 0, "replicas", value=False), "nims[0].replicas", ("whole number",)),
    Case("eks-version-float", at("eks", "version", value=1.30), "eks.version", ("string", "quote it")),
    Case("tag-value-number", at("tags", "cost-center", value=4711), "tags.cost-center", ("string", "quote it")),
    Case("cpu-request-int", at("nims", 0, "cpuRequest", value=4), "nims[0].cpuRequest", ("string", "quote it")),
    Case("enabled-string", at("governance", "enabled", value="yes"), "governance.enabled", ("true, false",)),
    Case("enabled-int", at("eventForwarding", "enabled", value=1), "eventForwarding.enabled", ("true, false",)),
    Case(
        "log-retention-bool",
        at("guardrails", "invocationLogging", "retentionDays", value=True),
        "guardrails.invocationLogging.retentionDays",
        ("365",),
    ),
    Case(
        "threshold-bool",
        at("guardrails", "guardrails", 0, "grounding", "grounding", value=True),
        "guardrails.guardrails[0].grounding.grounding",
        ("number",),
    ),
    Case("bucket-name-number", at("governance", "bucket", "name", value=12345), "governance.bucket.name", ("string",)),
    # --- Dynatrace URLs -------------------------------------------------------------------------
    Case(
        "env-url-api-v2",
        at("dynatrace", "environmentUrl", value="https://abc12345.live.dynatrace.com/api/v2"),
        "dynatrace.environmentUrl",
        ("without an API", "/e/<environment-id>"),
    ),
    Case(
        "env-url-api",
        at("dynatrace", "environmentUrl", value="https://abc12345.live.dynatrace.com/api"),
        "dynatrace.environmentUrl",
        ("without an API",),
    ),
    Case(
        "env-url-junk",
        at("dynatrace", "environmentUrl", value="https://abc12345.live.dynatrace.com/ui/apps"),
        "dynatrace.environmentUrl",
        ("https://abc12345.live.dynatrace.com",),
    ),
    Case(
        "env-url-managed-api",
        both(
            at("dynatrace", "environmentUrl", value="https://dt.example.com/e/1a2b3c4d/api/v2"),
            at("dynatrace", "platformUrl", value="https://abc12345.apps.dynatrace.com"),
        ),
        "dynatrace.environmentUrl",
        ("/e/<environment-id>",),
    ),
    Case(
        "platform-url-path",
        at("dynatrace", "platformUrl", value="https://abc12345.apps.dynatrace.com/platform"),
        "dynatrace.platformUrl",
        ("https://abc12345.apps.dynatrace.com",),
    ),
    # --- token shapes (the value is never shown) -------------------------------------------------
    Case(
        "classic-as-platform",
        at("dynatracePlatformToken", value=FAKE_API_TOKEN),
        "dynatracePlatformToken",
        ("dt0s16.", "classic access token"),
    ),
    Case(
        "platform-as-classic",
        at("dynatraceApiToken", value=FAKE_PLATFORM_TOKEN),
        "dynatraceApiToken",
        ("dt0c01.", "platform token (dt0s16.)"),
    ),
    Case(
        "oauth-client-as-platform",
        at("dynatracePlatformToken", value="dt0s02." + "A" * 24 + "." + "B" * 64),
        "dynatracePlatformToken",
        ("dt0s16.", "OAuth client credentials"),
    ),
    Case(
        "platform-as-ingest",
        at("dynatraceIngestToken", value=FAKE_PLATFORM_TOKEN),
        "dynatraceIngestToken",
        ("dt0c01.",),
    ),
    # --- inference operations ------------------------------------------------------------------
    *[
        Case(
            f"inference-{op}",
            at("eventForwarding", "operations", value=["CreateGuardrail", op]),
            "eventForwarding.operations",
            (op, "inference traffic", "CreateGuardrail"),
        )
        for op in ("InvokeModelWithBidirectionalStream", "CountTokens", "StartAsyncInvoke", "ApplyGuardrail")
    ],
    # --- Kubernetes names and namespaces -------------------------------------------------------
    Case(
        "nim-name-digit-first",
        at("nims", 0, "name", value="8b-llama"),
        "nims[0].name",
        ("DNS-1035", "starting with a letter"),
    ),
    Case("nim-name-too-long", at("nims", 0, "name", value="l" + "a" * 63), "nims[0].name", ("at most 63",)),
    Case("nim-name-upper", at("nims", 0, "name", value="Llama"), "nims[0].name", ("DNS-1035",)),
    Case("nim-namespace-bad", at("nims", 0, "namespace", value="nim_ns"), "nims[0].namespace", ("DNS-1123",)),
    Case("nim-collision", two_nims(("nim", "b-llama"), ("nim-b", "llama")), "nims[1].name", ("nims[0]", "nim-b-llama")),
    Case(
        "collector-kube-system",
        at("collector", "namespace", value="kube-system"),
        "collector.namespace",
        ("system namespace", "default, kube-system, kube-public, kube-node-lease", "createNamespace: false"),
    ),
    Case(
        "collector-default", at("collector", "namespace", value="default"), "collector.namespace", ("system namespace",)
    ),
    Case(
        "collector-kube-node-lease",
        at("collector", "namespace", value="kube-node-lease"),
        "collector.namespace",
        ("system namespace",),
    ),
    Case(
        "collector-in-kong",
        at("collector", "namespace", value="kong"),
        "collector.namespace",
        ("Kong's namespace", "createNamespace: false"),
    ),
    Case(
        "collector-in-app-namespace",
        at("collector", "namespace", value="genai-apps"),
        "collector.namespace",
        ("appNamespaces",),
    ),
    Case("collector-in-nim-namespace", at("collector", "namespace", value="nim"), "nims[0].namespace", ("collector",)),
    Case(
        "kong-kube-system",
        at("kong", "namespace", value="kube-system"),
        "kong.namespace",
        ("system namespace", "kube-system, kube-public, kube-node-lease"),
    ),
    # --- requests and limits -------------------------------------------------------------------
    Case(
        "collector-cpu-request-over-limit",
        at("collector", "resources", value={"cpuRequest": "2", "cpuLimit": "1"}),
        "collector.resources.cpuRequest",
        ("must not exceed cpuLimit",),
    ),
    Case(
        "collector-cpu-millis-over-limit",
        at("collector", "resources", value={"cpuRequest": "1500m", "cpuLimit": "1"}),
        "collector.resources.cpuRequest",
        ("cpuLimit (1)",),
    ),
    Case(
        "collector-memory-over-limit",
        at("collector", "resources", value={"memoryRequest": "2Gi", "memoryLimit": "1Gi"}),
        "collector.resources.memoryRequest",
        ("must not exceed memoryLimit",),
    ),
    Case(
        "collector-memory-decimal-over-binary",
        at("collector", "resources", value={"memoryRequest": "1.1G", "memoryLimit": "1Gi"}),
        "collector.resources.memoryRequest",
        ("memoryLimit (1Gi)",),
    ),
    Case(
        "memory-millibytes",
        at("collector", "resources", value={"memoryLimit": "512m"}),
        "collector.resources.memoryLimit",
        ("milli-bytes", "512Mi"),
    ),
    Case("cpu-garbage", at("nims", 0, "cpuRequest", value="4 cores"), "nims[0].cpuRequest", ("500m, 2, 1.5",)),
    Case("memory-garbage", at("nims", 0, "memoryLimit", value="24GB"), "nims[0].memoryLimit", ("512Mi, 16Gi",)),
    # --- AWS tags --------------------------------------------------------------------------------
    Case("tag-aws-prefix", at("tags", "aws:owner", value="x"), 'tags["aws:owner"]', ("'aws:' prefix",)),
    Case("tag-aws-prefix-upper", at("tags", "AWS:Owner", value="x"), 'tags["AWS:Owner"]', ("reserved",)),
    Case("tag-key-too-long", at("tags", "k" * 129, value="x"), "tags.kkkk", ("1-128 characters",)),
    Case("tag-value-too-long", at("tags", "owner", value="v" * 257), "tags.owner", ("0-256 characters",)),
    Case("tag-value-newline", at("tags", "owner", value="a\nb"), "tags.owner", ("U+000A (LINE FEED)",)),
    Case("tag-key-charset", at("tags", "team#1", value="x"), 'tags["team#1"]', ("_ . : / = + - @",)),
    Case("tag-stack-key", at("tags", "managed-by", value="terraform"), "tags.managed-by", ("set by the stack",)),
    Case("tags-over-budget", many_tags(46), "tags", ("at most 46", "50 per resource")),
    # --- images, scopes ----------------------------------------------------------------------------
    Case(
        "image-latest",
        at("nims", 0, "image", value="nvcr.io/nim/meta/llama-3.1-8b-instruct:latest"),
        "nims[0].image",
        ("tag 'latest'", "pin a version tag or a digest"),
    ),
    Case(
        "image-bad-digest",
        at("nims", 0, "image", value="nvcr.io/nim/meta/llama@sha256:abc"),
        "nims[0].image",
        ("sha256 (64 lower-case hex digits)",),
    ),
    Case(
        "scopes-unknown-and-repeated",
        at("governance", "ingestToken", "scopes", value=["logs.ingest", "logs.ingest", "logs.write"]),
        "governance.ingestToken.scopes",
        ("'logs.write' not an ingest scope", "'logs.ingest' listed more than once", "bizevents.ingest"),
    ),
]


def parse(case_change: Callable[[Raw], None], stack: str = "dev") -> Any:
    raw = stack_file(stack)
    case_change(raw)
    return parse_stack_config(raw, ENV, stack)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_config_is_refused(case: Case) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(case.change, case.stack)
    text = str(caught.value)
    issues = [i for i in caught.value.issues if i.path.startswith(f"{NS}:{case.path}")]
    assert issues, text
    for expected in case.says:
        assert any(expected in i.message for i in issues), (expected, text)
    for secret in SECRETS:
        for start in range(0, len(secret) - 16):
            assert secret[start : start + 16] not in text
    assert "Traceback" not in text
    assert not re.search(r"String should match pattern", text), text


LEGITIMATE: list[tuple[str, Callable[[Raw], None]]] = [
    (
        "activegate-url",
        both(
            at("dynatrace", "environmentUrl", value="https://activegate.example.com:9999/e/abc12345"),
            at("dynatrace", "platformUrl", value="https://abc12345.apps.dynatrace.com"),
        ),
    ),
    (
        "managed-url-custom-platform-host",
        both(
            at("dynatrace", "environmentUrl", value="https://dt.example.com/e/1a2b3c4d-5678"),
            at("dynatrace", "platformUrl", value="https://dt-platform.example.com"),
            at("dynatrace", "customPlatformHost", value="dt-platform.example.com"),
        ),
    ),
    ("trailing-slash", at("dynatrace", "environmentUrl", value="https://abc12345.live.dynatrace.com/")),
    ("image-digest", at("nims", 0, "image", value="nvcr.io/nim/meta/llama-3.1-8b-instruct" + DIGEST)),
    ("image-tag-and-digest", at("nims", 0, "image", value="nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6" + DIGEST)),
    ("collector-kube-system-existing", at("collector", value={"namespace": "kube-system", "createNamespace": False})),
    (
        "requests-equal-limits",
        at(
            "collector",
            "resources",
            value={"cpuRequest": "1000m", "cpuLimit": "1", "memoryRequest": "1Gi", "memoryLimit": "1073741824"},
        ),
    ),
    (
        "decimal-and-exponent-quantities",
        at(
            "collector",
            "resources",
            value={"cpuRequest": "0.25", "cpuLimit": "1e0", "memoryRequest": "500M", "memoryLimit": "1G"},
        ),
    ),
    ("memory-in-gigabytes", at("nims", 0, "memoryLimit", value="24G")),
    ("unicode-tag", at("tags", "équipe", value="données plateforme")),
    ("forty-six-tags", many_tags(44)),
    ("nim-distinct-names", two_nims(("nim", "llama-a"), ("nim", "llama-b"))),
    ("jwt-platform-token", at("dynatracePlatformToken", value="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")),
    ("kong-in-default", at("kong", "namespace", value="default")),
]


@pytest.mark.parametrize(("name", "change"), LEGITIMATE, ids=[n for n, _ in LEGITIMATE])
def test_legitimate_config_is_accepted(name: str, change: Callable[[Raw], None]) -> None:
    parse(change)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stacks_parse(stack: str) -> None:
    parse(lambda raw: None, stack)


@pytest.mark.parametrize(
    "region", [OTHER_TOKEN, "us-east-1; rm -rf /", "US-EAST-1", "us_east_1", "", 1, ["us-east-1"]], ids=str
)
def test_aws_region_must_be_a_region_code(region: Any) -> None:
    """The region names every ARN: anything else is refused, and never echoed."""

    def change(raw: Raw) -> None:
        raw["aws:region"] = region

    if region == "":
        parse(change)  # unset: the provider's default region chain applies
        return
    with pytest.raises(ConfigError) as caught:
        parse(change)
    (issue,) = [i for i in caught.value.issues if i.path == "aws:region"]
    assert "AWS region code such as us-east-1" in issue.message
    assert OTHER_TOKEN[8:24] not in str(caught.value)


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-north-1"])
def test_aws_region_codes_are_accepted(region: str) -> None:
    def change(raw: Raw) -> None:
        raw["aws:region"] = region
        if not region.startswith(("us-east", "eu-", "ap-")):  # the Dynatrace principal is in the aws partition
            raw[f"{NS}:telemetry"]["bedrockMetrics"]["enabled"] = False
            del raw[f"{NS}:telemetry"]["bedrockMetrics"]["dynatracePrincipalArn"]

    parse(change)


@pytest.mark.parametrize(
    ("change", "path", "kind"),
    [
        (at("tags", "environment", value=OTHER_TOKEN), "tags.environment", "a Dynatrace token"),
        (at("nims", 0, "image", value=f"nvcr.io/nim/x:{OTHER_NGC_KEY}"), "nims[0].image", "an NGC API key"),
        (
            at("dynatrace", "environmentUrl", value="https://admin:hunter2hunter2@abc12345.live.dynatrace.com"),
            "dynatrace.environmentUrl",
            "a URL with credentials",
        ),
        (at("collector", "namespace", value="AKIAABCDEFGHIJKLMNOP"), "collector.namespace", "an AWS access key id"),
    ],
    ids=["token-in-tag", "ngc-key-in-image", "password-in-url", "aws-key-as-name"],
)
def test_credentials_in_plain_config_are_refused_unshown(change: Callable[[Raw], None], path: str, kind: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(change)
    text = str(caught.value)
    assert any(i.path == f"{NS}:{path}" and f"looks like {kind}" in i.message for i in caught.value.issues), text
    assert "pulumi config set --secret" in text
    for secret in (*SECRETS, OTHER_TOKEN, OTHER_NGC_KEY, "hunter2hunter2", "AKIAABCDEFGHIJKLMNOP"):
        assert secret[4:20] not in text
