"""Which cross-origin requests of a HAR file failed, why, and the fix.

A HAR (from Chrome's or Firefox's developer tools, or Playwright) records requests and, when
the browser got one, the response; it never records which CORS rule failed, nor fetch()'s
credentials mode. Each cross-origin request is replayed through the browser model
(:class:`corsight.browser.Fetch`) with what the HAR recorded: its preflight entry when there is
one, then its response. Where the HAR has no response (a blocked request is often recorded with
status 0 and ``net::ERR_FAILED``), the report says what can and cannot be known, and the
``corsight check`` command that finds out. The cause and the fix are the
:class:`~corsight.diagnosis.Diagnosis`. The file is read and validated by
:mod:`corsight.har.file`; preflights are matched to their requests through an index, in one
pass.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from corsight.browser import (
    Fetch,
    Outgoing,
    Request,
    RequestError,
    Response,
    URLError,
    Verdict,
    needs_preflight,
    prepare_request,
)
from corsight.browser.checks import get_header
from corsight.browser.request import is_forbidden_request_header
from corsight.browser.requirements import passing_preflight_headers
from corsight.browser.urls import origin_of, parse_origin, same_origin
from corsight.diagnosis import SERVERS, Context, Diagnosis, diagnose
from corsight.har.file import Har, HarEntry, load, parse

#: Request headers the browser (or DevTools) adds itself: never set by the page's script.
BROWSER_HEADERS = frozenset(
    {
        "accept-encoding",
        "user-agent",
        "referer",
        "origin",
        "host",
        "connection",
        "cookie",
        "content-length",
        "priority",
        "pragma",
        "cache-control",
        "dnt",
        "te",
        "upgrade-insecure-requests",
        "accept-charset",
        "accept-language",
        "access-control-request-method",
        "access-control-request-headers",
        "access-control-request-private-network",
    }
)


@dataclass
class RequestReport:
    """One cross-origin request of the HAR and what the browser model makes of it (failed or
    not: :attr:`Report.failed` picks the failures)."""

    index: int
    method: str
    url: str
    origin: str
    server: str
    failed: bool
    known: bool
    error: str | None = None
    chrome: str | None = None
    firefox: str | None = None
    status: int | None = None
    preflight_index: int | None = None
    diagnosis: Diagnosis | None = None
    notes: list[str] = field(default_factory=list)
    check_command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry": self.index,
            "method": self.method,
            "url": self.url,
            "origin": self.origin,
            "server": self.server,
            "failed": self.failed,
            "reason_known": self.known,
            "error": self.error,
            "status": self.status,
            "preflight_entry": self.preflight_index,
            "message": {"chrome": self.chrome, "firefox": self.firefox},
            "fix": self.diagnosis.to_dict() if self.diagnosis is not None else {},
            "notes": self.notes,
            "check_command": self.check_command,
        }


@dataclass
class Report:
    source: str
    entries: int
    cross_origin: int
    same_origin: int
    findings: list[RequestReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[RequestReport]:
        return [f for f in self.findings if f.failed]

    def by_server(self) -> dict[str, list[RequestReport]]:
        groups: dict[str, list[RequestReport]] = {}
        for finding in self.findings:
            groups.setdefault(finding.server, []).append(finding)
        return groups

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "entries": self.entries,
            "cross_origin": self.cross_origin,
            "same_origin": self.same_origin,
            "failed": len(self.failed),
            "servers": {
                server: [f.to_dict() for f in findings] for server, findings in self.by_server().items()
            },
            "notes": self.notes,
        }


# --- reading ------------------------------------------------------------------------------------


def _is_preflight(entry: HarEntry) -> bool:
    return entry.method == "OPTIONS" and (
        get_header(entry.request_headers, "access-control-request-method") is not None
        or entry.resource_type == "preflight"
        or entry.initiator_type == "preflight"
    )


def _page_origins(har: Har) -> dict[str, str]:
    """Page id → origin, where a page's title is its URL (Chrome writes the URL there)."""
    found = {}
    for page, title in har.page_titles.items():
        if title.startswith(("http://", "https://")):
            with contextlib.suppress(URLError):
                found[page] = origin_of(title).serialize()
    return found


def _page_origin(entry: HarEntry, pages: Mapping[str, str]) -> str | None:
    origin = get_header(entry.request_headers, "origin")
    if origin and origin != "null" and "," not in origin:
        return origin
    for candidate in (entry.initiator_url, get_header(entry.request_headers, "referer")):
        if candidate:
            try:
                return origin_of(candidate).serialize()
            except URLError:
                continue
    return pages.get(entry.pageref) if entry.pageref is not None else None


# --- replaying -----------------------------------------------------------------------------------


