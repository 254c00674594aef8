"""Reading ``Pulumi.<stack>.yaml`` defensively: bounded, typed like the engine reads it, every error
naming the file and never quoting its content.

The Pulumi CLI reads stack files with Go's ``gopkg.in/yaml.v3``; this loader follows it where a
difference would change the configuration a program receives:

- the document is a mapping (``config:`` a mapping of ``<namespace>:<name>`` keys);
- a key defined twice in one mapping is an error (yaml.v3: ``mapping key "x" already defined``);
- timestamps stay strings (yaml.v3 decodes them into ``interface{}`` as text);
- alias expansion is bounded (yaml.v3 refuses "excessive aliasing"); here the expanded size of
  the document is computed on the node graph, before anything is constructed, and recursive
  aliases are refused;
- text is UTF-8 (or UTF-16 with a byte-order mark, as the YAML spec allows).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_STACK_FILE_BYTES = 1024 * 1024
MAX_EXPANDED_NODES = 100_000
MAX_DEPTH = 64


class StackFileError(ValueError):
    """The stack file cannot be read as a Pulumi stack file; the message names the file."""


class _StackFileLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver (timestamps stay strings, as in yaml.v3)."""


_StackFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _where(node: Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


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
            seen: dict[str, Node] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.value in seen:
                        raise StackFileError(
                            f"{name}: mapping key {key_node.value!r} at {_where(key_node)} is already defined"
                            f" at {_where(seen[key_node.value])}"
                        )
                    seen[key_node.value] = key_node
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


def _check_types(name: str, value: Any, path: str) -> None:
    """Only what the engine passes on: mappings with string keys, lists, strings, numbers, booleans, null."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise StackFileError(
                    f"{name}: key {key!r} under {path or 'the document root'} is a {type(key).__name__};"
                    " keys must be strings (quote it)"
                )
            _check_types(name, item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_types(name, item, f"{path}[{index}]")
    elif not (value is None or isinstance(value, str | int | float | bool)):
        raise StackFileError(
            f"{name}: {path} holds a YAML {type(value).__name__}; allowed: mappings, lists, strings, numbers,"
            " booleans, null"
        )


def load_stack_document(path: Path) -> dict[str, Any]:
    """The document of the stack file at ``path`` (a mapping); ``StackFileError`` otherwise."""
    name = path.name
    try:
        if path.stat().st_size > MAX_STACK_FILE_BYTES:
            raise StackFileError(f"{name}: larger than {MAX_STACK_FILE_BYTES} bytes; not a stack file")
        data = path.read_bytes()
    except OSError as error:
        raise StackFileError(f"{name}: cannot be read ({error.strerror or type(error).__name__})") from None
    text = _decode(name, data)
    try:
        loader = _StackFileLoader(text)
    except yaml.YAMLError as error:  # the reader checks every character up front
        raise _yaml_error(name, error) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _check_graph(name, node)
        document = loader.construct_document(node)
    except yaml.YAMLError as error:
        raise _yaml_error(name, error) from None
    except RecursionError:
        raise StackFileError(f"{name}: nesting too deep to be a stack file") from None
    finally:
        loader.dispose()
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else f"a single {type(document).__name__} value"
        raise StackFileError(f"{name}: the document must be a mapping with a 'config:' mapping, found {kind}")
    _check_types(name, document, "")
    return document


def load_stack_config(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of the stack file at ``path`` (``{}`` when absent)."""
    document = load_stack_document(path)
    config = document.get("config")
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path.name}: 'config' must be a mapping of <namespace>:<name> keys")
    return config
