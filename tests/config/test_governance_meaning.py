"""Rules of governance meaning, checked before the plan.

- A minted ingest token carries every scope its consumers need: ``bizevents.ingest`` for event
  forwarding; ``metrics.ingest``, ``openTelemetryTrace.ingest``, ``logs.ingest`` for the collector.
- Forwarded operations are control-plane operations of AWS's published Bedrock service models
  (``bedrock``, ``bedrock-agent``); inference operations (``bedrock-runtime``,
  ``bedrock-agent-runtime``) and names in neither are refused.
- Pipeline and route matchers are one DQL condition: a ``|`` outside strings and comments is refused.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.dql import matcher_problem
from policies.rules._bedrock_operations import CONTROL_PLANE_OPERATIONS, INFERENCE_OPERATIONS
from tests.conftest import FAKE_ENV, config_issues, stack_file

NS = "ai-observability"
ENV = FAKE_ENV
ALL_SCOPES = ["bizevents.ingest", "metrics.ingest", "logs.ingest", "events.ingest", "openTelemetryTrace.ingest"]
SCOPES_KEY = f"{NS}:governance.ingestToken.scopes"
OPERATIONS_KEY = f"{NS}:eventForwarding.operations"


# --- token scopes ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    scopes=st.lists(st.sampled_from(ALL_SCOPES), min_size=1, unique=True),
    forwarding=st.booleans(),
    collector=st.booleans(),
)
def test_a_minted_token_covers_its_consumers(scopes: list[str], forwarding: bool, collector: bool) -> None:
    raw = stack_file("dev")
    raw[f"{NS}:governance"]["ingestToken"]["scopes"] = scopes
    raw[f"{NS}:eventForwarding"]["enabled"] = forwarding
    raw[f"{NS}:collector"]["enabled"] = collector
    if not collector:
        raw[f"{NS}:kong"]["enabled"] = False
    needed = ({"bizevents.ingest"} if forwarding else set()) | (
        {"metrics.ingest", "openTelemetryTrace.ingest", "logs.ingest"} if collector else set()
    )
    missing = needed - set(scopes)
    issues = config_issues(raw)
    if missing:
        assert all(scope in issues[SCOPES_KEY] for scope in missing), issues
    else:
        assert SCOPES_KEY not in issues, issues


def test_a_configured_token_is_not_judged_offline() -> None:
    raw = stack_file("dev")
    raw[f"{NS}:governance"]["ingestToken"] = {"create": False, "scopes": ["events.ingest"]}
    raw[f"{NS}:dynatraceIngestToken"] = "dt0c01." + "INGESTTOKEN0000000000000" + "." + "C" * 64
    assert SCOPES_KEY not in config_issues(raw)


# --- Bedrock operations -----------------------------------------------------------------------------


def _operations(ops: list[str]) -> dict[str, str]:
    raw = stack_file("prod")
    raw[f"{NS}:eventForwarding"]["operations"] = ops
    return config_issues(raw, "prod")


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("CreateGuardrial", "CreateGuardrail"), ("DeleteGuardRail", "DeleteGuardrail"), ("CreateAgnet", "CreateAgent")],
)
def test_a_misspelt_operation_is_refused_with_the_likely_name(typo: str, meant: str) -> None:
    message = _operations(["CreateGuardrail", typo])[OPERATIONS_KEY]
    assert repr(typo) in message
    assert repr(meant) in message
    assert "did you mean" in message


@pytest.mark.parametrize("op", ["InvokeAgent", "RetrieveAndGenerate", "InvokeModel", "Converse", "InvokeFlow"])
def test_inference_operations_of_both_runtimes_are_refused(op: str) -> None:
    assert "inference traffic" in _operations(["CreateGuardrail", op])[OPERATIONS_KEY]


@settings(max_examples=50, deadline=None)
@given(op=st.sampled_from(CONTROL_PLANE_OPERATIONS))
def test_every_control_plane_operation_is_accepted(op: str) -> None:
    assert OPERATIONS_KEY not in _operations([op])


@settings(max_examples=50, deadline=None)
@given(op=st.text(string.ascii_letters, min_size=3, max_size=40))
def test_a_name_outside_the_service_models_is_refused(op: str) -> None:
    issues = _operations([op])
    known = op in CONTROL_PLANE_OPERATIONS
    assert (OPERATIONS_KEY not in issues) == known


def test_the_lists_are_disjoint_and_cover_both_runtimes() -> None:
    assert not set(CONTROL_PLANE_OPERATIONS) & set(INFERENCE_OPERATIONS)
    assert {"InvokeAgent", "RetrieveAndGenerate", "InvokeModel", "ConverseStream"} <= set(INFERENCE_OPERATIONS)
    assert {"TagResource", "CreateGuardrail", "CreateAgent"} <= set(CONTROL_PLANE_OPERATIONS)


def test_the_generated_operation_lists_are_current_with_botocore() -> None:
    pytest.importorskip("botocore")
    from tools.bedrock_operations import OUTPUT, render, service_operations

    version, operations = service_operations()
    assert OUTPUT.read_text(encoding="utf-8") == render(version, operations), (
        "policies/rules/_bedrock_operations.py is stale: run `python -m tools.bedrock_operations`"
    )


# --- DQL matchers --------------------------------------------------------------------------------

# One-line conditions (config strings hold no line feed: the model-wide visible-text rule).
LEGITIMATE_MATCHERS = [
    "true",
    'matchesValue(event.type, "gen_ai.auditing")',
    'event.type == "a|b" and isNotNull(event.provider)',
    "event.type == 'x|y'",
    "`weird|field` == 1",
    'matchesPhrase(content, """one | line""")',
    '/* | */ event.type == "z"',
    'contains(content, "quote \\" | inside")',
    'event.type == "x" // a trailing comment | with a pipe',
]
# Multi-line text the tokenizer reads the same way.
MULTI_LINE_CONDITIONS = [
    'matchesPhrase(content, """multi\nline | text""")',
    'event.type == "x" // a comment | with a pipe\n or event.type == "y"',
]
PIPELINES = [
    'event.type == "x" | fields a',
    "true | limit 1",
    'matchesValue(event.type, "a") | summarize count()',
    '"a" == "a" |',
    "/* comment */ true | filter x",
]


@pytest.mark.parametrize("matcher", MULTI_LINE_CONDITIONS)
def test_multi_line_conditions_are_single_conditions(matcher: str) -> None:
    assert matcher_problem(matcher) is None


@pytest.mark.parametrize("matcher", LEGITIMATE_MATCHERS)
def test_single_conditions_pass(matcher: str) -> None:
    assert matcher_problem(matcher) is None
    raw = stack_file("dev")
    raw[f"{NS}:governance"]["route"]["matcher"] = matcher
    raw[f"{NS}:governance"]["pipeline"]["matcher"] = matcher
    issues = config_issues(raw)
    assert f"{NS}:governance.route.matcher" not in issues
    assert f"{NS}:governance.pipeline.matcher" not in issues


@pytest.mark.parametrize("matcher", PIPELINES)
@pytest.mark.parametrize("key", ["route", "pipeline"])
def test_a_top_level_pipe_is_refused(matcher: str, key: str) -> None:
    raw = stack_file("dev")
    raw[f"{NS}:governance"][key]["matcher"] = matcher
    assert "outside any string or comment" in config_issues(raw)[f"{NS}:governance.{key}.matcher"]


@pytest.mark.parametrize("matcher", ['event.type == "open', "/* never closed", 'x == """a'])
def test_an_unterminated_literal_is_refused(matcher: str) -> None:
    assert "unterminated" in str(matcher_problem(matcher))


@settings(max_examples=80, deadline=None)
@given(
    inside=st.text(alphabet=string.ascii_letters + " |.-_", max_size=20),
    quote=st.sampled_from(['"', "'", "`"]),
    pipe_outside=st.booleans(),
)
def test_pipes_count_only_outside_literals(inside: str, quote: str, pipe_outside: bool) -> None:
    matcher = f"event.type == {quote}{inside}{quote}" + (" | fields a" if pipe_outside else "")
    assert (matcher_problem(matcher) is None) == (not pipe_outside)


def test_the_collector_scopes_match_the_pipelines_it_renders() -> None:
    import yaml

    from components.config.collector import COLLECTOR_SIGNAL_SCOPES
    from tools.plan import collector_config_text, evaluate_stack

    text = collector_config_text(evaluate_stack("dev", env=ENV))
    assert text is not None
    pipelines = yaml.safe_load(text)["service"]["pipelines"]
    assert {name.split("/")[0] for name in pipelines} == set(COLLECTOR_SIGNAL_SCOPES)