def _page_headers(entry: HarEntry) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in entry.request_headers
        if not name.startswith(":")
        and not (name.lower() == "accept" and value == "*/*")
        and name.lower() not in BROWSER_HEADERS
        and not is_forbidden_request_header(name, value)  # also every Sec-* and Proxy-* name
    ]


def _request_for(entry: HarEntry, origin: str) -> Request:
    headers = _page_headers(entry)
    cookie = entry.cookies or get_header(entry.request_headers, "cookie") is not None
    credentials = "include" if cookie else "same-origin"
    body = entry.body
    if body is not None and entry.method in ("GET", "HEAD"):
        body = None
    if body is None and entry.method not in ("GET", "HEAD") and get_header(headers, "content-type"):
        body = ""
    return prepare_request(
        entry.url,
        origin=origin,
        method=entry.method,
        headers=headers,
        credentials=credentials,  # type: ignore[arg-type]
        body=body,
    )


def _request_from_preflight(entry: HarEntry, origin: str) -> Request:
    method = get_header(entry.request_headers, "access-control-request-method") or "GET"
    names = get_header(entry.request_headers, "access-control-request-headers") or ""
    headers = []
    for name in (n.strip() for n in names.split(",")):
        if name:
            headers.append((name, "application/json" if name.lower() == "content-type" else "x"))
    return prepare_request(entry.url, origin=origin, method=method, headers=headers)


def check_command(request: Request) -> str:
    """The ``corsight check`` command that makes this request for real and names the reason."""
    parts = ["corsight", "check", request.url, "--origin", request.origin.serialize()]
    if request.method != "GET":
        parts += ["-X", request.method]
    for name, value in request.headers:
        parts += ["-H", f"{name}: {value}"]
    if request.credentials == "include":
        parts += ["--credentials", "include"]
    return " ".join(shlex.quote(p) for p in parts)


def _replay(
    request: Request, preflight: HarEntry | None, actual: HarEntry | None, notes: list[str]
) -> Verdict | None:
    """Drive the browser model with the HAR's answers, noting what the HAR lacks; ``None``
    when an answer is missing."""
    fetch = Fetch(request)
    step = fetch.start()
    fed = False
    while isinstance(step, Outgoing):
        if step.kind == "preflight":
            if preflight is not None and preflight.has_response:
                step = fetch.receive(Response.of(preflight.status, preflight.response_headers))
                continue
            if actual is not None and actual.has_response:
                notes.append("the preflight is not in the HAR; it passed, since the browser sent the request")
                origin = get_header(step.headers, "origin") or request.origin.serialize()
                step = fetch.receive(Response(204, tuple(passing_preflight_headers(fetch.current, origin))))
                continue
            return None
        if actual is None:
            notes.append("only the preflight is in the HAR; the request itself is not")
            return fetch.stop("the actual request is not in the HAR")
        if fed or not actual.has_response:
            if fed:
                notes.append("the response redirects; follow the redirect's own entry in the HAR")
            return None
        fed = True
        step = fetch.receive(Response.of(actual.status, actual.response_headers))
    return step


def analyze_har(har: Har | Mapping[str, Any], *, source: str = "", server: str | None = None) -> Report:
    """Every cross-origin request of ``har`` (a :class:`Har`, or parsed JSON that is validated
    first: :class:`HarError` when it is not a HAR), replayed through the browser model."""
    if not isinstance(har, Har):
        har = parse(har)
    pages = _page_origins(har)
    report = Report(source=source, entries=len(har.entries), cross_origin=0, same_origin=0)
    # The preflights not yet matched, by (URL, Access-Control-Request-Method), latest last.
    # Entries are visited in order, so each request finds its preflight — the latest earlier
    # one for its URL and method (or without a method) — in constant time.
    waiting: dict[tuple[str, str | None], list[HarEntry]] = {}
    for entry in har.entries:
        if _is_preflight(entry):
            method = get_header(entry.request_headers, "access-control-request-method")
            waiting.setdefault((entry.url, method), []).append(entry)
            continue
        if not entry.url.startswith(("http://", "https://")):
            continue
        origin = _page_origin(entry, pages)
        if origin is None:
            # With a response recorded and no Origin header it was not a CORS request (a page
            # navigation, an image); without a response nothing tells.
            if not entry.has_response:
                report.notes.append(
                    f"entry {entry.index} ({entry.method} {entry.url}): the page's origin is unknown"
                )
            continue
        try:
            page = parse_origin(origin)
            target = origin_of(entry.url)
        except URLError:
            report.notes.append(f"entry {entry.index}: unreadable URL or origin; skipped")
            continue
        if same_origin(page, target):
            report.same_origin += 1
            continue
        report.cross_origin += 1
        keys = ((entry.url, entry.method), (entry.url, None))
        candidates = [stack for stack in map(waiting.get, keys) if stack]
        preflight = max(candidates, key=lambda stack: stack[-1].index).pop() if candidates else None
        report.findings.append(_finding(entry, preflight, origin, target.serialize(), server))
    # Preflights whose request is not in the HAR (it was never sent: the preflight failed).
    for preflight in sorted((p for stack in waiting.values() for p in stack), key=lambda p: p.index):
        origin = _page_origin(preflight, pages)
        if origin is None:
            continue
        try:
            server_origin = origin_of(preflight.url).serialize()
            request = _request_from_preflight(preflight, origin)
        except (URLError, RequestError):
            continue
        report.cross_origin += 1
        finding = RequestReport(
            preflight.index, request.method, preflight.url, origin, server_origin, failed=False, known=True
        )
        finding.preflight_index = preflight.index
        _judge(finding, request, preflight, None, server)
        report.findings.append(finding)
    report.findings.sort(key=lambda f: f.index)
    return report


