"""NVIDIA NIM workloads are scraped, correctly sized, hardened, pinned and keep credentials in
Secrets. A NIM workload is a Kubernetes workload whose pod template runs an image under one
of ``imagePrefixes`` (default ``nvcr.io/nim/``); ``gpu-requests-equal-limits`` applies to every
workload that asks for ``nvidia.com/gpu``.

- ``nim-pods-annotated-for-scraping``: ``metrics.dynatrace.com/scrape|port|path`` on the pod template.
- ``gpu-requests-equal-limits``
- ``nim-containers-run-as-non-root``
- ``nim-containers-disallow-privilege-escalation``
- ``nim-images-pinned``
- ``nim-credentials-from-secret-refs``
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from ._credentials import is_credential_name
from ._kubernetes import containers, image_tag, pod_template
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
    string_list,
    text,
    violation,
)

GPU = "nvidia.com/gpu"
SCRAPE, PORT, PATH = "metrics.dynatrace.com/scrape", "metrics.dynatrace.com/port", "metrics.dynatrace.com/path"
_PREFIXES = string_list(["nvcr.io/nim/"], "Image prefixes that identify a NIM container.")
NIM_CONFIG = schema(imagePrefixes=_PREFIXES)


def nim_template(args: ResourceValidationArgs, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod template of a NIM workload, or None when ``args`` is not one."""
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return None
    return template if _nim_containers(template, config) else None


def _nim_containers(template: Mapping[str, Any], config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    prefixes = tuple(str(p) for p in config["imagePrefixes"])
    return [c for c in containers(template) if (text(c, "image") or "").startswith(prefixes)]


_NOT_NIM = "only Kubernetes workloads running a NIM image"

ContainerFindings = Callable[[ResourceValidationArgs, Mapping[str, Any], Mapping[str, Any]], Iterable[Finding]]


def per_nim_container(container_findings: ContainerFindings) -> Callable[[ResourceValidationArgs], Verdict]:
    """A check that is not applicable unless ``args`` is a NIM workload (``NIM_CONFIG``), and
    otherwise judges ``container_findings(args, template, container)`` over every container of the
    pod template (sidecars and init containers included)."""

    @functools.wraps(container_findings)
    def check(args: ResourceValidationArgs) -> Verdict:
        template = nim_template(args, settings(args, NIM_CONFIG))
        if template is None:
            return not_applicable(_NOT_NIM)
        return judge(finding for c in containers(template) for finding in container_findings(args, template, c))

    return check


SCRAPE_CONFIG = schema(
    imagePrefixes=_PREFIXES,
    metricsPort={"type": "string", "default": "8000", "description": "Port of NIM's /v1/metrics."},
    metricsPath={"type": "string", "default": "/v1/metrics", "description": "Path of NIM's metrics."},
)


def check_scrape(args: ResourceValidationArgs) -> Verdict:
    """The NIM pod template carries correct Dynatrace scrape annotations."""
    config = settings(args, SCRAPE_CONFIG)
    template = nim_template(args, config)
    if template is None:
        return not_applicable(_NOT_NIM)
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
        for c in _nim_containers(template, config)
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
    check_scrape,
    config_schema=SCRAPE_CONFIG,
    remediation_steps="Annotate the pod template: scrape 'true', port '8000', path '/v1/metrics'.",
)


def check_gpu_resources(args: ResourceValidationArgs) -> Verdict:
    """Containers asking for GPUs set a GPU limit, with requests (if given) equal to it."""
    template = pod_template(args.resource_type, args.props)
    if template is None:
        return not_applicable("only Kubernetes workloads")
    asking = [
        c
        for c in containers(template)
        if get(c, "resources", "limits", GPU) is not None or get(c, "resources", "requests", GPU) is not None
    ]
    if not asking:
        return not_applicable("the workload asks for no GPUs")
    findings = []
    for container in asking:
        limit = get(container, "resources", "limits", GPU)
        request = get(container, "resources", "requests", GPU)
        if limit is None or (request is not None and str(request) != str(limit)):
            findings.append(
                violation(
                    f"{label(args)} container '{text(container, 'name')}' requests {request} and limits {limit} {GPU}",
                    "GPUs are extended resources that cannot be overcommitted: Kubernetes rejects requests "
                    "that differ from limits, and without a limit the pod gets no GPU",
                    "set ai-observability:nims[].gpus (the NIM component puts it in requests and limits)",
                )
            )
    return judge(findings)


gpu_requests_equal_limits = ResourceRule(
    "gpu-requests-equal-limits",
    "Workloads asking for nvidia.com/gpu set a limit and requests equal to it.",
    check_gpu_resources,
    remediation_steps="Set nvidia.com/gpu to the same count in requests and limits.",
)


