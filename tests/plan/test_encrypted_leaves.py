"""A value encrypted inside a section (``pulumi config set --secret --path``) stays secret end to end.

The engine tells the program only that the whole key holds a secret (``is_config_secret``); the
program reads which leaves are encrypted from the stack file, as the CLI does, and marks every
resource input holding the decrypted text secret. These tests run the program under Pulumi's mocks
both ways: as ``pulumi up`` runs it (decrypted config, the secret keys, the stack file on disk) and
under the offline plan (stand-ins, the plan's own reading of the stack file).
"""

from __future__ import annotations

import json
import runpy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import components.config.encrypted_leaves as encrypted_leaves
from components.config import ConfigError, StackConfig, errors, load_from_pulumi
from components.config.encrypted_leaves import (
    MIN_SECRET_CHARS,
    EncryptedLeaves,
    EncryptedValue,
    encrypted_leaves_given,
    secret_texts,
)
from components.config.errors import redact_text
from components.secret_inputs import SecretMarker, keep_secret
from tests.conftest import FAKE_API_TOKEN, FAKE_NGC_KEY, FAKE_PLATFORM_TOKEN, ROOT, stack_file
from tests.plan.test_plan_cli import run_plan
from tests.plan.test_secret_canaries import contains, leaves
from tools import plan
from tools.mock_run import REDACTED, MockRun, RegisteredResource, run_under_mocks
from tools.plan_config import STAND_IN, prepare
from tools.stack_config import encrypted_leaves_of_stack_file

NS = "ai-observability"
TAGS = f"{NS}:tags"
ENV = {"DT_API_TOKEN": FAKE_API_TOKEN, "DT_PLATFORM_TOKEN": FAKE_PLATFORM_TOKEN, "NGC_API_KEY": FAKE_NGC_KEY}
CIPHERTEXT = "v1:c2FsdHNhbHQ=:ZW5jcnlwdGVkLXZhbHVl"
SECURE = {"secure": CIPHERTEXT}
OWNER = "canary-owner-7f3e9a1c"  # what `pulumi up` decrypts tags.owner to
GENERATED = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # forget_remembered_secrets runs once
)


@pytest.fixture(autouse=True)
def forget_remembered_secrets() -> Iterator[None]:
    """The decrypted values a test configures are remembered process-wide (every message redacts them);
    forget them after the test, so generated text (any word) is not redacted in later tests' output."""
    remembered = set(errors._KNOWN_SECRETS)
    yield
    errors._KNOWN_SECRETS.clear()
    errors._KNOWN_SECRETS.update(remembered)


def dev() -> dict[str, Any]:
    return stack_file("dev")


def _set(raw: dict[str, Any], key: str, path: tuple[str | int, ...], value: Any) -> None:
    target: Any = raw[key]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def project_with(tmp_path: Path, stack: str, raw: dict[str, Any] | None) -> Path:
    """A project folder as the CLI runs the program in: Pulumi.yaml and (unless None) the stack file."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    if raw is not None:
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": raw}))
    return tmp_path


def as_up_runs_it(
    decrypted: dict[str, Any], secret_sections: list[str], stack: str = "canary"
) -> tuple[dict[str, str], list[str]]:
    """The configuration ``pulumi up`` hands the program after decrypting, and its secret keys."""
    prepared = prepare(stack, decrypted, ENV)
    return prepared.config, sorted({*prepared.secret_keys, *secret_sections})


@pytest.fixture
def up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """``up(stack_file, decrypted, secret_sections)``: the program as ``pulumi up`` runs it, under mocks,
    in a project folder holding ``stack_file`` (None: no stack file). Returns the run and the warnings."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))

    def run(
        written: dict[str, Any] | None, decrypted: dict[str, Any], secret_sections: list[str]
    ) -> tuple[MockRun[RegisteredResource], list[str]]:
        monkeypatch.setattr(encrypted_leaves, "PROJECT_ROOT", project_with(tmp_path, "canary", written))
        config, secret_keys = as_up_runs_it(decrypted, secret_sections)

        def program() -> None:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__pulumi__")

        result = run_under_mocks(
            program,
            stack="canary",
            region="eu-central-1",
            config=config,
            secret_keys=secret_keys,
            resource_class=RegisteredResource,
        )
        return result, warnings

    return run


