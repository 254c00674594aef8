"""What each producer really emits, as Dynatrace stores it: the reference the lineage test checks against.

- OpenLLMetry 0.62 (OpenAI and Bedrock instrumentations): run for real (:mod:`.openllmetry_run`).
- Kong, NIM, DCGM: their sample pages (``tests/collector/fixtures``, each citing its producer's
  source) scraped through the collector simulation, so the names are those the collector sends.
- Dynatrace AWS monitoring: cannot run here; the keys and dimensions Dynatrace's ready-made
  "AWS Bedrock" dashboard (document ``dynatrace.clouds.aws-bedrock``, content version 26) queries.
- The governance CloudEvent: the sample EventBridge events (``tests/aws/events``) rendered by the
  forwarder's input transformer, ingested through the emulator (whose storage rule follows
  "Ingest business events via API") into a bucket behind the stack's pipeline, then the pipeline's
  declarative field extractions applied; plus one probe event as ``tools.verify`` sends it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from components.aws.event_forwarding import cloudevent_transformer
from components.config import CollectorConfig, KongConfig
from components.config.governance import GovernanceConfig
from components.dynatrace.governance_fields import EXTRACTIONS, Extraction, dql_script
from components.dynatrace.models import PIPELINES_SCHEMA
from components.dynatrace.pipeline import PipelineInputs, desired_value
from components.kubernetes.collector_config import render_collector_config
from components.kubernetes.dcgm_exporter import DCGM_NAMESPACE, DCGM_PORT
from components.kubernetes.dcgm_exporter import SCRAPE_ANNOTATIONS as DCGM_ANNOTATIONS
from tests.aws.samples import governance_events
from tests.collector.prometheus_sim import Container, Pod, expand_collector, received_metrics, scrape_series
from tests.lineage.openllmetry_run import run_openllmetry
from tests.lineage.otlp_capture import OtlpOutput
from testsupport.aws.eventbridge_sim import DeliveryContext, render_input_template
from testsupport.dynatrace.emulator import INGEST_PATH, running

FIXTURES = Path(__file__).resolve().parent.parent / "collector" / "fixtures"
KONG_PAGE = FIXTURES / "kong-ai-metrics.txt"
NIM_PAGE = FIXTURES / "nim-v1-metrics.txt"
DCGM_PAGE = FIXTURES / "dcgm-exporter-metrics.txt"

# Dynatrace AWS monitoring: the Bedrock Guardrails keys Dynatrace's "AWS Bedrock" dashboard
# (dynatrace.clouds.aws-bedrock, version 26) queries; the dimensions are the CloudWatch dimensions
# named in the key plus the account and region every tile filters on.
DA_AWS_KEYS = (
    "cloud.aws.bedrock_guardrails.Invocations.By.GuardrailArn.GuardrailVersion",
    "cloud.aws.bedrock_guardrails.InvocationsIntervened.By.GuardrailArn.GuardrailVersion",
    "cloud.aws.bedrock_guardrails.FindingCounts.By.GuardrailArn.GuardrailVersion",
)
DA_AWS_COMMON_DIMENSIONS = frozenset({"aws.account.id", "aws.region"})
GRAIL_RECORD_FIELDS = frozenset({"timestamp"})
"""Every Grail record has ``timestamp`` (Dynatrace semantic dictionary); the emulator does not model it."""
PROBE_SOURCE = "ai-observability.verify"


@dataclass
class Observed:
    """Names as Dynatrace stores them, per table, and which producer each metric came from."""

    span_fields: set[str] = field(default_factory=set)
    bizevent_fields: set[str] = field(default_factory=set)
    metric_dimensions: dict[str, set[str]] = field(default_factory=dict)
    metric_origin: dict[str, str] = field(default_factory=dict)

    def add_metrics(self, metrics: dict[str, set[str]], origin: str) -> None:
        for key, dims in metrics.items():
            self.metric_dimensions.setdefault(key, set()).update(dims)
            self.metric_origin.setdefault(key, origin)


# --- Prometheus producers through the collector's scrape --------------------------------------


def _scrape_configs(collector: CollectorConfig, kong: KongConfig, node: str) -> list[dict[str, Any]]:
    rendered = yaml.safe_load(render_collector_config(collector, kong))
    env = {"K8S_NODE_NAME": node, "MY_POD_IP": "10.0.9.9", "DT_ENDPOINT": "https://x.invalid", "DT_API_TOKEN": "t"}
    configs: list[dict[str, Any]] = expand_collector(rendered, env)["receivers"]["prometheus"]["config"][
        "scrape_configs"
    ]
    return configs


def scraped(collector: CollectorConfig, kong: KongConfig) -> dict[str, dict[str, set[str]]]:
    """Per producer, the metrics one node's collector receives from a NIM, a Kong and a DCGM exporter pod."""
    node = "node-a"
    nim_annotations = {
        "metrics.dynatrace.com/scrape": "true",
        "metrics.dynatrace.com/port": "8000",
        "metrics.dynatrace.com/path": "/v1/metrics",
    }
    pods = {
        "nim": Pod("nim", node, "10.0.1.10", "nim", annotations=nim_annotations, containers=[Container("nim", [8000])]),
        "kong": Pod(
            "kong",
            node,
            "10.0.1.20",
            kong.namespace,
            labels=dict(kong.selector),
            containers=[Container("proxy", [8000, kong.port])],
        ),
        "dcgm": Pod(
            "dcgm",
            node,
            "10.0.1.30",
            DCGM_NAMESPACE,
            annotations=dict(DCGM_ANNOTATIONS),
            containers=[Container("dcgm", [DCGM_PORT])],
        ),
    }
    pages = {
        "nim": ("10.0.1.10:8000", NIM_PAGE),
        "kong": (f"10.0.1.20:{kong.port}", KONG_PAGE),
        "dcgm": (f"10.0.1.30:{DCGM_PORT}", DCGM_PAGE),
    }
    configs = _scrape_configs(collector, kong, node)
    result = {}
    for producer, (address, page) in pages.items():
        series = scrape_series(configs, [pods[producer]], {address: page.read_text()})
        assert series, f"the collector scrapes nothing from the {producer} pod"
        result[producer] = received_metrics(series)
    return result


