"""The exported configs in the real servers, judged by real headless Chromium.

Each target's server (nginx, Apache httpd, Caddy in front of a small upstream; Express with
the ``cors`` package; Flask and FastAPI with corsight's middleware) is configured ONLY by
the file ``corsight export`` wrote. A page on one loopback origin then fetch()es the API in a
matrix of requests, and what Chromium did must be what the browser model predicts for the
engine's own answers (the oracle): allowed or blocked, the exact console message, and which
response headers script can read.
"""

from __future__ import annotations

import contextlib
import importlib.util
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi import Request as FastRequest
from fastapi.responses import JSONResponse

from corsight import Policy
from corsight.browser import Fetch, Outgoing, Response, Verdict, prepare_request
from corsight.browser.checks import get_header
from corsight.engine import Engine, merge_vary
from corsight.export import export
from tests.browser_page import page_app
from tests.export_servers import require, serve_exported
from tests.servers import serve_asgi, serve_wsgi

pytestmark = pytest.mark.browser

APP_HEADERS = (("Content-Type", "application/json"), ("X-Total", "42"), ("X-Secret", "s"))

SERVERS = ("nginx", "apache", "caddy", "express", "django", "flask", "fastapi")


@pytest.fixture(scope="module")
def pages() -> Iterator[tuple[str, str]]:
    """Two page origins: the allowed front end and another site."""
    with serve_wsgi(page_app) as allowed, serve_wsgi(page_app) as other:
        yield allowed, other


# --- the policies and the matrix --------------------------------------------------------------


def policies(allowed: str) -> dict[str, Policy]:
    port = allowed.rsplit(":", 1)[1]
    return {
        # Exact origin, listed methods and headers, credentials, an exposed header.
        "listed": Policy(
            [allowed],
            allow_methods=["GET", "PUT", "POST"],
            allow_headers=["X-Token"],
            expose_headers=["X-Total"],
            allow_credentials=True,
        ),
        # A regex origin (a map/expression/function in the servers), '*' reflected methods
        # and headers, credentials.
        "regex-reflect": Policy(
            allow_origin_regex=rf"http://127\.0\.0\.1:{port}",
            allow_methods="*",
            allow_headers="*",
            expose_headers=["X-Total"],
            allow_credentials=True,
            max_age=None,
        ),
        # Any origin, no credentials.
        "wildcard": Policy("*", allow_headers=["X-Token"], expose_headers=["X-Total"]),
    }


JSON_PUT = {"method": "PUT", "headers": {"Content-Type": "application/json", "X-Token": "t1"}, "body": "{}"}
MATRIX: list[tuple[str, str, str, dict[str, Any]]] = [
    # (name, page: allowed|other, path, fetch init)
    ("allowed-simple-get", "allowed", "/api", {}),
    ("disallowed-origin", "other", "/api", {}),
    ("preflighted-put", "allowed", "/api", JSON_PUT),
    ("credentials-include", "allowed", "/api", {"credentials": "include"}),
    ("credentials-preflighted", "allowed", "/api", {**JSON_PUT, "credentials": "include"}),
    ("disallowed-method", "allowed", "/api", {"method": "DELETE"}),
    ("disallowed-header", "allowed", "/api", {"method": "PUT", "headers": {"X-Other": "1"}}),
    ("patch-lowercase", "allowed", "/api", {"method": "patch", "headers": {"X-Token": "a"}}),
    ("error-response", "allowed", "/boom", {"credentials": "include"}),
    ("other-with-header", "other", "/api", {"headers": {"X-Token": "b"}}),
]


#: HTTP parsers that answer 400 to a method name that is not all uppercase, before any
#: configuration runs: nginx's, Node's llhttp (Express) and httptools under uvicorn (FastAPI).
#: fetch() sends 'patch' as written, so there the page is blocked whatever the CORS config.
LOWERCASE_METHOD_REFUSED = frozenset({"nginx", "express", "fastapi"})


# --- the oracle: the browser model on the engine's answers --------------------------------------


def predict(policy: Policy, url: str, page: str, init: dict[str, Any]) -> Verdict:
    engine = Engine(policy)
    request = prepare_request(
        url,
        origin=page,
        method=init.get("method", "GET"),
        headers=list(init.get("headers", {}).items()),
        credentials=init.get("credentials", "same-origin"),
        body=init.get("body"),
    )
    fetch = Fetch(request)
    step = fetch.start()
    while isinstance(step, Outgoing):
        headers = list(step.headers)
        decision = engine.decide(
            method=step.method,
            origin=get_header(headers, "origin"),
            request_method=get_header(headers, "access-control-request-method"),
            request_headers=get_header(headers, "access-control-request-headers"),
        )
        if decision.status is not None:
            step = fetch.receive(Response(decision.status, decision.headers))
            continue
        # The application's answer: /boom fails with a bare 500, /api sends X-Total and X-Secret.
        status, app_headers = (500, APP_HEADERS[:1]) if "/boom" in step.url else (200, APP_HEADERS)
        names = decision.names
        answer = [h for h in app_headers if h[0].lower() not in names] + list(decision.headers)
        if decision.vary:
            answer.append(("Vary", merge_vary(None, decision.vary)))
        step = fetch.receive(Response(status, tuple(answer)))
    return step


