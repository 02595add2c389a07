"""The ``corsight ui`` web app: a page, its static assets, and a small POST-JSON API that runs
:func:`corsight.check` for the page.

The app is a local tool that makes HTTP requests on the user's behalf, so it guards itself
against being used by anyone else: every request must name one of the bound hosts in ``Host``
(DNS rebinding), and the API answers only same-origin ``POST`` requests with a JSON body and
the page's per-process token (other sites, forms, and links cannot start a check).
"""

from __future__ import annotations

import html
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from corsight.browser.request import preflight_reasons
from corsight.browser.urls import URLError, parse_origin
from corsight.check import CheckError, check
from corsight.diagnosis import SERVERS
from corsight.ui.live import LiveFrames
from corsight.ui.present import exchange, fix_for, headline

MAX_BODY = 256 * 1024
TOKEN_HEADER = "x-corsight-token"
CREDENTIALS = ("omit", "same-origin", "include")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
#: The page's assets; the live-test frame's files are served by the frame server only.
STATIC_FILES = ("app.js", "style.css", "favicon.svg")
# The page fetches arbitrary targets in the live test (connect-src *) and embeds the live-test
# frame served on a loopback port (frame-src); nothing else leaves 'self'.
PAGE_CSP = (
    "default-src 'self'; connect-src 'self' http: https:; frame-src http://127.0.0.1:* "
    "http://localhost:*; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class BadInput(ValueError):
    """A form value the page must show back to the user (HTTP 400)."""


def host_names(bound_host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` header values the app accepts when listening on ``bound_host:port``:
    the loopback names, the bound address itself and any names the user allowed."""
    names = {*LOOPBACK_NAMES, *extra}
    if bound_host not in ("0.0.0.0", "::", ""):
        names.add(f"[{bound_host}]" if ":" in bound_host and not bound_host.startswith("[") else bound_host)
    hosts = {f"{n.lower()}:{port}" for n in names}
    if port == 80:
        hosts |= {n.lower() for n in names}
    return frozenset(hosts)


def _static(name: str) -> bytes:
    return resources.files("corsight.ui").joinpath("static").joinpath(name).read_bytes()


@dataclass
class UIState:
    """What one running UI holds: the accepted hosts, the page token and the live frames."""

    hosts: frozenset[str]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    live: LiveFrames | None = None


class HostGuard:
    """Refuse any request whose ``Host`` is not one of ours (DNS rebinding), and any API call
    that does not come from our own page."""

    def __init__(self, app: ASGIApp, state: UIState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            if name in headers:  # two Host or Origin lines: refuse rather than guess
                headers[name] = "\x00"
            else:
                headers[name] = raw_value.decode("latin-1")
        host = headers.get("host", "").lower()
        if host not in self.state.hosts:
            await _refuse(421, "unknown Host: this corsight ui answers only on its own address")(
                scope, receive, send
            )
            return
        if scope["path"].startswith("/api/"):
            problem = _api_problem(scope["method"], headers, host, self.state.token)
            if problem is not None:
                status, text = problem
                await _refuse(status, text)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _api_problem(method: str, headers: dict[str, str], host: str, token: str) -> tuple[int, str] | None:
    if method != "POST":
        return 405, "the API takes POST requests only"
    # Browsers send Origin on every POST; a request without it did not come from our page.
    if headers.get("origin") != f"http://{host}":
        return 403, "cross-origin request refused: the API answers only its own page"
    if headers.get("sec-fetch-site", "same-origin") != "same-origin":
        return 403, "cross-site request refused: the API answers only its own page"
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return 415, "the API takes a JSON body (Content-Type: application/json)"
    if not secrets.compare_digest(headers.get(TOKEN_HEADER, ""), token):
        return 403, "missing or wrong page token: reload the page"
    return None


def _refuse(status: int, text: str) -> Response:
    return JSONResponse({"error": text}, status_code=status, headers=SECURITY_HEADERS)


async def _json_body(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise BadInput(f"the request is too large (at most {MAX_BODY // 1024} KiB)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BadInput(f"the request is too large (at most {MAX_BODY // 1024} KiB)")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks) or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"the request body is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput("the request body must be a JSON object")
    return data


def _text(data: dict[str, Any], key: str, label: str, *, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise BadInput(f"{label} is required")
    if not isinstance(value, str):
        raise BadInput(f"{label} must be text")
    return value


def parse_header_lines(text: str) -> list[tuple[str, str]]:
    """``Name: value`` lines, as typed in the form; blank lines are skipped."""
    headers: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise BadInput(f"request headers, line {number}: {line.strip()!r} is not 'Name: value'")
        headers.append((name.strip(), value.strip()))
    return headers


@dataclass(frozen=True)
class CheckInput:
    url: str
    origin: str
    method: str
    headers: list[tuple[str, str]]
    credentials: str
    body: str | None
    send: bool
    server: str | None


def parse_check_input(data: dict[str, Any]) -> CheckInput:
    url = _text(data, "url", "the URL").strip()
    if not url:
        raise BadInput("the URL is required, e.g. http://127.0.0.1:8000/api/items")
    origin = _text(data, "origin", "the page's origin").strip()
    if not origin:
        raise BadInput("the page's origin is required, e.g. http://localhost:3000")
    try:
        parse_origin(origin)
    except URLError as exc:
        raise BadInput(
            f"the page's origin is not valid: {exc}; write scheme://host[:port], e.g. http://localhost:3000"
        ) from None
    method = _text(data, "method", "the method", default="GET").strip() or "GET"
    headers = parse_header_lines(_text(data, "headers", "the request headers", default=""))
    credentials = _text(data, "credentials", "the credentials mode", default="same-origin")
    if credentials not in CREDENTIALS:
        raise BadInput(f"the credentials mode must be one of {', '.join(CREDENTIALS)}")
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise BadInput("the body must be text")
    send = data.get("send", False)
    if not isinstance(send, bool):
        raise BadInput("'send' must be true or false")
    server = data.get("server") or None
    if server is not None and server not in SERVERS:
        raise BadInput(f"unknown server {server!r}: choose one of {', '.join(SERVERS)}")
    return CheckInput(url, origin, method, headers, credentials, body or None, send, server)


def run_check(given: CheckInput) -> dict[str, Any]:
    """Run the check and add what the page shows besides ``CheckResult.to_dict()``: why the
    browser model wants a preflight, the headers fetch() drops, the verdict's headline, the
    exchange as diagram steps, and the fix for the chosen server (:mod:`corsight.ui.present`)."""
    result = check(
        given.url,
        origin=given.origin,
        method=given.method,
        headers=given.headers,
        credentials=given.credentials,  # type: ignore[arg-type]
        body=given.body,
        send=given.send,
        server=given.server,
    )
    request = result.request
    reasons = preflight_reasons(request) if request is not None and result.preflight_needed else []
    dropped = (
        [{"name": d.name, "value": d.value, "reason": d.reason} for d in request.dropped_headers]
        if request is not None
        else []
    )
    return {
        "result": result.to_dict(),
        "preflight_reasons": reasons,
        "dropped_headers": dropped,
        "server": given.server,
        "headline": headline(result),
        "exchange": exchange(result),
        "fix": fix_for(result.diagnosis, given.server),
    }


def parse_scan_input(data: dict[str, Any]) -> tuple[str, list[str], bool]:
    url = _text(data, "url", "the URL").strip()
    if not url:
        raise BadInput("the URL to scan is required, e.g. http://127.0.0.1:8000/api/me")
    trusted = [
        line.strip() for line in _text(data, "trusted", "the trusted origins", default="").splitlines()
    ]
    trusted = [t for t in trusted if t]
    for number, origin in enumerate(trusted, 1):
        try:
            parse_origin(origin)
        except URLError as exc:
            raise BadInput(f"trusted origins, line {number}: {exc}") from None
    internal = data.get("internal", False)
    if not isinstance(internal, bool):
        raise BadInput("'internal' must be true or false")
    return url, trusted, internal


async def run_scan(url: str, trusted: list[str], internal: bool) -> dict[str, Any]:
    """One URL through :mod:`corsight.scan` (imported here: it needs the ``scan`` extra)."""
    from corsight.scan import ScanOptions, scan_async

    report = await scan_async([url], ScanOptions(trusted_origins=trusted, internal=internal))
    data = report.to_dict()
    return {"result": data["results"][0], "summary": data["summary"]}


def create_app(state: UIState) -> ASGIApp:
    """The UI as an ASGI app, wrapped in its Host/Origin guard."""
    page_template = _static("index.html").decode("utf-8")

    async def index(request: Request) -> Response:
        options = "\n".join(f'<option value="{html.escape(s)}">{html.escape(s)}</option>' for s in SERVERS)
        page = page_template.replace("__TOKEN__", state.token).replace("<!--SERVERS-->", options)
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={**SECURITY_HEADERS, "Content-Security-Policy": PAGE_CSP},
        )

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        suffix = name[name.rfind(".") :] if "." in name else ""
        if name not in STATIC_FILES or suffix not in STATIC_TYPES:
            return _refuse(404, "not found")
        return Response(_static(name), media_type=STATIC_TYPES[suffix], headers=SECURITY_HEADERS)

    async def api_check(request: Request) -> Response:
        try:
            given = parse_check_input(await _json_body(request))
            payload = await run_in_threadpool(run_check, given)
        except BadInput as exc:
            return JSONResponse({"error": str(exc), "kind": "input"}, 400, headers=SECURITY_HEADERS)
        except CheckError as exc:
            return JSONResponse({"error": str(exc), "kind": "check"}, 422, headers=SECURITY_HEADERS)
        except Exception as exc:  # the page shows one line, never a traceback
            text = f"corsight could not run this check: {exc.__class__.__name__}: {exc}"
            return JSONResponse({"error": text, "kind": "internal"}, 500, headers=SECURITY_HEADERS)
        return JSONResponse(payload, headers=SECURITY_HEADERS)

    async def api_live(request: Request) -> Response:
        """Where the live test can run from: a frame on the chosen loopback origin when it can
        be served, else the page itself (whose origin is this server's)."""
        page_origin = f"http://{request.headers['host']}"
        try:
            data = await _json_body(request)
            origin = _text(data, "origin", "the page's origin").strip()
        except BadInput as exc:
            return JSONResponse({"error": str(exc), "kind": "input"}, 400, headers=SECURITY_HEADERS)
        if state.live is None:
            plan = {"mode": "page", "origin": page_origin, "fallback": "disabled",
                    "reason": "live frames are disabled", "wanted": origin}  # fmt: skip
        else:
            plan = await run_in_threadpool(state.live.plan, origin, page_origin)
        return JSONResponse(plan, headers=SECURITY_HEADERS)

    async def api_scan(request: Request) -> Response:
        try:
            url, trusted, internal = parse_scan_input(await _json_body(request))
        except BadInput as exc:
            return JSONResponse({"error": str(exc), "kind": "input"}, 400, headers=SECURITY_HEADERS)
        try:
            payload = await run_scan(url, trusted, internal)
        except ImportError as exc:
            text = f"corsight scan is not installed ({exc.name} is missing): pip install 'corsight[scan]'"
            return JSONResponse({"error": text, "kind": "missing"}, 501, headers=SECURITY_HEADERS)
        except Exception as exc:  # the page shows one line, never a traceback
            text = f"corsight could not run this scan: {exc.__class__.__name__}: {exc}"
            return JSONResponse({"error": text, "kind": "internal"}, 500, headers=SECURITY_HEADERS)
        if payload["result"].get("error"):
            error = payload["result"]["error"]
            return JSONResponse({"error": error, "kind": "scan"}, 422, headers=SECURITY_HEADERS)
        return JSONResponse(payload, headers=SECURITY_HEADERS)

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET", "HEAD"]),
            Route("/static/{name}", static, methods=["GET", "HEAD"]),
            Route("/api/check", api_check, methods=["POST"]),
            Route("/api/live", api_live, methods=["POST"]),
            Route("/api/scan", api_scan, methods=["POST"]),
        ]
    )
    return HostGuard(app, state)