def config_as_up_loads_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, written: dict[str, Any] | None, decrypted: dict[str, Any]
) -> tuple[StackConfig, list[str]]:
    """``load_from_pulumi`` under mocks, as ``pulumi up`` runs it; the config and the warnings."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warnings.append(message))
    monkeypatch.setattr(encrypted_leaves, "PROJECT_ROOT", project_with(tmp_path, "canary", written))
    config, secret_keys = as_up_runs_it(decrypted, [TAGS])
    loaded: list[StackConfig] = []
    run_under_mocks(
        lambda: loaded.append(load_from_pulumi()),
        stack="canary",
        region="eu-central-1",
        config=config,
        secret_keys=secret_keys,
        resource_class=RegisteredResource,
    )
    return loaded[0], warnings


def holders(result: MockRun[RegisteredResource], text: str) -> list[tuple[str, str, Any]]:
    """(urn, input path, what plan.json shows) for every input leaf holding ``text``."""
    return [
        (r.urn, path, shown)
        for r in result.resources
        for path, leaf, shown in leaves(r.plain_inputs, r.redacted_inputs)
        if contains(leaf, text)
    ]


def assert_kept_secret(result: MockRun[RegisteredResource], text: str) -> None:
    found = holders(result, text)
    assert found, f"no resource received {text!r}: the test would prove nothing"
    for urn, path, shown in found:
        assert shown == REDACTED, f"{text!r} reaches {urn}{path} in plain text"
    assert text not in json.dumps([r.redacted_inputs for r in result.resources])
    assert text not in json.dumps(result.redacted_outputs)


# --- as `pulumi up` runs the program ---------------------------------------------------------------


def test_an_encrypted_tag_is_secret_in_every_resource_as_up_runs_the_program(up: Any) -> None:
    written, decrypted = dev(), dev()
    written[TAGS]["owner"] = SECURE
    decrypted[TAGS]["owner"] = OWNER
    result, warnings = up(written, decrypted, [TAGS])
    assert_kept_secret(result, OWNER)
    assert len({urn for urn, _, _ in holders(result, OWNER)}) > 10  # every tagged AWS resource
    assert warnings == []
    assert all(OWNER not in message for message in warnings)


def test_an_encrypted_value_inside_a_document_makes_the_document_secret(up: Any) -> None:
    """Rule: text derived from the value (here a guardrail's topic definition inside its policy
    document) is as secret as the value."""
    definition = "Recommendations about canary-9d41 financial products."
    path = ("guardrails", 0, "deniedTopics", 0, "definition")
    written, decrypted = dev(), dev()
    _set(written, f"{NS}:guardrails", path, SECURE)
    _set(decrypted, f"{NS}:guardrails", path, definition)
    result, _ = up(written, decrypted, [f"{NS}:guardrails"])
    assert_kept_secret(result, "canary-9d41")


def test_the_stack_outputs_holding_an_encrypted_value_are_secret(up: Any) -> None:
    written, decrypted = dev(), dev()
    written[f"{NS}:eks"]["clusterName"] = SECURE
    decrypted[f"{NS}:eks"]["clusterName"] = "genai-canary-cluster"
    result, _ = up(written, decrypted, [f"{NS}:eks"])
    assert "eksClusterName" in result.outputs
    assert result.redacted_outputs["eksClusterName"] == REDACTED
    assert_kept_secret(result, "genai-canary-cluster")


def test_without_a_readable_stack_file_every_value_of_the_key_is_kept_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Rule: where the stack file cannot say which leaves are encrypted (ESC, ``--config-file``), every
    text value of the secret key is kept secret, and a warning says so without a value."""
    decrypted = dev()
    decrypted[TAGS]["owner"] = OWNER
    config, warnings = config_as_up_loads_it(monkeypatch, tmp_path, None, decrypted)
    assert set(config.encrypted_values) == {OWNER, "dev", "0000"}
    assert {value.path for value in config.encrypted_values.values()} == {TAGS}
    assert not any(value.leaf_known for value in config.encrypted_values.values())  # names are not refused
    (warning,) = warnings
    assert TAGS in warning
    assert "cannot be read" in warning
    assert OWNER not in warning


