"""The offline plan builds a stack's configuration as the Pulumi CLI does: keys, encrypted values, the
stack file's top-level keys, Pulumi.yaml (name, runtime, main, stackConfigDir, project config) and the
region. Each rule is tried on several instances, generated ones included, beside legitimate neighbours
that must still plan.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import ConfigError
from components.config.production import enforces_all_policies, is_production
from components.config.stack import SECTIONS
from tests.conftest import FAKE_API_TOKEN, FAKE_NGC_KEY, FAKE_PLATFORM_TOKEN, ROOT, stack_file
from tools import plan
from tools.plan_config import STAND_IN, prepare
from tools.pulumi_project import Project, ProjectFileError, load_project
from tools.stack_file import STACK_FILE_KEYS, StackFileError, check_stack_document

NS = "ai-observability"
ENV = {"DT_API_TOKEN": FAKE_API_TOKEN, "DT_PLATFORM_TOKEN": FAKE_PLATFORM_TOKEN, "NGC_API_KEY": FAKE_NGC_KEY}
CIPHERTEXT = "v1:c2FsdHNhbHQ=:ZW5jcnlwdGVkLXZhbHVl"
GENERATED = settings(max_examples=25, deadline=None, derandomize=True, database=None)
PROJECT_YAML = (ROOT / "Pulumi.yaml").read_text()


def dev() -> dict[str, Any]:
    return copy.deepcopy(stack_file("dev"))


def issues_of(raw: dict[str, Any], stack: str = "dev", project: Project | None = None) -> list[Any]:
    with pytest.raises(ConfigError) as caught:
        prepare(stack, raw, ENV, project).validate(ENV)
    return caught.value.issues


def project_in(tmp_path: Path, text: str) -> Project:
    (tmp_path / "Pulumi.yaml").write_text(text)
    return load_project(tmp_path)


# --- keys -------------------------------------------------------------------------------------------


@GENERATED
@given(st.sets(st.sampled_from(sorted(stack_file("dev")))))
def test_bare_keys_belong_to_the_project(bare: set[str]) -> None:
    """Rule (config.ParseKey after stackConfigNamespacedWithProject): a key without a namespace is the
    project's own; any subset of the dev keys written bare plans to the same configuration."""
    raw = {(key.split(":", 1)[1] if key in bare and key.startswith(f"{NS}:") else key): v for key, v in dev().items()}
    assert prepare("dev", raw, ENV).config == prepare("dev", dev(), ENV).config


def test_the_old_config_module_form_is_the_same_key() -> None:
    raw = dev()
    raw[f"{NS}:config:governance"] = raw.pop(f"{NS}:governance")
    raw["aws:config:region"] = raw.pop("aws:region")
    assert prepare("dev", raw, ENV).config == prepare("dev", dev(), ENV).config


@pytest.mark.parametrize(
    ("first", "second"),
    [("governance", f"{NS}:governance"), (f"{NS}:config:tags", f"{NS}:tags"), ("aws:config:region", "aws:region")],
)
def test_one_key_written_twice_is_refused_naming_both(first: str, second: str) -> None:
    raw = dev()
    value = raw.get(second, raw.get(f"{NS}:governance"))
    raw.pop(second, None)
    raw[first], raw[second] = value, value
    (issue,) = issues_of(raw)
    assert repr(first) in issue.message
    assert repr(second) in issue.message


@pytest.mark.parametrize("key", ["a:b:c", f"{NS}:governance:x", "aws:cfg:region", "x:y:z:w"])
def test_keys_the_cli_cannot_parse_are_refused(key: str) -> None:
    raw = dev()
    raw[key] = "x"
    assert any(i.path == key and "could not parse" in i.message for i in issues_of(raw))


# --- encrypted values -------------------------------------------------------------------------------


