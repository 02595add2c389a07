"""Every error the browser model can report, with the exact console text browsers print.

This module is the one place that holds message data: Chromium's CORS error kinds
(``network::mojom::CorsError``) with the detail strings of Chromium 156, the request-level
TypeErrors Blink throws, the non-CORS network failures, and the Firefox ``security.properties``
texts that correspond to each kind; also which kinds the credentials mode can cause. Rendering
follows Chromium's ``GetErrorStringForConsoleMessage``: the ``Access to fetch at …`` frame, the
``(redirected from …)`` part, the preflight prefix for the errors Chromium counts as preflight
errors, and hints escaped as ``\\uXXXX`` outside printable ASCII.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CorsError(str, Enum):
    """Chromium's CORS error kinds, named as in Chromium's source (``kMissingAllowOriginHeader``).

    The DevTools protocol name is the same without the leading ``k``.
    """

    DISALLOWED_BY_MODE = "kDisallowedByMode"
    INVALID_RESPONSE = "kInvalidResponse"
    WILDCARD_ORIGIN_NOT_ALLOWED = "kWildcardOriginNotAllowed"
    MISSING_ALLOW_ORIGIN_HEADER = "kMissingAllowOriginHeader"
    MULTIPLE_ALLOW_ORIGIN_VALUES = "kMultipleAllowOriginValues"
    INVALID_ALLOW_ORIGIN_VALUE = "kInvalidAllowOriginValue"
    ALLOW_ORIGIN_MISMATCH = "kAllowOriginMismatch"
    INVALID_ALLOW_CREDENTIALS = "kInvalidAllowCredentials"
    CORS_DISABLED_SCHEME = "kCorsDisabledScheme"
    PREFLIGHT_INVALID_STATUS = "kPreflightInvalidStatus"
    PREFLIGHT_DISALLOWED_REDIRECT = "kPreflightDisallowedRedirect"
    PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED = "kPreflightWildcardOriginNotAllowed"
    PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER = "kPreflightMissingAllowOriginHeader"
    PREFLIGHT_MULTIPLE_ALLOW_ORIGIN_VALUES = "kPreflightMultipleAllowOriginValues"
    PREFLIGHT_INVALID_ALLOW_ORIGIN_VALUE = "kPreflightInvalidAllowOriginValue"
    PREFLIGHT_ALLOW_ORIGIN_MISMATCH = "kPreflightAllowOriginMismatch"
    PREFLIGHT_INVALID_ALLOW_CREDENTIALS = "kPreflightInvalidAllowCredentials"
    INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE = "kInvalidAllowMethodsPreflightResponse"
    INVALID_ALLOW_HEADERS_PREFLIGHT_RESPONSE = "kInvalidAllowHeadersPreflightResponse"
    METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE = "kMethodDisallowedByPreflightResponse"
    HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE = "kHeaderDisallowedByPreflightResponse"
    REDIRECT_CONTAINS_CREDENTIALS = "kRedirectContainsCredentials"
    INSECURE_LOCAL_NETWORK = "kInsecureLocalNetwork"
    INVALID_LOCAL_NETWORK_ACCESS = "kInvalidLocalNetworkAccess"
    LOCAL_NETWORK_ACCESS_PERMISSION_DENIED = "kLocalNetworkAccessPermissionDenied"

    @property
    def devtools_name(self) -> str:
        return self.value[1:]

    @property
    def is_preflight_error(self) -> bool:
        """Whether Chromium prints the ``Response to preflight request …`` prefix."""
        return self in _PREFLIGHT_PREFIXED

    @property
    def preflight_variant(self) -> CorsError:
        """The ``kPreflight…`` kind Chromium reports when this check fails on a preflight."""
        return _TO_PREFLIGHT.get(self, self)


_PREFLIGHT_PREFIXED = frozenset(
    {
        CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED,
        CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER,
        CorsError.PREFLIGHT_MULTIPLE_ALLOW_ORIGIN_VALUES,
        CorsError.PREFLIGHT_INVALID_ALLOW_ORIGIN_VALUE,
        CorsError.PREFLIGHT_ALLOW_ORIGIN_MISMATCH,
        CorsError.PREFLIGHT_INVALID_ALLOW_CREDENTIALS,
        CorsError.PREFLIGHT_INVALID_STATUS,
        CorsError.PREFLIGHT_DISALLOWED_REDIRECT,
    }
)

_TO_PREFLIGHT = {
    CorsError.WILDCARD_ORIGIN_NOT_ALLOWED: CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED,
    CorsError.MISSING_ALLOW_ORIGIN_HEADER: CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER,
    CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES: CorsError.PREFLIGHT_MULTIPLE_ALLOW_ORIGIN_VALUES,
    CorsError.INVALID_ALLOW_ORIGIN_VALUE: CorsError.PREFLIGHT_INVALID_ALLOW_ORIGIN_VALUE,
    CorsError.ALLOW_ORIGIN_MISMATCH: CorsError.PREFLIGHT_ALLOW_ORIGIN_MISMATCH,
    CorsError.INVALID_ALLOW_CREDENTIALS: CorsError.PREFLIGHT_INVALID_ALLOW_CREDENTIALS,
}

# The checks that read the request's credentials mode: '*' in Allow-Origin, Allow-Methods and
# Allow-Headers counts only without credentials, and Allow-Credentials is read only with them.
_READ_CREDENTIALS_MODE = frozenset(
    {
        CorsError.WILDCARD_ORIGIN_NOT_ALLOWED,
        CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED,
        CorsError.INVALID_ALLOW_CREDENTIALS,
        CorsError.PREFLIGHT_INVALID_ALLOW_CREDENTIALS,
        CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE,
        CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE,
    }
)
#: Refusals that the credentials mode does not enter into. Every check is as strict or less
#: without credentials, so the same fetch with credentials ``omit`` takes the same steps and
#: fails with the same error (tests/browser/test_browser_credentials.py holds the model to it).
SAME_WITHOUT_CREDENTIALS = frozenset(CorsError) - _READ_CREDENTIALS_MODE

# Appended for fetch() (not XHR) after the three "bad value" Allow-Origin details. Chromium up to
# M132 also suggested mode 'no-cors' here and after the missing-header detail; 156 does not.
_FETCH_VALID_VALUE_SUFFIX = " Have the server send the header with a valid value."
_LEGACY_NO_CORS_SUFFIX = (
    " If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the"
    " resource with CORS disabled."
)
_LEGACY_VALID_VALUE_SUFFIX = (
    " Have the server send the header with a valid value, or, if an opaque response serves your"
    " needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."
)
_XHR_CREDENTIALS_SUFFIX = (
    " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the"
    " withCredentials attribute."
)
CORS_ENABLED_SCHEMES = "http, data, isolated-app, chrome-extension, chrome, https, chrome-untrusted"

# {hint} is Chromium's failed_parameter; {space} an address-space word (public, local, loopback).
_DETAILS: dict[CorsError, str] = {
    CorsError.DISALLOWED_BY_MODE: "Cross origin requests are not allowed by request mode.",
    CorsError.INVALID_RESPONSE: "The response is invalid.",
    CorsError.WILDCARD_ORIGIN_NOT_ALLOWED: (
        "The value of the 'Access-Control-Allow-Origin' header in the response must not be the"
        " wildcard '*' when the request's credentials mode is 'include'."
    ),
    CorsError.MISSING_ALLOW_ORIGIN_HEADER: (
        "No 'Access-Control-Allow-Origin' header is present on the requested resource."
    ),
    CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES: (
        "The 'Access-Control-Allow-Origin' header contains multiple values '{hint}', but only one is allowed."
    ),
    CorsError.INVALID_ALLOW_ORIGIN_VALUE: (
        "The 'Access-Control-Allow-Origin' header contains the invalid value '{hint}'."
    ),
    CorsError.ALLOW_ORIGIN_MISMATCH: (
        "The 'Access-Control-Allow-Origin' header has a value '{hint}' that is not equal to the"
        " supplied origin."
    ),
    CorsError.INVALID_ALLOW_CREDENTIALS: (
        "The value of the 'Access-Control-Allow-Credentials' header in the response is '{hint}'"
        " which must be 'true' when the request's credentials mode is 'include'."
    ),
    CorsError.CORS_DISABLED_SCHEME: (
        "Cross origin requests are only supported for protocol schemes: " + CORS_ENABLED_SCHEMES + "."
    ),
    CorsError.PREFLIGHT_INVALID_STATUS: "It does not have HTTP ok status.",
    CorsError.PREFLIGHT_DISALLOWED_REDIRECT: "Redirect is not allowed for a preflight request.",
    CorsError.INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE: (
        "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
    ),
    CorsError.INVALID_ALLOW_HEADERS_PREFLIGHT_RESPONSE: (
        "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
    ),
    CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE: (
        "Method {hint} is not allowed by Access-Control-Allow-Methods in preflight response."
    ),
    CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE: (
        "Request header field {hint} is not allowed by Access-Control-Allow-Headers in preflight response."
    ),
    # Chromium 156 builds this status without a failed parameter: the quotes stay empty
    # (verified in real Chromium).
    CorsError.REDIRECT_CONTAINS_CREDENTIALS: (
        "Redirect location '{hint}' contains a username and password, which is disallowed for"
        " cross-origin requests."
    ),
    CorsError.INSECURE_LOCAL_NETWORK: (
        "The request client is not a secure context and the resource is in more-private address"
        " space `{space}`."
    ),
    CorsError.INVALID_LOCAL_NETWORK_ACCESS: (
        "Request had a target IP address space of `{target_space}` yet the resource is in address"
        " space `{space}`."
    ),
    CorsError.LOCAL_NETWORK_ACCESS_PERMISSION_DENIED: (
        "Permission was denied for this request to access the `{space}` address space."
    ),
}
for _kind, _base in _TO_PREFLIGHT.items():
    _DETAILS[_base.preflight_variant] = _DETAILS[_kind]

_VALUE_ERRORS = frozenset(
    {
        CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES,
        CorsError.INVALID_ALLOW_ORIGIN_VALUE,
        CorsError.ALLOW_ORIGIN_MISMATCH,
        CorsError.PREFLIGHT_MULTIPLE_ALLOW_ORIGIN_VALUES,
        CorsError.PREFLIGHT_INVALID_ALLOW_ORIGIN_VALUE,
        CorsError.PREFLIGHT_ALLOW_ORIGIN_MISMATCH,
    }
)
_CREDENTIALS_ERRORS = frozenset(
    {
        CorsError.WILDCARD_ORIGIN_NOT_ALLOWED,
        CorsError.PREFLIGHT_WILDCARD_ORIGIN_NOT_ALLOWED,
        CorsError.INVALID_ALLOW_CREDENTIALS,
        CorsError.PREFLIGHT_INVALID_ALLOW_CREDENTIALS,
    }
)

PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "


def encode_hint(hint: str) -> str:
    """Chromium's ``EncodeHint``: characters outside printable ASCII become ``\\uXXXX``."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E else f"\\u{ord(c):04X}" for c in hint)


