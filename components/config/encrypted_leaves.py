"""Values encrypted inside a configuration key, and the decrypted text the stack must keep secret.

``pulumi config set --secret --path tags.owner <value>`` stores ``{secure: <ciphertext>}`` at one leaf
of a key. At ``pulumi up`` the engine hands the program the whole key decrypted and says only that the
*key* holds a secret (``RunRequest.configSecretKeys``; in the Python SDK
``pulumi.runtime.is_config_secret``, ``pulumi/runtime/config.py``): which leaves were encrypted is not
passed on. A component reading ``tags.owner`` gets plain text, and a resource input built from it would
be stored unencrypted in the state.

So the program reads which leaves are encrypted where the CLI read them: ``Pulumi.<stack>.yaml`` (in
``stackConfigDir``), with the reader the offline plan uses (``tools.stack_config``). The decrypted
text at those leaves is what ``components.secret_inputs`` keeps secret in every resource input. The
offline plan hands the program the leaves it read itself (``encrypted_leaves_given``), with the
stand-ins it put there. Rules:

- a decrypted value shorter than ``MIN_SECRET_CHARS`` is refused at its key path: it is guessable,
  and text that short occurs by chance in unrelated values (``dev``, ``true``), so neither finding it
  inside derived text nor marking every such value secret is sound;
- where the stack file cannot say which leaves of a secret key are encrypted (it cannot be read, does
  not hold the key, or its leaves do not match what the engine passed, as with Pulumi ESC or
  ``--config-file``), every text value of the key is kept secret, and a warning says so;
- only this project's keys are read; the secret keys (``dynatraceApiToken``, ...) are secrets as a
  whole already (``StackSecrets``), and other namespaces are their providers' settings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._base import NAMESPACE
from .errors import ConfigIssue, config_path, remember_secret
from .secrets import SECRET_KEYS, _leaves
from .stack import _decode

Location = tuple[str | int, ...]
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
# As errors.remember_secret: shorter text is guessable and occurs in ordinary values by chance.
MIN_SECRET_CHARS = 8


@dataclass(frozen=True)
class EncryptedLeaves:
    """Where a stack's configuration holds ciphertext inside a key: full key → leaf locations."""

    locations: Mapping[str, tuple[Location, ...]]
    stand_ins: bool = False
    """The values at those leaves are the offline plan's stand-ins, not decrypted text."""
    source: str = "the stack file"


@dataclass(frozen=True)
class EncryptedValue:
    """Where a decrypted text was configured."""

    path: str
    """The key path of the encrypted leaf; the key alone when its encrypted leaves are unknown."""
    leaf_known: bool = True
    """False: a value of a secret key whose encrypted leaves the stack file does not show."""


@dataclass(frozen=True)
class SecretTexts:
    """The text the stack keeps secret wherever it lands, and what configuring it raised."""

    texts: Mapping[str, EncryptedValue] = field(default_factory=dict, repr=False)
    issues: tuple[ConfigIssue, ...] = ()
    warnings: tuple[str, ...] = ()


_GIVEN: ContextVar[EncryptedLeaves | None] = ContextVar("encrypted_leaves", default=None)


@contextmanager
def encrypted_leaves_given(leaves: EncryptedLeaves) -> Iterator[None]:
    """Hand the program the encrypted leaves (the offline plan's, which read the stack file itself)."""
    token = _GIVEN.set(leaves)
    try:
        yield
    finally:
        _GIVEN.reset(token)


def _stack_file_leaves(stack: str) -> EncryptedLeaves | None:
    """The encrypted leaves of ``Pulumi.<stack>.yaml`` as the CLI reads it, or None when it cannot be read."""
    try:
        from tools.stack_config import encrypted_leaves_of_stack_file

        path, locations = encrypted_leaves_of_stack_file(PROJECT_ROOT, stack)
    except (ImportError, OSError, ValueError, RecursionError):
        return None
    return EncryptedLeaves(locations, source=path)


def _at(value: Any, loc: Location) -> Any:
    for part in loc:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _keep(text: str, where: EncryptedValue, texts: dict[str, EncryptedValue], *, remember: bool) -> None:
    if not text:
        return
    if where.leaf_known or text not in texts:
        texts[text] = where
    if remember:
        remember_secret(text)  # never echoed by any message from here on


def secret_texts(
    raw: Mapping[str, Any],
    secret_keys: Collection[str],
    stack: str,
) -> SecretTexts:
    """The decrypted text of every encrypted leaf of this project's keys (``raw`` as the engine passed it)."""
    keys = sorted(
        key
        for key in secret_keys
        if key in raw and key.startswith(f"{NAMESPACE}:") and key.removeprefix(f"{NAMESPACE}:") not in SECRET_KEYS
    )
    if not keys:
        return SecretTexts()
    leaves = _GIVEN.get() or _stack_file_leaves(stack)
    texts: dict[str, EncryptedValue] = {}
    issues: list[ConfigIssue] = []
    warnings: list[str] = []
    for key in keys:
        value = _decode(raw[key])
        found = [(loc, _at(value, loc)) for loc in (leaves.locations.get(key, ()) if leaves else ())]
        if leaves is None or not found or not all(isinstance(text, str) for _, text in found):
            where = f"{leaves.source} does not show" if leaves else f"Pulumi.{stack}.yaml cannot be read to show"
            warnings.append(
                f"{key} holds a secret, but {where} which of its values are encrypted: every text value in it is kept"
                " secret in the resources"
            )
            for _, text, is_key in _leaves(value):
                if is_key:
                    continue
                _keep(text.strip(), EncryptedValue(key, leaf_known=False), texts, remember=True)
            continue
        for loc, text in found:
            plain = str(text).strip()
            if leaves.stand_ins:  # a stand-in is no secret: messages may name it
                _keep(plain, EncryptedValue(config_path(key, loc)), texts, remember=False)
            elif len(plain) < MIN_SECRET_CHARS:
                issues.append(
                    ConfigIssue(
                        config_path(key, loc),
                        f"is encrypted, but its value has fewer than {MIN_SECRET_CHARS} characters: text that short is"
                        " guessable and occurs by chance in unrelated values, so the stack cannot keep it secret"
                        " where other values are derived from it; use a longer secret, or store it in plain text"
                        " if it is not one (value not shown)",
                    )
                )
            else:
                _keep(plain, EncryptedValue(config_path(key, loc)), texts, remember=True)
    return SecretTexts(texts, tuple(issues), tuple(warnings))