def _string_leaves(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_leaves(item, (*path, index))


def _set(raw: dict[str, Any], key: str, path: tuple[str | int, ...], value: Any) -> None:
    target: Any = raw[key]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


DEV_LEAVES = [
    (key, path)
    for key, value in stack_file("dev").items()
    if key.startswith(f"{NS}:") and isinstance(value, dict | list)
    for path, _ in _string_leaves(value)
]


@pytest.mark.parametrize(("key", "path"), DEV_LEAVES, ids=[f"{k}{list(p)}" for k, p in DEV_LEAVES])
def test_an_encrypted_leaf_is_read_never_refused_as_an_unknown_key(key: str, path: tuple[str | int, ...]) -> None:
    """Rule: ``pulumi config set --secret --path`` writes ``{secure: <ciphertext>}`` at a leaf. The plan
    stands in a text for it and marks the key secret; if that text does not fit the key's rule the
    message says the value is encrypted — never "unknown key 'secure'"."""
    raw = dev()
    _set(raw, key, path, {"secure": CIPHERTEXT})
    error: ConfigError | None = None
    try:
        prepared = prepare("dev", raw, ENV)
        prepared.validate(ENV)
    except ConfigError as caught:
        error = caught
    if error is not None:
        assert all("secure" not in issue.path for issue in error.issues), error
        assert any("is encrypted in the stack file" in issue.message for issue in error.issues), error
        return
    assert key in prepared.secret_keys
    assert any(name.endswith("(encrypted)") for name in prepared.placeholders)
    assert CIPHERTEXT not in str(prepared.config)


def test_an_encrypted_tag_plans_and_the_summary_says_so(tmp_path: Path) -> None:
    raw = dev()
    raw[f"{NS}:tags"]["owner"] = {"secure": CIPHERTEXT}
    result = plan.evaluate_stack("dev", raw_config=raw, env=ENV)
    assert "tags.owner (encrypted)" in result.placeholders
    text = plan.summary(result, [], tmp_path)
    assert "tags.owner (encrypted)" in text
    assert CIPHERTEXT not in text


@pytest.mark.parametrize(
    ("section", "path"),
    [("governance", ("bucket", "retentionDays")), ("kong", ("enabled",)), ("nims", (0, "gpus"))],
)
def test_an_encrypted_number_or_boolean_is_refused_as_text(section: str, path: tuple[str | int, ...]) -> None:
    """A decrypted value always reaches the program as text, so ``pulumi up`` would refuse it too."""
    raw = dev()
    _set(raw, f"{NS}:{section}", path, {"secure": CIPHERTEXT})
    (issue,) = issues_of(raw)
    assert "the value is encrypted in the stack file" in issue.message
    assert STAND_IN in issue.message
    assert CIPHERTEXT not in str(issue)


@pytest.mark.parametrize("section", [s.key for s in SECTIONS])
def test_a_section_encrypted_whole_is_refused_never_replaced_by_defaults(section: str) -> None:
    raw = dev()
    raw[f"{NS}:{section}"] = {"secure": CIPHERTEXT}
    issues = issues_of(raw)
    assert any(i.path == f"{NS}:{section}" and "encrypted as a whole" in i.message for i in issues)
    assert CIPHERTEXT not in str(issues)


@pytest.mark.parametrize(
    ("stack", "key"),
    [
        ("dev", "dynatraceApiToken"),
        ("dev", "dynatraceOAuthClientSecret"),  # dev manages access: its platform calls use the OAuth client
        ("dev", "ngcApiKey"),
        ("prod", "dynatracePlatformToken"),
    ],
)
def test_an_encrypted_secret_key_gets_a_placeholder(stack: str, key: str) -> None:
    raw = stack_file(stack)
    raw[f"{NS}:{key}"] = {"secure": CIPHERTEXT}
    assert key in prepare(stack, raw, {}).placeholders


@GENERATED
@given(
    st.sampled_from(DEV_LEAVES),
    st.one_of(st.just(""), st.just("   "), st.integers(), st.booleans(), st.none(), st.lists(st.text(), max_size=2)),
)
def test_an_empty_or_non_text_ciphertext_is_refused_at_its_path(
    leaf: tuple[str, tuple[str | int, ...]], bad: Any
) -> None:
    key, path = leaf
    raw = dev()
    _set(raw, key, path, {"secure": bad})
    issues = issues_of(raw)
    expected = f"{key}{''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in path)}"
    assert any(i.path == expected and "'secure:'" in i.message for i in issues), issues


def test_a_tag_named_secure_beside_others_is_plain_data() -> None:
    """Only a mapping whose single key is ``secure`` is encrypted (isSecureValue); ``secure`` beside other
    keys is an ordinary key, so a tag of that name plans."""
    raw = dev()
    raw[f"{NS}:tags"]["secure"] = "yes"
    assert prepare("dev", raw, ENV).validate(ENV).tags["secure"] == "yes"


# --- the stack file's top-level keys ------------------------------------------------------------------


def _edits(word: str) -> st.SearchStrategy[str]:
    letters = st.sampled_from("abcdefghijklmnopqrstuvwxyzC")

    def apply(edit: tuple[str, int, str]) -> str:
        kind, at, letter = edit
        at %= len(word) + 1
        if kind == "insert":
            return word[:at] + letter + word[at:]
        if kind == "delete" and at < len(word):
            return word[:at] + word[at + 1 :]
        return word[:at] + letter + word[at + 1 :]

    return st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.integers(0, 20), letters).map(apply)


