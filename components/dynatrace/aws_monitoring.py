"""Dynatrace AWS Cloud Platform Monitoring (Latest Dynatrace): the connection's role ARN and the
monitoring configuration of the ``com.dynatrace.extension.da-aws`` extension.

The AWS connection itself is a Settings 2.0 object (schema
``builtin:hyperscaler-authentication.connections.aws``), created with the generic
:class:`~components.dynatrace.settings_object.SettingsObject` and an empty role ARN. Two resources
here finish the job:

- :class:`AwsConnectionRoleArn` writes the IAM role ARN into the connection once the role exists.
  The ARN is write-once on Dynatrace's side (the Terraform provider's ``aws_connection_role_arn``
  refuses to change a set ARN and cannot clear one), so a different ARN replaces this resource, and
  delete leaves the connection alone (deleting the connection removes the ARN with it). Dynatrace
  validates the role when the ARN is set; a role created seconds earlier may not be assumable yet
  (IAM is eventually consistent), so 400/404 answers are retried within the wait timeout, as the
  Terraform provider does.
- :class:`AwsMonitoringConfiguration` owns one monitoring configuration (Extensions 2.0 API on the
  platform host, ``/platform/extensions/v2/extensions/{extension}/monitoring-configurations``):
  which feature sets (metric collection sets) are polled, in which regions, through which
  connection. Idempotent create adopts the configuration paired with our connection (Dynatrace
  pairs each connection with exactly one configuration), looking through every page of the list.
  Update reads the live value and changes only the fields Dynatrace documents as safe to modify
  (``enabled``, ``description``, ``featureSets``, ``aws.regionFiltering``; docs "Monitoring
  configuration fields": other fields "may lead to an inconsistent connection state"), writing only
  when that changes something; the connection, the account and the extension are create-only
  (a change replaces the configuration). Read reports the modelled fields for drift; delete
  removes it (404 = gone), and Dynatrace deletes the paired connection with it.

Pairing: since deleting a configuration deletes its connection ("Manage AWS connections via API"),
the configuration is never replaced on its own. The connection carries
:func:`pairing_identity` (everything neither object changes in place: the configuration's
extension and scope, and the IAM role whose ARN Dynatrace writes into the connection only once) as
its ``replacement_trigger``, so any change that would replace the configuration replaces the
connection first; the configuration follows because its connection id changed, and its old
version's delete at the end finds the old connection already gone.

Feature sets are checked against the installed extension's schema (enum ``FeatureSetsType``)
before anything is written, so a name the tenant does not know fails with the list of the ones it
does. An empty list means "every feature set whose name starts with ``prefix``".
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator

from components.config.aws_regions import REGIONS

from ._provider import PLATFORM_SECRETS, DynatraceProvider, DynatraceResource, PlatformConnection, Poller
from .api import PLATFORM_SETTINGS_PATH, SettingsApi
from .client import ClientSettings, DynatraceClient
from .credentials import PlatformAuth
from .errors import DynatraceApiError, DynatraceTimeoutError
from .scopes import AWS_MONITORING

AWS_CONNECTION_SCHEMA = "builtin:hyperscaler-authentication.connections.aws"
AWS_EXTENSION = "com.dynatrace.extension.da-aws"
AWS_SCOPE = "integration-aws"
EXTENSIONS_PATH = "/platform/extensions/v2/extensions"
ROLE_BASED = "awsRoleBasedAuthentication"
DATA_ACQUISITION_CONSUMER = "SVC:com.dynatrace.da"
# The connection schema's roleArn pattern (role-based authentication: the aws partition only).
ROLE_ARN = re.compile(r"^arn:aws:iam::(?:aws|[0-9]+?):role/.+$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_DIGITS = re.compile(r"[0-9]+")


def connection_value(name: str) -> dict[str, Any]:
    """The reconciled part of a role-based AWS connection: its name and type."""
    return {"name": name, "type": ROLE_BASED}


def connection_create_value() -> dict[str, Any]:
    """Sent on create only: the role-based block with an empty ARN (set later by the ARN resource)."""
    return {ROLE_BASED: {"roleArn": "", "consumers": [DATA_ACQUISITION_CONSUMER]}}


# -- the connection's role ARN ----------------------------------------------------------------------

ROLE_OUTPUTS = ("connection_name",)


class RoleArnInputs(PlatformConnection):
    connection_id: str = Field(min_length=1)
    role_arn: str

    @field_validator("role_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not ROLE_ARN.match(value):
            raise ValueError("must be an IAM role ARN in the aws partition, e.g. arn:aws:iam::123456789012:role/name")
        return value

    def api(self, client: DynatraceClient) -> SettingsApi:
        return SettingsApi(client, PLATFORM_SETTINGS_PATH)


def set_role_arn(api: SettingsApi, inputs: RoleArnInputs) -> tuple[str, int]:
    """Write the ARN into the connection unless it is there already; returns (name, writes)."""
    poller = Poller(inputs.client, f"AWS connection {inputs.connection_id} role ARN")
    while True:
        obj = api.get(inputs.connection_id)
        if obj is None:
            raise DynatraceApiError(
                "GET", f"{api.path}/{inputs.connection_id}", 404, "the AWS connection no longer exists"
            )
        value = copy.deepcopy(obj.value)
        block = value.get(ROLE_BASED)
        if value.get("type") != ROLE_BASED or not isinstance(block, dict):
            raise DynatraceApiError(
                "GET", f"{api.path}/{inputs.connection_id}", 200, "the AWS connection is not role-based"
            )
        name = str(value.get("name", ""))
        current = block.get("roleArn") or ""
        if current == inputs.role_arn:
            return name, 0
        if current:
            raise DynatraceApiError(
                "PUT",
                f"{api.path}/{inputs.connection_id}",
                409,
                f"the AWS connection already uses role {current}; Dynatrace does not change a set role ARN "
                "(replace the connection to use another role)",
            )
        block["roleArn"] = inputs.role_arn
        try:
            api.update(inputs.connection_id, value, obj.update_token)
            return name, 1
        except DynatraceApiError as exc:
            # 409: a concurrent change (re-read); 400/404: the new role is not assumable yet.
            if exc.status not in (400, 404, 409):
                raise
            if not poller.sleep_or_give_up():
                raise DynatraceTimeoutError(
                    f"AWS connection {inputs.connection_id}: Dynatrace did not accept role {inputs.role_arn} "
                    f"within {poller.timeout:g}s (last answer: HTTP {exc.status} {exc.message}); check that the "
                    "role trusts the Dynatrace principal with the connection's external ID"
                ) from None


class RoleArnProvider(DynatraceProvider[RoleArnInputs]):
    INPUTS = RoleArnInputs
    OUTPUTS = ROLE_OUTPUTS

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={"connection_id": str, "role_arn": str},
            replace_on=("connection_id", "role_arn"),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            name, _ = set_role_arn(inputs.api(client), inputs)
        return CreateResult(inputs.connection_id, {**inputs.props(), "connection_name": name})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return self.connection_update(olds, self.parse(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            obj = inputs.api(client).get(id_)
        if obj is None:
            return ReadResult(None, {})
        block = obj.value.get(ROLE_BASED)
        live = block.get("roleArn", "") if isinstance(block, dict) else ""
        return ReadResult(id_, {**inputs.props(), "role_arn": live, "connection_name": obj.value.get("name")})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: Dynatrace cannot clear a role ARN; deleting the connection removes it."""


