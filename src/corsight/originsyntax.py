"""The grammar of a serialized origin: which ``Origin`` values a browser can send at all.

Fetch's ``serialized-origin`` is ``scheme "://" host [ ":" port ]``, with the scheme, host and
port written as the URL standard serializes them. A value outside this grammar comes from
something other than a browser (a script, a scanner, a proxy's mangling) and is never matched
against a pattern, handed to a callback or reflected.
"""

from __future__ import annotations

import ipaddress
import string
import unicodedata

#: The default port of each special scheme (URL standard): browsers never serialize it.
DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

#: Schemes no page sending a request has as its origin's: their documents have an opaque
#: origin (sent as ``null``) or take their creator's (``blob:``), sockets are not documents,
#: and browsers no longer load ``ftp:`` pages. Other schemes stay possible: extensions
#: (``chrome-extension:``) and web views (``capacitor:``, ``tauri:``) have tuple origins.
NEVER_ORIGIN_SCHEMES = frozenset(
    {"about", "blob", "data", "file", "filesystem", "ftp", "javascript", "mailto", "tel", "ws", "wss"}
)

#: Longest request ``Origin`` considered at all (bounds the work done on attacker input).
MAX_ORIGIN_LENGTH = 1024
#: Longest DNS label: a longer one resolves nowhere, so no page can have it as its origin.
MAX_LABEL_LENGTH = 63

HOST_CHARS = string.ascii_lowercase + string.digits + "-._"
_SCHEME_CHARS = string.ascii_lowercase + string.digits + "+-."
_IPV6_CHARS = "0123456789abcdef:"
_HEX_DIGITS = "0123456789abcdef"
#: Unicode categories a browser's IDNA mapping never leaves in a name it encodes.
_NEVER_ENCODED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Lu", "Lt"})
_JOINERS = "\u200c\u200d"  # kept, in context, by IDNA 2008


def is_serialized_origin(origin: str) -> bool:
    """Whether ``origin`` is how a browser serializes a tuple origin (Fetch's ``serialized-origin``):
    ``scheme "://" host [ ":" port ]`` and nothing else.

    The scheme is lowercase, and not one whose documents never send a tuple origin
    (:data:`NEVER_ORIGIN_SCHEMES`). The host is lowercase dot-separated labels of letters,
    digits, ``-`` and ``_`` (a browser accepts ``_`` in host names), each 1 to 63 long, ``xn--``
    labels valid punycode; or, when the last label is a number, an IPv4 address in dotted
    decimal with no leading zeros; or an IPv6 address in brackets, written as browsers write it
    (lowercase, no leading zeros, the first longest run of two or more zero pieces as ``::``).
    The port has no leading zero, is 1 to 65535 and is not the scheme's default. ``null`` is not
    a serialized tuple origin: it is matched only when it is listed.

    Cheap: a length bound, ``str`` methods that run in C, and per-label checks only for what
    passed them.
    """
    if len(origin) > MAX_ORIGIN_LENGTH:
        return False
    scheme, sep, rest = origin.partition("://")
    if not sep or not scheme or scheme.strip(_SCHEME_CHARS) or not scheme[0].isalpha():
        return False
    if scheme in NEVER_ORIGIN_SCHEMES:
        return False
    if rest.startswith("["):
        host, bracket, after = rest[1:].partition("]")
        if not bracket or not _is_browser_ipv6(host):
            return False
        colon, port = after[:1], after[1:]
        if after and colon != ":":
            return False
    else:
        host, colon, port = rest.partition(":")
        if not _is_browser_host(host):
            return False
    return not colon or _is_port(port, scheme)


def _is_port(port: str, scheme: str) -> bool:
    return (
        0 < len(port) <= 5
        and port.isascii()
        and port.isdigit()
        and port[0] != "0"
        and int(port) <= 65535
        and port != DEFAULT_PORTS.get(scheme)
    )


def _is_browser_host(host: str) -> bool:
    """A domain as browsers serialize it, or an IPv4 address (see :func:`is_serialized_origin`)."""
    if not host or host.strip(HOST_CHARS):  # also refuses non-ASCII, which browsers punycode
        return False
    last = host.rpartition(".")[2]
    # URL standard: a host whose last label is a number is parsed as IPv4 and serialized in
    # dotted decimal, so any other spelling (127.1, 0x7f.0.0.1, 1.2.3.256) is never sent.
    if last.isdigit() or (last.startswith("0x") and not last[2:].strip(_HEX_DIGITS)):
        return _is_dotted_decimal(host.split("."))
    if host[0] == "." or host[-1] == "." or ".." in host:
        return False
    if len(host) > MAX_LABEL_LENGTH and any(len(label) > MAX_LABEL_LENGTH for label in host.split(".")):
        return False
    return "xn--" not in host or all(
        _is_punycode(label[4:]) for label in host.split(".") if label.startswith("xn--")
    )


def _is_dotted_decimal(labels: list[str]) -> bool:
    return len(labels) == 4 and all(
        label.isdigit() and len(label) <= 3 and int(label) <= 255 and (label == "0" or label[0] != "0")
        for label in labels
    )


def _is_punycode(encoded: str) -> bool:
    """Whether an ``xn--`` label's rest is the punycode of a name a browser would encode.

    It must decode, encode back to itself, and hold only what survives the browser's mapping
    (UTS #46): no control, format (other than the joiners), private-use, unassigned or space
    characters, no capitals (browsers lowercase first), and in normalization form C.
    """
    try:
        decoded = encoded.encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return False
    if decoded.isascii() or decoded.encode("punycode") != encoded.encode("ascii"):
        return False
    if unicodedata.normalize("NFC", decoded) != decoded:
        return False
    return all(char in _JOINERS or unicodedata.category(char) not in _NEVER_ENCODED for char in decoded)


def _is_browser_ipv6(text: str) -> bool:
    if not text or text.strip(_IPV6_CHARS):  # no zone id, no embedded dotted IPv4
        return False
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return serialize_ipv6(int(address)) == text


def serialize_ipv6(value: int) -> str:
    """An IPv6 address as the URL standard (so every browser) serializes it, brackets aside.

    Not ``ipaddress``'s ``compressed``, which writes IPv4-mapped addresses in dotted form on
    recent Pythons."""
    pieces = [(value >> (16 * (7 - i))) & 0xFFFF for i in range(8)]
    start, length, best_start, best_length = 0, 0, -1, 1
    for i, piece in enumerate(pieces):
        if piece:
            length = 0
            continue
        if not length:
            start = i
        length += 1
        if length > best_length:
            best_start, best_length = start, length
    if best_start < 0:
        return ":".join(f"{p:x}" for p in pieces)
    head = ":".join(f"{p:x}" for p in pieces[:best_start])
    tail = ":".join(f"{p:x}" for p in pieces[best_start + best_length :])
    return f"{head}::{tail}"
