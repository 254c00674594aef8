"""Bedrock guardrails with a pinned version, and the IAM policy that enforces them.

``BedrockGuardrail`` creates one ``aws.bedrock.Guardrail`` from a validated
``GuardrailConfig`` (content filters incl. prompt attack, sensitive information entities and
regexes, denied topics, word filters incl. managed profanity, contextual grounding, tier,
cross-region profile, KMS key) and an immutable ``aws.bedrock.GuardrailVersion`` snapshot of
its DRAFT that applications pin.

``deny_without_guardrail_policy`` renders an IAM policy that app roles attach: it denies
``bedrock:InvokeModel`` / ``bedrock:InvokeModelWithResponseStream`` (which also authorise
Converse / ConverseStream) unless the request names one of the pinned guardrail versions
(condition key ``bedrock:GuardrailIdentifier``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws.bedrock import (
    GuardrailContentPolicyConfigArgsDict,
    GuardrailContentPolicyConfigFiltersConfigArgsDict,
    GuardrailContextualGroundingPolicyConfigArgsDict,
    GuardrailContextualGroundingPolicyConfigFiltersConfigArgsDict,
    GuardrailCrossRegionConfigArgsDict,
    GuardrailSensitiveInformationPolicyConfigArgsDict,
    GuardrailSensitiveInformationPolicyConfigPiiEntitiesConfigArgsDict,
    GuardrailSensitiveInformationPolicyConfigRegexesConfigArgsDict,
    GuardrailTopicPolicyConfigArgsDict,
    GuardrailTopicPolicyConfigTopicsConfigArgsDict,
    GuardrailWordPolicyConfigArgsDict,
    GuardrailWordPolicyConfigWordsConfigArgsDict,
)

from components.config import GuardrailConfig

# IAM actions that authorise model invocation (Converse/ConverseStream use these two).
INVOKE_ACTIONS: tuple[str, ...] = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


@dataclass(frozen=True)
class BedrockGuardrailArgs:
    """Typed inputs of ``BedrockGuardrail``."""

    config: GuardrailConfig
    aws_name: str
    """The guardrail's name in Bedrock (``<namePrefix>-<name>``, unique per account and region)."""
    tags: Mapping[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Config → typed pulumi-aws arguments (pure; unit-testable without Pulumi)
# ---------------------------------------------------------------------------------------------


def content_policy(cfg: GuardrailConfig) -> GuardrailContentPolicyConfigArgsDict | None:
    if not cfg.content_filters:
        return None
    filters: list[GuardrailContentPolicyConfigFiltersConfigArgsDict] = [
        {"type": f.type, "input_strength": f.input_strength, "output_strength": f.output_strength}
        for f in cfg.content_filters
    ]
    return {"filters_configs": filters, "tier_configs": [{"tier_name": cfg.tier}]}


def sensitive_information_policy(cfg: GuardrailConfig) -> GuardrailSensitiveInformationPolicyConfigArgsDict | None:
    if not cfg.pii_entities and not cfg.regexes:
        return None
    policy: GuardrailSensitiveInformationPolicyConfigArgsDict = {}
    if cfg.pii_entities:
        entities: list[GuardrailSensitiveInformationPolicyConfigPiiEntitiesConfigArgsDict] = [
            {"type": e.type, "action": e.action} for e in cfg.pii_entities
        ]
        policy["pii_entities_configs"] = entities
    if cfg.regexes:
        regexes: list[GuardrailSensitiveInformationPolicyConfigRegexesConfigArgsDict] = []
        for r in cfg.regexes:
            regex: GuardrailSensitiveInformationPolicyConfigRegexesConfigArgsDict = {
                "name": r.name,
                "pattern": r.pattern,
                "action": r.action,
            }
            if r.description is not None:
                regex["description"] = r.description
            regexes.append(regex)
        policy["regexes_configs"] = regexes
    return policy


def topic_policy(cfg: GuardrailConfig) -> GuardrailTopicPolicyConfigArgsDict | None:
    if not cfg.denied_topics:
        return None
    topics: list[GuardrailTopicPolicyConfigTopicsConfigArgsDict] = [
        {"name": t.name, "definition": t.definition, "type": "DENY", "examples": list(t.examples)}
        for t in cfg.denied_topics
    ]
    return {"topics_configs": topics, "tier_configs": [{"tier_name": cfg.tier}]}


def word_policy(cfg: GuardrailConfig) -> GuardrailWordPolicyConfigArgsDict | None:
    if not cfg.words and not cfg.profanity_filter:
        return None
    policy: GuardrailWordPolicyConfigArgsDict = {}
    if cfg.profanity_filter:
        policy["managed_word_lists_configs"] = [{"type": "PROFANITY"}]
    if cfg.words:
        words: list[GuardrailWordPolicyConfigWordsConfigArgsDict] = [{"text": w} for w in cfg.words]
        policy["words_configs"] = words
    return policy


def grounding_policy(cfg: GuardrailConfig) -> GuardrailContextualGroundingPolicyConfigArgsDict | None:
    if cfg.grounding is None:
        return None
    filters: list[GuardrailContextualGroundingPolicyConfigFiltersConfigArgsDict] = []
    if cfg.grounding.grounding is not None:
        filters.append({"type": "GROUNDING", "threshold": cfg.grounding.grounding})
    if cfg.grounding.relevance is not None:
        filters.append({"type": "RELEVANCE", "threshold": cfg.grounding.relevance})
    return {"filters_configs": filters}


def cross_region(cfg: GuardrailConfig) -> GuardrailCrossRegionConfigArgsDict | None:
    if cfg.cross_region_profile is None:
        return None
    return {"guardrail_profile_identifier": cfg.cross_region_profile}


def config_fingerprint(cfg: GuardrailConfig) -> str:
    """A short hash of everything that shapes the guardrail (not the version description)."""
    data = cfg.model_dump(mode="json", by_alias=True, exclude={"version_description"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def version_description(cfg: GuardrailConfig) -> str:
    """The pinned version's description: the configured text plus the config fingerprint."""
    return f"{cfg.version_description} [config {config_fingerprint(cfg)}]"


# ---------------------------------------------------------------------------------------------
# Enforcement policy
# ---------------------------------------------------------------------------------------------


def guardrail_identifier(guardrail_arn: str, version: str) -> str:
    """The value of ``bedrock:GuardrailIdentifier`` for a pinned version: ``<guardrail ARN>:<version>``."""
    return f"{guardrail_arn}:{version}"


def deny_without_guardrail_policy(identifiers: Sequence[str]) -> str:
    """IAM policy JSON denying model invocation unless one of ``identifiers`` is applied.

    ``StringNotEquals`` is also true when the request carries no guardrail at all, so calls
    without a guardrail are denied as well as calls with another guardrail or version.
    """
    if not identifiers:
        raise ValueError("at least one pinned guardrail identifier is required")
    document: dict[str, Any] = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyBedrockInvocationWithoutPinnedGuardrail",
                "Effect": "Deny",
                "Action": list(INVOKE_ACTIONS),
                "Resource": "*",
                "Condition": {"StringNotEquals": {"bedrock:GuardrailIdentifier": sorted(identifiers)}},
            }
        ],
    }
    return json.dumps(document, indent=2)


