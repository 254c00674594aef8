"""``ai-observability:dynatrace`` — which Dynatrace environment the stack talks to."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import field_validator, model_validator

from ._base import ConfigModel

# Dynatrace Managed serves an environment under /e/<environment-id> ("Dynatrace API - Authentication /
# base URL": https://{your-domain}/e/{your-environment-id}/api/...); SaaS and platform URLs have no path.
_MANAGED_PATH = re.compile(r"^/e/[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_CLASSIC_EXAMPLE = "https://abc12345.live.dynatrace.com or https://<managed-host>/e/<environment-id>"


def _https_base_url(value: str, *, managed_path: bool) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL such as https://abc12345.live.dynatrace.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be a plain base URL without query, fragment or credentials")
    host = parts.hostname
    if any(not label or len(label) > 63 for label in host.split(".")) or "." not in host:
        raise ValueError("must name a fully-qualified host")
    path = parts.path.rstrip("/")
    if path and not (managed_path and _MANAGED_PATH.match(path)):
        allowed = _CLASSIC_EXAMPLE if managed_path else "https://abc12345.apps.dynatrace.com"
        raise ValueError(
            f"must be a base URL without an API or other path; allowed: {allowed} "
            "(the stack appends the API paths itself)"
        )
    port = f":{parts.port}" if parts.port else ""
    return f"https://{host}{port}{path}"


class DynatraceConfig(ConfigModel):
    """Classic environment URL (required) and the platform URL (derived when omitted)."""

    environment_url: str
    """Classic URL, e.g. ``https://abc12345.live.dynatrace.com`` (Managed: ``https://host/e/<env-id>``); a base
    URL without an API path (the stack appends the paths)."""
    platform_url: str | None = None
    """Platform URL, e.g. ``https://abc12345.apps.dynatrace.com``; derived from ``environmentUrl`` (``.live.`` →
    ``.apps.``) when omitted, so required when that is not a ``.live.`` SaaS URL (Managed)."""

    @field_validator("environment_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _https_base_url(value, managed_path=True)

    @field_validator("platform_url")
    @classmethod
    def _platform(cls, value: str | None) -> str | None:
        return None if value is None else _https_base_url(value, managed_path=False)

    @model_validator(mode="after")
    def _derivable(self) -> DynatraceConfig:
        if self.platform_url is None and ".live." not in self.environment_url:
            raise ValueError(
                "@platformUrl: is required when environmentUrl is not a '.live.' SaaS URL "
                "(cannot derive the platform host)"
            )
        return self

    @property
    def platform(self) -> str:
        """The platform base URL (explicit, or the classic one with ``.live.`` → ``.apps.``)."""
        if self.platform_url is not None:
            return self.platform_url
        return self.environment_url.replace(".live.", ".apps.", 1)

    @property
    def environment_id(self) -> str | None:
        """The environment's ID (``abc12345``): a SaaS URL's first host label (``<id>.live.`` or
        ``<id>.apps.``), or a Managed URL's ``/e/<id>``; None when neither applies. IAM policies and
        bindings at the environment level name the environment by this ID."""
        parts = urlsplit(self.environment_url)
        if parts.path.startswith("/e/"):
            return parts.path.split("/")[2]
        host = parts.hostname or ""
        label, _, rest = host.partition(".")
        return label if rest.startswith(("live.", "apps.")) and label else None

    @property
    def bizevents_ingest_url(self) -> str:
        return f"{self.environment_url}/api/v2/bizevents/ingest"

    @property
    def otlp_endpoint(self) -> str:
        return f"{self.environment_url}/api/v2/otlp"
