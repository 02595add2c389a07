"""The ``corsight ui`` server over real HTTP on loopback: its routes, bad input answered with a
one-line message (never a traceback), and its guards — another origin, a form-shaped POST, a
missing token, or a foreign ``Host`` (the DNS-rebinding shape) runs no check at all."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from corsight.asgi import CORSMiddleware
from corsight.check import CheckResult
from corsight.cli import main
from corsight.ui.app import MAX_BODY, host_names, parse_header_lines
from corsight.ui.live import FRAME_PATH, LiveFrames
from corsight.ui.server import NotLoopback, UIServer, is_loopback
from tests.servers import free_port, serve_asgi

ORIGIN = "http://app.test:3000"


class Target:
    """A CORS-enabled API that counts the requests it receives."""

    def __init__(self) -> None:
        self.seen: list[str] = []

        async def hello(request: Request) -> PlainTextResponse:
            return PlainTextResponse("hi")

        inner = Starlette(routes=[Route("/hello", hello, methods=["GET", "PUT"])])

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self.seen.append(scope["method"])
            await guarded(scope, receive, send)

        guarded = CORSMiddleware(inner, allow_origins=[ORIGIN], allow_methods=["PUT"], allow_headers=["X-A"])
        self.app = app


class UI:
    def __init__(self, server: UIServer, client: httpx.Client, token: str, target: Target, target_url: str) -> None:
        self.server = server
        self.client = client
        self.token = token
        self.base = server.url.rstrip("/")
        self.target = target
        self.target_url = target_url

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Origin": self.base, "Content-Type": "application/json", "X-Corsight-Token": self.token, **extra}

    def post(self, path: str, payload: Any, **headers: str) -> httpx.Response:
        return self.client.post(self.base + path, json=payload, headers=self.headers(**headers))


@pytest.fixture(scope="module")
def ui() -> Iterator[UI]:
    target = Target()
    server = UIServer()
    server.start()
    try:
        with serve_asgi(target.app) as target_base, httpx.Client(trust_env=False, timeout=20) as client:
            page = client.get(server.url)
            token = re.search(r'name="corsight-token" content="([^"]+)"', page.text)
            assert token
            yield UI(server, client, token.group(1), target, target_base + "/hello")
    finally:
        server.stop()


# --- the page and its assets -----------------------------------------------------------------------


def test_page_is_served_with_a_strict_policy(ui: UI) -> None:
    r = ui.client.get(ui.server.url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert '<option value="fastapi">fastapi</option>' in r.text
    assert "__TOKEN__" not in r.text
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css"), ("favicon.svg", "image/svg+xml")):
        asset = ui.client.get(f"{ui.base}/static/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(kind)
    for bad in ("index.html", "..%2fapp.py", "frame.js", "nope.css"):
        assert ui.client.get(f"{ui.base}/static/{bad}").status_code == 404


def test_the_page_has_a_favicon_that_its_policy_allows(ui: UI) -> None:
    from xml.etree import ElementTree

    page = ui.client.get(ui.server.url)
    link = re.search(r'<link rel="icon" href="(/[^"]+)" type="image/svg\+xml">', page.text)
    assert link, "no favicon link"
    icon = ui.client.get(ui.base + link.group(1))
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.headers["x-content-type-options"] == "nosniff"
    assert ElementTree.fromstring(icon.content).tag == "{http://www.w3.org/2000/svg}svg"
    assert b"<script" not in icon.content
    img_src = re.search(r"img-src ([^;]+)", page.headers["content-security-policy"])
    assert img_src and "'self'" in img_src.group(1).split()


def test_the_api_runs_the_check_and_adds_the_preflight_reasons(ui: UI) -> None:
    r = ui.post("/api/check", {"url": ui.target_url, "origin": ORIGIN, "method": "put",
                               "headers": "X-A: 1\n\nx-b: 2", "send": True, "server": "nginx"})  # fmt: skip
    assert r.status_code == 200, r.text
    data = r.json()
    result = data["result"]
    assert result["allowed"] is False and result["preflight"]["sent"] is True
    assert result["message"]["chrome"].startswith("Access to fetch at")
    assert data["preflight_reasons"] == [
        "method PUT is not GET, HEAD or POST",
        "request headers that are not CORS-safelisted: x-a, x-b",
    ]
    assert list(result["fixes"]["snippets"]) == ["nginx"] and data["server"] == "nginx"
    r = ui.post("/api/check", {"url": ui.target_url, "origin": ORIGIN, "headers": "Cookie: a=1"})
    data = r.json()
    assert data["result"]["allowed"] is True and data["preflight_reasons"] == []
    assert data["dropped_headers"] == [{"name": "Cookie", "value": "a=1", "reason": "forbidden request header"}]


@pytest.mark.parametrize(
    ("payload", "status", "text"),
    [
        ({}, 400, "the URL is required"),
        ({"url": "  ", "origin": ORIGIN}, 400, "the URL is required"),
        ({"url": 5, "origin": ORIGIN}, 400, "the URL must be text"),
        ({"url": "http://x.test/"}, 400, "the page's origin is required"),
        ({"url": "http://x.test/", "origin": "app.test"}, 400, "the page's origin is not valid"),
        ({"url": "http://x.test/", "origin": "http://app.test/"}, 400, "no path or slash"),
        ({"url": "http://x.test/", "origin": ORIGIN, "credentials": "all"}, 400, "omit, same-origin, include"),
        ({"url": "http://x.test/", "origin": ORIGIN, "server": "iis"}, 400, "unknown server 'iis'"),
        ({"url": "http://x.test/", "origin": ORIGIN, "headers": "X-A 1"}, 400, "line 1: 'X-A 1' is not 'Name: value'"),
        ({"url": "http://x.test/", "origin": ORIGIN, "headers": ["X-A", "1"]}, 400, "request headers must be text"),
        ({"url": "http://x.test/", "origin": ORIGIN, "send": "yes"}, 400, "'send' must be true or false"),
        ({"url": "http://x.test/", "origin": ORIGIN, "body": {"a": 1}}, 400, "the body must be text"),
        ({"url": "ftp://x.test/", "origin": ORIGIN}, 422, "invalid URL"),
        ({"url": "http://127.0.0.1:9/", "origin": ORIGIN}, 422, "connection refused"),
    ],
)
def test_bad_input_is_one_line_for_the_page(ui: UI, payload: dict[str, Any], status: int, text: str) -> None:
    r = ui.post("/api/check", payload)
    assert r.status_code == status
    error = r.json()["error"]
    assert text in error and "\n" not in error and "Traceback" not in error


def test_a_fetch_type_error_is_a_result_not_an_error(ui: UI) -> None:
    r = ui.post("/api/check", {"url": ui.target_url, "origin": ORIGIN, "body": "x"})  # GET with a body
    assert r.status_code == 200
    assert r.json()["result"]["error"] == "TypeError"


def test_bodies_that_are_not_a_json_object(ui: UI) -> None:
    url = ui.base + "/api/check"
    for content in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        r = ui.client.post(url, content=content, headers=ui.headers())
        assert r.status_code == 400 and "JSON" in r.json()["error"]
    r = ui.client.post(url, content=b" " * (MAX_BODY + 1), headers=ui.headers())
    assert r.status_code == 400 and "too large" in r.json()["error"]


def test_an_unexpected_failure_is_a_json_line(ui: UI, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr("corsight.ui.app.check", broken)
    r = ui.post("/api/check", {"url": ui.target_url, "origin": ORIGIN})
    assert r.status_code == 500
    assert r.json() == {"error": "corsight could not run this check: RuntimeError: boom", "kind": "internal"}


def test_header_lines() -> None:
    assert parse_header_lines("A: 1\n\n  B:2:3  \r\nC:") == [("A", "1"), ("B", "2:3"), ("C", "")]


# --- the guards: nothing reaches the target unless our own page asks -------------------------------------


def refused(ui: UI, response: httpx.Response, status: int, seen_before: int) -> None:
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert len(ui.target.seen) == seen_before, "a refused request must not run a check"


def test_api_refuses_other_origins_and_form_shaped_posts(ui: UI) -> None:
    seen = len(ui.target.seen)
    payload = {"url": ui.target_url, "origin": ORIGIN}
    url = ui.base + "/api/check"
    for origin in ("http://evil.test", "null", ui.base.replace("127.0.0.1", "localhost"), ui.base + "/"):
        refused(ui, ui.post("/api/check", payload, Origin=origin), 403, seen)
    no_origin = {k: v for k, v in ui.headers().items() if k != "Origin"}
    refused(ui, ui.client.post(url, json=payload, headers=no_origin), 403, seen)
    refused(ui, ui.post("/api/check", payload, **{"Sec-Fetch-Site": "cross-site"}), 403, seen)
    refused(ui, ui.post("/api/check", payload, **{"Sec-Fetch-Site": "same-site"}), 403, seen)
    refused(ui, ui.post("/api/check", payload, **{"X-Corsight-Token": "guess"}), 403, seen)
    # What an HTML form or a no-cors fetch can send: a simple content type.
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        refused(ui, ui.post("/api/check", payload, **{"Content-Type": kind}), 415, seen)
    # The API is POST only; a link or an image cannot start a check.
    refused(ui, ui.client.get(url, params=payload, headers=ui.headers()), 405, seen)
    refused(ui, ui.client.options(url, headers={"Origin": "http://evil.test",
                                                "Access-Control-Request-Method": "POST"}), 405, seen)  # fmt: skip
    assert "access-control-allow-origin" not in ui.client.options(url, headers={"Origin": "http://evil.test"}).headers
    # The same page, same request, is accepted.
    assert ui.post("/api/check", payload).status_code == 200
    assert len(ui.target.seen) == seen + 1


def test_foreign_host_header_is_refused_dns_rebinding(ui: UI) -> None:
    """A rebinding attack: evil.test resolves to 127.0.0.1, so the browser sends Host:
    evil.test:<port> and Origin: http://evil.test:<port> — same-origin in the browser's eyes."""
    seen = len(ui.target.seen)
    port = ui.server.port
    rebound = f"evil.test:{port}"
    payload = {"url": ui.target_url, "origin": ORIGIN}
    for path in ("/", "/static/app.js"):
        refused(ui, ui.client.get(ui.base + path, headers={"Host": rebound}), 421, seen)
    r = ui.post("/api/check", payload, Host=rebound, Origin=f"http://{rebound}")
    refused(ui, r, 421, seen)
    # Right name, wrong port; and two Host lines.
    refused(ui, ui.client.get(ui.server.url, headers={"Host": f"127.0.0.1:{port + 1}"}), 421, seen)
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.test\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert reply.split(b" ", 2)[1] in (b"400", b"421")
    # Every loopback name of our port works.
    for name in ("127.0.0.1", "localhost", "[::1]"):
        assert ui.client.get(ui.server.url, headers={"Host": f"{name}:{port}"}).status_code == 200


