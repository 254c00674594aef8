"""What a credential looks like: token shapes and credential-like property / variable names."""

from __future__ import annotations

import re

# Full token shapes only (the 24-character public part alone is a token id, not a secret).
TOKEN_SHAPES: dict[str, re.Pattern[str]] = {
    "Dynatrace API token (dt0c01.)": re.compile(r"dt0c[0-9]{2}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"),
    "Dynatrace platform token (dt0s16.)": re.compile(r"dt0s[0-9]{2}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"),
    "NGC API key (nvapi-)": re.compile(r"nvapi-[A-Za-z0-9_-]{20,}"),
}

# Names of properties / environment variables that hold a credential (DT_API_TOKEN,
# NGC_API_KEY, platform_token, apiToken, password...). Anchored at the end: tokenName or
# SECRET_NAME are references, not credentials.
CREDENTIAL_NAME = re.compile(r"(?i)(token|secret|password|passwd|api[_-]?key|credentials?)$")


def token_kind(value: object) -> str | None:
    """The kind of credential ``value`` contains (anywhere in the text), or None."""
    if not isinstance(value, str):
        return None
    for kind, shape in TOKEN_SHAPES.items():
        if shape.search(value):
            return kind
    return None


def is_credential_name(name: object) -> bool:
    return isinstance(name, str) and CREDENTIAL_NAME.search(name) is not None
