"""Every policy of the pack, in one tuple (used by __main__.py and by the offline plan).

Each rule lives in ``policies/rules/<name>.py``, named after the policy it defines.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from .rules.ai_alert_detectors_enabled import ai_alert_detectors_enabled
from .rules.ai_alert_detectors_exist import ai_alert_detectors_exist
from .rules.api_destination_targets_retry_with_dlq import api_destination_targets_retry_with_dlq
from .rules.bedrock_rule_excludes_inference import bedrock_rule_excludes_inference
from .rules.cloudtrail_bucket_encrypted_versioned_private import cloudtrail_bucket_encrypted_versioned_private
from .rules.cloudtrail_multi_region_validated import cloudtrail_multi_region_validated
from .rules.collector_delta_staleness_exceeds_scrape_interval import collector_delta_staleness_exceeds_scrape_interval
from .rules.collector_exporter_token_from_env import collector_exporter_token_from_env
from .rules.collector_memory_limiter_first import collector_memory_limiter_first
from .rules.collector_resource_limits_set import collector_resource_limits_set
from .rules.credentials_reach_resources_as_secrets import credentials_reach_resources_as_secrets
from .rules.cross_account_role_trust_requires_external_id import cross_account_role_trust_requires_external_id
from .rules.eks_cluster_version_in_standard_support import eks_cluster_version_in_standard_support
from .rules.event_forwarding_dlq_guarded_and_alarmed import event_forwarding_dlq_guarded_and_alarmed
from .rules.event_queue_policies_restrict_source_arn import event_queue_policies_restrict_source_arn
from .rules.genai_route_first_matches_auditing import genai_route_first_matches_auditing
from .rules.governance_bucket_readable_only_by_auditors import governance_bucket_readable_only_by_auditors
from .rules.governance_bucket_retains_bizevents import governance_bucket_retains_bizevents
from .rules.governance_pipeline_stores_to_bucket import governance_pipeline_stores_to_bucket
from .rules.gpu_node_groups_disk_at_least_min import gpu_node_groups_disk_at_least_min
from .rules.gpu_node_groups_tainted import gpu_node_groups_tainted
from .rules.gpu_node_groups_use_allowed_instance_types import gpu_node_groups_use_allowed_instance_types
from .rules.gpu_node_groups_use_nvidia_ami import gpu_node_groups_use_nvidia_ami
from .rules.gpu_requests_equal_limits import gpu_requests_equal_limits
from .rules.guardrail_filters_prompt_attacks import guardrail_filters_prompt_attacks
from .rules.guardrail_has_sensitive_information_policy import guardrail_has_sensitive_information_policy
from .rules.guardrails_have_pinned_version import guardrails_have_pinned_version
from .rules.iam_no_wildcard_action_on_wildcard_resource import iam_no_wildcard_action_on_wildcard_resource
from .rules.model_invocation_logging_retained import model_invocation_logging_retained
from .rules.nim_containers_disallow_privilege_escalation import nim_containers_disallow_privilege_escalation
from .rules.nim_containers_run_as_non_root import nim_containers_run_as_non_root
from .rules.nim_credentials_from_secret_refs import nim_credentials_from_secret_refs
from .rules.nim_images_pinned import nim_images_pinned
from .rules.nim_pods_annotated_for_scraping import nim_pods_annotated_for_scraping
from .rules.no_credentials_in_plain_text import no_credentials_in_plain_text
from .rules.stack_has_bedrock_guardrails import stack_has_bedrock_guardrails
from .rules.stack_has_model_invocation_logging import stack_has_model_invocation_logging
from .rules.stack_stores_genai_audit_events import stack_stores_genai_audit_events
from .rules.taggable_aws_resources_have_required_tags import taggable_aws_resources_have_required_tags

Policy = ResourceValidationPolicy | StackValidationPolicy

_POLICIES: tuple[Policy, ...] = (
    # Dynatrace governance
    governance_bucket_retains_bizevents,
    genai_route_first_matches_auditing,
    governance_pipeline_stores_to_bucket,
    stack_stores_genai_audit_events,
    governance_bucket_readable_only_by_auditors,
    # Dynatrace AI alerts
    ai_alert_detectors_enabled,
    ai_alert_detectors_exist,
    # Bedrock event forwarding
    api_destination_targets_retry_with_dlq,
    event_queue_policies_restrict_source_arn,
    event_forwarding_dlq_guarded_and_alarmed,
    bedrock_rule_excludes_inference,
    cloudtrail_multi_region_validated,
    cloudtrail_bucket_encrypted_versioned_private,
    # Credentials
    no_credentials_in_plain_text,
    credentials_reach_resources_as_secrets,
    # Bedrock guardrails and logging
    guardrail_filters_prompt_attacks,
    guardrail_has_sensitive_information_policy,
    guardrails_have_pinned_version,
    model_invocation_logging_retained,
    stack_has_bedrock_guardrails,
    stack_has_model_invocation_logging,
    # EKS, GPU node groups and NIM
    eks_cluster_version_in_standard_support,
    gpu_node_groups_use_nvidia_ami,
    gpu_node_groups_tainted,
    gpu_node_groups_disk_at_least_min,
    gpu_node_groups_use_allowed_instance_types,
    nim_pods_annotated_for_scraping,
    gpu_requests_equal_limits,
    nim_containers_run_as_non_root,
    nim_containers_disallow_privilege_escalation,
    nim_images_pinned,
    nim_credentials_from_secret_refs,
    # Collector
    collector_memory_limiter_first,
    collector_delta_staleness_exceeds_scrape_interval,
    collector_exporter_token_from_env,
    collector_resource_limits_set,
    # Account hygiene
    iam_no_wildcard_action_on_wildcard_resource,
    cross_account_role_trust_requires_external_id,
    taggable_aws_resources_have_required_tags,
)


def all_policies() -> list[Policy]:
    return list(_POLICIES)
