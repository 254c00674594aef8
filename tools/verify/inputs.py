"""What verify reads before it talks to Dynatrace: the stack's configuration, its outputs, the tokens.

- Configuration: ``Pulumi.<stack>.yaml``, read and validated exactly as the offline plan reads it
  (encrypted secrets cannot be decrypted here; secrets verify does not use get placeholders).
- Outputs: ``pulumi stack output --json --show-secrets`` (run when the Pulumi CLI is on PATH), or a
  file / standard input holding that JSON (``--outputs FILE`` / ``--outputs -``).
- Tokens: the usual environment variables (``DT_API_TOKEN``; ``DT_PLATFORM_TOKEN`` or the OAuth client
  ``DT_CLIENT_ID``/``DT_CLIENT_SECRET``, which wins when both are set, as in the providers; the ingest
  token from the outputs, else ``DT_INGEST_TOKEN``), each checked against the shape its config key
  accepts (the OAuth client also as a pair).

Every problem is an :class:`InputError` whose message is safe to show (exit code 2).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from components.config import SECRET_SPECS, ConfigError, StackConfig, parse_stack_config
from components.config.errors import redact_text, remember_secret
from components.dynatrace._provider import base_url
from components.dynatrace.scopes import VERIFY_CHAIN, VERIFY_GRAIL
from tools.mock_run import PROJECT
from tools.plan import PROJECT_ROOT, PlanError, check_stack_name, engine_config, read_stack_file
from tools.stack_file import StackFileError

from .report import SectionName

MAX_OUTPUTS_BYTES = 1024 * 1024
PULUMI_TIMEOUT_SECONDS = 120
SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 - a marker, not a credential  # what `pulumi stack output` prints for a secret without --show-secrets


class InputError(Exception):
    """verify cannot run; the message names what to fix and shows no secret."""


class StackOutputs(BaseModel):
    """The stack outputs verify uses (``components/stack.py`` exports them); others are ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", hide_input_in_errors=True
    )

    stack: str | None = None
    dynatrace_environment_url: str | None = None
    dynatrace_platform_url: str | None = None
    governance_bucket_name: str | None = None
    governance_pipeline_id: str | None = None
    governance_route_description: str | None = None
    dynatrace_ingest_token_id: str | None = None
    dynatrace_ingest_token_expires_at: str | None = None
    dynatrace_ingest_token: SecretStr | None = None
    signals_detector_ids: dict[str, str] = Field(default_factory=dict)
    signals_dashboard_ids: dict[str, str] = Field(default_factory=dict)
    bedrock_event_rule_arn: str | None = None
    bedrock_event_dead_letter_queue_url: str | None = None
    guardrails: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Tokens:
    api: str | None
    """Classic admin token (``DT_API_TOKEN``): ingest-token metadata, pipeline, routing table."""
    platform: str | None
    """Platform token (``DT_PLATFORM_TOKEN``): bucket, detectors, dashboards, Grail queries."""
    oauth_client_id: str | None
    oauth_client_secret: str | None
    """The OAuth client (``DT_CLIENT_ID``, ``DT_CLIENT_SECRET``): when given, it serves the platform calls
    in place of the platform token."""
    ingest: str | None
    """The ingest token the stack wired (outputs ``dynatraceIngestToken``, else ``DT_INGEST_TOKEN``)."""
    ingest_source: str = ""

    def __repr__(self) -> str:
        return "Tokens(***)"


@dataclass(frozen=True)
class VerifyInputs:
    stack: str
    config: StackConfig
    outputs: StackOutputs
    tokens: Tokens = field(repr=False)
    environment_url: str
    platform_url: str
    sso_url: str | None = None
    """Dynatrace SSO for the OAuth client's access tokens (None: production, ``https://sso.dynatrace.com``)."""

    @property
    def owner(self) -> str:
        """``<project>/<stack>``: the owner every stack-owned Dynatrace object's identity carries."""
        return f"{PROJECT}/{self.stack}"


Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - a fixed argv (the Pulumi CLI), no shell
        list(command), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=PULUMI_TIMEOUT_SECONDS, check=False
    )


def read_outputs(
    source: str | None, pulumi_stack: str, *, stdin: IO[str] | None = None, runner: Runner = _run
) -> dict[str, Any]:
    """The outputs as JSON: from ``source`` (a file, or ``-`` for standard input) or the Pulumi CLI."""
    if source == "-":
        text = stdin.read(MAX_OUTPUTS_BYTES + 1) if stdin is not None else ""
        where = "standard input"
    elif source is not None:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"--outputs {source}: no such file")
        with path.open(encoding="utf-8", errors="replace") as handle:
            text = handle.read(MAX_OUTPUTS_BYTES + 1)
        where = source
    else:
        if shutil.which("pulumi") is None:
            raise InputError(
                "no stack outputs: the Pulumi CLI is not on PATH; pass --outputs FILE (or - for standard input) "
                "holding `pulumi stack output --json --show-secrets`"
            )
        try:
            done = runner(["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", pulumi_stack])
        except (OSError, subprocess.TimeoutExpired) as error:
            raise InputError(f"pulumi stack output could not run: {type(error).__name__}") from None
        if done.returncode != 0:
            last = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
            raise InputError(
                f"pulumi stack output --stack {pulumi_stack} failed (exit {done.returncode}): {last[0][:300]}"
            )
        text, where = done.stdout, "pulumi stack output"
    if len(text) > MAX_OUTPUTS_BYTES:
        raise InputError(f"{where}: larger than {MAX_OUTPUTS_BYTES} bytes; not stack outputs")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise InputError(f"{where}: nested too deeply to be stack outputs") from None
    if not isinstance(document, dict):
        raise InputError(f"{where}: stack outputs must be a JSON object of output names and values")
    return document


