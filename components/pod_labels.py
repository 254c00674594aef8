"""Labels that identify the pods this stack deploys, shared by the workloads and the collector.

Pure constants (no Pulumi): the collector configuration selects NIM pods by these labels, so
the NIM Deployment's pod template must carry them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

PART_OF_LABEL: Final = "app.kubernetes.io/part-of"
COMPONENT_LABEL: Final = "app.kubernetes.io/component"
PART_OF: Final = "ai-observability"
NIM_COMPONENT: Final = "nim"

# Every NIM pod the stack deploys carries both labels (and no other pod of the stack does).
NIM_POD_LABELS: Final[Mapping[str, str]] = {COMPONENT_LABEL: NIM_COMPONENT, PART_OF_LABEL: PART_OF}
