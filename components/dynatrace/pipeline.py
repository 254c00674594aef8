"""``OpenPipelinePipeline``: a business-events pipeline (Settings 2.0 schema
``builtin:openpipeline.bizevents.pipelines``) whose storage stage assigns matching events to a
Grail bucket and whose processing stage may run one DQL processor (``processing_script``).

- Idempotent create: the object carries an ``externalId`` derived from the owner (project/stack)
  and the ``customId``; create looks it up first and adopts it (a re-run after a crash never
  duplicates). A "bucket does not exist / not active" rejection — a bucket that is still
  propagating — is retried with bounded backoff instead of failing.
- Update: GET (value + ``updateToken``) → merge only what this stack models (display name, its
  own storage processor and its own processing processor, each found by id) into the live value,
  keeping every field and processor someone else added → PUT with the ``updateToken``; 409 →
  re-read and retry; no write when the merge changes nothing.
- ``customId`` change → replacement. Delete: 404 is success; Dynatrace refuses while a route
  still points at the pipeline (the route is deleted first: it depends on the pipeline).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field, field_validator

from ._provider import (
    AGAIN,
    Again,
    ClassicConnection,
    DynatraceProvider,
    DynatraceResource,
    Poller,
    adopt_or_create,
    classic_connection,
    retry_on_conflict,
)
from .api import SETTINGS_PATH, SettingsApi
from .client import ClientSettings, DynatraceClient
from .errors import DynatraceApiError, DynatraceConflictError
from .models import (
    PIPELINES_SCHEMA,
    BucketAssignment,
    BucketAssignmentProcessor,
    DqlProcessor,
    DqlScript,
    SettingsObject,
    SettingsObjectCreate,
    check_reserved_prefix,
)

_NO_SPACE = re.compile(r"^\S+$")
OUTPUTS_ONLY = ("object_id", "external_id")
DEFAULT_PROCESSOR_ID = "store-governed-events"
DEFAULT_PROCESSOR_DESCRIPTION = "Keep governed GenAI events in the governance bucket for its retention period"
DEFAULT_PROCESSING_ID = "extract-governance-fields"
DEFAULT_PROCESSING_DESCRIPTION = (
    "Name the CloudTrail fields dashboards and auditors filter on (who, what, where, which)"
)


def external_id_for(owner: str, kind: str, name: str) -> str:
    """The stable idempotency key of an object this stack owns (≤ 500 characters)."""
    return f"ai-observability:{owner}:{kind}:{name}"[:500]


class PipelineInputs(ClassicConnection):
    owner: str = Field(min_length=1, max_length=200)
    """``<project>/<stack>``: part of the ``externalId`` so two stacks never adopt each other's pipeline."""
    custom_id: str
    display_name: str = Field(min_length=1, max_length=500)
    bucket_name: str = Field(min_length=1, max_length=100)
    matcher: str = Field(default="true", min_length=1, max_length=4096)
    processor_id: str = Field(default=DEFAULT_PROCESSOR_ID, min_length=4, max_length=100)
    processor_description: str = Field(default=DEFAULT_PROCESSOR_DESCRIPTION, min_length=1, max_length=512)
    processing_script: str | None = Field(default=None, min_length=1, max_length=8192)
    """The processing stage's DQL processor script (None: the stack keeps no processing processor)."""
    processing_id: str = Field(default=DEFAULT_PROCESSING_ID, min_length=4, max_length=100)
    processing_description: str = Field(default=DEFAULT_PROCESSING_DESCRIPTION, min_length=1, max_length=512)

    @field_validator("custom_id")
    @classmethod
    def _custom_id(cls, value: str) -> str:
        if not 4 <= len(value) <= 100 or not _NO_SPACE.match(value):
            raise ValueError("must be 4-100 characters without whitespace")
        return check_reserved_prefix(value)

    @field_validator("processor_description", "processing_description", "matcher", "display_name", "processing_script")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("processor_id", "processing_id", "owner")
    @classmethod
    def _no_whitespace(cls, value: str) -> str:
        if not _NO_SPACE.match(value):
            raise ValueError("must not contain whitespace")
        return value

    @field_validator("processor_id", "processing_id")
    @classmethod
    def _processor_id(cls, value: str) -> str:
        return check_reserved_prefix(value)

    @property
    def external_id(self) -> str:
        return external_id_for(self.owner, "pipeline", self.custom_id)


def our_processor(inputs: PipelineInputs) -> dict[str, Any]:
    return BucketAssignmentProcessor(
        id=inputs.processor_id,
        description=inputs.processor_description,
        matcher=inputs.matcher,
        bucket_assignment=BucketAssignment(bucket_name=inputs.bucket_name),
    ).body()


def our_processing(inputs: PipelineInputs) -> dict[str, Any] | None:
    if inputs.processing_script is None:
        return None
    return DqlProcessor(
        id=inputs.processing_id,
        description=inputs.processing_description,
        dql=DqlScript(script=inputs.processing_script),
    ).body()


