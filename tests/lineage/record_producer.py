"""Record what a GenAI instrumentation release emits, for releases that cannot be installed beside the
pinned one (older OpenLLMetry, the OpenTelemetry contrib instrumentations, LangChain).

Not run by the test suite. Run it in a scratch virtualenv holding the release to record, from the
repository root, so that it uses the same loopback model server and calls as the pinned run
(:mod:`tests.lineage.otlp_capture`)::

    python3.11 -m venv /tmp/rec && /tmp/rec/bin/pip install <packages>
    /tmp/rec/bin/python -m tests.lineage.record_producer <producer> tests/lineage/recordings/<name>.json

``producer`` is one of :data:`PRODUCERS`. The recording is JSON: ``recorded`` (the producer, the
installed versions of every distribution the run involves, the command, the pip install line given
with ``--installed-with``, the UTC date) and ``output`` (span records and metric points, as
:class:`~tests.lineage.otlp_capture.OtlpOutput`). Never edit a recording by hand: record it again.

Each recording's header carries the exact pip install line and command it was made with.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.lineage.otlp_capture import OPENAI_MODEL, OtlpOutput, capture, openai_and_bedrock_calls
from testsupport.genai.model_server import FAILING_MODEL


def langchain_calls(url: str) -> None:
    """A LangChain app: a chat model call that answers and one that fails (HTTP 500)."""
    from langchain_openai import ChatOpenAI

    ChatOpenAI(model=OPENAI_MODEL, base_url=url + "/v1", api_key="sk-lineage-test", max_retries=0).invoke("hello")
    failing = ChatOpenAI(model=FAILING_MODEL, base_url=url + "/v1", api_key="sk-lineage-test", max_retries=0)
    with contextlib.suppress(Exception):
        failing.invoke("hello")


def _openllmetry() -> list[Any]:
    from opentelemetry.instrumentation.bedrock import BedrockInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    return [OpenAIInstrumentor(), BedrockInstrumentor()]


def _otel_contrib() -> list[Any]:
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    return [OpenAIInstrumentor(), BotocoreInstrumentor()]


def _langchain() -> list[Any]:
    from opentelemetry.instrumentation.langchain import LangchainInstrumentor

    return [LangchainInstrumentor()]


@dataclass(frozen=True)
class Recorder:
    instrumentors: Callable[[], list[Any]]
    calls: Callable[[str], None]
    distributions: tuple[str, ...]


_SDK = ("opentelemetry-api", "opentelemetry-sdk", "opentelemetry-semantic-conventions")
PRODUCERS: dict[str, Recorder] = {
    "openllmetry": Recorder(
        _openllmetry,
        openai_and_bedrock_calls,
        (
            "opentelemetry-instrumentation-openai",
            "opentelemetry-instrumentation-bedrock",
            "opentelemetry-semantic-conventions-ai",
            "openai",
            "boto3",
            *_SDK,
        ),
    ),
    "otel-contrib": Recorder(
        _otel_contrib,
        openai_and_bedrock_calls,
        (
            "opentelemetry-instrumentation-openai-v2",
            "opentelemetry-instrumentation-botocore",
            "opentelemetry-util-genai",
            "openai",
            "boto3",
            *_SDK,
        ),
    ),
    "langchain": Recorder(
        _langchain,
        langchain_calls,
        (
            "opentelemetry-instrumentation-langchain",
            "opentelemetry-semantic-conventions-ai",
            "langchain-core",
            "langchain-openai",
            "openai",
            *_SDK,
        ),
    ),
}


def record(producer: str, installed_with: str) -> dict[str, Any]:
    recorder = PRODUCERS[producer]
    installed = [d for d in recorder.distributions if _installed(d)]
    output = capture(recorder.instrumentors(), recorder.calls, installed)
    return {
        "recorded": {
            "producer": producer,
            "versions": output.versions,
            "python": sys.version.split()[0],
            "command": "python -m tests.lineage.record_producer " + shlex.join(sys.argv[1:]),
            "installed_with": installed_with,
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "output": output.to_json(),
    }


def _installed(distribution: str) -> bool:
    try:
        metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def load(path: Path) -> tuple[dict[str, Any], OtlpOutput]:
    """A recording's header and output."""
    data = json.loads(path.read_text())
    return data["recorded"], OtlpOutput.from_json(data["output"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lineage.record_producer", description=__doc__.split("\n")[0])
    parser.add_argument("producer", choices=sorted(PRODUCERS))
    parser.add_argument("output", type=Path)
    parser.add_argument("--installed-with", default="", help="the pip install arguments of the scratch virtualenv")
    args = parser.parse_args(argv)
    recording = record(args.producer, args.installed_with)
    args.output.write_text(json.dumps(recording, indent=1, sort_keys=True) + "\n")
    print(f"{args.output}: {len(recording['output']['spans'])} spans, {len(recording['output']['points'])} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
