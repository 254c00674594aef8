"""``DynatraceSignals``: the stack's Davis anomaly detectors and dashboards for AI signals."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.config.collector import KongConfig
from components.config.governance import GovernanceConfig
from components.config.signals import SignalsConfig
from components.dynatrace.client import ClientSettings
from components.dynatrace.credentials import PlatformAuth
from components.dynatrace.document import Document, DocumentArgs
from components.dynatrace.scopes import DETECTORS
from components.dynatrace.settings_object import SettingsObject, SettingsObjectArgs

from .dashboards import dashboard_specs, document_id
from .detectors import SCHEMA_ID, detector_specs

COMPONENT_TYPE = "ai-observability:dynatrace:Signals"


@dataclass(frozen=True)
class DynatraceSignalsArgs:
    platform_url: str
    """Platform URL (``https://{env}.apps.dynatrace.com``): settings are written there (OAuth/platform token)."""
    platform_auth: PlatformAuth
    """Platform token or OAuth client (secrets) with the scopes of :data:`~components.dynatrace.scopes.DETECTORS`
    and, for the dashboards, :data:`~components.dynatrace.scopes.DASHBOARDS`."""
    owner: str
    """``<project>/<stack>``: makes each detector's externalId stack-specific."""
    config: SignalsConfig = field(default_factory=SignalsConfig)
    governance: GovernanceConfig = field(default_factory=GovernanceConfig)
    kong: KongConfig = field(default_factory=KongConfig)
    client: ClientSettings | None = None
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class DynatraceSignals(pulumi.ComponentResource):
    """One Davis anomaly detector per AI signal and the AI dashboards (Kong ones only when Kong is
    enabled)."""

    detector_ids: pulumi.Output[dict[str, str]]
    """Alert name → settings objectId."""
    dashboard_ids: pulumi.Output[dict[str, str]]
    """Dashboard name → document id."""

    def __init__(self, name: str, args: DynatraceSignalsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        detectors: dict[str, SettingsObject] = {}
        for spec in detector_specs(args.config, args.governance, args.kong):
            detectors[spec.name] = SettingsObject(
                f"{name}-detector-{spec.key}",
                SettingsObjectArgs(
                    platform_url=args.platform_url,
                    platform_auth=args.platform_auth,
                    oauth_scopes=DETECTORS.scopes,
                    owner=args.owner,
                    schema_id=SCHEMA_ID,
                    key=spec.key,
                    value=spec.value,
                    client=args.client,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=args.depends_on or None),
            )
        self.detector_ids = pulumi.Output.all(**{k: d.object_id for k, d in detectors.items()}).apply(dict)
        dashboards: dict[str, Document] = {}
        for dash in dashboard_specs(args.config.dashboards, args.governance, args.kong):
            dashboards[dash.name] = Document(
                f"{name}-dashboard-{dash.dashboard.key}",
                DocumentArgs(
                    platform_url=args.platform_url,
                    platform_auth=args.platform_auth,
                    document_id=document_id(args.owner, dash.dashboard.key),
                    name=dash.title,
                    content=dash.dashboard.json(),
                    is_private=args.config.dashboards.private,
                    client=args.client,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=args.depends_on or None),
            )
        self.dashboard_ids = pulumi.Output.all(**{k: d.document_id for k, d in dashboards.items()}).apply(dict)
        self.register_outputs({"detector_ids": self.detector_ids, "dashboard_ids": self.dashboard_ids})