def desired_value(inputs: PipelineInputs) -> dict[str, Any]:
    return merge({}, inputs)


def _merge_stage(value: dict[str, Any], stage: str, ours: dict[str, Any] | None, ids: set[str]) -> None:
    """Put ``ours`` (None: remove it) into ``value[stage]``, found by any of ``ids``; first when new."""
    section = dict(value.get(stage) or {})
    processors = [p for p in section.get("processors") or [] if isinstance(p, dict)]
    index = next((i for i, p in enumerate(processors) if p.get("id") in ids), None)
    if ours is None:
        if index is None:
            return
        processors = [p for p in processors if p.get("id") not in ids]
    elif index is None:
        processors.insert(0, ours)  # the stack's processor goes first in its stage
    else:
        processors[index] = {**processors[index], **ours}
        processors = [p for i, p in enumerate(processors) if i == index or p.get("id") not in ids]
    section["processors"] = processors
    value[stage] = section


def merge(
    live: dict[str, Any],
    inputs: PipelineInputs,
    old_processor_id: str | None = None,
    old_processing_id: str | None = None,
) -> dict[str, Any]:
    """``live`` with our fields set; other stages, processors and unknown fields untouched."""
    value = copy.deepcopy(live)
    value["customId"] = inputs.custom_id
    value["displayName"] = inputs.display_name
    _merge_stage(
        value, "processing", our_processing(inputs), {inputs.processing_id, old_processing_id or inputs.processing_id}
    )
    _merge_stage(
        value, "storage", our_processor(inputs), {inputs.processor_id, old_processor_id or inputs.processor_id}
    )
    return value


def observed(inputs: PipelineInputs, obj: SettingsObject) -> dict[str, Any]:
    """Outputs describing the live object in the terms of our inputs (for refresh)."""
    value = obj.value
    mine = _processor(value, "storage", inputs.processor_id)
    processing = _processor(value, "processing", inputs.processing_id)
    outs = inputs.props()
    outs.update(
        custom_id=value.get("customId"),
        display_name=value.get("displayName"),
        bucket_name=((mine or {}).get("bucketAssignment") or {}).get("bucketName"),
        matcher=(mine or {}).get("matcher"),
        processor_description=(mine or {}).get("description"),
        processing_script=((processing or {}).get("dql") or {}).get("script"),
        object_id=obj.object_id,
        external_id=obj.external_id,
    )
    return outs


def _processor(value: dict[str, Any], stage: str, processor_id: str) -> dict[str, Any] | None:
    processors = (value.get(stage) or {}).get("processors") or []
    return next((p for p in processors if isinstance(p, dict) and p.get("id") == processor_id), None)


def bucket_not_ready(exc: DynatraceApiError) -> bool:
    """The "bucket does not exist (yet)" rejection seen right after creating a bucket."""
    return exc.status in (400, 404) and exc.mentions("bucket") and exc.mentions("not exist", "not active", "not ready")


def reconcile(
    api: SettingsApi,
    inputs: PipelineInputs,
    object_id: str,
    *,
    old_processor_id: str | None = None,
    old_processing_id: str | None = None,
    current: SettingsObject | None = None,
) -> int:
    """Merge our fields into the live pipeline; returns the number of writes (0 or 1)."""
    poller = Poller(inputs.client, f"pipeline {inputs.custom_id}")

    def read() -> SettingsObject:
        obj = api.get(object_id)
        if obj is None:
            raise DynatraceApiError(
                "GET", f"{SETTINGS_PATH}/{object_id}", 404, "pipeline no longer exists; run `pulumi refresh`"
            )
        return obj

    def write(obj: SettingsObject) -> int | Again:
        merged = merge(obj.value, inputs, old_processor_id, old_processing_id)
        if merged == obj.value:
            return 0
        try:
            api.update(object_id, merged, obj.update_token)
        except DynatraceApiError as exc:
            if not bucket_not_ready(exc):
                raise
            if not poller.sleep_or_give_up():
                raise
            return AGAIN  # the bucket is still propagating: the poller has waited
        return 1

    return retry_on_conflict(
        inputs.client,
        read,
        write,
        first=current,
        give_up=f"pipeline {inputs.custom_id!r}: update kept conflicting with concurrent changes "
        f"({inputs.client.conflict_attempts} attempts)",
    )


