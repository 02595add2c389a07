"""Guards the class "a per-route policy is chosen for a path the application does not route on".

A Router's keys are the wrapped application's own paths. Under a mount prefix — Starlette
``Mount``, FastAPI ``app.mount``, ``uvicorn --root-path`` (which puts the prefix in
``scope["path"]``), ``hypercorn --root-path`` (which leaves it out), aiohttp ``add_subapp`` — the
adapter must match the path relative to the mount point, so that a strict route, or one with
CORS disabled, never gets the lax default. Every server here is real, on loopback; the uvicorn
and hypercorn ones are separate processes started with ``--root-path``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from starlette._utils import get_route_path

from corsight.aiohttp import cors_middleware, setup
from corsight.asgi import route_path
from corsight.wsgi import CORSMiddleware as WSGICors
from tests.security.mount_apps import (
    APP,
    EVIL,
    LAX,
    PATHS,
    ROUTER,
    STRICT,
    fastapi_mounted,
    starlette_mounted,
)
from tests.servers import free_port, serve_aiohttp, serve_asgi, serve_wsgi

ROOT = Path(__file__).resolve().parents[2]


def assert_route_policies(client: httpx.Client, prefix: str, *, decoded_slashes: bool = True) -> None:
    """The mounted app's routes get their own policies, whatever the prefix they are reached by."""
    strict = client.get(f"{prefix}/strict", headers={"Origin": EVIL})
    assert strict.status_code == 200, strict.text
    assert "access-control-allow-origin" not in strict.headers  # the lax default would say "*"
    allowed = client.get(f"{prefix}/strict", headers={"Origin": APP})
    assert allowed.headers["access-control-allow-origin"] == APP
    assert allowed.headers["access-control-allow-credentials"] == "true"
    for path in (f"{prefix}/strict", f"{prefix}/strict/"):  # a literal key covers both spellings
        denied = client.options(path, headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"})
        assert denied.status_code == 403, path
        assert "access-control-allow-origin" not in denied.headers
    preflight = client.options(
        f"{prefix}/strict", headers={"Origin": APP, "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == APP
    for off in (
        client.get(f"{prefix}/off", headers={"Origin": EVIL}),
        client.options(f"{prefix}/off", headers={"Origin": EVIL, "Access-Control-Request-Method": "PUT"}),
    ):
        assert not [name for name in off.headers if name.startswith("access-control-")], off.headers
        assert "origin" not in off.headers.get("vary", "").lower()
    # Paths no route covers keep the default: the prefix is removed, not the policy.
    for path in (f"{prefix}/open", f"{prefix}/"):
        assert client.get(path, headers={"Origin": EVIL}).headers["access-control-allow-origin"] == "*"
    if decoded_slashes:
        # ASGI paths are percent-decoded, as Starlette routes them: %2F is a slash here too.
        encoded = client.get(f"{prefix}/strict%2Fdeeper", headers={"Origin": EVIL})
        assert "access-control-allow-origin" not in encoded.headers


def test_starlette_mount() -> None:
    with serve_asgi(starlette_mounted()) as url, httpx.Client(base_url=url) as client:
        assert client.get("/sub/strict").text == "/sub/strict"  # the request reached the mounted app
        assert_route_policies(client, "/sub")


def test_fastapi_sub_application() -> None:
    with serve_asgi(fastapi_mounted()) as url, httpx.Client(base_url=url) as client:
        assert client.get("/v1/strict").text == "/v1/strict"
        assert_route_policies(client, "/v1")


@contextlib.contextmanager
def server_process(command: list[str], port: int) -> Iterator[str]:
    """A server started as its own process on 127.0.0.1:``port``; stopped by its own pid."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                _, errors = process.communicate(timeout=5) if process.poll() is not None else ("", "")
                pytest.fail(f"{command[2]} did not start: {errors}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_uvicorn_root_path(http: str) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "tests.security.mount_apps:root_path_app",
        "--host", "127.0.0.1", "--port", str(port), "--root-path", "/prefix", "--http", http,
        "--lifespan", "off", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with server_process(command, port) as url, httpx.Client(base_url=url) as client:
        # A proxy that strips /prefix forwards /strict; uvicorn's scope has path "/prefix/strict".
        assert client.get("/strict").text == "/prefix/strict"
        assert_route_policies(client, "")


def test_hypercorn_root_path() -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "hypercorn", "tests.security.mount_apps:root_path_app",
        "--bind", f"127.0.0.1:{port}", "--root-path", "/prefix", "--log-level", "warning",
    ]  # fmt: skip
    with server_process(command, port) as url, httpx.Client(base_url=url) as client:
        # hypercorn leaves root_path out of path: reached directly, the prefix is in the path
        # and Starlette removes it; forwarded by a proxy that stripped it, it is not.
        assert client.get("/prefix/strict").text == "/prefix/strict"
        assert_route_policies(client, "/prefix")
        assert_route_policies(client, "")


def test_wsgi_under_a_dispatcher() -> None:
    """WSGI was right by construction (PATH_INFO is relative to SCRIPT_NAME): kept so."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    def echo(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [(environ["SCRIPT_NAME"] + environ["PATH_INFO"]).encode()]

    def outer(environ: Any, start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [])
        return [b""]

    app = DispatcherMiddleware(outer, {"/sub": WSGICors(echo, policy=ROUTER)})
    with serve_wsgi(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/sub/strict").text == "/sub/strict"
        assert_route_policies(client, "/sub")
        # The mount point itself: PATH_INFO is empty, which is the app's "/".
        assert client.get("/sub", headers={"Origin": EVIL}).headers["access-control-allow-origin"] == "*"


# -- aiohttp ---------------------------------------------------------------------------------


async def _echo(request: web.Request) -> web.Response:
    return web.Response(text=request.path)


def _aiohttp_app(*middlewares: Any) -> web.Application:
    app = web.Application(middlewares=list(middlewares))
    for path in PATHS:
        app.router.add_route("GET", path, _echo)
        app.router.add_route("PUT", path, _echo)
    return app


def test_aiohttp_sub_application() -> None:
    root = web.Application()
    root.add_subapp("/sub/", _aiohttp_app(cors_middleware(ROUTER)))
    with serve_aiohttp(root) as url, httpx.Client(base_url=url) as client:
        assert client.get("/sub/strict").text == "/sub/strict"
        # aiohttp routes on path_safe, where %2F stays encoded: "/strict%2Fdeeper" is not
        # under "/strict" for aiohttp's router either.
        assert_route_policies(client, "/sub", decoded_slashes=False)


def test_aiohttp_nested_sub_applications_and_setup() -> None:
    leaf = _aiohttp_app()
    setup(leaf, ROUTER)  # setup() installs the same middleware, plus on_response_prepare
    middle = web.Application()
    middle.add_subapp("/b", leaf)
    root = web.Application()
    root.add_subapp("/a", middle)
    with serve_aiohttp(root) as url, httpx.Client(base_url=url) as client:
        assert client.get("/a/b/strict").text == "/a/b/strict"
        assert_route_policies(client, "/a/b", decoded_slashes=False)


# -- the rule, for every prefix and path -----------------------------------------------------

_SEGMENTS = st.sampled_from(["strict", "off", "open", "a", "", ".", "..", "strict%2Fx", "v1", "prefix"])
_PATHS = st.lists(_SEGMENTS, max_size=4).map(lambda segments: "".join("/" + s for s in segments))


@given(root=_PATHS, path=_PATHS)
def test_a_mounted_app_gets_the_policy_of_its_own_path(root: str, path: str) -> None:
    """For every mount prefix and path: under the prefix, the Router picks the policy it picks
    for the path in the app alone (uvicorn's and Starlette's scope: the prefix in both)."""
    scope = {"type": "http", "path": root + path, "root_path": root}
    assert (route_path(scope) or "/") == (path or "/")
    assert ROUTER.policy_for(route_path(scope)) is ROUTER.policy_for(path)


@given(path=st.text("/ab%.", max_size=10), root=st.text("/ab%.", max_size=6))
def test_the_path_is_the_one_starlette_routes_on(path: str, root: str) -> None:
    """Any path and root_path, also a path without its root (hypercorn, odd servers): the
    path corsight matches is the one Starlette's router matches."""
    scope = {"type": "http", "path": path, "root_path": root}
    assert (route_path(scope) or "/") == (get_route_path(scope) or "/")


def test_strict_and_disabled_routes_are_distinct_from_the_default() -> None:
    # What the tests above rely on: the three outcomes differ.
    assert ROUTER.policy_for("/strict") is STRICT
    assert ROUTER.policy_for("/off") is None
    assert ROUTER.policy_for("/open") is LAX
    assert ROUTER.policy_for("") is LAX  # the mount point itself is "/"