@GENERATED
@given(st.one_of(_edits("config"), _edits("config").flatmap(_edits), st.sampled_from(["Config", "CONFIG"])))
def test_a_misspelt_top_level_config_is_named(key: str) -> None:
    """The CLI ignores unknown top-level keys, so ``confg:`` would leave the stack without configuration."""
    if key in STACK_FILE_KEYS:
        return
    with pytest.raises(StackFileError) as caught:
        check_stack_document({key: {"aws:region": "eu-central-1"}}, "Pulumi.x.yaml")
    assert f"top-level key {key!r}" in str(caught.value)
    assert "did you mean 'config'?" in str(caught.value)


@pytest.mark.parametrize("key", ["resources", "outputs", "variables"])
def test_other_top_level_keys_are_refused_with_the_allowed_ones(key: str) -> None:
    with pytest.raises(StackFileError, match="allowed: config, encryptedkey, encryptionsalt, environment"):
        check_stack_document({key: 1, "config": {}}, "Pulumi.x.yaml")


def test_the_keys_of_a_real_stack_file_are_accepted_and_esc_is_refused() -> None:
    document = {"secretsprovider": "passphrase", "encryptionsalt": "v1:abc", "encryptedkey": "", "config": {}}
    assert check_stack_document(document, "f") == document
    with pytest.raises(StackFileError, match="Pulumi ESC"):
        check_stack_document({"environment": ["team/prod"], "config": {}}, "f")


# --- Pulumi.yaml ------------------------------------------------------------------------------------------


def test_the_committed_project_file_is_this_program() -> None:
    project = load_project(ROOT)
    assert project.name == NS
    assert project.stack_config_dir is None


def test_a_missing_project_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match=r"Pulumi\.yaml: not found"):
        load_project(tmp_path)


def test_a_project_file_the_cli_reads_first_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.json").write_text('{"name": "ai-observability", "runtime": "python"}')
    (tmp_path / "Pulumi.yaml").write_text(PROJECT_YAML)
    with pytest.raises(ProjectFileError, match=r"Pulumi\.json is also present"):
        load_project(tmp_path)


@GENERATED
@given(st.from_regex(r"[A-Za-z0-9_.-]{1,30}", fullmatch=True))
def test_another_project_name_is_refused(name: str) -> None:
    """URNs and the namespace of bare keys use the name: a rename would replace every resource."""
    if name == NS:
        return
    with pytest.raises(ProjectFileError, match="would leave bare keys unread and replace every resource"):
        _check_project(PROJECT_YAML.replace("name: ai-observability", f"name: '{name}'"))


