"""NIM model services: namespace, NGC secrets, cache PVC, Deployment shape, Service, endpoints."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.conftest import FAKE_NGC_KEY
from tests.kubernetes.conftest import ENV, NS, Run, config_for, is_secret, redact, run_kubernetes

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SECRET = "kubernetes:core/v1:Secret"
STANDARD_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by")


def _deployment(run: Run, name: str) -> dict[str, Any]:
    return run.one(DEPLOYMENT, f"-{name}-deployment").plain


def test_dev_nim_deployment_follows_the_chart_shape(dev_run: Run) -> None:
    deployment = _deployment(dev_run, "llama-3-1-8b")
    assert deployment["metadata"]["namespace"] == "nim"
    spec = deployment["spec"]
    assert spec["strategy"] == {"type": "Recreate"}  # RWO cache
    assert spec["progressDeadlineSeconds"] == 3600
    template = spec["template"]
    assert template["metadata"]["annotations"] == {
        "metrics.dynatrace.com/scrape": "true",
        "metrics.dynatrace.com/port": "8000",
        "metrics.dynatrace.com/path": "/v1/metrics",
    }
    pod = template["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["ports"] == [{"name": "http-openai", "containerPort": 8000, "protocol": "TCP"}]
    resources = container["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == "1"
    assert resources["limits"]["memory"] == "24Gi"
    probes = {k: container[k] for k in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert probes["startupProbe"]["httpGet"]["path"] == "/v1/health/ready"
    assert probes["startupProbe"]["initialDelaySeconds"] == 40
    assert probes["startupProbe"]["failureThreshold"] * probes["startupProbe"]["periodSeconds"] == 1800
    assert probes["readinessProbe"]["httpGet"]["path"] == "/v1/health/ready"
    assert probes["livenessProbe"]["httpGet"]["path"] == "/v1/health/live"
    for probe in ("readinessProbe", "livenessProbe"):
        assert (probes[probe]["initialDelaySeconds"], probes[probe]["periodSeconds"]) == (15, 10)
        assert probes[probe]["failureThreshold"] == 3
    env = {e["name"]: e for e in container["env"]}
    assert env["NIM_CACHE_PATH"]["value"] == "/opt/nim/.cache"
    assert env["NIM_SERVER_PORT"]["value"] == "8000"
    assert env["NGC_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "llama-3-1-8b-ngc-api", "key": "NGC_API_KEY"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "4Gi"}
    assert volumes["model-cache"]["persistentVolumeClaim"]["claimName"] == "llama-3-1-8b-cache"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts == {"/opt/nim/.cache": "model-cache", "/dev/shm": "dshm", "/tmp": "tmp"}
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true", "eks.amazonaws.com/nodegroup": "gpu-a10g"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod["imagePullSecrets"] == [{"name": "llama-3-1-8b-ngc-pull"}]


def test_nim_pod_is_hardened(dev_run: Run) -> None:
    pod = _deployment(dev_run, "llama-3-1-8b")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    pod_security = pod["securityContext"]
    assert (pod_security["runAsUser"], pod_security["runAsGroup"], pod_security["fsGroup"]) == (1000, 1000, 1000)
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
    security = pod["containers"][0]["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["readOnlyRootFilesystem"] is True


def test_ngc_secrets_hold_the_key_only_as_pulumi_secrets(dev_run: Run) -> None:
    pull = dev_run.one(SECRET, "ngc-pull")
    api = dev_run.one(SECRET, "ngc-api")
    assert pull.plain["type"] == "kubernetes.io/dockerconfigjson"
    assert api.plain["type"] == "Opaque"
    assert is_secret(pull.inputs["stringData"]) or is_secret(pull.inputs["stringData"][".dockerconfigjson"])
    assert is_secret(api.inputs["stringData"]) or is_secret(api.inputs["stringData"]["NGC_API_KEY"])
    docker = json.loads(pull.plain["stringData"][".dockerconfigjson"])
    auth = docker["auths"]["nvcr.io"]
    assert auth["username"] == "$oauthtoken"
    assert auth["password"] == FAKE_NGC_KEY
    assert base64.b64decode(auth["auth"]).decode() == f"$oauthtoken:{FAKE_NGC_KEY}"
    assert api.plain["stringData"] == {"NGC_API_KEY": FAKE_NGC_KEY}
    # With secrets redacted, the key appears nowhere (inputs of every resource, outputs).
    visible = json.dumps([redact(r.inputs) for r in dev_run.resources]) + json.dumps(dev_run.outputs)
    assert FAKE_NGC_KEY not in visible


def test_cache_pvc_and_service(dev_run: Run, prod_run: Run) -> None:
    pvc = dev_run.one("kubernetes:core/v1:PersistentVolumeClaim").plain
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "100Gi"
    assert "storageClassName" not in pvc["spec"]  # existing cluster: its default class
    prod_pvcs = [r.plain for r in prod_run.of_type("kubernetes:core/v1:PersistentVolumeClaim")]
    assert {p["spec"]["storageClassName"] for p in prod_pvcs} == {"gp3"}  # the created cluster's class
    service = dev_run.one("kubernetes:core/v1:Service", "nim-").plain
    assert service["metadata"] == {
        "name": "llama-3-1-8b",
        "namespace": "nim",
        "labels": service["metadata"]["labels"],
    }
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "http-openai", "port": 8000, "targetPort": "http-openai", "protocol": "TCP"}
    ]
    selector = service["spec"]["selector"]
    pod_labels = _deployment(dev_run, "llama-3-1-8b")["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()


def test_shared_namespace_is_created_once_and_endpoints_are_exported(prod_run: Run) -> None:
    namespaces = [n for n in prod_run.of_type("kubernetes:core/v1:Namespace") if n.name.startswith("namespace-")]
    assert [n.plain["metadata"]["name"] for n in namespaces] == ["nim"]
    assert namespaces[0].plain["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert prod_run.outputs["nimEndpoints"] == {
        "nim/llama-3-1-8b": "http://llama-3-1-8b.nim.svc.cluster.local:8000/v1",
        "nim/llama-3-1-70b": "http://llama-3-1-70b.nim.svc.cluster.local:8000/v1",
    }


def test_prod_70b_pins_four_gpus_to_its_bottlerocket_group(prod_run: Run) -> None:
    pod = _deployment(prod_run, "llama-3-1-70b")["spec"]["template"]["spec"]
    resources = pod["containers"][0]["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == "4"
    assert pod["nodeSelector"]["eks.amazonaws.com/nodegroup"] == "gpu-l40s-x4"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["dshm"]["emptyDir"]["sizeLimit"] == "16Gi"


def test_every_object_carries_the_standard_labels(prod_run: Run) -> None:
    for resource in prod_run.kubernetes():
        labels = resource.plain["metadata"]["labels"]
        for key in STANDARD_LABELS:
            assert key in labels, (resource.name, key)
        assert labels["app.kubernetes.io/part-of"] == "ai-observability"
        assert labels["app.kubernetes.io/managed-by"] == "pulumi"


def test_keyless_public_image_needs_no_ngc_key_and_gets_no_secrets() -> None:
    def keyless(raw: dict[str, Any]) -> None:
        raw[f"{NS}:nims"][0]["ngcCredentials"] = False

    env = {k: v for k, v in ENV.items() if k != "NGC_API_KEY"}
    run = run_kubernetes(config_for("dev", keyless, env=env))
    assert [s.name for s in run.of_type(SECRET) if s.name.startswith("nim-")] == []
    pod = _deployment(run, "llama-3-1-8b")["spec"]["template"]["spec"]
    assert "imagePullSecrets" not in pod
    assert "NGC_API_KEY" not in {e["name"] for e in pod["containers"][0]["env"]}


def test_unpinned_nim_selects_any_gpu_node_and_rwx_rolls() -> None:
    def unpinned_rwx(raw: dict[str, Any]) -> None:
        nim = raw[f"{NS}:nims"][0]
        del nim["nodeGroup"]
        nim.update(replicas=2, cacheAccessMode="ReadWriteMany", storageClass="efs-sc")

    run = run_kubernetes(config_for("dev", unpinned_rwx))
    spec = _deployment(run, "llama-3-1-8b")["spec"]
    assert spec["template"]["spec"]["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert spec["replicas"] == 2
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    pvc = run.one("kubernetes:core/v1:PersistentVolumeClaim").plain
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert pvc["spec"]["storageClassName"] == "efs-sc"
