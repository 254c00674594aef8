"""The scope list (components/dynatrace/scopes.py) against what the stack really does: the
configuration's secrets, the queries the detectors run, and the client's 401/403 messages."""

from __future__ import annotations

import re

import pytest

from components.config import SECRET_SPECS
from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import SignalsConfig
from components.dynatrace.api import BUCKETS_PATH, TOKENS_PATH
from components.dynatrace.client import DynatraceClient, TokenAuth
from components.dynatrace.errors import DynatraceApiError
from components.dynatrace.scopes import CLASSIC, CREDENTIALS, DETECTORS, FEATURES, PLATFORM, scopes_for
from components.dynatrace.signals.detectors import detector_specs
from tests.dynatrace.conftest import FAST, Env

# Grail: reading any record needs storage:buckets:read plus the read scope of its table.
_TABLE_SCOPE = {"spans": "storage:spans:read", "bizevents": "storage:bizevents:read", "logs": "storage:logs:read"}


def test_credentials_are_the_configured_secrets() -> None:
    specs = {s.key: s.env for s in SECRET_SPECS}
    for credential in CREDENTIALS:
        assert specs[credential.config_key] == credential.env
    assert {f.credential for f in FEATURES} == set(CREDENTIALS)


def _grail_scopes(query: str) -> set[str]:
    needed = {"storage:buckets:read"}
    if re.search(r"\b(?:timeseries|makeTimeseries)\b", query) and not query.lstrip().startswith("fetch"):
        needed.add("storage:metrics:read")
    for table in re.findall(r"\bfetch\s+([\w.]+)", query):
        needed.add(_TABLE_SCOPE.get(table, f"storage:{table}:read"))
    return needed


def test_the_detector_scopes_are_exactly_what_their_queries_read() -> None:
    specs = detector_specs(SignalsConfig(), GovernanceConfig(), KongConfig(enabled=True))
    read = set()
    for spec in specs:
        query = next(i["value"] for i in spec.value["analyzer"]["input"] if i["key"] == "query")
        read |= _grail_scopes(query)
    granted = {s for s in DETECTORS.scopes if s.startswith("storage:")}
    assert read == granted, "update DETECTORS in components/dynatrace/scopes.py to what the queries read"


def test_a_403_names_the_setting_and_every_scope_of_that_credential(env: Env) -> None:
    weak = env.dt.add_token(kind="platform", scopes=("storage:bucket-definitions:read",))
    with DynatraceClient(env.url, TokenAuth("Bearer", weak), FAST) as client, pytest.raises(DynatraceApiError) as e:
        client.request("POST", BUCKETS_PATH, json_body={})
    message = str(e.value)
    assert e.value.status == 403
    assert PLATFORM.setting() in message
    assert all(scope in message for scope in scopes_for(PLATFORM))
    assert not any(scope in message for scope in scopes_for(CLASSIC))


def test_a_401_names_the_setting_to_fix(env: Env) -> None:
    revoked = env.dt.add_token(kind="api", scopes=scopes_for(CLASSIC))
    env.dt.tokens.pop(revoked)
    with (
        DynatraceClient(env.url, TokenAuth("Api-Token", revoked), FAST) as client,
        pytest.raises(DynatraceApiError) as e,
    ):
        client.request("GET", TOKENS_PATH)
    assert e.value.status == 401
    assert CLASSIC.setting() in str(e.value)
