"""The offline plan: a credential-free preview of a stack.

``python -m tools.plan <stack>`` evaluates the real program (``__main__.py``) for
``Pulumi.<stack>.yaml`` under Pulumi's official mocks — no CLI, no cloud — runs the policy
pack's own rules over the registered resources and writes ``build/<stack>/``:

- ``plan.json``: ``{"stack", "resources": [{urn, type, name, parent, inputs}], "outputs"}``,
  inputs in engine wire format (camelCase) with every secret replaced by ``"[secret]"``;
- ``manifests/``: one YAML file per Kubernetes object;
- ``collector/config.yaml``: the rendered collector configuration (when a collector exists);
- ``policy-report.json``: ``[{policy, enforcement, urn, message}]``.

Exit codes: 0 success, 1 mandatory policy violation, 2 the stack cannot be planned (invalid stack
name, stack file or configuration, invalid policy configuration, or a program the engine would
refuse, such as one registering a duplicate URN). Nothing is ever written or deleted outside the
output folder, and no message shows a secret.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import functools
import json
import os
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import batch_gc

# Re-exported: the one mock mechanism's helpers are part of this module's interface too.
from .mock_run import REDACTED as REDACTED
from .mock_run import DuplicateUrnError, RegisteredResource, integral, run_under_mocks
from .mock_run import is_secret_wrapper as is_secret_wrapper
from .mock_run import redact as redact
from .mock_run import unwrap as unwrap
from .plan_credentials import summary_lines as credential_lines
from .stack_file import StackFileError, load_stack_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# libyaml's emitter when PyYAML was built with it (same output, several times faster).
_YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
EXIT_OK, EXIT_POLICY, EXIT_CONFIG = 0, 1, 2

PlannedResource = RegisteredResource  # one resource the program registered

# Pulumi's stack-name rule (tokens.ParseStackName in pulumi/pulumi sdk/go/common/tokens): 1-100
# characters from [A-Za-z0-9_.-]. Pulumi itself accepts "." and ".."; here a stack name also
# names files and the folder build/<stack>/, so those two are refused as well.
STACK_NAME_MAX = 100
_STACK_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]*")
PLAN_MARKER = ".offline-plan"  # marks a folder this tool wrote, so it may replace it


class PlanError(Exception):
    """The stack cannot be planned; the message is safe to show (exit code 2)."""


def stack_name_problem(stack: str) -> str | None:
    """Why ``stack`` is not a usable stack name, or None (Pulumi's rule plus no "."/"..")."""
    if not stack:
        return "a stack name may not be empty"
    if len(stack) > STACK_NAME_MAX:
        return f"a stack name cannot exceed {STACK_NAME_MAX} characters"
    match = _STACK_NAME_CHARS.match(stack)
    end = match.end() if match else 0
    if end != len(stack):
        return (
            "a stack name may only contain alphanumeric, hyphens, underscores, or periods:"
            f" invalid character {stack[end]!r} at position {end}"
        )
    if stack in (".", ".."):
        return f"{stack!r} is not a stack name (it names a directory)"
    return None


def check_stack_name(stack: str) -> None:
    problem = stack_name_problem(stack)
    if problem is not None:
        raise PlanError(f"invalid stack name {stack!r}: {problem}")


@dataclass
class PlanResult:
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]  # secrets already replaced by "[secret]"
    placeholders: list[str] = field(default_factory=list)  # secret keys given placeholder values
    platform_token_unused: bool = False  # both a platform token and an OAuth client configured: OAuth wins
    notes: list[str] = field(default_factory=list)  # what the plan assumed (e.g. the region)

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}


# ---------------------------------------------------------------------------------------------
# Configuration of a stack, as the engine would pass it to the program
# ---------------------------------------------------------------------------------------------


def read_stack_file(stack: str, root: Path | None = None) -> dict[str, Any]:
    """The ``config:`` of ``Pulumi.<stack>.yaml`` as written (keys not yet namespaced), checked as a
    committed file: a secret key in plain text is refused (``ConfigError``).

    ``root`` is the folder holding it; by default the one the CLI reads (the project root, or
    ``stackConfigDir`` of Pulumi.yaml). Raises ``PlanError`` (bad stack name), ``FileNotFoundError``,
    ``StackFileError`` (not a readable stack file, or Pulumi.yaml is not this project's).
    """
    from components.config import ConfigError

    from .plan_config import plaintext_issues
    from .pulumi_project import load_project

    check_stack_name(stack)
    project = load_project(PROJECT_ROOT)
    path = project.stack_file(PROJECT_ROOT, stack) if root is None else root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no stack file {path.name} in {path.parent}")
    config = load_stack_config(path)
    issues = plaintext_issues(stack, config, path.name, project)
    if issues:
        raise ConfigError(issues)
    return config