# ---------------------------------------------------------------------------------------------
# The component
# ---------------------------------------------------------------------------------------------


class BedrockGuardrail(pulumi.ComponentResource):
    """One Bedrock guardrail and its pinned version."""

    guardrail_id: pulumi.Output[str]
    guardrail_arn: pulumi.Output[str]
    version: pulumi.Output[str]
    identifier: pulumi.Output[str]
    """``<guardrail ARN>:<version>``: what ``bedrock:GuardrailIdentifier`` compares against."""

    def __init__(self, name: str, args: BedrockGuardrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-observability:aws:BedrockGuardrail", name, None, opts)
        cfg = args.config
        guardrail = aws.bedrock.Guardrail(
            f"{name}-guardrail",
            name=args.aws_name,
            description=cfg.description,
            blocked_input_messaging=cfg.blocked_input_message,
            blocked_outputs_messaging=cfg.blocked_output_message,
            kms_key_arn=cfg.kms_key_arn,
            content_policy_config=content_policy(cfg),
            sensitive_information_policy_config=sensitive_information_policy(cfg),
            topic_policy_config=topic_policy(cfg),
            word_policy_config=word_policy(cfg),
            contextual_grounding_policy_config=grounding_policy(cfg),
            cross_region_config=cross_region(cfg),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # A version snapshots the DRAFT when it is created. The description carries a
        # fingerprint of the configuration, so a changed guardrail gets a new version
        # (replacement) while the old one is kept (skip_destroy) for apps still pinning it.
        version = aws.bedrock.GuardrailVersion(
            f"{name}-version",
            guardrail_arn=guardrail.guardrail_arn,
            description=version_description(cfg),
            skip_destroy=True,
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["*"], depends_on=[guardrail]),
        )
        self.guardrail_id = guardrail.guardrail_id
        self.guardrail_arn = guardrail.guardrail_arn
        self.version = version.version
        self.identifier = pulumi.Output.all(guardrail.guardrail_arn, version.version).apply(
            lambda v: guardrail_identifier(v[0], v[1])
        )
        self.register_outputs(
            {
                "guardrailId": self.guardrail_id,
                "guardrailArn": self.guardrail_arn,
                "version": self.version,
                "identifier": self.identifier,
            }
        )
