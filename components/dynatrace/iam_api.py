"""Typed calls of the Account Management API the access providers use (one method per endpoint).

Sources: Dynatrace documentation, "Policy management API" and "Group management API" pages and
"Environment management API" (``GET /env/v2/accounts/{uuid}/environments``); the API's OpenAPI
document as Dynatrace's Monaco core library generates its client from it
(``Dynatrace/dynatrace-configuration-as-code-core``, ``gen/account_management``:
``api_policy_management.go``, ``api_group_management.go``, ``api_environment_management.go`` and
the ``model_*.go`` bodies). Status codes: create policy 201, update policy 204 (201 when it
created one), delete policy 204 (``force`` query parameter required); bindings POST/DELETE 204
(``forceMultiple`` required on DELETE); create groups 201 (a list), edit/delete group 200.

Bindings are only ever **appended** here (``POST …/bindings/{policyUuid}`` with ``{"groups":
[…]}``: "Any existing policy bindings remain unaffected") and removed one at a time (``DELETE
…/bindings/{policyUuid}/{groupUuid}``). The ``PUT …/bindings/groups/{groupUuid}`` and ``PUT
…/bindings`` calls replace every binding of a group or a level and are deliberately absent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from .client import DynatraceClient
from .errors import DynatraceApiError


class _Dto(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class Policy(_Dto):
    """``LevelPolicyDto`` (GET one policy; also the create answer)."""

    uuid: str
    name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    statement_query: str = Field(default="", alias="statementQuery")


class PolicyStub(_Dto):
    """``PolicyDto`` (an entry of the policy list)."""

    uuid: str
    name: str
    description: str = ""


class Group(_Dto):
    """``GetGroupDto``."""

    uuid: str
    name: str
    description: str | None = None
    owner: str = "LOCAL"


class PolicyBinding(_Dto):
    """``Binding``: one policy and the groups bound to it at a level."""

    policy_uuid: str = Field(alias="policyUuid")
    groups: list[str] = Field(default_factory=list)


def _segment(value: str) -> str:
    return quote(value, safe="")


class AccountApi:
    """Account Management API calls for one account (OAuth bearer token for ``urn:dtaccount:<uuid>``)."""

    def __init__(self, client: DynatraceClient, account_uuid: str) -> None:
        self.client = client
        self.account = account_uuid

    # -- environments ---------------------------------------------------------------------------

    def environment_ids(self) -> list[str]:
        """The IDs of the account's environments (``account-env-read``)."""
        body = self.client.request("GET", f"/env/v2/accounts/{_segment(self.account)}/environments").body
        data = body.get("data") if isinstance(body, dict) else None
        return [str(e["id"]) for e in data or [] if isinstance(e, dict) and "id" in e]

    # -- groups ---------------------------------------------------------------------------------

    def _groups_path(self) -> str:
        return f"/iam/v1/accounts/{_segment(self.account)}/groups"

    def groups(self) -> list[Group]:
        """Every group of the account (``account-idm-read``; the list is not paged)."""
        body = self.client.request("GET", self._groups_path()).body
        items = body.get("items") if isinstance(body, dict) else None
        return [Group.model_validate(item) for item in items or []]

    def create_group(self, name: str, description: str) -> Group:
        response = self.client.request(
            "POST", self._groups_path(), json_body=[{"name": name, "description": description}], ok=(201, 200)
        )
        created = response.body if isinstance(response.body, list) else []
        if not created:
            raise DynatraceApiError("POST", self._groups_path(), response.status, "the answer names no new group")
        return Group.model_validate(created[0])

    def edit_group(self, uuid: str, name: str, description: str) -> None:
        self.client.request(
            "PUT",
            f"{self._groups_path()}/{_segment(uuid)}",
            json_body={"name": name, "description": description},
            ok=(200, 204),
        )

    def delete_group(self, uuid: str) -> bool:
        """True when deleted, False when it was already gone (404)."""
        response = self.client.request("DELETE", f"{self._groups_path()}/{_segment(uuid)}", ok=(200, 204), allow=(404,))
        return response.status != 404

    # -- policies -------------------------------------------------------------------------------

    @staticmethod
    def _level(level_type: str, level_id: str) -> str:
        return f"/iam/v1/repo/{_segment(level_type)}/{_segment(level_id)}"

    def policies_named(self, level_type: str, level_id: str, name: str) -> list[PolicyStub]:
        """The level's own policies called ``name`` (the ``name`` filter, then compared exactly)."""
        body = self.client.request("GET", f"{self._level(level_type, level_id)}/policies", params={"name": name}).body
        items = body.get("policies") if isinstance(body, dict) else None
        return [p for p in (PolicyStub.model_validate(i) for i in items or []) if p.name == name]

    def policy(self, level_type: str, level_id: str, uuid: str) -> Policy | None:
        response = self.client.request(
            "GET", f"{self._level(level_type, level_id)}/policies/{_segment(uuid)}", allow=(404,)
        )
        return None if response.status == 404 else Policy.model_validate(response.body)

    def create_policy(self, level_type: str, level_id: str, body: dict[str, Any]) -> Policy:
        response = self.client.request(
            "POST", f"{self._level(level_type, level_id)}/policies", json_body=body, ok=(201, 200)
        )
        return Policy.model_validate(response.body)

    def update_policy(self, level_type: str, level_id: str, uuid: str, body: dict[str, Any]) -> None:
        self.client.request(
            "PUT",
            f"{self._level(level_type, level_id)}/policies/{_segment(uuid)}",
            json_body=body,
            ok=(204, 200, 201),
        )

    def delete_policy(self, level_type: str, level_id: str, uuid: str) -> bool:
        """True when deleted, False when already gone. ``force=false``: a policy still bound to a
        group is refused (400) rather than removed with someone's binding."""
        response = self.client.request(
            "DELETE",
            f"{self._level(level_type, level_id)}/policies/{_segment(uuid)}",
            params={"force": "false"},
            ok=(204, 200),
            allow=(404,),
        )
        return response.status != 404

    # -- bindings -------------------------------------------------------------------------------

    def bound_groups(self, level_type: str, level_id: str, policy_uuid: str) -> list[str] | None:
        """Groups bound to the policy at the level; None when the policy does not exist there (404)."""
        response = self.client.request(
            "GET", f"{self._level(level_type, level_id)}/bindings/{_segment(policy_uuid)}", allow=(404,)
        )
        if response.status == 404:
            return None
        bindings = response.body.get("policyBindings") if isinstance(response.body, dict) else None
        groups: list[str] = []
        for item in bindings or []:
            binding = PolicyBinding.model_validate(item)
            if binding.policy_uuid == policy_uuid:
                groups.extend(g for g in binding.groups if g not in groups)
        return groups

    def append_binding(self, level_type: str, level_id: str, policy_uuid: str, group_uuid: str) -> None:
        """Bind the policy to one more group; every other binding stays as it is."""
        self.client.request(
            "POST",
            f"{self._level(level_type, level_id)}/bindings/{_segment(policy_uuid)}",
            json_body={"groups": [group_uuid]},
            ok=(204, 200, 201),
        )

    def delete_binding(self, level_type: str, level_id: str, policy_uuid: str, group_uuid: str) -> None:
        """Remove this one binding (every other binding of the group and of the policy stays)."""
        self.client.request(
            "DELETE",
            f"{self._level(level_type, level_id)}/bindings/{_segment(policy_uuid)}/{_segment(group_uuid)}",
            params={"forceMultiple": "true"},
            ok=(204, 200),
        )
