"""The browser model: what a browser (Chromium 156, per the WHATWG Fetch standard) does with a
cross-origin request and the server's answers. Pure Python, no I/O, no dependency.

- :mod:`~corsight.browser.request` — fetch()'s request rules and the preflight request
- :mod:`~corsight.browser.checks` — CORS check, preflight checks, readable response headers
- :mod:`~corsight.browser.redirects` — redirects and origin taint
- :mod:`~corsight.browser.cache` — the preflight cache
- :mod:`~corsight.browser.messages` — error kinds and the exact Chrome/Firefox console texts
- :mod:`~corsight.browser.fetch` — the sans-IO driver tying them together
- :mod:`~corsight.browser.wire` — the header lines Chromium adds, and its ``net::ERR_…`` for
  requests that got no HTTP response
- :mod:`~corsight.browser.private_network` — the Private Network Access preflight and grant
"""

from corsight.browser.cache import PreflightCache
from corsight.browser.checks import (
    Check,
    PreflightResult,
    cors_check,
    evaluate_preflight,
    exposed_header_names,
)
from corsight.browser.fetch import Exchange, Fetch, Outgoing, Response, Verdict, simulate
from corsight.browser.messages import CorsError, NetError, chrome_message, firefox_message
from corsight.browser.request import (
    Request,
    RequestError,
    access_control_request_headers,
    cors_unsafe_request_header_names,
    is_cors_safelisted_request_header,
    is_forbidden_request_header,
    needs_preflight,
    prepare_request,
)
from corsight.browser.urls import Origin, URLError, parse_origin
from corsight.browser.wire import NetworkFailure, net_error, wire_headers
from corsight.httpsyntax import normalize_method

__all__ = [
    "Check",
    "CorsError",
    "Exchange",
    "Fetch",
    "NetError",
    "NetworkFailure",
    "Origin",
    "Outgoing",
    "PreflightCache",
    "PreflightResult",
    "Request",
    "RequestError",
    "Response",
    "URLError",
    "Verdict",
    "access_control_request_headers",
    "chrome_message",
    "cors_check",
    "cors_unsafe_request_header_names",
    "evaluate_preflight",
    "exposed_header_names",
    "firefox_message",
    "is_cors_safelisted_request_header",
    "is_forbidden_request_header",
    "needs_preflight",
    "net_error",
    "normalize_method",
    "parse_origin",
    "prepare_request",
    "simulate",
    "wire_headers",
]
