"""Emulator rules for the Settings 2.0 schema ``builtin:davis.anomaly-detectors``.

Sources, cited per rule below:
- [schema] the schema JSON, version 1.0.16, in dynatrace-oss/terraform-provider-dynatrace
  (``dynatrace/api/builtin/davis/anomalydetectors/schema.json``): properties, types, lengths,
  patterns, multi-object with at most 1000 objects.
- [docs] Dynatrace docs "Automate alerts with API" / Anomaly Detection app: analyzer names,
  analyzer inputs (query, alertCondition, slidingWindow, violatingSamples, dealertingSamples,
  threshold), queries built with ``timeseries``/``makeTimeseries`` and without ``from:``/``to:``,
  the event template's ``event.name``/``event.description``/``event.type``.
- [oauth] the Terraform provider's ``anomalydetectors/service.go``: a create with an Api-Token is
  refused with a "requires OAuth" error and retried with OAuth/platform credentials.
- [actor] the Terraform provider's ``anomalydetectors/settings/execution_settings.go``: ``actor`` is
  "actually set automatically if not provided" (its diff is suppressed when the configuration leaves
  it empty); the schema describes it as the UUID of the user the queries run as. The Davis Anomaly
  Detection app needs ``iam:users:read`` ("View user's uuid", docs "Davis Anomaly Detection app
  overview", prerequisites) for the same reason. The value filled in is the caller's user UUID: a
  detector written without an actor runs as whoever saved it.

``problems(value)`` returns constraint violations in the emulator's ``{path, message}`` shape.
"""

from __future__ import annotations

import copy
import re
from typing import Any

SCHEMA_ID = "builtin:davis.anomaly-detectors"
MAX_OBJECTS = 1000  # [schema] maxObjects
ANALYZERS = frozenset(  # [docs] analyzer names offered by the Anomaly Detection app
    {
        "dt.statistics.ui.anomaly_detection.StaticThresholdAnomalyDetectionAnalyzer",
        "dt.statistics.ui.anomaly_detection.AutoAdaptiveAnomalyDetectionAnalyzer",
        "dt.statistics.ui.anomaly_detection.SeasonalBaselineAnomalyDetectionAnalyzer",
    }
)
OAUTH_REQUIRED_MESSAGE = "Could not do validation as request was not done using oAuth"  # [oauth]
_TOP_LEVEL = frozenset({"title", "description", "enabled", "source", "analyzer", "eventTemplate", "executionSettings"})
_ANALYZER_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z\d_\-.]*$")  # [schema] AnalyzerInput.name
_INPUT_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z\d_\-.\[\]]*$")  # [schema] AnalyzerInputField.key
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")  # [schema] actor
_REQUIRED_INPUTS = ("query", "alertCondition", "slidingWindow", "violatingSamples", "dealertingSamples")  # [docs]
_REQUIRED_EVENT_PROPERTIES = ("event.name", "event.description", "event.type")  # [docs]


def fill_server_defaults(value: dict[str, Any], caller: str) -> dict[str, Any]:
    """The value as the tenant stores it: ``executionSettings.actor`` set to ``caller`` (a user
    UUID) when the writer left it out [actor]; a given actor is kept."""
    stored = copy.deepcopy(value)
    execution = stored.setdefault("executionSettings", {})
    if isinstance(execution, dict) and "actor" not in execution:
        execution["actor"] = caller
    return stored


def _v(path: str, message: str) -> dict[str, Any]:
    return {"path": path, "message": message, "parameterLocation": "PAYLOAD_BODY"}


def _text(value: Any, path: str, lo: int, hi: int, out: list[dict[str, Any]]) -> None:
    if not isinstance(value, str) or not lo <= len(value) <= hi:
        out.append(_v(path, f"must be a text of {lo}-{hi} characters"))


def _samples(inputs: dict[str, str], key: str, out: list[dict[str, Any]]) -> int | None:
    raw = inputs.get(key)
    if raw is None:
        return None
    try:
        number = int(raw)
    except ValueError:
        out.append(_v(f"analyzer.input.{key}", "must be an integer"))
        return None
    if not 1 <= number <= 60:  # [docs] samples are minutes of a 1-minute series, 1-60
        out.append(_v(f"analyzer.input.{key}", "must be between 1 and 60"))
    return number


