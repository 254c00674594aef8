"""The Amazon Bedrock Runtime (inference) API operations, shared by the policy pack and the stack config.

Source: Amazon Bedrock API Reference, "Amazon Bedrock Runtime" operations list
(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html).
CloudTrail records these calls with ``eventSource`` ``bedrock.amazonaws.com``, like the
control-plane ones, so a governance rule must never match any of them by ``eventName``.

Kept free of third-party imports: the pack runs it under the engine, and the program's
config (``components.config.event_forwarding``) imports it from here.
"""

from __future__ import annotations

INFERENCE_OPERATIONS: tuple[str, ...] = (
    "ApplyGuardrail",
    "Converse",
    "ConverseStream",
    "CountTokens",
    "GetAsyncInvoke",
    "InvokeGuardrailChecks",
    "InvokeModel",
    "InvokeModelWithBidirectionalStream",
    "InvokeModelWithResponseStream",
    "ListAsyncInvokes",
    "StartAsyncInvoke",
)
