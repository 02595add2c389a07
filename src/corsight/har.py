"""``corsight har``: which cross-origin requests of a HAR file failed, why, and the fix.

A HAR (from Chrome's or Firefox's developer tools, or Playwright) records requests and, when
the browser got one, the response; it never records which CORS rule failed. Each
cross-origin request is replayed through the browser model (:class:`corsight.browser.Fetch`)
with what the HAR recorded: its preflight entry when there is one, then its response. Where
the HAR has no response (a blocked request is often recorded with status 0 and
``net::ERR_FAILED``), the report says what can and cannot be known, and the ``corsight
check`` command that finds out. Fixes come from :func:`corsight.check.diagnose`.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from corsight.browser.urls import origin_of, parse_origin, same_origin
from corsight.check import CheckResult, diagnose, timeline_entry

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


class HarError(Exception):
    """The file is not a HAR that can be read (one line, exit status 2)."""


@dataclass
class Finding:
    """One cross-origin request of the HAR and what the browser model makes of it."""

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
    fix: dict[str, Any] = field(default_factory=dict)
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
            "fix": self.fix,
            "notes": self.notes,
            "check_command": self.check_command,
        }


@dataclass
class Report:
    source: str
    entries: int
    cross_origin: int
    same_origin: int
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.failed]

    def by_server(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
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


def load(path: str | Path) -> dict[str, Any]:
    """The HAR's JSON; :class:`HarError` with one line when it cannot be read or is not a HAR."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise HarError(f"{path} is not a HAR file: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HarError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("log"), dict):
        raise HarError(f"{path} is not a HAR file: no 'log' object at the top")
    if not isinstance(data["log"].get("entries"), list):
        raise HarError(f"{path} is not a HAR file: 'log' has no 'entries' list")
    return data


def _headers(part: Any) -> list[tuple[str, str]]:
    if not isinstance(part, Mapping):
        return []
    found = []
    for item in part.get("headers") or []:
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            found.append((item["name"], str(item.get("value", ""))))
    return found


@dataclass
class _Entry:
    index: int
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    error: str | None
    raw: Mapping[str, Any]

    @property
    def has_response(self) -> bool:
        return self.status > 0

    @property
    def is_preflight(self) -> bool:
        initiator = self.raw.get("_initiator")
        kind = initiator.get("type") if isinstance(initiator, Mapping) else None
        return self.method == "OPTIONS" and (
            get_header(self.request_headers, "access-control-request-method") is not None
            or self.raw.get("_resourceType") == "preflight"
            or kind == "preflight"
        )


def _entry(index: int, raw: Any) -> tuple[_Entry | None, str | None]:
    if not isinstance(raw, Mapping):
        return None, f"entry {index} is not an object: skipped"
    request = raw.get("request")
    if not isinstance(request, Mapping) or not isinstance(request.get("url"), str):
        return None, f"entry {index} has no request URL (truncated?): skipped"
    response = raw.get("response") if isinstance(raw.get("response"), Mapping) else {}
    assert isinstance(response, Mapping)
    try:
        status = int(response.get("status") or 0)
    except (TypeError, ValueError):
        status = 0
    error = response.get("_error") or response.get("_failureText") or raw.get("_error")
    return (
        _Entry(
            index=index,
            method=str(request.get("method") or "GET"),
            url=request["url"],
            request_headers=_headers(request),
            status=status,
            response_headers=_headers(response),
            error=str(error) if error else None,
            raw=raw,
        ),
        None,
    )


def _page_origins(log: Mapping[str, Any]) -> dict[str, str]:
    """Page id → origin, where a page's title is its URL (Chrome writes the URL there)."""
    found = {}
    for page in log.get("pages") or []:
        if isinstance(page, Mapping) and isinstance(page.get("id"), str):
            title = page.get("title")
            if isinstance(title, str) and title.startswith(("http://", "https://")):
                with contextlib.suppress(URLError):
                    found[page["id"]] = origin_of(title).serialize()
    return found


