"""Typed calls of the three Dynatrace APIs the providers use (one method per endpoint)."""

from __future__ import annotations

from collections.abc import Sequence

from .client import DynatraceClient
from .errors import DynatraceApiError
from .models import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenList,
    ApiTokenMetadata,
    Bucket,
    BucketCreate,
    BucketPatch,
    SettingsObject,
    SettingsObjectCreate,
    SettingsObjectUpdate,
    SettingsPage,
    SettingsWriteResult,
)

BUCKETS_PATH = "/platform/storage/management/v1/bucket-definitions"
SETTINGS_PATH = "/api/v2/settings/objects"
PLATFORM_SETTINGS_PATH = "/platform/classic/environment-api/v2/settings/objects"
"""The same Settings 2.0 API on the platform host (Bearer token; scopes in :mod:`.scopes`)."""
SETTINGS_SCOPES = ("settings:objects:read", "settings:objects:write")
"""The scopes of Settings 2.0 reads and writes on the platform host (a feature may need more)."""
TOKENS_PATH = "/api/v2/apiTokens"
SETTINGS_FIELDS = "objectId,value,updateToken,externalId"
SETTINGS_PAGE_SIZE = 500
TOKEN_PAGE_MIN, TOKEN_PAGE_MAX = 100, 10000  # the bounds the tokens list documents for pageSize
TOKEN_PAGE_SIZE = 1000
_MAX_PAGES = 100


class BucketApi:
    """Storage Management API (platform host, Bearer token)."""

    def __init__(self, client: DynatraceClient) -> None:
        self.client = client

    def get(self, name: str) -> Bucket | None:
        response = self.client.request("GET", f"{BUCKETS_PATH}/{name}", allow=(404,))
        return None if response.status == 404 else Bucket.model_validate(response.body)

    def create(self, body: BucketCreate) -> Bucket | None:
        """The new bucket (HTTP 201), or None when the name is taken (HTTP 409)."""
        response = self.client.request("POST", BUCKETS_PATH, json_body=body.body(), ok=(201, 200), allow=(409,))
        return None if response.status == 409 else Bucket.model_validate(response.body)

    def patch(self, name: str, version: int, body: BucketPatch) -> Bucket:
        response = self.client.request(
            "PATCH",
            f"{BUCKETS_PATH}/{name}",
            params={"optimistic-locking-version": version},
            json_body=body.body(),
        )
        return Bucket.model_validate(response.body)

    def delete(self, name: str) -> bool:
        """True when a delete was accepted, False when the bucket was already gone (404)."""
        response = self.client.request("DELETE", f"{BUCKETS_PATH}/{name}", ok=(202, 200, 204), allow=(404,))
        return response.status != 404


class SettingsApi:
    """Settings 2.0 objects (classic host with an Api-Token, or ``path=PLATFORM_SETTINGS_PATH``)."""

    def __init__(self, client: DynatraceClient, path: str = SETTINGS_PATH) -> None:
        self.client = client
        self.path = path

    def list(self, schema_id: str, *, external_ids: Sequence[str] = ()) -> list[SettingsObject]:
        """Every object of the schema in the environment scope (all pages)."""
        params: dict[str, str | int] = {
            "schemaIds": schema_id,
            "scopes": "environment",
            "fields": SETTINGS_FIELDS,
            "pageSize": SETTINGS_PAGE_SIZE,
        }
        if external_ids:
            params["externalIds"] = ",".join(external_ids)
        items: list[SettingsObject] = []
        for _ in range(_MAX_PAGES):
            page = SettingsPage.model_validate(self.client.request("GET", self.path, params=params).body)
            items.extend(page.items)
            if not page.next_page_key:
                return items
            params = {"nextPageKey": page.next_page_key}  # the API rejects any other parameter here
        raise DynatraceApiError("GET", self.path, 200, f"more than {_MAX_PAGES} pages of {schema_id} objects")

    def get(self, object_id: str) -> SettingsObject | None:
        response = self.client.request("GET", f"{self.path}/{object_id}", allow=(404,))
        return None if response.status == 404 else SettingsObject.model_validate(response.body)

    def create(self, obj: SettingsObjectCreate, *, validate_only: bool = False) -> str | None:
        """The new objectId (None for a successful dry run); raises with the item's error."""
        params = {"validateOnly": "true"} if validate_only else None
        response = self.client.request(
            "POST", self.path, params=params, json_body=[obj.body()], ok=(200,), allow=(207,)
        )
        results = [SettingsWriteResult.model_validate(item) for item in response.body or []]
        for result in results:
            if result.error is not None or result.code >= 300:
                message = result.error.message if result.error else f"item failed with code {result.code}"
                details = tuple(
                    f"{v.path}: {v.message}" for v in (result.error.constraint_violations if result.error else [])
                )
                raise DynatraceApiError("POST", self.path, result.code, message, details=details)
        return results[0].object_id if results else None

    def update(self, object_id: str, value: dict[str, object], update_token: str | None) -> None:
        body = SettingsObjectUpdate(value=value, update_token=update_token).body()
        self.client.request("PUT", f"{self.path}/{object_id}", json_body=body)

    def delete(self, object_id: str, update_token: str | None = None) -> bool:
        params = {"updateToken": update_token} if update_token else None
        response = self.client.request("DELETE", f"{self.path}/{object_id}", params=params, ok=(204, 200), allow=(404,))
        return response.status != 404


class TokenApi:
    """Access tokens API (classic host, Api-Token with the scopes of :data:`.scopes.INGEST_TOKEN`)."""

    def __init__(self, client: DynatraceClient) -> None:
        self.client = client

    def create(self, body: ApiTokenCreate) -> ApiTokenCreated:
        response = self.client.request("POST", TOKENS_PATH, json_body=body.body(), ok=(201, 200))
        return ApiTokenCreated.model_validate(response.body)

    def get(self, token_id: str) -> ApiTokenMetadata | None:
        response = self.client.request("GET", f"{TOKENS_PATH}/{token_id}", allow=(404,))
        return None if response.status == 404 else ApiTokenMetadata.model_validate(response.body)

    def find_by_name(self, name: str, *, page_size: int = TOKEN_PAGE_SIZE) -> list[ApiTokenMetadata]:
        """Non-personal tokens whose name is exactly ``name`` (every page of the list).

        ``apiTokenSelector`` has no name criterion (only ``owner``, ``personalAccessToken`` and
        ``scope``), so the list is narrowed by a documented criterion and the name is compared
        here, as Dynatrace's Terraform provider does.
        """
        if not TOKEN_PAGE_MIN <= page_size <= TOKEN_PAGE_MAX:
            raise ValueError(f"page_size must be {TOKEN_PAGE_MIN}..{TOKEN_PAGE_MAX}")
        params: dict[str, str | int] = {
            "apiTokenSelector": "personalAccessToken(false)",
            "fields": "+scopes,+expirationDate",
            "pageSize": page_size,
        }
        found: list[ApiTokenMetadata] = []
        for _ in range(_MAX_PAGES):
            page = ApiTokenList.model_validate(self.client.request("GET", TOKENS_PATH, params=params).body)
            found.extend(t for t in page.api_tokens if t.name == name)
            if not page.next_page_key:
                return found
            params = {"nextPageKey": page.next_page_key}  # the API rejects any other parameter here
        raise DynatraceApiError("GET", TOKENS_PATH, 200, f"more than {_MAX_PAGES} pages of API tokens")

    def delete(self, token_id: str) -> bool:
        response = self.client.request("DELETE", f"{TOKENS_PATH}/{token_id}", ok=(204, 200), allow=(404,))
        return response.status != 404
