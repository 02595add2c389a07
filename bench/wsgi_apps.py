"""The WSGI side: one small Flask application, bare, with the flask-cors extension, or with its
``wsgi_app`` wrapped in corsight's middleware; a trivial WSGI app as the floor; and calling them
in-process with an environ and ``start_response`` — once to see the response, or ``n`` times
to time them, consuming and closing the body as a server does.
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from flask_cors import CORS

from bench.timing import clock
from bench.workload import APP_BODY, HOST, Request, Response, flask_cors_settings, starlette_style_settings
from corsight.wsgi import CORSMiddleware as CorsightCORS

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: A header only the application sets (also on Flask's automatic OPTIONS answers): seeing it in
#: a response proves the app answered.
APP_MARKER = ("X-Served-By", "bench-app")
_LENGTH = str(len(APP_BODY))


def flask_app() -> Flask:
    """A Flask app with one route, the same for every contender."""
    app = Flask("bench")

    @app.route("/api/items", methods=["GET", "PUT"])
    def items() -> bytes:
        return APP_BODY

    @app.after_request
    def mark(response: Any) -> Any:
        response.headers[APP_MARKER[0]] = APP_MARKER[1]
        return response

    return app


def floor_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The cheapest WSGI answer: the baseline for a middleware that answers without the app."""
    start_response(
        "200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", _LENGTH), APP_MARKER]
    )
    return [APP_BODY]


@functools.cache
def _shared_app() -> Flask:
    return flask_app()


def bare() -> WSGIApp:
    return _shared_app().wsgi_app


def corsight(origins: list[str]) -> WSGIApp:
    # The very app object the bare baseline times: a middleware that wraps the app leaves it
    # as it is, so any difference is the middleware's (two Flask instances differ by a few µs
    # on their own). flask-cors changes the app it is given, so it needs its own.
    return CorsightCORS(_shared_app().wsgi_app, **starlette_style_settings(origins))


def flask_cors(origins: list[str]) -> WSGIApp:
    app = flask_app()
    CORS(app, **flask_cors_settings(origins))
    return app.wsgi_app


#: The contenders, by name: each is the Flask app with the workload's policy.
MIDDLEWARES: dict[str, Callable[[list[str]], WSGIApp]] = {
    "corsight": corsight,
    "flask-cors": flask_cors,
}


def environ_for(request: Request) -> dict[str, Any]:
    """The environ a server such as gunicorn builds for ``request`` (PEP 3333)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": request.path,
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _ignore_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


class Side:
    """The WSGI side of the suite: corsight against flask-cors, on the same Flask app."""

    name = "wsgi"
    incumbent = "flask-cors"

    def close(self) -> None:
        pass

    def build(self, contender: str, origins: list[str]) -> WSGIApp:
        return MIDDLEWARES[contender](origins)

    def baselines(self) -> dict[str, WSGIApp]:
        """The apps added times are measured from: the bare Flask app, and the floor."""
        return {"app": bare(), "floor": floor_app}

    def call(self, app: WSGIApp, request: Request) -> Response:
        return call_once(app, request)

    def timer(self, app: WSGIApp, request: Request) -> Callable[[int], float]:
        return timer(app, request)


def call_once(app: WSGIApp, request: Request) -> Response:
    """``app``'s answer to ``request``, recorded."""
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started.append((status, headers))

    result = app(environ_for(request), start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, raw = started[-1]
    headers = [(name.lower(), value) for name, value in raw]
    return Response(int(status.split()[0]), headers, body, app_called=APP_MARKER in raw)


def timer(app: WSGIApp, request: Request) -> Callable[[int], float]:
    """A function that sends ``request`` ``n`` times and returns the seconds it took.

    Each request gets a fresh copy of the environ (Flask stores its request object there)."""
    template = environ_for(request)

    def run(n: int) -> float:
        start_response = _ignore_start
        start = clock()
        for _ in range(n):
            result = app(dict(template), start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return clock() - start

    return run
