"""Every OpenPipeline pipeline of the stack stores into a bizevents Grail bucket of the stack and is routed.

A stack rule: applies when the stack creates an ``OpenPipelinePipeline``. Compliant when each
pipeline's storage processor assigns events to a ``GrailBucket`` of the same stack whose table is
``bizevents``, and the stack has an ``OpenPipelineRoute``.

Why: without a bucket-assignment storage processor, GenAI audit events land in the default
bizevents bucket and its short retention; an unrouted pipeline never receives events.

Fix: keep the pipeline's bucket on ``ai-observability:governance.bucket.name`` and keep
``ai-observability:governance`` enabled (it creates the route with the pipeline).
"""

from __future__ import annotations

from pulumi_policy import StackValidationArgs

from ._governance import bizevents_buckets, pipeline_bucket
from ._support import Finding, StackRule, Verdict, judge, label, not_applicable, of_kind, violation


def check(args: StackValidationArgs) -> Verdict:
    """Every pipeline stores into a bizevents Grail bucket of this stack and is routed."""
    pipelines = of_kind(args.resources, "OpenPipelinePipeline")
    if not pipelines:
        return not_applicable("the stack creates no OpenPipeline pipeline")
    buckets = bizevents_buckets(args.resources)
    routes = of_kind(args.resources, "OpenPipelineRoute")
    findings: list[Finding] = []
    for pipeline in pipelines:
        assigned = pipeline_bucket(pipeline.props)
        if assigned not in buckets:
            findings.append(
                violation(
                    f"pipeline {label(pipeline)} stores into {repr(assigned) if assigned else 'no bucket'}, "
                    f"not into a bizevents Grail bucket of this stack ({sorted(buckets) or 'none'})",
                    "without a bucket-assignment storage processor, GenAI audit events land in the default "
                    "bizevents bucket and its short retention",
                    "keep the pipeline's storage processor assigned to ai-observability:governance.bucket.name",
                    urn=pipeline.urn,
                )
            )
        if not routes:
            findings.append(
                violation(
                    f"pipeline {label(pipeline)} has no route",
                    "an unrouted pipeline never receives events",
                    "enable ai-observability:governance (it creates the route with the pipeline)",
                    urn=pipeline.urn,
                )
            )
    return judge(findings)


governance_pipeline_stores_to_bucket = StackRule(
    "governance-pipeline-stores-to-bucket",
    "Every OpenPipeline pipeline of the stack stores into its bizevents governance bucket and is routed.",
    check,
    remediation_steps="Keep the pipeline's bucketAssignment on ai-observability:governance.bucket.name.",
)
