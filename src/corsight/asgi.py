"""ASGI middleware: :class:`corsight.engine.Engine` applied to HTTP requests (Starlette,
FastAPI, Litestar, Quart, any ASGI app). WebSocket and lifespan scopes pass through untouched.

Drop-in for Starlette's ``CORSMiddleware``: the same keyword arguments, or ``policy=``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from corsight.engine import MAX_REQUEST_HEADERS_LENGTH, Decision, merge_vary
from corsight.policy import Policy
from corsight.routing import Router

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
RawHeaders = Iterable[tuple[bytes, bytes]]

_ERROR_BODY = b"Internal Server Error"

_CORS_REQUEST_HEADERS = frozenset({
    b"origin", b"access-control-request-method", b"access-control-request-headers",
    b"access-control-request-private-network",
})  # fmt: skip


def cors_request(headers: RawHeaders) -> tuple[str | None, str | None, str | None, bool]:
    """The engine's inputs from ASGI request headers: ``Origin`` (several joined by ``", "``,
    which never matches), ``Access-Control-Request-Method``, ``-Headers`` (decoded no further
    than the engine reads) and whether ``-Private-Network`` is present."""
    origin = request_method = request_headers = None
    private_network = False
    for name, value in headers:
        if name not in _CORS_REQUEST_HEADERS:  # one set lookup for the many other headers
            continue
        if name == b"origin":
            text = value.decode("latin-1")
            origin = text if origin is None else f"{origin}, {text}"
        elif name == b"access-control-request-method":
            request_method = value.decode("latin-1")
        elif name == b"access-control-request-headers":
            part = value[: MAX_REQUEST_HEADERS_LENGTH + 1].decode("latin-1")
            request_headers = part if request_headers is None else f"{request_headers},{part}"
        else:
            private_network = True
    return origin, request_method, request_headers, private_network


def with_cors_headers(headers: RawHeaders, decision: Decision) -> list[tuple[bytes, bytes]]:
    """The app's response headers with the decision's CORS headers and Vary merged in.

    ASGI requires lowercase response header names, which makes the common case (the app sent
    neither Vary nor a header the decision sets) a single filtering pass.
    """
    if not isinstance(headers, list):
        headers = list(headers)
    kept = [header for header in headers if header[0] not in decision.raw_conflicts]
    if len(kept) == len(headers):
        kept.extend(decision.raw_added)
        return kept
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine = self.router.single or self.router.engine_for(scope["path"])
        if engine is None:
            await self.app(scope, receive, send)
            return
        origin, request_method, request_headers, private_network = cors_request(scope["headers"])
        if engine.has_callback:  # any callback may answer with an awaitable
            decision = await engine.adecide(
                scope["method"], origin, request_method, request_headers, private_network
            )
        else:
            decision = engine.decide(
                scope["method"], origin, request_method, request_headers, private_network
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