def problems(value: dict[str, Any]) -> list[dict[str, Any]]:
    """Every constraint violation of one anomaly-detector value (empty when valid)."""
    out: list[dict[str, Any]] = []
    for key in value:
        if key not in _TOP_LEVEL:  # [schema] no additional properties
            out.append(_v(key, "unknown property"))
    _text(value.get("title"), "title", 2, 500, out)  # [schema] title 2-500
    _text(value.get("source", "Rest API"), "source", 1, 500, out)  # [schema] source 1-500
    if len(str(value.get("description", ""))) > 5000:  # [schema] description ≤ 5000
        out.append(_v("description", "must be at most 5000 characters"))
    if not isinstance(value.get("enabled", True), bool):
        out.append(_v("enabled", "must be a boolean"))

    analyzer = value.get("analyzer")
    if not isinstance(analyzer, dict):
        out.append(_v("analyzer", "is required"))
    else:
        name = analyzer.get("name")
        if not isinstance(name, str) or not _ANALYZER_NAME.match(name) or len(name) > 100:
            out.append(_v("analyzer.name", "must match ^[a-zA-Z_][a-zA-Z\\d_\\-\\.]*$ (1-100 characters)"))
        elif name not in ANALYZERS:
            out.append(_v("analyzer.name", f"unknown analyzer {name}"))
        inputs: dict[str, str] = {}
        for index, item in enumerate(analyzer.get("input") or []):
            key = item.get("key") if isinstance(item, dict) else None
            val = item.get("value") if isinstance(item, dict) else None
            if not isinstance(key, str) or not _INPUT_KEY.match(key) or len(key) > 100:
                out.append(_v(f"analyzer.input[{index}].key", "must be 1-100 characters matching the key pattern"))
                continue
            if not isinstance(val, str) or not 1 <= len(val) <= 50000:
                out.append(_v(f"analyzer.input[{index}].value", "must be a text of 1-50000 characters"))
                continue
            if key in inputs:  # [schema] input is a set
                out.append(_v(f"analyzer.input[{index}].key", f"duplicate input {key}"))
            inputs[key] = val
        for key in _REQUIRED_INPUTS:
            if key not in inputs:
                out.append(_v(f"analyzer.input.{key}", "is required"))
        query = inputs.get("query", "")
        if query and "timeseries" not in query.lower():  # [docs] timeseries / makeTimeseries
            out.append(_v("analyzer.input.query", "must produce a time series (timeseries or makeTimeseries)"))
        if re.search(r"\b(from|to)\s*:", query):  # [docs] the detector sets the timeframe itself
            out.append(_v("analyzer.input.query", "must not set from: or to:"))
        static = name == "dt.statistics.ui.anomaly_detection.StaticThresholdAnomalyDetectionAnalyzer"
        condition = inputs.get("alertCondition")
        allowed = ("ABOVE", "BELOW") if static else ("ABOVE", "BELOW", "OUTSIDE")
        if condition is not None and condition not in allowed:
            out.append(_v("analyzer.input.alertCondition", f"must be one of {', '.join(allowed)}"))
        if static:
            threshold = inputs.get("threshold")
            try:
                float(threshold) if threshold is not None else None
            except ValueError:
                out.append(_v("analyzer.input.threshold", "must be a number"))
            if threshold is None:
                out.append(_v("analyzer.input.threshold", "is required for the static threshold analyzer"))
        window = _samples(inputs, "slidingWindow", out)
        violating = _samples(inputs, "violatingSamples", out)
        _samples(inputs, "dealertingSamples", out)
        if window is not None and violating is not None and violating > window:
            out.append(_v("analyzer.input.violatingSamples", "must not exceed slidingWindow"))

    template = value.get("eventTemplate")
    properties = template.get("properties") if isinstance(template, dict) else None
    if not isinstance(properties, list):
        out.append(_v("eventTemplate.properties", "is required"))
    else:
        keys = set()
        for index, prop in enumerate(properties):
            key = prop.get("key") if isinstance(prop, dict) else None
            val = prop.get("value") if isinstance(prop, dict) else None
            # [schema] EventProperty: key 1-100, not blank, no braces; value 1-4000, not blank
            if not isinstance(key, str) or not key.strip() or len(key) > 100 or "{" in key or "}" in key:
                out.append(_v(f"eventTemplate.properties[{index}].key", "Key property must not contain '{' or '}'."))
            if not isinstance(val, str) or not val.strip() or len(val) > 4000:
                out.append(_v(f"eventTemplate.properties[{index}].value", "must be a non-blank text ≤ 4000"))
            keys.add(key)
        for key in _REQUIRED_EVENT_PROPERTIES:
            if key not in keys:
                out.append(_v("eventTemplate.properties", f"{key} is required"))

    execution = value.get("executionSettings", {})
    if not isinstance(execution, dict):
        out.append(_v("executionSettings", "must be an object"))
    else:
        actor = execution.get("actor")
        if actor is not None and (not isinstance(actor, str) or not _UUID.match(actor)):
            out.append(_v("executionSettings.actor", "must be a user or service-user UUID"))
        offset = execution.get("queryOffset")
        if offset is not None and not (isinstance(offset, int) and 1 <= offset <= 60):
            out.append(_v("executionSettings.queryOffset", "must be between 1 and 60"))
        delay = execution.get("delay")
        if delay is not None and not (isinstance(delay, int) and 60 <= delay <= 3600):
            out.append(_v("executionSettings.delay", "must be between 60 and 3600"))
    return out
