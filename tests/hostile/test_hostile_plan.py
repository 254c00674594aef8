"""Hostile and mistaken input to the real CLI (``python -m tools.plan``), run in a copy of the project.

Every case asserts the exit code, what the message must name (file, key path, allowed values),
that no traceback is printed, that no secret in the input is echoed, and that nothing changed
outside ``build/<stack>/`` (nothing at all when the stack is refused).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT as ROOT_PROJECT
from tests.conftest import stack_file
from tests.hostile.project_copy import changes_outside, clean_env, copy_project, run_cli, snapshot

NS = "ai-observability"
FAKE_TOKEN = "dt0c01.HOSTILEPUBLIC000000000000." + "HOSTILESECRETPART".ljust(64, "9")
URL_PASSWORD = "UrlPassw0rdNeverShown"


def dev() -> dict[str, Any]:
    return copy.deepcopy(stack_file("dev"))


def dev_text(mutate: Callable[[dict[str, Any]], None] | None = None) -> str:
    raw = dev()
    if mutate is not None:
        mutate(raw)
    return yaml.safe_dump({"config": raw}, sort_keys=False)


def dev_with_lines(*lines: str) -> str:
    """The dev stack file with raw YAML lines added under ``config:`` (two-space indent)."""
    return dev_text() + "".join(f"  {line}\n" for line in lines)


def alias_bomb(levels: int = 10) -> str:
    lines = ["config:", '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"  a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    id: str
    expect: int
    must: tuple[str, ...] = ()  # in stderr (exit 2) or stdout (exit 0/1)
    text: str | bytes | None = None  # the stack file; None: the dev file unchanged
    stack: str = "hostile"
    write_file: bool = True  # False when the name cannot even be a file name
    env: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    extra_files: dict[str, str | bytes] = field(default_factory=dict)  # relative path -> content
    outputs_hold: tuple[str, ...] = ()  # text the written plan.json must contain


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation setting ``<section>.<a>.<b>`` (list indexes as numbers) in the dev config."""

    def mutate(raw: dict[str, Any]) -> None:
        section, *rest = path.split(".")
        target: Any = raw.setdefault(f"{NS}:{section}", {})
        for part in rest[:-1]:
            target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
        last = rest[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _with(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(raw: dict[str, Any]) -> None:
        raw[key] = value

    return mutate


def _rename(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def mutate(raw: dict[str, Any]) -> None:
        raw[new] = raw.pop(old)

    return mutate


STACK_RULE = "may only contain alphanumeric, hyphens, underscores, or periods"
FILE = "Pulumi.hostile.yaml"

CASES: list[Case] = [
    # --- stack names: Pulumi's rule, and never a path ------------------------------------------
    Case("name-dotdot", 2, ("invalid stack name '..'",), stack=".."),
    Case("name-dot", 2, ("invalid stack name '.'",), stack="."),
    Case("name-parent-path", 2, ("invalid stack name", STACK_RULE, "'/'"), stack="../evil", write_file=False),
    Case("name-nested-path", 2, ("invalid stack name", "'/'"), stack="dev/../../x", write_file=False),
    Case("name-space", 2, ("invalid stack name 'my stack'", STACK_RULE, "position 2"), stack="my stack"),
    Case("name-semicolon", 2, ("invalid stack name", STACK_RULE, "';'"), stack="dev;id"),
    Case("name-command-subst", 2, ("invalid stack name", STACK_RULE), stack="$(id)"),
    Case("name-empty", 2, ("may not be empty",), stack="", write_file=False),
    Case("name-too-long", 2, ("cannot exceed 100 characters",), stack="a" * 101, write_file=False),
    Case("name-non-ascii", 2, ("invalid stack name", STACK_RULE, "position 1"), stack="dév"),
    Case("name-newline", 2, ("invalid stack name", STACK_RULE), stack="dev\nprod", write_file=False),
    Case("name-backslash", 2, ("invalid stack name", STACK_RULE), stack="dev\\x"),
    # --- the file's structure ---------------------------------------------------------------------
    Case("root-list", 2, (FILE, "must be a mapping", "found a list"), text="- config\n- x\n"),
    Case("root-scalar", 2, (FILE, "must be a mapping", "found a single str value"), text="just a string\n"),
    Case("root-number", 2, (FILE, "must be a mapping", "int"), text="42\n"),
    Case("empty-file", 2, (f"{NS}:dynatrace: is required",), text=""),
    Case("config-list", 2, (FILE, "'config' must be a mapping"), text="config:\n  - a\n  - b\n"),
    Case("config-scalar", 2, (FILE, "'config' must be a mapping"), text="config: hello\n"),
    Case("key-integer", 2, (FILE, "key 123", "keys must be strings"), text=dev_with_lines("123: x")),
    Case("key-null", 2, (FILE, "key None", "keys must be strings"), text=dev_with_lines("null: x")),
    Case("key-bool", 2, (FILE, "key True", "keys must be strings"), text=dev_with_lines("true: x")),
    Case(
        "nested-key-integer",
        2,
        (FILE, "key 7 under config.ai-observability:tags", "keys must be strings"),
        text=dev_text().replace("    environment: dev\n", "    environment: dev\n    7: seven\n"),
    ),
    Case(
        "yaml-unclosed-flow",
        2,
        (FILE, "invalid YAML at line 3", "started at line 2, column 15"),
        text="config:\n  aws:region: [eu-central-1\n",
    ),
    Case("yaml-tab-indent", 2, (FILE, "invalid YAML at line 3"), text="config:\n  aws:region: x\n\tbad: 1\n"),
    Case("yaml-bad-indent", 2, (FILE, "invalid YAML at line"), text="config:\n  a:b: 1\n   c:d: 2\n  - e\n"),
    Case("not-utf8", 2, (FILE, "not valid UTF-8", "byte 24"), text=b"config:\n  aws:region: eu\xff\xfe-central-1\n"),
    Case("nul-character", 2, (FILE, "unacceptable character #x0000"), text="config:\n  aws:region: eu\x00\n"),
    Case("alias-bomb", 2, (FILE, "expands to more than 100000 values through aliases"), text=alias_bomb()),
    Case("alias-recursive", 2, (FILE, "recursive alias"), text="config: &c\n  ai-observability:tags: *c\n"),
    Case(
        "duplicate-top-key",
        2,
        (FILE, "mapping key 'ai-observability:dynatrace'", "already defined"),
        text=dev_with_lines(f"{NS}:dynatrace: {{environmentUrl: https://other.live.dynatrace.com}}"),
    ),
    Case(
        "duplicate-nested-key",
        2,
        (FILE, "mapping key 'environment'", "already defined at line"),
        text=dev_text().replace("    environment: dev\n", "    environment: dev\n    environment: prod\n"),
    ),
    Case(
        "yaml-binary-is-text",  # yaml.v3 decodes !!binary into the string it encodes
        0,
        ("Offline plan for stack 'hostile'",),
        text=dev_text().replace("    owner: platform-team\n", "    owner: !!binary cGxhdGZvcm0tdGVhbQ==\n"),
    ),
    Case("yaml-set", 2, (FILE, "'!!set' is not plain data"), text=dev_with_lines(f"{NS}:x: !!set {{a, b}}")),
    Case("yaml-unknown-tag", 2, (FILE, "invalid YAML", "!Ref"), text=dev_with_lines(f"{NS}:x: !Ref thing")),
    Case(
        "yaml-python-tag",
        2,
        (FILE, "invalid YAML", "python/object"),
        text="config:\n  x: !!python/object/apply:os.system ['touch pwned']\n",
    ),
    Case(
        "deep-nesting",
        2,
        (FILE, "nesting"),
        text="config:\n  ai-observability:tags: " + "[" * 200 + "]" * 200 + "\n",
    ),
    Case("oversized", 2, (FILE, "larger than 1048576 bytes"), text="config:\n" + "# padding\n" * 120_000),
    # --- keys and namespaces ----------------------------------------------------------------------
    Case(
        "namespace-typo",
        2,
        ("ai-observabilty:governance", "did you mean ai-observability:governance?"),
        text=dev_text(_rename(f"{NS}:governance", "ai-observabilty:governance")),
    ),
    Case(
        "namespace-underscore",
        2,
        ("ai_observability:guardrails", "did you mean ai-observability:guardrails?"),
        text=dev_text(_rename(f"{NS}:guardrails", "ai_observability:guardrails")),
    ),
    Case(
        "namespace-case",
        2,
        ("AI-Observability:collector", "did you mean ai-observability:collector?"),
        text=dev_text(_rename(f"{NS}:collector", "AI-Observability:collector")),
    ),
    Case(
        "namespace-missing-letter-secret",
        2,
        ("ai-obsrvability:dynatraceApiToken", "did you mean ai-observability:dynatraceApiToken?"),
        text=dev_text(_with("ai-obsrvability:dynatraceApiToken", FAKE_TOKEN)),
        secrets=(FAKE_TOKEN, "HOSTILESECRETPART"),
    ),
    Case(  # the CLI puts a bare key in the project's namespace
        "bare-key-is-the-projects",
        0,
        ("Offline plan for stack 'hostile'",),
        text=dev_text(_rename(f"{NS}:governance", "governance")),
    ),
    Case("key-empty-name", 2, (f"{NS}:: is not a configuration key",), text=dev_text(_with(f"{NS}:", "x"))),
    Case(
        "key-unknown-in-namespace",
        2,
        (f"{NS}:governace: unknown key", "allowed keys:", "governance"),
        text=dev_text(_rename(f"{NS}:governance", f"{NS}:governace")),
    ),
    # --- secrets committed in plain text ----------------------------------------------------------
    *[
        Case(
            f"plaintext-{key}",
            2,
            (f"{NS}:{key}: is stored in plain text in {FILE}", f"pulumi config set --secret {key} --stack hostile"),
            text=dev_text(_with(f"{NS}:{key}", value)),
            secrets=(value, value.split(".")[-1]),
        )
        for key, value in [
            ("dynatraceApiToken", FAKE_TOKEN),
            ("dynatracePlatformToken", "dt0s16.HOSTILEPLATFORM000000000." + "PLATFORMSECRET".ljust(64, "8")),
            ("dynatraceIngestToken", FAKE_TOKEN.replace("PUBLIC", "INGEST")),
            ("ngcApiKey", "nvapi-HostileNgcKeyValue000000000000000000"),
        ]
    ],
    Case(
        "plaintext-secret-number",
        2,
        (f"{NS}:ngcApiKey: is stored in plain text", "pulumi config set --secret ngcApiKey"),
        text=dev_text(_with(f"{NS}:ngcApiKey", 98765432109876543210)),
        secrets=("98765432109876543210",),
    ),
    # --- numbers where strings are meant ------------------------------------------------------------
    Case(
        "float-version",
        2,
        (f"{NS}:eks.version", "quote it", '"1.30"'),
        text=dev_text().replace("    create: false\n", "    create: false\n    version: 1.30\n", 1),
    ),
    Case(
        "float-image-version",
        2,
        (f"{NS}:collector.imageVersion", "as a number", "quote"),
        text=dev_text(_set("collector.imageVersion", 0.6)),
    ),
    Case(
        "int-tag-value",
        2,
        (f"{NS}:tags.cost-center", "as a number: quote it", '"0"'),
        text=dev_text(_set("tags.cost-center", 0)),
    ),
    # --- secrets inside rejected values are never echoed ------------------------------------------
    Case(
        "url-credentials",
        2,
        (f"{NS}:dynatrace.environmentUrl", "https://", "[redacted]"),
        text=dev_text(_set("dynatrace.environmentUrl", f"http://admin:{URL_PASSWORD}@abc12345.live.dynatrace.com")),
        secrets=(URL_PASSWORD, f"admin:{URL_PASSWORD}"),
    ),
    Case(
        "token-in-field",
        2,
        (f"{NS}:governance.bucket.name",),
        text=dev_text(_set("governance.bucket.name", FAKE_TOKEN)),
        secrets=(FAKE_TOKEN, "HOSTILESECRETPART"),
    ),
    Case(
        "token-as-key",
        2,
        ("unknown key", "allowed keys:"),
        text=dev_text(lambda raw: raw[f"{NS}:governance"].update({FAKE_TOKEN: "x"})),
        secrets=(FAKE_TOKEN, "HOSTILESECRETPART"),
    ),
    Case(
        "ngc-key-in-image",
        2,
        (f"{NS}:nims[0].image",),
        text=dev_text(_set("nims.0.image", "nvapi-LeakedNgcKey00000000000000000000")),
        secrets=("LeakedNgcKey00000000000000000000",),
    ),
    Case(
        "bad-env-token",
        2,
        (f"{NS}:dynatraceApiToken (from $DT_API_TOKEN)", "value not shown", "dt0c01.<24 upper-alnum>"),
        env={"DT_API_TOKEN": "not-a-token-but-still-secret-QWERTY123"},
        secrets=("not-a-token-but-still-secret-QWERTY123", "QWERTY123"),
    ),
    # --- the policy configuration named when it is broken ------------------------------------------
    Case(
        "policy-json-syntax",
        2,
        ("policies/config/hostile.json: invalid JSON at line 1, column 3",),
        extra_files={"policies/config/hostile.json": "{ all: mandatory }"},
    ),
    Case(
        "policy-json-not-utf8",
        2,
        ("policies/config/hostile.json: not valid UTF-8",),
        extra_files={"policies/config/hostile.json": b'{"all": "mandatory\xff"}'},
    ),
    Case(
        "policy-json-list",
        2,
        ("policies/config/hostile.json", "must be a JSON object"),
        extra_files={"policies/config/hostile.json": "[]"},
    ),
    # --- accepted like Pulumi accepts them ---------------------------------------------------------
    Case("name-unusual-but-valid", 0, ("Offline plan for stack 'a.b-c_1'",), stack="a.b-c_1"),
    Case("name-three-dots-valid", 0, ("Offline plan for stack '...'",), stack="..."),
    Case(  # yaml.v3 reads a timestamp; Pulumi hands the program Go's text of it
        "timestamp-is-go-time-text",
        0,
        ("Offline plan for stack 'hostile'",),
        text=dev_text().replace("    owner: platform-team\n", "    owner: 2024-01-01\n"),
        outputs_hold=("2024-01-01 00:00:00 +0000 UTC",),
    ),
    # --- read as the Pulumi CLI reads it ---------------------------------------------------------
    Case(
        "top-level-typo", 2, (FILE, "top-level key 'confg'", "did you mean 'config'?"), text="confg:\n  aws:region: x\n"
    ),
    Case(
        "top-level-case",
        2,
        (FILE, "top-level key 'Config'", "did you mean 'config'?"),
        text=dev_text().replace("config:\n", "Config:\n", 1),
    ),
    Case("esc-environment", 2, (FILE, "Pulumi ESC"), text=dev_text() + "environment:\n  - team/prod\n"),
    Case(
        "yaml-1-1-boolean-is-text",
        2,
        (f"{NS}:kong.enabled: must be a boolean (allowed: true, false)", "got 'yes'"),
        text=dev_text(_set("kong.enabled", "PLACEHOLDER")).replace("enabled: PLACEHOLDER", "enabled: yes"),
    ),
    Case(
        "yaml-1-1-boolean-tag-value-is-valid",
        0,
        ("Offline plan for stack 'hostile'",),
        text=dev_text().replace("    owner: platform-team\n", "    owner: platform-team\n    backup: yes\n"),
        outputs_hold=('"backup": "yes"',),
    ),
    Case(
        "yaml-1-2-numbers",
        0,
        ("Offline plan for stack 'hostile'",),
        text=dev_text()
        .replace("retentionDays: 1825", "retentionDays: 1_825")
        .replace("rateLimitPerSecond: 50", "rateLimitPerSecond: 0x32"),
    ),
    Case(
        "key-unparsable", 2, ("a:b:c: could not parse a:b:c as a configuration key",), text=dev_with_lines("a:b:c: x")
    ),
    Case(
        "key-twice-bare-and-namespaced",
        2,
        (f"{NS}:tags: is set twice, as 'ai-observability:tags' and 'tags'",),
        text=dev_with_lines("tags: {a: b}"),
    ),
    Case(
        "secure-whole-section",
        2,
        (f"{NS}:governance: is encrypted as a whole", "pulumi config set --secret --path"),
        text=dev_text(_with(f"{NS}:governance", {"secure": "v1:HOSTILECIPHERTEXT"})),
        secrets=("HOSTILECIPHERTEXT",),
    ),
    Case(
        "secure-empty",
        2,
        (f"{NS}:tags.owner: 'secure:' is empty",),
        text=dev_text(_set("tags.owner", {"secure": ""})),
    ),
    Case(
        "secure-not-text",
        2,
        (f"{NS}:tags.owner: 'secure:' holds a int",),
        text=dev_text(_set("tags.owner", {"secure": 12345})),
    ),
    Case(
        "secure-leaf-is-read",
        0,
        ("placeholders used", "tags.owner (encrypted)"),
        text=dev_text(_set("tags.owner", {"secure": "v1:HOSTILELEAFCIPHER"})),
        secrets=("HOSTILELEAFCIPHER",),
    ),
    Case(
        "infinity",
        2,
        (f"{NS}:tags.cost-center: is inf", "cannot store"),
        text=dev_text(_set("tags.cost-center", "X")).replace("cost-center: X", "cost-center: .inf"),
    ),
    Case(
        "snake-case-key",
        2,
        (f"{NS}:governance.bucket.retention_days: unknown key; did you mean retentionDays?",),
        text=dev_text().replace("retentionDays: 1825", "retention_days: 1825"),
    ),
    Case(
        "secret-copied-into-a-tag",
        2,
        (f"{NS}:tags.note: holds the value of ngcApiKey (from $NGC_API_KEY) base64-encoded",),
        text=dev_text(_set("tags.note", "dXNlcjpudmFwaS1Ib3N0aWxlQ29waWVkS2V5MDAwMDAwMDAwMDAw")),
        env={"NGC_API_KEY": "nvapi-HostileCopiedKey000000000000"},
        secrets=("HostileCopiedKey", "dXNlcjpudmFwaS1Ib3N0aWxlQ29waWVkS2V5"),
    ),
    Case(
        "production-without-region",
        2,
        ("aws:region: is required in a production stack",),
        text=dev_text(lambda raw: raw.pop("aws:region")),
        env={"AWS_REGION": "eu-west-1"},
        extra_files={"policies/config/hostile.json": '{"all": "mandatory"}'},
    ),
    Case(
        "non-production-without-region",
        0,
        ("Note: aws:region is not set: planned for us-east-1",),
        text=dev_text(lambda raw: raw.pop("aws:region")),
    ),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("hostile") / "project")


def _stack_file_name(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


@pytest.fixture
def placed(project: Path, request: pytest.FixtureRequest) -> Iterator[Case]:
    case: Case = request.param
    written: list[Path] = []
    if case.write_file:
        path = project / _stack_file_name(case.stack)
        content = dev_text() if case.text is None else case.text
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        written.append(path)
    for relative, content in case.extra_files.items():
        path = project / relative
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        written.append(path)
    yield case
    for path in written:
        path.unlink(missing_ok=True)
    shutil.rmtree(project / "build", ignore_errors=True)


def _outputs_hold(project: Path, needle: str) -> list[str]:
    hits = []
    for path in (project / "build").rglob("*") if (project / "build").is_dir() else []:
        if path.is_file() and needle.encode() in path.read_bytes():
            hits.append(str(path.relative_to(project)))
    return hits


@pytest.mark.parametrize("placed", CASES, ids=[c.id for c in CASES], indirect=True)
def test_hostile_stack(placed: Case, project: Path) -> None:
    case = placed
    before = snapshot(project)
    proc = run_cli(project, ["--", case.stack], env=case.env)
    after = snapshot(project)
    output = proc.stdout + proc.stderr
    assert proc.returncode == case.expect, output
    assert "Traceback" not in output
    stream = proc.stderr if case.expect == 2 else proc.stdout
    for expected in case.must:
        assert expected in stream, f"{expected!r} not in:\n{stream}"
    for secret in case.secrets:
        assert secret not in output, f"secret echoed: {secret[:10]}…"
        assert not _outputs_hold(project, secret)
    allowed = os.path.join("build", case.stack) if case.expect in (0, 1) else None
    assert changes_outside(before, after, allowed) == []
    assert (project / "canary-outside.txt").is_file()
    if case.expect in (0, 1):
        assert (project / "build" / case.stack / "plan.json").is_file()
        written = (project / "build" / case.stack / "plan.json").read_text()
        for text in case.outputs_hold:
            assert text in written, text
    else:
        assert not (project / "build").exists()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


# ---------------------------------------------------------------------------------------------
# Output folder: only build/<stack>/ (or a folder this tool wrote) is ever replaced
# ---------------------------------------------------------------------------------------------


def test_stack_named_dotdot_cannot_delete_the_checkout(project: Path) -> None:
    shutil.copy(project / "Pulumi.dev.yaml", project / "Pulumi....yaml")
    try:
        for _ in range(2):  # the second run is the one that used to remove build/.. (the checkout)
            proc = run_cli(project, [".."])
            assert proc.returncode == 2
            assert "invalid stack name '..'" in proc.stderr
        assert (project / "components").is_dir()
        assert (project / "canary-outside.txt").is_file()
        assert not (project / "plan.json").exists()
    finally:
        (project / "Pulumi....yaml").unlink()


def test_symlinked_stack_folder_is_not_followed(project: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    (project / "build").mkdir()
    try:
        (project / "build" / "dev").symlink_to(victim, target_is_directory=True)
        proc = run_cli(project, ["dev"])
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "symbolic link" in proc.stderr
        assert (victim / "precious.txt").read_text() == "keep me"
        assert sorted(p.name for p in victim.iterdir()) == ["precious.txt"]
    finally:
        shutil.rmtree(project / "build")


def test_symlinked_build_folder_is_not_followed(project: Path, tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere"
    (victim / "dev").mkdir(parents=True)
    (victim / "dev" / "precious.txt").write_text("keep me")
    (project / "build").symlink_to(victim, target_is_directory=True)
    try:
        proc = run_cli(project, ["dev"])
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "symbolic link" in proc.stderr
        assert (victim / "dev" / "precious.txt").read_text() == "keep me"
    finally:
        (project / "build").unlink()


def test_out_folder_not_written_by_the_plan_is_kept(project: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    proc = run_cli(project, ["dev", "--out", str(foreign)])
    assert proc.returncode == 2
    assert "not empty and was not written by this tool" in proc.stderr
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    for target in (project, project / "components"):
        proc = run_cli(project, ["dev", "--out", str(target)])
        assert proc.returncode == 2
        assert "contains the project" in proc.stderr or "not empty" in proc.stderr
    assert (project / "components" / "__init__.py").is_file()


def test_a_previous_plan_output_is_replaced(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan-out"
    assert run_cli(project, ["dev", "--out", str(out)]).returncode == 0
    (out / "manifests" / "stale.yaml").write_text("old\n")
    proc = run_cli(project, ["dev", "--out", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert not (out / "manifests" / "stale.yaml").exists()
    assert (out / "plan.json").is_file()


# ---------------------------------------------------------------------------------------------
# Duplicate URNs: refused like the engine refuses them
# ---------------------------------------------------------------------------------------------


def test_duplicate_urn_fails_the_plan_like_the_engine(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "dup")
    main = project / "__main__.py"
    main.write_text(
        main.read_text()
        + "\nimport pulumi_aws as _aws\n"
        + "_aws.sqs.Queue('same-name')\n"
        + "_aws.sqs.Queue('same-name')\n"
    )
    before = snapshot(project)
    proc = run_cli(project, ["dev"])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    urn = "urn:pulumi:dev::ai-observability::aws:sqs/queue:Queue::same-name"
    assert f"Duplicate resource URN '{urn}'" in proc.stderr
    assert "try giving it a unique name" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert changes_outside(before, snapshot(project), None) == []


def test_mock_runner_refuses_a_second_registration_of_one_urn() -> None:
    import pulumi

    from tools.mock_run import DuplicateUrnError, RegisteredResource, run_under_mocks

    def twice() -> None:
        pulumi.ComponentResource("test:index:Thing", "one")
        pulumi.ComponentResource("test:index:Thing", "one")

    def distinct() -> None:
        parent = pulumi.ComponentResource("test:index:Thing", "one")
        pulumi.ComponentResource("test:index:Thing", "one", opts=pulumi.ResourceOptions(parent=parent))

    with pytest.raises(DuplicateUrnError, match=r"Duplicate resource URN '.*test:index:Thing::one'"):
        run_under_mocks(twice, stack="dev", region="eu-central-1", resource_class=RegisteredResource)
    run = run_under_mocks(distinct, stack="dev", region="eu-central-1", resource_class=RegisteredResource)
    assert len(run.resources) == 2  # same name, different parents: different URNs


# ---------------------------------------------------------------------------------------------
# The Makefile: names derived from file names, STACK never pasted into a shell command
# ---------------------------------------------------------------------------------------------


def _make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    bin_dir = str(Path(sys.executable).parent)
    return subprocess.run(
        [make, "-s", "-o", "venv", *args, f"BIN={bin_dir}"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_make_plans_refuses_a_stack_file_named_dotdot(project: Path) -> None:
    shutil.copy(project / "Pulumi.dev.yaml", project / "Pulumi....yaml")
    try:
        before = snapshot(project)
        proc = _make(project, "plans")
        assert proc.returncode != 0
        assert "Pulumi....yaml: not a valid stack name" in proc.stderr
        assert changes_outside(before, snapshot(project), None) == []
    finally:
        (project / "Pulumi....yaml").unlink()


def test_make_plan_does_not_run_a_stack_name_as_shell(project: Path) -> None:
    before = snapshot(project)
    proc = _make(project, "plan", "STACK=dev;touch pwned")
    assert proc.returncode != 0
    assert "invalid stack name 'dev;touch pwned'" in proc.stderr
    assert not (project / "pwned").exists()
    assert changes_outside(before, snapshot(project), None) == []


# ---------------------------------------------------------------------------------------------
# Time to refuse
# ---------------------------------------------------------------------------------------------


def test_refusing_an_alias_bomb_is_fast(tmp_path: Path) -> None:
    from tools.stack_file import StackFileError, load_stack_config

    path = tmp_path / "Pulumi.bomb.yaml"
    path.write_text(alias_bomb(levels=12))
    started = time.process_time()
    with pytest.raises(StackFileError, match="through aliases"):
        load_stack_config(path)
    assert time.process_time() - started < 1.0


# ---------------------------------------------------------------------------------------------
# Pulumi.yaml is part of every stack
# ---------------------------------------------------------------------------------------------

PROJECT_FILE_CASES = [
    # (id, Pulumi.yaml text or None for a missing file, exit code, text the output must hold)
    ("missing", None, 2, "Pulumi.yaml: not found"),
    ("renamed", "name: ai-obs-fork\nruntime: python\n", 2, "renaming the project"),
    ("runtime-nodejs", "name: ai-observability\nruntime: nodejs\n", 2, "runtime is 'nodejs'"),
    ("main-elsewhere", "name: ai-observability\nruntime: python\nmain: other/\n", 2, "main is 'other/'"),
    (
        "required-project-key",
        "name: ai-observability\nruntime: python\nconfig:\n  team:\n    type: string\n",
        2,
        "ai-observability:team: is required",
    ),
    (
        "project-config-honoured",
        "name: ai-observability\nruntime: python\nconfig:\n  signals.enabled: false\n",
        0,
        "Offline plan for stack 'dev'",
    ),
]


@pytest.mark.parametrize(
    ("case_id", "text", "expect", "says"), PROJECT_FILE_CASES, ids=[c[0] for c in PROJECT_FILE_CASES]
)
def test_the_project_file_is_honoured_or_refused_as_the_cli_would(
    tmp_path: Path, case_id: str, text: str | None, expect: int, says: str
) -> None:
    project = copy_project(tmp_path / "project")
    if text is None:
        (project / "Pulumi.yaml").unlink()
    else:
        (project / "Pulumi.yaml").write_text(text)
    before = snapshot(project)
    proc = run_cli(project, ["dev"])
    output = proc.stdout + proc.stderr
    assert proc.returncode == expect, output
    assert says in output
    assert "Traceback" not in output
    if expect == 2:
        assert changes_outside(before, snapshot(project), None) == []
    if case_id == "project-config-honoured":  # the detectors are off, as `pulumi up` would have them
        document = (project / "build" / "dev" / "plan.json").read_text()
        assert "builtin:davis.anomaly-detectors" not in document


def test_the_stack_file_is_read_where_stack_config_dir_points(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "stacks").mkdir()
    (project / "Pulumi.dev.yaml").rename(project / "stacks" / "Pulumi.dev.yaml")
    (project / "Pulumi.yaml").write_text((project / "Pulumi.yaml").read_text() + "stackConfigDir: stacks\n")
    proc = run_cli(project, ["dev"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_duplicate_urn_from_config_names_the_keys_at_the_cli(tmp_path: Path) -> None:
    raw = copy.deepcopy(stack_file("prod"))
    raw[f"{NS}:eks"]["adminRoleArns"] = [
        "arn:aws:iam::111122223333:role/PlatformAdmin",
        "arn:aws:iam::444455556666:role/platformadmin",
    ]
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": raw}))
    proc = run_cli(ROOT_PROJECT, ["prod", "--stack-dir", str(tmp_path), "--out", str(tmp_path / "out")])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Duplicate resource URN" in proc.stderr
    assert f"{NS}:eks.adminRoleArns[0], {NS}:eks.adminRoleArns[1]" in proc.stderr
    assert not (tmp_path / "out").exists()
