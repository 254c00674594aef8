"""How the stack's Dynatrace resources authenticate, as the components pass it to the providers.

- :class:`PlatformAuth`: platform calls (buckets, settings on the platform path, documents,
  extensions) with a platform token or an OAuth client. When both are configured the OAuth client
  wins (``StackConfig.uses_oauth_client``; in a provider process
  :func:`~components.dynatrace.oauth.platform_credential` applies the same rule, and so can any other
  caller of the platform APIs, e.g. a query).
- :class:`AccountAuth`: Account Management API calls (IAM groups, policies, bindings), which
  accept only OAuth clients, for one account.

Each becomes the connection inputs of a dynamic resource; every credential is a Pulumi secret.
The SSO and Account Management base URLs are the production hosts unless a test points them at
the emulator (``sso_url``/``account_api_url``); no stack configuration key sets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class PlatformAuth:
    """A platform token, or an OAuth client (client id and secret)."""

    token: pulumi.Input[str] | None = None
    oauth_client_id: pulumi.Input[str] | None = None
    oauth_client_secret: pulumi.Input[str] | None = None
    sso_url: str | None = None
    """Dynatrace SSO base URL; None is production (``https://sso.dynatrace.com``)."""

    def __post_init__(self) -> None:
        oauth = (self.oauth_client_id is not None, self.oauth_client_secret is not None)
        if oauth[0] != oauth[1]:
            raise ValueError("an OAuth client needs both its id and its secret")
        if not oauth[0] and self.token is None:
            raise ValueError("platform calls need a platform token or an OAuth client")

    @classmethod
    def platform_token(cls, token: pulumi.Input[str]) -> PlatformAuth:
        return cls(token=token)

    @classmethod
    def oauth_client(
        cls, client_id: pulumi.Input[str], client_secret: pulumi.Input[str], *, sso_url: str | None = None
    ) -> PlatformAuth:
        return cls(oauth_client_id=client_id, oauth_client_secret=client_secret, sso_url=sso_url)

    def connection(self, platform_url: pulumi.Input[str], scopes: Sequence[str]) -> dict[str, Any]:
        """The connection inputs of a platform resource whose calls need ``scopes`` (OAuth only)."""
        props: dict[str, Any] = {"platform_url": platform_url}
        if self.oauth_client_id is not None and self.oauth_client_secret is not None:
            props.update(
                oauth_client_id=pulumi.Output.secret(self.oauth_client_id),
                oauth_client_secret=pulumi.Output.secret(self.oauth_client_secret),
                oauth_scopes=list(scopes),
                sso_url=self.sso_url,
            )
        else:
            props["platform_token"] = pulumi.Output.secret(self.token)
        return props


@dataclass(frozen=True)
class AccountAuth:
    """An OAuth client of one Dynatrace account (the Account Management API takes nothing else)."""

    account_uuid: str
    client_id: pulumi.Input[str]
    client_secret: pulumi.Input[str]
    sso_url: str | None = None
    """Dynatrace SSO base URL; None is production (``https://sso.dynatrace.com``)."""
    account_api_url: str | None = None
    """Account Management API base URL; None is production (``https://api.dynatrace.com``)."""

    def connection(self) -> dict[str, Any]:
        return {
            "account_uuid": self.account_uuid,
            "oauth_client_id": pulumi.Output.secret(self.client_id),
            "oauth_client_secret": pulumi.Output.secret(self.client_secret),
            "sso_url": self.sso_url,
            "account_api_url": self.account_api_url,
        }