def test_host_names() -> None:
    assert host_names("127.0.0.1", 8080) == {"127.0.0.1:8080", "localhost:8080", "[::1]:8080"}
    assert "example.lan:8080" in host_names("0.0.0.0", 8080, ["example.lan"])
    assert "0.0.0.0:8080" not in host_names("0.0.0.0", 8080)
    assert "192.168.1.5:8080" in host_names("192.168.1.5", 8080)
    assert {"localhost", "localhost:80"} <= host_names("127.0.0.1", 80)


# --- the live-test frame ---------------------------------------------------------------------------------------


def test_live_plan_serves_a_frame_on_a_free_loopback_origin(ui: UI) -> None:
    port = free_port()
    plan = ui.post("/api/live", {"origin": f"http://127.0.0.1:{port}"}).json()
    assert plan == {"mode": "frame", "origin": f"http://127.0.0.1:{port}",
                    "frame_url": f"http://127.0.0.1:{port}{FRAME_PATH}"}  # fmt: skip
    frame = ui.client.get(plan["frame_url"])
    assert frame.status_code == 200
    assert f"frame-ancestors {ui.base};" in frame.headers["content-security-policy"]
    assert f'data-parent="{ui.base}"' in frame.text
    assert ui.client.get(plan["frame_url"], headers={"Host": f"evil.test:{port}"}).status_code == 421
    assert ui.client.get(f"http://127.0.0.1:{port}/anything").status_code == 404


