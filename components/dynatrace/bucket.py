"""``GrailBucket``: a Grail bucket definition (Storage Management API, platform host).

- create: POST; on 409 adopt the existing bucket when its table matches (fail clearly otherwise),
  wait for a bucket that is still being deleted; then wait until ``active`` with bounded backoff,
  tolerating the GET-404 propagation lag. An interrupted create is simply re-run (409 → adopt).
- update: retention / display name in place with optimistic locking (re-read, PATCH with the
  version, re-read and retry on 409); no write when nothing differs.
- name or table change → replacement (delete first when the name stays, the name is the id).
- delete: 404 is success (already gone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator

from ._provider import PLATFORM_SECRETS, DynatraceProvider, DynatraceResource, PlatformConnection, Poller
from .api import BucketApi
from .client import ClientSettings, DynatraceClient
from .credentials import PlatformAuth
from .errors import DynatraceApiError, DynatraceConflictError, DynatraceConnectionError, DynatraceTimeoutError
from .models import Bucket, BucketCreate, BucketPatch, BucketTable
from .scopes import GRAIL_BUCKET

_NAME = re.compile(r"^[a-z][a-z0-9_-]{2,99}$")
OUTPUTS_ONLY = ("status", "version", "adopted")


class BucketInputs(PlatformConnection):
    bucket_name: str
    table: BucketTable
    retention_days: int = Field(ge=1, le=3657)
    display_name: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("bucket_name")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be 3-100 characters of a-z, 0-9, '_' or '-', starting with a letter")
        if value.startswith(("dt_", "default_")):
            raise ValueError("must not start with 'dt_' or 'default_' (reserved by Dynatrace)")
        return value


def _outs(inputs: BucketInputs, bucket: Bucket, adopted: bool) -> dict[str, Any]:
    outs = inputs.props()
    outs.update(
        retention_days=bucket.retention_days,
        display_name=bucket.display_name if bucket.display_name is not None else inputs.display_name,
        status=bucket.status,
        version=bucket.version,
        adopted=adopted,
    )
    return outs


def _needs_patch(inputs: BucketInputs, bucket: Bucket) -> BucketPatch | None:
    patch = BucketPatch(
        retention_days=inputs.retention_days if bucket.retention_days != inputs.retention_days else None,
        display_name=(
            inputs.display_name
            if inputs.display_name is not None and bucket.display_name != inputs.display_name
            else None
        ),
    )
    return patch if patch.body() else None


def wait_until_active(api: BucketApi, name: str, poller: Poller) -> Bucket:
    """GET until ``active``; 404 right after a create is propagation lag, not absence."""
    last = "not visible yet (HTTP 404)"
    while True:
        bucket = api.get(name)
        if bucket is not None:
            if bucket.status == "active":
                return bucket
            if bucket.status == "deleting":
                raise DynatraceConflictError(f"bucket {name!r} is being deleted by someone else")
            last = f"status {bucket.status!r}"
        if not poller.sleep_or_give_up():
            raise DynatraceTimeoutError(f"bucket {name!r} did not become active within {poller.timeout:g}s ({last})")


def ensure_bucket(api: BucketApi, inputs: BucketInputs) -> tuple[Bucket, bool]:
    """Create (or adopt) the bucket and wait until it is active; returns (bucket, adopted)."""
    name = inputs.bucket_name
    poller = Poller(inputs.client, f"bucket {name}")
    body = BucketCreate(
        bucket_name=name,
        table=inputs.table,
        retention_days=inputs.retention_days,
        display_name=inputs.display_name,
    )
    adopted = False
    while True:
        try:
            created = api.create(body)
        except DynatraceConnectionError as exc:
            if not exc.ambiguous:
                raise
            created = None  # the POST may have landed: look before trying again
        if created is not None:
            break
        existing = api.get(name)
        if existing is None:
            # 409 but not visible (propagation lag), a delete that just finished, or an ambiguous POST.
            if not poller.sleep_or_give_up():
                raise DynatraceTimeoutError(f"bucket {name!r}: the name is taken but the bucket never became visible")
            continue
        if existing.status == "deleting":
            if not poller.sleep_or_give_up():
                raise DynatraceTimeoutError(f"bucket {name!r} is still being deleted after {poller.timeout:g}s")
            continue
        if existing.table != inputs.table:
            raise DynatraceConflictError(
                f"bucket {name!r} already exists with table {existing.table!r}, not {inputs.table!r}; "
                "choose another bucket name (a bucket's table cannot change)"
            )
        adopted = True
        break
    bucket = wait_until_active(api, name, poller)
    if adopted:
        bucket = reconcile(api, inputs, bucket)
    return bucket, adopted


def reconcile(api: BucketApi, inputs: BucketInputs, current: Bucket | None = None) -> Bucket:
    """Bring retention and display name to the inputs: optimistic locking, no write if equal."""
    name = inputs.bucket_name
    poller = Poller(inputs.client, f"bucket {name}")
    for _ in range(inputs.client.conflict_attempts):
        bucket = current if current is not None else api.get(name)
        current = None
        if bucket is None or bucket.status == "deleting":
            raise DynatraceApiError(
                "GET", f"bucket-definitions/{name}", 404, "bucket no longer exists; run `pulumi refresh`"
            )
        patch = _needs_patch(inputs, bucket)
        if patch is None:
            return bucket
        if not bucket.updatable:
            raise DynatraceConflictError(f"bucket {name!r} is not updatable (built-in bucket)")
        if bucket.status != "active":
            wait_until_active(api, name, poller)
            continue
        try:
            return api.patch(name, bucket.version, patch)
        except DynatraceApiError as exc:
            if exc.status != 409:
                raise
            if not poller.sleep_or_give_up():
                break
    raise DynatraceTimeoutError(
        f"bucket {name!r}: update kept conflicting with concurrent changes ({inputs.client.conflict_attempts} attempts)"
    )


class GrailBucketProvider(DynatraceProvider[BucketInputs]):
    """Dynamic provider for one Grail bucket (stateless; safe to pickle by reference)."""

    INPUTS = BucketInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={"bucket_name": str, "table": str, "retention_days": int, "display_name": str},
            replace_on=("bucket_name", "table"),
            optional=("display_name",),
            # The name is the id: a table change must delete the old bucket before re-creating it.
            delete_before_replace=olds.get("bucket_name") == news.get("bucket_name"),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            bucket, adopted = ensure_bucket(BucketApi(client), inputs)
        return CreateResult(inputs.bucket_name, _outs(inputs, bucket, adopted))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.parse(news)
        if not self.changed_fields(olds, inputs):  # only the connection changed
            return self.connection_update(olds, inputs)
        with inputs.open() as client:
            bucket = reconcile(BucketApi(client), inputs)
        return UpdateResult(_outs(inputs, bucket, bool(olds.get("adopted", False))))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse({**props, "bucket_name": props.get("bucket_name", id_)})
        with inputs.open() as client:
            bucket = BucketApi(client).get(id_)
        if bucket is None or bucket.status == "deleting":
            return ReadResult(None, {})
        outs = inputs.props()
        outs.update(
            bucket_name=bucket.bucket_name,
            table=bucket.table,
            retention_days=bucket.retention_days,
            display_name=bucket.display_name,
            status=bucket.status,
            version=bucket.version,
            adopted=bool(props.get("adopted", False)),
        )
        return ReadResult(id_, outs)

    def remove(self, client: DynatraceClient, inputs: BucketInputs, id_: str) -> None:
        BucketApi(client).delete(id_)


@dataclass(frozen=True)
class GrailBucketArgs:
    platform_url: pulumi.Input[str]
    platform_auth: PlatformAuth
    """A platform token or an OAuth client (secrets), with the scopes of
    :data:`~components.dynatrace.scopes.GRAIL_BUCKET`."""
    bucket_name: pulumi.Input[str]
    table: pulumi.Input[str] = "bizevents"
    retention_days: pulumi.Input[int] = 1825
    display_name: pulumi.Input[str] | None = None
    client: ClientSettings | None = None


class GrailBucket(DynatraceResource, module="dynatrace", name="GrailBucket"):
    """A Grail bucket; ``bucket_name`` is its id."""

    SECRET_OUTPUTS: ClassVar[list[str]] = PLATFORM_SECRETS
    OAUTH_SCOPES: ClassVar[tuple[str, ...]] = GRAIL_BUCKET.scopes

    bucket_name: pulumi.Output[str]
    table: pulumi.Output[str]
    retention_days: pulumi.Output[int]
    display_name: pulumi.Output[str]
    status: pulumi.Output[str]
    version: pulumi.Output[int]

    def __init__(self, name: str, args: GrailBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            GrailBucketProvider(),
            name,
            connection=args.platform_auth.connection(args.platform_url, self.OAUTH_SCOPES),
            fields={
                "bucket_name": args.bucket_name,
                "table": args.table,
                "retention_days": args.retention_days,
                "display_name": args.display_name,
            },
            client=args.client,
            opts=opts,
        )
