"""Helpers shared by the dynamic providers: input validation, diffing, waiting; and
:class:`DynatraceResource`, the common base of the dynamic resources.

Providers hold no state (they are pickled into the Pulumi state and may serve four threads at
once): every method validates its property bag into a pydantic model, opens its own client, and
closes it before returning.
"""

from __future__ import annotations

import ipaddress
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, ClassVar, Final, Generic, TypeVar, cast
from urllib.parse import urlsplit

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult, ResourceProvider, UpdateResult
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from ..secret_wire import is_secret_wrapper
from .api import SettingsApi
from .client import ClientSettings, Credential, DynatraceClient, TokenAuth, backoff_delay
from .errors import DynatraceApiError, DynatraceConnectionError, DynatraceTimeoutError
from .models import SettingsObject, SettingsObjectCreate
from .oauth import ACCOUNT_API_URL, SSO_URL, OAuthClientAuth, account_resource, platform_credential

PROVIDER_KEY = "__provider"
# The engine's marker for a value not known yet (preview); pulumi.output.Unknown in-process.
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

ModelT = TypeVar("ModelT", bound=BaseModel)
StateT = TypeVar("StateT")
ResultT = TypeVar("ResultT")


def is_unknown(value: Any) -> bool:
    return value == UNKNOWN_SENTINEL if isinstance(value, str) else type(value).__name__ == "Unknown"


def plain(value: Any) -> Any:
    """``value`` with any engine secret wrappers removed (the engine normally strips them first)."""
    if isinstance(value, dict):
        if is_secret_wrapper(value):
            return plain(value.get("value"))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(value: str) -> str:
    """An https base URL without trailing slash (plain http only for a loopback test server)."""
    parts = urlsplit(value.strip())
    host = parts.hostname or ""
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be a base URL such as https://abc12345.live.dynatrace.com")
    if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(host)):
        raise ValueError("must use https:// (plain http is allowed only for a loopback test server)")
    return value.strip().rstrip("/")


class ProviderInputs(BaseModel):
    """Fields every resource has; subclasses add the connection (URL + token) and the object."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    CONNECTION: ClassVar[tuple[str, ...]] = ("client",)
    """The fields that say how to reach Dynatrace (changing them changes no remote object)."""

    client: ClientSettings = Field(default_factory=ClientSettings)

    @field_validator("client", mode="before")
    @classmethod
    def _client_default(cls, value: Any) -> Any:
        return ClientSettings() if value is None else value

    def open(self) -> DynatraceClient:
        """A client for the connection (subclasses state the host and token)."""
        raise NotImplementedError

    def props(self) -> dict[str, Any]:
        """The property bag for outputs: JSON-able, tokens in plain text (the engine keeps them secret)."""
        data = self.model_dump(mode="python")
        for name, item in data.items():
            if isinstance(item, SecretStr):
                data[name] = item.get_secret_value()
        return data


def token_value(value: Any) -> Any:
    """Validator body for a token field: non-empty, no whitespace (the value is never echoed)."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(text, str) or not text.strip():
        raise ValueError("must be a non-empty token (value not shown)")
    if any(ch.isspace() for ch in text.strip()):
        raise ValueError("must not contain whitespace (value not shown)")
    return text.strip()


_SCOPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$")


def scope_names(value: list[str]) -> list[str]:
    """Validator body for OAuth scopes: names without whitespace, no repeats, at least one."""
    if not value or any(not isinstance(s, str) or not _SCOPE.match(s) for s in value):
        raise ValueError("must be a non-empty list of scope names such as storage:buckets:read")
    if len(set(value)) != len(value):
        raise ValueError("must not repeat a scope")
    return value


BaseUrl = Annotated[str, AfterValidator(base_url)]
"""A connection URL field (validated by :func:`base_url`)."""
Token = Annotated[SecretStr, BeforeValidator(token_value)]
"""A connection token field (validated by :func:`token_value`, never echoed)."""
Scopes = Annotated[list[str], AfterValidator(scope_names)]
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def uuid_text(value: str) -> str:
    if not _UUID.match(value):
        raise ValueError("must be a UUID such as 2b794097-8ad2-4b32-b923-0131da2eeddf")
    return value.lower()