def chrome_detail(
    kind: CorsError,
    hint: str = "",
    *,
    initiator: str = "fetch",
    space: str = "",
    target_space: str = "",
    legacy_no_cors_hint: bool = False,
) -> str:
    """The detail sentence(s) Chromium prints for ``kind`` (without the ``Access to …`` frame)."""
    text = _DETAILS[kind].format(hint=encode_hint(hint), space=space, target_space=target_space)
    if initiator == "fetch":
        if kind in _VALUE_ERRORS:
            text += _LEGACY_VALID_VALUE_SUFFIX if legacy_no_cors_hint else _FETCH_VALID_VALUE_SUFFIX
        elif legacy_no_cors_hint and kind in (
            CorsError.MISSING_ALLOW_ORIGIN_HEADER,
            CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER,
        ):
            text += _LEGACY_NO_CORS_SUFFIX
    elif initiator == "XMLHttpRequest" and kind in _CREDENTIALS_ERRORS:
        text += _XHR_CREDENTIALS_SUFFIX
    return text


def chrome_message(
    kind: CorsError,
    *,
    url: str,
    origin: str,
    hint: str = "",
    initial_url: str | None = None,
    initiator: str = "fetch",
    legacy_no_cors_hint: bool = False,
) -> str:
    """The full console line, e.g. ``Access to fetch at 'https://api/' from origin 'https://app'
    has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present …``.

    ``url`` is the last URL requested, ``initial_url`` the first one (when a redirect happened),
    ``origin`` the page's own origin (never the tainted ``null``).
    """
    parts = [f"Access to {initiator} at '{url}' "]
    if initial_url is not None and initial_url != url:
        parts.append(f"(redirected from '{initial_url}') ")
    parts.append(f"from origin '{origin}' has been blocked by CORS policy: ")
    if kind.is_preflight_error:
        parts.append(PREFLIGHT_PREFIX)
    parts.append(chrome_detail(kind, hint, initiator=initiator, legacy_no_cors_hint=legacy_no_cors_hint))
    return "".join(parts)