def parse_outputs(document: Mapping[str, Any], stack: str) -> StackOutputs:
    try:
        outputs = StackOutputs.model_validate(dict(document))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:5])
        raise InputError(f"stack outputs: {problems}") from None
    if outputs.stack is not None and outputs.stack != stack:
        raise InputError(f"the outputs are those of stack {outputs.stack!r}, not {stack!r}")
    return outputs


def _token(env: Mapping[str, str], key: str) -> str | None:
    spec = next(s for s in SECRET_SPECS if s.key == key)
    value = (env.get(spec.env) or "").strip()
    if not value:
        return None
    remember_secret(value)
    if spec.pattern is not None and not spec.pattern.match(value):
        raise InputError(f"${spec.env} must be {spec.shape} (value not shown)")
    return value


def read_tokens(env: Mapping[str, str], outputs: StackOutputs, sections: Sequence[SectionName]) -> Tokens:
    api, platform = _token(env, "dynatraceApiToken"), _token(env, "dynatracePlatformToken")
    # Both or neither, the secret its client's: read_config validated them with the stack's secret rules.
    client_id, client_secret = _token(env, "dynatraceOAuthClientId"), _token(env, "dynatraceOAuthClientSecret")
    ingest, source = None, ""
    wired = outputs.dynatrace_ingest_token.get_secret_value() if outputs.dynatrace_ingest_token else None
    if wired and wired != SECRET_PLACEHOLDER:
        remember_secret(wired)
        ingest, source = wired, "the stack output dynatraceIngestToken"
    else:
        ingest = _token(env, "dynatraceIngestToken")
        source = "$DT_INGEST_TOKEN" if ingest else ""
    missing = []
    if "governance" in sections and api is None:
        missing.append(f"DT_API_TOKEN (classic API token with {', '.join(VERIFY_CHAIN.scopes)})")
    if platform is None and client_id is None and set(sections) & {"governance", "probe", "signals"}:
        missing.append(
            f"DT_PLATFORM_TOKEN (platform token with {', '.join(VERIFY_GRAIL.scopes)}) or DT_CLIENT_ID and "
            "DT_CLIENT_SECRET (an OAuth client with those scopes)"
        )
    if missing:
        raise InputError("set " + " and ".join(missing))
    return Tokens(api, platform, client_id, client_secret, ingest, source)


def read_config(stack: str, stack_dir: Path, env: Mapping[str, str]) -> StackConfig:
    """The stack's validated configuration, read as the offline plan reads it."""
    try:
        check_stack_name(stack)
        raw = read_stack_file(stack, stack_dir)
        config, _, _ = engine_config(raw, env)
        return parse_stack_config(config, env, stack=stack)
    except (PlanError, FileNotFoundError, StackFileError, ConfigError) as error:
        raise InputError(redact_text(str(error))) from None


def _url(value: str, what: str) -> str:
    try:
        return base_url(value)
    except ValueError as error:
        raise InputError(f"{what}: {error}") from None


def load(
    stack: str,
    *,
    sections: Sequence[SectionName],
    outputs_source: str | None,
    pulumi_stack: str | None = None,
    stack_dir: Path = PROJECT_ROOT,
    environment_url: str | None = None,
    platform_url: str | None = None,
    sso_url: str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: IO[str] | None = None,
    runner: Runner = _run,
) -> VerifyInputs:
    environment = dict(os.environ if env is None else env)
    config = read_config(stack, stack_dir, environment)
    outputs = parse_outputs(read_outputs(outputs_source, pulumi_stack or stack, stdin=stdin, runner=runner), stack)
    tokens = read_tokens(environment, outputs, sections)
    # The deployed URLs (outputs) describe what was applied; explicit flags override both.
    classic = environment_url or outputs.dynatrace_environment_url or config.dynatrace.environment_url
    platform = platform_url or outputs.dynatrace_platform_url or config.dynatrace.platform
    return VerifyInputs(
        stack=stack,
        config=config,
        outputs=outputs,
        tokens=tokens,
        environment_url=_url(classic, "the Dynatrace environment URL"),
        platform_url=_url(platform, "the Dynatrace platform URL"),
        sso_url=_url(sso_url, "--sso-url") if sso_url else None,
    )
