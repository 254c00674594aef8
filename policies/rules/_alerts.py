"""Reading the stack's Davis anomaly detectors: the AI alert each one implements.

Detectors are ``SettingsObject`` dynamic resources of schema ``builtin:davis.anomaly-detectors``;
the alert they implement is the ``ai-observability.alert`` property of their event template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._support import get, items, schema, string_list

DETECTOR_SCHEMA = "builtin:davis.anomaly-detectors"
ALERT_PROPERTY = "ai-observability.alert"
ALERTS_CONFIG = schema(
    requiredAlerts=string_list(
        ["guardrailActivations", "forwarding"],
        "Alerts (keys of ai-observability:signals.alerts) whose detectors must exist and be enabled.",
    )
)


def alert_of(props: Mapping[str, Any]) -> str | None:
    """The alert a detector implements (its ``ai-observability.alert`` event property), else None."""
    if get(props, "schema_id") != DETECTOR_SCHEMA:
        return None
    for prop in items(props, "value", "eventTemplate", "properties"):
        if get(prop, "key") == ALERT_PROPERTY:
            found = get(prop, "value")
            return found if isinstance(found, str) else None
    return None
