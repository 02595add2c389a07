"""Request rules: what ``fetch()`` does to a request before anything reaches the network.

Owns method normalization and forbidden methods, forbidden request headers, the
CORS-safelisted request-header rules (per-value and aggregate limits, MIME essence, single
range), whether a preflight is needed, and the preflight request Chromium sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from corsight.browser.messages import (
    TypeErrorMessage,
    body_with_get_message,
    forbidden_method_message,
    invalid_header_name_message,
    invalid_header_value_message,
    invalid_method_message,
)
from corsight.browser.urls import Origin, canonical_url, parse_origin
from corsight.httpsyntax import is_forbidden_method, is_token, normalize_method, split_header_values
from corsight.types import HeaderInput

Credentials = Literal["omit", "same-origin", "include"]
BodyKind = Literal["none", "bytes", "stream"]

HTTP_WHITESPACE = "\t\n\r "
SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
FORBIDDEN_HEADER_NAMES = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        # [CR] The standard stopped forbidding User-Agent; Chromium still drops it silently
        # (seen in Chromium 156: no preflight, the browser's own value sent).
        "user-agent",
    }
)
METHOD_OVERRIDE_HEADERS = frozenset({"x-http-method", "x-http-method-override", "x-method-override"})
REQUEST_BODY_HEADER_NAMES = frozenset(
    {"content-encoding", "content-language", "content-location", "content-type"}
)
SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# Chromium safelists these client-hint names too (IsCorsSafelistedHeader) when the value has
# the expected shape; Chromium 156 sends `DPR: 2` without a preflight (verified).
_CHROMIUM_DOUBLE_HINTS = frozenset({"device-memory", "dpr", "downlink"})
_CHROMIUM_INT_HINTS = frozenset({"width", "viewport-width", "rtt"})
_ECT_VALUES = frozenset({"slow-2g", "2g", "3g", "4g"})
MAX_SAFELISTED_VALUE = 128
MAX_SAFELISTED_TOTAL = 1024
INT64_MAX = 2**63 - 1


class RequestError(TypeError):
    """``fetch()`` throws before sending anything (a TypeError in the page)."""

    def __init__(self, message: TypeErrorMessage) -> None:
        super().__init__(message.text)
        self.message = message


# --- methods ---------------------------------------------------------------------------------


def is_cors_safelisted_method(method: str) -> bool:
    """Byte-exact: ``GET``, ``HEAD`` or ``POST`` (after normalization)."""
    return method in SAFELISTED_METHODS


def validate_method(method: str) -> str:
    """What ``fetch()`` does with ``init.method``: TypeError or the normalized method."""
    if not is_token(method):
        raise RequestError(invalid_method_message(method))
    if is_forbidden_method(method):
        raise RequestError(forbidden_method_message(method))
    return normalize_method(method)


# --- header syntax and forbidden headers -------------------------------------------------------


def normalize_header_value(value: str) -> str:
    return value.strip(HTTP_WHITESPACE)


def is_header_value(value: str) -> bool:
    """A normalized value: no NUL/CR/LF, no surrounding whitespace, bytes only (≤ U+00FF)."""
    return (
        value == normalize_header_value(value)
        and not any(c in value for c in "\x00\r\n")
        and all(ord(c) <= 0xFF for c in value)
    )


def is_forbidden_request_header(name: str, value: str) -> bool:
    lower = name.lower()
    if lower in FORBIDDEN_HEADER_NAMES or lower.startswith(("proxy-", "sec-")):
        return True
    if lower in METHOD_OVERRIDE_HEADERS:
        return any(is_forbidden_method(m) for m in split_header_values(value))
    return False


# --- CORS-safelisted request headers ------------------------------------------------------------

_UNSAFE_BYTES = frozenset('"():<>?@[\\]{}\x7f')


def is_cors_unsafe_byte(c: str) -> bool:
    return (ord(c) < 0x20 and c != "\t") or c in _UNSAFE_BYTES


_LANGUAGE_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz *,-.;=")


def mime_essence(value: str) -> str | None:
    """The essence (``type/subtype``, lower-cased) per the MIME Sniffing standard's parser, or
    None on failure. Parameters are irrelevant to the essence and never make parsing fail."""
    text = value.strip(HTTP_WHITESPACE)
    slash = text.find("/")
    if slash <= 0:
        return None
    mime_type = text[:slash]
    rest = text[slash + 1 :]
    semicolon = rest.find(";")
    subtype = (rest if semicolon < 0 else rest[:semicolon]).rstrip(HTTP_WHITESPACE)
    if not is_token(mime_type) or not is_token(subtype):
        return None
    return f"{mime_type.lower()}/{subtype.lower()}"


def parse_single_range(value: str, allow_whitespace: bool = False) -> tuple[int | None, int | None] | None:
    """Fetch's "parse a single range header value"; None on failure."""
    if not value.startswith("bytes"):
        return None
    pos = 5
    n = len(value)

    def skip_ws(p: int) -> int:
        while allow_whitespace and p < n and value[p] in "\t ":
            p += 1
        return p

    def digits(p: int) -> tuple[str, int]:
        start = p
        while p < n and value[p] in "0123456789":
            p += 1
        return value[start:p], p

    pos = skip_ws(pos)
    if pos >= n or value[pos] != "=":
        return None
    pos = skip_ws(pos + 1)
    start_text, pos = digits(pos)
    pos = skip_ws(pos)
    if pos >= n or value[pos] != "-":
        return None
    pos = skip_ws(pos + 1)
    end_text, pos = digits(pos)
    if pos != n:
        return None
    start = int(start_text) if start_text else None
    end = int(end_text) if end_text else None
    # Chromium parses the numbers as int64 and preflights from INT64_MAX on (verified in
    # Chromium 156: 9223372036854775806 passes, 9223372036854775807 does not; WPT's 60 digits).
    if (start is not None and start >= INT64_MAX) or (end is not None and end >= INT64_MAX):
        return None
    if start is None and end is None:
        return None
    if start is not None and end is not None and start > end:
        return None
    return (start, end)


