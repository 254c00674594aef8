"""The offline plan: a credential-free preview of a stack.

``python -m tools.plan <stack>`` evaluates the real program (``__main__.py``) for
``Pulumi.<stack>.yaml`` under Pulumi's official mocks — no CLI, no cloud — runs the policy
pack's own rules over the registered resources and writes ``build/<stack>/``:

- ``plan.json``: ``{"stack", "resources": [{urn, type, name, parent, inputs}], "outputs"}``,
  inputs in engine wire format (camelCase) with every secret replaced by ``"[secret]"``;
- ``manifests/``: one YAML file per Kubernetes object;
- ``collector/config.yaml``: the rendered collector configuration (when a collector exists);
- ``policy-report.json``: ``[{policy, enforcement, urn, message}]``.

Exit codes: 0 success, 1 mandatory policy violation, 2 invalid configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import shutil
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .mock_run import PROJECT, RegisteredResource, integral, run_under_mocks

# Re-exported: the one mock mechanism's helpers are part of this module's interface too.
from .mock_run import REDACTED as REDACTED
from .mock_run import is_secret_wrapper as is_secret_wrapper
from .mock_run import redact as redact
from .mock_run import unwrap as unwrap

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# libyaml's emitter when PyYAML was built with it (same output, several times faster).
_YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
EXIT_OK, EXIT_POLICY, EXIT_CONFIG = 0, 1, 2

PlannedResource = RegisteredResource  # one resource the program registered


@dataclass
class PlanResult:
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]  # secrets already replaced by "[secret]"
    placeholders: list[str] = field(default_factory=list)  # secret keys given placeholder values

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}


# ---------------------------------------------------------------------------------------------
# Configuration of a stack, as the engine would pass it to the program
# ---------------------------------------------------------------------------------------------


def read_stack_file(stack: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no stack file {path.name} in {root}")
    document = yaml.safe_load(path.read_text()) or {}
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path.name}: 'config' must be a mapping")
    return config


def _placeholder_for(key: str) -> str:
    """A shape-valid stand-in for a secret the offline plan cannot know (absent or encrypted)."""
    if key in ("dynatraceApiToken", "dynatraceIngestToken"):
        return "dt0c01." + "PLANPLACEHOLDER000000000" + "." + "0" * 64
    if key == "dynatracePlatformToken":
        return "dt0s16." + "PLANPLACEHOLDER000000000" + "." + "0" * 64
    return "PLAN-PLACEHOLDER-NGC-KEY-000000000000"


def engine_config(raw: Mapping[str, Any], env: Mapping[str, str]) -> tuple[dict[str, str], list[str], list[str]]:
    """Config as strings (objects JSON-encoded, like the engine), secret keys, placeholder keys.

    Encrypted values (``secure:``) cannot be decrypted offline: those the stack needs, and
    needed secrets that are absent with no environment fallback, get shape-valid
    placeholders (always handled as secrets, listed in the summary).
    """
    from components.config import SECRET_SPECS, ConfigError, key_path, parse_stack_config

    config: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            continue
        if isinstance(value, str):
            config[key] = value
        elif isinstance(value, bool):
            config[key] = "true" if value else "false"
        else:
            config[key] = json.dumps(value)
    secret_keys = [f"{PROJECT}:{spec.key}" for spec in SECRET_SPECS]
    placeholders: list[str] = []
    try:
        parse_stack_config(config, env)
    except ConfigError as error:
        missing = {issue.path for issue in error.issues if issue.message.startswith("is required")}
        for spec in SECRET_SPECS:
            if key_path(spec.key) in missing:
                config[f"{PROJECT}:{spec.key}"] = _placeholder_for(spec.key)
                placeholders.append(spec.key)
    return config, secret_keys, placeholders


# ---------------------------------------------------------------------------------------------
# Running the program under mocks
# ---------------------------------------------------------------------------------------------


def _region(raw: Mapping[str, Any]) -> str:
    value = raw.get("aws:region")
    return value if isinstance(value, str) and value else "us-east-1"


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

    def program() -> None:
        runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__pulumi__")

    run = run_under_mocks(
        program,
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

    ``raw_config`` defaults to ``Pulumi.<stack>.yaml``; ``env`` to ``os.environ`` (only the
    secret fallbacks such as ``DT_API_TOKEN`` are read from it).
    """
    from components.config import parse_stack_config

    raw = dict(read_stack_file(stack) if raw_config is None else raw_config)
    environment = dict(os.environ if env is None else env)
    config, secret_keys, placeholders = engine_config(raw, environment)
    with _environment(environment):
        parse_stack_config(config, environment, stack=stack)  # fail fast, before any registration
        result = _run_program(stack, config, secret_keys, _region(raw))
    result.placeholders = placeholders
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
    metadata = manifest.get("metadata") or {}
    parts = [
        str(manifest.get("kind", "object")),
        str(metadata.get("namespace") or "cluster"),
        str(metadata.get("name")),
    ]
    return "-".join(p.lower().replace(".", "-") for p in parts) + ".yaml"


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


def write_artefacts(result: PlanResult, violations: Sequence[Mapping[str, Any]], out_dir: Path) -> None:
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "manifests").mkdir(parents=True)
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
    levels = Counter(str(v["enforcement"]) for v in violations)
    lines.append(
        f"Policy: {len(violations)} violation(s)"
        + (" (" + ", ".join(f"{n} {lvl}" for lvl, n in sorted(levels.items())) + ")" if violations else "")
    )
    for v in violations:
        lines.append(f"  [{v['enforcement']}] {v['policy']}: {v['urn'].rsplit('::', 1)[-1]}: {v['message']}")
    lines.append(f"Artefacts: {out_dir}")
    return "\n".join(lines)


def policy_violations(result: PlanResult, stack: str) -> list[dict[str, Any]]:
    from policies.runner import load_pack_config, run_policies

    return [v.as_dict() for v in run_policies(result.resources, load_pack_config(stack))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, default=None, help="output directory (default build/<stack>)")
    parser.add_argument(
        "--stack-dir",
        type=Path,
        default=PROJECT_ROOT,
        help="directory holding Pulumi.<stack>.yaml (default: the project root); the program is always this project's",
    )
    args = parser.parse_args(argv)

    from components.config import ConfigError

    out_dir = args.out or PROJECT_ROOT / "build" / args.stack
    try:
        result = evaluate_stack(args.stack, raw_config=read_stack_file(args.stack, args.stack_dir))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except (FileNotFoundError, ValueError, yaml.YAMLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        violations = policy_violations(result, args.stack)
    except ValueError as error:  # an invalid policies/config/<stack>.json
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    write_artefacts(result, violations, out_dir)
    print(summary(result, violations, out_dir))
    return EXIT_POLICY if any(v["enforcement"] == "mandatory" for v in violations) else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
