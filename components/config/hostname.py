"""Host names the stack connects to: ASCII labels, or IDNA punycode typed on purpose.

A host name is compared and resolved as ASCII. Letters from other scripts look the same as Latin
ones (a Cyrillic ``а`` in ``dynatrace.com``), so a name with any non-ASCII character is refused
and the character named; an internationalized name is written in its ``xn--`` A-label form, which
a reviewer cannot mistake for a Latin name. Rules:

- labels of 1-63 letters, digits and hyphens, not starting or ending with a hyphen (RFC 1123
  section 2.1, the "LDH" rule); at most 253 characters in all (RFC 1035 section 2.3.4);
- an ``xn--`` label must decode as IDNA punycode (RFC 3492, RFC 5890 section 2.3.2.1);
- the last label is not all digits (RFC 3696 section 2) unless the whole name is an IPv4 address;
- one trailing dot (the DNS root, a fully-qualified name) is legal and dropped;
- names are case-insensitive and returned in lower case.
"""

from __future__ import annotations

import ipaddress
import re

from .text import non_ascii

MAX_NAME = 253
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_A_LABEL_PREFIX = "xn--"
_DIGITS = re.compile(r"[0-9]+")


def _a_label_problem(label: str) -> str | None:
    """Why an ``xn--`` label is not a valid IDNA A-label (None when it is)."""
    try:
        unicode = label.encode("ascii").decode("idna")
        round_trip = unicode.encode("idna").decode("ascii")
    except UnicodeError:
        return f"label {label!r} starts with 'xn--' but is not valid IDNA punycode"
    if round_trip.lower() != label or unicode.isascii():
        return f"label {label!r} starts with 'xn--' but is not the IDNA form of an internationalized label"
    return None


def hostname_problem(host: str, *, qualified: bool = True) -> str | None:
    """Why ``host`` (already without port or brackets) is not an acceptable host name or address."""
    name = host[:-1] if host.endswith(".") else host
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return None
    if (where := non_ascii(name)) is not None:
        return (
            f"{where}: host names are ASCII letters, digits and hyphens; write an internationalized name in its "
            "xn-- (punycode) form"
        )
    name = name.lower()
    if not name or len(name) > MAX_NAME:
        return f"must be a host name of 1-{MAX_NAME} characters"
    labels = name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            return (
                f"label {label!r} is not a host name label: 1-63 letters, digits and '-', "
                "starting and ending with a letter or digit"
            )
        if label.startswith(_A_LABEL_PREFIX) and (problem := _a_label_problem(label)) is not None:
            return problem
    if _DIGITS.fullmatch(labels[-1]):
        return "must not end in an all-numeric label (only an IPv4 address is all digits)"
    if qualified and len(labels) < 2:
        return "must be a fully-qualified host name (e.g. abc12345.live.dynatrace.com)"
    return None


def normalized_hostname(host: str) -> str:
    """``host`` as compared and sent: lower case, without the trailing root dot."""
    return (host[:-1] if host.endswith(".") else host).lower()