def _is_int_like(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _is_double_like(value: str) -> bool:
    whole, dot, frac = value.partition(".")
    return _is_int_like(whole) and (not dot or _is_int_like(frac))


def is_cors_safelisted_request_header(name: str, value: str, *, chromium: bool = True) -> bool:
    """Fetch's CORS-safelisted request-header test for one (name, value).

    With ``chromium`` (the default) the client-hint names Chromium also safelists are accepted.
    """
    if len(value) > MAX_SAFELISTED_VALUE:
        return False
    lower = name.lower()
    if lower == "accept":
        return not any(is_cors_unsafe_byte(c) for c in value)
    if lower in ("accept-language", "content-language"):
        return all(c in _LANGUAGE_CHARS for c in value)
    if lower == "content-type":
        if any(is_cors_unsafe_byte(c) for c in value):
            return False
        return mime_essence(value) in SAFELISTED_CONTENT_TYPES
    if lower == "range":
        parsed = parse_single_range(value, False)
        return parsed is not None and parsed[0] is not None
    if chromium:
        if lower in _CHROMIUM_DOUBLE_HINTS:
            return _is_double_like(value)
        if lower in _CHROMIUM_INT_HINTS:
            return _is_int_like(value)
        if lower == "ect":
            return value in _ECT_VALUES
        if lower == "save-data":
            return value.lower() == "on"
        if lower == "intervention":
            return True
    return False


def cors_unsafe_request_header_names(
    headers: Iterable[tuple[str, str]], *, chromium: bool = True
) -> list[str]:
    """Names that need the server's permission: sorted, lower-cased, unique.

    Applies the 128-byte per-value rule and the 1024-byte aggregate rule over the values of
    the individually safelisted headers.
    """
    unsafe: set[str] = set()
    potentially_unsafe: set[str] = set()
    total = 0
    for name, value in headers:
        if is_cors_safelisted_request_header(name, value, chromium=chromium):
            potentially_unsafe.add(name.lower())
            total += len(value)
        else:
            unsafe.add(name.lower())
    if total > MAX_SAFELISTED_TOTAL:
        unsafe |= potentially_unsafe
    return sorted(unsafe)


# --- the request as fetch() builds it ---------------------------------------------------------------


@dataclass(frozen=True)
class DroppedHeader:
    name: str
    value: str
    reason: str


@dataclass(frozen=True)
class Request:
    """A request as ``fetch(url, init)`` in a page of ``origin`` would make it, after the API's
    own rules: method normalized, forbidden headers dropped, duplicate names combined (as
    Chromium sends them: one line per name, values joined by ``", "``, names sorted).

    Build one with :func:`prepare_request`.
    """

    url: str
    origin: Origin
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    credentials: Credentials = "same-origin"
    body: BodyKind = "none"
    body_bytes: bytes | None = None
    use_cors_preflight: bool = False
    dropped_headers: tuple[DroppedHeader, ...] = field(default=(), compare=False)
    # Chromium's header-vector order as the request first went out (lower-cased names, see
    # corsight.browser.header_order); a redirect keeps it. Empty: derive it from headers and url.
    header_order: tuple[str, ...] = field(default=(), compare=False)

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for n, v in self.headers:
            if n.lower() == lower:
                return v
        return None

    @property
    def credentials_included(self) -> bool:
        """Whether the CORS rules apply in their credentialed form (mode ``include`` only)."""
        return self.credentials == "include"

    def unsafe_header_names(self) -> list[str]:
        return cors_unsafe_request_header_names(self.headers)


def _header_items(headers: HeaderInput) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def prepare_request(
    url: str,
    *,
    origin: str | Origin,
    method: str = "GET",
    headers: HeaderInput = None,
    credentials: Credentials = "same-origin",
    body: bytes | str | None = None,
    stream_body: bool = False,
    upload_listeners: bool = False,
) -> Request:
    """Apply ``fetch()``'s request rules; raise :class:`RequestError` where fetch throws.

    A ``str`` body gets ``Content-Type: text/plain;charset=UTF-8`` unless one was given, as
    fetch does for a string body; a ``bytes`` body (an ArrayBuffer) gets none. ``stream_body``
    (a ReadableStream) and ``upload_listeners`` (XHR upload events) force a preflight.
    """
    page_origin = origin if isinstance(origin, Origin) else parse_origin(origin)
    canonical = canonical_url(url)
    normalized = validate_method(method)
    has_body = body is not None or stream_body
    if has_body and normalized in ("GET", "HEAD"):
        raise RequestError(body_with_get_message())
    kept: dict[str, tuple[str, list[str]]] = {}
    dropped: list[DroppedHeader] = []
    for raw_name, raw_value in _header_items(headers):
        value = normalize_header_value(raw_value)
        if not is_token(raw_name):
            raise RequestError(invalid_header_name_message())
        if not is_header_value(value):
            raise RequestError(invalid_header_value_message())
        if is_forbidden_request_header(raw_name, value):
            dropped.append(DroppedHeader(raw_name, value, "forbidden request header"))
            continue
        lower = raw_name.lower()
        if lower in kept:
            kept[lower][1].append(value)
        else:
            kept[lower] = (raw_name, [value])
    if isinstance(body, str) and "content-type" not in kept:
        kept["content-type"] = ("Content-Type", ["text/plain;charset=UTF-8"])
    combined = tuple((name, ", ".join(values)) for _, (name, values) in sorted(kept.items()))
    body_bytes = body.encode("utf-8") if isinstance(body, str) else body
    kind: BodyKind = "stream" if stream_body else ("bytes" if body is not None else "none")
    return Request(
        url=canonical,
        origin=page_origin,
        method=normalized,
        headers=combined,
        credentials=credentials,
        body=kind,
        body_bytes=body_bytes,
        use_cors_preflight=stream_body or upload_listeners,
        dropped_headers=tuple(dropped),
    )


# --- preflight -----------------------------------------------------------------------------------


def preflight_reasons(request: Request) -> list[str]:
    """Why a cross-origin request needs a preflight; empty when it does not."""
    reasons: list[str] = []
    if request.use_cors_preflight:
        reasons.append("the body is a stream or upload listeners are registered")
    if not is_cors_safelisted_method(request.method):
        reasons.append(f"method {request.method} is not GET, HEAD or POST")
    unsafe = request.unsafe_header_names()
    if unsafe:
        reasons.append("request headers that are not CORS-safelisted: " + ", ".join(unsafe))
    return reasons


def needs_preflight(request: Request) -> bool:
    return bool(preflight_reasons(request))


def access_control_request_headers(request: Request) -> str | None:
    """The ``Access-Control-Request-Headers`` value: unsafe names joined by ``,`` (no space)."""
    names = request.unsafe_header_names()
    return ",".join(names) if names else None


def preflight_headers(
    request: Request, serialized_origin: str, *, private_network: bool = False
) -> list[tuple[str, str]]:
    """The CORS headers of the preflight, in Chromium's order; ``private_network`` asks for
    the Private Network Access grant too. The request carries no credentials. (Chromium also
    sends Sec-Fetch-*, see :mod:`~corsight.browser.wire`, Referer and User-Agent.)"""
    headers = [("Accept", "*/*"), ("Access-Control-Request-Method", request.method)]
    acrh = access_control_request_headers(request)
    if acrh is not None:
        headers.append(("Access-Control-Request-Headers", acrh))
    if private_network:
        headers.append(("Access-Control-Request-Private-Network", "true"))
    headers.append(("Origin", serialized_origin))
    return headers