def engine_config(
    raw: Mapping[str, Any], env: Mapping[str, str], stack: str = "dev"
) -> tuple[dict[str, str], list[str], list[str]]:
    """Config as the program receives it (text, objects as JSON), secret keys, placeholders shown.

    See ``tools.plan_config``: encrypted and absent secrets get shape-valid placeholders, encrypted
    values inside sections get stand-ins; ``ConfigError`` for what the CLI or the stack refuses.
    """
    from .plan_config import prepare

    prepared = prepare(stack, raw, env)
    return prepared.config, prepared.secret_keys, prepared.placeholders


# ---------------------------------------------------------------------------------------------
# Running the program under mocks
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    """Expose exactly the secret env fallbacks of ``env`` to the program, restoring afterwards."""
    from components.config import SECRET_SPECS

    names = [spec.env for spec in SECRET_SPECS]
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in names:
            if env.get(name):
                os.environ[name] = env[name]
            else:
                os.environ.pop(name, None)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_program(
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    region: str,
    recorded: dict[str, PlannedResource] | None = None,
) -> PlanResult:
    """Run ``__main__.py`` under mocks; every registration lands in ``recorded`` as it happens."""
    registry: dict[str, PlannedResource] = {} if recorded is None else recorded
    path = PROJECT_ROOT / "__main__.py"
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    namespace: dict[str, Any] = {"__name__": "__pulumi__", "__file__": str(path), "__builtins__": builtins}
    # exec itself rather than runpy.run_path: the SDK records the whole Python stack of every
    # registration, so each frame between here and the program costs once per resource.
    run = run_under_mocks(
        functools.partial(exec, code, namespace),
        stack=stack,
        region=region,
        config=config,
        secret_keys=secret_keys,
        resource_class=PlannedResource,
        on_register=lambda resource: registry.__setitem__(resource.urn, resource),
    )
    # Registration order depends on asyncio scheduling; URN order makes the plan reproducible.
    resources = sorted(registry.values(), key=lambda r: r.urn)
    return PlanResult(stack=stack, resources=resources, outputs=run.redacted_outputs)


