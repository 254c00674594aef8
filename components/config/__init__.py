"""Typed, validated stack configuration (stack config → components.config → components)."""

from ._base import NAMESPACE, ConfigModel, duration_seconds
from .collector import CollectorConfig, CollectorResources, KongConfig, NimScrapeConfig
from .dynatrace import DynatraceConfig
from .errors import ConfigError, ConfigIssue, config_path, key_path
from .event_forwarding import EventForwardingConfig
from .governance import GovernanceConfig
from .guardrails import GuardrailConfig, GuardrailsConfig, InvocationLoggingConfig
from .kubernetes import EksConfig, GpuNodeGroupConfig, NimConfig
from .pulumi_source import load_from_pulumi, raw_pulumi_config
from .secrets import SECRET_SPECS, StackSecrets
from .stack import ALLOWED_KEYS, StackConfig, parse_stack_config
from .telemetry import DcgmExporterConfig, TelemetryConfig

__all__ = [
    "ALLOWED_KEYS",
    "NAMESPACE",
    "SECRET_SPECS",
    "CollectorConfig",
    "CollectorResources",
    "ConfigError",
    "ConfigIssue",
    "ConfigModel",
    "DcgmExporterConfig",
    "DynatraceConfig",
    "EksConfig",
    "EventForwardingConfig",
    "GovernanceConfig",
    "GpuNodeGroupConfig",
    "GuardrailConfig",
    "GuardrailsConfig",
    "InvocationLoggingConfig",
    "KongConfig",
    "NimConfig",
    "NimScrapeConfig",
    "StackConfig",
    "StackSecrets",
    "TelemetryConfig",
    "config_path",
    "duration_seconds",
    "key_path",
    "load_from_pulumi",
    "parse_stack_config",
    "raw_pulumi_config",
]
