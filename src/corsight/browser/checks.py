"""Checks on responses: the CORS check, the preflight checks, and which headers script can read.

Every function takes plain data (header lists as ``(name, value)`` pairs, one per line as
received) and returns outcomes that name the Chromium error kind and the hint Chromium prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from corsight.browser.header_order import preflight_check_order
from corsight.browser.messages import CorsError
from corsight.browser.request import Request, is_cors_safelisted_method
from corsight.browser.urls import URLError, canonical_url
from corsight.httpsyntax import parse_token_list
from corsight.types import HeaderLines

SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
OK_STATUSES = range(200, 300)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_AGE = 5
CHROMIUM_MAX_AGE = 7200


@dataclass(frozen=True)
class Check:
    """One rule the browser applied: its name, whether it passed, and what was seen."""

    name: str
    passed: bool
    detail: str
    stage: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "stage": self.stage, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class Failure:
    """A failed check's Chromium error kind and hint (``failed_parameter``)."""

    kind: CorsError
    hint: str = ""
    firefox_arg: str = ""


# --- header lists --------------------------------------------------------------------------------


def header_lines(headers: HeaderLines, name: str) -> list[str]:
    lower = name.lower()
    return [v.strip("\t ") for n, v in headers if n.lower() == lower]


def get_header(headers: HeaderLines, name: str) -> str | None:
    """The value the browser sees: all lines joined by ``", "`` (None when absent)."""
    lines = header_lines(headers, name)
    return ", ".join(lines) if lines else None


def is_redirect(status: int, headers: HeaderLines) -> bool:
    """A redirect the network stack follows: 301/302/303/307/308 with a Location (a 300 or a
    3xx without Location is just a non-ok response; verified in Chromium)."""
    return status in REDIRECT_STATUSES and bool(get_header(headers, "location"))


# --- the CORS check --------------------------------------------------------------------------------


def _is_valid_gurl(text: str) -> bool:
    if not text.isascii():
        # [CR] Header bytes outside ASCII make the value invalid (seen in Chromium 156 for
        # 'http://café.test'), where a URL parser would convert the host to punycode.
        return False
    try:
        canonical_url(text)
    except URLError:
        return False
    return True


def allow_origin_check(
    headers: HeaderLines, serialized_origin: str, *, credentials_included: bool
) -> tuple[Failure | None, Check]:
    """Whether the response's ``Access-Control-Allow-Origin`` lets a request that sent
    ``Origin: serialized_origin`` through: the value is that origin exactly, or ``*`` without
    credentials (the first step of Chromium's ``CheckAccess``)."""
    acao = get_header(headers, "access-control-allow-origin")
    if acao == "*":
        if not credentials_included:
            return None, Check("allow-origin", True, "'*' allows any origin (no credentials)")
        detail = "'*' is not accepted when credentials mode is 'include'"
        return Failure(CorsError.WILDCARD_ORIGIN_NOT_ALLOWED), Check("allow-origin", False, detail)
    if acao is None:
        check = Check("allow-origin", False, "no Access-Control-Allow-Origin header")
        return Failure(CorsError.MISSING_ALLOW_ORIGIN_HEADER), check
    if acao == serialized_origin:
        return None, Check("allow-origin", True, f"{acao!r} equals the request's origin")
    if " " in acao or "," in acao:
        lines = len(header_lines(headers, "access-control-allow-origin"))
        kind = CorsError.MULTIPLE_ALLOW_ORIGIN_VALUES
        detail = f"{lines} header line(s) combine to {acao!r}: only one origin is allowed"
    elif acao == "null":
        kind = CorsError.ALLOW_ORIGIN_MISMATCH
        detail = f"'null' is not the request's origin {serialized_origin!r}"
    elif not _is_valid_gurl(acao):
        kind = CorsError.INVALID_ALLOW_ORIGIN_VALUE
        detail = f"{acao!r} is not a valid origin"
    else:
        kind = CorsError.ALLOW_ORIGIN_MISMATCH
        detail = f"{acao!r} is not equal to the request's origin {serialized_origin!r}"
    return Failure(kind, acao, acao), Check("allow-origin", False, detail)