# --- Firefox ---------------------------------------------------------------------------------

_FF_FRAME = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at "

FIREFOX_TEXTS: dict[str, str] = {
    "CORSDisabled": _FF_FRAME + "{url}. (Reason: CORS disabled).",
    "CORSDidNotSucceed2": _FF_FRAME + "{url}. (Reason: CORS request did not succeed). Status code: {arg}.",
    "CORSOriginHeaderNotAdded": _FF_FRAME
    + "{url}. (Reason: CORS header \u2018Origin\u2019 cannot be added).",
    "CORSExternalRedirectNotAllowed": _FF_FRAME
    + "{url}. (Reason: CORS request external redirect not allowed).",
    "CORSRequestNotHttp": _FF_FRAME + "{url}. (Reason: CORS request not http).",
    "CORSMissingAllowOrigin2": _FF_FRAME
    + "{url}. (Reason: CORS header \u2018Access-Control-Allow-Origin\u2019 missing)."
    " Status code: {arg}.",
    "CORSMultipleAllowOriginNotAllowed": _FF_FRAME
    + "{url}. (Reason: Multiple CORS header \u2018Access-Control-Allow-Origin\u2019 not allowed).",
    "CORSAllowOriginNotMatchingOrigin": _FF_FRAME
    + "{url}. (Reason: CORS header \u2018Access-Control-Allow-Origin\u2019 does not match"
    " \u2018{arg}\u2019).",
    "CORSNotSupportingCredentials": _FF_FRAME
    + "\u2018{url}\u2019. (Reason: Credential is not supported if the CORS header"
    " \u2018Access-Control-Allow-Origin\u2019 is \u2018*\u2019).",
    "CORSMethodNotFound": _FF_FRAME + "{url}. (Reason: Did not find method in CORS header"
    " \u2018Access-Control-Allow-Methods\u2019).",
    "CORSMissingAllowCredentials": _FF_FRAME + "{url}. (Reason: expected \u2018true\u2019 in CORS header"
    " \u2018Access-Control-Allow-Credentials\u2019).",
    "CORSPreflightDidNotSucceed3": _FF_FRAME
    + "{url}. (Reason: CORS preflight response did not succeed). Status code: {arg}.",
    "CORSInvalidAllowMethod": _FF_FRAME + "{url}. (Reason: invalid token \u2018{arg}\u2019 in CORS header"
    " \u2018Access-Control-Allow-Methods\u2019).",
    "CORSInvalidAllowHeader": _FF_FRAME + "{url}. (Reason: invalid token \u2018{arg}\u2019 in CORS header"
    " \u2018Access-Control-Allow-Headers\u2019).",
    "CORSMissingAllowHeaderFromPreflight2": _FF_FRAME
    + "{url}. (Reason: header \u2018{arg}\u2019 is not allowed according to header"
    " \u2018Access-Control-Allow-Headers\u2019 from CORS preflight response).",
}