def _initiator_url(raw: Mapping[str, Any]) -> str | None:
    initiator = raw.get("_initiator")
    if not isinstance(initiator, Mapping):
        return None
    if isinstance(initiator.get("url"), str):
        return str(initiator["url"])
    stack = initiator.get("stack")
    while isinstance(stack, Mapping):
        for frame in stack.get("callFrames") or []:
            if isinstance(frame, Mapping) and str(frame.get("url", "")).startswith(("http://", "https://")):
                return str(frame["url"])
        stack = stack.get("parent")
    return None


def _page_origin(entry: _Entry, pages: Mapping[str, str]) -> str | None:
    origin = get_header(entry.request_headers, "origin")
    if origin and origin != "null" and "," not in origin:
        return origin
    for candidate in (_initiator_url(entry.raw), get_header(entry.request_headers, "referer")):
        if candidate:
            try:
                return origin_of(candidate).serialize()
            except URLError:
                continue
    pageref = entry.raw.get("pageref")
    return pages.get(pageref) if isinstance(pageref, str) else None


# --- replaying -----------------------------------------------------------------------------------


def _page_headers(entry: _Entry) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in entry.request_headers
        if not name.startswith(":")
        and not (name.lower() == "accept" and value == "*/*")
        and name.lower() not in BROWSER_HEADERS
        and not is_forbidden_request_header(name, value)  # also every Sec-* and Proxy-* name
    ]


def _request_for(entry: _Entry, origin: str) -> Request:
    headers = _page_headers(entry)
    cookies = entry.raw.get("request", {}).get("cookies")
    credentials = (
        "include"
        if get_header(entry.request_headers, "cookie") is not None or (isinstance(cookies, list) and cookies)
        else "same-origin"
    )
    post = entry.raw.get("request", {}).get("postData")
    body = post.get("text") if isinstance(post, Mapping) and isinstance(post.get("text"), str) else None
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


def _request_from_preflight(entry: _Entry, origin: str) -> Request:
    method = get_header(entry.request_headers, "access-control-request-method") or "GET"
    names = get_header(entry.request_headers, "access-control-request-headers") or ""
    headers = []
    for name in (n.strip() for n in names.split(",")):
        if name:
            headers.append((name, "application/json" if name.lower() == "content-type" else "x"))
    return prepare_request(entry.url, origin=origin, method=method, headers=headers)


def _passing_preflight(request: Request) -> Response:
    """What a preflight the HAR did not record must have answered: the browser sent the actual
    request, so it passed."""
    headers = [
        ("Access-Control-Allow-Origin", request.origin.serialize()),
        ("Access-Control-Allow-Methods", request.method),
        ("Access-Control-Max-Age", "0"),
    ]
    if request.credentials_included:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    names = request.unsafe_header_names()
    if names:
        headers.append(("Access-Control-Allow-Headers", ", ".join(names)))
    return Response(204, tuple(headers))


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
    request: Request, preflight: _Entry | None, actual: _Entry | None, finding: Finding
) -> tuple[Verdict | None, list[dict[str, Any]]]:
    """Drive the browser model with the HAR's answers; ``None`` when an answer is missing."""
    fetch = Fetch(request)
    step = fetch.start()
    timeline: list[dict[str, Any]] = []
    fed = False
    while isinstance(step, Outgoing):
        if step.kind == "preflight":
            if preflight is not None and preflight.has_response:
                response = Response.of(preflight.status, preflight.response_headers)
                timeline.append(timeline_entry(step, preflight.request_headers, response))
                step = fetch.receive(response)
                continue
            if actual is not None and actual.has_response:
                finding.notes.append(
                    "the preflight is not in the HAR; it passed, since the browser sent the request"
                )
                step = fetch.receive(_passing_preflight(request))
                continue
            return None, timeline
        if actual is None:
            finding.notes.append("only the preflight is in the HAR; the request itself is not")
            return fetch.stop("the actual request is not in the HAR"), timeline
        if fed or not actual.has_response:
            if fed:
                finding.notes.append("the response redirects; follow the redirect's own entry in the HAR")
            return None, timeline
        fed = True
        response = Response.of(actual.status, actual.response_headers)
        timeline.append(timeline_entry(step, actual.request_headers, response))
        step = fetch.receive(response)
    return step, timeline


