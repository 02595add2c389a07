"""Sending what the browser model asks for over real HTTP: exactly one request and one
response at a time (httpx builds the request, a bare httpcore pool sends it), with the headers
Chromium adds on the wire, every wait bounded by one deadline for the whole check, and a
failure named as Chromium names it (``net::ERR_…``)."""

from __future__ import annotations

import functools
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from corsight.browser import NetError, Outgoing, Response
from corsight.browser.wire import NetworkFailure, net_error, wire_headers
from corsight.check.result import CheckError

USER_AGENT = "corsight-check/0.1 (CORS check; like Chromium 156)"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA certificates takes ~0.1 s: once per process, not per check."""
    return ssl.create_default_context()


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


class Wire:
    """Sends exactly one request and returns exactly one response, all within one deadline: a
    bare httpcore pool, because an httpx Client would parse a redirect's Location itself (and
    fail on the odd ones that the browser model must judge: ``data:`` URLs, broken hosts)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(), network_backend=_DeadlineBackend(_Deadline(timeout))
        )

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.close()


def _headers_on_the_wire(step: Outgoing) -> list[tuple[str, str]]:
    """The browser model's header lines for ``step``, then the User-Agent check sends."""
    return [*wire_headers(step), ("User-Agent", USER_AGENT)]


#: What httpcore raises when a request fails (it has no common base class).
_NET_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


def _net_error(exc: Exception) -> tuple[NetError, str]:
    """What kind of network failure ``exc`` is (httpcore's exceptions, read here), as the
    browser model names it, and a description for the one-line error."""
    failure, text = _failure(exc)
    return net_error(failure), text


def _failure(exc: Exception) -> tuple[NetworkFailure, str]:
    text = str(exc) or exc.__class__.__name__
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                NetworkFailure.TLS_CERTIFICATE_INVALID,
                f"TLS certificate not trusted ({cause.verify_message})",
            )
        if isinstance(cause, ssl.SSLError):
            return NetworkFailure.TLS_FAILED, f"TLS failure ({cause.reason or cause})"
        cause = cause.__cause__ or cause.__context__
    lower = text.lower()
    if isinstance(exc, httpcore.TimeoutException):
        return NetworkFailure.TIMED_OUT, "timed out"
    if "ssl" in lower or "certificate" in lower or "tls" in lower:
        return NetworkFailure.TLS_FAILED, f"TLS failure ({text})"
    if isinstance(exc, httpcore.ConnectError):
        if "refused" in lower:
            return NetworkFailure.CONNECTION_REFUSED, "connection refused"
        if "name" in lower or "known" in lower or "resolution" in lower or "address" in lower:
            return NetworkFailure.NAME_NOT_RESOLVED, f"host not found ({text})"
        return NetworkFailure.CONNECT_FAILED, f"cannot connect ({text})"
    if isinstance(exc, httpcore.RemoteProtocolError):
        if "without sending" in lower or "disconnected" in lower:
            return (
                NetworkFailure.EMPTY_RESPONSE,
                "no HTTP response: the connection closed first (is this port an HTTP server?)",
            )
        return NetworkFailure.INVALID_RESPONSE, f"the answer is not HTTP ({text})"
    if isinstance(exc, (httpcore.ReadError, httpcore.WriteError)):
        return NetworkFailure.CONNECTION_RESET, f"connection reset ({text})"
    return NetworkFailure.OTHER, text


def _send(wire: Wire, step: Outgoing) -> tuple[Response, list[tuple[str, str]]]:
    request = httpx.Request(
        step.method,
        step.url,
        headers=[
            (n.encode("latin-1"), v.encode("latin-1"))
            for n, v in [*wire_headers(step), ("User-Agent", USER_AGENT)]
        ],
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


def send(wire: Wire, step: Outgoing) -> tuple[Response, list[tuple[str, str]]]:
    """Send ``step``: the response and the header lines as they went out, or
    :class:`CheckError` with one line when it cannot be sent or gets no HTTP response."""
    try:
        return _send(wire, step)
    except httpx.InvalidURL as exc:
        raise CheckError(f"invalid URL {step.url!r}: {exc}") from None
    except _NET_ERRORS as exc:
        net, text = _net_error(exc)
        what = "preflight OPTIONS" if step.kind == "preflight" else step.method
        raise CheckError(f"{what} {step.url}: {text} ({net.value})") from None
