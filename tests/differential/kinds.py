"""Names the outcome of a Chromium fetch: allowed, or which CORS error (by its console text).

The patterns are the detail strings of the reference digest (fetch-spec.md §B.3, Chromium's
``cors_error_string.cc``) and its template (§B.1). A console line no pattern matches, or whose
"Response to preflight request…" prefix disagrees with the digest's ``IsPreflightError``, is
reported as a difference from the digest: the observations are the truth, the digest a guide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUFFIX = r"(?: Have the server send the header with a valid value\.)?"
# (kind, detail pattern, whether the digest says the preflight prefix applies)
DETAILS: list[tuple[str, str, bool]] = [
    (
        "MissingAllowOriginHeader",
        r"No 'Access-Control-Allow-Origin' header is present on the requested resource\.",
        False,
    ),
    (
        "WildcardOriginNotAllowed",
        r"The value of the 'Access-Control-Allow-Origin' header in the response must not be the "
        r"wildcard '\*' when the request's credentials mode is 'include'\.",
        False,
    ),
    (
        "MultipleAllowOriginValues",
        r"The 'Access-Control-Allow-Origin' header contains multiple values '.*', but only one is "
        r"allowed\." + SUFFIX,
        False,
    ),
    (
        "InvalidAllowOriginValue",
        r"The 'Access-Control-Allow-Origin' header contains the invalid value '.*'\." + SUFFIX,
        False,
    ),
    (
        "AllowOriginMismatch",
        r"The 'Access-Control-Allow-Origin' header has a value '.*' that is not equal to the "
        r"supplied origin\." + SUFFIX,
        False,
    ),
    (
        "InvalidAllowCredentials",
        r"The value of the 'Access-Control-Allow-Credentials' header in the response is '.*' which "
        r"must be 'true' when the request's credentials mode is 'include'\.",
        False,
    ),
    ("PreflightInvalidStatus", r"It does not have HTTP ok status\.", True),
    ("PreflightDisallowedRedirect", r"Redirect is not allowed for a preflight request\.", True),
    (
        "InvalidAllowMethodsPreflightResponse",
        r"Cannot parse Access-Control-Allow-Methods response header field in preflight response\.",
        False,
    ),
    (
        "InvalidAllowHeadersPreflightResponse",
        r"Cannot parse Access-Control-Allow-Headers response header field in preflight response\.",
        False,
    ),
    (
        "MethodDisallowedByPreflightResponse",
        r"Method .* is not allowed by Access-Control-Allow-Methods in preflight response\.",
        False,
    ),
    (
        "HeaderDisallowedByPreflightResponse",
        r"Request header field .* is not allowed by Access-Control-Allow-Headers in preflight "
        r"response\.",
        False,
    ),
    (
        "RedirectContainsCredentials",
        r"Redirect location '.*' contains a username and password, which is disallowed for "
        r"cross-origin requests\.",
        False,
    ),
    ("DisallowedByMode", r"Cross origin requests are not allowed by request mode\.", False),
    ("CorsDisabledScheme", r"Cross origin requests are only supported for protocol schemes: .*\.", False),
]
# Errors that never reach the detail stage: always preflight-prefixed in Chromium's enum.
PREFLIGHT_VARIANTS = {
    "WildcardOriginNotAllowed",
    "MissingAllowOriginHeader",
    "MultipleAllowOriginValues",
    "InvalidAllowOriginValue",
    "AllowOriginMismatch",
    "InvalidAllowCredentials",
}

TEMPLATE = re.compile(
    r"Access to fetch at '(?P<url>[^']*)' (?:\(redirected from '(?P<initial>[^']*)'\) )?"
    r"from origin '(?P<origin>[^']*)' has been blocked by CORS policy: "
    r"(?P<prefix>Response to preflight request doesn't pass access control check: )?"
    r"(?P<detail>.*)",
    re.DOTALL,
)
PREFLIGHT_PREFIX = "Response to preflight request doesn't pass access control check: "


@dataclass(frozen=True)
class Outcome:
    """An outcome: ``kind`` plus, when the text departs from the digest, how."""

    kind: str
    digest_difference: str | None = None


def classify(resolved: bool, console: list[str], error: str | None) -> Outcome:
    """The outcome of one fetch, from whether it resolved, its CORS console lines, its JS error."""
    if resolved:
        return Outcome("allowed")
    if not console:
        if error and error != "TypeError: Failed to fetch":
            return Outcome("TypeError (thrown by fetch)")
        return Outcome("network error (no CORS message)")
    text = console[0]
    if text.startswith("Fetch API cannot load "):
        return Outcome("Blink: Fetch API cannot load")
    match = TEMPLATE.fullmatch(text)
    if match is None:
        return Outcome("unrecognized", "console line does not follow the digest's template §B.1")
    detail, prefixed = match["detail"], match["prefix"] is not None
    for kind, pattern, digest_prefixed in DETAILS:
        if re.fullmatch(pattern, detail, re.DOTALL):
            name = f"Preflight{kind}" if prefixed and kind in PREFLIGHT_VARIANTS else kind
            expected_prefix = digest_prefixed or (prefixed and kind in PREFLIGHT_VARIANTS)
            if prefixed != expected_prefix:
                return Outcome(
                    name, f"preflight prefix {'present' if prefixed else 'absent'}, digest says otherwise"
                )
            return Outcome(name)
    return Outcome("unrecognized", f"detail matches no digest string: {detail!r}")
