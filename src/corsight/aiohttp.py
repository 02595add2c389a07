"""aiohttp integration: ``web.Application(middlewares=[cors_middleware(allow_origins=[...])])``.

Preflights are answered by the middleware itself, also for routes with no OPTIONS handler (no
OPTIONS route is ever registered, so there is nothing to conflict with). Responses, raised
``web.HTTPException`` responses and unhandled exceptions (answered 500 here, and logged where
aiohttp logs them) all carry the CORS headers. Put it first in ``middlewares``.
For handlers that stream (``await response.prepare(request)``), use :func:`setup`, which also
applies the headers when a response is prepared.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from corsight.engine import Decision
from corsight.policy import Policy
from corsight.routing import Router
from corsight.wsgi import with_cors_headers

__all__ = ["cors_middleware", "setup"]

# A typed request key where aiohttp has them (3.12+), a string before.
_DECISION: Any = (
    web.RequestKey("corsight_decision", Decision) if hasattr(web, "RequestKey") else "corsight.decision"
)
_server_log = logging.getLogger("aiohttp.server")


def _set_cors_headers(response: web.StreamResponse, decision: Decision) -> None:
    vary = [("Vary", v) for v in response.headers.getall("Vary", [])]
    for name, value in with_cors_headers(vary, decision):
        response.headers[name] = value


def _apply(response: web.StreamResponse, decision: Decision) -> None:
    if response.prepared:
        return  # headers already sent; setup()'s on_response_prepare handled them
    _set_cors_headers(response, decision)


def cors_middleware(policy: Policy | Router | None = None, **settings: Any) -> Middleware:
    """The middleware for a Policy, a Router, or the Policy's keyword arguments."""
    router = Router.of(policy, settings)

    @web.middleware
    async def corsight_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        # aiohttp routes on the decoded path (with %2F kept): match policies on the same one.
        path = getattr(request.rel_url, "path_safe", request.rel_url.path)
        engine = router.engine_for(path)
        if engine is None:
            return await handler(request)
        headers = request.headers
        decision = await engine.adecide(
            request.method,
            ", ".join(headers.getall("Origin")) if "Origin" in headers else None,
            headers.get("Access-Control-Request-Method"),
            headers.get("Access-Control-Request-Headers"),
            "Access-Control-Request-Private-Network" in headers,
        )
        if decision.status is not None:
            return web.Response(status=decision.status, body=decision.body, headers=decision.headers)
        request[_DECISION] = decision
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _apply(exc, decision)
            raise
        except Exception:
            # aiohttp would answer 500 after every middleware, without CORS headers: the
            # browser would then report a CORS error instead of the server error.
            _server_log.exception("Error handling request")
            response = web.Response(status=500, text="500 Internal Server Error")
        _apply(response, decision)
        return response

    return corsight_cors


async def _on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    decision = request.get(_DECISION)
    if isinstance(decision, Decision):
        _set_cors_headers(response, decision)


def setup(app: web.Application, policy: Policy | Router | None = None, **settings: Any) -> None:
    """Install :func:`cors_middleware` first in ``app.middlewares``, and apply the headers to
    streamed responses too (``on_response_prepare``)."""
    app.middlewares.insert(0, cors_middleware(policy, **settings))
    app.on_response_prepare.append(_on_prepare)
