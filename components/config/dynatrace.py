"""``ai-observability:dynatrace`` — which Dynatrace environment the stack talks to.

Two hosts carry the stack's tokens: the classic environment URL (Api-Token: ingest token,
pipeline, route) and the platform URL (Bearer: Grail bucket, detectors, dashboards). They must be
the same tenant, or the bucket, pipeline and detectors land in different environments and the
platform token is sent to a host that never asked for it. Dynatrace SaaS names the tenant in the
host, one host family per cluster kind; the classic and platform suffixes of each family are the
ones the Terraform provider derives one from the other with (dynatrace-oss/terraform-provider-dynatrace,
``dynatrace/rest/platform_request.go``, ``evalPlatformURL``, commit d469f3d).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import StringConstraints, field_validator, model_validator

from ._base import ConfigModel
from .hostname import hostname_problem, normalized_hostname

# Dynatrace SaaS host families: (classic suffix, platform suffix).
SAAS_FAMILIES: tuple[tuple[str, str], ...] = (
    (".live.dynatrace.com", ".apps.dynatrace.com"),
    (".sprint.dynatracelabs.com", ".sprint.apps.dynatracelabs.com"),
    (".dev.dynatracelabs.com", ".dev.apps.dynatracelabs.com"),
)
# A SaaS environment id is the host's first label (https://{your-environment-id}.live.dynatrace.com).
_ENVIRONMENT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Dynatrace Managed (and an Environment ActiveGate) serve an environment under /e/<environment-id>
# ("Dynatrace API - Authentication / base URL": https://{your-domain}/e/{your-environment-id}/api/...).
_MANAGED_PATH = re.compile(r"^/e/(?P<id>[A-Za-z0-9][A-Za-z0-9-]{0,63})$")
_CLASSIC_EXAMPLE = "https://abc12345.live.dynatrace.com or https://<managed-host>/e/<environment-id>"
MIN_PORT, MAX_PORT = 1, 65535  # TCP ports (RFC 6335 section 6: port 0 is reserved, never a service)


@dataclass(frozen=True)
class Tenant:
    """What a URL says about the environment behind it."""

    environment_id: str | None  # None: not identifiable from the URL (a custom host without /e/<id>)
    family: int | None  # index into SAAS_FAMILIES; None for a non-SaaS host


@dataclass(frozen=True)
class BaseUrl:
    host: str  # lower case, no trailing dot; IPv6 without brackets
    port: int | None
    path: str  # "" or /e/<environment-id>

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"https://{host}{port}{self.path}"


def parse_base_url(value: str, *, managed_path: bool) -> BaseUrl:
    """A Dynatrace base URL (https, a valid host, no credentials, query or API path)."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL such as https://abc12345.live.dynatrace.com")
    if parts.query or parts.fragment or parts.username is not None or parts.password is not None:
        raise ValueError("must be a plain base URL without query, fragment or credentials")
    if (problem := hostname_problem(parts.hostname)) is not None:
        raise ValueError(f"host {problem}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not MIN_PORT <= port <= MAX_PORT:
        raise ValueError(f"port must be a number from {MIN_PORT} to {MAX_PORT}")
    path = parts.path.rstrip("/")
    if path and not (managed_path and _MANAGED_PATH.match(path)):
        allowed = _CLASSIC_EXAMPLE if managed_path else "https://abc12345.apps.dynatrace.com"
        raise ValueError(
            f"must be a base URL without an API or other path; allowed: {allowed} "
            "(the stack appends the API paths itself)"
        )
    return BaseUrl(normalized_hostname(parts.hostname), port, path)


def _saas(host: str, which: int) -> Tenant | None:
    """The SaaS tenant of ``host`` when it is a classic (``which=0``) or platform (1) SaaS host."""
    for family, suffixes in enumerate(SAAS_FAMILIES):
        suffix = suffixes[which]
        if host.endswith(suffix) and _ENVIRONMENT_ID.match(host[: -len(suffix)]):
            return Tenant(host[: -len(suffix)], family)
    return None


def environment_tenant(url: BaseUrl) -> Tenant:
    managed = _MANAGED_PATH.match(url.path)
    if managed is not None:
        return Tenant(managed.group("id").lower(), None)
    return _saas(url.host, 0) or Tenant(None, None)


def derived_platform_url(environment_url: str) -> str | None:
    """The SaaS platform URL of a SaaS classic URL (None for any other URL: nothing is guessed)."""
    url = parse_base_url(environment_url, managed_path=True)
    tenant = environment_tenant(url)
    if tenant.family is None or tenant.environment_id is None or url.path:
        return None
    port = f":{url.port}" if url.port is not None else ""
    return f"https://{tenant.environment_id}{SAAS_FAMILIES[tenant.family][1]}{port}"


def _tenant_text(tenant: Tenant) -> str:
    family = "" if tenant.family is None else f" ({SAAS_FAMILIES[tenant.family][0][1:]})"
    return f"environment {tenant.environment_id!r}{family}"


class DynatraceConfig(ConfigModel):
    """Classic environment URL (required) and the platform URL (derived when omitted)."""

    environment_url: str
    """Classic URL, e.g. ``https://abc12345.live.dynatrace.com`` (Managed or an Environment ActiveGate:
    ``https://<host>/e/<environment-id>``); a base URL without an API path (the stack appends the paths). The host
    is ASCII (an internationalized name in its ``xn--`` form); a trailing dot is dropped; the port is 1-65535
    (RFC 6335)."""
    platform_url: str | None = None
    """Platform URL, e.g. ``https://abc12345.apps.dynatrace.com``; the same tenant as ``environmentUrl``: a SaaS
    platform host must carry the environment id of ``environmentUrl`` (its SaaS host or its ``/e/<id>`` path) in the
    same family (``live``/``apps.dynatrace.com``, ``sprint`` and ``dev`` on ``dynatracelabs.com``); any other host
    needs ``customPlatformHost``. Derived from a SaaS ``environmentUrl`` when omitted (``<id>.live.dynatrace.com``
    → ``<id>.apps.dynatrace.com``), so required for Managed or ActiveGate URLs; never derived from a path."""
    custom_platform_host: Annotated[str, StringConstraints(min_length=1, max_length=253)] | None = None
    """Confirms a ``platformUrl`` host that is not a Dynatrace SaaS platform host (e.g. a corporate reverse proxy in
    front of ``<id>.apps.dynatrace.com``): must equal that host exactly. The platform token is sent there."""

    @field_validator("environment_url")
    @classmethod
    def _url(cls, value: str) -> str:
        url = parse_base_url(value, managed_path=True)
        platform = _saas(url.host, 1)
        if platform is not None and platform.family is not None:
            classic = f"https://{platform.environment_id}{SAAS_FAMILIES[platform.family][0]}"
            raise ValueError(
                f"is a platform host ({url.host}); environmentUrl is the classic one, {classic} "
                "(set platformUrl for the platform host)"
            )
        if url.path and _saas(url.host, 0) is not None:
            raise ValueError(f"a SaaS environment URL has no /e/<id> path; use https://{url.host}")
        return str(url)

    @field_validator("platform_url")
    @classmethod
    def _platform(cls, value: str | None) -> str | None:
        return None if value is None else str(parse_base_url(value, managed_path=False))

    @field_validator("custom_platform_host")
    @classmethod
    def _custom_host(cls, value: str | None) -> str | None:
        if value is not None and (problem := hostname_problem(value)) is not None:
            raise ValueError(problem)
        return None if value is None else normalized_hostname(value)

    @model_validator(mode="after")
    def _same_tenant(self) -> DynatraceConfig:
        environment = environment_tenant(parse_base_url(self.environment_url, managed_path=True))
        if self.platform_url is None:
            if derived_platform_url(self.environment_url) is None:
                raise ValueError(
                    "@platformUrl: is required when environmentUrl is not a Dynatrace SaaS URL "
                    "(<id>.live.dynatrace.com): the platform host of a Managed or ActiveGate URL cannot be derived"
                )
            if self.custom_platform_host is not None:
                raise ValueError("@customPlatformHost: applies only with an explicit platformUrl")
            return self
        host = parse_base_url(self.platform_url, managed_path=False).host
        platform = _saas(host, 1)
        if platform is None:
            if self.custom_platform_host != host:
                raise ValueError(
                    f"@platformUrl: {host} is not a Dynatrace SaaS platform host (<id>.apps.dynatrace.com); "
                    f"to send the platform token there on purpose, set customPlatformHost: {host}"
                )
            return self
        if self.custom_platform_host is not None:
            raise ValueError(
                f"@customPlatformHost: platformUrl is a Dynatrace SaaS host ({host}), not a custom one; remove it"
            )
        same_id = environment.environment_id in (None, platform.environment_id)
        same_family = environment.family in (None, platform.family)
        if not (same_id and same_family):
            raise ValueError(
                f"@platformUrl: is {_tenant_text(platform)}, but environmentUrl is {_tenant_text(environment)}; "
                "both must be the same tenant"
            )
        return self

    @property
    def platform(self) -> str:
        """The platform base URL: explicit, or the SaaS platform host of the classic one."""
        derived = self.platform_url or derived_platform_url(self.environment_url)
        if derived is None:  # refused by _same_tenant
            raise ValueError("platformUrl is required for this environmentUrl")
        return derived

    @property
    def environment_id(self) -> str | None:
        """The environment's ID (``abc12345``), as :func:`environment_tenant` reads it from
        ``environmentUrl`` (a SaaS host's first label, or a Managed ``/e/<id>``); None when the URL does
        not name it. IAM policies and bindings at the environment level name the environment by it."""
        return environment_tenant(parse_base_url(self.environment_url, managed_path=True)).environment_id

    @property
    def bizevents_ingest_url(self) -> str:
        return f"{self.environment_url}/api/v2/bizevents/ingest"

    @property
    def otlp_endpoint(self) -> str:
        return f"{self.environment_url}/api/v2/otlp"