Uuid = Annotated[str, AfterValidator(uuid_text)]

OAUTH_CONNECTION = ("oauth_client_id", "oauth_client_secret", "oauth_scopes", "sso_url")
PLATFORM_CONNECTION = ("platform_url", "platform_token", *OAUTH_CONNECTION, "client")
CLASSIC_CONNECTION = ("environment_url", "api_token", "client")
ACCOUNT_CONNECTION = ("account_api_url", "oauth_client_id", "oauth_client_secret", "sso_url", "client")


class PlatformConnection(ProviderInputs):
    """Platform host (``https://{env}.apps.dynatrace.com``) with a Bearer token: a platform token,
    or access tokens of an OAuth client (which wins when both are given).

    ``oauth_scopes`` are the scopes the access token is requested with (what this resource's API
    needs); ``sso_url`` overrides Dynatrace SSO (None: production; tests point it at the emulator).
    """

    CONNECTION: ClassVar[tuple[str, ...]] = PLATFORM_CONNECTION

    platform_url: BaseUrl
    platform_token: Token | None = None
    oauth_client_id: Token | None = None
    oauth_client_secret: Token | None = None
    oauth_scopes: Scopes | None = None
    sso_url: BaseUrl | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> PlatformConnection:
        oauth = (self.oauth_client_id, self.oauth_client_secret)
        if any(oauth) and not all(oauth):
            raise ValueError("oauth_client_id and oauth_client_secret must be given together")
        if all(oauth) and not self.oauth_scopes:
            raise ValueError("oauth_scopes: required with an OAuth client (the scopes the calls need)")
        if not all(oauth) and self.platform_token is None:
            raise ValueError("needs platform_token or an OAuth client (oauth_client_id and oauth_client_secret)")
        return self

    def credential(self) -> Credential:
        def value(secret: SecretStr | None) -> str | None:
            return secret.get_secret_value() if secret is not None else None

        return platform_credential(
            token=value(self.platform_token),
            client_id=value(self.oauth_client_id),
            client_secret=value(self.oauth_client_secret),
            scopes=self.oauth_scopes or (),
            sso_url=self.sso_url,
            settings=self.client,
        )

    def open(self) -> DynatraceClient:
        return DynatraceClient(self.platform_url, self.credential(), self.client)


class AccountConnection(ProviderInputs):
    """The Account Management API (``https://api.dynatrace.com``), which accepts only OAuth clients.

    ``account_uuid`` names the account (part of every path; a change moves the objects, so it is
    not a connection field). ``account_api_url`` and ``sso_url`` override the production hosts
    (None: production; tests point them at the emulator).
    """

    CONNECTION: ClassVar[tuple[str, ...]] = ACCOUNT_CONNECTION
    OAUTH_SCOPES: ClassVar[tuple[str, ...]] = ()
    """The scopes this resource's calls need (each subclass states its own)."""

    account_uuid: Uuid
    oauth_client_id: Token
    oauth_client_secret: Token
    account_api_url: BaseUrl | None = None
    sso_url: BaseUrl | None = None

    def credential(self) -> Credential:
        return OAuthClientAuth(
            self.oauth_client_id.get_secret_value(),
            self.oauth_client_secret.get_secret_value(),
            self.OAUTH_SCOPES,
            resource=account_resource(self.account_uuid),
            sso_url=self.sso_url or SSO_URL,
            settings=self.client,
        )

    def open(self) -> DynatraceClient:
        return DynatraceClient(self.account_api_url or ACCOUNT_API_URL, self.credential(), self.client)


class ClassicConnection(ProviderInputs):
    """Classic environment host (``https://{env}.live.dynatrace.com``) with an Api-Token."""

    CONNECTION: ClassVar[tuple[str, ...]] = CLASSIC_CONNECTION

    environment_url: BaseUrl
    api_token: Token

    def open(self) -> DynatraceClient:
        return DynatraceClient(
            self.environment_url, TokenAuth("Api-Token", self.api_token.get_secret_value()), self.client
        )


PLATFORM_SECRETS: Final = ["platform_token", "oauth_client_id", "oauth_client_secret"]
"""The secret connection properties of a platform resource (its ``SECRET_OUTPUTS``)."""
ACCOUNT_SECRETS: Final = ["oauth_client_id", "oauth_client_secret"]