def test_live_plan_falls_back_to_the_page_origin(ui: UI) -> None:
    for origin, reason in (
        ("https://app.example.com", "only act as an http:// origin on 127.0.0.1 or localhost"),
        ("https://127.0.0.1:4443", "only act as an http:// origin"),
        ("nonsense", "is not an origin"),
        (ui.base, ""),
    ):
        plan = ui.post("/api/live", {"origin": origin}).json()
        assert plan["mode"] == "page" and plan["origin"] == ui.base
        assert reason in plan["reason"]
    # A port in use (the user's own app, say) is never taken over.
    plan = ui.post("/api/live", {"origin": f"http://localhost:{ui.server.port}"}).json()
    assert plan["mode"] == "page" and f"port {ui.server.port}" in plan["reason"]
    assert ui.post("/api/live", {}).status_code == 400


def test_live_plan_says_when_the_chosen_port_is_taken(ui: UI) -> None:
    """A real app listening on the chosen origin's port: the plan falls back to the page and
    says so (``fallback``, the port, the origin asked for), and never takes the port over."""
    with socket.socket() as app:
        app.bind(("127.0.0.1", 0))
        app.listen(1)
        port = app.getsockname()[1]
        for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
            plan = ui.post("/api/live", {"origin": origin}).json()
            assert plan["mode"] == "page" and plan["origin"] == ui.base
            assert plan["fallback"] == "port-taken" and plan["port"] == port and plan["wanted"] == origin
            assert f"port {port} is in use on 127.0.0.1" in plan["reason"] and origin in plan["reason"]
            with socket.create_connection(("127.0.0.1", port)):  # still the app's port
                pass