def _check_project(text: str) -> Project:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return project_in(Path(folder), text)


RUNTIME_BLOCK = "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n"


@pytest.mark.parametrize(
    "runtime", ["nodejs", "go", "dotnet", "java", "yaml", "{name: nodejs}", "{name: python, main: x}"]
)
def test_a_runtime_other_than_python_is_refused(runtime: str) -> None:
    with pytest.raises(ProjectFileError, match="runtime"):
        _check_project(PROJECT_YAML.replace(RUNTIME_BLOCK, f"runtime: {runtime}\n"))


@pytest.mark.parametrize("runtime", ["python", "{name: python}", "{name: python, options: {toolchain: uv}}"])
def test_python_in_any_form_is_accepted(runtime: str) -> None:
    assert _check_project(PROJECT_YAML.replace(RUNTIME_BLOCK, f"runtime: {runtime}\n")).name == NS


@pytest.mark.parametrize(("main", "accepted"), [(".", True), ("./", True), ("src/", False), ("../other", False)])
def test_main_must_be_the_project_root(main: str, accepted: bool) -> None:
    text = PROJECT_YAML + f"main: {main}\n"
    if accepted:
        _check_project(text)
    else:
        with pytest.raises(ProjectFileError, match="main is"):
            _check_project(text)


@pytest.mark.parametrize("typo", ["nmae", "Runtime", "confg", "stackConfigDri"])
def test_a_misspelt_project_attribute_is_named(typo: str) -> None:
    original = {"nmae": "name", "Runtime": "runtime", "confg": "config", "stackConfigDri": "stackConfigDir"}[typo]
    text = (
        PROJECT_YAML + f"{typo}: x\n"
        if original in ("stackConfigDir",)
        else PROJECT_YAML.replace(f"{original}:", f"{typo}:", 1)
    )
    with pytest.raises(ProjectFileError, match=f"did you mean '{original}'"):
        _check_project(text)


def test_stack_config_dir_is_where_the_stack_file_is_read(tmp_path: Path) -> None:
    project = project_in(tmp_path, PROJECT_YAML + "stackConfigDir: stacks\n")
    assert project.stack_file(tmp_path, "dev") == tmp_path / "stacks" / "Pulumi.dev.yaml"
    with pytest.raises(ProjectFileError, match="inside the project"):
        project_in(tmp_path, PROJECT_YAML + "stackConfigDir: ../elsewhere\n")


PROJECT_CONFIG_CASES = [
    # (Pulumi.yaml config block, what the program receives / the refusal)
    ("  signals.enabled: false\n", ("signals", {"enabled": False})),
    ("  ai-observability:signals:\n    value:\n      enabled: false\n", ("signals", {"enabled": False})),
    ("  signals:\n    type: object\n    default:\n      enabled: false\n", ("signals", {"enabled": False})),
    ("  kong.enabled:\n    default: false\n", ("kong", None)),  # the stack's own kong wins whole
]


@pytest.mark.parametrize(("block", "expected"), PROJECT_CONFIG_CASES)
def test_project_config_is_merged_as_the_cli_merges_it(tmp_path: Path, block: str, expected: tuple[str, Any]) -> None:
    project = project_in(tmp_path, PROJECT_YAML.replace("config:\n", "config:\n" + block, 1))
    section, _ = expected
    config = prepare("dev", dev(), ENV, project).validate(ENV)
    if section == "signals":
        assert config.signals.enabled is False  # a project-level value that disables the detectors is honoured
    else:
        assert config.kong.enabled is True  # dev sets kong; the stack's value wins whole


def test_project_config_disabling_the_detectors_reaches_the_plan(tmp_path: Path) -> None:
    project = project_in(tmp_path, PROJECT_YAML.replace("config:\n", "config:\n  signals.enabled: false\n", 1))
    raw = dev()
    with_signals = prepare("dev", raw, ENV).validate(ENV)
    assert with_signals.signals.enabled is True
    assert prepare("dev", raw, ENV, project).validate(ENV).signals.enabled is False


