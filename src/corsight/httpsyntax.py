"""The few pieces of HTTP grammar (RFC 9110) that both models need: tokens and header values.

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
