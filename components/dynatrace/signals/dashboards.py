"""Dashboards for the AI signals, generated from typed tile builders (Dynatrace Dashboards app).

A dashboard document is JSON: ``version``, ``variables`` (list), ``tiles`` (object keyed by tile
id) and ``layouts`` (the same ids → ``x``, ``y``, ``w``, ``h`` on a 24-column grid); tiles are
``markdown`` (``content``) or ``data`` (a DQL ``query`` and a ``visualization``). The shape follows
the dashboard documents in the ``dynatrace_document`` examples of
dynatrace-oss/terraform-provider-dynatrace.

Every query comes from :mod:`.dql` (names only from :mod:`.metrics`). Metric tiles are preferred;
the few span tiles read spans with ``samplingRatio:$sampling`` because span queries consume trace
query capacity (Dynatrace AI Observability docs, "Query and sampling cost").
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import DASHBOARD_NAMES, DashboardName, DashboardsConfig

from . import dql
from .metrics import (
    BEDROCK_GUARDRAIL_INTERVENED,
    BEDROCK_GUARDRAIL_INVOCATIONS,
    FIELD_AWS_REGION,
    FIELD_EVENT_NAME,
    FIELD_GUARDRAIL_ID,
    FIELD_MODEL_ID,
    FIELD_REQUEST_PARAMETERS,
    FIELD_SOURCE_IP,
    FIELD_USER_ARN,
    GENAI_ERROR_TYPE,
    GENAI_OPERATION_DURATION,
    GENAI_PROVIDER,
    GENAI_TOKEN_TYPE,
    GENAI_TOKEN_USAGE,
    GPU_HOST,
    GPU_METRICS,
    GUARDRAIL_ARN,
    KONG_AI_COST,
    KONG_AI_PROVIDER_LATENCY,
    KONG_AI_REQUESTS,
    KONG_AI_TOKENS,
    KONG_MODEL,
    KONG_PROVIDER,
    KONG_TOKEN_TYPE,
    KONG_TOTAL_TOKENS,
    METRIC_MODEL,
    NIM_E2E_LATENCY,
    NIM_GENERATION_TOKENS,
    NIM_KV_CACHE_USAGE,
    NIM_MODEL,
    NIM_PROMPT_TOKENS,
    NIM_REQUEST_FAILURE,
    NIM_REQUEST_SUCCESS,
    NIM_REQUESTS_RUNNING,
    NIM_REQUESTS_WAITING,
    NIM_TIME_TO_FIRST_TOKEN,
    SPAN_MODEL,
)

DASHBOARD_VERSION: Final = 26
"""Dashboard content version of Dynatrace's current ready-made dashboards: its "AWS Bedrock" dashboard
(document ``dynatrace.clouds.aws-bedrock``, as exported with ``terraform-provider-dynatrace -export``
into a public repository) is ``"version": 26`` with every variable at ``"version": 2``."""
VARIABLE_VERSION: Final = 2
GRID_COLUMNS: Final = 24
SAMPLING_VARIABLE: Final = "sampling"
Visualization = Literal["lineChart", "areaChart", "barChart", "singleValue", "table"]
_VARIABLE_REF = re.compile(r"\$([A-Za-z][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Markdown:
    """A text tile (headings, how to read the dashboard)."""

    text: str
    w: int = GRID_COLUMNS
    h: int = 2

    def tile(self) -> dict[str, Any]:
        return {"type": "markdown", "title": "", "content": self.text}


@dataclass(frozen=True)
class Query:
    """A DQL tile."""

    title: str
    query: str
    visualization: Visualization = "lineChart"
    w: int = 12
    h: int = 6

    def tile(self) -> dict[str, Any]:
        return {"type": "data", "title": self.title, "query": self.query, "visualization": self.visualization}


Tile = Markdown | Query


@dataclass(frozen=True)
class Variable:
    """A dashboard variable offering fixed values (``type: csv``), referenced as ``$key``."""

    key: str
    values: tuple[str, ...]
    default: str

    def document(self) -> dict[str, Any]:
        return {
            "version": VARIABLE_VERSION,
            "key": self.key,
            "type": "csv",
            "visible": True,
            "editable": True,
            "input": ",".join(self.values),
            "multiple": False,
            "defaultValue": self.default,
        }


@dataclass(frozen=True)
class Dashboard:
    key: str
    """Stable key (part of the document id)."""
    title: str
    tiles: tuple[Tile, ...]
    variables: tuple[Variable, ...] = ()

    def content(self) -> dict[str, Any]:
        """The dashboard document: tiles flowed left to right into rows of the 24-column grid."""
        declared = {v.key for v in self.variables}
        tiles: dict[str, Any] = {}
        layouts: dict[str, Any] = {}
        x = y = row_height = 0
        for index, item in enumerate(self.tiles):
            if not 1 <= item.w <= GRID_COLUMNS or item.h < 1:
                raise ValueError(f"{self.key} tile {index}: width 1-{GRID_COLUMNS} and height ≥ 1")
            if isinstance(item, Query):
                missing = set(_VARIABLE_REF.findall(item.query)) - declared
                if missing:
                    raise ValueError(f"{self.key} tile {item.title!r} uses undeclared variables {sorted(missing)}")
            if x + item.w > GRID_COLUMNS:
                x, y, row_height = 0, y + row_height, 0
            tiles[str(index)] = item.tile()
            layouts[str(index)] = {"x": x, "y": y, "w": item.w, "h": item.h}
            x += item.w
            row_height = max(row_height, item.h)
        return {
            "version": DASHBOARD_VERSION,
            "variables": [v.document() for v in self.variables],
            "tiles": tiles,
            "layouts": layouts,
        }

    def json(self) -> str:
        """The content as the document body (stable key order, so equal dashboards are equal text)."""
        return json.dumps(self.content(), sort_keys=True, separators=(",", ":"))

    def queries(self) -> list[str]:
        return [t.query for t in self.tiles if isinstance(t, Query)]


def sampling_variable(default: int) -> Variable:
    return Variable(SAMPLING_VARIABLE, tuple(str(r) for r in dql.SAMPLING_RATIOS), str(default))


def governance_audit(governance: GovernanceConfig) -> Dashboard:
    """Who did what to which model or guardrail, when (Bedrock governance events in the bucket)."""
    kind, bucket = governance.event_type, governance.bucket.name
    return Dashboard(
        "governance-audit",
        "AI governance audit trail",
        (
            Markdown(
                f"Amazon Bedrock governance events (CloudTrail → EventBridge → `{bucket}`), "
                f"`event.type` = `{kind}`, without the verify probe's events. Newest first."
            ),
            Query("Governance events per minute", dql.events_arriving(kind, bucket), "barChart", w=24, h=5),
            Query("Actions by type", dql.audit_counts(kind, bucket, [FIELD_EVENT_NAME]), "barChart"),
            Query("Actions by identity", dql.audit_counts(kind, bucket, [FIELD_USER_ARN, FIELD_EVENT_NAME]), "table"),
            Query(
                "Audit trail",
                dql.audit_trail(
                    kind,
                    bucket,
                    [
                        FIELD_USER_ARN,
                        FIELD_EVENT_NAME,
                        FIELD_MODEL_ID,
                        FIELD_GUARDRAIL_ID,
                        FIELD_REQUEST_PARAMETERS,
                        FIELD_AWS_REGION,
                        FIELD_SOURCE_IP,
                    ],
                ),
                "table",
                w=24,
                h=10,
            ),
        ),
    )


def llm_services(sampling_default: int) -> Dashboard:
    """Instrumented GenAI apps: volume, errors, latency, tokens, guardrail outcomes."""
    sampling = dql.variable(SAMPLING_VARIABLE)
    return Dashboard(
        "llm-services",
        "LLM services",
        (
            Markdown(
                "GenAI client metrics of instrumented apps (OpenLLMetry / OpenTelemetry GenAI conventions) and Amazon "
                "Bedrock guardrail metrics. The span table reads 1/`$sampling` of the spans: raise `sampling` to cut "
                "query cost, set 1 for exact figures. Cost per request is not part of these metrics: see the "
                "Kong AI gateway dashboard where Kong is used."
            ),
            Query(
                "Requests per model",
                dql.timeseries("requests", GENAI_OPERATION_DURATION, "count", by=[METRIC_MODEL]),
                "areaChart",
            ),
            Query(
                "Failed requests per error type",
                dql.timeseries(
                    "errors",
                    GENAI_OPERATION_DURATION,
                    "count",
                    by=[GENAI_ERROR_TYPE],
                    where=[(GENAI_ERROR_TYPE, dql.is_not_null(GENAI_ERROR_TYPE))],
                ),
                "barChart",
            ),
            Query(
                "p95 latency per model (s)",
                dql.timeseries("p95", GENAI_OPERATION_DURATION, "percentile", percentile=95, by=[METRIC_MODEL]),
            ),
            Query(
                "Tokens per model and type",
                dql.timeseries("tokens", GENAI_TOKEN_USAGE, "sum", by=[METRIC_MODEL, GENAI_TOKEN_TYPE]),
                "areaChart",
            ),
            Query(
                "Guardrail interventions per guardrail (CloudWatch and apps)",
                dql.guardrail_interventions(BEDROCK_GUARDRAIL_INTERVENED),
                "barChart",
            ),
            Query(
                "Guardrail evaluations per guardrail",
                dql.timeseries("invocations", BEDROCK_GUARDRAIL_INVOCATIONS, "sum", by=[GUARDRAIL_ARN]),
            ),
            Query(
                "Requests, errors, p95 and tokens per provider and model (sampled spans)",
                dql.genai_spans_by(sampling, [GENAI_PROVIDER, SPAN_MODEL]),
                "table",
                w=24,
                h=8,
            ),
        ),
        (sampling_variable(sampling_default),),
    )


def nim_serving() -> Dashboard:
    """Self-hosted models on NVIDIA NIM: latency, queueing, KV cache, throughput; GPU when present."""
    tiles: list[Tile] = [
        Markdown("NVIDIA NIM metrics scraped node-locally by the collector, per model (`model_name`)."),
        Query(
            "p95 time to first token (s)",
            dql.timeseries("ttft_p95", NIM_TIME_TO_FIRST_TOKEN, "percentile", percentile=95, by=[NIM_MODEL]),
        ),
        Query(
            "p95 end-to-end latency (s)",
            dql.timeseries("e2e_p95", NIM_E2E_LATENCY, "percentile", percentile=95, by=[NIM_MODEL]),
        ),
        Query("Requests running", dql.timeseries("running", NIM_REQUESTS_RUNNING, "max", by=[NIM_MODEL]), w=8),
        Query("Requests waiting", dql.timeseries("waiting", NIM_REQUESTS_WAITING, "max", by=[NIM_MODEL]), w=8),
        Query(
            "GPU KV-cache usage (1 = full)",
            dql.timeseries("kv_cache", NIM_KV_CACHE_USAGE, "max", by=[NIM_MODEL]),
            w=8,
        ),
        Query(
            "Successful requests per minute",
            dql.timeseries("success", NIM_REQUEST_SUCCESS, "sum", by=[NIM_MODEL], rate_per="1m"),
            "barChart",
        ),
        Query(
            "Failed requests per minute",
            dql.timeseries("failure", NIM_REQUEST_FAILURE, "sum", by=[NIM_MODEL], rate_per="1m"),
            "barChart",
        ),
        Query(
            "Prompt tokens per minute",
            dql.timeseries("prompt", NIM_PROMPT_TOKENS, "sum", by=[NIM_MODEL], rate_per="1m"),
            "areaChart",
        ),
        Query(
            "Generated tokens per minute",
            dql.timeseries("generated", NIM_GENERATION_TOKENS, "sum", by=[NIM_MODEL], rate_per="1m"),
            "areaChart",
        ),
    ]
    for metric in GPU_METRICS:
        tiles.append(Query(f"GPU {metric.key} ({metric.unit})", dql.timeseries("gpu", metric, "avg", by=[GPU_HOST])))
    return Dashboard("nim-serving", "NIM and GPU serving", tuple(tiles))


def kong_gateway() -> Dashboard:
    """The Kong AI gateway: requests, cost, tokens and provider latency per provider and model."""
    return Dashboard(
        "kong-gateway",
        "Kong AI gateway",
        (
            Markdown(
                "Kong Prometheus plugin AI metrics (`config.ai_metrics: true`), scraped through the "
                "`kong-metrics` Service."
            ),
            Query(
                "Requests per minute per provider",
                dql.timeseries("requests", KONG_AI_REQUESTS, "sum", by=[KONG_PROVIDER], rate_per="1m"),
                "areaChart",
            ),
            Query(
                "p95 provider latency (ms)",
                dql.timeseries(
                    "latency_p95", KONG_AI_PROVIDER_LATENCY, "percentile", percentile=95, by=[KONG_PROVIDER]
                ),
            ),
            Query(
                "Cost per model",
                dql.timeseries("cost", KONG_AI_COST, "sum", by=[KONG_PROVIDER, KONG_MODEL]),
                "barChart",
            ),
            Query(
                "Tokens per model and type",
                dql.timeseries(
                    "tokens",
                    KONG_AI_TOKENS,
                    "sum",
                    by=[KONG_PROVIDER, KONG_MODEL, KONG_TOKEN_TYPE],
                    where=[(KONG_TOKEN_TYPE, dql.not_equal(KONG_TOKEN_TYPE, KONG_TOTAL_TOKENS))],
                ),
                "areaChart",
            ),
        ),
    )


@dataclass(frozen=True)
class DashboardSpec:
    name: DashboardName
    dashboard: Dashboard
    title: str
    """The document name (``<namePrefix> <title>``, at most 128 characters)."""


def dashboard_specs(config: DashboardsConfig, governance: GovernanceConfig, kong: KongConfig) -> list[DashboardSpec]:
    """The dashboards this stack owns, in a stable order."""
    if not config.enabled:
        return []
    wanted: Sequence[DashboardName] = config.include if config.include is not None else DASHBOARD_NAMES
    builders = {
        "governanceAudit": lambda: governance_audit(governance),
        "llmServices": lambda: llm_services(config.default_sampling_ratio),
        "nimServing": nim_serving,
        "kongGateway": kong_gateway,
    }
    specs = []
    for name in DASHBOARD_NAMES:
        if name not in wanted or (name == "kongGateway" and not kong.enabled):
            continue
        dashboard = builders[name]()
        title = f"{config.name_prefix} {dashboard.title}" if config.name_prefix else dashboard.title
        specs.append(DashboardSpec(name, dashboard, title[:128]))
    return specs


def document_id(owner: str, key: str) -> str:
    """The stack's id for one dashboard: ``ai-observability.<project>.<stack>.<key>`` in id-safe characters."""
    text = re.sub(r"[^A-Za-z0-9._-]", ".", f"{owner}.{key}")
    return text[:100]
