"""Redirects of a CORS request: the Location URL, userinfo, method rewriting, header removal,
and the origin taint that turns ``Origin`` into ``null``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from corsight.browser.checks import get_header
from corsight.browser.header_order import request_header_order
from corsight.browser.messages import CorsError, NetError
from corsight.browser.request import REQUEST_BODY_HEADER_NAMES, Request
from corsight.browser.urls import (
    URLError,
    canonical_url,
    has_credentials,
    origin_of,
    same_origin,
)
from corsight.types import HeaderLines

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")  # URL scheme syntax
MAX_REDIRECTS = 20


@dataclass(frozen=True)
class RedirectOutcome:
    """Either the next request (``request``, new taint) or an error (CORS kind or net error)."""

    request: Request | None = None
    tainted: bool = False
    location: str = ""
    cors_error: CorsError | None = None
    net_error: NetError | None = None
    detail: str = ""


def rewrite_method(status: int, method: str) -> bool:
    """Whether the redirect turns the request into a body-less GET (301/302 after POST, 303
    after anything but GET/HEAD)."""
    return (status in (301, 302) and method == "POST") or (status == 303 and method not in ("GET", "HEAD"))


def follow_redirect(
    request: Request,
    status: int,
    headers: HeaderLines,
    *,
    redirect_count: int,
    tainted: bool,
    cors_flag: bool,
) -> RedirectOutcome:
    """Apply HTTP-redirect fetch as Chromium does, after the 3xx passed the CORS check.

    ``redirect_count`` is the number of redirects already followed.
    """
    raw = get_header(headers, "location") or ""
    scheme = raw.partition(":")[0].lower()
    if scheme not in ("http", "https") and _SCHEME.fullmatch(scheme):
        # A URL of another scheme (data:, file:, ftp:…) is unsafe, even when Chromium would not
        # parse the rest of it.
        return RedirectOutcome(
            net_error=NetError.UNSAFE_REDIRECT, location=raw, detail=f"Location {raw!r} is not http(s)"
        )
    try:
        location = canonical_url(urljoin(request.url, raw))
    except (URLError, ValueError):
        return RedirectOutcome(
            net_error=NetError.INVALID_REDIRECT, detail=f"Location {raw!r} is not a valid URL"
        )
    if redirect_count >= MAX_REDIRECTS:
        return RedirectOutcome(
            net_error=NetError.TOO_MANY_REDIRECTS,
            location=location,
            detail=f"more than {MAX_REDIRECTS} redirects",
        )
    target = origin_of(location)
    if has_credentials(location):
        detail = f"Location {location!r} contains a username or password"
        if tainted or cors_flag or not same_origin(request.origin, target):
            return RedirectOutcome(
                cors_error=CorsError.REDIRECT_CONTAINS_CREDENTIALS, location=location, detail=detail
            )
        # [CR] The standard lets a same-origin hop carry credentials; Chromium 156 fails the
        # fetch anyway, with no CORS message.
        return RedirectOutcome(net_error=NetError.FAILED, location=location, detail=detail)
    if status not in (303,) and request.body == "stream":
        return RedirectOutcome(
            net_error=NetError.FAILED,
            location=location,
            detail="a streamed body cannot be re-sent after a redirect",
        )
    current = origin_of(request.url)
    method = request.method
    headers_out = list(request.headers)
    body = request.body
    body_bytes = request.body_bytes
    if rewrite_method(status, method):
        method = "GET"
        body = "none"
        body_bytes = None
        headers_out = [(n, v) for n, v in headers_out if n.lower() not in REQUEST_BODY_HEADER_NAMES]
    if not same_origin(current, target):
        headers_out = [(n, v) for n, v in headers_out if n.lower() != "authorization"]
    new_taint = tainted or (not same_origin(target, current) and not same_origin(request.origin, current))
    next_request = Request(
        url=location,
        origin=request.origin,
        method=method,
        headers=tuple(headers_out),
        credentials=request.credentials,
        body=body,
        body_bytes=body_bytes,
        use_cors_preflight=request.use_cors_preflight,
        dropped_headers=request.dropped_headers,
        # [CR] Chromium removes headers from the request's header vector in place, so what
        # remains keeps the order it had on the first request (verified in Chromium 156).
        header_order=request.header_order or tuple(request_header_order(request.headers, request.url)),
    )
    return RedirectOutcome(request=next_request, tainted=new_taint, location=location)
