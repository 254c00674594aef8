"""``Pulumi.yaml``, the project file: part of every stack, read and checked as the Pulumi CLI reads it.

The CLI loads it with ``workspace.LoadProject`` (``sdk/go/common/workspace/loaders.go`` in
pulumi/pulumi): the schema ``project.json`` and ``ValidateProject``, ``RewriteConfigPathIntoStackConfigDir``
and ``RewriteShorthandConfigValues``, then ``Project.Validate`` (``workspace/project.go``). What it
decides for this program:

- ``name`` names the config namespace of bare keys and every URN (``urn:pulumi:<stack>::<name>::...``);
  this program reads ``ai-observability:*`` and its URN snapshots use that name, so another name is
  refused (renaming would move every resource to a new URN);
- ``runtime`` picks the language host: only ``python`` runs this program; ``main`` points the CLI at
  another program folder, so only the project root is accepted;
- ``stackConfigDir`` (or the old ``config: <folder>``) is where the CLI reads ``Pulumi.<stack>.yaml``;
- ``config:`` declares project-level keys: a shorthand value (a default for the project's own keys, a
  fixed value for other namespaces), or ``{type, items, description, secret, default, value}``;
  ``tools.stack_config`` merges them into the stack's configuration as the CLI does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from components.config import NAMESPACE

from .stack_file import StackFileError, closest_key, load_document

PROJECT_FILE = "Pulumi.yaml"
# workspace.findProjectInDir tries encoding.Exts in this order (sdk/go/common/encoding/marshal.go).
PROJECT_FILE_CANDIDATES = ("Pulumi.json", "Pulumi.yaml", "Pulumi.yml")
# project.json: the top-level properties (other keys are allowed, but a near miss of these is a typo).
PROJECT_KEYS = (
    "author",
    "backend",
    "config",
    "description",
    "license",
    "main",
    "name",
    "options",
    "packages",
    "plugins",
    "runtime",
    "stackConfigDir",
    "template",
    "website",
)
CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")  # project.json simpleConfigType
_DECLARATION_KEYS = frozenset({"type", "items", "description", "secret", "default", "value"})
_ROOT_MAIN = frozenset({"", ".", "./"})


@dataclass(frozen=True)
class ConfigItems:
    """``items`` of an array type (``ProjectConfigItemsType``)."""

    type: str
    items: ConfigItems | None = None


@dataclass(frozen=True)
class ProjectConfig:
    """One entry of ``config:`` in Pulumi.yaml (``ProjectConfigType``), after the shorthand rewrite."""

    key: str  # as declared (bare keys belong to the project)
    type: str | None = None
    items: ConfigItems | None = None
    secret: bool = False
    value: Any = None  # the default or the value; None when neither is given
    has_value: bool = False


@dataclass(frozen=True)
class Project:
    name: str
    stack_config_dir: str | None = None
    config: tuple[ProjectConfig, ...] = field(default_factory=tuple)

    def stack_file(self, root: Path, stack: str) -> Path:
        """Where the CLI reads the stack's config (``workspace.ProjectStackPath``)."""
        folder = root / self.stack_config_dir if self.stack_config_dir else root
        return folder / f"Pulumi.{stack}.yaml"


class ProjectFileError(StackFileError):
    """Pulumi.yaml is missing, unreadable, or describes a project this program is not."""


def _fail(problem: str) -> ProjectFileError:
    return ProjectFileError(f"{PROJECT_FILE}: {problem}")


def namespaced_by_project(project: str, key: str) -> bool:
    """``configKeyIsNamespacedByProject``: a bare key, or one in the project's namespace."""
    return ":" not in key or key.startswith(project + ":")


def _items(value: Any, where: str) -> ConfigItems:
    if not isinstance(value, dict) or "type" not in value:
        raise _fail(f"{where}: 'items' must be a mapping with a 'type'")
    unknown = sorted(set(value) - {"type", "items"})
    if unknown:
        raise _fail(f"{where}.items: unknown attribute {unknown[0]!r} (allowed: type, items)")
    kind = value["type"]
    if kind not in CONFIG_TYPES:
        raise _fail(f"{where}.items.type: {kind!r} is not one of {', '.join(CONFIG_TYPES)}")
    nested = value.get("items")
    if kind == "array" and nested is None:
        raise _fail(f"{where}.items: an array needs 'items'")
    return ConfigItems(kind, _items(nested, f"{where}.items") if nested is not None else None)


