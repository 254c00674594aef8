"""What the stack deploys into the EKS cluster: the Kubernetes provider, the NVIDIA device plugin
and DCGM exporter, the model-cache StorageClass, NIM services and the Dynatrace OTel collector."""
