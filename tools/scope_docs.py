"""Write the Dynatrace token scopes into README.md and docs/*.md from ``components.dynatrace.scopes``.

The docs carry markers; the text between them is generated, the rest is written by hand:

- ``<!-- scopes:table -->`` … ``<!-- /scopes -->``: the table of every feature, its credential and scopes;
- ``<!-- scopes:<credential> -->`` … ``<!-- /scopes -->`` (``classic``, ``platform``): every scope that
  credential needs, as an inline list;
- ``<!-- scopes:<feature> -->`` … ``<!-- /scopes -->`` (``detectors``, ``dashboards``, …): that feature's scopes;
- ``<!-- scopes:users-policy -->`` / ``<!-- scopes:auditors-policy -->``: the statements of the access
  policies as the stack writes them with the default configuration (IAM permissions, named like scopes);
- ``<!-- scopes:verify-calls -->``: verify's platform calls by kind and the scopes each kind's OAuth
  access token is requested with.

    python -m tools.scope_docs            # rewrite the marked text
    python -m tools.scope_docs --check    # exit 1 when a file is stale (or a marker names nothing)
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from components.config.access import UsersAccessConfig
from components.config.governance import BucketConfig
from components.dynatrace.access_policies import auditors_statement, users_statement
from components.dynatrace.scopes import CREDENTIALS, FEATURES, VERIFY_CALLS, scopes_for
from tools.generated_file import PROJECT_ROOT, sync

COMMAND = "python -m tools.scope_docs"
MARKER = re.compile(r"<!-- scopes:([a-z][a-z-]*) -->(.*?)<!-- /scopes -->", re.DOTALL)


def documents(root: Path = PROJECT_ROOT) -> list[Path]:
    """The hand-written docs that may carry markers."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def inline(scopes: Sequence[str]) -> str:
    return ", ".join(f"`{s}`" for s in scopes)


def table() -> str:
    rows = [
        "| credential | feature | scopes | needed when | used to |",
        "|---|---|---|---|---|",
    ]
    for feature in FEATURES:
        credential = feature.credential
        rows.append(
            f"| `{credential.config_key}` | {feature.title} | {inline(feature.scopes)} | "
            f"{feature.enabled_by} | {feature.why} |"
        )
    return "\n" + "\n".join(rows) + "\n"


def rendered(key: str) -> str:
    """The generated text for one marker key; KeyError when the key names nothing."""
    if key == "table":
        return table()
    if key == "users-policy":
        return f"\n```\n{users_statement(UsersAccessConfig().read_bucket_prefixes)}\n```\n"
    if key == "auditors-policy":
        return f"\n```\n{auditors_statement(BucketConfig().name)}\n```\n"
    if key == "verify-calls":
        rows = ["| calls | scopes |", "|---|---|"]
        rows += [f"| {call} | {inline(scopes)} |" for call, scopes in VERIFY_CALLS.items()]
        return "\n" + "\n".join(rows) + "\n"
    for credential in CREDENTIALS:
        if credential.key == key:
            return inline(scopes_for(credential))
    for feature in FEATURES:
        if feature.key == key:
            return inline(feature.scopes)
    raise KeyError(key)


def marked(text: str) -> Iterator[re.Match[str]]:
    return MARKER.finditer(text)


def regenerate(text: str) -> str:
    """``text`` with every marked block rendered again."""
    return MARKER.sub(lambda m: f"<!-- scopes:{m.group(1)} -->{rendered(m.group(1))}<!-- /scopes -->", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a file is stale")
    args = parser.parse_args(argv)
    status = 0
    for path in documents():
        text = path.read_text(encoding="utf-8")
        try:
            new = regenerate(text)
        except KeyError as exc:
            print(f"{path.relative_to(PROJECT_ROOT)}: marker scopes:{exc.args[0]} names no credential or feature")
            status = 1
            continue
        status |= sync(path, new, command=COMMAND, check=args.check)
    return status


if __name__ == "__main__":
    sys.exit(main())