# --- the governance CloudEvent through ingest and the pipeline ---------------------------------


def cloudevents(event_type: str) -> list[dict[str, Any]]:
    """Every sample governance event as the forwarder's transformer renders it."""
    paths, template = cloudevent_transformer(event_type)
    context = DeliveryContext()
    return [json.loads(render_input_template(e, paths, template, context)) for e in governance_events().values()]


def probe_event(event_type: str, run_id: str = "verify-run-0001") -> dict[str, Any]:
    """The probe ``tools.verify`` sends (the shared contract: type, source, id = data.probe = run id)."""
    return {"specversion": "1.0", "id": run_id, "source": PROBE_SOURCE, "type": event_type, "data": {"probe": run_id}}


def stored_governance_events(governance: GovernanceConfig) -> list[dict[str, Any]]:
    """The forwarded events and a probe, as the emulator stores them in the governance bucket behind
    the stack's pipeline (created with the body the pipeline provider sends, so the emulator
    validates its DQL processor against the pipelines schema)."""
    with running() as dt:
        admin = dt.add_token(scopes=("settings.read", "settings.write"))
        ingest = dt.add_token(scopes=("bizevents.ingest",))
        dt.put_bucket(governance.bucket.name)
        inputs = PipelineInputs(
            environment_url=dt.url,
            api_token=admin,
            owner="ai-observability/lineage",
            custom_id=governance.pipeline.custom_id,
            display_name=governance.pipeline.display_name,
            bucket_name=governance.bucket.name,
            matcher=governance.pipeline.matcher,
            processing_script=dql_script(),
        )
        pipeline = dt.put_object(PIPELINES_SCHEMA, desired_value(inputs))
        dt.set_routing(
            [
                {
                    "enabled": True,
                    "pipelineType": "custom",
                    "pipelineId": pipeline,
                    "matcher": governance.route_matcher,
                    "description": governance.route.description,
                }
            ]
        )
        events = [*cloudevents(governance.event_type), probe_event(governance.event_type)]
        response = requests.post(
            dt.url + INGEST_PATH,
            data=json.dumps(events),
            headers={"Authorization": f"Api-Token {ingest}", "Content-Type": "application/cloudevent-batch+json"},
            timeout=10,
        )
        assert response.status_code == 202, response.text
        stored = dt.events_in(governance.bucket.name)
        assert len(stored) == len(events), "every forwarded event reaches the governance bucket"
        return stored


def extract(record: dict[str, Any], extractions: tuple[Extraction, ...] = EXTRACTIONS) -> dict[str, Any]:
    """What the pipeline's DQL processor adds to one stored record: per extraction, the first
    non-null source (``parse <field>, "JSON:r"`` then ``r[key]`` for a source with a key)."""
    added: dict[str, Any] = {}
    for extraction in extractions:
        for source in extraction.sources:
            value = record.get(source.field)
            if source.key is not None:
                try:
                    parsed = json.loads(value) if isinstance(value, str) else None
                except ValueError:
                    parsed = None
                value = parsed.get(source.key) if isinstance(parsed, dict) else None
            if value is not None:
                added[extraction.target] = value
                break
    return added


def processed_governance_events(governance: GovernanceConfig) -> list[dict[str, Any]]:
    return [{**record, **extract(record)} for record in stored_governance_events(governance)]


# --- everything -------------------------------------------------------------------------------


@functools.cache
def openllmetry() -> OtlpOutput:
    """One real run per test process (about a second)."""
    return run_openllmetry()


def observe(collector: CollectorConfig, kong: KongConfig, governance: GovernanceConfig) -> Observed:
    observed = Observed()
    run = openllmetry()
    observed.span_fields = run.span_fields()
    observed.add_metrics(run.metric_dimensions(), "OpenLLMetry 0.62 (run)")
    for producer, metrics in scraped(collector, kong).items():
        observed.add_metrics(metrics, f"{producer} sample page through the collector scrape")
    observed.add_metrics(
        {key: {*key.split(".By.", 1)[1].split("."), *DA_AWS_COMMON_DIMENSIONS} for key in DA_AWS_KEYS},
        "Dynatrace AWS monitoring (ready-made AWS Bedrock dashboard)",
    )
    records = processed_governance_events(governance)
    observed.bizevent_fields = {k for r in records for k, v in r.items() if v is not None} | GRAIL_RECORD_FIELDS
    return observed