def _effective(container: Mapping[str, Any], template: Mapping[str, Any], key: str) -> Any:
    own = get(container, "securityContext", key)
    return own if own is not None else get(template, "spec", "securityContext", key)


@per_nim_container
def check_non_root(
    args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]
) -> Iterator[Finding]:
    """Every container of a NIM pod runs as a non-root user."""
    user = _effective(container, template, "runAsUser")
    non_root = _effective(container, template, "runAsNonRoot")
    numeric = isinstance(user, int | float) and not isinstance(user, bool)
    ok = (user is None and non_root is True) or (numeric and user > 0 and non_root is not False)
    if not ok:
        yield violation(
            f"{label(args)} container '{text(container, 'name')}' may run as root "
            f"(runAsUser={user}, runAsNonRoot={non_root})",
            "a model server exposed to prompts is an attack surface; root in the container widens a "
            "breakout to the GPU node",
            "keep the NIM component's pod securityContext (runAsUser/runAsGroup/fsGroup 1000, runAsNonRoot true)",
        )


nim_containers_run_as_non_root = ResourceRule(
    "nim-containers-run-as-non-root",
    "NIM containers run as a non-root user.",
    check_non_root,
    config_schema=NIM_CONFIG,
    remediation_steps="Set runAsNonRoot: true and runAsUser: 1000 on the NIM pod.",
)


@per_nim_container
def check_privilege_escalation(
    args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]
) -> Iterator[Finding]:
    """Every container of a NIM pod disallows privilege escalation and is not privileged."""
    escalation = get(container, "securityContext", "allowPrivilegeEscalation")
    privileged = get(container, "securityContext", "privileged")
    if escalation is not False or privileged is True:
        yield violation(
            f"{label(args)} container '{text(container, 'name')}' allows privilege escalation "
            f"(allowPrivilegeEscalation={escalation}, privileged={privileged})",
            "setuid binaries could gain root on a node that holds GPUs and model weights",
            "keep allowPrivilegeEscalation: false (and capabilities drop ALL) in the NIM component's "
            "container securityContext",
        )


nim_containers_disallow_privilege_escalation = ResourceRule(
    "nim-containers-disallow-privilege-escalation",
    "NIM containers set allowPrivilegeEscalation: false and are not privileged.",
    check_privilege_escalation,
    config_schema=NIM_CONFIG,
    remediation_steps="Set allowPrivilegeEscalation: false on every NIM container.",
)


@per_nim_container
def check_pinned(
    args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]
) -> Iterator[Finding]:
    """Every image of a NIM pod is pinned to a version tag or digest (never latest)."""
    image = text(container, "image") or ""
    tag = image_tag(image)
    if tag is None or tag == "latest":
        yield violation(
            f"{label(args)} container '{text(container, 'name')}' uses unpinned image '{image}'",
            "an unpinned image changes the model server (and its metrics names) on any restart, unreviewed",
            "pin a version in ai-observability:nims[].image (e.g. nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6)",
        )


nim_images_pinned = ResourceRule(
    "nim-images-pinned",
    "NIM workload images are pinned to a version tag or digest, never latest.",
    check_pinned,
    config_schema=NIM_CONFIG,
    remediation_steps="Pin ai-observability:nims[].image to a version tag.",
)


@per_nim_container
def check_secret_refs(
    args: ResourceValidationArgs, template: Mapping[str, Any], container: Mapping[str, Any]
) -> Iterator[Finding]:
    """NIM containers take credentials (NGC_API_KEY...) only from Secret references."""
    for env in items(container, "env"):
        name = text(env, "name")
        if not is_credential_name(name):
            continue
        if get(env, "valueFrom", "secretKeyRef", "name") is None:
            yield violation(
                f"{label(args)} container '{text(container, 'name')}' takes {name} from "
                f"{'a literal' if get(env, 'value') is not None else 'a non-Secret source'}",
                "credentials must live in Kubernetes Secrets (encrypted, access-controlled), never in "
                "manifests or ConfigMaps",
                f"source {name} with valueFrom.secretKeyRef; its value is ai-observability:ngcApiKey "
                "(pulumi config set --secret)",
            )
    for source in items(container, "envFrom"):
        prefix = text(source, "prefix") or ""
        if get(source, "configMapRef") is not None and is_credential_name(prefix):
            yield violation(
                f"{label(args)} container '{text(container, 'name')}' loads credential-named variables "
                "from a ConfigMap",
                "ConfigMaps are not for credentials",
                "use a secretRef (ai-observability:ngcApiKey)",
            )


nim_credentials_from_secret_refs = ResourceRule(
    "nim-credentials-from-secret-refs",
    "NIM containers receive credentials only through Secret references.",
    check_secret_refs,
    config_schema=NIM_CONFIG,
    remediation_steps="Use env valueFrom.secretKeyRef for NGC_API_KEY and other credentials.",
)