def classic_connection(environment_url: pulumi.Input[str], api_token: pulumi.Input[str]) -> dict[str, Any]:
    """The connection inputs of a classic-environment resource (the token always a secret)."""
    return {"environment_url": environment_url, "api_token": pulumi.Output.secret(api_token)}


class DynatraceResource(pulumi.dynamic.Resource):
    """Base of the Dynatrace dynamic resources (subclasses name their type with ``module=``/``name=``).

    Registers the property bag ``connection``, ``fields``, ``client``, then the provider's
    output-only properties (:attr:`DynatraceProvider.OUTPUTS`, declared as None), keeping
    ``SECRET_OUTPUTS`` secret. Holds no provider state: the provider object passed in is a fresh,
    stateless instance.
    """

    SECRET_OUTPUTS: ClassVar[list[str]] = []

    def __init__(
        self,
        provider: DynatraceProvider[Any],
        name: str,
        *,
        connection: Mapping[str, Any],
        fields: Mapping[str, Any],
        client: ClientSettings | None,
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        props: dict[str, Any] = {
            **connection,
            **fields,
            "client": client.to_props() if client else None,
            **dict.fromkeys(provider.OUTPUTS),
        }
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=self.SECRET_OUTPUTS)
        super().__init__(provider, name, props, pulumi.ResourceOptions.merge(opts, secret_opts))


def object_changes(olds: Mapping[str, Any], inputs: ProviderInputs, connection: Iterable[str]) -> list[str]:
    """Input fields (other than the connection) whose value differs from the old outputs."""
    skip = set(connection)
    return [k for k, v in inputs.props().items() if k not in skip and v is not None and differs(olds.get(k), v)]


def keep_with_new_connection(
    olds: Mapping[str, Any], inputs: ProviderInputs, connection: Iterable[str]
) -> dict[str, Any]:
    """Old outputs with the new connection fields (an update that touches nothing remote)."""
    props = inputs.props()
    return {**olds, **{k: props[k] for k in connection}}


def strip_bag(props: Mapping[str, Any], outputs_only: Iterable[str]) -> dict[str, Any]:
    """Inputs proper: no ``__provider``, no output-only keys, no ``None`` values, no secret wrappers."""
    skip = {PROVIDER_KEY, *outputs_only}
    return {k: plain(v) for k, v in props.items() if k not in skip and v is not None}


def check_inputs(model: type[ProviderInputs], news: Mapping[str, Any], outputs_only: Iterable[str]) -> CheckResult:
    """Validate ``news``; unknown (preview) values are passed through and not judged."""
    bag = strip_bag(news, outputs_only)
    unknown = {k for k, v in bag.items() if is_unknown(v)}
    known = {k: v for k, v in bag.items() if k not in unknown}
    try:
        parsed = model.model_validate(known)
    except ValidationError as exc:
        failures = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = [str(part) for part in err["loc"]]
            if (loc and loc[0] in unknown) or (not loc and unknown):
                continue  # a rule about an unknown value (or across fields) is judged once known
            failures.append(CheckFailure(".".join(loc) or "(inputs)", str(err["msg"]).removeprefix("Value error, ")))
        if failures:
            return CheckResult(bag, failures)
        return CheckResult(bag, [])
    if unknown:
        return CheckResult(bag, [])
    return CheckResult(parsed.props(), [])


def parse(model: type[ModelT], props: Mapping[str, Any], outputs_only: Iterable[str]) -> ModelT:
    """The validated inputs of a create/update/read/delete call (check has run before)."""
    return model.model_validate(strip_bag(props, outputs_only))


