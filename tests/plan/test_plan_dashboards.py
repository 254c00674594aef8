"""The offline plan of the committed stacks contains the AI dashboards as documents."""

from __future__ import annotations

import json

import pytest

from testsupport.dynatrace.emulator_documents import dashboard_problems
from tools import plan

DOCUMENT_TYPE = "pulumi-python:dynamic/dynatrace:Document"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plans_contain_dashboards_with_valid_json_and_dql_tiles(stack: str, fake_env: dict[str, str]) -> None:
    document = plan.plan_document(plan.evaluate_stack(stack, env=fake_env))
    dashboards = [r for r in document["resources"] if r["type"] == DOCUMENT_TYPE]
    assert len(dashboards) >= 3
    for resource in dashboards:
        inputs = resource["inputs"]
        # fake_env sets an OAuth client besides the platform token: the OAuth client authenticates.
        assert (inputs["oauth_client_id"], inputs["oauth_client_secret"]) == ("[secret]", "[secret]")
        assert "platform_token" not in inputs
        assert inputs["oauth_scopes"][0].startswith("document:")
        assert inputs["type"] == "dashboard"
        content = inputs["content"]
        assert dashboard_problems(content.encode()) == [], resource["name"]
        tiles = json.loads(content)["tiles"].values()
        assert any(t["type"] == "data" and t["query"].split()[0] in ("timeseries", "fetch") for t in tiles)
    assert {"signalsDashboardIds"} <= set(document["outputs"])
