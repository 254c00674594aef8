"""The encrypted gp3 EBS StorageClass the NIM model caches use on a cluster the stack creates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_kubernetes as k8s

from components.config.kubernetes import STACK_STORAGE_CLASS
from components.kubernetes.metadata import k8s_labels

STORAGE_CLASS_NAME: Final = STACK_STORAGE_CLASS
EBS_CSI_PROVISIONER: Final = "ebs.csi.aws.com"


def gp3_parameters() -> dict[str, str]:
    """The EBS CSI driver parameters: gp3 volumes, encrypted, formatted ext4."""
    return {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}


@dataclass(frozen=True)
class Gp3StorageClassArgs:
    provider: k8s.Provider
    depends_on: Sequence[pulumi.Resource] = ()
    """The EBS CSI driver (the class is useless before it runs)."""


class Gp3StorageClass(pulumi.ComponentResource):
    """``ai-observability:k8s:Gp3StorageClass`` — encrypted gp3 EBS volumes for the model caches.

    ``WaitForFirstConsumer`` creates each volume in the availability zone of the node its pod
    lands on. Not the cluster default (existing workloads keep theirs).
    """

    storage_class_name: pulumi.Output[str]

    def __init__(self, name: str, args: Gp3StorageClassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-observability:k8s:Gp3StorageClass", name, None, opts)
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-storage-class",
            metadata={"name": STORAGE_CLASS_NAME, "labels": k8s_labels("ebs-gp3", "storage")},
            provisioner=EBS_CSI_PROVISIONER,
            parameters=gp3_parameters(),
            reclaim_policy="Delete",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on)),
        )
        self.storage_class_name = storage_class.metadata.apply(lambda m: m.name or STORAGE_CLASS_NAME)
        self.register_outputs({"storageClassName": self.storage_class_name})
