"""Entry point the Pulumi engine runs for ``--policy-pack policies`` (never import this in tests)."""

import sys
from pathlib import Path

# The engine runs this file from the pack directory; the rules live in the `policies` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.registry import all_policies

PolicyPack(
    name="ai-observability-policies",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=list(all_policies()),
)
