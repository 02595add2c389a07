"""Test helpers: would a real browser let a page of some origin read this endpoint?

``assert_cors_allowed(client, "/api", origin="https://app.example.com", method="PUT",
headers={"X-Token": "t"}, credentials="include")`` drives the browser model
(:class:`corsight.browser.Fetch`) with the answers of your framework's test client — the
preflight first when Chromium would send one — and fails with the Chrome console text and
the fix when the browser would block the request. ``assert_cors_blocked`` is the opposite.

``client`` may be a Flask (Werkzeug) test client, a Django test ``Client``, a Starlette or
FastAPI ``TestClient`` or any ``httpx.Client``, or a bare ASGI or WSGI application. Cookies
are whatever the client holds (test clients send them also on preflights, browsers do not).

Installed as a pytest plugin: the ``cors`` fixture offers the same two checks.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from corsight.browser import (
    Fetch,
    NetError,
    Outgoing,
    PreflightCache,
    Request,
    RequestError,
    Response,
    Verdict,
    prepare_request,
)
from corsight.types import HeaderInput, HeaderPair

if TYPE_CHECKING:
    from corsight.diagnosis import Diagnosis

__all__ = ["CorsResult", "assert_cors_allowed", "assert_cors_blocked", "cors_fetch"]

Credentials = Literal["omit", "same-origin", "include"]
Send = Callable[[str, str, list[HeaderPair], bytes | None], Response]

DEFAULT_BASE_URL = "http://testserver"


@dataclass
class CorsResult:
    """The browser's verdict on one ``fetch()`` made through a test client."""

    url: str
    origin: str
    method: str
    credentials: str
    verdict: Verdict
    request: Request

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def chrome(self) -> str | None:
        """What Chrome prints in the console when it blocks the request."""
        return self.verdict.chrome

    @property
    def exposed_headers(self) -> tuple[str, ...]:
        """The response header names script may read (lower-cased)."""
        return self.verdict.exposed_headers

    @property
    def preflighted(self) -> bool:
        return any(e.request.kind == "preflight" for e in self.verdict.exchanges)

    @property
    def diagnosis(self) -> Diagnosis:
        """What went wrong and the fix (:func:`corsight.diagnosis.diagnose`), without snippets."""
        from corsight.diagnosis import Context, diagnose  # loaded when a test fails, not per run

        return diagnose(self.request, self.verdict, Context(servers=()))

    def explain(self) -> str:
        """A report for a failing assertion: outcome, console text, exchanges and the fix."""
        what = f"{self.method} {self.url} from a page of {self.origin} (credentials: {self.credentials})"
        lines = [f"{'ALLOWED' if self.allowed else 'BLOCKED'}: fetch() of {what}"]
        if self.chrome:
            lines += ["Chrome console:", f"  {self.chrome}"]
        failed = self.verdict.failed_check
        if failed is not None:
            lines.append(f"failed check: {failed.stage} {failed.name}: {failed.detail}")
        for exchange in self.verdict.exchanges:
            sent = exchange.request
            lines.append(f"  → {sent.kind} {sent.method} {sent.url}")
            lines += [f"      > {n}: {v}" for n, v in sent.headers]
            if exchange.response is not None:
                lines.append(f"  ← {exchange.response.status}")
                lines += [
                    f"      < {n}: {v}"
                    for n, v in exchange.response.headers
                    if n.lower().startswith("access-control-") or n.lower() == "vary"
                ]
        if not self.allowed:
            diagnosis = self.diagnosis
            lines += ["fix:", f"  {diagnosis.headline}", f"  {diagnosis.summary}"]
            lines += [
                f"  the {need.on} response needs {need.name}: {need.value} ({need.now})"
                for need in diagnosis.missing
            ]
        return "\n".join(lines)