def allow_credentials_check(headers: HeaderLines) -> tuple[Failure | None, Check]:
    """Whether the response lets a credentialed request through: ``Access-Control-Allow-
    Credentials`` is exactly ``true`` (case-sensitive)."""
    acac = get_header(headers, "access-control-allow-credentials")
    if acac != "true":
        seen = "absent" if acac is None else repr(acac)
        check = Check("allow-credentials", False, f"is {seen}; must be exactly 'true'")
        return Failure(CorsError.INVALID_ALLOW_CREDENTIALS, acac or ""), check
    return None, Check("allow-credentials", True, "'true'")


def cors_check(
    headers: HeaderLines, serialized_origin: str, *, credentials_included: bool
) -> tuple[Failure | None, list[Check]]:
    """Chromium's ``CheckAccess`` on a response (actual, redirect, or preflight): the origin,
    then, for a credentialed request, the credentials."""
    failure, origin_check = allow_origin_check(
        headers, serialized_origin, credentials_included=credentials_included
    )
    if failure is not None or not credentials_included:
        return failure, [origin_check]
    failure, credentials_check = allow_credentials_check(headers)
    return failure, [origin_check, credentials_check]


# --- preflight ---------------------------------------------------------------------------------------


def parse_max_age(value: str | None, cap: int = CHROMIUM_MAX_AGE) -> int:
    """Seconds a preflight result may be reused: absent or not an integer ⇒ 5, negative ⇒ 0,
    capped (Chromium: 7200)."""
    if value is None:
        return DEFAULT_MAX_AGE
    negative = value.startswith("-")
    text = value[1:] if negative else value
    if not text.isascii() or not text.isdigit():
        return DEFAULT_MAX_AGE
    digits = text.lstrip("0")
    if len(digits) > 18:
        # Beyond any cap, and int() of thousands of digits costs quadratic time (or raises past
        # Python's 4300-digit limit): such a value is the cap, or 0 when negative.
        return 0 if negative else cap
    return max(0, min(-int(digits or "0") if negative else int(digits or "0"), cap))


@dataclass(frozen=True)
class PreflightResult:
    """What a successful preflight allowed (Chromium's ``PreflightResult``)."""

    methods: frozenset[str]
    headers: frozenset[str]
    credentials: bool
    max_age: int

    def method_failure(self, method: str) -> Failure | None:
        if method in self.methods or is_cors_safelisted_method(method):
            return None
        if not self.credentials and "*" in self.methods:
            return None
        return Failure(CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE, method, method)

    def header_failure(
        self,
        request: Request,
        *,
        authorization_covered_by_wildcard: bool = True,
    ) -> Failure | None:
        """The first unsafe header the result does not allow, in the order Chromium checks them
        (its header-map order, see :mod:`corsight.browser.header_order`). With ``*`` and no
        credentials every name is allowed; Chromium 156 lets ``*`` cover Authorization too
        (verified), the Fetch standard does not (``authorization_covered_by_wildcard=False``)."""
        if not self.credentials and "*" in self.headers:
            if (
                not authorization_covered_by_wildcard
                and request.header("authorization") is not None
                and "authorization" not in self.headers
            ):
                return Failure(
                    CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE,
                    "authorization",
                    "authorization",
                )
            return None
        # [CR] Chromium reports the first refused name in its header vector, whose order comes
        # from Blink's hash map of request headers (verified in Chromium 156).
        for name in preflight_check_order(request):
            if name not in self.headers:
                return Failure(CorsError.HEADER_DISALLOWED_BY_PREFLIGHT_RESPONSE, name, name)
        return None


class PreflightEvaluation(NamedTuple):
    """The preflight checks' outcome: the first failure (None when all passed), every check
    applied, and what the passing preflight allowed (None when one failed)."""

    failure: Failure | None
    checks: list[Check]
    result: PreflightResult | None