# --- running the servers -------------------------------------------------------------------------


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"corsight_cors_{id(path)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def serve_python(target: str, content: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corsight_cors.py"
        path.write_text(content)
        module = _load(path)
        if target == "flask":
            from flask import Flask, request

            flask_app = Flask(__name__)

            @flask_app.route("/api", methods=["GET", "PUT", "DELETE", "POST", "PATCH", "patch"])
            def api() -> tuple[dict[str, Any], int, dict[str, str]]:
                return {"method": request.method}, 200, {"X-Total": "42", "X-Secret": "s"}

            @flask_app.route("/boom")
            def boom() -> str:
                raise RuntimeError("boom")

            module.install_cors(flask_app)
            with serve_wsgi(flask_app) as url:
                yield url
            return
        fast = FastAPI()

        @fast.api_route("/api", methods=["GET", "PUT", "DELETE", "POST", "PATCH", "patch"])
        async def fast_api(req: FastRequest) -> JSONResponse:
            return JSONResponse({"method": req.method}, headers={"X-Total": "42", "X-Secret": "s"})

        @fast.get("/boom")
        async def fast_boom() -> None:
            raise RuntimeError("boom")

        with serve_asgi(module.install_cors(fast)) as url:
            yield url


def serve_target(target: str, content: str) -> Any:
    if target in ("flask", "fastapi"):
        return serve_python(target, content)
    require(target)
    return serve_exported(target, content)


RUN_ALL = """async (cases) => {
  const out = [];
  for (const [url, init] of cases) {
    try {
      const r = await fetch(url, init);
      const headers = {};
      r.headers.forEach((v, k) => { headers[k] = v; });
      await r.text();
      out.push({ok: true, status: r.status, headers});
    } catch (e) {
      out.push({ok: false, error: String(e)});
    }
  }
  return out;
}"""


@pytest.mark.parametrize("policy_name", ["listed", "regex-reflect", "wildcard"])
@pytest.mark.parametrize("target", SERVERS)
def test_browser_outcome_equals_the_policy(
    target: str, policy_name: str, pages: tuple[str, str], chromium: Any
) -> None:
    allowed, other = pages
    policy = policies(allowed)[policy_name]
    content = export(policy, target).content
    with serve_target(target, content) as api:
        results: dict[str, list[dict[str, Any]]] = {}
        consoles: dict[str, list[str]] = {}
        for page_name, page_url in (("allowed", allowed), ("other", other)):
            cases = [(api + path, init) for _, page, path, init in MATRIX if page == page_name]
            context = chromium.new_context()
            try:
                page = context.new_page()
                console: list[str] = []
                page.on("console", lambda message, sink=console: sink.append(message.text))
                page.goto(page_url + "/")
                results[page_name] = page.evaluate(RUN_ALL, cases)
                page.wait_for_timeout(100)
                consoles[page_name] = console
            finally:
                context.close()
    problems = []
    seen = {"allowed": 0, "other": 0}
    for name, page_name, path, init in MATRIX:
        got = results[page_name][seen[page_name]]
        seen[page_name] += 1
        page_url = allowed if page_name == "allowed" else other
        expected = predict(policy, api + path, page_url, init)
        if name == "patch-lowercase" and target in LOWERCASE_METHOD_REFUSED and expected.allowed:
            if got["ok"]:
                problems.append(
                    f"{name}: {target} now accepts lowercase methods; update LOWERCASE_METHOD_REFUSED"
                )
            continue
        if got["ok"] != expected.allowed:
            problems.append(
                f"{name}: Chromium {'allowed' if got['ok'] else 'blocked'}, policy says "
                f"{'allowed' if expected.allowed else 'blocked: ' + str(expected.chrome)}"
            )
            continue
        if expected.allowed:
            readable = {h for h in got["headers"] if h in ("x-total", "x-secret")}
            want = {h for h in expected.exposed_headers if h in ("x-total", "x-secret")}
            if readable != want:
                problems.append(f"{name}: script reads {sorted(readable)}, policy says {sorted(want)}")
            if got["status"] != (500 if path == "/boom" else 200):
                problems.append(f"{name}: status {got['status']}")
        elif expected.chrome not in consoles[page_name]:
            problems.append(f"{name}: expected console line {expected.chrome!r}, got {consoles[page_name]}")
    assert not problems, f"{target} / {policy_name}:\n  " + "\n  ".join(problems) + "\n\n" + content
