"""WSGI middleware: :class:`corsight.engine.Engine` applied to any WSGI app (Flask, Django,
Pyramid, Bottle...). Same keyword arguments as the ASGI middleware, or ``policy=``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

from corsight.engine import Decision, merge_vary
from corsight.policy import Policy
from corsight.routing import Router
from corsight.types import HeaderPair

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_ERROR_BODY = b"Internal Server Error"


def cors_request(environ: Mapping[str, Any]) -> tuple[str | None, str | None, str | None, bool]:
    """The engine's inputs from a WSGI environ (or Django's ``request.META``, which has the
    same keys): ``Origin``, ``Access-Control-Request-Method``, ``-Headers``, and whether
    ``-Private-Network`` is present.

    The server has already joined a header's repeated lines with ``","`` (so a repeated Origin
    or method never matches); each value is taken as it is, with no work per character here,
    and the engine refuses requested headers past its bound before splitting them.
    """
    return (
        environ.get("HTTP_ORIGIN"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
        environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS"),
        "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK" in environ,
    )


def with_cors_headers(headers: Iterable[HeaderPair], decision: Decision) -> list[HeaderPair]:
    """The app's response headers with the decision's CORS headers and Vary merged in."""
    headers = headers if isinstance(headers, list) else list(headers)
    conflicts = decision.conflicts
    for name, _ in headers:  # a loop, not a comprehension: no function call before 3.12
        if name.lower() in conflicts:
            break
    else:  # the common case: the app sent neither Vary nor CORS headers
        return [*headers, *decision.added]
    vary = ", ".join(value for name, value in headers if name.lower() == "vary") or None
    kept = [
        header
        for header in headers
        if header[0].lower() not in decision.names and header[0].lower() != "vary"
    ]
    kept.extend(decision.headers)
    if vary is not None or decision.vary:
        kept.append(("Vary", merge_vary(vary, decision.vary)))
    return kept


def _body_then_raise(exc: BaseException) -> Iterator[bytes]:
    # The 500 reaches the browser whole (Content-Length is set); raising afterwards hands the
    # exception to the server, which logs it as it would have without this middleware.
    yield _ERROR_BODY
    raise exc


class CORSMiddleware:
    """Add CORS to a WSGI application.

    ``app.wsgi_app = CORSMiddleware(app.wsgi_app, allow_origins=[...])`` for Flask.
    Preflights are answered here; other requests reach the app and get CORS headers added.
    If the app raises before starting its response, the browser gets a 500 with the CORS
    headers and the exception is re-raised to the server once that response is sent.
    """

    def __init__(self, app: WSGIApp, policy: Policy | Router | None = None, **settings: Any) -> None:
        self.app = app
        self.router = Router.of(policy, settings)
        if self.router.is_async:
            raise TypeError(
                "allow_origin_callback is async, which a WSGI app cannot await; pass a plain function"
            )
        #: The policy for every path, or the Router that picks one per path.
        self.policy = policy if isinstance(policy, Router) else self.router.policy_for("/")
        self._single = self.router.single

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        engine = self._single or self.router.engine_for(environ.get("PATH_INFO", ""))
        if engine is None:
            return self.app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS":
            origin, request_method, request_headers, private_network = cors_request(environ)
            decision = engine.decide(
                method=method,
                origin=origin,
                request_method=request_method,
                request_headers=request_headers,
                request_private_network=private_network,
            )
        else:  # only a preflight reads the Access-Control-Request-* headers
            decision = engine.decide(method=method, origin=environ.get("HTTP_ORIGIN"))
        if decision.status is not None:
            start_response(decision.status_line, list(decision.headers))
            return [decision.body]
        if not decision.headers and not decision.vary:
            return self.app(environ, start_response)

        def start_with_cors(status: str, headers: list[HeaderPair], exc_info: ExcInfo | None = None) -> Any:
            return start_response(status, with_cors_headers(headers, decision), exc_info)

        try:
            return self.app(environ, start_with_cors)
        except Exception as exc:
            # With exc_info, PEP 3333's start_response replaces a response not sent yet, and
            # re-raises when the headers are already out: then the exception goes on as is.
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(_ERROR_BODY))),
            ]
            start_response("500 Internal Server Error", with_cors_headers(headers, decision), sys.exc_info())
            return _body_then_raise(exc)