def analyze(har: Mapping[str, Any], *, source: str = "", server: str | None = None) -> Report:
    """Every cross-origin request of ``har`` (parsed JSON), replayed through the browser model."""
    log = har["log"]
    raw_entries = log.get("entries") or []
    pages = _page_origins(log)
    report = Report(source=source, entries=len(raw_entries), cross_origin=0, same_origin=0)
    entries: list[_Entry] = []
    for index, raw in enumerate(raw_entries):
        entry, note = _entry(index, raw)
        if note:
            report.notes.append(note)
        if entry is not None:
            entries.append(entry)
    used: set[int] = set()
    preflights = [e for e in entries if e.is_preflight]
    for entry in entries:
        if entry.is_preflight or not entry.url.startswith(("http://", "https://")):
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
        preflight = next(
            (
                p
                for p in reversed(preflights)
                if p.index < entry.index
                and p.index not in used
                and p.url == entry.url
                and get_header(p.request_headers, "access-control-request-method") in (entry.method, None)
            ),
            None,
        )
        if preflight is not None:
            used.add(preflight.index)
        report.findings.append(_finding(entry, preflight, origin, target.serialize(), server))
    # Preflights whose request is not in the HAR (it was never sent: the preflight failed).
    for preflight in preflights:
        if preflight.index in used:
            continue
        origin = _page_origin(preflight, pages)
        if origin is None:
            continue
        try:
            server_origin = origin_of(preflight.url).serialize()
            request = _request_from_preflight(preflight, origin)
        except (URLError, RequestError):
            continue
        report.cross_origin += 1
        finding = Finding(preflight.index, request.method, preflight.url, origin, server_origin, False, True)
        finding.preflight_index = preflight.index
        _judge(finding, request, preflight, None, server)
        report.findings.append(finding)
    report.findings.sort(key=lambda f: f.index)
    return report


def _finding(
    entry: _Entry, preflight: _Entry | None, origin: str, target: str, server: str | None
) -> Finding:
    finding = Finding(entry.index, entry.method, entry.url, origin, target, failed=False, known=True)
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
    finding: Finding, request: Request, preflight: _Entry | None, entry: _Entry | None, server: str | None
) -> None:
    verdict, timeline = _replay(request, preflight, entry, finding)
    finding.check_command = check_command(request)
    if verdict is None:
        # No response where the model needs one: the HAR cannot say which rule failed.
        error = entry.error if entry else None
        finding.failed = True
        finding.known = False
        finding.error = error or "no response recorded"
        what = f"status {entry.status}" if entry and entry.status > 0 else "no response"
        if error and error != "net::ERR_FAILED" and "CORS" not in error:
            finding.notes.append(f"{error}: the request failed below CORS (network, DNS, TLS, port)")
            return
        need = needs_preflight(request)
        finding.notes.append(
            f"the HAR records {what}" + (f" ({error})" if error else "") + ": the browser blocked it, "
            "but a HAR does not record which CORS rule failed"
            + ("; a preflight was needed and its answer is not in the HAR" if need else "")
            + ". Run the check command to find out."
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
        result = CheckResult.of(
            request, verdict, preflight_needed=needs_preflight(request), timeline=timeline
        )
        finding.fix = diagnose(result, server)


def analyze_file(path: str | Path, *, server: str | None = None) -> Report:
    return analyze(load(path), source=str(path), server=server)


__all__: Sequence[str] = ("Finding", "HarError", "Report", "analyze", "analyze_file", "check_command", "load")
