"""Flask integration: ``CORS(app, ...)`` (or ``CORS().init_app(app)``) and the per-view
``@cors(...)`` decorator, with flask-cors's keyword names and ``CORS_*`` config keys read into a
:class:`~corsight.policy.Policy` or :class:`~corsight.routing.Router`.

The extension wraps ``app.wsgi_app`` in :class:`corsight.wsgi.CORSMiddleware`, so preflights
are answered before Flask routes them and error responses (aborts, unhandled exceptions)
keep their CORS headers. Settings flask-cors accepted but that were unsafe or ambiguous —
its default ``origins='*'`` with ``supports_credentials=True``, prefix-matched regexes — are
refused at start-up with the fix.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from functools import update_wrapper
from typing import Any, TypeVar

from flask import Flask, after_this_request, current_app, request
from flask.wrappers import Response
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from corsight.config import (
    E_COMBINATION,
    E_CONFLICT,
    E_PREFIX_REGEX,
    E_ROUTES,
    E_UNKNOWN,
    ConfigError,
    Problem,
    build_policy,
    ends_anchored,
    without_repeats,
)
from corsight.engine import Decision, Engine
from corsight.errors import PolicyError
from corsight.origins import normalize_allowed
from corsight.policy import Policy
from corsight.routing import RouteKey, Router
from corsight.wsgi import CORSMiddleware as WSGICORSMiddleware
from corsight.wsgi import Environ, StartResponse, WSGIApp, cors_request, with_cors_headers

__all__ = ["CORS", "cors", "cross_origin"]

F = TypeVar("F", bound=Callable[..., Any])

#: flask-cors's defaults, kept so that a migrated app answers browsers as before.
FLASK_CORS_DEFAULTS: dict[str, Any] = {
    "origins": "*",
    "methods": ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"],
    "allow_headers": "*",
    "expose_headers": [],
    "supports_credentials": False,
    "max_age": None,
    "allow_private_network": False,
}

#: flask-cors name → corsight name.
FLASK_CORS_NAMES = {
    "origins": "allow_origins",
    "methods": "allow_methods",
    "allow_headers": "allow_headers",
    "expose_headers": "expose_headers",
    "supports_credentials": "allow_credentials",
    "max_age": "max_age",
    "allow_private_network": "allow_private_network",
}

#: corsight names accepted as they are (those that are not also flask-cors names).
CORSIGHT_NAMES = frozenset(
    {
        "allow_origins",
        "allow_origin_regex",
        "allow_methods",
        "allow_credentials",
        "allow_origin_callback",
        "origin_cache_size",
        "origin_cache_ttl",
    }
)

#: flask-cors options whose behaviour corsight has built in; accepted and ignored.
#: send_wildcard: '*' is sent when any origin is allowed without credentials, otherwise the
#: origin; automatic_options: preflights are always answered; vary_header: Vary is always
#: right; always_send: requests without Origin need no CORS headers; intercept_exceptions:
#: error responses always keep their CORS headers.
BUILT_IN = frozenset(
    {"send_wildcard", "automatic_options", "vary_header", "always_send", "intercept_exceptions"}
)

#: Characters that made flask-cors treat an origin string as a regex.
_REGEX_CHARS = frozenset("*\\]?$^[()")

_APPLIED = "corsight.flask.applied"

_EVERY_PATH = frozenset({"*", "/*", ".*", "/.*", "/(.*)", "^/.*", "^.*", "^/*", "/.*$", "^/.*$", ".*$"})


# --- reading flask-cors options -------------------------------------------------------------------------


def _as_items(value: Any) -> Any:
    """flask-cors accepted a single string where a list was meant; corsight's Policy does not."""
    if isinstance(value, str) and value != "*":
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _is_corsight_pattern(text: str) -> bool:
    """``https://*.example.com`` or ``http://localhost:*``: a corsight origin pattern."""
    if set(text) & _REGEX_CHARS != {"*"}:
        return False
    try:
        normalize_allowed(text)
    except PolicyError:
        return False
    return True