def test_the_fallback_keeps_values_secret_but_refuses_no_name(up: Any) -> None:
    """A secret key the stack file shows no encrypted leaf of: its guardrail's name (a neighbour of the
    secret, maybe) names resources; they are registered, and every input holding it is secret."""
    result, warnings = up(dev(), dev(), [f"{NS}:guardrails"])
    assert any(f"{NS}:guardrails" in warning and "does not show" in warning for warning in warnings)
    assert any("genai-default-dev" in r.urn for r in result.resources)
    assert_kept_secret(result, "Recommendations about buying or selling")


@pytest.mark.parametrize(
    "written_owner",
    [
        "plain-owner-in-the-file",  # the file holds the key, but not that leaf encrypted
        None,  # the file lacks the key (it came from elsewhere, e.g. ESC)
    ],
)
def test_a_stack_file_that_disagrees_with_the_engine_falls_back_to_every_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, written_owner: str | None
) -> None:
    written, decrypted = dev(), dev()
    if written_owner is None:
        del written[TAGS]
    else:
        written[TAGS]["owner"] = written_owner
    decrypted[TAGS]["owner"] = OWNER
    config, warnings = config_as_up_loads_it(monkeypatch, tmp_path, written, decrypted)
    assert OWNER in config.encrypted_values
    assert any(TAGS in w and "does not show" in w for w in warnings)


def test_the_stack_file_names_exactly_the_encrypted_leaves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    written, decrypted = dev(), dev()
    written[TAGS]["owner"] = SECURE
    decrypted[TAGS]["owner"] = OWNER
    config, warnings = config_as_up_loads_it(monkeypatch, tmp_path, written, decrypted)
    assert dict(config.encrypted_values) == {OWNER: EncryptedValue(f"{TAGS}.owner")}
    assert warnings == []
    assert "encrypted_values" not in repr(config)


@GENERATED
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=3 * MIN_SECRET_CHARS))
def test_a_decrypted_value_too_short_to_be_a_secret_is_refused(value: str) -> None:
    """Rule: a decrypted value shorter than MIN_SECRET_CHARS is refused at its key path (value not
    shown); a longer one is kept secret."""
    raw = {TAGS: json.dumps({"owner": value, "team": "ml"})}
    with encrypted_leaves_given(EncryptedLeaves({TAGS: (("owner",),)})):
        found = secret_texts(raw, [TAGS], "canary")
    if len(value) < MIN_SECRET_CHARS:
        (issue,) = found.issues
        assert issue.path == f"{TAGS}.owner"
        assert f"fewer than {MIN_SECRET_CHARS} characters" in issue.message
        with encrypted_leaves_given(EncryptedLeaves({TAGS: (("owner",),)})):
            other = secret_texts({TAGS: json.dumps({"owner": "~"})}, [TAGS], "canary")
        assert issue.message == other.issues[0].message  # the value is not in the message
        assert not found.texts
    else:
        assert not found.issues
        assert dict(found.texts) == {value: EncryptedValue(f"{TAGS}.owner")}
        assert value not in redact_text(f"the value {value} leaked")