def firefox_message(key: str, *, url: str, arg: str = "") -> str:
    return FIREFOX_TEXTS[key].format(url=url, arg=arg)


def firefox_key(kind: CorsError, *, allow_origin_lines: int = 0) -> str | None:
    """The Firefox reason that corresponds to a Chromium kind (None where Firefox has none).

    Firefox counts header *lines*: two ``Access-Control-Allow-Origin`` lines are "Multiple …",
    one line ``a, b`` is a mismatch.
    """
    base = kind
    for plain, pre in _TO_PREFLIGHT.items():
        if kind is pre:
            base = plain
    if base is CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES:
        if allow_origin_lines > 1:
            return "CORSMultipleAllowOriginNotAllowed"
        return "CORSAllowOriginNotMatchingOrigin"
    return _FIREFOX_KEYS.get(base)


_FIREFOX_KEYS: dict[CorsError, str] = {
    CorsError.MISSING_ALLOW_ORIGIN_HEADER: "CORSMissingAllowOrigin2",
    CorsError.WILDCARD_ORIGIN_NOT_ALLOWED: "CORSNotSupportingCredentials",
    CorsError.INVALID_ALLOW_ORIGIN_VALUE: "CORSAllowOriginNotMatchingOrigin",
    CorsError.ALLOW_ORIGIN_MISMATCH: "CORSAllowOriginNotMatchingOrigin",
    CorsError.INVALID_ALLOW_CREDENTIALS: "CORSMissingAllowCredentials",
    CorsError.CORS_DISABLED_SCHEME: "CORSRequestNotHttp",
    CorsError.PREFLIGHT_INVALID_STATUS: "CORSPreflightDidNotSucceed3",
    CorsError.PREFLIGHT_DISALLOWED_REDIRECT: "CORSExternalRedirectNotAllowed",
    CorsError.INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE: "CORSInvalidAllowMethod",
    CorsError.INVALID_ALLOW_HEADERS_PREFLIGHT_RESPONSE: "CORSInvalidAllowHeader",
    CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE: "CORSMethodNotFound",
    CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE: "CORSMissingAllowHeaderFromPreflight2",
}


