"""Every policy of the pack, in one list (used by __main__.py and by the offline plan)."""

from __future__ import annotations

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from .rules.ai_alerts import ai_alert_detectors_enabled, ai_alert_detectors_exist
from .rules.bedrock_rule_pattern import bedrock_rule_excludes_inference
from .rules.cloudtrail import cloudtrail_bucket_encrypted_versioned_private, cloudtrail_multi_region_validated
from .rules.collector import (
    collector_delta_staleness_exceeds_scrape_interval,
    collector_exporter_token_from_env,
    collector_memory_limiter_first,
    collector_resource_limits_set,
)
from .rules.credentials import credentials_reach_resources_as_secrets, no_credentials_in_plain_text
from .rules.cross_account_trust import cross_account_role_trust_requires_external_id
from .rules.event_forwarding import (
    api_destination_targets_retry_with_dlq,
    event_forwarding_dlq_guarded_and_alarmed,
    event_queue_policies_restrict_source_arn,
)
from .rules.genai_routing import genai_route_first_matches_auditing, governance_pipeline_stores_to_bucket
from .rules.governance_bucket import governance_bucket_retains_bizevents
from .rules.gpu_node_groups import (
    gpu_node_groups_disk_at_least_min,
    gpu_node_groups_tainted,
    gpu_node_groups_use_allowed_instance_types,
    gpu_node_groups_use_nvidia_ami,
)
from .rules.guardrails import (
    guardrail_filters_prompt_attacks,
    guardrail_has_sensitive_information_policy,
    guardrails_have_pinned_version,
)
from .rules.iam_no_wildcard_admin import iam_no_wildcard_action_on_wildcard_resource
from .rules.invocation_logging import model_invocation_logging_retained
from .rules.nim_workloads import (
    gpu_requests_equal_limits,
    nim_containers_disallow_privilege_escalation,
    nim_containers_run_as_non_root,
    nim_credentials_from_secret_refs,
    nim_images_pinned,
    nim_pods_annotated_for_scraping,
)
from .rules.required_controls import (
    stack_has_bedrock_guardrails,
    stack_has_model_invocation_logging,
    stack_stores_genai_audit_events,
)
from .rules.required_tags import taggable_aws_resources_have_required_tags

Policy = ResourceValidationPolicy | StackValidationPolicy

_POLICIES: tuple[Policy, ...] = (
    # Dynatrace governance
    governance_bucket_retains_bizevents,
    genai_route_first_matches_auditing,
    governance_pipeline_stores_to_bucket,
    stack_stores_genai_audit_events,
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
    # GPU node groups and NIM
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
