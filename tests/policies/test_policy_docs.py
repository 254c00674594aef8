"""The pack's layout (one rule per file, named after the policy, rationale and fix in its docstring)
and the policy reference generated from it (``python -m tools.policy_docs``)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

import policies.rules
from policies.registry import all_policies
from tools import policy_docs

ROOT = Path(__file__).resolve().parents[2]


def rule_modules() -> dict[str, ModuleType]:
    """Every module of policies/rules/ that is not a shared helper (``_``-prefixed)."""
    return {
        info.name: importlib.import_module(f"policies.rules.{info.name}")
        for info in pkgutil.iter_modules(policies.rules.__path__)
        if not info.name.startswith("_")
    }


def test_each_rule_file_defines_exactly_the_registered_policy_named_after_it() -> None:
    registered = {p.name.replace("-", "_"): p for p in all_policies()}
    modules = rule_modules()
    assert sorted(modules) == sorted(registered)
    for name, module in modules.items():
        defined = [
            value
            for value in vars(module).values()
            if isinstance(value, ResourceValidationPolicy | StackValidationPolicy)
        ]
        assert defined == [registered[name]], f"policies/rules/{name}.py"
        assert policy_docs.rule_module(registered[name]) is module


@pytest.mark.parametrize("policy", all_policies(), ids=lambda p: p.name)
def test_rule_docstring_states_summary_why_and_fix(policy: ResourceValidationPolicy | StackValidationPolicy) -> None:
    summary, _, why, fix = policy_docs.parse_docstring(policy_docs.rule_module(policy))
    assert "\n" not in summary
    assert why
    assert fix
    assert policy.description


def test_a_docstring_without_why_or_fix_is_refused() -> None:
    module = ModuleType("policies.rules.some_rule", "Something holds.\n\nWhy: because.\n")
    with pytest.raises(ValueError, match=r"policies/rules/some_rule\.py: .*'Fix: '"):
        policy_docs.parse_docstring(module)


def test_docs_policies_md_is_current() -> None:
    """Fails when a rule, its docstring, its settings or a policies/config file changed without
    regenerating the reference: run ``python -m tools.policy_docs``."""
    assert (ROOT / "docs" / "policies.md").read_text(encoding="utf-8") == policy_docs.render()


def test_reference_lists_every_rule_with_its_enforcement_per_stack() -> None:
    rendered = policy_docs.render()
    for policy in all_policies():
        assert f"\n### {policy.name}\n" in rendered
        assert f"| [`{policy.name}`](#{policy.name}) | " in rendered
    assert "- Enforcement: dev: `advisory`, prod: `mandatory`" in rendered
    assert "| `minRetentionDays` | integer | `184` |" in rendered


def test_check_mode_reports_a_stale_file_and_writing_fixes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "policies.md"
    target.write_text("# outdated\n", encoding="utf-8")
    monkeypatch.setattr(policy_docs, "OUTPUT", target)
    assert policy_docs.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "# outdated\n"
    assert policy_docs.main([]) == 0
    assert policy_docs.main(["--check"]) == 0
    assert target.read_text(encoding="utf-8") == policy_docs.render()
