"""Policy rules: one concept per module, each module exposing its policy objects."""
