"""NIM pod templates carry Dynatrace scrape annotations matching the NIM.

Applies to NIM workloads. Compliant when the pod template (not the workload's own metadata) is
annotated ``metrics.dynatrace.com/scrape: "true"``, ``metrics.dynatrace.com/port`` =
``metricsPort`` (default ``"8000"``) and ``metrics.dynatrace.com/path`` = ``metricsPath``
(default ``/v1/metrics``), and the port is a container port of the NIM.

Why: the node-local collector only scrapes pods annotated this way; NIM token, latency and queue
metrics would otherwise never reach Dynatrace, and scraping a port the container does not listen
on fails silently.

Fix: keep the scrape annotations the NIM component puts on the pod template (values are
strings) and its HTTP port 8000; the model is configured in ``ai-observability:nims[]``.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs

from ._nim import IMAGE_PREFIXES, NOT_NIM, nim_containers, nim_template
from ._support import (
    Finding,
    ResourceRule,
    Verdict,
    get,
    items,
    judge,
    label,
    not_applicable,
    number,
    obj,
    schema,
    settings,
    violation,
)

SCRAPE, PORT, PATH = "metrics.dynatrace.com/scrape", "metrics.dynatrace.com/port", "metrics.dynatrace.com/path"
SCRAPE_CONFIG = schema(
    imagePrefixes=IMAGE_PREFIXES,
    metricsPort={"type": "string", "default": "8000", "description": "Port of NIM's /v1/metrics."},
    metricsPath={"type": "string", "default": "/v1/metrics", "description": "Path of NIM's metrics."},
)


def check(args: ResourceValidationArgs) -> Verdict:
    """The NIM pod template carries correct Dynatrace scrape annotations."""
    config = settings(args, SCRAPE_CONFIG)
    template = nim_template(args, config)
    if template is None:
        return not_applicable(NOT_NIM)
    annotations = obj(template, "metadata", "annotations")
    expected = {SCRAPE: "true", PORT: str(config["metricsPort"]), PATH: str(config["metricsPath"])}
    wrong = {k: get(annotations, k) for k, v in expected.items() if get(annotations, k) != v}
    findings: list[Finding] = []
    if wrong:
        on_workload = [k for k in wrong if get(args.props, "metadata", "annotations", k) is not None]
        where = " (they are on the workload's metadata, not the pod template)" if on_workload else ""
        findings.append(
            violation(
                f"{label(args)} pod template annotations {wrong} differ from {expected}{where}",
                "the node-local collector only scrapes pods annotated this way: NIM token, latency and queue "
                "metrics would never reach Dynatrace",
                "keep the scrape annotations the NIM component puts on the pod template (values are strings; "
                "port 8000, path /v1/metrics); the model is configured in ai-observability:nims[]",
            )
        )
    ports = {
        str(int(p))
        for c in nim_containers(template, config)
        for port in items(c, "ports")
        if (p := number(port, "containerPort")) is not None
    }
    if ports and expected[PORT] not in ports:
        findings.append(
            violation(
                f"{label(args)} scrape port {expected[PORT]} is not a container port of the NIM ({sorted(ports)})",
                "scraping a port the container does not listen on fails silently",
                "expose the NIM's HTTP port 8000 (NIM_SERVER_PORT) in the NIM component",
            )
        )
    return judge(findings)


nim_pods_annotated_for_scraping = ResourceRule(
    "nim-pods-annotated-for-scraping",
    "NIM pod templates carry metrics.dynatrace.com scrape/port/path annotations matching the NIM.",
    check,
    config_schema=SCRAPE_CONFIG,
    remediation_steps="Annotate the pod template: scrape 'true', port '8000', path '/v1/metrics'.",
)
