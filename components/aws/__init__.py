"""What the stack builds in AWS: Bedrock event forwarding, guardrails, invocation logging, the
CloudWatch monitoring role, the EKS cluster and its GPU node groups, and their IAM/S3/tag helpers."""
