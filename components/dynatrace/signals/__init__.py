"""AI signals in Dynatrace: metric keys, DQL builders and Davis anomaly detectors."""