@dataclass(frozen=True)
class AwsConnectionRoleArnArgs:
    platform_url: pulumi.Input[str]
    platform_auth: PlatformAuth
    """A platform token or an OAuth client (secrets), with the scopes of
    :data:`~components.dynatrace.scopes.AWS_MONITORING`."""
    connection_id: pulumi.Input[str]
    role_arn: pulumi.Input[str]
    client: ClientSettings | None = None


class AwsConnectionRoleArn(DynatraceResource, module="dynatrace", name="AwsConnectionRoleArn"):
    """The IAM role ARN of a role-based AWS connection; its id is the connection's objectId."""

    SECRET_OUTPUTS: ClassVar[list[str]] = PLATFORM_SECRETS
    OAUTH_SCOPES: ClassVar[tuple[str, ...]] = AWS_MONITORING.scopes

    connection_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    connection_name: pulumi.Output[str]

    def __init__(self, name: str, args: AwsConnectionRoleArnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            RoleArnProvider(),
            name,
            connection=args.platform_auth.connection(args.platform_url, self.OAUTH_SCOPES),
            fields={"connection_id": args.connection_id, "role_arn": args.role_arn},
            client=args.client,
            opts=opts,
        )


# -- the monitoring configuration -----------------------------------------------------------------

CONFIG_OUTPUTS = ("object_id", "extension_version", "resolved_feature_sets", "drift")
CONFIG_PAGE_SIZE = 100
"""``page-size`` of the configuration list: within the documented maximum (500 on the platform API,
100 on the classic one) and equal to dtctl's cap."""
_MAX_PAGES = 100
UPDATABLE_PATHS: tuple[tuple[str, ...], ...] = (
    ("enabled",),
    ("description",),
    ("featureSets",),
    ("aws", "regionFiltering"),
)
"""The fields an update writes: the ones the docs ("Monitoring configuration fields") support for
modification that this stack models (``aws.tagFiltering``, also supported, is left to the user)."""
CREATE_ONLY = ("extension", "scope", "connection_id", "account_id")
"""Inputs written only when the configuration is created: a change replaces it."""


