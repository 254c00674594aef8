"""The Pulumi state stores each dynamic provider pickled by reference to its module.

``pulumi refresh`` and ``pulumi destroy`` unpickle the provider saved with a resource, so moving
or renaming a provider module (or class) breaks every stack deployed before the move. These
are the stored names; a change here needs a compatibility shim at the old path first.
"""

from __future__ import annotations

import base64
import pickletools

import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

from components.dynatrace.aws_monitoring import MonitoringConfigProvider, RoleArnProvider
from components.dynatrace.bucket import GrailBucketProvider
from components.dynatrace.document import DocumentProvider
from components.dynatrace.iam_binding import IamPolicyBindingProvider
from components.dynatrace.iam_group import IamGroupProvider
from components.dynatrace.iam_policy import IamPolicyProvider
from components.dynatrace.ingest_token import IngestTokenProvider
from components.dynatrace.pipeline import OpenPipelinePipelineProvider
from components.dynatrace.route import OpenPipelineRouteProvider
from components.dynatrace.settings_object import SettingsObjectProvider

STORED = {
    GrailBucketProvider: "components.dynatrace.bucket",
    IngestTokenProvider: "components.dynatrace.ingest_token",
    OpenPipelinePipelineProvider: "components.dynatrace.pipeline",
    OpenPipelineRouteProvider: "components.dynatrace.route",
    SettingsObjectProvider: "components.dynatrace.settings_object",
    DocumentProvider: "components.dynatrace.document",
    RoleArnProvider: "components.dynatrace.aws_monitoring",
    MonitoringConfigProvider: "components.dynatrace.aws_monitoring",
    IamPolicyProvider: "components.dynatrace.iam_policy",
    IamGroupProvider: "components.dynatrace.iam_group",
    IamPolicyBindingProvider: "components.dynatrace.iam_binding",
}


def _referenced_globals(serialized: str) -> set[str]:
    """``module.name`` of every class the pickle refers to by reference."""
    found: set[str] = set()
    strings: list[str] = []
    for opcode, arg, _ in pickletools.genops(base64.b64decode(serialized)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(str(arg))
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add(f"{strings[-2]}.{strings[-1]}")
        elif opcode.name == "GLOBAL":
            found.add(str(arg).replace(" ", "."))
    return found


@pytest.mark.parametrize("provider", list(STORED), ids=lambda p: p.__name__)
def test_providers_are_stored_under_their_module(provider: type[ResourceProvider]) -> None:
    assert f"{STORED[provider]}.{provider.__name__}" in _referenced_globals(serialize_provider(provider()))