def test_a_short_value_is_refused_by_the_program(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    written, decrypted = dev(), dev()
    written[TAGS]["owner"] = SECURE
    decrypted[TAGS]["owner"] = "bob"
    with pytest.raises(ConfigError, match=r"ai-observability:tags\.owner: is encrypted, but its value has fewer"):
        config_as_up_loads_it(monkeypatch, tmp_path, written, decrypted)


def test_an_invalid_decrypted_value_is_never_shown(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    written, decrypted = dev(), dev()
    written[TAGS]["owner"] = SECURE
    decrypted[TAGS]["owner"] = OWNER + "!{}"  # characters AWS tags refuse
    with pytest.raises(ConfigError) as caught:
        config_as_up_loads_it(monkeypatch, tmp_path, written, decrypted)
    assert f"{TAGS}" in str(caught.value)
    assert OWNER not in str(caught.value)


def test_a_resource_named_from_an_encrypted_value_is_refused(up: Any) -> None:
    """Rule: a name is part of the URN, which is never encrypted: the program stops naming the key."""
    written, decrypted = dev(), dev()
    written[f"{NS}:eventForwarding"]["namePrefix"] = SECURE
    decrypted[f"{NS}:eventForwarding"]["namePrefix"] = "bedrock-canary-prefix"
    with pytest.raises(Exception, match=r"ai-observability:eventForwarding\.namePrefix: is encrypted") as caught:
        up(written, decrypted, [f"{NS}:eventForwarding"])
    assert "bedrock-canary-prefix" not in str(caught.value)


def test_only_this_projects_sections_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secret keys (whole secrets already) and other namespaces are not sections: no stack file is read."""

    def unread(stack: str) -> None:
        raise AssertionError("the stack file was read")

    monkeypatch.setattr(encrypted_leaves, "_stack_file_leaves", unread)
    raw = {f"{NS}:dynatraceApiToken": FAKE_API_TOKEN, "aws:secretKey": "s3cr3t-value-of-aws", TAGS: '{"a":"b"}'}
    found = secret_texts(raw, [f"{NS}:dynatraceApiToken", "aws:secretKey"], "canary")
    assert not found.texts
    assert not found.issues
    assert not found.warnings


# --- reading the stack file as the CLI does ---------------------------------------------------------


def test_the_encrypted_leaves_are_read_as_the_cli_reads_the_stack_file(tmp_path: Path) -> None:
    """Bare keys are the project's, YAML 1.2 keeps ``on`` a text key, list items are indexed, and the
    stack file is read from ``stackConfigDir``."""
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text() + "stackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.s.yaml").write_text(
        "config:\n"
        "  tags:\n    on: {secure: v1:AAAA}\n    team: ml\n"
        f"  {NS}:nims:\n    - name: a\n      image: {{secure: v1:BBBB}}\n"
        "  aws:region: eu-central-1\n"
        f"  {NS}:dynatraceApiToken:\n    secure: v1:CCCC\n"
    )
    name, locations = encrypted_leaves_of_stack_file(tmp_path, "s")
    assert name == "Pulumi.s.yaml"
    assert locations == {TAGS: (("on",),), f"{NS}:nims": ((0, "image"),), f"{NS}:dynatraceApiToken": ((),)}


# --- the marking rule ---------------------------------------------------------------------------------


@pulumi.input_type
class _Nested:
    def __init__(self, text: pulumi.Input[str], other: pulumi.Input[str]) -> None:
        pulumi.set(self, "text", text)
        pulumi.set(self, "other", other)

    @property
    @pulumi.getter
    def text(self) -> pulumi.Input[str]:
        return pulumi.get(self, "text")  # type: ignore[no-any-return]

    @property
    @pulumi.getter
    def other(self) -> pulumi.Input[str]:
        return pulumi.get(self, "other")  # type: ignore[no-any-return]


def test_the_marking_rule_under_mocks() -> None:
    """Text holding a value (at any depth, in an Output, an input type, a tuple) is secret; a short
    value only where an input is exactly it; a mapping with such a key is secret whole; the rest stays
    plain; nothing is rebuilt when nothing holds a value."""
    texts = {"long-secret-text": EncryptedValue("k.a"), "dev": EncryptedValue("k.b")}
    marker = SecretMarker(texts)
    plain = {"a": ["x", ("y",)], "b": {"c": "develop"}}
    assert marker.mark(plain) is plain

    def program() -> dict[str, Any]:
        keep_secret(texts)
        pulumi.CustomResource(
            "test:index:Thing",
            "thing",
            {
                "doc": json.dumps({"x": "prefix-long-secret-text-suffix"}),
                "exact": "dev",
                "inside": "develop",
                "later": pulumi.Output.from_input("long-secret-text"),
                "keyed": {"long-secret-text": 1},
                "typed": _Nested("long-secret-text", "plain"),
                "plaintyped": _Nested("plain", "plain"),
                "tuple": ("plain", "dev"),
                "untouched": {"n": 1, "t": "text"},
            },
        )
        return {}

    result = run_under_mocks(program, stack="t", region="eu-central-1", resource_class=RegisteredResource)
    shown = result.one("test:index:Thing").redacted_inputs
    assert shown["doc"] == REDACTED
    assert shown["exact"] == REDACTED
    assert shown["inside"] == "develop"
    assert shown["later"] == REDACTED
    assert shown["keyed"] == REDACTED
    assert shown["typed"] == REDACTED  # the SDK's deserializer lifts a nested secret to its property
    assert shown["plaintyped"] == {"text": "plain", "other": "plain"}
    assert shown["tuple"] == REDACTED
    assert shown["untouched"] == {"n": 1, "t": "text"}


# --- under the offline plan -------------------------------------------------------------------------


def test_the_offline_plan_keeps_a_stand_in_secret_and_never_shows_it(tmp_path: Path) -> None:
    raw = dev()
    raw[TAGS]["owner"] = SECURE
    (tmp_path / "Pulumi.canary.yaml").write_text(yaml.safe_dump({"config": raw}))
    out = tmp_path / "build"
    proc = run_plan("canary", out, env=ENV, stack_dir=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tags.owner (encrypted)" in proc.stdout
    document = json.loads((out / "plan.json").read_text())
    tagged = [r for r in document["resources"] if "tags" in r["inputs"]]
    assert len(tagged) > 10
    assert all(r["inputs"]["tags"] == REDACTED for r in tagged)
    for path in (p for p in out.rglob("*") if p.is_file()):
        text = path.read_text()
        assert STAND_IN not in text, path
        assert CIPHERTEXT not in text, path
    assert STAND_IN not in proc.stdout + proc.stderr
    assert CIPHERTEXT not in proc.stdout + proc.stderr
    assert "holds a secret, but" not in proc.stderr  # the program got the plan's leaves: no fallback


def test_the_offline_plan_refuses_a_name_derived_from_an_encrypted_value(tmp_path: Path) -> None:
    raw = dev()
    raw[f"{NS}:eventForwarding"]["namePrefix"] = SECURE
    (tmp_path / "Pulumi.canary.yaml").write_text(yaml.safe_dump({"config": raw}))
    proc = run_plan("canary", tmp_path / "build", env=ENV, stack_dir=tmp_path)
    assert proc.returncode == 2
    assert f"{NS}:eventForwarding.namePrefix: is encrypted, but a resource's name holds its value" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("key", "path", "stand_in"),
    [
        (TAGS, ("owner",), STAND_IN),
        (f"{NS}:collector", ("namespace",), STAND_IN),  # its default, dynatrace, is in unrelated names
        (f"{NS}:eventForwarding", ("namePrefix",), STAND_IN),
        (f"{NS}:guardrails", ("guardrails", 0, "tier"), "CLASSIC"),  # an enumeration: its default
    ],
)
def test_the_stand_in_is_distinctive_where_the_field_accepts_it(
    key: str, path: tuple[str | int, ...], stand_in: str
) -> None:
    """Rule: the plan stands in ``plan-placeholder`` where the field accepts it (so what holds it was
    derived from the value), else the field's text default; the program is told where it is."""
    raw = dev()
    _set(raw, key, path, SECURE)
    prepared = prepare("dev", raw, ENV)
    assert list(prepared.stand_ins.values()) == [stand_in]
    assert prepared.encrypted.locations == {key: (path,)}
    assert prepared.encrypted.stand_ins


def test_an_encrypted_value_no_name_holds_plans(tmp_path: Path) -> None:
    """The collector's namespace is encrypted: no resource name holds the stand-in, so the stack plans
    (its default, ``dynatrace``, would have matched unrelated names by chance)."""
    raw = dev()
    raw[f"{NS}:collector"]["namespace"] = SECURE
    result = plan.evaluate_stack("dev", raw_config=raw, env=ENV)
    assert "collector.namespace (encrypted)" in result.placeholders
    assert all(STAND_IN not in r.urn for r in result.resources)
    assert STAND_IN not in json.dumps([r.redacted_inputs for r in result.resources])
    assert any(STAND_IN in json.dumps(r.plain_inputs) for r in result.resources)


def test_nothing_is_registered_when_no_value_is_encrypted_inside_a_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """The common stack pays nothing: no transformation, so no resource's inputs are walked."""
    registered: list[Any] = []
    original = pulumi.runtime.register_stack_transformation
    monkeypatch.setattr(
        pulumi.runtime, "register_stack_transformation", lambda t: (registered.append(t), original(t))[1]
    )
    plan.evaluate_stack("dev", raw_config=dev(), env=ENV)
    assert registered == []
    raw = dev()
    raw[TAGS]["owner"] = SECURE
    plan.evaluate_stack("dev", raw_config=raw, env=ENV)
    assert len(registered) == 1