def _origins(value: Any, setting: str, source: str, problems: list[Problem]) -> tuple[Any, list[str]]:
    """flask-cors ``origins`` → (corsight ``allow_origins``, regexes)."""
    if value == "*" or not isinstance(value, (str, list, tuple, set, re.Pattern)):
        return value, []
    items: Iterable[Any] = [value] if isinstance(value, (str, re.Pattern)) else value
    origins: list[str] = []
    regexes: list[str] = []
    for item in items:
        pattern = item.pattern if isinstance(item, re.Pattern) else None
        if pattern is None and isinstance(item, str):
            if item == "*" or not set(item) & _REGEX_CHARS or _is_corsight_pattern(item):
                origins.append(item)
                continue
            pattern = item
        if pattern is None:
            origins.append(item)  # not a string: the Policy names the problem
            continue
        if not ends_anchored(pattern):
            problems.append(
                Problem(
                    E_PREFIX_REGEX,
                    setting,
                    pattern,
                    "is a regex, which flask-cors matched at the start of the origin only (re.match), "
                    "so it also admitted any origin that merely begins with a match, such as "
                    "'https://app.example.com.attacker.net'; corsight matches the whole origin",
                    f"end it with '$' to say you mean the whole origin: {pattern + '$'!r}, or list "
                    "exact origins ('https://app.example.com') or patterns ('https://*.example.com')",
                    source,
                )
            )
            continue
        regexes.append(pattern.removeprefix("^"))
    return origins, regexes


def _max_age(value: Any) -> Any:
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def translate(
    options: Mapping[str, Any], name: Callable[[str], str] = str, source: str = ""
) -> tuple[dict[str, Any], list[Problem]]:
    """flask-cors (and corsight) keyword options → the Policy's keyword arguments, and every
    problem found. Keys absent from ``options`` are not filled in (see :data:`FLASK_CORS_DEFAULTS`)."""
    problems: list[Problem] = []
    settings: dict[str, Any] = {}
    given: dict[str, str] = {}  # corsight name -> the name the user wrote
    for key, value in options.items():
        if key in BUILT_IN or key == "resources":
            continue
        target = FLASK_CORS_NAMES.get(key) or (key if key in CORSIGHT_NAMES else None)
        if target is None:
            known = sorted({*FLASK_CORS_NAMES, *CORSIGHT_NAMES, *BUILT_IN, "resources"})
            close = difflib.get_close_matches(key, known, n=1)
            fix = f"did you mean {name(close[0])}?" if close else "remove it"
            problems.append(Problem(E_UNKNOWN, name(key), value, "not a CORS option", fix, source))
            continue
        if target in given:
            problems.append(
                Problem(
                    E_CONFLICT,
                    name(key),
                    value,
                    f"sets the same thing as {name(given[target])}",
                    "keep one of the two",
                    source,
                )
            )
            continue
        given[target] = key
        if key == "origins":
            origins, regexes = _origins(value, name(key), source, problems)
            settings["allow_origins"] = origins
            if regexes:
                settings["allow_origin_regex"] = [*settings.get("allow_origin_regex", []), *regexes]
        elif target in ("allow_methods", "allow_headers", "expose_headers"):
            settings[target] = _as_items(value)
        elif target == "max_age":
            settings[target] = _max_age(value)
        elif target == "allow_origin_regex" and "allow_origin_regex" in settings:
            regex = [value] if isinstance(value, str) else list(value)
            settings[target] = [*regex, *settings[target]]
        else:
            settings[target] = value
    return settings, problems


_FLASK_NAME = {corsight: flask for flask, corsight in FLASK_CORS_NAMES.items()}


def _displayer(
    resource: Mapping[str, Any], given: Iterable[str], written: Mapping[str, str], where: str
) -> Callable[[str], str]:
    """Problems name settings as the user wrote them: ``origins``, ``CORS_ORIGINS``,
    ``resources['/api/*'].origins``, or corsight's own name when that is what was used."""
    present = {*resource, *given}

    def display(key: str) -> str:
        flask_name = _FLASK_NAME.get(key)
        if flask_name is not None and (flask_name in present or key not in present):
            key = flask_name
        if key in resource:
            return f"{where}.{key}"
        return written.get(key, key)

    return display


