"""Dynatrace dynamic providers (pure Python, pickled by reference into the Pulumi state).

Resources: :class:`GrailBucket`, :class:`OpenPipelinePipeline`, :class:`OpenPipelineRoute`,
:class:`IngestToken`. Each receives its URL and admin token as (secret) inputs because the
engine runs providers in a separate process.
"""

from .bucket import GrailBucket, GrailBucketArgs, GrailBucketProvider
from .client import ClientSettings, DynatraceClient, TokenAuth
from .errors import (
    DynatraceApiError,
    DynatraceConflictError,
    DynatraceConnectionError,
    DynatraceError,
    DynatraceNetworkSetupError,
    DynatraceProxyError,
    DynatraceTimeoutError,
    DynatraceTlsError,
    redact,
)
from .ingest_token import IngestToken, IngestTokenArgs, IngestTokenProvider
from .pipeline import OpenPipelinePipeline, OpenPipelinePipelineArgs, OpenPipelinePipelineProvider, external_id_for
from .route import OpenPipelineRoute, OpenPipelineRouteArgs, OpenPipelineRouteProvider

__all__ = [
    "ClientSettings",
    "DynatraceApiError",
    "DynatraceClient",
    "DynatraceConflictError",
    "DynatraceConnectionError",
    "DynatraceError",
    "DynatraceNetworkSetupError",
    "DynatraceProxyError",
    "DynatraceTimeoutError",
    "DynatraceTlsError",
    "GrailBucket",
    "GrailBucketArgs",
    "GrailBucketProvider",
    "IngestToken",
    "IngestTokenArgs",
    "IngestTokenProvider",
    "OpenPipelinePipeline",
    "OpenPipelinePipelineArgs",
    "OpenPipelinePipelineProvider",
    "OpenPipelineRoute",
    "OpenPipelineRouteArgs",
    "OpenPipelineRouteProvider",
    "TokenAuth",
    "external_id_for",
    "redact",
]
