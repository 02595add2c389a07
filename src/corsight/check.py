"""``corsight.check``: do over real HTTP what a browser would do, and explain the outcome.

The browser model (:mod:`corsight.browser`) decides; this module only sends the requests it
asks for (httpx builds them, httpcore sends them, all within one deadline), feeds back the
answers, and turns the verdict into a report with the Chrome and Firefox console texts and the
fix for the server.
"""

from __future__ import annotations

import functools
import socket
import ssl
import sys
import time
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpcore
import httpx

from corsight.browser import (
    CorsError,
    Fetch,
    NetError,
    Outgoing,
    PreflightCache,
    Request,
    RequestError,
    Response,
    URLError,
    Verdict,
    needs_preflight,
    prepare_request,
)
from corsight.browser.checks import PreflightResult, get_header, parse_list
from corsight.browser.request import is_cors_safelisted_method
from corsight.browser.urls import is_http_url, origin_of, same_origin
from corsight.errors import PolicyError
from corsight.export import ExportError, export
from corsight.policy import Policy

SERVERS = ("fastapi", "starlette", "flask", "django", "express", "nginx", "apache", "caddy")
#: ``corsight export`` target per server: any ASGI app takes the FastAPI configuration.
EXPORT_TARGET = {"starlette": "fastapi"}
SAFE_TO_SEND = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = "corsight-check/0.1 (CORS check; like Chromium 156)"


class CheckError(Exception):
    """The check could not be made: bad input or a network failure (exit status 2)."""


@dataclass
class CheckResult:
    """What :func:`check` found. ``to_dict()`` is the JSON form (``corsight check --json``)."""

    url: str
    origin: str
    method: str
    credentials: str
    allowed: bool
    error: str | None
    chrome: str | None
    firefox: str | None
    complete: bool
    verdict: Verdict | None
    request: Request | None
    preflight_needed: bool
    timeline: list[dict[str, Any]] = field(default_factory=list)
    fixes: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        request: Request,
        verdict: Verdict,
        *,
        preflight_needed: bool,
        timeline: list[dict[str, Any]],
    ) -> CheckResult:
        """The result of a fetch of ``request`` that ended in ``verdict``, with its timeline
        (one :func:`timeline_entry` per request)."""
        return cls(
            url=request.url,
            origin=request.origin.serialize(),
            method=request.method,
            credentials=request.credentials,
            allowed=verdict.allowed,
            error=verdict.error,
            chrome=verdict.chrome,
            firefox=verdict.firefox,
            complete=verdict.complete,
            verdict=verdict,
            request=request,
            preflight_needed=preflight_needed,
            timeline=timeline,
            notes=list(verdict.notes),
        )

    @property
    def checks(self) -> list[dict[str, object]]:
        return [c.to_dict() for c in self.verdict.checks] if self.verdict else []

    @property
    def exposed_headers(self) -> list[str]:
        return list(self.verdict.exposed_headers) if self.verdict and self.allowed else []

    def _last(self, kind: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = None
        for entry in self.timeline:
            if entry["kind"] == kind:
                found = entry
        return found

    def to_dict(self) -> dict[str, Any]:
        pre = self._last("preflight")
        act = self._last("actual")
        return {
            "url": self.url,
            "origin": self.origin,
            "method": self.method,
            "credentials": self.credentials,
            "allowed": self.allowed,
            "complete": self.complete,
            "error": self.error,
            "message": {"chrome": self.chrome, "firefox": self.firefox},
            "preflight": {
                "needed": self.preflight_needed,
                "sent": bool(pre and pre["sent"]),
                "request_headers": pre["request_headers"] if pre else [],
                "response": pre["response"] if pre else None,
            },
            "actual": {
                "sent": bool(act and act["sent"]),
                "method": act["method"] if act else self.method,
                "url": act["url"] if act else self.url,
                "request_headers": act["request_headers"] if act else [],
                "response": act["response"] if act else None,
            },
            "exposed_headers": self.exposed_headers,
            "checks": self.checks,
            "timeline": self.timeline,
            "fixes": self.fixes,
            "notes": self.notes,
        }


# --- I/O ---------------------------------------------------------------------------------------------


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA certificates takes ~0.1 s: once per process, not per check."""
    return ssl.create_default_context()


#: The longest timeout accepted (a day): beyond, socket timeouts overflow.
MAX_TIMEOUT = 86_400.0
TIMEOUT_RULE = f"a number of seconds greater than 0 and at most {MAX_TIMEOUT:g} is needed"


def valid_timeout(timeout: object) -> float:
    """``timeout`` as seconds for :func:`check`, or :class:`CheckError`: a number greater than
    0 and at most a day (not a bool, NaN or infinity)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_TIMEOUT:
        raise CheckError(f"invalid timeout {timeout!r}: {TIMEOUT_RULE}")  # NaN fails the comparison
    return float(timeout)


class _Deadline:
    """The end of the whole exchange (every connection, preflight, actual request and
    redirect): each socket operation may only wait for the time left, so a server that drips
    bytes cannot stretch a check past ``timeout`` seconds."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, expired: type[Exception]) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise expired(f"timed out (the whole check may take {self.seconds:g} s)")
        return remaining


class _DeadlineStream(httpcore.NetworkStream):
    """httpcore's socket stream, with every wait bounded by the deadline rather than by a
    timeout per read (which a byte every so often resets)."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.left(httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # One send at a time, each with the time left (the wrapped write gives every send of
        # its loop the same timeout).
        sock: socket.socket = self._stream.get_extra_info("socket")
        rest = memoryview(buffer)  # slices of a view copy nothing
        while rest:
            try:
                sock.settimeout(self._deadline.left(httpcore.WriteTimeout))
                rest = rest[sock.send(rest) :]
            except TimeoutError as exc:
                raise httpcore.WriteTimeout(str(exc) or "timed out") from exc
            except OSError as exc:
                raise httpcore.WriteError(str(exc)) from exc

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # The handshake's timeout is a deadline for the whole handshake (CPython's ssl module).
        wait = self._deadline.left(httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, wait), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Connections whose streams keep to one deadline; each address of a host is tried with
    the time left (socket.create_connection would give each one the whole timeout)."""

    def __init__(self, deadline: _Deadline) -> None:
        self._deadline = deadline
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for *_, address in addresses:
            wait = self._deadline.left(httpcore.ConnectTimeout)
            try:
                stream = self._sync.connect_tcp(str(address[0]), port, wait, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise failure


class _Wire:
    """Sends exactly one request and returns exactly one response, all within one deadline: a
    bare httpcore pool, because an httpx Client would parse a redirect's Location itself (and
    fail on the odd ones that the browser model must judge: ``data:`` URLs, broken hosts)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(), network_backend=_DeadlineBackend(_Deadline(timeout))
        )

    def __enter__(self) -> _Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.close()


