"""The dashboard builders: valid documents whose queries use only declared metrics, fields and variables."""

from __future__ import annotations

import json
import re

import pytest

from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import DashboardsConfig
from components.dynatrace.signals import dql
from components.dynatrace.signals.dashboards import Dashboard, Query, dashboard_specs, document_id
from testsupport.dynatrace.emulator_documents import dashboard_problems

ALL = dashboard_specs(DashboardsConfig(), GovernanceConfig(), KongConfig(enabled=True))


def test_all_four_dashboards_are_valid_documents() -> None:
    assert [s.dashboard.title for s in ALL] == [
        "AI governance audit trail",
        "LLM services",
        "NIM and GPU serving",
        "Kong AI gateway",
    ]
    for spec in ALL:
        text = spec.dashboard.json()
        assert dashboard_problems(text.encode()) == [], spec.name
        content = json.loads(text)
        assert content["version"] == 26  # Dynatrace's current ready-made dashboards (AWS Bedrock)
        assert all(v["version"] == 2 for v in content["variables"])
        assert set(content["tiles"]) == set(content["layouts"])
        assert any(t["type"] == "data" for t in content["tiles"].values())


def test_every_query_uses_only_declared_variables() -> None:
    """(What the queries read is checked against the producers in tests/lineage.)"""
    for spec in ALL:
        variables = {v.key for v in spec.dashboard.variables}
        for query in spec.dashboard.queries():
            assert set(re.findall(r"\$([A-Za-z_]\w*)", query)) <= variables, (spec.name, query)


def test_span_tiles_are_sampled_and_metric_tiles_dominate() -> None:
    queries = [q for s in ALL for q in s.dashboard.queries()]
    spans = [q for q in queries if q.startswith("fetch spans")]
    assert spans
    assert all("samplingRatio:$sampling" in q for q in spans)
    assert sum(q.startswith("timeseries") for q in queries) > 2 * len(spans)
    [llm] = [s for s in ALL if s.name == "llmServices"]
    [sampling] = llm.dashboard.variables
    assert sampling.default == "100"
    assert sampling.values == tuple(str(r) for r in dql.SAMPLING_RATIOS)


def test_governance_dashboard_reads_the_configured_bucket_and_event_type() -> None:
    governance = GovernanceConfig.model_validate({"bucket": {"name": "audit_ai"}, "eventType": "acme.ai.audit"})
    [audit] = dashboard_specs(DashboardsConfig(include=["governanceAudit"]), governance, KongConfig())
    for query in audit.dashboard.queries():
        assert 'dt.system.bucket == "audit_ai"' in query
        assert 'event.type == "acme.ai.audit"' in query
        assert "| filter isNull(probe)" in query  # verify's probe events never show


def test_kong_dashboard_only_with_kong_and_layout_stays_on_the_grid() -> None:
    names = [s.name for s in dashboard_specs(DashboardsConfig(), GovernanceConfig(), KongConfig(enabled=False))]
    assert "kongGateway" not in names
    for spec in ALL:
        for box in json.loads(spec.dashboard.json())["layouts"].values():
            assert box["x"] >= 0
            assert box["x"] + box["w"] <= 24


def test_builders_refuse_undeclared_variables_and_the_id_is_stack_specific() -> None:
    with pytest.raises(ValueError, match="undeclared variables"):
        Dashboard("k", "T", (Query("q", "fetch spans, samplingRatio:$nope"),)).content()
    assert document_id("ai-observability/prod", "llm-services") == "ai-observability.prod.llm-services"
    assert document_id("ai-observability/dev", "x") != document_id("ai-observability/prod", "x")
