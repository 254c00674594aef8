"""Every resource input that carries a value encrypted in the stack configuration is a secret.

A value encrypted inside a section (``pulumi config set --secret --path tags.owner``) reaches the
program as plain text (``components.config.encrypted_leaves``), and components use it as any other
value: in tags, names, documents. ``keep_secret`` registers one stack transformation that marks as
secret (``pulumi.Output.secret``) every input property, at any depth, whose text holds one of those
values, so the engine encrypts it in the state and previews show ``[secret]``; components need not know.

- A value of ``MIN_SECRET_CHARS`` or more is found anywhere inside text (a name or a JSON document
  derived from it is as secret as the value); shorter ones only where an input is exactly that text
  (the program refuses short decrypted values, so only the offline plan's stand-ins and the fallback
  of ``encrypted_leaves`` are that short). A mapping key cannot be secret on its own: a mapping with a
  key that holds one is secret as a whole. An ``Output`` is checked once it resolves.
- It is the SDK's legacy stack transformation (``pulumi.runtime.register_stack_transformation``,
  ``pulumi/runtime/stack.py``): the ``Resource`` constructor runs it in this process, before the
  inputs are serialized (``pulumi/resource.py``), so it acts identically under ``pulumi up`` and under
  the mocks of the offline plan. The newer ``register_resource_transform`` is run by the engine through
  a callback server, and the SDK's mock monitor records it without running it
  (``pulumi/runtime/mocks.py``, ``MockMonitor.RegisterStackTransform``): the plan would not show it.
- A resource whose name holds one the stack file shows encrypted is refused, naming the key: the
  name is part of the URN, which is never encrypted. ``components.stack.build`` marks the stack
  outputs with the same rule.
- Nothing is registered when no value is encrypted inside a section: the common stack pays nothing.
- Outputs the providers compute are theirs: the engine marks an output secret when the input of the
  same name is (see the ``additionalSecretOutputs`` resource option), and pulumi-aws keeps ``tagsAll``
  secret when ``tags`` holds a secret (pulumi/pulumi-aws#2778).
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi import _types

from components.config.encrypted_leaves import MIN_SECRET_CHARS, EncryptedValue
from components.config.errors import ConfigError, ConfigIssue

# The pickled provider of a dynamic resource (``pulumi.dynamic``): never configuration text.
_DYNAMIC_PROVIDER_KEY = "__provider"


class SecretMarker:
    """Marks as secret the parts of a value that hold one of ``texts`` (text → where it was configured)."""

    def __init__(self, texts: Mapping[str, EncryptedValue]) -> None:
        self._sources = dict(texts)
        longer = sorted((t for t in texts if len(t) >= MIN_SECRET_CHARS), key=len, reverse=True)
        self._inside = re.compile("|".join(re.escape(t) for t in longer)) if longer else None
        self._exact = frozenset(t for t in texts if 0 < len(t) < MIN_SECRET_CHARS)

    def source(self, text: str) -> EncryptedValue | None:
        """Where the secret text ``text`` holds was configured, or None when it holds none."""
        if text in self._exact:
            return self._sources[text]
        found = self._inside.search(text) if self._inside is not None else None
        return self._sources[found.group(0)] if found is not None else None

    def holds(self, text: str) -> bool:
        """Whether ``text`` holds one of the secret texts."""
        return self.source(text) is not None

    def mark(self, value: Any) -> Any:
        """``value`` with every part that holds a secret text wrapped in ``Output.secret``; the same
        object when nothing does."""
        if isinstance(value, str):
            return pulumi.Output.secret(value) if self.holds(value) else value
        if isinstance(value, pulumi.Output):
            return value.apply(self.mark)
        if isinstance(value, Mapping):
            if any(isinstance(key, str) and self.holds(key) for key in value):
                return pulumi.Output.secret(value)
            return self._rebuilt_mapping(value)
        if isinstance(value, list | tuple):
            items = [self.mark(item) for item in value]
            if all(new is old for new, old in zip(items, value, strict=True)):
                return value
            return type(value)(items) if isinstance(value, tuple) else items
        if _types.is_input_type(type(value)):  # an ``@input_type`` args object: its fields live in __dict__
            fields = self._rebuilt_mapping(vars(value))
            if fields is vars(value):
                return value
            clone = copy.copy(value)
            vars(clone).update(fields)
            return clone
        if inspect.isawaitable(value):
            return pulumi.Output.from_input(value).apply(self.mark)
        return value

    def _rebuilt_mapping(self, value: Mapping[Any, Any]) -> Any:
        items = {key: self.mark(item) for key, item in value.items()}
        if all(items[key] is item for key, item in value.items()):
            return value
        if isinstance(value, dict):
            rebuilt = copy.copy(value)  # keeps a dict subclass (an input type's key translation)
            rebuilt.update(items)
            return rebuilt
        return items

    def transformation(self, args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        """The stack transformation: the resource's inputs, marked; None when nothing is secret.

        A resource named from a secret is refused: its name is part of its URN, which the state, every
        preview and every log show in clear.
        """
        source = self.source(args.name)
        if source is not None and source.leaf_known:  # else a value beside the secret may be in names
            raise pulumi.RunError(
                str(
                    ConfigError(
                        [
                            ConfigIssue(
                                source.path,
                                f"is encrypted, but a resource's name holds its value ({args.type_}): a name is part"
                                " of the resource's URN, which the state and every preview show in clear, so it cannot"
                                " be secret; store this value in plain text (value not shown)",
                            )
                        ]
                    )
                )
            )
        props = args.props
        if not isinstance(props, Mapping):
            return None
        marked = {key: value if key == _DYNAMIC_PROVIDER_KEY else self.mark(value) for key, value in props.items()}
        if all(marked[key] is value for key, value in props.items()):
            return None
        return pulumi.ResourceTransformationResult(props=marked, opts=args.opts)


def keep_secret(texts: Mapping[str, EncryptedValue]) -> SecretMarker | None:
    """Mark, in every resource registered from now on, each input that holds one of ``texts`` secret.

    Returns the marker (to apply to the stack outputs too), or None when there is nothing to keep
    secret: then no transformation is registered at all.
    """
    if not texts:
        return None
    marker = SecretMarker(texts)
    pulumi.runtime.register_stack_transformation(marker.transformation)
    return marker
