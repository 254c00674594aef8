"""What EventBridge would deliver: the input-transformer renderer and its delivery context."""
