"""``ai-observability:signals`` — Davis anomaly detectors and dashboards for the AI signals.

Every alert has production defaults (:data:`ALERT_DEFAULTS`); the stack file overrides only
what it needs, per alert::

    ai-observability:signals:
      alerts:
        llmLatency: {threshold: 8, violatingSamples: 5}
        tokenUsage: {enabled: false}
      dashboards:
        include: [governanceAudit, llmServices, nimServing]   # default: all (Kong only with kong.enabled)
        namePrefix: "[prod]"
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import Field, StringConstraints, model_validator

from ._base import ConfigModel

Analyzer = Literal["static", "autoAdaptive"]
AlertCondition = Literal["ABOVE", "BELOW", "OUTSIDE"]
# Davis event types an anomaly detector may raise (the severity of the resulting problem).
EventType = Literal["CUSTOM_ALERT", "ERROR_EVENT", "SLOWDOWN_EVENT", "RESOURCE_CONTENTION_EVENT", "AVAILABILITY_EVENT"]
AlertName = Literal[
    "llmErrorRate",
    "llmLatency",
    "tokenUsage",
    "guardrailActivations",
    "nimQueue",
    "nimKvCache",
    "nimTimeToFirstToken",
    "kongLatency",
    "forwarding",
]
ALERT_NAMES: tuple[AlertName, ...] = (
    "llmErrorRate",
    "llmLatency",
    "tokenUsage",
    "guardrailActivations",
    "nimQueue",
    "nimKvCache",
    "nimTimeToFirstToken",
    "kongLatency",
    "forwarding",
)
# One-minute samples of the analyzer's window: 1-60 (Dynatrace "Anomaly Detection" analyzer inputs slidingWindow,
# violatingSamples and dealertingSamples count minutes of a one-hour window).
Samples = Annotated[int, Field(ge=1, le=60)]
# Every signal the alerts watch is a rate, a ratio, a duration or a count: never negative. The largest value a
# JSON number carries exactly is 2**53 (RFC 7493, I-JSON, section 2.2); the analyzer receives it as text.
MAX_THRESHOLD: Final = 2**53
Threshold = Annotated[float, Field(ge=0, le=MAX_THRESHOLD)]
# How many signal fluctuations above the learned baseline alert: more than 0, at most 10 (the stack's bound; Dynatrace
# documents no range for the auto-adaptive analyzer's numberOfSignalFluctuations).
Fluctuations = Annotated[float, Field(gt=0, le=10)]
QueryOffset = Annotated[int, Field(ge=1, le=60)]
"""``executionSettings.queryOffset`` of builtin:davis.anomaly-detectors (schema 1.0.16: integer, 1-60 minutes)."""
Title = Annotated[str, StringConstraints(min_length=2, max_length=500)]


class AlertSettings(ConfigModel):
    """The resolved settings of one alert (defaults merged with the stack file's overrides)."""

    enabled: bool = True
    analyzer: Analyzer = "static"
    threshold: Threshold | None = None
    """Static analyzer only: the value the signal must cross."""
    alert_condition: AlertCondition = "ABOVE"
    sliding_window: Samples = 5
    violating_samples: Samples = 3
    dealerting_samples: Samples = 5
    signal_fluctuations: Fluctuations = 1.0
    """Auto-adaptive analyzer only: how many signal fluctuations above the baseline alert."""
    alert_on_missing_data: bool = False
    query_offset: QueryOffset | None = None
    """Minutes the evaluation window lags behind now, for data that arrives late (CloudWatch)."""
    event_type: EventType = "CUSTOM_ALERT"
    title: Title
    """Event title; may use ``{dims:<dimension>}`` placeholders (e.g. ``{dims:gen_ai.response.model}``)."""


class AlertOverride(ConfigModel):
    """What the stack file may set for one alert (everything optional)."""

    enabled: bool | None = None
    analyzer: Analyzer | None = None
    """``static`` (a threshold) or ``autoAdaptive`` (a learned baseline)."""
    threshold: Threshold | None = None
    """Static analyzer: the value the signal must cross (required for ``static``); 0 to 2^53: every signal is a rate,
    ratio, duration or count, and 2^53 is the largest number JSON carries exactly (RFC 7493)."""
    alert_condition: AlertCondition | None = None
    """``OUTSIDE`` only with the ``autoAdaptive`` analyzer."""
    sliding_window: Samples | None = None
    """One-minute samples the analyzer looks at (1-60, Dynatrace anomaly detection); at least ``violatingSamples``."""
    violating_samples: Samples | None = None
    """Samples in the window that must violate to raise the event (1-60)."""
    dealerting_samples: Samples | None = None
    """Good samples in a row that close the event (1-60)."""
    signal_fluctuations: Fluctuations | None = None
    """Auto-adaptive analyzer: how many signal fluctuations above the baseline alert (above 0, at most 10: the stack's
    bound, as Dynatrace documents no range)."""
    alert_on_missing_data: bool | None = None
    query_offset: QueryOffset | None = None
    """Minutes (1-60) the detector's evaluation window lags behind now, so metrics that arrive late
    (CloudWatch through Dynatrace AWS monitoring) are complete when evaluated; ``guardrailActivations``
    defaults to 10."""
    event_type: EventType | None = None
    title: Title | None = None
    """Event title; may use ``{dims:<dimension>}`` placeholders."""


def _alert(**values: object) -> AlertSettings:
    return AlertSettings.model_validate(values)


ALERT_DEFAULTS: dict[AlertName, AlertSettings] = {
    "llmErrorRate": _alert(
        threshold=5, event_type="ERROR_EVENT", title="LLM invocation error rate above 5% ({dims:provider})"
    ),
    "llmLatency": _alert(
        threshold=10,
        event_type="SLOWDOWN_EVENT",
        title="LLM p95 latency above 10 s ({dims:gen_ai.response.model})",
    ),
    "tokenUsage": _alert(
        analyzer="autoAdaptive",
        sliding_window=15,
        violating_samples=10,
        dealerting_samples=15,
        signal_fluctuations=3,
        event_type="CUSTOM_ALERT",
        title="Token usage spike ({dims:gen_ai.response.model})",
    ),
    "guardrailActivations": _alert(
        threshold=20,
        sliding_window=10,
        violating_samples=3,
        dealerting_samples=10,
        query_offset=10,
        event_type="CUSTOM_ALERT",
        title="Bedrock guardrail interventions above 20/min ({dims:guardrail})",
    ),
    "nimQueue": _alert(
        threshold=10,
        event_type="RESOURCE_CONTENTION_EVENT",
        title="NIM requests waiting above 10 ({dims:model_name})",
    ),
    "nimKvCache": _alert(
        threshold=0.9,
        event_type="RESOURCE_CONTENTION_EVENT",
        title="NIM GPU KV-cache usage above 90% ({dims:model_name})",
    ),
    "nimTimeToFirstToken": _alert(
        threshold=2,
        event_type="SLOWDOWN_EVENT",
        title="NIM p95 time to first token above 2 s ({dims:model_name})",
    ),
    "kongLatency": _alert(
        threshold=10000,
        event_type="SLOWDOWN_EVENT",
        title="Kong AI gateway p95 provider latency above 10 s ({dims:ai_provider})",
    ),
    "forwarding": _alert(
        threshold=1,
        alert_condition="BELOW",
        sliding_window=60,
        violating_samples=60,
        dealerting_samples=1,
        alert_on_missing_data=True,
        event_type="AVAILABILITY_EVENT",
        title="No AI governance events reached the governance bucket for 60 min",
    ),
}


DashboardName = Literal["governanceAudit", "llmServices", "nimServing", "kongGateway"]
DASHBOARD_NAMES: tuple[DashboardName, ...] = ("governanceAudit", "llmServices", "nimServing", "kongGateway")
SamplingRatio = Literal[1, 10, 100, 1000, 10000]
"""Grail's span sampling ratios (Dynatrace docs "DQL best practices")."""


class DashboardsConfig(ConfigModel):
    """Stack-owned dashboards (Dynatrace Documents API)."""

    enabled: bool = True
    include: list[DashboardName] | None = None
    """Which dashboards; unset = all (``kongGateway`` only when ``kong.enabled``)."""
    name_prefix: Annotated[str, StringConstraints(max_length=60)] = ""
    """Put before every dashboard title, with a space (e.g. ``[prod]``), so environments are told apart."""
    private: bool = False
    """False: every user of the environment may open the dashboards (data access still follows
    their bucket permissions); True: only the identity behind the platform token."""
    default_sampling_ratio: SamplingRatio = 100
    """Initial value of the ``sampling`` variable of span-based tiles (1 = every span)."""

    @model_validator(mode="after")
    def _unique(self) -> DashboardsConfig:
        if self.include is not None and len(set(self.include)) != len(self.include):
            raise ValueError(f"@include: each dashboard at most once; allowed: {', '.join(DASHBOARD_NAMES)}")
        return self


class SignalsConfig(ConfigModel):
    enabled: bool = True
    """Create the detectors (needs ``dynatracePlatformToken`` with the detectors' scopes, see
    [token scopes](dynatrace.md#token-scopes))."""
    label: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,100}$")] = "ai-observability"
    """Value of the ``ai-observability.signal`` event property every detector sets: alerting
    profiles match on it to route these problems (notifications are configured there)."""
    alerts: dict[AlertName, AlertOverride] = Field(default_factory=dict)
    """Per-alert overrides of the defaults below; a disabled alert keeps its detector with ``enabled: false``."""
    dashboards: DashboardsConfig = Field(default_factory=DashboardsConfig)

    def alert(self, name: AlertName) -> AlertSettings:
        """The resolved settings of ``name``: defaults overlaid with the stack file's overrides."""
        base = ALERT_DEFAULTS[name]
        override = self.alerts.get(name)
        if override is None:
            return base
        updates = override.model_dump(exclude_none=True)
        return AlertSettings.model_validate({**base.model_dump(), **updates})

    @model_validator(mode="after")
    def _consistent(self) -> SignalsConfig:
        for name in self.alerts:
            settings = self.alert(name)
            where = f"@alerts.{name}"
            if settings.sliding_window < settings.violating_samples:
                raise ValueError(
                    f"{where}.slidingWindow: must be at least violatingSamples ({settings.violating_samples}); "
                    f"got {settings.sliding_window}"
                )
            if settings.analyzer == "static" and settings.threshold is None:
                raise ValueError(f"{where}.threshold: required for the static analyzer")
            if settings.analyzer == "static" and settings.alert_condition == "OUTSIDE":
                raise ValueError(
                    f"{where}.alertCondition: OUTSIDE needs analyzer autoAdaptive; allowed for static: ABOVE, BELOW"
                )
        return self
