"""Processor attribute rules of the Settings 2.0 schema ``builtin:openpipeline.bizevents.pipelines``.

Source: the schema JSON (version 1.69) in dynatrace-oss/terraform-provider-dynatrace,
``dynatrace/api/builtin/openpipeline/bizevents/pipelines/schema.json``: in type ``Processor``
every processor type except ``drop`` and ``noStorage`` has an attribute object named after the
type, with ``precondition {property: type, type: EQUALS, expectedValue: <type>}``,
``nullable: false`` and ``maxObjects: 1`` — so a processor of that type must carry it. Type
``DqlAttributes`` has one property, ``script``: text, ``NOT_BLANK``, ``LENGTH`` max 8192.
"""

from __future__ import annotations

from typing import Any

# pipelines schema: Processor properties with precondition ``type EQUALS <name>`` (same name)
ATTRIBUTE_TYPES = frozenset(
    {
        "azureLogForwarding",
        "bizevent",
        "bucketAssignment",
        "costAllocation",
        "counterMetric",
        "davis",
        "dql",
        "fieldsAdd",
        "fieldsRemove",
        "fieldsRename",
        "geoLookup",
        "histogramMetric",
        "inlineLookup",
        "productAllocation",
        "samplingAwareCounterMetric",
        "samplingAwareHistogramMetric",
        "samplingAwareValueMetric",
        "sdlcEvent",
        "securityContext",
        "securityEvent",
        "smartscapeEdge",
        "smartscapeNode",
        "technology",
        "valueMetric",
    }
)
MAX_DQL_SCRIPT = 8192  # pipelines schema: DqlAttributes.script LENGTH


def _violation(path: str, message: str) -> dict[str, Any]:
    return {"path": path, "message": message, "parameterLocation": "PAYLOAD_BODY"}


def processor_attribute_problems(kind: Any, processor: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """Violations of the type-specific attribute object of one processor (empty when valid)."""
    if kind not in ATTRIBUTE_TYPES:
        return []
    attributes = processor.get(kind)
    if not isinstance(attributes, dict):
        return [_violation(f"{where}.{kind}", f"{kind} attributes are required for a processor of type {kind}")]
    if kind != "dql":
        return []
    problems = [_violation(f"{where}.dql.{key}", "unknown property") for key in sorted(set(attributes) - {"script"})]
    script = attributes.get("script")
    if not isinstance(script, str) or not script.strip() or len(script) > MAX_DQL_SCRIPT:
        problems.append(
            _violation(f"{where}.dql.script", f"script must be a DQL text of 1-{MAX_DQL_SCRIPT} characters")
        )
    return problems
