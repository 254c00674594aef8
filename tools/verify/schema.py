"""``python -m tools.verify.schema [--check]``: writes (or checks) ``docs/verify-report.schema.json``,
the JSON Schema of ``python -m tools.verify --json``, generated from :class:`tools.verify.report.Report`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from tools.generated_file import PROJECT_ROOT, sync

from .report import SCHEMA_VERSION, Report

OUTPUT = PROJECT_ROOT / "docs" / "verify-report.schema.json"
COMMAND = "python -m tools.verify.schema"


def render() -> str:
    schema = Report.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://ai-observability.invalid/verify-report/v{SCHEMA_VERSION}.json"
    schema["title"] = f"ai-observability verify report, schema version {SCHEMA_VERSION}"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report (exit 1) when the committed file is stale")
    args = parser.parse_args(argv)
    return sync(OUTPUT, render(), command=COMMAND, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
