"""The governance pipeline's processing stage: named top-level fields from the CloudTrail event.

The forwarder sends each Bedrock governance event as a CloudEvent whose ``data`` is the
EventBridge ``detail`` (``components.aws.event_forwarding``). Business-event ingest stores the
members of ``data`` as top-level fields and every nested object as a JSON string (Dynatrace docs,
"Ingest business events via API"). So ``eventName``, ``awsRegion`` and ``sourceIPAddress`` are
fields, while the user ARN sits inside the string ``userIdentity`` and the guardrail or model
inside ``requestParameters``/``responseElements``; native Bedrock job events carry
``baseModelArn`` and no ``eventName``.

:data:`EXTRACTIONS` says, declaratively, which field each named field comes from (first
non-null source wins); :func:`dql_script` renders it as the script of an OpenPipeline DQL
processor: ``parse <field>, "JSON:<record>"`` then ``<record>[<key>]`` — the idiom Dynatrace's own
"AWS Bedrock" dashboard uses (``parse aws.object, "JSON:json"`` … ``json[configuration][agentId]``).
The JSON keys are member names of the Bedrock API shapes (botocore ``bedrock`` service model),
which CloudTrail copies into ``requestParameters``/``responseElements``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Source:
    """A stored field, or (``key``) a member of the JSON object stored as a string in that field."""

    field: str
    key: str | None = None

    def record(self) -> str:
        """The temporary field the parsed JSON object of :attr:`field` is kept in."""
        return f"governance_parsed_{self.field}"

    def dql(self) -> str:
        return f"{self.record()}[{self.key}]" if self.key else self.field


@dataclass(frozen=True)
class Extraction:
    target: str
    """The top-level field the processor adds."""
    sources: tuple[Source, ...]
    meaning: str


EVENT_NAME: Final = Extraction(
    "governance.event_name",
    (Source("eventName"), Source("awsdetailtype")),
    "the CloudTrail API operation; for a native Bedrock job event, its EventBridge detail-type",
)
USER_ARN: Final = Extraction("governance.user_arn", (Source("userIdentity", "arn"),), "who made the call")
SOURCE_IP: Final = Extraction("governance.source_ip", (Source("sourceIPAddress"),), "where the call came from")
REGION: Final = Extraction(
    "aws.region", (Source("awsRegion"), Source("awsregion")), "the AWS region (CloudTrail, else the CloudEvent's)"
)
GUARDRAIL_ID: Final = Extraction(
    "governance.guardrail_id",
    (Source("responseElements", "guardrailId"), Source("requestParameters", "guardrailIdentifier")),
    "the guardrail a call created or changed",
)
MODEL_ID: Final = Extraction(
    "governance.model_id",
    (
        Source("requestParameters", "modelId"),
        Source("requestParameters", "baseModelIdentifier"),
        Source("requestParameters", "modelIdentifier"),
        Source("requestParameters", "sourceModelArn"),
        Source("baseModelArn"),
    ),
    "the model a call or job used or changed",
)
EXTRACTIONS: Final[tuple[Extraction, ...]] = (EVENT_NAME, USER_ARN, SOURCE_IP, REGION, GUARDRAIL_ID, MODEL_ID)


def _parsed_fields(extractions: tuple[Extraction, ...]) -> list[str]:
    seen: dict[str, None] = {}
    for extraction in extractions:
        for source in extraction.sources:
            if source.key:
                seen.setdefault(source.field)
    return list(seen)


def _expression(extraction: Extraction) -> str:
    terms = [source.dql() for source in extraction.sources]
    return terms[0] if len(terms) == 1 else f"coalesce({', '.join(terms)})"


def dql_script(extractions: tuple[Extraction, ...] = EXTRACTIONS) -> str:
    """The DQL processor script: parse the JSON-string fields, add the named fields, drop the temporaries."""
    parsed = _parsed_fields(extractions)
    records = [Source(field).record() for field in parsed]
    commands = [f'parse {field}, "JSON:{record}"' for field, record in zip(parsed, records, strict=True)]
    commands.append("fieldsAdd " + ", ".join(f"{e.target} = {_expression(e)}" for e in extractions))
    if records:
        commands.append("fieldsRemove " + ", ".join(records))
    return "\n| ".join(commands)