def matches_type(kind: str, items: ConfigItems | None, value: Any) -> bool:
    """``workspace.ValidateConfigValue``: a value as the CLI checks it against a declared type."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return True
        if isinstance(value, str):
            text = value[1:] if value[:1] in "+-" else value
            return re.fullmatch("[0-9]+", text) is not None  # strconv.Atoi
        return False
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if kind == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(matches_type(items.type, items.items, item) for item in value)


def _entry(project: str, key: str, declared: Any) -> ProjectConfig:
    where = f"config.{key}"
    own = namespaced_by_project(project, key)
    if isinstance(declared, str | int | list):  # isPrimitiveValue (string, int, bool) or isArray
        # RewriteShorthandConfigValues: a default for the project's keys, a value for any other namespace.
        return ProjectConfig(key, value=declared, has_value=True)
    if not isinstance(declared, dict):
        found = "null" if declared is None else type(declared).__name__
        raise _fail(
            f"{where}: a {found} is not a config declaration (allowed: a string, integer, boolean, list, or a"
            " mapping of type, items, description, secret, default, value)"
        )
    unknown = sorted(set(declared) - _DECLARATION_KEYS)
    if unknown:
        near = closest_key(unknown[0], _DECLARATION_KEYS)
        hint = f"; did you mean {near!r}?" if near else ""
        raise _fail(
            f"{where}: unknown attribute {unknown[0]!r}{hint} (allowed: {', '.join(sorted(_DECLARATION_KEYS))})"
        )
    kind = declared.get("type")
    if kind is not None and kind not in CONFIG_TYPES:
        raise _fail(f"{where}.type: {kind!r} is not one of {', '.join(CONFIG_TYPES)}")
    has_default, has_value = declared.get("default") is not None, declared.get("value") is not None
    if has_default and has_value:
        raise _fail(f"project config '{key}' cannot have both a 'default' and 'value' attribute")
    items = _items(declared["items"], where) if declared.get("items") is not None else None
    secret = declared.get("secret", False)
    if not isinstance(secret, bool):
        raise _fail(f"{where}.secret: must be true or false")
    if own:
        if kind == "array" and items is None:
            raise _fail(
                f"The configuration key '{key}' declares an array but does not specify the underlying type via the"
                " 'items' attribute"
            )
        if kind is not None and has_default and not matches_type(kind, items, declared["default"]):
            raise _fail(
                f"The default value specified for configuration key '{key}' is not of the expected type '{kind}'"
            )
    else:
        if kind is not None:
            raise _fail(f"Configuration key '{key}' is not namespaced by the project and should not define a type")
        if has_default:
            raise _fail(
                f"Configuration key '{key}' is not namespaced by the project and should not define a default value;"
                " use 'value'"
            )
        if not has_value:
            raise _fail(f"Configuration key '{key}' is namespaced and must provide an attribute 'value'")
    value = declared.get("default") if has_default else declared.get("value")
    return ProjectConfig(key, type=kind, items=items, secret=secret, value=value, has_value=has_default or has_value)


def _runtime_name(runtime: Any) -> str | None:
    if isinstance(runtime, str):
        return runtime
    if isinstance(runtime, dict):
        unknown = sorted(set(runtime) - {"name", "options"})
        if unknown:
            raise _fail(f"runtime: unknown attribute {unknown[0]!r} (allowed: name, options)")
        if runtime.get("options") is not None and not isinstance(runtime["options"], dict):
            raise _fail("runtime.options: must be a mapping")
        name = runtime.get("name")
        return name if isinstance(name, str) else None
    return None


def _stack_config_dir(document: dict[str, Any]) -> str | None:
    folder = document.get("stackConfigDir")
    old = document.get("config")
    if isinstance(old, str):  # RewriteConfigPathIntoStackConfigDir
        if folder is not None:
            raise _fail("Should not use both config and stackConfigDir to define the stack directory")
        folder = old
    if folder is None or folder == "":
        return None
    if not isinstance(folder, str):
        raise _fail("stackConfigDir: must be a folder name")
    path = PurePosixPath(folder)
    if path.is_absolute() or ".." in path.parts or "\\" in folder:
        raise _fail(f"stackConfigDir: {folder!r} must be a folder inside the project (relative, without '..')")
    return folder


def load_project(root: Path) -> Project:
    """The project file of ``root`` as the CLI reads it; ``ProjectFileError`` when this program is not it."""
    present = [name for name in PROJECT_FILE_CANDIDATES if (root / name).is_file()]
    if not present:
        raise _fail(
            f"not found in {root}; every stack needs it (the Pulumi CLI would search the parent folders and run"
            " whatever project it finds there)"
        )
    if present[0] != PROJECT_FILE:
        raise _fail(f"{present[0]} is also present and the Pulumi CLI reads it first; keep only {PROJECT_FILE}")
    document = load_document(root / PROJECT_FILE)
    for key in document:
        near = closest_key(key, PROJECT_KEYS)
        if near is not None and near != key:
            raise _fail(f"unknown attribute {key!r}; did you mean {near!r}? (the Pulumi CLI would ignore it)")
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise _fail("project is missing a non-empty string 'name' attribute")
    if name != NAMESPACE:
        raise _fail(
            f"name is {name!r}, but this program reads its configuration as {NAMESPACE}:<key> and every URN it"
            f" registers (and the committed URN snapshots) uses the project name {NAMESPACE!r}: renaming the project"
            " would leave bare keys unread and replace every resource; keep 'name: ai-observability'"
        )
    runtime = _runtime_name(document.get("runtime"))
    if runtime != "python":
        shown = "missing" if document.get("runtime") is None else repr(runtime or document.get("runtime"))
        raise _fail(f"runtime is {shown}; this project is a Python program (runtime: python)")
    main = document.get("main")
    if main is not None and (not isinstance(main, str) or main.strip() not in _ROOT_MAIN):
        raise _fail(
            f"main is {main!r}: the Pulumi CLI would run the program there, but the program is this project's"
            " __main__.py (leave main out)"
        )
    config = document.get("config")
    entries: list[ProjectConfig] = []
    if isinstance(config, dict):
        for key in sorted(config):
            entries.append(_entry(name, key, config[key]))
    elif config is not None and not isinstance(config, str):
        raise _fail("config: must be a mapping of configuration keys")
    return Project(name=name, stack_config_dir=_stack_config_dir(document), config=tuple(entries))