@pytest.mark.parametrize(
    ("block", "says"),
    [
        ("  teamName:\n    type: string\n", "is required: Pulumi.yaml declares it without a default"),
        ("  kong:\n    type: string\n", "must be of type 'string'"),
        ("  eks:\n    type: object\n    secret: true\n", "must be encrypted: Pulumi.yaml declares it secret"),
        ("  kong:\n    default: {}\n    value: {}\n", "cannot have both a 'default' and 'value'"),
        ("  aws:region:\n    default: eu-west-1\n", "should not define a default value"),
        ("  aws:region:\n    type: string\n    value: x\n", "should not define a type"),
        ("  tags:\n    type: array\n", "does not specify the underlying type"),
        ("  tags:\n    typo: 1\n", "unknown attribute 'typo'"),
        ("  tags: 1.5\n", "is not a config declaration"),
        ("  tags:\n    type: integer\n    default: abc\n", "is not of the expected type"),
    ],
)
def test_project_config_is_checked_as_the_cli_checks_it(tmp_path: Path, block: str, says: str) -> None:
    text = PROJECT_YAML.replace("config:\n", "config:\n" + block, 1)
    refused: ProjectFileError | None = None
    try:
        project = project_in(tmp_path, text)
    except ProjectFileError as caught:
        refused = caught
    if refused is not None:
        assert says in str(refused)
        return
    issues = issues_of(dev(), project=project)
    assert any(says in issue.message for issue in issues), issues


# --- the region, and what marks a stack as production ---------------------------------------------------


@pytest.mark.parametrize("env", [{}, {"AWS_REGION": "eu-west-1"}, {"AWS_DEFAULT_REGION": "eu-west-1"}])
def test_a_production_stack_without_aws_region_is_refused(env: dict[str, str]) -> None:
    raw = copy.deepcopy(stack_file("prod"))
    del raw["aws:region"]
    with pytest.raises(ConfigError) as caught:
        prepare("prod", raw, {**ENV, **env}).validate({**ENV, **env})
    assert any(i.path == "aws:region" and "required in a production stack" in i.message for i in caught.value.issues)


def test_a_production_stack_may_take_aws_region_from_pulumi_yaml(tmp_path: Path) -> None:
    raw = copy.deepcopy(stack_file("prod"))
    del raw["aws:region"]
    project = project_in(
        tmp_path, PROJECT_YAML.replace("config:\n", "config:\n  aws:region:\n    value: eu-central-1\n")
    )
    prepared = prepare("prod", raw, ENV, project)
    assert prepared.validate(ENV).aws_region == "eu-central-1"
    assert prepared.region == "eu-central-1"


