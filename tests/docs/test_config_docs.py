"""docs/configuration.md is generated from the config models and must match them."""

from __future__ import annotations

import re

import pytest

from components.config.governance import BucketConfig
from components.config.stack import SECTIONS
from tools import config_docs


def test_committed_reference_is_up_to_date() -> None:
    committed = config_docs.OUTPUT.read_text(encoding="utf-8")
    assert committed == config_docs.render(), "docs/configuration.md is stale: run `python -m tools.config_docs`"


def test_check_mode_reports_a_stale_file(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(config_docs, "render", lambda: "something else\n")
    assert config_docs.main(["--check"]) == 1
    assert "python -m tools.config_docs" in capsys.readouterr().err


def test_every_key_path_of_every_section_is_documented() -> None:
    text = config_docs.render()
    for section in SECTIONS:
        if section.model is None:
            continue
        assert f"## ai-observability:{section.key}\n" in text
    for key in (
        "bucket.retentionDays",
        "ingestToken.rotateBeforeDays",
        "trail.existingTrailArn",
        "guardrails[].piiEntities[].action",
        "[].scaling.maxSize",
        "nimScrape.jobName",
        "alerts.<name>.violatingSamples",
    ):
        assert f"| `{key}` |" in text, key


def test_a_row_carries_type_default_constraints_and_description() -> None:
    row = next(line for line in config_docs.render().splitlines() if line.startswith("| `bucket.retentionDays` |"))
    cells = [c.strip() for c in row.strip("|").split(" | ")]
    assert cells[1:4] == ["integer", "`1825`", "1–3657"]
    assert "irreversibly" in cells[4]


def test_a_new_field_changes_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """A field someone adds to a model shows up in the generated text (so the staleness test catches it)."""
    before = config_docs.render()
    field = BucketConfig.model_fields["display_name"]
    monkeypatch.setattr(field, "description", "A brand-new explanation.")
    after = config_docs.render()
    assert before != after
    assert "A brand-new explanation." in after


def test_secrets_are_listed_without_values() -> None:
    text = config_docs.render()
    for key, env in (("dynatraceApiToken", "DT_API_TOKEN"), ("ngcApiKey", "NGC_API_KEY")):
        assert re.search(rf"\| `{key}` \| `{env}` \|", text)
