"""The few pieces of HTTP grammar (RFC 9110) and Fetch method rules that both models need:
tokens, header values, comma-separated lists (``Vary``, the ``Access-Control-*`` lists),
forbidden methods and method normalization. Every tool and both models split header lists here.

Checks use ``str.strip(alphabet)``, which runs in C and allocates nothing when the string is
made only of the alphabet: no regular expression runs on the hot path.
"""

from __future__ import annotations

import string
from typing import NamedTuple

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


# --- comma-separated lists ---------------------------------------------------------------------

#: Optional whitespace (``OWS``): what surrounds list items and header values.
OWS = " \t"


def split_list(value: str) -> list[str]:
    """The items of a comma-separated header value (RFC 9110 ``#element``): split on commas,
    trim spaces and tabs, skip empty items. Quotes are not special: no item of the CORS lists,
    ``Vary`` or ``Connection`` can hold one (:func:`split_header_values` is Fetch's
    quote-aware split)."""
    return [item for item in (part.strip(OWS) for part in value.split(",")) if item]


class TokenList(NamedTuple):
    """A ``#token`` list as Chromium parses it: the items, or none and the first bad item."""

    items: list[str]
    invalid: str | None


def parse_token_list(value: str | None) -> TokenList:
    """Parse ``Access-Control-Allow-Methods``/``-Headers``/``-Expose-Headers`` as Chromium does:
    :func:`split_list`, then every item must be a token (an absent header is an empty list)."""
    if value is None:
        return TokenList([], None)
    items = split_list(value)
    for item in items:
        if not is_token(item):
            return TokenList([], item)
    return TokenList(items, None)


def vary_names(value: str | None) -> frozenset[str]:
    """The lower-cased field names a ``Vary`` value lists (``*`` stays ``*``)."""
    return frozenset(split_list(value.lower())) if value else frozenset()


def varies_on(value: str | None, name: str) -> bool:
    """Whether a response whose ``Vary`` is ``value`` varies on the field ``name``: listed, or
    ``*`` (which varies on everything)."""
    names = vary_names(value)
    return name.lower() in names or "*" in names


def split_header_values(value: str) -> list[str]:
    """Fetch's "getting, decoding, and splitting": split on commas outside quoted strings,
    strip tab/space; empty values are kept."""
    values: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        c = value[i]
        if quoted:
            current.append(c)
            if c == "\\" and i + 1 < len(value):
                current.append(value[i + 1])
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
            current.append(c)
        elif c == ",":
            values.append("".join(current).strip(OWS))
            current = []
        else:
            current.append(c)
        i += 1
    values.append("".join(current).strip(OWS))
    return values


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
