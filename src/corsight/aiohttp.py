"""aiohttp integration: ``web.Application(middlewares=[cors_middleware(allow_origins=[...])])``.

Preflights are answered by the middleware itself, also for routes with no OPTIONS handler (no
OPTIONS route is ever registered, so there is nothing to conflict with). Responses, raised
``web.HTTPException`` responses and unhandled exceptions (answered 500 here, and logged where
aiohttp logs them) all carry the CORS headers. Put it first in ``middlewares``.
For handlers that stream (``await response.prepare(request)``), use :func:`setup`, which also
applies the headers when a response is prepared.

In a sub-application (``app.add_subapp("/v1", sub)``), a Router's keys are the sub-app's own
paths (``"/items"``, not ``"/v1/items"``), as its routes are written.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDictProxy

from corsight.asgi import decide_awaiting
from corsight.engine import MAX_REQUEST_HEADERS_LENGTH, Decision
from corsight.policy import Policy
from corsight.routing import Router, relative_path
from corsight.wsgi import with_cors_headers

__all__ = ["cors_middleware", "setup"]

# A typed request key where aiohttp has them (3.12+), a string before.
_DECISION: Any = (
    web.RequestKey("corsight_decision", Decision) if hasattr(web, "RequestKey") else "corsight.decision"
)
_server_log = logging.getLogger("aiohttp.server")
_BOUND = MAX_REQUEST_HEADERS_LENGTH
_CUT = _BOUND + 1


def _set_cors_headers(response: web.StreamResponse, decision: Decision) -> None:
    vary = [("Vary", v) for v in response.headers.getall("Vary", [])]
    for name, value in with_cors_headers(vary, decision):
        response.headers[name] = value


def _apply(response: web.StreamResponse, decision: Decision) -> None:
    if response.prepared:
        return  # headers already sent; setup()'s on_response_prepare handled them
    _set_cors_headers(response, decision)


def _header(headers: CIMultiDictProxy[str], name: str, separator: str) -> str | None:
    """A request header's lines as one value, joined and bounded as
    :func:`corsight.asgi.cors_request` joins them: the second line always (so a repeated Origin
    or method never matches), more only while the value is within the bound."""
    lines = headers.getall(name, ())
    if len(lines) < 2:
        return lines[0] if lines else None
    parts = [lines[0][:_CUT]]
    size = len(parts[0])
    for line in itertools.islice(lines, 1, None):
        if size > _BOUND and len(parts) > 1:
            break
        parts.append(line[:_CUT])
        size += len(separator) + len(parts[-1])
    return separator.join(parts)


def _mount_prefix(request: web.Request) -> str:
    """The path prefix of the (sub-)application whose middlewares are running: ``""`` for the
    main application and for a sub-app matched by domain (``add_domain``)."""
    apps = request.match_info.apps
    for parent, app in itertools.pairwise(apps):
        if app is request.app:
            for resource in parent.router.resources():
                info = resource.get_info()
                if info.get("app") is app:
                    return str(info.get("prefix", ""))
    return ""


def cors_middleware(policy: Policy | Router | None = None, **settings: Any) -> Middleware:
    """The middleware for a Policy, a Router, or the Policy's keyword arguments."""
    router = Router.of(policy, settings)
    prefixes: dict[web.Application, str] = {}  # fixed once an app serves: computed once

    def route_path(request: web.Request) -> str:
        # aiohttp routes on the decoded path with %2F kept encoded, and routes a sub-app's
        # resources under its prefix: match policies on that path, relative to the app.
        path: str = getattr(request.rel_url, "path_safe", request.rel_url.path)
        app = request.app
        prefix = prefixes.get(app)
        if prefix is None:
            prefix = prefixes[app] = _mount_prefix(request)
        return relative_path(path, prefix)

    @web.middleware
    async def corsight_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        engine = router.single or router.engine_for(route_path(request))
        if engine is None:
            return await handler(request)
        headers = request.headers
        decision = await decide_awaiting(
            engine,
            method=request.method,
            origin=_header(headers, "Origin", ", "),
            request_method=_header(headers, "Access-Control-Request-Method", ", "),
            request_headers=_header(headers, "Access-Control-Request-Headers", ","),
            request_private_network="Access-Control-Request-Private-Network" in headers,
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