# --- failures that are not CORS errors --------------------------------------------------------


class NetError(str, Enum):
    """Failures below CORS: the browser shows ``net::ERR_…`` and no CORS sentence."""

    CONNECTION_REFUSED = "net::ERR_CONNECTION_REFUSED"
    NAME_NOT_RESOLVED = "net::ERR_NAME_NOT_RESOLVED"
    TIMED_OUT = "net::ERR_TIMED_OUT"
    CONNECTION_RESET = "net::ERR_CONNECTION_RESET"
    SSL_PROTOCOL_ERROR = "net::ERR_SSL_PROTOCOL_ERROR"
    CERT_INVALID = "net::ERR_CERT_AUTHORITY_INVALID"
    INVALID_HTTP_RESPONSE = "net::ERR_INVALID_HTTP_RESPONSE"
    EMPTY_RESPONSE = "net::ERR_EMPTY_RESPONSE"
    TOO_MANY_REDIRECTS = "net::ERR_TOO_MANY_REDIRECTS"
    INVALID_REDIRECT = "net::ERR_INVALID_REDIRECT"
    UNSAFE_REDIRECT = "net::ERR_UNSAFE_REDIRECT"
    FAILED = "net::ERR_FAILED"


NET_ERROR_EXPLANATIONS: dict[NetError, str] = {
    NetError.CONNECTION_REFUSED: "Nothing accepted the connection: the server is not running or"
    " listens on another port.",
    NetError.NAME_NOT_RESOLVED: "The host name does not resolve.",
    NetError.TIMED_OUT: "The server did not answer in time.",
    NetError.CONNECTION_RESET: "The connection was closed before a response arrived.",
    NetError.SSL_PROTOCOL_ERROR: "The TLS handshake failed.",
    NetError.CERT_INVALID: "The server's TLS certificate is not trusted.",
    NetError.INVALID_HTTP_RESPONSE: "The server did not answer with valid HTTP.",
    NetError.EMPTY_RESPONSE: "The connection closed before a complete HTTP response arrived.",
    NetError.TOO_MANY_REDIRECTS: "More than 20 redirects.",
    NetError.INVALID_REDIRECT: "The redirect's Location header is not a valid URL.",
    NetError.UNSAFE_REDIRECT: "The redirect points to a scheme other than http(s).",
    NetError.FAILED: "The request failed.",
}


def chrome_net_message(error: NetError) -> str | None:
    """The console line Chromium prints for a request that never got a usable response
    (observed in Chromium 156 for refused connections and bad redirects; DevTools shows the
    same entry as ``GET <url> net::ERR_…`` in its network log). A bare ``ERR_FAILED`` (a
    same-origin redirect carrying userinfo) prints nothing: the page only sees the TypeError."""
    return None if error is NetError.FAILED else f"Failed to load resource: {error.value}"


@dataclass(frozen=True)
class TypeErrorMessage:
    """A TypeError thrown by ``fetch()`` before anything is sent."""

    text: str

    @property
    def console(self) -> str:
        return f"Uncaught (in promise) TypeError: Failed to execute 'fetch' on 'Window': {self.text}"


def invalid_method_message(method: str) -> TypeErrorMessage:
    return TypeErrorMessage(f"'{method}' is not a valid HTTP method.")


def forbidden_method_message(method: str) -> TypeErrorMessage:
    return TypeErrorMessage(f"'{method}' HTTP method is unsupported.")


def body_with_get_message() -> TypeErrorMessage:
    return TypeErrorMessage("Request with GET/HEAD method cannot have body.")


def invalid_header_name_message() -> TypeErrorMessage:
    return TypeErrorMessage("Invalid name")


def invalid_header_value_message() -> TypeErrorMessage:
    return TypeErrorMessage("Invalid value")