def _norm(value: Any) -> Any:
    """Comparable form: floats that are whole numbers become ints (the wire turns ints into floats)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return plain(value)


def differs(old: Any, new: Any) -> bool:
    if is_unknown(new):
        return True
    return bool(_norm(old) != _norm(new))


def client_settings_differ(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    new = news.get("client")
    if is_unknown(new):
        return True
    try:
        return ClientSettings.model_validate(plain(olds.get("client")) or {}) != ClientSettings.model_validate(
            plain(new) or {}
        )
    except ValidationError:
        return True


def diff_props(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    *,
    compared: Mapping[str, Callable[[Any], Any]],
    replace_on: Iterable[str],
    connection: Iterable[str],
    optional: Iterable[str] = (),
    delete_before_replace: bool | None = None,
) -> DiffResult:
    """Precise diff: only modelled fields, normalised; ``optional`` fields are compared only when set.

    Connection fields (URL, admin token, client tuning) change no object: a change updates the
    state only (the provider's ``update`` then makes no API call), never a replacement.
    """
    changed: list[str] = []
    skip_unset = set(optional)
    for key, normalise in compared.items():
        new = news.get(key)
        if new is None and key in skip_unset:
            continue
        if is_unknown(new):
            changed.append(key)
            continue
        old = olds.get(key)
        if differs(normalise(old) if old is not None else None, normalise(new) if new is not None else None):
            changed.append(key)
    replaces = [key for key in replace_on if key in changed]
    for key in connection:
        if key == "client":
            if client_settings_differ(olds, news):
                changed.append(key)
        elif differs(olds.get(key), news.get(key)):
            changed.append(key)
    if not changed:
        return DiffResult(changes=False, replaces=[], delete_before_replace=False)
    return DiffResult(
        changes=True,
        replaces=replaces,
        delete_before_replace=bool(replaces) and bool(delete_before_replace),
    )


InputsT = TypeVar("InputsT", bound=ProviderInputs)


class DynatraceProvider(ResourceProvider, Generic[InputsT]):
    """Base of the dynamic providers: one inputs model, the output-only fields, the connection.

    A subclass states :attr:`INPUTS` (its inputs model, whose ``CONNECTION`` names the connection
    fields) and :attr:`OUTPUTS`, and implements what differs: create, update, read and
    :meth:`remove`. Class attributes only: the instance stays stateless (it is pickled into the
    Pulumi state by reference to its module and class).
    """

    INPUTS: ClassVar[type[ProviderInputs]]
    OUTPUTS: ClassVar[tuple[str, ...]] = ()
    """Output-only properties: registered as None by the resource, never parsed as inputs."""
    UNREGISTERED_OUTPUTS: ClassVar[tuple[str, ...]] = ()
    """Further keys kept out of the inputs when a stored property bag is parsed, not registered."""

    @classmethod
    def outputs_only(cls) -> tuple[str, ...]:
        return (*cls.OUTPUTS, *cls.UNREGISTERED_OUTPUTS)

    def parse(self, props: Mapping[str, Any]) -> InputsT:
        """The validated inputs of a create/update/read/delete call (check has run before)."""
        return cast(InputsT, parse(self.INPUTS, props, self.outputs_only()))

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return check_inputs(self.INPUTS, news, self.outputs_only())

    def diff_fields(
        self,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        compared: Mapping[str, Callable[[Any], Any]],
        replace_on: Iterable[str],
        optional: Iterable[str] = (),
        delete_before_replace: bool | None = None,
    ) -> DiffResult:
        """:func:`diff_props` with this provider's connection fields."""
        return diff_props(
            olds,
            news,
            compared=compared,
            replace_on=replace_on,
            connection=self.INPUTS.CONNECTION,
            optional=optional,
            delete_before_replace=delete_before_replace,
        )

    @staticmethod
    def changed_fields(olds: Mapping[str, Any], inputs: ProviderInputs) -> list[str]:
        """Input fields other than the connection whose value differs from the old outputs."""
        return object_changes(olds, inputs, inputs.CONNECTION)

    @staticmethod
    def connection_update(olds: Mapping[str, Any], inputs: ProviderInputs) -> UpdateResult:
        """An update that only takes the new connection fields (no API call)."""
        return UpdateResult(keep_with_new_connection(olds, inputs, inputs.CONNECTION))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        inputs = self.parse(props)
        with inputs.open() as client:
            self.remove(client, inputs, id_)

    def remove(self, client: DynatraceClient, inputs: InputsT, id_: str) -> None:
        """Delete the remote object ``id_`` (an object already gone counts as deleted)."""
        raise NotImplementedError


class Again:
    """What an attempt of :func:`retry_on_conflict` returns to be tried again at once."""


AGAIN: Final = Again()


def retry_on_conflict(
    settings: ClientSettings,
    read: Callable[[], StateT],
    write: Callable[[StateT], ResultT | Again],
    *,
    give_up: str,
    first: StateT | None = None,
) -> ResultT:
    """Optimistic locking: ``read`` the live state, ``write`` based on it; on HTTP 409 sleep with
    jittered backoff and start over, at most ``settings.conflict_attempts`` times.

    ``first`` (when given) stands for the first read. ``write`` returns its result, or
    :data:`AGAIN` to start over without the backoff (it has waited itself). After the last
    attempt: :class:`DynatraceTimeoutError` with ``give_up``.
    """
    rng = random.Random()  # noqa: S311 - jitter
    for attempt in range(1, settings.conflict_attempts + 1):
        state = first if first is not None else read()
        first = None
        try:
            result = write(state)
        except DynatraceApiError as exc:
            if exc.status != 409:
                raise
        else:
            if isinstance(result, Again):
                continue
            return result
        time.sleep(backoff_delay(attempt, settings, rng))
    raise DynatraceTimeoutError(give_up)


def adopt_or_create(
    api: SettingsApi,
    body: SettingsObjectCreate,
    *,
    adopt: Callable[[SettingsObject], object],
    poller: Poller,
    give_up: Callable[[], str],
    also_retry: Callable[[DynatraceApiError], bool] = lambda _exc: False,
) -> tuple[str, bool]:
    """Idempotent create of a Settings object keyed by ``body.external_id``: returns (objectId, adopted).

    Lists the schema by the externalId and ``adopt``s a match; otherwise POSTs ``body``. An
    ambiguous connection failure (the POST may have landed), a 409 or an externalId rejection
    (created concurrently), or an error ``also_retry`` accepts (it may raise a clearer error
    instead) leads to another lookup after the ``poller``'s backoff; ``give_up()`` is the message
    once its deadline passes.
    """
    external_id = body.external_id
    if external_id is None:
        raise ValueError("adopt_or_create needs a body with an externalId")
    while True:
        found = [o for o in api.list(body.schema_id, external_ids=[external_id]) if o.external_id == external_id]
        if found:
            adopt(found[0])
            return found[0].object_id, True
        try:
            object_id = api.create(body)
            if object_id is None:
                raise DynatraceApiError("POST", api.path, 200, "create returned no objectId")
            return object_id, False
        except DynatraceConnectionError as exc:
            if not exc.ambiguous:
                raise
        except DynatraceApiError as exc:
            if not (exc.status == 409 or exc.mentions("externalId") or also_retry(exc)):
                raise
        if not poller.sleep_or_give_up():
            raise DynatraceTimeoutError(give_up())


def find_or_create(
    find: Callable[[], ResultT | None],
    create: Callable[[], ResultT],
    *,
    poller: Poller,
    give_up: Callable[[], str],
) -> tuple[ResultT, bool]:
    """Idempotent create where the server keeps no idempotency key: ``find`` (which adopts, or raises
    for an object that is not ours), else ``create``; returns (result, found). After an ambiguous
    failure of the create (it may have landed) ``find`` runs again after the ``poller``'s backoff
    before anything is re-sent; ``give_up()`` is the message once its deadline passes."""
    while True:
        found = find()
        if found is not None:
            return found, True
        try:
            return create(), False
        except DynatraceConnectionError as exc:
            if not exc.ambiguous:
                raise
        if not poller.sleep_or_give_up():
            raise DynatraceTimeoutError(give_up())


class Poller:
    """Bounded backoff for waits: ``poll_initial`` × 1.5 per round, capped, until the deadline."""

    def __init__(self, settings: ClientSettings, what: str, *, timeout: float | None = None) -> None:
        self.delay = settings.poll_initial
        self.cap = settings.poll_max
        self.timeout = settings.wait_timeout if timeout is None else timeout
        self.deadline = time.monotonic() + self.timeout
        self.what = what
        self.rounds = 0

    def sleep_or_give_up(self) -> bool:
        """Sleep before the next round; False when the deadline would pass."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(self.delay, remaining))
        self.delay = min(self.cap, self.delay * 1.5)
        self.rounds += 1
        return True
