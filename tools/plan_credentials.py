"""Which credential authenticates each Dynatrace host the planned stack calls, for the plan's summary.

Read from what the program registered (the connection inputs of each Dynatrace dynamic resource),
not from the configuration, so the summary says what ``pulumi up`` would really send:

- the classic environment host (``environment_url``): the classic API token;
- the platform host (``platform_url``): the OAuth client when its id is an input, else the platform
  token — with a note when both are configured (the OAuth client wins);
- Dynatrace SSO (``sso_url``, production by default) whenever an OAuth client is used: the token
  endpoint, authenticated by the client id and secret;
- the Account Management API (``account_api_url``, production by default): the OAuth client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from components.dynatrace.oauth import ACCOUNT_API_URL, SSO_URL

DYNAMIC_PREFIX = "pulumi-python:dynamic/dynatrace:"
OAUTH = "OAuth client (dynatraceOAuthClientId, dynatraceOAuthClientSecret)"
TOKEN = {"api_token": "API token (dynatraceApiToken)", "platform_token": "platform token (dynatracePlatformToken)"}
ROLES = ("classic API", "platform API", "OAuth token endpoint", "Account Management API")


def _host(url: Any, default: str = "") -> str:
    text = url if isinstance(url, str) and url else default
    parts = urlsplit(text)
    return parts.netloc or text


def credentials_by_host(resources: Iterable[Any]) -> dict[tuple[str, str], set[str]]:
    """``(host, role) -> {credential, …}`` for every Dynatrace host the resources call."""
    found: dict[tuple[str, str], set[str]] = {}

    def add(host: str, role: str, credential: str) -> None:
        found.setdefault((host, role), set()).add(credential)

    for resource in resources:
        if not str(getattr(resource, "type", "")).startswith(DYNAMIC_PREFIX):
            continue
        inputs: Mapping[str, Any] = resource.redacted_inputs
        oauth = inputs.get("oauth_client_id") is not None
        if oauth:
            add(_host(inputs.get("sso_url"), SSO_URL), "OAuth token endpoint", OAUTH)
        if "account_uuid" in inputs:
            add(_host(inputs.get("account_api_url"), ACCOUNT_API_URL), "Account Management API", OAUTH)
        elif "platform_url" in inputs:
            add(_host(inputs["platform_url"]), "platform API", OAUTH if oauth else TOKEN["platform_token"])
        elif "environment_url" in inputs:
            add(_host(inputs["environment_url"]), "classic API", TOKEN["api_token"])
    return found


def summary_lines(resources: Iterable[Any], *, token_also_set: bool) -> list[str]:
    """The summary's lines: one per host, with the credential it gets."""
    found = credentials_by_host(resources)
    if not found:
        return []
    lines = ["Dynatrace credentials per host:"]
    for (host, role), credentials in sorted(found.items(), key=lambda item: (ROLES.index(item[0][1]), item[0][0])):
        text = " and ".join(sorted(credentials))
        if role == "platform API" and OAUTH in credentials and token_also_set:
            text += " — dynatracePlatformToken is set too; the OAuth client wins"
        lines.append(f"  {host} ({role}): {text}")
    return lines