def pairing_identity(role_name: str) -> dict[str, str]:
    """What neither the AWS connection nor its monitoring configuration changes in place: given to
    the connection as its ``replacement_trigger`` (see the module docstring)."""
    return {"extension": AWS_EXTENSION, "scope": AWS_SCOPE, "roleName": role_name}


def _config_path(extension: str, object_id: str = "") -> str:
    path = f"{EXTENSIONS_PATH}/{extension}/monitoring-configurations"
    return f"{path}/{object_id}" if object_id else path


class MonitoringConfigInputs(PlatformConnection):
    extension: str = AWS_EXTENSION
    scope: str = AWS_SCOPE
    description: str = Field(min_length=1, max_length=500)
    """The configuration's display name (``value.description``); the key used to adopt it."""
    connection_id: str = Field(min_length=1)
    account_id: str
    regions: list[str] = Field(min_length=1)
    feature_sets: list[str] = Field(default_factory=list)
    """Explicit feature sets; empty: every feature set of the extension whose name starts with ``prefix``."""
    prefix: str = Field(default="Bedrock", min_length=1)
    enabled: bool = True

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str) -> str:
        if not _ACCOUNT.match(value):
            raise ValueError("must be a 12-digit AWS account ID")
        return value

    @field_validator("regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        bad = [r for r in value if r not in REGIONS]
        if bad:
            raise ValueError(f"must be AWS region codes such as us-east-1 (got {', '.join(bad)})")
        return sorted(set(value))

    @field_validator("feature_sets")
    @classmethod
    def _sets(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class ExtensionsApi:
    """Extensions 2.0 on the platform host: versions, schema, monitoring configurations."""

    def __init__(self, client: DynatraceClient, extension: str) -> None:
        self.client = client
        self.extension = extension

    def latest_version(self) -> str:
        response = self.client.request("GET", f"{EXTENSIONS_PATH}/{self.extension}", allow=(404,))
        items = response.body.get("items", []) if response.status == 200 and isinstance(response.body, dict) else []
        versions = [str(i["version"]) for i in items if isinstance(i, dict) and i.get("version")]
        if not versions:
            raise DynatraceApiError(
                "GET",
                f"{EXTENSIONS_PATH}/{self.extension}",
                response.status,
                f"the extension {self.extension} is not installed in this environment; add it once "
                "(Hub, or Settings > Cloud and virtualization > AWS) and run again",
            )
        return max(versions, key=_version_key)

    def feature_sets(self, version: str) -> list[str]:
        response = self.client.request("GET", f"{EXTENSIONS_PATH}/{self.extension}/{version}/schema")
        enums = response.body.get("enums", {}) if isinstance(response.body, dict) else {}
        items = enums.get("FeatureSetsType", {}).get("items", []) if isinstance(enums, dict) else []
        return sorted(str(i["value"]) for i in items if isinstance(i, dict) and i.get("value"))

    def configurations(self) -> Iterator[dict[str, Any]]:
        """Every monitoring configuration of the extension, page after page.

        Docs "List monitoring configurations": ``page-size`` on the first request, then the cursor
        alone as ``page-key`` ("you must omit all other query parameters"). The cursor is read from
        ``nextPageKey`` (what dtctl reads) or ``next-page-key`` (the docs' spelling).
        """
        path = _config_path(self.extension)
        params: dict[str, str | int] = {"page-size": CONFIG_PAGE_SIZE}
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            body = self.client.request("GET", path, params=params).body
            page = body if isinstance(body, dict) else {}
            yield from (i for i in page.get("items") or [] if isinstance(i, dict))
            key = page.get("nextPageKey") or page.get("next-page-key")
            if not key:
                return
            if not isinstance(key, str) or key in seen:
                raise DynatraceApiError("GET", path, 200, "the configuration list repeated a page key")
            seen.add(key)
            params = {"page-key": key}
        raise DynatraceApiError("GET", path, 200, f"more than {_MAX_PAGES} pages of monitoring configurations")

    def get(self, object_id: str) -> dict[str, Any] | None:
        response = self.client.request("GET", _config_path(self.extension, object_id), allow=(404,))
        return None if response.status == 404 else dict(response.body)

    def create(self, scope: str, value: dict[str, Any]) -> str:
        response = self.client.request(
            "POST", _config_path(self.extension), json_body={"scope": scope, "value": value}, ok=(200, 201)
        )
        object_id = response.body.get("objectId") if isinstance(response.body, dict) else None
        if not object_id:
            raise DynatraceApiError("POST", _config_path(self.extension), response.status, "no objectId returned")
        return str(object_id)

    def update(self, object_id: str, value: dict[str, Any]) -> None:
        # The body is MonitoringConfigurationUpdate, ``{value}`` only: "Monitoring configuration scope
        # cannot be updated" (docs "Update a monitoring configuration").
        self.client.request("PUT", _config_path(self.extension, object_id), json_body={"value": value}, ok=(200, 204))

    def delete(self, object_id: str) -> None:
        self.client.request("DELETE", _config_path(self.extension, object_id), ok=(200, 202, 204), allow=(404,))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if _DIGITS.fullmatch(p) else 0 for p in version.split("."))


def resolve_feature_sets(inputs: MonitoringConfigInputs, available: list[str]) -> list[str]:
    """The feature sets to enable, checked against what the installed extension offers."""
    offered = [s for s in available if s.startswith(inputs.prefix)]
    if not inputs.feature_sets:
        if not offered:
            raise DynatraceApiError(
                "GET",
                f"{EXTENSIONS_PATH}/{inputs.extension}",
                200,
                f"the installed extension offers no feature set starting with {inputs.prefix!r}",
            )
        return offered
    unknown = [s for s in inputs.feature_sets if s not in available]
    if unknown:
        raise DynatraceApiError(
            "GET",
            f"{EXTENSIONS_PATH}/{inputs.extension}",
            200,
            f"feature set(s) {', '.join(unknown)} not offered by the installed extension; "
            f"{inputs.prefix} feature sets it offers: {', '.join(offered) or 'none'}",
        )
    return list(inputs.feature_sets)


def updatable_fields(inputs: MonitoringConfigInputs, feature_sets: list[str]) -> dict[str, Any]:
    """What an update sets (:data:`UPDATABLE_PATHS`; everything else in a live value is kept)."""
    return {
        "enabled": inputs.enabled,
        "description": inputs.description,
        "featureSets": feature_sets,
        "aws": {"regionFiltering": list(inputs.regions)},
    }


def new_value(inputs: MonitoringConfigInputs, version: str, feature_sets: list[str]) -> dict[str, Any]:
    """The whole value of a new configuration (fields outside :data:`UPDATABLE_PATHS` are set only here)."""
    value = updatable_fields(inputs, feature_sets)
    value["version"] = version
    value["activationContext"] = "DATA_ACQUISITION"
    value["aws"].update(
        {
            "credentials": [
                {
                    "enabled": True,
                    "description": inputs.description,
                    "connectionId": inputs.connection_id,
                    "accountId": inputs.account_id,
                }
            ],
            "metricsConfiguration": {"enabled": True, "regions": list(inputs.regions)},
            "cloudWatchLogsConfiguration": {"enabled": False, "regions": []},
            "namespaces": [],
            "deploymentRegion": inputs.regions[0],
            "deploymentScope": "SINGLE_ACCOUNT",
            "deploymentMode": "AUTOMATED",
            "configurationMode": "QUICK_START",
            "smartscapeConfiguration": {"enabled": True},
            "tagFiltering": [],
            "tagEnrichment": [],
        }
    )
    return value


def merged_value(live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """``live`` with the :data:`UPDATABLE_PATHS` taken from ``desired``; nothing else changes."""
    value = copy.deepcopy(live)
    for *parents, last in UPDATABLE_PATHS:
        source: Any = desired
        target = value
        for part in parents:
            source = source.get(part) if isinstance(source, dict) else None
            child = target.get(part)
            target[part] = child = dict(child) if isinstance(child, dict) else {}
            target = child
        if isinstance(source, dict) and last in source:
            target[last] = copy.deepcopy(source[last])
    return value


def _normal(value: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(value)
    if isinstance(out.get("featureSets"), list):
        out["featureSets"] = sorted(out["featureSets"])
    return out


def observed(live: dict[str, Any]) -> dict[str, Any]:
    """The modelled fields of a live configuration, in input terms (for refresh)."""
    aws = live.get("aws") or {}
    creds = (aws.get("credentials") or [{}])[0] or {}
    return {
        "description": live.get("description"),
        "enabled": live.get("enabled"),
        "connection_id": creds.get("connectionId"),
        "account_id": creds.get("accountId"),
        "regions": sorted(aws.get("regionFiltering") or []),
        "resolved_feature_sets": sorted(live.get("featureSets") or []),
        "extension_version": live.get("version"),
    }


def _find(api: ExtensionsApi, inputs: MonitoringConfigInputs) -> dict[str, Any] | None:
    """The configuration paired with our connection (at most one exists), on whichever page it is."""
    for item in api.configurations():
        creds = ((item.get("value") or {}).get("aws") or {}).get("credentials") or []
        if any(isinstance(c, dict) and c.get("connectionId") == inputs.connection_id for c in creds):
            return item
    return None


def _check_adoptable(found: dict[str, Any], inputs: MonitoringConfigInputs) -> None:
    """Adopt only a configuration whose create-only fields are ours: anything else would need the
    replacement Dynatrace cannot do while the connection stays (one configuration per connection)."""
    live = observed(dict(found.get("value") or {}))
    if live["account_id"] != inputs.account_id or str(found.get("scope") or inputs.scope) != inputs.scope:
        raise DynatraceApiError(
            "GET",
            _config_path(inputs.extension),
            200,
            f"the monitoring configuration {found.get('objectId')} of connection {inputs.connection_id} "
            f"monitors account {live['account_id']} (scope {found.get('scope')}), not {inputs.account_id} "
            f"({inputs.scope}); Dynatrace keeps one configuration per connection and does not change these "
            "in place: replace the connection",
        )


def reconcile_config(api: ExtensionsApi, inputs: MonitoringConfigInputs, object_id: str) -> tuple[dict[str, Any], int]:
    """Bring the live configuration to our fields; returns (live value after, writes)."""
    live = api.get(object_id)
    if live is None:
        raise DynatraceApiError(
            "GET", _config_path(inputs.extension, object_id), 404, "the monitoring configuration no longer exists"
        )
    value = dict(live.get("value") or {})
    feature_sets = resolve_feature_sets(inputs, api.feature_sets(str(value.get("version", ""))))
    merged = merged_value(value, updatable_fields(inputs, feature_sets))
    if _normal(merged) == _normal(value):
        return value, 0
    api.update(object_id, merged)
    return merged, 1


def _config_outputs(inputs: MonitoringConfigInputs, object_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        **inputs.props(),
        "object_id": object_id,
        "extension_version": value.get("version"),
        "resolved_feature_sets": sorted(value.get("featureSets") or []),
        "drift": False,
    }


class MonitoringConfigProvider(DynatraceProvider[MonitoringConfigInputs]):
    INPUTS = MonitoringConfigInputs
    OUTPUTS = CONFIG_OUTPUTS

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        as_list = lambda v: sorted(v or [])  # noqa: E731
        result = self.diff_fields(
            olds,
            news,
            compared={
                "extension": str,
                "scope": str,
                "description": str,
                "connection_id": str,
                "account_id": str,
                "regions": as_list,
                "feature_sets": as_list,
                "prefix": str,
                "enabled": bool,
            },
            replace_on=CREATE_ONLY,
        )
        if olds.get("drift") and not result.changes:  # refresh found an updatable field changed outside
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        return result

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            api = ExtensionsApi(client, inputs.extension)
            found = _find(api, inputs)
            if found is not None:
                _check_adoptable(found, inputs)
                object_id = str(found["objectId"])
                value, _ = reconcile_config(api, inputs, object_id)
            else:
                version = api.latest_version()
                feature_sets = resolve_feature_sets(inputs, api.feature_sets(version))
                value = new_value(inputs, version, feature_sets)
                object_id = api.create(inputs.scope, value)
        return CreateResult(object_id, _config_outputs(inputs, object_id, value))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.parse(news)
        if not olds.get("drift") and not self.changed_fields(olds, inputs):
            return self.connection_update(olds, inputs)
        with inputs.open() as client:
            value, _ = reconcile_config(ExtensionsApi(client, inputs.extension), inputs, id_)
        return UpdateResult(_config_outputs(inputs, id_, value))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            api = ExtensionsApi(client, inputs.extension)
            live = api.get(id_)
            if live is None:
                return ReadResult(None, {})
            value = dict(live.get("value") or {})
            wanted = updatable_fields(
                inputs, resolve_feature_sets(inputs, api.feature_sets(str(value.get("version", ""))))
            )
        drift = _normal(merged_value(value, wanted)) != _normal(value)
        return ReadResult(id_, {**inputs.props(), "object_id": id_, **observed(value), "drift": drift})

    def remove(self, client: DynatraceClient, inputs: MonitoringConfigInputs, id_: str) -> None:
        ExtensionsApi(client, inputs.extension).delete(id_)


@dataclass(frozen=True)
class AwsMonitoringConfigurationArgs:
    platform_url: pulumi.Input[str]
    platform_auth: PlatformAuth
    """A platform token or an OAuth client (secrets), with the scopes of
    :data:`~components.dynatrace.scopes.AWS_MONITORING`."""
    description: pulumi.Input[str]
    connection_id: pulumi.Input[str]
    account_id: pulumi.Input[str]
    regions: pulumi.Input[Sequence[str]]
    feature_sets: pulumi.Input[list[str]]
    prefix: str = "Bedrock"
    client: ClientSettings | None = None


class AwsMonitoringConfiguration(DynatraceResource, module="dynatrace", name="AwsMonitoringConfiguration"):
    """One ``com.dynatrace.extension.da-aws`` monitoring configuration; its id is the objectId."""

    SECRET_OUTPUTS: ClassVar[list[str]] = PLATFORM_SECRETS
    OAUTH_SCOPES: ClassVar[tuple[str, ...]] = AWS_MONITORING.scopes

    object_id: pulumi.Output[str]
    extension_version: pulumi.Output[str]
    resolved_feature_sets: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: AwsMonitoringConfigurationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(
            MonitoringConfigProvider(),
            name,
            connection=args.platform_auth.connection(args.platform_url, self.OAUTH_SCOPES),
            fields={
                "extension": AWS_EXTENSION,
                "scope": AWS_SCOPE,
                "description": args.description,
                "connection_id": args.connection_id,
                "account_id": args.account_id,
                "regions": args.regions,
                "feature_sets": args.feature_sets,
                "prefix": args.prefix,
                "enabled": True,
            },
            client=args.client,
            opts=opts,
        )