def evaluate_stack(
    stack: str = "dev",
    raw_config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> PlanResult:
    """Evaluate the program for ``stack`` under mocks (config validated first: ``ConfigError``).

    ``raw_config`` (the stack file's ``config:`` as written) defaults to ``Pulumi.<stack>.yaml``;
    ``env`` to ``os.environ`` (only the secret fallbacks such as ``DT_API_TOKEN`` and the AWS region
    variables are read from it). A duplicate URN is a ``PlanError`` naming the config keys behind it.
    """
    from components.config.encrypted_leaves import encrypted_leaves_given

    from .config_sources import config_sources_hint
    from .plan_config import prepare

    check_stack_name(stack)
    raw = dict(read_stack_file(stack) if raw_config is None else raw_config)
    environment = dict(os.environ if env is None else env)
    prepared = prepare(stack, raw, environment)
    with _environment(environment), encrypted_leaves_given(prepared.encrypted):
        parsed = prepared.validate(environment)  # fail fast, before any registration
        try:
            result = _run_program(stack, prepared.config, prepared.secret_keys, prepared.region)
        except DuplicateUrnError as error:
            raise PlanError(f"{error}{config_sources_hint(error.urn, prepared.values)}") from None
    result.placeholders = prepared.placeholders
    result.notes = prepared.notes
    result.platform_token_unused = parsed.uses_oauth_client and parsed.secrets.has("dynatracePlatformToken")
    return result


# ---------------------------------------------------------------------------------------------
# Artefacts
# ---------------------------------------------------------------------------------------------


def kubernetes_manifest(resource: PlannedResource) -> dict[str, Any] | None:
    """The object the API server would receive (secrets redacted), or None if not a k8s object."""
    if not resource.type.startswith("kubernetes:") or resource.type.startswith("kubernetes:helm"):
        return None
    try:
        _, group_version, kind = resource.type.split(":")
    except ValueError:
        return None
    group, _, version = group_version.rpartition("/")
    api_version = version if group in ("core", "") else f"{group}/{version}"
    manifest: dict[str, Any] = integral(redact(resource.inputs, keep_structure=True))
    manifest["apiVersion"] = manifest.get("apiVersion") or api_version
    manifest["kind"] = manifest.get("kind") or kind
    head: tuple[str, ...] = ("apiVersion", "kind", "metadata")
    ordered: dict[str, Any] = {k: manifest[k] for k in head if k in manifest}
    ordered.update({k: v for k, v in manifest.items() if k not in ordered})
    return ordered


def manifest_filename(manifest: Mapping[str, Any]) -> str:
    """``<kind>-<namespace>-<name>.yaml``, lower case; anything but [a-z0-9_-] becomes "-"."""
    metadata = manifest.get("metadata") or {}
    parts = [
        str(manifest.get("kind", "object")),
        str(metadata.get("namespace") or "cluster"),
        str(metadata.get("name")),
    ]
    return "-".join(re.sub(r"[^a-z0-9_-]", "-", p.lower()) for p in parts)[:200] + ".yaml"


def collector_config_text(result: PlanResult) -> str | None:
    """The ``config.yaml`` of the ConfigMap labelled ``ai-observability/role: collector-config``."""
    for resource in result.of_type("kubernetes:core/v1:ConfigMap"):
        inputs = resource.redacted_inputs
        labels = (inputs.get("metadata") or {}).get("labels") or {}
        if labels.get("ai-observability/role") == "collector-config":
            text = (inputs.get("data") or {}).get("config.yaml")
            return text if isinstance(text, str) else None
    return None


def plan_document(result: PlanResult) -> dict[str, Any]:
    return {
        "stack": result.stack,
        "resources": [
            {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent or None, "inputs": r.redacted_inputs}
            for r in result.resources
        ],
        "outputs": result.outputs,
    }


def default_out_dir(stack: str, root: Path = PROJECT_ROOT) -> Path:
    check_stack_name(stack)
    return root / "build" / stack


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_out_dir(out_dir: Path, *, build_root: Path | None = None) -> None:
    """Refuse an output folder this tool may not replace (``PlanError``); see ``prepare_out_dir``."""
    if out_dir.is_symlink():
        raise PlanError(f"output folder {out_dir} is a symbolic link; refusing to write through it")
    resolved = out_dir.resolve()
    if build_root is not None:
        if build_root.is_symlink():
            raise PlanError(f"{build_root} is a symbolic link; refusing to write through it")
        if resolved.parent != build_root.resolve():
            raise PlanError(f"output folder {out_dir} is not inside {build_root}; refusing to write there")
    if _inside(Path.cwd().resolve(), resolved) or _inside(PROJECT_ROOT.resolve(), resolved):
        raise PlanError(f"output folder {out_dir} contains the project or the working directory; refusing")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise PlanError(f"output folder {out_dir} exists and is not a folder; not replacing it")
    ours = (out_dir / PLAN_MARKER).is_file() or build_root is not None
    if not ours and any(out_dir.iterdir()):
        raise PlanError(
            f"output folder {out_dir} is not empty and was not written by this tool; not deleting it"
            " (choose a new or empty folder)"
        )


def prepare_out_dir(out_dir: Path, *, build_root: Path | None = None) -> None:
    """Empty ``out_dir`` for a new plan, deleting only what is provably this tool's own output.

    ``out_dir`` must not be a symbolic link. With ``build_root`` (the default ``build/`` of the
    project) it must resolve to a direct child of ``build_root``, which must not be a link either.
    An existing folder anywhere else is replaced only if a previous plan wrote it (it holds the
    marker file) or it is empty; otherwise nothing is deleted and ``PlanError`` is raised.
    """
    check_out_dir(out_dir, build_root=build_root)
    if out_dir.exists():
        # rmtree does not follow symbolic links inside the tree (rmtree.avoids_symlink_attacks on Linux).
        shutil.rmtree(out_dir)


def write_artefacts(
    result: PlanResult,
    violations: Sequence[Mapping[str, Any]],
    out_dir: Path,
    *,
    build_root: Path | None = None,
) -> None:
    prepare_out_dir(out_dir, build_root=build_root)
    (out_dir / "manifests").mkdir(parents=True)
    (out_dir / PLAN_MARKER).write_text("written by python -m tools.plan; replaced on the next run\n")
    (out_dir / "plan.json").write_text(json.dumps(plan_document(result), indent=2, sort_keys=False) + "\n")
    for resource in result.resources:
        manifest = kubernetes_manifest(resource)
        if manifest is not None:
            path = out_dir / "manifests" / manifest_filename(manifest)
            path.write_text(yaml.dump(manifest, Dumper=_YAML_DUMPER, sort_keys=False))
    collector = collector_config_text(result)
    if collector is not None:
        (out_dir / "collector").mkdir()
        (out_dir / "collector" / "config.yaml").write_text(collector)
    (out_dir / "policy-report.json").write_text(json.dumps(list(violations), indent=2) + "\n")


# ---------------------------------------------------------------------------------------------
# Summary and entry point
# ---------------------------------------------------------------------------------------------


def component_of(resource: PlannedResource, by_urn: Mapping[str, PlannedResource]) -> str:
    """The outermost component that contains ``resource`` (or its own type when top-level)."""
    current = resource
    while current.parent and current.parent in by_urn:
        current = by_urn[current.parent]
    return current.type if current is not resource or not resource.custom else "(top level)"


def summary(result: PlanResult, violations: Sequence[Mapping[str, Any]], out_dir: Path) -> str:
    by_urn = result.by_urn()
    custom = [r for r in result.resources if r.custom]
    per_component = Counter(component_of(r, by_urn) for r in custom)
    lines = [f"Offline plan for stack '{result.stack}': {len(custom)} resources to create"]
    for component, count in sorted(per_component.items()):
        lines.append(f"  {count:4d}  {component}")
    if result.placeholders:
        lines.append(f"Secrets not available offline (placeholders used): {', '.join(result.placeholders)}")
    lines += credential_lines(result.resources, token_also_set=result.platform_token_unused)
    lines.extend(f"Note: {note}" for note in result.notes)
    levels = Counter(str(v["enforcement"]) for v in violations)
    lines.append(
        f"Policy: {len(violations)} violation(s)"
        + (" (" + ", ".join(f"{n} {lvl}" for lvl, n in sorted(levels.items())) + ")" if violations else "")
    )
    for v in violations:
        subject = v["urn"].rsplit("::", 1)[-1] if v["urn"] else f"stack {result.stack}"
        lines.append(f"  [{v['enforcement']}] {v['policy']}: {subject}: {v['message']}")
    lines.append(f"Artefacts: {out_dir}")
    return "\n".join(lines)


def pack_config(stack: str) -> dict[str, Any]:
    """``policies/config/<stack>.json`` (or {}); ``PlanError`` naming the file when it is invalid."""
    from policies.runner import CONFIG_DIR, load_pack_config

    check_stack_name(stack)
    name = f"policies/config/{stack}.json"
    try:
        return load_pack_config(stack)
    except json.JSONDecodeError as error:
        raise PlanError(f"{name}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except UnicodeDecodeError as error:
        raise PlanError(f"{name}: not valid UTF-8 text (byte {error.start})") from None
    except RecursionError:
        raise PlanError(f"{name}: nesting too deep") from None
    except ValueError as error:  # the runner's own message names the file
        text = str(error).replace(str(CONFIG_DIR / f"{stack}.json"), name)
        raise PlanError(text if text.startswith(name) else f"{name}: {text}") from None
    except OSError as error:
        raise PlanError(f"{name}: cannot be read ({error.strerror or type(error).__name__})") from None


def policy_violations(result: PlanResult, stack: str) -> list[dict[str, Any]]:
    from policies.runner import run_policies

    return [v.as_dict() for v in run_policies(result.resources, pack_config(stack))]


def _fail(message: str) -> int:
    from components.config.errors import redact_text

    print(f"error: {redact_text(message)}", file=sys.stderr)
    return EXIT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default build/<stack>)")
    parser.add_argument(
        "--stack-dir",
        type=Path,
        default=None,
        help="directory holding Pulumi.<stack>.yaml (default: where the Pulumi CLI reads it: the project root,"
        " or stackConfigDir of Pulumi.yaml); the program and Pulumi.yaml are always this project's",
    )
    args = parser.parse_args(argv)
    try:
        return _plan(args.stack, args.out, args.stack_dir)
    except Exception as error:  # every failure is exit 2 with a redacted one-line reason, never a traceback
        return _fail(_describe(error))


def _describe(error: BaseException) -> str:
    from components.config import ConfigError

    if isinstance(error, ConfigError | PlanError | StackFileError | FileNotFoundError | DuplicateUrnError):
        return str(error)
    if isinstance(error, RecursionError | MemoryError):
        return f"the configuration is too large or too deeply nested to plan ({type(error).__name__})"
    text = str(error).strip()
    if "invalid stack configuration" in text:  # the program's own ConfigError, raised as a RunError
        return text[text.index("invalid stack configuration") :]
    return f"the program failed under the offline plan: {type(error).__name__}: {text}"


def _plan(stack: str, out: Path | None, stack_dir: Path | None) -> int:
    check_stack_name(stack)
    build_root = None if out is not None else PROJECT_ROOT / "build"
    out_dir = out if out is not None else default_out_dir(stack)
    check_out_dir(out_dir, build_root=build_root)  # before any work
    result = evaluate_stack(stack, raw_config=read_stack_file(stack, stack_dir))
    violations = policy_violations(result, stack)
    write_artefacts(result, violations, out_dir, build_root=build_root)
    from components.config.errors import redact_text

    print(redact_text(summary(result, violations, out_dir)))
    return EXIT_POLICY if any(v["enforcement"] == "mandatory" for v in violations) else EXIT_OK


if __name__ == "__main__":
    batch_gc.for_batch_run()
    exit_code = main()
    batch_gc.before_exit()
    sys.exit(exit_code)