def _wire_headers(step: Outgoing) -> list[tuple[str, str]]:
    headers = list(step.headers)
    if step.kind == "preflight":
        # Chromium's order: Accept, ACRM, [ACRH], Origin, then Sec-Fetch-*.
        headers += [("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")]
    elif not any(n.lower() == "accept" for n, _ in headers):
        headers.insert(0, ("Accept", "*/*"))
        headers += [("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty")]
    headers.append(("User-Agent", USER_AGENT))
    return headers


#: What httpcore raises when a request fails (it has no common base class).
_NET_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


def _net_error(exc: Exception) -> tuple[NetError, str]:
    text = str(exc) or exc.__class__.__name__
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return NetError.CERT_INVALID, f"TLS certificate not trusted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return NetError.SSL_PROTOCOL_ERROR, f"TLS failure ({cause.reason or cause})"
        cause = cause.__cause__ or cause.__context__
    lower = text.lower()
    if isinstance(exc, httpcore.TimeoutException):
        return NetError.TIMED_OUT, "timed out"
    if "ssl" in lower or "certificate" in lower or "tls" in lower:
        return NetError.SSL_PROTOCOL_ERROR, f"TLS failure ({text})"
    if isinstance(exc, httpcore.ConnectError):
        if "refused" in lower:
            return NetError.CONNECTION_REFUSED, "connection refused"
        if "name" in lower or "known" in lower or "resolution" in lower or "address" in lower:
            return NetError.NAME_NOT_RESOLVED, f"host not found ({text})"
        return NetError.CONNECTION_REFUSED, f"cannot connect ({text})"
    if isinstance(exc, httpcore.RemoteProtocolError):
        if "without sending" in lower or "disconnected" in lower:
            return (
                NetError.EMPTY_RESPONSE,
                "no HTTP response: the connection closed first (is this port an HTTP server?)",
            )
        return NetError.INVALID_HTTP_RESPONSE, f"the answer is not HTTP ({text})"
    if isinstance(exc, (httpcore.ReadError, httpcore.WriteError)):
        return NetError.CONNECTION_RESET, f"connection reset ({text})"
    return NetError.FAILED, text