def test_localhost_frames_check_and_serve_ipv6_loopback_too(ui: UI) -> None:
    """A dev server on ::1 only (Vite on recent Node) leaves 127.0.0.1 free, but a browser may
    reach http://localhost:N on ::1: that port is taken too. A free one is served on both."""
    try:
        app = socket.socket(socket.AF_INET6)
        app.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        app.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with app:
        app.listen(1)
        port = app.getsockname()[1]
        plan = ui.post("/api/live", {"origin": f"http://localhost:{port}"}).json()
        assert plan["fallback"] == "port-taken" and "in use on ::1" in plan["reason"]
        with socket.socket() as s:  # the 127.0.0.1 half was not kept
            s.bind(("127.0.0.1", port))
    port = free_port()
    with socket.socket(socket.AF_INET6) as probe:
        probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            probe.bind(("::1", port))
        except OSError:
            pytest.skip(f"port {port} is taken on ::1")
    plan = ui.post("/api/live", {"origin": f"http://localhost:{port}"}).json()
    assert plan["mode"] == "frame"
    for address in ("127.0.0.1", "[::1]"):
        r = ui.client.get(f"http://{address}:{port}{FRAME_PATH}", headers={"Host": f"localhost:{port}"})
        assert r.status_code == 200 and f'data-parent="{ui.base}"' in r.text


def test_live_frames_close_and_free_the_port() -> None:
    frames = LiveFrames(ttl=0.2)
    port = free_port()
    assert frames.plan(f"http://localhost:{port}", "http://127.0.0.1:1")["mode"] == "frame"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
            break
        except OSError:
            time.sleep(0.05)
    else:
        pytest.fail("the frame server kept its port after its ttl")
    frames.close()


# --- binding and the command -------------------------------------------------------------------------------------


def test_loopback_only_unless_asked() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.com")
    with pytest.raises(NotLoopback, match="--allow-remote"):
        UIServer("0.0.0.0")
    result = CliRunner().invoke(main, ["ui", "--host", "0.0.0.0", "--no-open"])
    assert result.exit_code == 2 and "not a loopback address" in result.output


