"""The hand-written scenarios: for each rule of the Fetch standard (and each Chromium deviation)
the correct case and its almost-correct neighbours.

Placeholders in reply header values (``{page}``, ``{api}``, ``{next}``…) are described in
:func:`tests.differential.scenario.expand`.
"""

from __future__ import annotations

from .scenario import Headers, Hop, Reply, Scenario

TEXT = ("Content-Type", "text/plain")
ACAC = ("Access-Control-Allow-Credentials", "true")
CREDENTIALS = ("omit", "same-origin", "include")


def acao(value: str = "{page}") -> tuple[str, str]:
    return ("Access-Control-Allow-Origin", value)


def acam(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Methods", value)


def acah(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Headers", value)


def aceh(value: str) -> tuple[str, str]:
    return ("Access-Control-Expose-Headers", value)


def allow(credentials: str = "include", origin: str = "{page}") -> Headers:
    """ACAO (and ACAC, needed only for credentials "include")."""
    return (acao(origin), ACAC) if credentials == "include" else (acao(origin),)


def ok(*headers: tuple[str, str], status: int = 200) -> Reply:
    return Reply(status, (TEXT, *headers))


def preflight_ok(method: str, names: str = "", credentials: str = "include") -> Reply:
    lines = [*allow(credentials), acam(method)]
    if names:
        lines.append(acah(names))
    return Reply(204, tuple(lines), "")


class Catalog:
    """Collects scenarios, refusing duplicate ids."""

    def __init__(self) -> None:
        self.scenarios: list[Scenario] = []
        self._ids: set[str] = set()

    def add(
        self,
        id: str,
        category: str,
        hops: list[Hop],
        *,
        method: str = "GET",
        headers: Headers = (),
        credentials: str = "same-origin",
        body: str | None = None,
    ) -> None:
        if id in self._ids:
            raise ValueError(f"duplicate scenario id {id}")
        self._ids.add(id)
        self.scenarios.append(Scenario(id, category, tuple(hops), method, headers, credentials, body))


# ACAO values (one list item per header line) and what they exercise.
ACAO_VARIANTS: dict[str, tuple[str, ...]] = {
    "exact": ("{page}",),
    "missing": (),
    "star": ("*",),
    "star-padded": (" * ",),
    "trailing-slash": ("{page}/",),
    "with-path": ("{page}/app",),
    "other-origin": ("{api}",),
    "localhost": ("http://localhost:{page_port}",),
    "https": ("https://{page_host}",),
    "upper-scheme": ("HTTP://{page_host}",),
    "no-port": ("http://127.0.0.1",),
    "null": ("null",),
    "NULL": ("NULL",),
    "invalid": ("foo",),
    "quoted": ('"{page}"',),
    "empty": ("",),
    "list-comma-space": ("{page}, {api}",),
    "list-comma": ("{page},{page}",),
    "list-space": ("{page} {api}",),
    "lines-same": ("{page}", "{page}"),
    "lines-star-origin": ("*", "{page}"),
    "lines-empty-origin": ("", "{page}"),
    "star-comma-origin": ("*, {page}",),
    "trailing-space": ("{page} ",),
    "tab-padded": ("\t{page}\t",),
    "non-ascii": ("http://caf\u00e9.test",),
    "non-ascii-list": ("{page}, http://caf\u00e9.test",),
}

ACAC_VARIANTS: dict[str, tuple[str, ...]] = {
    "true": ("true",),
    "missing": (),
    "TRUE": ("TRUE",),
    "True": ("True",),
    "false": ("false",),
    "empty": ("",),
    "one": ("1",),
    "lines-true-true": ("true", "true"),
    "true-comma-true": ("true, true",),
    "quoted": ('"true"',),
    "padded": (" true ",),
    "non-ascii": ("tru\u00e9",),
}


def simple_requests(c: Catalog) -> None:
    """No preflight: the CORS check on the actual response (ACAO, ACAC)."""
    for name, values in ACAO_VARIANTS.items():
        for credentials in ("same-origin", "include"):
            headers = tuple(acao(v) for v in values) + ((ACAC,) if credentials == "include" else ())
            c.add(f"acao-{name}-{credentials}", "acao", [Hop("api", ok(*headers))], credentials=credentials)
    for name in ("exact", "missing", "star", "trailing-slash", "lines-same", "null"):
        headers = tuple(acao(v) for v in ACAO_VARIANTS[name])
        c.add(f"acao-{name}-omit", "acao", [Hop("api", ok(*headers))], credentials="omit")
        c.add(f"acao-{name}-head", "acao", [Hop("api", ok(*headers))], method="HEAD")
        c.add(f"acao-{name}-post", "acao", [Hop("api", ok(*headers))], method="POST", body="hello")
    for name, values in ACAC_VARIANTS.items():
        for credentials in ("include", "same-origin"):
            headers = (acao(), *(("Access-Control-Allow-Credentials", v) for v in values))
            c.add(f"acac-{name}-{credentials}", "acac", [Hop("api", ok(*headers))], credentials=credentials)
    c.add("acac-star-origin-true", "acac", [Hop("api", ok(acao("*"), ACAC))], credentials="include")
    c.add("acac-star-origin-true-omit", "acac", [Hop("api", ok(acao("*"), ACAC))], credentials="omit")


# Request header sets: whether they need a preflight, and the Access-Control-Request-Headers.
LONG = "a" * 129
HEADER_SETS: dict[str, Headers] = {
    "accept-star": (("Accept", "*/*"),),
    "accept-json": (("Accept", "application/json"),),
    "accept-quote": (("Accept", 'text/"x"'),),
    "accept-128": (("Accept", "a" * 128),),
    "accept-129": (("Accept", LONG),),
    "accept-language-fr": (("Accept-Language", "fr"),),
    "accept-language-q": (("Accept-Language", "en-US,en;q=0.9"),),
    "accept-language-at": (("Accept-Language", "fr@x"),),
    "content-language-eu": (("Content-Language", "eu"),),
    "content-language-paren": (("Content-Language", "a(b)"),),
    "ct-text-plain": (("Content-Type", "text/plain"),),
    "ct-text-plain-charset": (("Content-Type", "text/plain;charset=utf-8"),),
    "ct-text-plain-mixed-case": (("Content-Type", "Text/Plain;charset=UTF-8"),),
    "ct-form": (("Content-Type", "application/x-www-form-urlencoded"),),
    "ct-multipart": (("Content-Type", "multipart/form-data"),),
    "ct-multipart-boundary": (("Content-Type", "multipart/form-data; boundary=x"),),
    "ct-json": (("Content-Type", "application/json"),),
    "ct-json-charset": (("Content-Type", "application/json; charset=utf-8"),),
    "ct-html": (("Content-Type", "text/html"),),
    "ct-space": (("Content-Type", "text /plain"),),
    "ct-trailing-comma": (("Content-Type", "text/plain,"),),
    "ct-list": (("Content-Type", "text/plain, text/html"),),
    "ct-semicolon": (("Content-Type", "text/plain;"),),
    "ct-garbage-param": (("Content-Type", "text/plain;garbage"),),
    "ct-quote-param": (("Content-Type", 'multipart/form-data;"'),),
    "ct-long": (("Content-Type", "text/plain; long=" + "0" * 120),),
    "ct-csp-report": (("Content-Type", "application/csp-report"),),
    "ct-form-typo": (("Content-Type", "application/www-form-urlencoded"),),
    "range-0": (("Range", "bytes=0-"),),
    "range-100-200": (("Range", "bytes=100-200"),),
    "range-suffix": (("Range", "bytes=-500"),),
    "range-reversed": (("Range", "bytes=200-100"),),
    "range-spaces": (("Range", "bytes = 1-2"),),
    "range-multi": (("Range", "bytes=0-1,3-4"),),
    "range-units": (("Range", "items=0-1"),),
    "x-custom": (("X-Custom", "1"),),
    "x-custom-mixed-case": (("X-CuStOm", "1"),),
    "x-custom-empty": (("X-Custom", ""),),
    "two-custom-unsorted": (("X-B", "1"), ("X-A", "2")),
    "custom-duplicated": (("X-A", "1"), ("x-a", "2")),
    "custom-and-safelisted": (("X-Custom", "1"), ("Accept", "*/*"), ("Content-Type", "text/plain")),
    "custom-and-json": (("X-Custom", "1"), ("Content-Type", "application/json")),
    "authorization": (("Authorization", "Bearer token"),),
    "authorization-and-custom": (("Authorization", "Basic dTpw"), ("X-Custom", "1")),
    "cookie-forbidden": (("Cookie", "a=b"),),
    "sec-forbidden": (("Sec-Custom", "1"),),
    "proxy-forbidden": (("Proxy-Custom", "1"),),
    "origin-forbidden": (("Origin", "http://evil.test"),),
    "referer-forbidden": (("Referer", "http://evil.test/"),),
    "accept-encoding-forbidden": (("Accept-Encoding", "identity"),),
    "method-override-trace": (("X-HTTP-Method-Override", "TRACE"),),
    "method-override-patch": (("X-HTTP-Method-Override", "PATCH"),),
    "forbidden-and-custom": (("Cookie", "a=b"), ("X-Custom", "1")),
    "dpr": (("DPR", "2"),),
    "save-data": (("Save-Data", "on"),),
    "downlink": (("Downlink", "1.5"),),
    "width": (("Width", "100"),),
    "viewport-width": (("Viewport-Width", "800"),),
    "rtt": (("RTT", "50"),),
    "ect": (("ECT", "4g"),),
    "device-memory": (("Device-Memory", "8"),),
    "dpr-invalid": (("DPR", "two"),),
    "intervention": (("Intervention", "x"),),
    "safelisted-total-under-1024": (
        ("Accept", "a" * 128),
        ("Accept-Language", "b" * 128),
        ("Content-Language", "c" * 128),
        ("Content-Type", "text/plain;x=" + "d" * 115),
    ),
    "safelisted-total-over-1024": (
        ("Accept", "a" * 128),
        ("Accept-Language", "b" * 128),
        ("Content-Language", "c" * 128),
        ("Content-Type", "text/plain;x=" + "d" * 115),
        ("Width", "1" * 128),
        ("Viewport-Width", "2" * 128),
        ("RTT", "3" * 128),
        ("Device-Memory", "4" * 128),
        ("DPR", "5" * 128),
    ),
    "accept-combined-over-128": (("Accept", "a" * 70), ("Accept", "b" * 70)),
    "ct-padded": (("Content-Type", "  text/plain  "),),
    "ct-empty": (("Content-Type", ""),),
    "ct-json-then-text": (("Content-Type", "application/json"), ("Content-Type", "text/plain")),
    "ct-text-then-text": (("Content-Type", "text/plain"), ("Content-Type", "text/plain")),
    "accept-language-empty": (("Accept-Language", ""),),
    "custom-padded": (("X-Custom", "  1  "),),
    "custom-non-ascii": (("X-Custom", "caf\u00e9"),),
    "accept-non-ascii": (("Accept", "caf\u00e9"),),
    "last-event-id": (("Last-Event-ID", "1"),),
    "cache-control": (("Cache-Control", "no-cache"),),
    "if-modified-since": (("If-Modified-Since", "Tue, 01 Jan 2030 00:00:00 GMT"),),
    "user-agent": (("User-Agent", "custom"),),
    "many-custom": tuple((f"X-H{i:02d}", "v") for i in range(12)),
}


def _names(headers: Headers) -> str:
    return ", ".join(sorted({n.lower() for n, _ in headers}))


def request_headers(c: Catalog) -> None:
    """Which requests a preflight precedes, and the preflight's request headers."""
    for name, headers in HEADER_SETS.items():
        method = "POST" if any(n.lower() == "content-type" for n, _ in headers) else "GET"
        body = "data" if method == "POST" else None
        pre = preflight_ok(method, _names(headers))
        c.add(
            f"hdr-{name}",
            "request-headers",
            [Hop("api", ok(*allow()), pre)],
            method=method,
            headers=headers,
            credentials="include",
            body=body,
        )
    # The same sets against a server that knows nothing of CORS preflights.
    for name in ("x-custom", "ct-json", "accept-129", "range-0", "dpr", "authorization"):
        headers = HEADER_SETS[name]
        c.add(
            f"hdr-{name}-no-preflight-support", "request-headers", [Hop("api", ok(acao()))], headers=headers
        )


METHODS = (
    "GET",
    "get",
    "Get",
    "HEAD",
    "head",
    "POST",
    "post",
    "Post",
    "PUT",
    "put",
    "DELETE",
    "delete",
    "DeLeTe",
    "PATCH",
    "patch",
    "Patch",
    "OPTIONS",
    "options",
    "FOO",
    "chicken",
    "M-SEARCH",
    "*",
)


def methods(c: Catalog) -> None:
    """Method normalization and the case-sensitive Access-Control-Allow-Methods match."""
    for method in METHODS:
        body = None if method.upper() in ("GET", "HEAD") else "payload"
        written = "upper" if method.isupper() else "lower" if method.islower() else "mixed"
        slug = method.lower().replace("*", "star")
        for listed in dict.fromkeys((method, method.upper(), method.lower())):
            key = "same" if listed == method else "upper" if listed == method.upper() else "lower"
            c.add(
                f"method-{slug}-{written}-acam-{key}",
                "methods",
                [Hop("api", ok(acao()), preflight_ok(listed, credentials="same-origin"))],
                method=method,
                body=body,
            )


PREFLIGHT_ACAO = (
    "exact",
    "missing",
    "star",
    "trailing-slash",
    "other-origin",
    "null",
    "invalid",
    "list-comma-space",
    "lines-same",
    "lines-star-origin",
    "empty",
    "localhost",
)


def preflight_checks(c: Catalog) -> None:
    """The preflight response: its CORS check, status, and its method and header lists."""
    for name in PREFLIGHT_ACAO:
        for credentials in ("same-origin", "include"):
            lines = tuple(acao(v) for v in ACAO_VARIANTS[name])
            lines += (ACAC,) if credentials == "include" else ()
            pre = Reply(204, (*lines, acam("PUT")), "")
            c.add(
                f"pf-acao-{name}-{credentials}",
                "preflight-acao",
                [Hop("api", ok(*allow(credentials)), pre)],
                method="PUT",
                body="x",
                credentials=credentials,
            )
    for name in ("missing", "TRUE", "false", "lines-true-true"):
        lines = tuple(("Access-Control-Allow-Credentials", v) for v in ACAC_VARIANTS[name])
        pre = Reply(204, (acao(), *lines, acam("PUT")), "")
        c.add(
            f"pf-acac-{name}",
            "preflight-acao",
            [Hop("api", ok(*allow()), pre)],
            method="PUT",
            body="x",
            credentials="include",
        )

    for status in (
        200,
        201,
        202,
        204,
        206,
        299,
        300,
        301,
        302,
        303,
        304,
        307,
        308,
        400,
        401,
        403,
        404,
        405,
        500,
        502,
        503,
    ):
        lines: Headers = (*allow(), acam("PUT"))
        if status in (301, 302, 303, 307, 308):
            lines += (("Location", "{self}?after-redirect"),)
        c.add(
            f"pf-status-{status}",
            "preflight-status",
            [Hop("api", ok(*allow()), Reply(status, lines, ""))],
            method="PUT",
            body="x",
            credentials="include",
        )
    for status in (200, 404, 500):
        c.add(
            f"pf-status-{status}-no-acao",
            "preflight-status",
            [Hop("api", ok(*allow()), Reply(status, (acam("PUT"),), ""))],
            method="PUT",
        )
    c.add(
        "pf-status-302-no-acao",
        "preflight-status",
        [Hop("api", ok(*allow()), Reply(302, (("Location", "{self}"),), ""))],
        method="PUT",
    )
    c.add(
        "pf-status-404-acam-missing",
        "preflight-status",
        [Hop("api", ok(acao()), Reply(404, (acao(),), ""))],
        method="PUT",
    )

    acam_cases: list[tuple[str, str, tuple[str, ...], str]] = [
        # (id, method, ACAM lines, credentials)
        ("missing", "PUT", (), "same-origin"),
        ("exact", "PUT", ("PUT",), "same-origin"),
        ("lowercase", "PUT", ("put",), "same-origin"),
        ("others", "PUT", ("GET, POST",), "same-origin"),
        ("list", "PUT", ("GET,PUT",), "same-origin"),
        ("list-spaces", "PUT", ("GET , PUT , DELETE",), "same-origin"),
        ("trailing-comma", "PUT", ("PUT,",), "same-origin"),
        ("leading-comma", "PUT", (",PUT",), "same-origin"),
        ("empty-items", "PUT", ("GET,,PUT",), "same-origin"),
        ("space-in-token", "PUT", ("PUT DELETE",), "same-origin"),
        ("paren", "PUT", ("PU(T",), "same-origin"),
        ("quoted", "PUT", ('"PUT"',), "same-origin"),
        ("semicolon", "PUT", ("PUT;",), "same-origin"),
        ("bad-after-good", "PUT", ("PUT, bad value",), "same-origin"),
        ("empty", "PUT", ("",), "same-origin"),
        ("two-lines", "PUT", ("GET", "PUT"), "same-origin"),
        ("star", "PUT", ("*",), "same-origin"),
        ("star-omit", "PUT", ("*",), "omit"),
        ("star-include", "PUT", ("*",), "include"),
        ("star-and-put-include", "PUT", ("*, PUT",), "include"),
        ("exact-include", "PUT", ("PUT",), "include"),
        ("patch-upper", "patch", ("PATCH",), "same-origin"),
        ("patch-lower", "patch", ("patch",), "same-origin"),
        ("patch-star", "patch", ("*",), "same-origin"),
        ("delete-lower", "delete", ("delete",), "same-origin"),
        ("custom-star-include", "FOO", ("*",), "include"),
        ("custom-exact-include", "FOO", ("FOO",), "include"),
    ]
    for id_, method, lines, credentials in acam_cases:
        pre = Reply(204, (*allow(credentials), *(acam(v) for v in lines)), "")
        c.add(
            f"pf-acam-{id_}",
            "allow-methods",
            [Hop("api", ok(*allow(credentials)), pre)],
            method=method,
            body="x",
            credentials=credentials,
        )
    for id_, lines in (("bad", ("bad value",)), ("missing", ()), ("lowercase-get", ("get",))):
        pre = Reply(204, (acao(), acah("x-custom"), *(acam(v) for v in lines)), "")
        c.add(
            f"pf-acam-{id_}-simple-method",
            "allow-methods",
            [Hop("api", ok(acao()), pre)],
            headers=(("X-Custom", "1"),),
        )
    c.add(
        "pf-acam-missing-post-json",
        "allow-methods",
        [Hop("api", ok(acao()), Reply(204, (acao(), acah("content-type")), ""))],
        method="POST",
        headers=(("Content-Type", "application/json"),),
        body="{}",
    )

    custom = (("X-Custom", "1"),)
    auth = (("Authorization", "Bearer t"),)
    two = (("X-B", "1"), ("X-A", "2"))
    acah_cases: list[tuple[str, Headers, tuple[str, ...], str]] = [
        ("missing", custom, (), "same-origin"),
        ("exact", custom, ("x-custom",), "same-origin"),
        ("titlecase", custom, ("X-Custom",), "same-origin"),
        ("uppercase", custom, ("X-CUSTOM",), "same-origin"),
        ("other", custom, ("x-other",), "same-origin"),
        ("list", custom, ("x-other, x-custom",), "same-origin"),
        ("trailing-comma", custom, ("x-custom,",), "same-origin"),
        ("leading-comma", custom, (",x-custom",), "same-origin"),
        ("space-in-token", custom, ("x-custom bad",), "same-origin"),
        ("semicolon", custom, ("x-custom;",), "same-origin"),
        ("at-sign", custom, ("x-custom, @",), "same-origin"),
        ("quoted", custom, ('"x-custom"',), "same-origin"),
        ("empty", custom, ("",), "same-origin"),
        ("two-lines", custom, ("x-other", "x-custom"), "same-origin"),
        ("star", custom, ("*",), "same-origin"),
        ("star-omit", custom, ("*",), "omit"),
        ("star-include", custom, ("*",), "include"),
        ("star-and-name-include", custom, ("*, x-custom",), "include"),
        ("exact-include", custom, ("x-custom",), "include"),
        ("auth-star", auth, ("*",), "same-origin"),
        ("auth-exact", auth, ("authorization",), "same-origin"),
        ("auth-titlecase", auth, ("Authorization",), "same-origin"),
        ("auth-star-and-name", auth, ("*, authorization",), "same-origin"),
        ("auth-star-include", auth, ("*",), "include"),
        ("auth-missing", auth, (), "same-origin"),
        ("auth-and-custom-star", (*auth, *custom), ("*",), "same-origin"),
        ("two-one-listed-b", two, ("x-b",), "same-origin"),
        ("two-one-listed-a", two, ("x-a",), "same-origin"),
        ("two-none-listed", two, (), "same-origin"),
        ("two-both-listed", two, ("X-A,X-B",), "same-origin"),
        ("json-missing", (("Content-Type", "application/json"),), (), "same-origin"),
        ("json-listed", (("Content-Type", "application/json"),), ("content-type",), "same-origin"),
        ("json-star", (("Content-Type", "application/json"),), ("*",), "same-origin"),
        (
            "json-and-custom-none-listed",
            (("Content-Type", "application/json"), ("X-A", "1")),
            (),
            "same-origin",
        ),
        (
            "custom-and-json-none-listed",
            (("X-Z", "1"), ("Content-Type", "application/json")),
            (),
            "same-origin",
        ),
        ("accept-long-and-custom-none-listed", (("Accept", LONG), ("X-B", "1")), (), "same-origin"),
        ("language-and-custom-none-listed", (("Content-Language", "a@b"), ("X-A", "1")), (), "same-origin"),
        ("auth-and-custom-none-listed", (("X-A", "1"), ("Authorization", "t")), (), "same-origin"),
        ("safelisted-not-listed", (("X-Custom", "1"), ("Accept", "*/*")), ("x-custom",), "same-origin"),
    ]
    for id_, headers, lines, credentials in acah_cases:
        pre = Reply(204, (*allow(credentials), acam("POST"), *(acah(v) for v in lines)), "")
        c.add(
            f"pf-acah-{id_}",
            "allow-headers",
            [Hop("api", ok(*allow(credentials)), pre)],
            method="POST",
            headers=headers,
            body="x",
            credentials=credentials,
        )
    c.add(
        "pf-acam-and-acah-invalid",
        "allow-headers",
        [Hop("api", ok(acao()), Reply(204, (acao(), acam("PU T"), acah("x y")), ""))],
        method="PUT",
        headers=custom,
    )
    c.add(
        "pf-acam-disallowed-and-acah-invalid",
        "allow-headers",
        [Hop("api", ok(acao()), Reply(204, (acao(), acam("DELETE"), acah("x y")), ""))],
        method="PUT",
        headers=custom,
    )
    c.add(
        "pf-method-and-header-disallowed",
        "allow-headers",
        [Hop("api", ok(acao()), Reply(204, (acao(), acam("DELETE")), ""))],
        method="PUT",
        headers=custom,
    )
    for value in ("-1", "abc", "0", "86400"):
        c.add(
            f"pf-max-age-{value}",
            "preflight-status",
            [
                Hop(
                    "api",
                    ok(acao()),
                    Reply(204, (acao(), acam("PUT"), ("Access-Control-Max-Age", value)), ""),
                )
            ],
            method="PUT",
        )


def actual_after_preflight(c: Catalog) -> None:
    """A preflight that passes, then an actual response that does not (or does, with odd status)."""
    cases: list[tuple[str, Reply, str]] = [
        ("missing-acao", ok(), "same-origin"),
        ("star", ok(acao("*")), "same-origin"),
        ("star-include", ok(acao("*"), ACAC), "include"),
        ("mismatch", ok(acao("{api}")), "same-origin"),
        ("acac-missing", ok(acao()), "include"),
        ("acac-TRUE", ok(acao(), ("Access-Control-Allow-Credentials", "TRUE")), "include"),
        ("500-acao", ok(acao(), status=500), "same-origin"),
        ("500-no-acao", ok(status=500), "same-origin"),
        ("404-acao", ok(acao(), status=404), "same-origin"),
        ("401-no-acao", ok(status=401), "include"),
        ("204-acao", Reply(204, (acao(),), ""), "same-origin"),
        ("201-acao", ok(acao(), status=201), "same-origin"),
        ("multiple", ok(acao(), acao()), "same-origin"),
    ]
    for id_, actual, credentials in cases:
        pre = preflight_ok("PUT", "x-custom", credentials)
        c.add(
            f"actual-{id_}",
            "actual-after-preflight",
            [Hop("api", actual, pre)],
            method="PUT",
            headers=(("X-Custom", "1"),),
            body="x",
            credentials=credentials,
        )
    for status in (500, 404, 503):
        c.add(f"simple-{status}-no-acao", "actual-after-preflight", [Hop("api", ok(status=status))])
        c.add(f"simple-{status}-acao", "actual-after-preflight", [Hop("api", ok(acao(), status=status))])


EXPOSABLE: Headers = (
    ("X-A", "1"),
    ("X-B", "2"),
    ("Set-Cookie", "sid=1"),
    ("Set-Cookie2", "sid=2"),
    ("Cache-Control", "no-store"),
    ("Content-Language", "en"),
    ("Expires", "0"),
    ("Last-Modified", "Tue, 01 Jan 2030 00:00:00 GMT"),
    ("Pragma", "no-cache"),
    ("Age", "3"),
    ("Server", "scripted"),
    ("Warning", "199 - x"),
    ("X-Empty", ""),
)

ACEH_VARIANTS: dict[str, tuple[str, ...]] = {
    "none": (),
    "one": ("X-A",),
    "lowercase-list": ("x-a, x-b",),
    "star": ("*",),
    "star-and-name": ("*, x-a",),
    "set-cookie-and-star": ("set-cookie, *",),
    "set-cookie": ("Set-Cookie, Set-Cookie2",),
    "age-server-warning": ("Age, Server, Warning",),
    "unparsable": ("x-a, no no",),
    "unparsable-first": ("@#$, x-a",),
    "empty-items": ("x-a,,x-b",),
    "leading-comma": (",x-a",),
    "single-quoted": ("'x-a'",),
    "double-quoted": ('"x-a"',),
    "two-lines": ("x-a", "x-b"),
    "two-lines-one-bad": ("x-a", "no no"),
    "absent-name": ("X-Missing",),
    "empty": ("",),
    "content-length": ("Content-Length, Content-Type",),
}


def exposed_headers(c: Catalog) -> None:
    """Which response headers script may read (Access-Control-Expose-Headers)."""
    for name, values in ACEH_VARIANTS.items():
        for credentials in ("same-origin", "include"):
            if credentials == "include" and name not in (
                "none",
                "one",
                "star",
                "star-and-name",
                "set-cookie-and-star",
                "unparsable",
            ):
                continue
            lines = (*allow(credentials), *EXPOSABLE, *(aceh(v) for v in values))
            c.add(f"aceh-{name}-{credentials}", "expose", [Hop("api", ok(*lines))], credentials=credentials)
    c.add(
        "aceh-star-acao-star",
        "expose",
        [Hop("api", ok(acao("*"), *EXPOSABLE, aceh("*")))],
        credentials="omit",
    )
    c.add(
        "aceh-after-preflight",
        "expose",
        [Hop("api", ok(acao(), *EXPOSABLE, aceh("x-b")), preflight_ok("PUT", "", "same-origin"))],
        method="PUT",
        body="x",
    )


def redirect(status: int = 302, *lines: tuple[str, str], to: str = "{next}") -> Reply:
    return Reply(status, (("Location", to), *lines), "")


def redirects(c: Catalog) -> None:
    """Redirects: the CORS check on each hop, the tainted origin, userinfo, preflight after."""
    a = acao()
    c.add("redir-api-api", "redirect", [Hop("api", redirect(302, a)), Hop("api", ok(a))])
    c.add("redir-api-other-acao-origin", "redirect", [Hop("api", redirect(302, a)), Hop("other", ok(a))])
    c.add(
        "redir-api-other-acao-null",
        "redirect",
        [Hop("api", redirect(302, a)), Hop("other", ok(acao("null")))],
    )
    c.add(
        "redir-api-other-acao-star", "redirect", [Hop("api", redirect(302, a)), Hop("other", ok(acao("*")))]
    )
    c.add(
        "redir-api-far-acao-null",
        "redirect",
        [Hop("api", redirect(302, acao("*"))), Hop("far", ok(acao("null")))],
    )
    c.add("redir-api-page-acao-origin", "redirect", [Hop("api", redirect(302, a)), Hop("page", ok(a))])
    c.add(
        "redir-api-page-acao-null", "redirect", [Hop("api", redirect(302, a)), Hop("page", ok(acao("null")))]
    )
    c.add("redir-api-page-no-acao", "redirect", [Hop("api", redirect(302, a)), Hop("page", ok())])
    c.add("redir-page-api", "redirect", [Hop("page", redirect(302)), Hop("api", ok(a))])
    c.add("redir-page-api-no-acao", "redirect", [Hop("page", redirect(302)), Hop("api", ok())])
    c.add(
        "redir-page-page-api",
        "redirect",
        [Hop("page", redirect(302)), Hop("page", redirect(307)), Hop("api", ok(a))],
    )
    c.add(
        "redir-api-api-other-null",
        "redirect",
        [Hop("api", redirect(302, a)), Hop("api", redirect(302, a)), Hop("other", ok(acao("null")))],
    )
    c.add(
        "redir-api-other-api",
        "redirect",
        [
            Hop("api", redirect(302, a)),
            Hop("other", redirect(302, acao("null"))),
            Hop("api", ok(acao("null"))),
        ],
    )
    c.add("redir-no-acao-on-redirect", "redirect", [Hop("api", redirect(302)), Hop("api", ok(a))])
    c.add(
        "redir-star-include",
        "redirect",
        [Hop("api", redirect(302, acao("*"), ACAC)), Hop("api", ok(a, ACAC))],
        credentials="include",
    )
    c.add(
        "redir-include-ok",
        "redirect",
        [Hop("api", redirect(302, a, ACAC)), Hop("api", ok(a, ACAC))],
        credentials="include",
    )
    c.add(
        "redir-include-acac-missing-on-redirect",
        "redirect",
        [Hop("api", redirect(302, a)), Hop("api", ok(a, ACAC))],
        credentials="include",
    )
    c.add(
        "redir-include-tainted-null",
        "redirect",
        [Hop("api", redirect(302, a, ACAC)), Hop("other", ok(acao("null"), ACAC))],
        credentials="include",
    )
    c.add(
        "redir-mismatch-on-redirect",
        "redirect",
        [Hop("api", redirect(302, acao("{api}"))), Hop("api", ok(a))],
    )
    for status in (301, 303, 307, 308):
        c.add(
            f"redir-status-{status}",
            "redirect",
            [Hop("api", redirect(status, a)), Hop("other", ok(acao("*")))],
        )
    for status in (301, 302, 303, 307):
        c.add(
            f"redir-post-{status}",
            "redirect",
            [
                Hop("api", redirect(status, a)),
                Hop("api", ok(a), preflight_ok("POST", "content-type", "same-origin")),
            ],
            method="POST",
            body="x",
            headers=(("Content-Type", "text/plain"),),
        )
    c.add(
        "redir-post-json-303",
        "redirect",
        [
            Hop("api", redirect(303, a), preflight_ok("POST", "content-type", "same-origin")),
            Hop("api", ok(a)),
        ],
        method="POST",
        body="{}",
        headers=(("Content-Type", "application/json"),),
    )
    c.add(
        "redir-put-303-get",
        "redirect",
        [Hop("api", redirect(303, a), preflight_ok("PUT", "", "same-origin")), Hop("api", ok(a))],
        method="PUT",
        body="x",
    )
    c.add(
        "redir-put-307-repreflight",
        "redirect",
        [
            Hop("api", redirect(307, a), preflight_ok("PUT", "", "same-origin")),
            Hop("api", ok(a), preflight_ok("PUT", "", "same-origin")),
        ],
        method="PUT",
        body="x",
    )
    c.add(
        "redir-put-307-repreflight-denied",
        "redirect",
        [
            Hop("api", redirect(307, a), preflight_ok("PUT", "", "same-origin")),
            Hop("api", ok(a), Reply(204, (a,), "")),
        ],
        method="PUT",
        body="x",
    )
    custom = (("X-Custom", "1"),)
    pf_custom = preflight_ok("GET", "x-custom", "same-origin")
    c.add(
        "redir-custom-api-api",
        "redirect",
        [Hop("api", redirect(307, a), pf_custom), Hop("api", ok(a), pf_custom)],
        headers=custom,
    )
    c.add(
        "redir-custom-page-api",
        "redirect",
        [Hop("page", redirect(302)), Hop("api", ok(a), pf_custom)],
        headers=custom,
    )
    c.add(
        "redir-custom-page-api-denied",
        "redirect",
        [Hop("page", redirect(302)), Hop("api", ok(a), Reply(204, (a,), ""))],
        headers=custom,
    )
    c.add(
        "redir-custom-page-api-no-preflight-support",
        "redirect",
        [Hop("page", redirect(302)), Hop("api", ok(a))],
        headers=custom,
    )
    c.add(
        "redir-custom-api-other-null",
        "redirect",
        [
            Hop("api", redirect(302, a), pf_custom),
            Hop("other", ok(acao("null")), Reply(204, (acao("null"), acah("x-custom")), "")),
        ],
        headers=custom,
    )
    c.add(
        "redir-custom-api-other-preflight-origin",
        "redirect",
        [Hop("api", redirect(302, a), pf_custom), Hop("other", ok(acao("null")), pf_custom)],
        headers=custom,
    )
    c.add(
        "redir-authorization-cross-origin",
        "redirect",
        [
            Hop("api", redirect(302, a), preflight_ok("GET", "authorization", "same-origin")),
            Hop("other", ok(acao("*"))),
        ],
        headers=(("Authorization", "Bearer t"),),
    )
    c.add(
        "redir-authorization-same-origin",
        "redirect",
        [
            Hop("api", redirect(302, a), preflight_ok("GET", "authorization", "same-origin")),
            Hop("api", ok(a), preflight_ok("GET", "authorization", "same-origin")),
        ],
        headers=(("Authorization", "Bearer t"),),
    )
    for who, first in (("api", "api"), ("page", "page")):
        for target in ("api", "other", "page"):
            for info in ("user:pass", "user:", ":pass"):
                key = info.replace(":", "-").strip("-") if info != "user:pass" else "user-pass"
                lines = (a,) if first != "page" else ()
                c.add(
                    f"redir-userinfo-{who}-{target}-{key}",
                    "redirect",
                    [Hop(first, redirect(302, *lines, to=f"{{next@{info}}}")), Hop(target, ok(acao("*")))],
                )
    c.add("redir-no-userinfo-page-page", "redirect", [Hop("page", redirect(302)), Hop("page", ok())])
    c.add(
        "redir-relative-location",
        "redirect",
        [Hop("api", redirect(302, a, to="/s/redir-relative-location/1")), Hop("api", ok(a))],
    )
    c.add("redir-data-url", "redirect", [Hop("api", redirect(302, a, to="data:text/plain,hi"))])
    c.add("redir-invalid-location", "redirect", [Hop("api", redirect(302, a, to="http://[::1"))])
    c.add("redir-no-location", "redirect", [Hop("api", Reply(302, (a,), ""))])
    c.add("redir-too-many", "redirect", [Hop("api", redirect(302, a, to="{self}"))])
    c.add(
        "redir-preflight-302",
        "redirect",
        [Hop("api", ok(a), redirect(302, a, ("Access-Control-Allow-Methods", "PUT"), to="{self}"))],
        method="PUT",
    )
    c.add(
        "redir-preflight-307-no-acao",
        "redirect",
        [Hop("api", ok(a), redirect(307, to="{self}"))],
        method="PUT",
    )
    c.add(
        "redir-preflight-301-include",
        "redirect",
        [Hop("api", ok(a, ACAC), redirect(301, a, ACAC, to="{self}"))],
        method="PUT",
        credentials="include",
    )


def api_guards(c: Catalog) -> None:
    """Requests fetch() refuses before any network traffic."""
    never = Hop("api", ok(acao("*")), preflight_ok("*", "*", "same-origin"))
    for method in ("CONNECT", "TRACE", "track"):
        c.add(f"guard-method-{method.lower()}", "api-guard", [never], method=method)
    c.add("guard-method-invalid-token", "api-guard", [never], method="GET POST")
    c.add("guard-get-with-body", "api-guard", [never], method="GET", body="x")
    c.add("guard-head-with-body", "api-guard", [never], method="HEAD", body="x")
    c.add("guard-header-name-space", "api-guard", [never], headers=(("X Bad", "1"),))
    c.add("guard-header-value-newline", "api-guard", [never], headers=(("X-Bad", "a\nb"),))


def same_origin(c: Catalog) -> None:
    """Requests to the page's own origin: no CORS at all."""
    c.add("same-origin-get", "same-origin", [Hop("page", ok(*EXPOSABLE))])
    c.add(
        "same-origin-put-custom",
        "same-origin",
        [Hop("page", ok(("X-A", "1")))],
        method="PUT",
        headers=(("X-Custom", "1"),),
        body="x",
    )
    c.add("same-origin-include", "same-origin", [Hop("page", ok(("X-A", "1")))], credentials="include")
    c.add("same-origin-500", "same-origin", [Hop("page", ok(status=500))], method="DELETE")


def hand_written() -> list[Scenario]:
    """Every hand-written scenario, in a stable order."""
    c = Catalog()
    for part in (
        simple_requests,
        request_headers,
        methods,
        preflight_checks,
        actual_after_preflight,
        exposed_headers,
        redirects,
        api_guards,
        same_origin,
    ):
        part(c)
    return c.scenarios
