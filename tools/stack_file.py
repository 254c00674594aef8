"""Reading ``Pulumi.<stack>.yaml`` and ``Pulumi.yaml`` defensively: bounded, typed as the Pulumi CLI
types them, every error naming the file and never quoting its content.

The CLI reads both files with Go's ``gopkg.in/yaml.v3`` (``sdk/go/common/encoding/marshal.go`` in
pulumi/pulumi) into ``interface{}`` values, then requires string keys everywhere
(``workspace.SimplifyMarshalledValue``, ``sdk/go/common/workspace/project.go``). This loader follows
it where a difference would change what a program receives:

- scalars are typed by YAML 1.2's core schema as yaml.v3 implements it (``tools.yaml_v3``): only
  ``true``/``false`` are booleans, ``yes``/``on`` stay strings, ``1_000``/``0x1F``/``0o17`` are integers,
  an unquoted date is a timestamp;
- a key defined twice in one mapping is an error (yaml.v3 compares the keys' text:
  ``mapping key "x" already defined``); ``<<`` merges mappings, explicit keys and earlier merged
  mappings winning, as in yaml.v3's ``decoder.merge``;
- every mapping key must be a string (``expected only string keys``);
- alias expansion is bounded (yaml.v3 refuses "excessive aliasing"); here the expanded size of the
  document is computed on the node graph, before anything is constructed, and recursive aliases are
  refused;
- text is UTF-8 (a byte-order mark is dropped, as ``readFileStripUTF8BOM`` in ``workspace/loaders.go``
  does; UTF-16 with a byte-order mark is read as the YAML spec allows).

Deliberately stricter than the CLI: a tag other than YAML's core tags (``!Ref``, ``!!python/...``,
``!!set``) is refused instead of being dropped, and a second document in the file is refused
instead of being ignored.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .yaml_v3 import (
    BINARY,
    BOOL,
    FLOAT,
    INT,
    MAP,
    MERGE,
    NULL,
    SEQ,
    STR,
    TIMESTAMP,
    YamlTypeError,
    scalar_value,
    short_tag,
)

MAX_STACK_FILE_BYTES = 1024 * 1024
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64

# The keys of a stack file (``workspace.ProjectStack`` in sdk/go/common/workspace/project.go). yaml.v3
# ignores any other key when it decodes into that struct, so a misspelt ``confg:`` would silently
# leave the stack without configuration.
STACK_FILE_KEYS = ("config", "encryptedkey", "encryptionsalt", "environment", "secretsprovider")
# Pulumi's "did you mean" distance for attribute names (maxValidationAttributeDistance in project.go).
MAX_KEY_DISTANCE = 2

_PLAIN = "tag:ai-observability,plain"  # marks an untagged plain scalar until tools.yaml_v3 types it
_SCALAR_TAGS = frozenset({STR, BOOL, INT, FLOAT, NULL, TIMESTAMP, BINARY})


class StackFileError(ValueError):
    """The stack file cannot be read as a Pulumi stack file; the message names the file."""


class _StackFileLoader(yaml.SafeLoader):
    """PyYAML's parser with YAML 1.1's implicit typing switched off: plain scalars keep a marker tag
    and ``tools.yaml_v3`` types them as yaml.v3 does."""

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _where(node: Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _is_merge(node: Node) -> bool:
    """yaml.v3 ``isMerge``: a plain ``<<`` (or one tagged ``!!merge``)."""
    return isinstance(node, ScalarNode) and node.value == "<<" and (node.tag == _PLAIN or short_tag(node.tag) == MERGE)


def _check_graph(name: str, root: Node) -> None:
    """Refuse recursive aliases, excessive expansion, deep nesting and duplicate keys.

    Linear in the number of distinct nodes: an alias shares its anchor's node, so each node's
    expanded size is computed once (a "billion laughs" document is refused without expanding it).
    """
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {id(root): 1}
    visiting: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            visiting.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = min(total, MAX_EXPANDED_NODES + 1)
            continue
        if key in sizes:
            continue
        if key in visiting:
            raise StackFileError(f"{name}: recursive alias at {_where(node)}: a stack file cannot refer to itself")
        if depths[key] > MAX_DEPTH:
            raise StackFileError(f"{name}: nesting deeper than {MAX_DEPTH} levels at {_where(node)}")
        visiting.add(key)
        stack.append((node, True))
        if isinstance(node, MappingNode):
            seen: dict[tuple[type[Node], str], Node] = {}
            for key_node, _ in node.value:
                # yaml.v3 decoder.mapping: keys of the same kind with the same text are duplicates.
                if isinstance(key_node, ScalarNode):
                    if (ScalarNode, key_node.value) in seen:
                        raise StackFileError(
                            f"{name}: mapping key {key_node.value!r} at {_where(key_node)} is already defined"
                            f" at {_where(seen[(ScalarNode, key_node.value)])}"
                        )
                    seen[(ScalarNode, key_node.value)] = key_node
        for child in _children(node):
            if id(child) not in sizes:
                depths[id(child)] = depths[key] + 1
                stack.append((child, False))
    if sizes[id(root)] > MAX_EXPANDED_NODES:
        raise StackFileError(
            f"{name}: the document expands to more than {MAX_EXPANDED_NODES} values through aliases;"
            " refused before expanding it"
        )


def _yaml_error(name: str, error: yaml.YAMLError) -> StackFileError:
    """The problem and its position, without the snippet of file content PyYAML would quote."""
    if isinstance(error, yaml.reader.ReaderError):
        return StackFileError(
            f"{name}: unacceptable character #x{error.character:04x} at character {error.position}: {error.reason}"
        )
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = error.problem or error.context or "invalid YAML"
        context = ""
        if error.context and error.problem:
            started = error.context_mark
            context = f" ({error.context}"
            if started is not None and started is not mark:
                context += f" started at line {started.line + 1}, column {started.column + 1}"
            context += ")"
        return StackFileError(f"{name}: invalid YAML{where}: {problem}{context}")
    return StackFileError(f"{name}: invalid YAML: {type(error).__name__}")


def _decode(name: str, data: bytes) -> str:
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise StackFileError(
            f"{name}: not valid {encoding.removesuffix('-sig').upper()} text (byte {error.start}):"
            " stack files are UTF-8"
        ) from None


def _path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


class _Constructor:
    """Builds the document from checked nodes as yaml.v3 decodes into ``interface{}``: dicts with string
    keys, lists, str, int, float, bool, None and ``GoTimestamp`` (aliases are expanded as copies)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, node: Node, problem: str) -> StackFileError:
        return StackFileError(f"{self.name}: invalid YAML at {_where(node)}: {problem}")

    def tag_error(self, node: Node, allowed: str) -> StackFileError:
        return self.fail(node, f"the tag {short_tag(node.tag)!r} is not plain data (allowed: {allowed})")

    def value(self, node: Node, path: str) -> Any:
        if isinstance(node, ScalarNode):
            if node.tag != _PLAIN and short_tag(node.tag) not in _SCALAR_TAGS:
                raise self.tag_error(node, "!!str, !!int, !!float, !!bool, !!null, !!timestamp, !!binary")
            try:
                return scalar_value(None if node.tag == _PLAIN else node.tag, node.value, node.style is not None)
            except YamlTypeError as error:
                raise self.fail(node, str(error)) from None
        if isinstance(node, SequenceNode):
            if short_tag(node.tag) != SEQ:
                raise self.tag_error(node, "!!seq on a list")
            return [self.value(item, f"{path}[{index}]") for index, item in enumerate(node.value)]
        if not isinstance(node, MappingNode) or short_tag(node.tag) != MAP:
            raise self.tag_error(node, "!!map on a mapping")
        return self.mapping(node, path)

    def mapping(self, node: MappingNode, path: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if _is_merge(key_node):
                merges.append(value_node)
                continue
            key = self.value(key_node, path)
            if not isinstance(key, str):
                kind = "null" if key is None else type(key).__name__
                shown = key if key is None or isinstance(key, bool | int | float) else key_node.value
                raise StackFileError(
                    f"{self.name}: key {shown!r} under {path or 'the document root'} ({_where(key_node)}) is a"
                    f" {kind}; keys must be strings (quote it)"
                )
            result[key] = self.value(value_node, _path(path, key))
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise self.fail(merge, "map merge requires map or sequence of maps as the value")
                for key, value in self.mapping(source, path).items():
                    result.setdefault(key, value)
        return result


def parse_document(text: str, name: str) -> dict[str, Any]:
    """The YAML document ``text`` (a mapping; ``{}`` when empty), typed as the Pulumi CLI types it.

    Raises ``StackFileError`` naming ``name``.
    """
    try:
        loader = _StackFileLoader(text)
    except yaml.YAMLError as error:  # the reader checks every character up front
        raise _yaml_error(name, error) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _check_graph(name, node)
        document = _Constructor(name).value(node, "")
    except yaml.YAMLError as error:
        raise _yaml_error(name, error) from None
    except RecursionError:
        raise StackFileError(f"{name}: nesting too deep to be a stack file") from None
    finally:
        loader.dispose()
    if document is None:
        return {}
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else f"a single {type(document).__name__} value"
        raise StackFileError(f"{name}: the document must be a mapping, found {kind}")
    return document


def load_document(path: Path) -> dict[str, Any]:
    """``parse_document`` of the file at ``path``: at most 1 MiB of UTF-8 (or UTF-16 with a BOM)."""
    name = path.name
    try:
        if path.stat().st_size > MAX_STACK_FILE_BYTES:
            raise StackFileError(f"{name}: larger than {MAX_STACK_FILE_BYTES} bytes; not a stack file")
        data = path.read_bytes()
    except OSError as error:
        raise StackFileError(f"{name}: cannot be read ({error.strerror or type(error).__name__})") from None
    return parse_document(_decode(name, data), name)


def _distance(left: str, right: str) -> int:
    """Levenshtein distance (insert, delete, substitute), as Pulumi's ``findClosestKey`` measures it."""
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def closest_key(needle: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to ``needle`` (case-insensitive, at most ``MAX_KEY_DISTANCE`` edits), or None;
    Pulumi's ``findClosestKey`` rule (ties go to the first alphabetically)."""
    best, best_distance = None, MAX_KEY_DISTANCE + 1
    for candidate in sorted(candidates):
        distance = _distance(needle.lower(), candidate.lower())
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def check_stack_document(document: dict[str, Any], name: str) -> dict[str, Any]:
    """``document`` if it holds only the keys the CLI reads, ``config`` a mapping; ``StackFileError`` otherwise.

    ``environment:`` (Pulumi ESC) is refused: the configuration it adds cannot be read offline, and a
    plan without it would silently fall back to defaults.
    """
    for key, value in document.items():
        if key not in STACK_FILE_KEYS:
            near = closest_key(key, STACK_FILE_KEYS)
            hint = f"did you mean '{near}'? " if near else ""
            raise StackFileError(
                f"{name}: top-level key {key!r} is not a stack file key ({hint}allowed: {', '.join(STACK_FILE_KEYS)});"
                " the Pulumi CLI ignores it, so nothing under it would apply"
            )
        if key == "environment" and value is not None:
            raise StackFileError(
                f"{name}: 'environment' imports Pulumi ESC environments, whose configuration the offline plan"
                " cannot read; plan this stack with `pulumi preview`, or move the values it needs into 'config'"
            )
        if key not in ("config", "environment") and isinstance(value, dict | list):
            raise StackFileError(f"{name}: {key!r} must be a single value (the CLI reads it as text)")
    config = document.get("config")
    if config is not None and not isinstance(config, dict):
        raise StackFileError(f"{name}: 'config' must be a mapping of <namespace>:<name> keys")
    return document


def load_stack_config(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of the stack file at ``path`` (``{}`` when absent), keys as written."""
    config = check_stack_document(load_document(path), path.name).get("config")
    return dict(config) if isinstance(config, dict) else {}
