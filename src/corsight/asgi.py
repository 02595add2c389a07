"""ASGI middleware: :class:`corsight.engine.Engine` applied to HTTP requests (Starlette,
FastAPI, Litestar, Quart, any ASGI app). WebSocket and lifespan scopes pass through untouched.

Drop-in for Starlette's ``CORSMiddleware``: the same keyword arguments, or ``policy=``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from corsight.engine import MAX_REQUEST_HEADERS_LENGTH, Decision, Engine, merge_vary
from corsight.policy import Policy
from corsight.routing import Router, relative_path
from corsight.types import RawHeaderPair, RawHeaders

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ERROR_BODY = b"Internal Server Error"

_CORS_REQUEST_HEADERS = frozenset({
    b"origin", b"access-control-request-method", b"access-control-request-headers",
    b"access-control-request-private-network",
})  # fmt: skip

#: Longest value kept from one header's lines: a longer ``Access-Control-Request-Headers`` is
#: denied, and a longer Origin or method matches nothing, so further lines cannot change the
#: decision and are not read.
_BOUND = MAX_REQUEST_HEADERS_LENGTH
_CUT = _BOUND + 1  # a line is kept up to here: enough to be seen as beyond the bound


class _Joined(bytearray):
    """The lines of a header sent more than once, joined in one buffer that grows in place."""


def _join(collected: bytes | bytearray, line: bytes, separator: bytes) -> bytearray:
    """``collected`` (the header's value so far) and one more line of the same header.

    The second line is always joined: ``", "`` is in no origin and no method, so an Origin or
    ``Access-Control-Request-Method`` sent twice never matches. Later lines are joined only
    while the value is within the bound; each line is cut past it. Appending to one buffer
    keeps the cost linear in the request, and constant per line once the bound is passed
    (joining immutable strings instead copies the whole value for every line: quadratic).
    """
    if not isinstance(collected, _Joined):
        collected = _Joined(collected[:_CUT])
    elif len(collected) > _BOUND:
        return collected
    collected += separator
    collected += line[:_CUT]
    return collected


def cors_request(headers: RawHeaders) -> tuple[str | None, str | None, str | None, bool]:
    """The engine's inputs from ASGI request headers: ``Origin``, ``Access-Control-Request-Method``,
    ``-Headers`` (decoded no further than the engine reads) and whether ``-Private-Network`` is
    present.

    A header sent in several lines is joined as one value, bounded while it is collected (see
    :func:`_join`): Origin and the method by ``", "``, so that they never match, the requested
    headers by ``","``, as RFC 9110 combines a list; past 4 KiB they are denied.
    """
    origin: bytes | bytearray | None = None
    request_method: bytes | bytearray | None = None
    request_headers: bytes | bytearray | None = None
    private_network = False
    cors_headers = _CORS_REQUEST_HEADERS  # a local: read once per header line
    for name, value in headers:
        if name not in cors_headers:  # one set lookup for the many other headers
            continue
        if name == b"origin":
            origin = value if origin is None else _join(origin, value, b", ")
        elif name == b"access-control-request-method":
            request_method = value if request_method is None else _join(request_method, value, b", ")
        elif name == b"access-control-request-headers":
            request_headers = value if request_headers is None else _join(request_headers, value, b",")
        else:
            private_network = True
    return (
        None if origin is None else origin.decode("latin-1"),
        None if request_method is None else request_method.decode("latin-1"),
        None if request_headers is None else request_headers[:_CUT].decode("latin-1"),
        private_network,
    )


async def decide_awaiting(
    engine: Engine,
    *,
    method: str,
    origin: str | None,
    request_method: str | None = None,
    request_headers: str | None = None,
    request_private_network: bool = False,
) -> Decision:
    """:meth:`Engine.decide <corsight.engine.Engine.decide>` for an adapter that can await
    (ASGI, aiohttp, async Django): when deciding needs the origin callback, its answer is
    awaited here, whatever the callback looks like, and handed to the synchronous engine."""
    allowed = None
    callback = engine.origin_callback
    if callback is not None and origin is not None and engine.asks_callback(origin):
        allowed = await callback.aallows(origin)
    return engine.decide(
        method=method,
        origin=origin,
        request_method=request_method,
        request_headers=request_headers,
        request_private_network=request_private_network,
        origin_allowed=allowed,
    )


def route_path(scope: Scope) -> str:
    """The path the wrapped application routes on: ``scope["path"]`` relative to
    ``scope["root_path"]`` (Starlette ``Mount``, ``uvicorn --root-path``; see
    :class:`~corsight.routing.Router`)."""
    return relative_path(scope["path"], scope.get("root_path", ""))


def with_cors_headers(headers: RawHeaders, decision: Decision) -> list[RawHeaderPair]:
    """The app's response headers with the decision's CORS headers and Vary merged in.

    ASGI requires lowercase response header names, which makes the common case (the app sent
    neither Vary nor a header the decision sets) a single pass of set lookups.
    """
    if not isinstance(headers, list):
        headers = list(headers)
    conflicts = decision.raw_conflicts
    for name, _ in headers:  # a loop, not a comprehension: no function call before 3.12
        if name in conflicts:
            break
    else:
        return [*headers, *decision.raw_added]
    vary = b", ".join(value for name, value in headers if name == b"vary") or None
    kept = [header for header in headers if header[0] not in decision.raw_names and header[0] != b"vary"]
    kept.extend(decision.raw_headers)
    if vary is not None:
        kept.append((b"vary", merge_vary(vary.decode("latin-1"), decision.vary).encode("latin-1")))
    elif decision.raw_vary:
        kept.append((b"vary", decision.raw_vary))
    return kept


class CORSMiddleware:
    """Add CORS to an ASGI application.

    ``CORSMiddleware(app, allow_origins=["https://app.example.com"], allow_credentials=True)``
    or ``CORSMiddleware(app, policy=Policy(...))``. Preflights are answered here; other
    requests reach the app and get the CORS headers added to its response. If the app raises
    before responding, the browser still gets a 500 with the CORS headers (so it does not report
    a misleading CORS error) and the exception propagates to the server for logging.
    """

    def __init__(self, app: ASGIApp, policy: Policy | Router | None = None, **settings: Any) -> None:
        self.app = app
        self.router = Router.of(policy, settings)
        #: The policy for every path, or the Router that picks one per path.
        self.policy = policy if isinstance(policy, Router) else self.router.policy_for("/")
        self._single = self.router.single

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine = self._single or self.router.engine_for(route_path(scope))
        if engine is None:
            await self.app(scope, receive, send)
            return
        origin, request_method, request_headers, private_network = cors_request(scope["headers"])
        if engine.has_callback:  # any callback may answer with an awaitable
            decision = await decide_awaiting(
                engine,
                method=scope["method"],
                origin=origin,
                request_method=request_method,
                request_headers=request_headers,
                request_private_network=private_network,
            )
        else:
            decision = engine.decide(
                method=scope["method"],
                origin=origin,
                request_method=request_method,
                request_headers=request_headers,
                request_private_network=private_network,
            )
        if decision.status is not None:
            await send(
                {"type": "http.response.start", "status": decision.status, "headers": decision.raw_headers}
            )
            await send({"type": "http.response.body", "body": decision.body})
            return
        if not decision.raw_headers and not decision.raw_vary:
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = with_cors_headers(message.get("headers", ()), decision)
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            if not started:
                headers = [(b"content-type", b"text/plain; charset=utf-8")]
                await send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": with_cors_headers(headers, decision),
                    }
                )
                await send({"type": "http.response.body", "body": _ERROR_BODY})
            raise
