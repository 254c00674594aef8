"""How business-event ingest stores what it accepts (``POST /api/v2/bizevents/ingest``).

Source: Dynatrace docs, "Ingest business events via API"
(https://docs.dynatrace.com/docs/shortlink/ba-api-ingest): "Dynatrace stores ingested top-level
fields as top-level fields in Grail but converts complex JSON objects into strings". For a
CloudEvent, the event's fields are the members of its ``data`` object: Dynatrace's own apps that
ingest CloudEvents read them back that way, e.g. ``Dynatrace/github-actions-profiler``
(``generate-sample-data.ts`` sends ``{specversion, id, type, source, data: {conclusion,
run_duration_ms, repository, ...}}``; ``useWorkflowStatsQuery.ts`` queries ``conclusion`` and
``run_duration_ms`` as top-level fields and ``parse repository, "JSON:repository"`` for the
nested object, which is stored as a JSON string). The CloudEvent ``type`` becomes ``event.type``,
``source`` becomes ``event.provider`` and ``id`` becomes ``event.id`` (the fields Dynatrace's
examples filter on: ``fetch bizevents | filter event.provider == ...``).

Not documented, modelled conservatively: other context and extension attributes (``time``,
``specversion``, ``datacontenttype``, an extension such as ``awsregion``) are kept as top-level
fields under their own names (Dynatrace's EventBridge template, dynatrace-oss/cloud-snippets
``biz-events.yaml``, adds ``aws.region`` as an extension attribute to be queried); a ``data``
that is not a JSON object is kept as the field ``data``; a member of ``data`` never overrides
``event.type``/``event.provider``/``event.id``.
"""

from __future__ import annotations

import json
from typing import Any

ENVELOPE_FIELDS = {"type": "event.type", "source": "event.provider", "id": "event.id"}


def stored_value(value: Any) -> Any:
    """A complex JSON value (object or array) is stored as its JSON text; scalars stay as they are."""
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def stored_json_event(event: dict[str, Any]) -> dict[str, Any]:
    """A plain JSON business event: its top-level fields, complex values as strings."""
    return {key: stored_value(value) for key, value in event.items()}


def stored_cloudevent(event: dict[str, Any]) -> dict[str, Any]:
    """A (validated) CloudEvent as Grail stores it: the members of ``data`` as top-level fields."""
    stored = {key: stored_value(value) for key, value in event.items() if key not in ENVELOPE_FIELDS and key != "data"}
    data = event.get("data")
    if isinstance(data, dict):
        stored.update((key, stored_value(value)) for key, value in data.items())
    elif "data" in event:
        stored["data"] = stored_value(data)
    stored.update((field, event[attribute]) for attribute, field in ENVELOPE_FIELDS.items())
    return stored
