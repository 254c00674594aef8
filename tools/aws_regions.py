"""Write ``components/config/aws_regions.py``: the AWS regions the stack accepts, each with its partition.

Regions are the members of pulumi-aws's ``Region`` enum (the regions the pinned AWS provider
knows: a region it does not know fails at ``pulumi up``). Each region's partition comes from
botocore's ``botocore/data/partitions.json`` (the region lists of every partition), which is
only needed to regenerate (botocore ships with the test-only dependencies).

    python -m tools.aws_regions            # rewrite components/config/aws_regions.py
    python -m tools.aws_regions --check    # exit 1 when the committed file is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from tools.generated_file import PROJECT_ROOT, sync

OUTPUT = PROJECT_ROOT / "components" / "config" / "aws_regions.py"
COMMAND = "python -m tools.aws_regions"


def provider_regions() -> list[str]:
    """Every region of the installed pulumi-aws ``Region`` enum."""
    from pulumi_aws import Region

    return sorted(member.value for member in Region)


def botocore_partitions() -> dict[str, Any]:
    """botocore's partitions.json (raises ImportError when botocore is not installed)."""
    import botocore  # type: ignore[import-untyped]

    path = Path(botocore.__file__).parent / "data" / "partitions.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def partition_of(partitions: dict[str, Any]) -> dict[str, str]:
    """Region -> partition id, from the partitions' region lists."""
    return {
        region: partition["id"]
        for partition in partitions["partitions"]
        for region in partition["regions"]
        if not region.endswith("-global")  # pseudo-regions of global endpoints
    }


def render(regions: Sequence[str], partitions: dict[str, Any]) -> str:
    owners = partition_of(partitions)
    missing = [region for region in regions if region not in owners]
    if missing:
        raise SystemExit(f"botocore's partitions.json names no partition for {', '.join(missing)}: upgrade botocore")
    ids = sorted(p["id"] for p in partitions["partitions"])
    lines = [
        '"""AWS regions the stack accepts, each with its partition. Generated; do not edit.',
        "",
        f"Regenerate with ``{COMMAND}``; a test fails while this file is stale. Regions: the",
        f"``Region`` enum of pulumi-aws {metadata.version('pulumi-aws')} (what the pinned AWS provider knows).",
        "Partitions: the region lists of botocore's ``botocore/data/partitions.json``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "PARTITIONS: tuple[str, ...] = (",
        *(f'    "{p}",' for p in ids),
        ")",
        '"""Every AWS partition (the second field of an ARN: ``arn:<partition>:...``)."""',
        "",
        "REGIONS: dict[str, str] = {",
        *(f'    "{region}": "{owners[region]}",' for region in regions),
        "}",
        '"""Region code -> its partition."""',
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if components/config/aws_regions.py is not up to date"
    )
    args = parser.parse_args(argv)
    return sync(OUTPUT, render(provider_regions(), botocore_partitions()), command=COMMAND, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
