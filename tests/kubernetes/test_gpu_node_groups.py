"""GPU node groups, the EKS cluster (existing or created), the Kubernetes provider, the device plugin."""

from __future__ import annotations

import json
from typing import Any

import yaml

from components.aws.iam import NODE_POLICIES
from tests.kubernetes.conftest import NS, Run, config_for, is_secret, run_kubernetes

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _gpu_node_groups(run: Run) -> dict[str, dict[str, Any]]:
    groups = {}
    for resource in run.of_type(NODE_GROUP):
        inputs = resource.plain
        if inputs.get("taints"):
            groups[inputs["nodeGroupName"]] = inputs
    return groups


def _policies_of_role(run: Run, role_logical_name: str) -> set[str]:
    role = run.one("aws:iam/role:Role", role_logical_name)
    physical = role.name  # mock_state: the role's name is its logical name
    return {
        a.plain["policyArn"].rsplit("/", 1)[-1]
        for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.plain["role"] == physical
    }


def test_dev_node_group_is_a_tainted_nvidia_group_on_the_existing_cluster(dev_run: Run) -> None:
    groups = _gpu_node_groups(dev_run)
    assert set(groups) == {"gpu-a10g"}
    group = groups["gpu-a10g"]
    assert group["clusterName"] == "genai-dev"
    assert group["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group["instanceTypes"] == ["g5.2xlarge", "g5.4xlarge"]
    assert group["diskSize"] >= 100
    assert group["capacityType"] == "SPOT"
    assert group["taints"] == [GPU_TAINT]
    assert group["labels"]["nvidia.com/gpu.present"] == "true"
    assert group["scalingConfig"] == {"minSize": 0, "desiredSize": 1, "maxSize": 2}
    assert group["updateConfig"] == {"maxUnavailable": 1}
    # Existing cluster: subnets and version come from the aws.eks.get_cluster invoke.
    assert "aws:eks/getCluster:getCluster" in dev_run.invokes
    assert group["subnetIds"] == ["subnet-0aa11bb22cc33dd01", "subnet-0aa11bb22cc33dd02"]
    assert group["version"] == "1.33"
    assert group["tags"]["ai-observability:component"] == "gpu-nodes"
    assert group["tags"]["ai-observability:stack"] == "dev"
    assert group["tags"]["environment"] == "dev"
    # No cluster is created for an existing one.
    assert dev_run.of_type("aws:eks/cluster:Cluster") == []


def test_node_role_has_the_managed_node_policies(dev_run: Run) -> None:
    group = _gpu_node_groups(dev_run)["gpu-a10g"]
    assert group["nodeRoleArn"].endswith("/gpu-a10g-node-role")
    assert _policies_of_role(dev_run, "gpu-a10g-node-role") == set(NODE_POLICIES)
    trust = json.loads(dev_run.one("aws:iam/role:Role", "gpu-a10g-node-role").plain["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_prod_creates_a_private_api_mode_cluster_with_admin_access_entries(prod_run: Run) -> None:
    cluster = prod_run.one("aws:eks/cluster:Cluster").plain
    assert cluster["name"] == "genai-prod"
    assert cluster["version"] == "1.35"
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert vpc["subnetIds"] == [
        "subnet-0a1b2c3d4e5f60001",
        "subnet-0a1b2c3d4e5f60002",
        "subnet-0a1b2c3d4e5f60003",
    ]
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["tags"]["ai-observability:component"] == "eks-cluster"
    entry = prod_run.one("aws:eks/accessEntry:AccessEntry").plain
    assert entry["principalArn"] == "arn:aws:iam::111122223333:role/PlatformAdmin"
    assert entry["type"] == "STANDARD"
    association = prod_run.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").plain
    assert association["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert association["accessScope"] == {"type": "cluster"}
    assert _policies_of_role(prod_run, "eks-cluster-role") == {"AmazonEKSClusterPolicy"}
    # The GPU node groups join the created cluster, on its subnets.
    for group in _gpu_node_groups(prod_run).values():
        assert group["clusterName"] == "genai-prod"
        assert group["subnetIds"] == vpc["subnetIds"]
    assert "aws:eks/getCluster:getCluster" not in prod_run.invokes


def test_created_cluster_has_untainted_system_nodes_and_the_ebs_csi_driver(prod_run: Run) -> None:
    system = prod_run.one(NODE_GROUP, "eks-system-nodes").plain
    assert not system.get("taints")
    assert system["amiType"] == "AL2023_x86_64_STANDARD"
    assert system["scalingConfig"]["minSize"] >= 1
    addons = {a.plain["addonName"]: a.plain for a in prod_run.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"eks-pod-identity-agent", "aws-ebs-csi-driver"}
    association = addons["aws-ebs-csi-driver"]["podIdentityAssociations"][0]
    assert association["serviceAccount"] == "ebs-csi-controller-sa"
    assert _policies_of_role(prod_run, "eks-ebs-csi-role") == {"AmazonEBSCSIDriverPolicy"}
    storage_class = prod_run.one("kubernetes:storage.k8s.io/v1:StorageClass").plain
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["parameters"]["encrypted"] == "true"


def test_prod_mixes_al2023_and_bottlerocket_and_only_al2023_nodes_get_the_plugin_label(prod_run: Run) -> None:
    groups = _gpu_node_groups(prod_run)
    assert groups["gpu-l4"]["amiType"] == "AL2023_x86_64_NVIDIA"
    assert groups["gpu-l40s-x4"]["amiType"] == "BOTTLEROCKET_x86_64_NVIDIA"
    assert groups["gpu-l4"]["labels"]["ai-observability/nvidia-device-plugin"] == "true"
    assert "ai-observability/nvidia-device-plugin" not in groups["gpu-l40s-x4"]["labels"]
    for group in groups.values():
        assert group["taints"] == [GPU_TAINT]
        assert group["labels"]["nvidia.com/gpu.present"] == "true"
        assert group["capacityType"] == "ON_DEMAND"
    # The DaemonSet selects the plugin label: Bottlerocket nodes (own plugin) never get a second one.
    daemonset = prod_run.one(DAEMONSET, "nvidia-device-plugin").plain
    selector = daemonset["spec"]["template"]["spec"]["nodeSelector"]
    assert selector == {"nvidia.com/gpu.present": "true", "ai-observability/nvidia-device-plugin": "true"}
    assert prod_run.outputs["nvidiaDevicePlugin"] is True


def test_device_plugin_daemonset_shape(dev_run: Run) -> None:
    daemonset = dev_run.one(DAEMONSET, "nvidia-device-plugin").plain
    assert daemonset["metadata"]["namespace"] == "kube-system"
    pod = daemonset["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "nvcr.io/nvidia/k8s-device-plugin:v0.17.4"
    assert pod["priorityClassName"] == "system-node-critical"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod["tolerations"]
    assert pod["nodeSelector"]["nvidia.com/gpu.present"] == "true"
    assert pod["volumes"][0]["hostPath"]["path"] == "/var/lib/kubelet/device-plugins"
    assert container["volumeMounts"][0]["mountPath"] == "/var/lib/kubelet/device-plugins"
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False


def _bottlerocket_only(raw: dict[str, Any]) -> None:
    for group in raw[f"{NS}:gpuNodeGroups"]:
        group["amiType"] = "BOTTLEROCKET_x86_64_NVIDIA"


def test_bottlerocket_only_cluster_gets_no_device_plugin() -> None:
    run = run_kubernetes(config_for("prod", _bottlerocket_only))
    assert [r.name for r in run.of_type(DAEMONSET) if "nvidia-device-plugin" in r.name] == []
    assert run.outputs["nvidiaDevicePlugin"] is False
    for group in _gpu_node_groups(run).values():
        assert "ai-observability/nvidia-device-plugin" not in group["labels"]
        assert group["labels"]["nvidia.com/gpu.present"] == "true"
    assert len(run.of_type("kubernetes:apps/v1:Deployment")) == 2  # the NIMs are still there


def test_kubeconfig_is_a_secret_with_aws_eks_get_token(dev_run: Run) -> None:
    provider = dev_run.one("pulumi:providers:kubernetes")
    assert is_secret(provider.inputs["kubeconfig"])
    kubeconfig = yaml.safe_load(provider.plain["kubeconfig"])
    cluster = kubeconfig["clusters"][0]["cluster"]
    assert cluster["server"].startswith("https://")
    assert cluster["server"].endswith(".eks.amazonaws.com")
    assert cluster["certificate-authority-data"]
    exec_ = kubeconfig["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    args = exec_["args"]
    assert args[:2] == ["eks", "get-token"]
    assert args[args.index("--cluster-name") + 1] == "genai-dev"
    assert args[args.index("--region") + 1] == "eu-central-1"


def test_every_kubernetes_object_uses_the_stack_provider(prod_run: Run) -> None:
    objects = prod_run.kubernetes()
    assert len(objects) >= 10
    for resource in objects:
        assert "pulumi:providers:kubernetes::eks-kubernetes::" in resource.provider, resource.name


def test_existing_cluster_with_kubeconfig_context_uses_that_context() -> None:
    def with_context(raw: dict[str, Any]) -> None:
        raw[f"{NS}:eks"]["kubeconfigContext"] = "arn:aws:eks:eu-central-1:111122223333:cluster/genai-dev"

    run = run_kubernetes(config_for("dev", with_context))
    provider = run.one("pulumi:providers:kubernetes").plain
    assert provider["context"] == "arn:aws:eks:eu-central-1:111122223333:cluster/genai-dev"
    assert "kubeconfig" not in provider
    for resource in run.kubernetes():
        assert "eks-kubernetes" in resource.provider


def test_no_eks_means_no_provider() -> None:
    def without_kubernetes(raw: dict[str, Any]) -> None:
        for key in ("eks", "gpuNodeGroups", "nims", "collector", "kong"):
            raw.pop(f"{NS}:{key}")

    run = run_kubernetes(config_for("dev", without_kubernetes))
    assert run.provider is None
    assert run.resources == []


def test_outputs_name_the_cluster_and_node_groups(dev_run: Run, prod_run: Run) -> None:
    assert dev_run.outputs["eksClusterName"] == "genai-dev"
    assert dev_run.outputs["gpuNodeGroupNames"] == ["gpu-a10g"]
    assert prod_run.outputs["eksClusterName"] == "genai-prod"
    assert prod_run.outputs["gpuNodeGroupNames"] == ["gpu-l4", "gpu-l40s-x4"]


def test_workloads_component_owns_the_provider_and_every_kubernetes_object(prod_run: Run) -> None:
    (workloads,) = prod_run.of_type("ai-observability:k8s:Workloads")
    by_urn = {r.urn: r for r in prod_run.resources}

    def ancestors(urn: str) -> list[str]:
        chain = []
        while urn in by_urn and by_urn[urn].parent:
            urn = by_urn[urn].parent
            chain.append(urn)
        return chain

    assert prod_run.one("pulumi:providers:kubernetes").parent == workloads.urn
    objects = prod_run.kubernetes()
    assert {r.type for r in objects} >= {"kubernetes:apps/v1:DaemonSet", "kubernetes:apps/v1:Deployment"}
    for resource in objects:
        assert workloads.urn in ancestors(resource.urn), resource.urn
    # The node groups are AWS resources: they stay outside, at the stack root.
    for group in prod_run.of_type("ai-observability:eks:GpuNodeGroup"):
        assert workloads.urn not in ancestors(group.urn)