def test_remote_bind_prints_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stub:
        url = "http://192.0.2.1:1/"

        def __init__(self, host: str, port: int, **kwargs: Any) -> None:
            self.kwargs = kwargs

        def run(self) -> None:
            pass

    monkeypatch.setattr("corsight.ui.server.UIServer", Stub)
    result = CliRunner().invoke(main, ["ui", "--host", "192.0.2.1", "--allow-remote", "--no-open"])
    assert result.exit_code == 0
    assert "WARNING: listening on 192.0.2.1, beyond loopback" in result.output


def test_the_command_serves_the_page() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "corsight", "ui", "--no-open"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        for _ in range(100):
            try:
                r = httpx.get(url.group(0), trust_env=False)
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        assert r.status_code == 200 and "corsight" in r.text
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    ("payload", "status", "text"),
    [
        ({}, 400, "the URL is required"),
        ({"url": ""}, 400, "the URL to scan is required"),
        ({"url": "http://x.test/", "trusted": "http://ok.test\nhttp://bad.test/"}, 400, "trusted origins, line 2"),
        ({"url": "http://x.test/", "internal": "no"}, 400, "'internal' must be true or false"),
        ({"url": "ftp://127.0.0.1:9/"}, 422, ""),
    ],
)
def test_scan_bad_input(ui: UI, payload: dict[str, Any], status: int, text: str) -> None:
    r = ui.post("/api/scan", payload)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert text in error and error and "Traceback" not in error


def test_scan_is_guarded_like_the_check(ui: UI) -> None:
    seen = len(ui.target.seen)
    payload = {"url": ui.target_url}
    refused(ui, ui.post("/api/scan", payload, Origin="http://evil.test"), 403, seen)
    refused(ui, ui.post("/api/scan", payload, Host=f"evil.test:{ui.server.port}"), 421, seen)
    r = ui.post("/api/scan", {"url": ui.target_url, "trusted": ORIGIN})
    assert r.status_code == 200 and r.json()["result"]["url"] == ui.target_url
    assert len(ui.target.seen) > seen


def test_a_taken_port_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["ui", "--port", str(port), "--no-open"])
    assert result.exit_code == 2
    assert result.output.startswith(f"corsight ui: error: cannot listen on 127.0.0.1:{port}")


# --- what the page shows: the headline, the exchange, the fix (corsight.ui.present) -----------------------------


class Scenarios:
    """A server with no CORS at all and one behind corsight's middleware allowing ORIGIN."""

    def __init__(self, plain: str, guarded: str) -> None:
        self.plain = plain
        self.guarded = guarded


@pytest.fixture(scope="module")
def scenarios() -> Iterator[Scenarios]:
    from starlette.responses import RedirectResponse

    async def items(request: Request) -> PlainTextResponse:
        return PlainTextResponse("[]")

    async def auth(request: Request) -> PlainTextResponse:
        return PlainTextResponse("log in first", 401)

    async def moved(request: Request) -> RedirectResponse:
        return RedirectResponse("/items", 302)

    def app() -> Starlette:
        return Starlette(
            routes=[
                Route("/items", items, methods=["GET", "PUT"]),
                Route("/auth", auth, methods=["GET", "OPTIONS"]),
                Route("/moved", moved, methods=["GET", "OPTIONS"]),
            ]
        )

    guarded = CORSMiddleware(app(), allow_origins=[ORIGIN])
    with serve_asgi(app()) as plain, serve_asgi(guarded) as ok:
        yield Scenarios(plain, ok)


def checked(url: str, **options: Any) -> CheckResult:
    from corsight.check import check

    return check(url, origin=ORIGIN, **options)


