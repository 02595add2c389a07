"""Flask integration: ``CORS(app, ...)`` (or ``CORS().init_app(app)``) and the per-view
``@cors(...)`` decorator, with flask-cors's keyword names and ``CORS_*`` config keys read into a
:class:`~corsight.policy.Policy` or :class:`~corsight.routing.Router`.

The extension wraps ``app.wsgi_app`` in :class:`corsight.wsgi.CORSMiddleware`, so preflights
are answered before Flask routes them and error responses (aborts, unhandled exceptions)
keep their CORS headers. The options are read by :mod:`corsight.config.flask_options`:
settings flask-cors accepted but that were unsafe or ambiguous — its default ``origins='*'``
with ``supports_credentials=True``, prefix-matched regexes — are refused at start-up with the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import update_wrapper
from typing import Any, TypeVar

from flask import Flask, after_this_request, current_app, request
from flask.wrappers import Response
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from corsight.config.flask_options import router_from_options
from corsight.engine import Decision, Engine
from corsight.policy import Policy
from corsight.routing import Router
from corsight.wsgi import CORSMiddleware as WSGICORSMiddleware
from corsight.wsgi import Environ, StartResponse, WSGIApp, cors_request, with_cors_headers

__all__ = ["CORS", "cors", "cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])

_APPLIED = "corsight.flask.applied"

# --- the extension ------------------------------------------------------------------------------------------


def _apply(response: Response, decision: Decision) -> Response:
    response.headers = Headers(with_cors_headers(response.headers.items(), decision))
    return response


class FlaskCORSMiddleware:
    """The WSGI wrapper installed on ``app.wsgi_app``: per-view policies (``@cors``) first,
    then the app's router. Views are looked up with Flask's own URL map only when some view
    has a policy of its own."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp, router: Router) -> None:
        self.flask = app
        self.wsgi_app = wsgi_app
        self.router = router
        self.middleware = WSGICORSMiddleware(wsgi_app, policy=router)
        self._views: dict[str, WSGICORSMiddleware] = {}
        self._seen = -1

    def _view_middlewares(self) -> dict[str, WSGICORSMiddleware]:
        functions = self.flask.view_functions
        if len(functions) != self._seen:
            self._seen = len(functions)
            policies = {
                endpoint: getattr(view, "_corsight_policy", None) for endpoint, view in functions.items()
            }
            self._views = {
                endpoint: WSGICORSMiddleware(self.wsgi_app, policy=policy)
                for endpoint, policy in policies.items()
                if isinstance(policy, Policy)
            }
        return self._views

    def _endpoint(self, environ: Environ) -> str | None:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            method = environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"]
        try:
            adapter = self.flask.url_map.bind_to_environ(
                environ, server_name=self.flask.config["SERVER_NAME"]
            )
            endpoint, _ = adapter.match(method=method)
        except (HTTPException, RequestRedirect):
            return None
        return str(endpoint)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        environ[_APPLIED] = True
        views = self._view_middlewares()
        if views:
            endpoint = self._endpoint(environ)
            if endpoint in views:
                return views[endpoint](environ, start_response)
        return self.middleware(environ, start_response)


class CORS:
    """CORS for a Flask app: ``CORS(app, origins=[...], supports_credentials=True)`` or
    ``cors = CORS(origins=[...])`` then ``cors.init_app(app)`` in an app factory.

    Takes flask-cors's options (``origins``, ``methods``, ``allow_headers``,
    ``expose_headers``, ``supports_credentials``, ``max_age``, ``resources``,
    ``allow_private_network``), corsight's names, or ``policy=`` a Policy or Router, over the
    app's ``CORS_*`` config keys. Problems raise :class:`~corsight.errors.ConfigError` here,
    at start-up, each with its fix.
    """

    def __init__(
        self, app: Flask | None = None, *, policy: Policy | Router | None = None, **options: Any
    ) -> None:
        self.policy = policy
        self.options = options
        self.router: Router | None = None
        if policy is not None and options:
            raise TypeError(f"pass either policy= or options, not both (got {sorted(options)})")
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, **options: Any) -> None:
        merged = {**self.options, **options}
        if self.policy is not None:
            router = Router.of(self.policy, {})
        else:
            router = router_from_options(merged, app.config)
        if isinstance(app.wsgi_app, FlaskCORSMiddleware):
            raise RuntimeError("CORS is already set up on this app; call CORS(app) or init_app(app) once")
        self.router = router
        app.wsgi_app = FlaskCORSMiddleware(app, app.wsgi_app, router)  # type: ignore[method-assign]
        app.extensions["corsight"] = self


def cors(*, policy: Policy | None = None, **options: Any) -> Callable[[F], F]:
    """A CORS policy for one view, over the app's: ``@app.route(...)`` then ``@cors(origins=[...])``.

    Takes the same options as :class:`CORS` (not ``resources``), with flask-cors's defaults.
    Works with or without ``CORS(app)``; with it, the view's policy replaces the app's.
    """
    if "resources" in options:
        raise TypeError("resources applies to CORS(app); a decorated view has one policy")
    if policy is None:
        router = router_from_options(options)
        found = router.policy_for("/")
        assert found is not None
        policy = found
    elif options:
        raise TypeError(f"pass either policy= or options, not both (got {sorted(options)})")
    engine = Engine(policy)
    if engine.is_async:
        raise TypeError(
            "allow_origin_callback is async, which Flask (WSGI) cannot await; pass a plain function"
        )
    chosen = policy

    def decorate(view: F) -> F:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method == "OPTIONS" and "Access-Control-Request-Method" not in request.headers:
                response = current_app.make_default_options_response()
            elif request.environ.get(_APPLIED):
                return current_app.ensure_sync(view)(*args, **kwargs)
            else:
                response = None
            environ = request.environ
            origin, request_method, request_headers, private_network = cors_request(environ)
            decision = engine.decide(
                method=request.method,
                origin=origin,
                request_method=request_method,
                request_headers=request_headers,
                request_private_network=private_network,
            )
            if decision.status is not None:
                return current_app.response_class(decision.body, decision.status, list(decision.headers))
            if response is not None:
                return response if environ.get(_APPLIED) else _apply(response, decision)
            # Registered before the view runs, so that error responses get the headers too.
            after_this_request(lambda response: _apply(response, decision))
            return current_app.ensure_sync(view)(*args, **kwargs)

        update_wrapper(wrapper, view)
        wrapper._corsight_policy = chosen  # type: ignore[attr-defined]
        wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
        wrapper.required_methods = {*getattr(view, "required_methods", ()), "OPTIONS"}  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


#: flask-cors's name for the decorator.
cross_origin = cors