def ensure_pipeline(api: SettingsApi, inputs: PipelineInputs) -> tuple[str, bool]:
    """Adopt the pipeline with our externalId, or create it; returns (objectId, adopted)."""
    poller = Poller(inputs.client, f"pipeline {inputs.custom_id}")

    def also_retry(exc: DynatraceApiError) -> bool:
        if bucket_not_ready(exc):
            return True  # the bucket is still propagating: retry with backoff
        if exc.mentions("customId"):
            raise _foreign_custom_id(api, inputs) from None
        return False

    return adopt_or_create(
        api,
        SettingsObjectCreate(schema_id=PIPELINES_SCHEMA, value=desired_value(inputs), external_id=inputs.external_id),
        adopt=lambda found: reconcile(api, inputs, found.object_id, current=found),
        poller=poller,
        give_up=lambda: (
            f"pipeline {inputs.custom_id!r} could not be created within {poller.timeout:g}s "
            "(bucket not ready or connection failures)"
        ),
        also_retry=also_retry,
    )


def _foreign_custom_id(api: SettingsApi, inputs: PipelineInputs) -> DynatraceConflictError:
    holder = next((o for o in api.list(PIPELINES_SCHEMA) if o.value.get("customId") == inputs.custom_id), None)
    where = f" (objectId {holder.object_id}, externalId {holder.external_id!r})" if holder else ""
    return DynatraceConflictError(
        f"a pipeline with customId {inputs.custom_id!r} already exists{where} and is not managed by this stack "
        f"(expected externalId {inputs.external_id!r}); choose another customId or delete that pipeline"
    )


class OpenPipelinePipelineProvider(DynatraceProvider[PipelineInputs]):
    """Dynamic provider for one bizevents pipeline (stateless; safe to pickle by reference)."""

    INPUTS = PipelineInputs
    OUTPUTS = OUTPUTS_ONLY

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return self.diff_fields(
            olds,
            news,
            compared={
                "custom_id": str,
                "display_name": str,
                "bucket_name": str,
                "matcher": str,
                "processor_id": str,
                "processor_description": str,
                "processing_script": str,
                "processing_id": str,
                "processing_description": str,
            },
            replace_on=("custom_id",),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            object_id, _ = ensure_pipeline(SettingsApi(client), inputs)
        return CreateResult(object_id, {**inputs.props(), "object_id": object_id, "external_id": inputs.external_id})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.parse(news)
        changed = [k for k in self.changed_fields(olds, inputs) if k != "owner"]
        if olds.get("processing_script") is not None and inputs.processing_script is None:
            changed.append("processing_script")  # the stack stops keeping its processing processor
        if not changed:
            return self.connection_update(olds, inputs)
        with inputs.open() as client:
            reconcile(
                SettingsApi(client),
                inputs,
                id_,
                old_processor_id=olds.get("processor_id"),
                old_processing_id=olds.get("processing_id"),
            )
        external_id = olds.get("external_id") or inputs.external_id
        return UpdateResult({**inputs.props(), "object_id": id_, "external_id": external_id})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.parse(props)
        with inputs.open() as client:
            obj = SettingsApi(client).get(id_)
        if obj is None:
            return ReadResult(None, {})
        return ReadResult(id_, observed(inputs, obj))

    def remove(self, client: DynatraceClient, inputs: PipelineInputs, id_: str) -> None:
        SettingsApi(client).delete(id_)


@dataclass(frozen=True)
class OpenPipelinePipelineArgs:
    environment_url: pulumi.Input[str]
    api_token: pulumi.Input[str]
    """Api-Token with the scopes of :data:`~components.dynatrace.scopes.GOVERNANCE_PIPELINE` (pass a secret)."""
    owner: pulumi.Input[str]
    custom_id: pulumi.Input[str]
    display_name: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    matcher: pulumi.Input[str] = "true"
    processor_id: pulumi.Input[str] = DEFAULT_PROCESSOR_ID
    processor_description: pulumi.Input[str] = DEFAULT_PROCESSOR_DESCRIPTION
    processing_script: pulumi.Input[str] | None = None
    """DQL script of the processing stage's processor (None: none)."""
    processing_id: pulumi.Input[str] = DEFAULT_PROCESSING_ID
    processing_description: pulumi.Input[str] = DEFAULT_PROCESSING_DESCRIPTION
    client: ClientSettings | None = None


class OpenPipelinePipeline(DynatraceResource, module="dynatrace", name="OpenPipelinePipeline"):
    """A bizevents pipeline; its id is the settings ``objectId`` (what routing refers to)."""

    SECRET_OUTPUTS: ClassVar[list[str]] = ["api_token"]

    object_id: pulumi.Output[str]
    external_id: pulumi.Output[str]
    custom_id: pulumi.Output[str]
    display_name: pulumi.Output[str]
    bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: OpenPipelinePipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(
            OpenPipelinePipelineProvider(),
            name,
            connection=classic_connection(args.environment_url, args.api_token),
            fields={
                "owner": args.owner,
                "custom_id": args.custom_id,
                "display_name": args.display_name,
                "bucket_name": args.bucket_name,
                "matcher": args.matcher,
                "processor_id": args.processor_id,
                "processor_description": args.processor_description,
                "processing_script": args.processing_script,
                "processing_id": args.processing_id,
                "processing_description": args.processing_description,
            },
            client=args.client,
            opts=opts,
        )
