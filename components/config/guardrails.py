"""``ai-observability:guardrails`` — Bedrock guardrails and model invocation logging."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from ._base import AwsName, ConfigModel
from .arn import KmsKeyArn, KmsKeyOnlyArn
from .aws_names import guardrail_name

Strength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
FilterType = Literal["SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"]
PiiAction = Literal["BLOCK", "ANONYMIZE", "NONE"]
Tier = Literal["CLASSIC", "STANDARD"]
PiiType = Literal[
    "ADDRESS",
    "AGE",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV",
    "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_NUMBER",
    "DRIVER_ID",
    "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS",
    "LICENSE_PLATE",
    "MAC_ADDRESS",
    "NAME",
    "PASSWORD",
    "PHONE",
    "PIN",
    "SWIFT_CODE",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    "URL",
    "USERNAME",
    "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
]
Message = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Threshold = Annotated[float, Field(ge=0, le=0.99)]


class ContentFilter(ConfigModel):
    type: FilterType
    input_strength: Strength = "HIGH"
    output_strength: Strength = "HIGH"

    @model_validator(mode="after")
    def _prompt_attack(self) -> ContentFilter:
        if self.type == "PROMPT_ATTACK" and self.output_strength != "NONE":
            raise ValueError("@outputStrength: must be NONE for PROMPT_ATTACK (it only inspects input)")
        return self


class PiiEntity(ConfigModel):
    type: PiiType
    action: PiiAction = "ANONYMIZE"


class RegexFilter(ConfigModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    action: PiiAction = "BLOCK"
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression: {exc}") from None
        return value


class DeniedTopic(ConfigModel):
    name: Annotated[str, StringConstraints(pattern=r"^[0-9a-zA-Z-_ !?.]{1,100}$")]
    definition: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    examples: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]], Field(max_length=5)] = (
        Field(default_factory=list)
    )


class GroundingConfig(ConfigModel):
    grounding: Threshold | None = 0.75
    """Grounding threshold, 0-0.99: below it a response counts as ungrounded (Bedrock User Guide, contextual grounding
    check: thresholds from 0 to 0.99; 1 would block every response)."""
    relevance: Threshold | None = 0.75
    """Relevance threshold, 0-0.99, as ``grounding``."""

    @model_validator(mode="after")
    def _some(self) -> GroundingConfig:
        if self.grounding is None and self.relevance is None:
            raise ValueError("set grounding and/or relevance (0-0.99), or omit the grounding key")
        return self


class GuardrailConfig(ConfigModel):
    name: Annotated[str, StringConstraints(pattern=r"^[0-9a-zA-Z-_]{1,50}$")]
    """Guardrail name: 1-50 of ``0-9 a-z A-Z - _``."""
    description: Annotated[str, StringConstraints(max_length=200)] = "Managed by ai-observability"
    tier: Tier = "CLASSIC"
    cross_region_profile: str | None = None
    """e.g. ``eu.guardrail.v1:0``; required for the STANDARD tier."""
    kms_key_arn: KmsKeyArn | None = None
    """KMS key or alias ARN that encrypts the guardrail."""
    blocked_input_message: Message = "Sorry, this request is not allowed by our AI usage policy."
    blocked_output_message: Message = "Sorry, the response was blocked by our AI usage policy."
    content_filters: Annotated[list[ContentFilter], Field(max_length=6)] = Field(
        default_factory=lambda: (
            [ContentFilter(type=t) for t in ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")]
            + [ContentFilter(type="PROMPT_ATTACK", input_strength="HIGH", output_strength="NONE")]
        )
    )
    """Content filters, each type at most once; ``PROMPT_ATTACK`` inspects input only, so its output strength must be
    ``NONE``."""
    pii_entities: list[PiiEntity] = Field(
        default_factory=lambda: [
            PiiEntity(type="AWS_ACCESS_KEY", action="BLOCK"),
            PiiEntity(type="AWS_SECRET_KEY", action="BLOCK"),
            PiiEntity(type="PASSWORD", action="BLOCK"),
            PiiEntity(type="CREDIT_DEBIT_CARD_NUMBER", action="BLOCK"),
            PiiEntity(type="EMAIL", action="ANONYMIZE"),
            PiiEntity(type="PHONE", action="ANONYMIZE"),
        ]
    )
    """Sensitive-information entities (the 31 Bedrock PII types), each type once; action ``NONE`` only detects."""
    regexes: Annotated[list[RegexFilter], Field(max_length=30)] = Field(default_factory=list)
    """Regex filters: unique names, each pattern a valid regular expression."""
    denied_topics: Annotated[list[DeniedTopic], Field(max_length=30)] = Field(default_factory=list)
    """Denied topics, unique names (case-insensitive); a definition has at most 200 characters on the CLASSIC tier and
    1000 on STANDARD."""
    words: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]], Field(max_length=10000)] = (
        Field(default_factory=list)
    )
    """Blocked words, unique (case-insensitive)."""
    profanity_filter: bool = True
    """Block the managed ``PROFANITY`` word list."""
    grounding: GroundingConfig | None = None
    """Contextual grounding check: ``grounding`` and/or ``relevance`` thresholds (at least one)."""
    version_description: Annotated[str, StringConstraints(min_length=1, max_length=160)] = "Pinned by ai-observability"
    """Description of the pinned version; a ``[config <hash>]`` suffix is appended (200 characters in all)."""

    @field_validator("cross_region_profile")
    @classmethod
    def _profile(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"(us|eu|apac|us-gov)\.guardrail\.v[0-9]+:[0-9]+", value):
            raise ValueError("must look like 'eu.guardrail.v1:0' (family us, eu, apac or us-gov)")
        return value

    @model_validator(mode="after")
    def _tier_rules(self) -> GuardrailConfig:
        if self.tier == "STANDARD" and self.cross_region_profile is None:
            raise ValueError("@crossRegionProfile: is required for the STANDARD tier (e.g. eu.guardrail.v1:0)")
        if self.tier == "CLASSIC":
            for i, topic in enumerate(self.denied_topics):
                if len(topic.definition) > 200:
                    raise ValueError(
                        f"@deniedTopics.{i}.definition: at most 200 characters on the CLASSIC tier "
                        f"(got {len(topic.definition)}; STANDARD allows 1000)"
                    )
        return self

    @model_validator(mode="after")
    def _unique_entries(self) -> GuardrailConfig:
        _first_repeat("contentFilters", "type", [f.type for f in self.content_filters])
        _first_repeat("piiEntities", "type", [e.type for e in self.pii_entities])
        _first_repeat("regexes", "name", [r.name for r in self.regexes])
        _first_repeat("deniedTopics", "name", [t.name.lower() for t in self.denied_topics])
        _first_repeat("words", None, [w.lower() for w in self.words])
        return self

    @model_validator(mode="after")
    def _has_policy(self) -> GuardrailConfig:
        if not (
            self.content_filters
            or self.pii_entities
            or self.regexes
            or self.denied_topics
            or self.words
            or self.profanity_filter
            or self.grounding
        ):
            raise ValueError(
                "configures no policy; set at least one of contentFilters, piiEntities, regexes, "
                "deniedTopics, words, profanityFilter, grounding"
            )
        return self

    @property
    def profile_family(self) -> str | None:
        """``eu`` for ``eu.guardrail.v1:0`` (None without a cross-region profile)."""
        return None if self.cross_region_profile is None else self.cross_region_profile.split(".", 1)[0]


def _first_repeat(key: str, sub: str | None, values: list[str]) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            where = f"{key}.{index}" + (f".{sub}" if sub else "")
            raise ValueError(f"@{where}: {value!r} appears twice; each entry must be unique")
        seen.add(value)


class InvocationLoggingConfig(ConfigModel):
    enabled: bool = True
    """One configuration per account and region: enable it in exactly one stack per region."""
    retention_days: Literal[365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] = 731
    """Retention of the invocation log group: a CloudWatch Logs retention value (``PutRetentionPolicy``) of at least a
    year."""
    kms_key_arn: KmsKeyOnlyArn | None = None
    """KMS key ARN for the log group (CloudWatch Logs takes a key ARN, not an alias); its key policy must admit
    ``logs.<region>.amazonaws.com``."""
    large_data_bucket: bool = True
    """Also create an S3 location for bodies over 100 KB (encrypted, lifecycle ≥184 days)."""
    large_data_expiration_days: Annotated[int, Field(ge=184, le=36500)] = 731
    """S3 lifecycle expiry of large bodies: at least 184 days (six months, EU AI Act Art. 19 and 26(6)), at most 36500
    (the stack's sanity bound; S3 lifecycle rules set none)."""
    text_data: bool = True
    """Log text; with ``imageData``, ``embeddingData`` and ``videoData`` at least one must be true."""
    image_data: bool = False
    embedding_data: bool = False
    video_data: bool = False

    @model_validator(mode="after")
    def _delivers_something(self) -> InvocationLoggingConfig:
        if self.enabled and not (self.text_data or self.image_data or self.embedding_data or self.video_data):
            raise ValueError("@textData: at least one of textData, imageData, embeddingData, videoData must be true")
        return self


class GuardrailsConfig(ConfigModel):
    enabled: bool = True
    name_prefix: AwsName = "ai-observability"
    """Prefix of the guardrail names (``<namePrefix>-<name>`` must fit Bedrock's 50 characters) and of the
    invocation-logging resources: its role ``<namePrefix>-invocation-logging-role-xxxxxxx`` (Pulumi appends ``-`` + 7
    random characters) must fit IAM's 64, so at most 32 characters here; the error says by how much to shorten."""
    guardrails: list[GuardrailConfig] = Field(default_factory=lambda: [GuardrailConfig(name="default-genai-guardrail")])
    """Guardrails to create, names unique; each gets a pinned version. The default one uses every default below."""
    invocation_logging: InvocationLoggingConfig = Field(default_factory=InvocationLoggingConfig)

    @model_validator(mode="after")
    def _names(self) -> GuardrailsConfig:
        _first_repeat("guardrails", "name", [g.name for g in self.guardrails])
        return self

    def aws_name(self, guardrail: GuardrailConfig) -> str:
        """The guardrail's name in Bedrock: ``<namePrefix>-<name>`` (unique per account and region)."""
        return guardrail_name(self.name_prefix, guardrail.name).text
