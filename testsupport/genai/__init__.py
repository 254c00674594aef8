"""Loopback stand-ins for the model APIs GenAI apps call (OpenAI, Amazon Bedrock Runtime)."""