def _policy(
    options: Mapping[str, Any], display: Callable[[str], str], source: str = ""
) -> tuple[Policy | None, list[Problem]]:
    """One Policy from merged flask-cors options (flask-cors's defaults under them)."""
    settings, problems = translate(options, display, source)
    defaults, _ = translate(FLASK_CORS_DEFAULTS)
    merged = {**defaults, **settings}
    if "allow_origin_regex" in settings and "allow_origins" not in settings:
        merged["allow_origins"] = []  # regexes given: the default '*' would make them pointless
    if merged.get("allow_credentials") is True and merged.get("allow_origins") == "*":
        which = "given" if "allow_origins" in settings else "flask-cors's default"
        problems.append(
            Problem(
                E_COMBINATION,
                display("allow_origins"),
                "*",
                f"'*' ({which}) with supports_credentials=True: flask-cors answered every origin "
                "with credentials allowed, which lets any website read your users' data",
                "list the front ends that may call you with cookies: "
                "CORS(app, origins=['https://app.example.com'], supports_credentials=True)",
                source,
            )
        )
        merged.pop("allow_credentials")
    if options.get("send_wildcard") is True and options.get("supports_credentials") is True:
        problems.append(
            Problem(
                E_COMBINATION,
                display("send_wildcard"),
                True,
                "with supports_credentials=True browsers reject 'Access-Control-Allow-Origin: *'",
                "remove send_wildcard",
                source,
            )
        )
    policy, found = build_policy(merged, display, source)
    problems += found
    return (policy if not problems else None), problems


_EVERY = object()  # a resources key that covers every path


def _route_key(key: Any, setting: str, problems: list[Problem]) -> RouteKey | object | None:
    """A flask-cors ``resources`` key → a Router key, :data:`_EVERY`, or ``None`` (a problem)."""
    if isinstance(key, re.Pattern):
        return key  # corsight full-matches it against the path
    if not isinstance(key, str):
        problems.append(Problem(E_ROUTES, setting, key, "is not a path regex", "use a string"))
        return None
    if key in _EVERY_PATH:
        return _EVERY
    text = key.removeprefix("^")
    exact = ends_anchored(text) and not text.endswith("\\Z")
    if exact:
        text = text[:-1]
    for suffix in ("/.*", "/*", ".*"):
        if not exact and text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if text.startswith("/") and not set(text) & (_REGEX_CHARS | set("+{}|")):
        # "." stays literal: narrower than flask-cors's "any character", never broader.
        return re.compile(re.escape(text)) if exact else text.rstrip("/") or "/"
    problems.append(
        Problem(
            E_ROUTES,
            setting,
            key,
            "is a regex that flask-cors matched at the start of the path (re.match), so its "
            "meaning cannot be carried over unchanged",
            "write a corsight route key: '/api' (the path and everything under it), a glob "
            "'/api/*/items' ('*' is one path segment, '**' several), or re.compile(r'...') "
            "matching the whole path",
        )
    )
    return None


def router_from_options(options: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> Router:
    """The Router for flask-cors-style ``options`` over ``CORS_*`` ``config``; raises
    :class:`~corsight.config.ConfigError` listing every problem."""
    problems: list[Problem] = []
    written: dict[str, str] = {}
    merged: dict[str, Any] = {}
    config = config or {}
    for key, value in config.items():
        if key.startswith("CORS_") and key != "CORS_RESOURCES":
            merged[key[5:].lower()] = value
            written[key[5:].lower()] = key
    for key, value in options.items():
        written.pop(key, None)
        merged[key] = value
    resources = merged.pop("resources", config.get("CORS_RESOURCES"))
    resources_name = "resources" if "resources" in options else "CORS_RESOURCES"
    if resources is None or isinstance(resources, (str, re.Pattern)):
        resources = {resources or "/*": {}}
    elif isinstance(resources, (list, tuple)):
        resources = {key: {} for key in resources}
    elif not isinstance(resources, Mapping):
        problems.append(Problem(E_ROUTES, resources_name, resources, "is not a dict, list or string"))
        resources = {}
    routes: list[tuple[RouteKey, Policy | None]] = []
    default: Policy | None = None
    for key, resource in resources.items():
        where = f"{resources_name}[{key!r}]"
        if not isinstance(resource, Mapping):
            problems.append(Problem(E_ROUTES, where, resource, "must be a dict of options", "e.g. {}"))
            continue
        route = _route_key(key, where, problems)
        policy, found = _policy({**merged, **resource}, _displayer(resource, merged, written, where))
        problems += found
        if route is None or policy is None:
            continue
        if route is _EVERY:
            default = policy
        else:
            routes.append((route, policy))  # type: ignore[arg-type]
    problems = without_repeats(problems)
    if problems:
        raise ConfigError(problems)
    return Router(routes, default=default)


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
    app's ``CORS_*`` config keys. Problems raise :class:`~corsight.config.ConfigError` here,
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