def evaluate_preflight(
    request: Request,
    status: int,
    headers: HeaderLines,
    serialized_origin: str,
    *,
    authorization_covered_by_wildcard: bool = True,
    max_age_cap: int = CHROMIUM_MAX_AGE,
) -> PreflightEvaluation:
    """The preflight checks in Chromium's order: redirect, CORS check (with the actual
    request's credentials mode), ok status, ACAM/ACAH syntax, method, headers."""
    checks: list[Check] = []
    if is_redirect(status, headers):
        checks.append(Check("redirect", False, f"the preflight was answered with a {status} redirect"))
        return PreflightEvaluation(Failure(CorsError.PREFLIGHT_DISALLOWED_REDIRECT), checks, None)
    checks.append(Check("redirect", True, "not a redirect"))
    failure, cors_checks = cors_check(
        headers, serialized_origin, credentials_included=request.credentials_included
    )
    checks.extend(cors_checks)
    if failure is not None:
        pre = Failure(failure.kind.preflight_variant, failure.hint, failure.firefox_arg)
        return PreflightEvaluation(pre, checks, None)
    if status not in OK_STATUSES:
        checks.append(Check("ok-status", False, f"status {status} is not in 200-299"))
        return PreflightEvaluation(Failure(CorsError.PREFLIGHT_INVALID_STATUS, "", str(status)), checks, None)
    checks.append(Check("ok-status", True, f"status {status}"))
    methods, bad_method = parse_token_list(get_header(headers, "access-control-allow-methods"))
    if bad_method is not None:
        checks.append(Check("allow-methods-syntax", False, f"{bad_method!r} is not a token"))
        failure = Failure(CorsError.INVALID_ALLOW_METHODS_PREFLIGHT_RESPONSE, "", bad_method)
        return PreflightEvaluation(failure, checks, None)
    allow_headers, bad_header = parse_token_list(get_header(headers, "access-control-allow-headers"))
    if bad_header is not None:
        checks.append(Check("allow-headers-syntax", False, f"{bad_header!r} is not a token"))
        failure = Failure(CorsError.INVALID_ALLOW_HEADERS_PREFLIGHT_RESPONSE, "", bad_header)
        return PreflightEvaluation(failure, checks, None)
    result = PreflightResult(
        methods=frozenset(methods),
        headers=frozenset(h.lower() for h in allow_headers),
        credentials=request.credentials_included,
        max_age=parse_max_age(get_header(headers, "access-control-max-age"), max_age_cap),
    )
    failure = result.method_failure(request.method)
    if failure is not None:
        listed = ", ".join(methods) or "nothing"
        checks.append(
            Check(
                "method",
                False,
                f"{request.method} is not safelisted and not allowed (Access-Control-Allow-"
                f"Methods lists {listed}; matching is case-sensitive"
                + ("; '*' does not count with credentials" if "*" in methods else "")
                + ")",
            )
        )
        return PreflightEvaluation(failure, checks, None)
    checks.append(Check("method", True, _method_detail(request.method, result)))
    failure = result.header_failure(
        request, authorization_covered_by_wildcard=authorization_covered_by_wildcard
    )
    unsafe = request.unsafe_header_names()
    if failure is not None:
        listed = ", ".join(allow_headers) or "nothing"
        checks.append(
            Check(
                "headers",
                False,
                f"{failure.hint} is not allowed (Access-Control-Allow-Headers lists {listed}"
                + ("; '*' does not count with credentials" if "*" in allow_headers else "")
                + ")",
            )
        )
        return PreflightEvaluation(failure, checks, None)
    detail = "allowed: " + ", ".join(unsafe) if unsafe else "no header needs permission"
    checks.append(Check("headers", True, detail))
    if (
        "*" in result.headers
        and not result.credentials
        and "authorization" in unsafe
        and "authorization" not in result.headers
    ):
        checks.append(
            Check(
                "authorization-wildcard",
                True,
                "Chromium 156 lets '*' cover Authorization, but the Fetch standard does not and"
                " browsers are moving to it: list 'authorization' explicitly",
            )
        )
    return PreflightEvaluation(None, checks, result)


def _method_detail(method: str, result: PreflightResult) -> str:
    if method in result.methods:
        return f"{method} is listed in Access-Control-Allow-Methods"
    if is_cors_safelisted_method(method):
        return f"{method} is CORS-safelisted"
    return f"{method} is allowed by '*'"


# --- response headers script can read ------------------------------------------------------------------


def exposed_header_names(headers: HeaderLines, *, credentials_included: bool) -> list[str]:
    """Sorted lower-case names of the response's headers that script can read.

    Safelisted response headers, plus ``Access-Control-Expose-Headers`` items (``*`` means all
    names only without credentials); never Set-Cookie/Set-Cookie2; an ACEH that does not parse
    as a token list exposes nothing extra.
    """
    present = {n.lower() for n, _ in headers}
    items, bad = parse_token_list(get_header(headers, "access-control-expose-headers"))
    exposed = {i.lower() for i in items} if bad is None else set()
    if "*" in exposed and not credentials_included:
        exposed = set(present)
    readable = (present & SAFELISTED_RESPONSE_HEADERS) | (present & exposed)
    return sorted(readable - FORBIDDEN_RESPONSE_HEADERS)