# --- talking to the application ---------------------------------------------------------------------


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sender(client: Any) -> Send:
    """How to send one request through ``client``, whatever kind of client or app it is."""
    module = type(client).__module__
    if module.startswith("django.") and hasattr(client, "generic"):
        return _django_sender(client)
    if hasattr(client, "open") and hasattr(client, "application"):
        return _werkzeug_sender(client)
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(client, httpx.Client):
        return _httpx_sender(client)
    if callable(client):
        call = getattr(client, "__call__", None)  # noqa: B004 - ASGI apps are often objects
        if inspect.iscoroutinefunction(client) or inspect.iscoroutinefunction(call):
            return _asgi_sender(client)
        return _wsgi_sender(client)
    raise TypeError(
        f"{client!r} is not a test client or an app: pass a Flask or Django test client, a "
        "Starlette/FastAPI TestClient, an httpx.Client, or an ASGI/WSGI application"
    )


def _werkzeug_sender(client: Any) -> Send:
    def send(method: str, url: str, headers: list[tuple[str, str]], body: bytes | None) -> Response:
        response = client.open(_path(url), method=method, headers=headers, data=body or b"")
        return Response.of(response.status_code, list(response.headers.items()))

    return send


def _django_sender(client: Any) -> Send:
    def send(method: str, url: str, headers: list[tuple[str, str]], body: bytes | None) -> Response:
        plain = [(n, v) for n, v in headers if n.lower() != "content-type"]
        content_type = next((v for n, v in headers if n.lower() == "content-type"), "")
        extra = {f"HTTP_{n.upper().replace('-', '_')}": v for n, v in plain}
        response = client.generic(method, _path(url), body or b"", content_type=content_type, **extra)
        return Response.of(response.status_code, list(response.headers.items()))

    return send


def _httpx_sender(client: Any) -> Send:
    def send(method: str, url: str, headers: list[tuple[str, str]], body: bytes | None) -> Response:
        response = client.request(method, _path(url), headers=headers, content=body)
        return Response.of(response.status_code, list(response.headers.multi_items()))

    return send


def _wsgi_sender(app: Callable[..., Iterable[bytes]]) -> Send:
    def send(method: str, url: str, headers: list[tuple[str, str]], body: bytes | None) -> Response:
        parts = urlsplit(url)
        data = body or b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": parts.path,
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "testserver",
            "SERVER_PORT": str(parts.port or (443 if parts.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme,
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(data)),
            "HTTP_HOST": parts.netloc,
        }
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            else:
                environ[f"HTTP_{key}"] = value
        started: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [int(status.split(" ", 1)[0]), response_headers]
            return lambda _data: None

        chunks = app(environ, start_response)
        try:
            for _ in chunks:
                pass
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return Response.of(started[0], started[1])

    return send


def _asgi_sender(app: Any) -> Send:
    def send(method: str, url: str, headers: list[tuple[str, str]], body: bytes | None) -> Response:
        parts = urlsplit(url)
        raw = [(b"host", parts.netloc.encode("latin-1"))]
        raw += [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": parts.scheme,
            "path": parts.path,
            "raw_path": parts.path.encode("latin-1"),
            "query_string": parts.query.encode("latin-1"),
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": (parts.hostname or "testserver", parts.port or 80),
        }
        received = False
        result: list[Any] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:
                await asyncio.sleep(3600)  # a disconnect never comes while the app answers
            received = True
            return {"type": "http.request", "body": body or b"", "more_body": False}

        async def send_message(message: Any) -> None:
            if message["type"] == "http.response.start":
                decoded = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", [])]
                result[:] = [message["status"], decoded]

        async def run() -> None:
            try:
                await app(scope, receive, send_message)
            except Exception:
                if not result:
                    raise  # the app failed before answering: the test should see why

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(run())
        else:
            # Called from code that runs an event loop (Playwright's sync API does): use a
            # thread with its own loop.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, run()).result()
        return Response.of(result[0], result[1])

    return send


# --- the checks ----------------------------------------------------------------------------------------