@pytest.mark.parametrize(
    ("env", "region", "note"),
    [
        ({}, "us-east-1", "planned for us-east-1"),
        ({"AWS_REGION": "eu-west-3"}, "eu-west-3", "planned for $AWS_REGION (eu-west-3)"),
        ({"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1", "planned for $AWS_DEFAULT_REGION"),
    ],
)
def test_a_non_production_stack_without_aws_region_says_which_region_it_planned(
    env: dict[str, str], region: str, note: str
) -> None:
    raw = dev()
    del raw["aws:region"]
    prepared = prepare("dev", raw, {**ENV, **env})
    assert prepared.region == region
    assert any(note in n for n in prepared.notes)


@pytest.mark.parametrize(
    ("pack", "production"),
    [
        ({"all": "mandatory"}, True),
        ({"all": {"enforcementLevel": "mandatory"}}, True),
        ({"all": "remediate"}, True),
        ({"all": "advisory"}, False),
        ({"all": "disabled"}, False),
        ({"stack-has-bedrock-guardrails": "mandatory"}, False),
        ({}, False),
    ],
)
def test_production_is_a_stack_whose_policy_config_enforces_every_policy(
    tmp_path: Path, pack: dict[str, Any], production: bool
) -> None:
    import json

    assert enforces_all_policies(pack) is production
    (tmp_path / "live.json").write_text(json.dumps(pack))
    assert is_production("live", tmp_path) is production
    assert is_production("absent", tmp_path) is False


def test_the_committed_stacks_are_classified_by_their_policy_config() -> None:
    assert is_production("prod")
    assert not is_production("dev")


# --- duplicate URNs name the configuration behind them ---------------------------------------------------


def test_a_duplicate_urn_names_the_config_keys_that_produced_it() -> None:
    """Two admin roles with one role name in two accounts derive one access-entry name: the engine would
    refuse the duplicate URN; the plan says which keys to change."""
    raw = copy.deepcopy(stack_file("prod"))
    raw[f"{NS}:eks"]["adminRoleArns"] = [
        "arn:aws:iam::111122223333:role/PlatformAdmin",
        "arn:aws:iam::444455556666:role/PlatformAdmin",
    ]
    with pytest.raises(plan.PlanError) as caught:
        plan.evaluate_stack("prod", raw_config=raw, env=ENV)
    message = str(caught.value)
    assert "Duplicate resource URN" in message
    assert f"{NS}:eks.adminRoleArns[0]" in message
    assert f"{NS}:eks.adminRoleArns[1]" in message


def test_config_sources_name_only_values_found_in_the_name() -> None:
    from tools.config_sources import config_sources

    values = {
        f"{NS}:nims": [{"name": "llama", "namespace": "nim-a"}, {"name": "a-llama", "namespace": "nim"}],
        f"{NS}:dynatraceApiToken": "llama-secret",
        "aws:region": "eu-central-1",
    }
    found = config_sources("nim-a-llama", values)
    assert found[0] == f"{NS}:nims[1].name"  # the longest match first
    assert set(found) == {
        f"{NS}:nims[1].name",
        f"{NS}:nims[0].name",
        f"{NS}:nims[0].namespace",
        f"{NS}:nims[1].namespace",
    }


# --- a rejected config is refused fast -------------------------------------------------------------------

REJECTED = {
    "typo-top-level": "confg:\n  aws:region: eu-central-1\n",
    "yaml-1.1-boolean": (ROOT / "Pulumi.dev.yaml")
    .read_text()
    .replace("  ai-observability:kong:\n    enabled: true", "  ai-observability:kong:\n    enabled: on"),
    "whole-section-encrypted": yaml.safe_dump({"config": {**dev(), f"{NS}:governance": {"secure": CIPHERTEXT}}}),
    "empty-ciphertext": yaml.safe_dump({"config": {**dev(), f"{NS}:tags": {"owner": {"secure": ""}}}}),
    "snake-case-key": yaml.safe_dump({"config": {**dev(), f"{NS}:kong": {"enabled": True, "namespace_name": "k"}}}),
    "secret-copied-in-a-tag": yaml.safe_dump({"config": {**dev(), f"{NS}:tags": {"note": FAKE_NGC_KEY}}}),
    "prod-without-region": yaml.safe_dump(
        {"config": {k: v for k, v in stack_file("prod").items() if k != "aws:region"}}
    ),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_a_rejected_config_is_refused_in_under_a_second(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = "prod" if name.startswith("prod") else "rejected"
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(REJECTED[name])
    args = [stack, "--stack-dir", str(tmp_path), "--out", str(tmp_path / "out")]
    plan.main(args)  # warm: imports are paid once per process, not per config
    capsys.readouterr()
    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENV.items():
            patch.setenv(key, value)
        code = plan.main(args)
    elapsed = time.perf_counter() - started
    assert code == 2, capsys.readouterr()
    assert elapsed < 1.0, f"{name}: refused in {elapsed:.2f} s"
    assert not (tmp_path / "out").exists()
