"""The few pieces of HTTP grammar (RFC 9110) and Fetch method rules that both models need:
tokens, header values, forbidden methods and method normalization.

Checks use ``str.strip(alphabet)``, which runs in C and allocates nothing when the string is
made only of the alphabet: no regular expression runs on the hot path.
"""

from __future__ import annotations

import string

#: ``tchar`` of RFC 9110: what header names and methods are made of.
TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters

#: Bytes that may appear in a header value we send back (visible ASCII, space and tab).
_VALUE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\t"


def is_token(text: str) -> bool:
    """Whether ``text`` is a non-empty HTTP token (a valid method or header name)."""
    return bool(text) and not text.strip(TOKEN_CHARS)


def is_safe_header_value(text: str) -> bool:
    """Whether ``text`` can be sent as a header value: no CR, LF, NUL or other control byte."""
    return not text.strip(_VALUE_CHARS)


#: Methods a browser never lets script send (Fetch: forbidden methods).
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

#: Methods the Fetch standard uppercases whatever case script wrote them in.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})


def normalize_method(method: str) -> str:
    """Uppercase DELETE/GET/HEAD/OPTIONS/POST/PUT case-insensitively; leave others (``patch``)."""
    upper = method.upper()
    return upper if upper in NORMALIZED_METHODS else method


def is_forbidden_method(method: str) -> bool:
    return method.upper() in FORBIDDEN_METHODS