def cors_fetch(
    client: Any,
    path: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeaderInput = None,
    credentials: Credentials = "same-origin",
    body: bytes | str | None = None,
    base_url: str | None = None,
) -> CorsResult:
    """What Chromium does when a page of ``origin`` runs ``fetch(base_url + path, {method,
    headers, credentials, body})`` against ``client``. ``base_url`` defaults to the client's
    (``http://testserver``, or ``http://localhost`` for Flask)."""
    base = base_url or _base_url(client)
    url = path if "://" in path else base.rstrip("/") + "/" + path.lstrip("/")
    try:
        request = prepare_request(
            url, origin=origin, method=method, headers=headers, credentials=credentials, body=body
        )
    except RequestError as exc:
        raise AssertionError(f"fetch() would throw before sending anything: {exc.message.console}") from None
    send = _sender(client)
    fetch = Fetch(request, cache=PreflightCache())
    step: Outgoing | Verdict = fetch.start()
    base_host = urlsplit(base).netloc
    while isinstance(step, Outgoing):
        if urlsplit(step.url).netloc != base_host:
            detail = f"{step.url} is not served by the test client"
            step = fetch.network_error(NetError.CONNECTION_REFUSED, detail)
            break
        step = fetch.receive(send(step.method, step.url, list(step.headers), step.body))
    return CorsResult(request.url, request.origin.serialize(), request.method, credentials, step, request)


def _base_url(client: Any) -> str:
    base = getattr(client, "base_url", None)
    if base is not None and "://" in str(base):
        return str(base)
    if hasattr(client, "open") and hasattr(client, "application"):
        return "http://localhost"  # Werkzeug's test client
    return DEFAULT_BASE_URL


def assert_cors_allowed(
    client: Any,
    path: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeaderInput = None,
    credentials: Credentials = "same-origin",
    body: bytes | str | None = None,
    base_url: str | None = None,
    readable_headers: Iterable[str] = (),
) -> CorsResult:
    """Fail unless Chromium lets a page of ``origin`` read the response (and, when given, the
    ``readable_headers`` from script). Returns the result for further assertions."""
    __tracebackhide__ = True
    result = cors_fetch(
        client, path, origin=origin, method=method, headers=headers, credentials=credentials,
        body=body, base_url=base_url,
    )  # fmt: skip
    if not result.allowed:
        raise AssertionError("expected the browser to allow this request\n" + result.explain())
    missing = [h for h in readable_headers if h.lower() not in result.exposed_headers]
    if missing:
        raise AssertionError(
            f"the request is allowed but script cannot read {', '.join(missing)}; script can read: "
            f"{', '.join(result.exposed_headers) or 'only the safelisted headers'}. Fix: list "
            f"{', '.join(missing)} in expose_headers (Access-Control-Expose-Headers)\n" + result.explain()
        )
    return result


def assert_cors_blocked(
    client: Any,
    path: str,
    *,
    origin: str,
    method: str = "GET",
    headers: HeaderInput = None,
    credentials: Credentials = "same-origin",
    body: bytes | str | None = None,
    base_url: str | None = None,
) -> CorsResult:
    """Fail unless Chromium blocks a page of ``origin`` from reading the response."""
    __tracebackhide__ = True
    result = cors_fetch(
        client, path, origin=origin, method=method, headers=headers, credentials=credentials,
        body=body, base_url=base_url,
    )  # fmt: skip
    if result.allowed:
        raise AssertionError(
            "expected the browser to block this request, but a page of "
            f"{result.origin} can read the response\n" + result.explain()
        )
    return result


# --- pytest plugin -------------------------------------------------------------------------------------


class CorsAssertions:
    """The ``cors`` fixture: ``cors.allowed(client, path, origin=...)``, ``cors.blocked(...)``,
    ``cors.fetch(...)``."""

    allowed = staticmethod(assert_cors_allowed)
    blocked = staticmethod(assert_cors_blocked)
    fetch = staticmethod(cors_fetch)


def _register_fixture() -> None:
    # The plugin is loaded in every pytest run where corsight is installed: it must stay cheap
    # and never fail, so pytest is imported only when it is the one loading us.
    if "pytest" not in sys.modules:
        return
    import pytest

    @pytest.fixture(name="cors")
    def cors_fixture() -> CorsAssertions:
        """corsight's browser-model CORS assertions."""
        return CorsAssertions()

    globals()["cors"] = cors_fixture


_register_fixture()
