"""Run the pinned OpenLLMetry OpenAI and Bedrock instrumentations for real and collect what they emit.

``opentelemetry-instrumentation-openai`` / ``-bedrock`` are pinned in ``requirements-dev.txt``; the
calls and the collection are :mod:`tests.lineage.otlp_capture`'s. Only tests import this: the program
never imports the instrumentations.
"""

from __future__ import annotations

from tests.lineage.otlp_capture import OtlpOutput, capture, openai_and_bedrock_calls

DISTRIBUTIONS = ("opentelemetry-instrumentation-openai", "opentelemetry-instrumentation-bedrock", "openai")


def run_openllmetry() -> OtlpOutput:
    from opentelemetry.instrumentation.bedrock import BedrockInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    return capture((OpenAIInstrumentor(), BedrockInstrumentor()), openai_and_bedrock_calls, DISTRIBUTIONS)