@pytest.mark.parametrize(
    ("server", "path", "options", "word", "cause", "detail"),
    [
        ("plain", "/items", {"headers": {"X-A": "1"}}, "Blocked",
         "Nothing on the server answers the preflight (OPTIONS → 405)", "kPreflightMissingAllowOriginHeader"),
        ("plain", "/auth", {"headers": {"X-A": "1"}}, "Blocked",
         "Authentication rejects the preflight, which never carries credentials (OPTIONS → 401)",
         "kPreflightMissingAllowOriginHeader"),
        ("plain", "/moved", {"headers": {"X-A": "1"}}, "Blocked",
         "The preflight is redirected, and browsers never follow a preflight's redirect (OPTIONS → 302)",
         "kPreflightDisallowedRedirect"),
        ("plain", "/items", {}, "Blocked",
         "The response does not allow this origin: no Access-Control-Allow-Origin header (GET → 200)",
         "kMissingAllowOriginHeader"),
        ("guarded", "/items", {"method": "PUT"}, "Blocked",
         "The server's CORS policy refuses this origin, method or headers (OPTIONS → 403)",
         "kPreflightMissingAllowOriginHeader"),
        ("guarded", "/items", {"credentials": "include"}, "Blocked",
         "The response does not allow credentials: Access-Control-Allow-Credentials is absent; must be"
         " exactly 'true' (GET → 200)", "kInvalidAllowCredentials"),
        ("guarded", "/items", {"body": "x"}, "Blocked", "fetch() throws before sending anything", "TypeError"),
        ("guarded", "/moved", {}, "Allowed", "The page's script can read the response (GET → 200)", None),
        ("guarded", "/items", {"method": "POST", "headers": {"Content-Type": "text/plain"}}, "Allowed so far",
         "Nothing failed, but the POST itself was not sent: its response is unchecked", None),
    ],
)  # fmt: skip
def test_the_headline_leads_with_the_cause_in_words(
    scenarios: Scenarios, server: str, path: str, options: dict[str, Any], word: str, cause: str, detail: str | None
) -> None:
    from corsight.ui.present import headline

    result = checked(getattr(scenarios, server) + path, **options)
    assert headline(result) == {"word": word, "tone": headline(result)["tone"], "cause": cause, "detail": detail}
    assert detail == result.error


def test_the_api_returns_the_headline_exchange_and_fix(ui: UI) -> None:
    data = ui.post("/api/check", {"url": ui.target_url, "origin": "http://other.test", "headers": "X-A: 1",
                                  "server": "fastapi"}).json()  # fmt: skip
    assert data["headline"]["cause"] == "The server's CORS policy refuses this origin, method or headers (OPTIONS → 403)"
    assert data["headline"]["detail"] == data["result"]["error"] == "kPreflightMissingAllowOriginHeader"
    assert [s["kind"] for s in data["exchange"]["steps"]] == ["preflight"]
    assert data["exchange"]["steps"][0]["failed"] is True
    assert "allow_origins=[\"http://other.test\"]" in data["fix"]["snippet"]
    assert data["fix"]["export"]["filename"] == "corsight_cors.py"


def test_the_exchange_is_one_step_per_request_and_marks_where_it_stopped(scenarios: Scenarios) -> None:
    from corsight.ui.present import exchange

    # A redirect the server allows, then the request it leads to: two steps, none failed.
    steps = exchange(checked(scenarios.guarded + "/moved"))["steps"]
    assert [(s["kind"], s["request"], s["response"], s["failed"]) for s in steps] == [
        ("redirect", "GET /moved", "302 Found → /items", False),
        ("actual", "GET /items", "200 OK", False),
    ]
    # A redirect to another server, whose answer has no CORS header: three lifelines, and the
    # failure on step 2.
    from starlette.responses import RedirectResponse

    async def away(request: Request) -> RedirectResponse:
        return RedirectResponse(scenarios.plain + "/items", 307)

    hop = CORSMiddleware(Starlette(routes=[Route("/away", away)]), allow_origins=[ORIGIN])
    with serve_asgi(hop) as first:
        drawn = exchange(checked(first + "/away"))
    assert [line["origin"] for line in drawn["lifelines"]] == [ORIGIN, first, scenarios.plain]
    assert [(s["kind"], s["server"], s["failed"]) for s in drawn["steps"]] == [("redirect", 1, False), ("actual", 2, True)]
    assert drawn["steps"][1]["reason"] == "no Access-Control-Allow-Origin header"
    # The preflight that fails is the last step; a step that was not sent is not a failure.
    steps = exchange(checked(scenarios.plain + "/items", headers={"X-A": "1"}))["steps"]
    assert [(s["kind"], s["status"], s["failed"]) for s in steps] == [("preflight", 405, True)]
    steps = exchange(checked(scenarios.guarded + "/items", method="POST", headers={"Content-Type": "text/plain"}))["steps"]
    assert [(s["sent"], s["failed"], s["response"]) for s in steps] == [(False, False, "not sent: its response is unchecked")]
    assert exchange(checked(scenarios.guarded + "/items", body="x"))["steps"] == []