def _finding(
    entry: HarEntry, preflight: HarEntry | None, origin: str, target: str, server: str | None
) -> RequestReport:
    finding = RequestReport(entry.index, entry.method, entry.url, origin, target, failed=False, known=True)
    finding.status = entry.status if entry.has_response else None
    finding.preflight_index = preflight.index if preflight else None
    try:
        request = _request_for(entry, origin)
    except (RequestError, URLError) as exc:
        finding.failed = bool(entry.error) or not entry.has_response
        finding.known = False
        finding.notes.append(f"cannot replay this request: {exc}")
        return finding
    _judge(finding, request, preflight, entry, server)
    return finding


def _judge(
    finding: RequestReport,
    request: Request,
    preflight: HarEntry | None,
    entry: HarEntry | None,
    server: str | None,
) -> None:
    notes: list[str] = []
    verdict = _replay(request, preflight, entry, notes)
    blocked = entry is not None and _blocked_by_cors(entry.error)
    if verdict is not None and verdict.allowed and blocked and not request.credentials_included:
        # A HAR records cookies, not fetch()'s credentials mode: a request the browser blocked
        # whose recorded answers pass, and fail only with credentials, was made with them.
        credentialed = replace(request, credentials="include")
        retried_notes: list[str] = []
        retried = _replay(credentialed, preflight, entry, retried_notes)
        if retried is not None and not retried.allowed:
            request, verdict, notes = credentialed, retried, retried_notes
            notes.append(
                "the HAR records no cookie, but these answers fail only a credentialed fetch()"
                " (credentials: 'include', withCredentials): the page makes one"
            )
    finding.notes += notes
    finding.check_command = check_command(request)
    if verdict is None:
        # No response where the model needs one: the HAR cannot say which rule failed.
        error = entry.error if entry else None
        finding.failed = True
        finding.known = False
        finding.error = error or "no response recorded"
        what = f"status {entry.status}" if entry and entry.status > 0 else "no response"
        if error and not _blocked_by_cors(error):
            finding.notes.append(f"{error}: the request failed below CORS (network, DNS, TLS, port)")
            return
        need = needs_preflight(request)
        finding.notes.append(
            f"the HAR records {what}" + (f" ({error})" if error else "") + ": the browser blocked it, "
            "but a HAR does not record which CORS rule failed"
            + ("; a preflight was needed and its answer is not in the HAR" if need else "")
            + ". Run the check command to find out"
            + (
                ""
                if request.credentials_included
                else " (a HAR does not record fetch()'s credentials mode: if the page sends"
                " credentials, add --credentials include)"
            )
            + "."
        )
        return
    finding.failed = not verdict.allowed
    finding.error = verdict.error
    finding.chrome = verdict.chrome
    finding.firefox = verdict.firefox
    if entry is not None and entry.has_response and entry.error and verdict.allowed:
        finding.failed = True
        finding.known = False
        finding.notes.append(
            f"the HAR records {entry.error} although the recorded headers pass every CORS check "
            "(the request may have been cancelled, or the HAR was edited)"
        )
    if finding.failed and finding.known:
        servers = SERVERS if server is None else (server,)
        finding.diagnosis = diagnose(request, verdict, Context(servers=servers))


def _blocked_by_cors(error: str | None) -> bool:
    """Whether a recorded failure text can be the browser's CORS block (Chrome records it as
    ``net::ERR_FAILED``), rather than a failure below CORS (refused, DNS, TLS, port)."""
    return error == "net::ERR_FAILED" or (error is not None and "CORS" in error)


def analyze_file(path: str | Path, *, server: str | None = None) -> Report:
    """:func:`analyze_har` of a HAR file, ``"-"`` for standard input (:class:`HarError` when it
    cannot be read or is not a HAR)."""
    source = "standard input" if str(path) == "-" else str(path)
    return analyze_har(load(path), source=source, server=server)


__all__: Sequence[str] = ("Report", "RequestReport", "analyze_file", "analyze_har", "check_command")