def _send(wire: _Wire, step: Outgoing) -> tuple[Response, list[tuple[str, str]]]:
    request = httpx.Request(
        step.method,
        step.url,
        headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in _wire_headers(step)],
        content=step.body,
    )
    # httpx adds Host (and Content-Length for a body) as a browser does; nothing else.
    sent = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in request.headers.raw]
    url = request.url
    response = wire.pool.handle_request(
        httpcore.Request(
            request.method,
            httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.content,
            # The deadline bounds every wait; these only keep httpcore from adding its own.
            extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"), wire.timeout)},
        )
    )
    try:
        headers = tuple((n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers)
        return Response(response.status, headers), sent
    finally:
        response.close()


def timeline_entry(
    step: Outgoing, sent: Sequence[tuple[str, str]] | None, response: Response | None
) -> dict[str, Any]:
    """One request of :attr:`CheckResult.timeline` (the JSON form): ``sent`` is the header
    lines as they went out, ``None`` when the request was not sent."""
    return {
        "kind": step.kind,
        "method": step.method,
        "url": step.url,
        "sent": sent is not None,
        "request_headers": [[n, v] for n, v in (step.headers if sent is None else sent)],
        "response": None
        if response is None
        else {"status": response.status, "headers": [[n, v] for n, v in response.headers]},
    }


# --- the check ------------------------------------------------------------------------------------------


def check(
    url: str,
    *,
    origin: str,
    method: str = "GET",
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    credentials: Literal["omit", "same-origin", "include"] = "same-origin",
    body: bytes | str | None = None,
    send: bool = False,
    timeout: float = 10.0,
    server: str | None = None,
) -> CheckResult:
    """Make the request a page of ``origin`` would make with ``fetch(url, {method, headers,
    credentials, body})`` and report whether Chromium would let the page read the response.

    The preflight is sent when the browser would send one. The actual request is sent for GET,
    HEAD and OPTIONS; other methods only with ``send=True`` (they may change data) — without it
    the check stops after the preflight, ``complete`` is False and a note says what was not
    verified. ``server`` picks the snippet in ``fixes`` (fastapi, starlette, flask, django,
    express, nginx). ``timeout`` is a deadline in seconds for the whole exchange (connections,
    preflight, actual request, redirects), not a timeout per read. Raises :class:`CheckError`
    for bad input (a timeout that is not a number in (0, 86400] included), when the server
    cannot be reached, or when the deadline passes.
    """
    timeout = valid_timeout(timeout)
    if credentials not in ("omit", "same-origin", "include"):
        raise CheckError(f"invalid credentials mode {credentials!r}: use omit, same-origin or include")
    if server is not None and server not in SERVERS:
        raise CheckError(f"unknown server {server!r}: choose one of {', '.join(SERVERS)}")
    if not is_http_url(url):
        raise CheckError(f"invalid URL {url!r}: an absolute http:// or https:// URL is needed")
    try:
        request = prepare_request(
            url, origin=origin, method=method, headers=headers, credentials=credentials, body=body
        )
    except RequestError as exc:
        return _type_error_result(url, origin, method, credentials, exc)
    except URLError as exc:
        raise CheckError(str(exc)) from None
    cross = not same_origin(request.origin, origin_of(request.url))
    timeline: list[dict[str, Any]] = []
    fetch = Fetch(request, cache=PreflightCache())
    step: Outgoing | Verdict = fetch.start()
    with _Wire(timeout) as wire:
        while isinstance(step, Outgoing):
            if step.kind == "actual" and step.method not in SAFE_TO_SEND and not send:
                timeline.append(timeline_entry(step, None, None))
                step = fetch.stop(
                    f"the {step.method} request was not sent (it may change data on the server):"
                    " the actual response's CORS headers are unverified; pass send=True"
                    " (--send) to send it"
                )
                break
            try:
                response, sent = _send(wire, step)
            except httpx.InvalidURL as exc:
                raise CheckError(f"invalid URL {step.url!r}: {exc}") from None
            except _NET_ERRORS as exc:
                net, text = _net_error(exc)
                what = "preflight OPTIONS" if step.kind == "preflight" else step.method
                raise CheckError(f"{what} {step.url}: {text} ({net.value})") from None
            timeline.append(timeline_entry(step, sent, response))
            step = fetch.receive(response)
    preflighted = any(t["kind"] == "preflight" for t in timeline)
    result = CheckResult.of(
        request,
        step,
        preflight_needed=(cross and needs_preflight(request)) or preflighted,
        timeline=timeline,
    )
    if not cross:
        result.notes.append("the URL is same-origin with the page: CORS does not apply to this request")
    if not result.complete and not result.preflight_needed:
        result.notes.append(
            "nothing was sent: without a preflight, only the actual response decides; run with"
            " --send to verify"
        )
    result.fixes = diagnose(result, server)
    return result


def _type_error_result(
    url: str, origin: str, method: str, credentials: str, exc: RequestError
) -> CheckResult:
    result = CheckResult(
        url=url,
        origin=origin,
        method=method,
        credentials=credentials,
        allowed=False,
        error="TypeError",
        chrome=exc.message.console,
        firefox=None,
        complete=True,
        verdict=None,
        request=None,
        preflight_needed=False,
    )
    result.fixes = {
        "problem": "request",
        "summary": f"fetch() throws before sending anything: {exc.message.text}",
        "headers": [],
        "snippets": {},
    }
    return result


# --- diagnosis and fixes ----------------------------------------------------------------------------------


def _response_header(entry: dict[str, Any] | None, name: str) -> str | None:
    """A header of a timeline entry's response as the browser reads it; ``None`` when the
    header or the response is absent."""
    if not entry or not entry["response"]:
        return None
    return get_header([(n, v) for n, v in entry["response"]["headers"]], name)


def _required(result: CheckResult) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Headers the server must send for this request to pass, with what it sends today."""
    req = result.request
    assert req is not None
    origin = result.origin
    creds = req.credentials == "include"
    pre = result._last("preflight")
    act = result._last("actual")
    out: list[dict[str, Any]] = []
    methods = [] if is_cors_safelisted_method(req.method) else [req.method]
    names = req.unsafe_header_names()

    def need(on: str, entry: dict[str, Any] | None, name: str, value: str, ok: bool) -> None:
        current = _response_header(entry, name)
        out.append({"on": on, "name": name, "value": value, "current": current, "ok": ok})

    if result.preflight_needed:
        have = _response_header(pre, "Access-Control-Allow-Origin")
        need(
            "preflight",
            pre,
            "Access-Control-Allow-Origin",
            origin,
            have == origin or (have == "*" and not creds),
        )
        if creds:
            need(
                "preflight",
                pre,
                "Access-Control-Allow-Credentials",
                "true",
                _response_header(pre, "Access-Control-Allow-Credentials") == "true",
            )
        # Whether today's lists would do is the browser model's call (`*`, case, syntax).
        allowed_methods, bad_method = parse_list(_response_header(pre, "Access-Control-Allow-Methods"))
        allowed_headers, bad_header = parse_list(_response_header(pre, "Access-Control-Allow-Headers"))
        allowed = PreflightResult(
            frozenset(allowed_methods), frozenset(h.lower() for h in allowed_headers), creds, 0
        )
        if methods:
            ok = bad_method is None and allowed.method_failure(req.method) is None
            need("preflight", pre, "Access-Control-Allow-Methods", ", ".join(methods), ok)
        if names:
            ok = bad_header is None and allowed.header_failure(req) is None
            need("preflight", pre, "Access-Control-Allow-Headers", ", ".join(names), ok)
    have = _response_header(act, "Access-Control-Allow-Origin")
    need("actual", act, "Access-Control-Allow-Origin", origin, have == origin or (have == "*" and not creds))
    if creds:
        need(
            "actual",
            act,
            "Access-Control-Allow-Credentials",
            "true",
            _response_header(act, "Access-Control-Allow-Credentials") == "true",
        )
    need("actual", act, "Vary", "Origin", "origin" in (_response_header(act, "Vary") or "").lower())
    return out, methods, names


def _varies_on_preflight(entry: dict[str, Any]) -> bool:
    """Whether a preflight response's Vary names Access-Control-Request-Method: the mark of a
    CORS middleware that looked at the preflight (corsight's engine answers refusals 403)."""
    vary = _response_header(entry, "vary") or ""
    return "access-control-request-method" in vary.lower()


def diagnose(result: CheckResult, server: str | None = None) -> dict[str, Any]:
    """Name the real problem and the fix. A 5xx or an unreachable route is not fixed by a
    CORS header; everything else is, and the snippet configures corsight's middleware."""
    verdict = result.verdict
    if verdict is None or result.request is None:
        return {}
    if result.allowed:
        summary = "Chromium lets the page read the response."
        if not result.complete:
            summary = "Nothing failed so far, but the actual response was not checked."
        return {"problem": None, "summary": summary, "headers": [], "snippets": {}}
    headers, methods, names = _required(result)
    pre = result._last("preflight")
    act = result._last("actual")
    pre_status = pre["response"]["status"] if pre and pre["response"] else None
    act_status = act["response"]["status"] if act and act["response"] else None
    kind = verdict.cors_error
    problem = "cors"
    summary = "The server's CORS headers do not allow this request."
    if kind in (CorsError.PREFLIGHT_DISALLOWED_REDIRECT,):
        problem = "redirect"
        loc = _response_header(pre, "location")
        summary = (
            f"The preflight was redirected (to {loc}); browsers never follow a redirect for a"
            " preflight. Call the final URL directly (a missing trailing slash or http→https"
            " redirect is the usual cause)."
        )
    elif kind is CorsError.REDIRECT_CONTAINS_CREDENTIALS:
        problem = "redirect"
        summary = "The redirect's Location contains user:password@; remove the userinfo."
    elif verdict.net_error is not None:
        problem = "redirect" if "REDIRECT" in verdict.net_error.value else "network"
        summary = f"{verdict.net_error.value}: not a CORS problem."
    elif pre_status is not None and pre_status >= 500 and act_status is None:
        problem = "server-error"
        summary = (
            f"The preflight (OPTIONS) got HTTP {pre_status}: the server failed. No CORS header"
            " fixes that — look at the server's log for the OPTIONS request. Once it answers"
            " 2xx, it also needs the headers below."
        )
    elif pre_status == 403 and act_status is None and pre and _varies_on_preflight(pre):
        problem = "policy"
        summary = (
            "The preflight got HTTP 403 from a CORS middleware (its Vary names the preflight's"
            " headers): the server's CORS policy refuses this origin, method or headers. Add"
            " them to the policy, as below."
        )
    elif pre_status in (401, 403) and act_status is None:
        problem = "auth"
        summary = (
            f"The preflight got HTTP {pre_status}: authentication rejects it, but browsers never"
            " send credentials on a preflight. Let OPTIONS through before authentication (put"
            " the CORS middleware first)."
        )
    elif pre_status in (404, 405, 501) and act_status is None:
        problem = "preflight-not-handled"
        summary = (
            f"The preflight got HTTP {pre_status}: nothing on the server answers OPTIONS for this"
            " URL. A CORS middleware answers preflights for you."
        )
    elif act_status is not None and act_status >= 500:
        problem = "server-error"
        summary = (
            f"The response is HTTP {act_status}: the server failed, and its error response lacks"
            " CORS headers. Fix the error (see the server's log); error responses should also"
            " carry the CORS headers, which a middleware wrapping the whole app does."
        )
    elif kind in (CorsError.ALLOW_ORIGIN_MISMATCH, CorsError.PREFLIGHT_ALLOW_ORIGIN_MISMATCH) and (
        verdict.final_request is not None
        and result.timeline
        and any(("Origin", "null") in [tuple(h) for h in t["request_headers"]] for t in result.timeline)
    ):
        problem = "redirect"
        summary = (
            "A redirect to another origin tainted the request: the browser now sends"
            " 'Origin: null'. Call the final URL directly instead of allowing 'null'."
        )
    snippets = {
        name: snippet(name, result.origin, methods, names, result.request.credentials == "include")
        for name in (SERVERS if server is None else (server,))
    }
    return {
        "problem": problem,
        "summary": summary,
        "headers": headers,
        "snippets": snippets,
    }


def snippet(
    server: str, origin: str, methods: Sequence[str], headers: Sequence[str], credentials: bool
) -> str:
    """A ready configuration for ``server`` that allows ``origin`` with these methods and
    headers: ``corsight export``'s output for that policy, proved in the real servers."""
    return _snippet(server, origin, tuple(methods), tuple(headers), credentials)


# A HAR's failed requests mostly share an origin, methods and headers: each configuration is
# built once (a Policy and an export take milliseconds), not once per request and server.
@functools.lru_cache(maxsize=1024)
def _snippet(
    server: str, origin: str, methods: tuple[str, ...], headers: tuple[str, ...], credentials: bool
) -> str:
    try:
        policy = Policy(
            [origin],
            allow_methods=["GET", "HEAD", "POST", *[m for m in methods if m not in ("GET", "HEAD", "POST")]],
            allow_headers=list(headers),
            allow_credentials=credentials,
        )
        return export(policy, EXPORT_TARGET.get(server, server)).content
    except (PolicyError, ExportError) as exc:
        return f"# corsight cannot write this configuration safely: {exc}\n"


class _CallableModule(types.ModuleType):
    """Python binds a submodule on its package once imported, so after ``import corsight.check``
    the name ``corsight.check`` is this module, hiding the function of the same name. Calling
    the module calls the function: ``corsight.check(url, origin=...)`` works either way."""

    def __call__(self, *args: Any, **kwargs: Any) -> CheckResult:
        return check(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