def test_the_fix_is_a_short_snippet_and_the_same_policy_as_corsight_export(
    scenarios: Scenarios, tmp_path: Any
) -> None:
    """For every server: a snippet of a few lines, the complete file exactly as ``corsight
    export`` writes it for the policy the diagnosis asks for, and the command line shown really
    writes that file. The Python snippets, run, make the blocked request pass."""
    import shlex
    from types import SimpleNamespace

    from corsight.check import SERVERS, check
    from corsight.export import export
    from corsight.policy import Policy
    from corsight.ui.present import fix_for

    url = scenarios.plain + "/items"
    request = {"method": "PUT", "headers": {"X-A": "1"}, "credentials": "include"}
    fixes = check(url, origin=ORIGIN, send=True, **request).diagnosis  # type: ignore[arg-type]
    policy = Policy([ORIGIN], allow_methods=["GET", "HEAD", "POST", "PUT"], allow_headers=["x-a"], allow_credentials=True)
    snippets = {}
    for server in SERVERS:
        fix = fix_for(fixes, server)
        assert fix is not None and fix["server"] == server
        snippet = fix["snippet"]
        assert len(snippet.splitlines()) <= 12, snippet
        target = {"starlette": "fastapi"}.get(server, server)
        assert fix["export"]["content"] == export(policy, target).content
        words = shlex.split(fix["command"])
        assert words[:4] == ["corsight", "export", "--to", target]
        out = tmp_path / fix["export"]["filename"]
        words[-1] = str(out)
        run = CliRunner().invoke(main, words[1:])
        assert run.exit_code == 0, run.output
        assert out.read_text() == fix["export"]["content"]
        snippets[server] = snippet
    for server in ("nginx", "apache", "caddy", "express"):
        assert "corsight-cors" in snippets[server] and "Save the complete file below" in snippets[server]

    def passes(base: str) -> bool:
        return check(base + "/items", origin=ORIGIN, send=True, **request).allowed  # type: ignore[arg-type]

    async def items(request: Request) -> PlainTextResponse:
        return PlainTextResponse("[]")

    for server in ("fastapi", "starlette"):
        space: dict[str, Any] = {"app": Starlette(routes=[Route("/items", items, methods=["GET", "PUT"])])}
        exec(snippets[server], space)
        with serve_asgi(space["app"]) as base:
            assert passes(base)

    import flask

    from tests.servers import serve_wsgi

    app = flask.Flask("snippet")
    app.add_url_rule("/items", "items", lambda: "[]", methods=["GET", "PUT"])
    exec(snippets["flask"], {"app": app})
    with serve_wsgi(app) as base:
        assert passes(base)

    from corsight.django.conf import MIDDLEWARE_PATH, read

    settings: dict[str, Any] = {"INSTALLED_APPS": ["django.contrib.auth"], "MIDDLEWARE": ["auth.Middleware"]}
    exec(snippets["django"], settings)
    assert settings["MIDDLEWARE"] == [MIDDLEWARE_PATH, "auth.Middleware"]
    assert settings["INSTALLED_APPS"][-1] == "corsight.django"
    loaded = read(SimpleNamespace(CORSIGHT=settings["CORSIGHT"]))
    assert loaded.result is not None and loaded.result.policy_for("/").settings() == policy.settings()  # type: ignore[union-attr]


def test_no_fix_when_nothing_needs_to_change(scenarios: Scenarios) -> None:
    from corsight.ui.present import fix_for

    assert fix_for(checked(scenarios.guarded + "/items").diagnosis, "nginx") is None
    assert fix_for(checked(scenarios.guarded + "/items", body="x").diagnosis, "nginx") is None
