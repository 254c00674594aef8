"""Dynatrace governance: ingest token → Grail bucket → OpenPipeline pipeline → route.

The pipeline's processing stage names the CloudTrail fields dashboards and auditors filter on
(:mod:`components.dynatrace.governance_fields`); its storage stage keeps the events in the bucket.

Dependencies follow the data: the pipeline takes the bucket's name from the bucket's output, the
route takes the pipeline's ``objectId`` from the pipeline's output (plus explicit
``depends_on``), so Pulumi creates bucket → pipeline → route and destroys route → pipeline →
bucket — the only order Dynatrace accepts (a routed pipeline and a referenced bucket cannot be
deleted). The ingest token is independent of the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.config.governance import GovernanceConfig
from components.dynatrace import (
    ClientSettings,
    GrailBucket,
    GrailBucketArgs,
    IngestToken,
    IngestTokenArgs,
    OpenPipelinePipeline,
    OpenPipelinePipelineArgs,
    OpenPipelineRoute,
    OpenPipelineRouteArgs,
)
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.governance_fields import dql_script

COMPONENT_TYPE = "ai-observability:dynatrace:Governance"


@dataclass(frozen=True)
class DynatraceGovernanceArgs:
    """Typed inputs of :class:`DynatraceGovernance` (the stack wiring fills them from the config)."""

    environment_url: str
    """Classic environment URL (``https://{env}.live.dynatrace.com``): settings and API tokens."""
    platform_url: str
    """Platform URL (``https://{env}.apps.dynatrace.com``): Grail buckets."""
    api_token: pulumi.Input[str]
    """Classic admin token (secret) with the scopes of the classic features in :mod:`components.dynatrace.scopes`."""
    platform_auth: PlatformAuth
    """A platform token or an OAuth client (secrets), with the scopes of
    :data:`~components.dynatrace.scopes.GRAIL_BUCKET`."""
    owner: str
    """``<project>/<stack>``: makes the pipeline's externalId and the token fingerprint stack-specific."""
    config: GovernanceConfig = field(default_factory=GovernanceConfig)
    client: ClientSettings | None = None
    """HTTP timeouts / retry budget / polling; None = production defaults (tests pass fast ones)."""


class DynatraceGovernance(pulumi.ComponentResource):
    """Token with the ingest scopes Dynatrace documents, a bizevents bucket, a pipeline storing into it, and a
    route sending ``event.type == <eventType>`` to the pipeline, placed first in the routing table."""

    bucket_name: pulumi.Output[str]
    pipeline_id: pulumi.Output[str]
    route_description: pulumi.Output[str]
    ingest_token: pulumi.Output[str] | None
    """The minted ingest token (a secret), or None when ``ingestToken.create`` is false."""
    ingest_token_id: pulumi.Output[str] | None
    """The token's public id (``dt0c01.XXXX``), safe to show."""
    ingest_token_expires_at: pulumi.Output[str | None] | None
    """When the minted token expires (ISO-8601; None for a token without expiry); a ``pulumi up``
    within ``ingestToken.rotateBeforeDays`` of it mints the next one."""

    def __init__(self, name: str, args: DynatraceGovernanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        cfg = args.config
        api_token = pulumi.Output.secret(args.api_token)

        token: IngestToken | None = None
        if cfg.ingest_token.create:
            token = IngestToken(
                f"{name}-ingest-token",
                IngestTokenArgs(
                    environment_url=args.environment_url,
                    api_token=api_token,
                    owner=args.owner,
                    name=cfg.ingest_token.name,
                    scopes=list(cfg.ingest_token.scopes),
                    expires_in_days=cfg.ingest_token.expires_in_days,
                    rotate_before_days=cfg.ingest_token.rotation_days,
                    client=args.client,
                ),
                pulumi.ResourceOptions(parent=self),
            )

        bucket = GrailBucket(
            f"{name}-bucket",
            GrailBucketArgs(
                platform_url=args.platform_url,
                platform_auth=args.platform_auth,
                bucket_name=cfg.bucket.name,
                table=cfg.bucket.table,
                retention_days=cfg.bucket.retention_days,
                display_name=cfg.bucket.display_name,
                client=args.client,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        pipeline = OpenPipelinePipeline(
            f"{name}-pipeline",
            OpenPipelinePipelineArgs(
                environment_url=args.environment_url,
                api_token=api_token,
                owner=args.owner,
                custom_id=cfg.pipeline.custom_id,
                display_name=cfg.pipeline.display_name,
                bucket_name=bucket.bucket_name,
                matcher=cfg.pipeline.matcher,
                processing_script=dql_script(),
                client=args.client,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
        )
        route = OpenPipelineRoute(
            f"{name}-route",
            OpenPipelineRouteArgs(
                environment_url=args.environment_url,
                api_token=api_token,
                description=cfg.route.description,
                pipeline_id=pipeline.object_id,
                matcher=cfg.route_matcher,
                position=cfg.route.position,
                client=args.client,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[pipeline]),
        )

        self.bucket_name = bucket.bucket_name
        self.pipeline_id = pipeline.object_id
        self.route_description = route.description
        self.ingest_token = pulumi.Output.secret(token.token) if token is not None else None
        self.ingest_token_id = token.token_id if token is not None else None
        self.ingest_token_expires_at = token.expiration_date if token is not None else None
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "pipeline_id": self.pipeline_id,
                "route_description": self.route_description,
                "ingest_token": self.ingest_token,
                "ingest_token_id": self.ingest_token_id,
                "ingest_token_expires_at": self.ingest_token_expires_at,
            }
        )
