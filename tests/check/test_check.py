"""``corsight.check`` and ``corsight check`` against real servers on loopback.

A small raw HTTP server scripts exact responses (duplicate header lines included); a Starlette
app behind corsight's own middleware checks the happy path; a non-HTTP service and a closed
port check the one-line errors.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from corsight.check import CheckError, check
from corsight.cli import main
from tests.servers import free_port, serve_asgi

Script = Callable[[str, str, list[tuple[str, str]]], tuple[int, list[tuple[str, str]]]]
ORIGIN = "http://app.test:3000"
ACAO = ("Access-Control-Allow-Origin", ORIGIN)


class RawServer:
    """Answers each request with ``script(method, path, headers) -> (status, header lines)``."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.log: list[tuple[str, str, list[tuple[str, str]]]] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as f:
            while True:
                line = f.readline()
                if not line:
                    return
                try:
                    method, target, _ = line.decode("latin-1").split(" ", 2)
                except ValueError:  # not HTTP (e.g. a TLS ClientHello): hang up
                    return
                headers: list[tuple[str, str]] = []
                while (h := f.readline().decode("latin-1").rstrip("\r\n")) != "":
                    name, _, value = h.partition(":")
                    headers.append((name, value.strip()))
                length = int(dict((k.lower(), v) for k, v in headers).get("content-length", "0"))
                if length:
                    f.read(length)
                path = urlsplit(target).path
                self.log.append((method, path, headers))
                status, out = self.script(method, path, headers)
                head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{n}: {v}\r\n" for n, v in out)
                conn.sendall((head + "Content-Length: 0\r\n\r\n").encode("latin-1"))

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def raw(script: Script) -> Iterator[RawServer]:
    server = RawServer(script)
    try:
        yield server
    finally:
        server.close()


def answer(preflight: list[tuple[str, str]], actual: list[tuple[str, str]], pre_status: int = 204,
           status: int = 200) -> Script:  # fmt: skip
    def script(method: str, path: str, headers: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
        return (pre_status, preflight) if method == "OPTIONS" else (status, actual)

    return script


def test_simple_get_allowed() -> None:
    with raw(answer([], [ACAO, ("X-Secret", "1"), ("Content-Type", "text/plain")])) as s:
        result = check(s.url + "/data", origin=ORIGIN)
    data = result.to_dict()
    assert data["allowed"] is True and data["error"] is None
    assert data["message"] == {"chrome": None, "firefox": None}
    assert data["preflight"] == {"needed": False, "sent": False, "request_headers": [], "response": None}
    assert data["actual"]["sent"] is True
    assert ["Origin", ORIGIN] in data["actual"]["request_headers"]
    assert data["actual"]["response"]["status"] == 200
    assert data["exposed_headers"] == ["content-length", "content-type"]
    assert all({"name", "passed", "detail"} <= set(c) for c in data["checks"])
    json.dumps(data)


def test_preflight_headers_sent_exactly() -> None:
    pre = [ACAO, ("Access-Control-Allow-Methods", "PUT"), ("Access-Control-Allow-Headers", "x-a, x-b")]
    with raw(answer(pre, [ACAO])) as s:
        result = check(s.url + "/p", origin=ORIGIN, method="put", headers={"X-B": "1", "x-a": "2"},
                       send=True)  # fmt: skip
        logged = s.log
    data = result.to_dict()
    assert data["allowed"] and data["preflight"]["needed"] and data["preflight"]["sent"]
    sent = data["preflight"]["request_headers"]
    names = [n for n, _ in sent]
    cors = [h for h in sent if h[0] in ("Accept", "Access-Control-Request-Method",
                                        "Access-Control-Request-Headers", "Origin")]  # fmt: skip
    assert cors == [["Accept", "*/*"], ["Access-Control-Request-Method", "PUT"],
                    ["Access-Control-Request-Headers", "x-a,x-b"], ["Origin", ORIGIN]]  # fmt: skip
    assert "Cookie" not in names and "Authorization" not in names
    # What the server received is what the report says was sent.
    assert [list(h) for h in logged[0][2]] == sent
    assert [m for m, _, _ in logged] == ["OPTIONS", "PUT"]


def test_unsafe_method_not_sent_without_send() -> None:
    pre = [ACAO, ("Access-Control-Allow-Methods", "DELETE")]
    with raw(answer(pre, [ACAO])) as s:
        result = check(s.url + "/d", origin=ORIGIN, method="DELETE")
        methods = [m for m, _, _ in s.log]
    data = result.to_dict()
    assert methods == ["OPTIONS"]
    assert data["allowed"] is True and data["complete"] is False
    assert data["actual"]["sent"] is False
    assert any("--send" in n for n in data["notes"])


def test_duplicate_allow_origin_lines() -> None:
    with raw(answer([], [ACAO, ACAO])) as s:
        data = check(s.url + "/dup", origin=ORIGIN).to_dict()
    assert data["error"] == "kMultipleAllowOriginValues"
    assert data["message"]["chrome"] == (
        f"Access to fetch at '{data['url']}' from origin '{ORIGIN}' has been blocked by CORS"
        f" policy: The 'Access-Control-Allow-Origin' header contains multiple values '{ORIGIN},"
        f" {ORIGIN}', but only one is allowed. Have the server send the header with a valid value."
    )
    assert "Multiple CORS header" in data["message"]["firefox"]


def test_preflight_500_is_a_server_error_not_a_header() -> None:
    with raw(answer([], [], pre_status=500)) as s:
        data = check(s.url + "/x", origin=ORIGIN, method="PUT", server="flask").to_dict()
    assert data["error"] == "kPreflightMissingAllowOriginHeader"
    assert data["fixes"]["problem"] == "server-error"
    assert "No CORS header fixes that" in data["fixes"]["summary"]
    assert data["preflight"]["response"]["status"] == 500


def test_preflight_404_and_401() -> None:
    with raw(answer([], [], pre_status=404)) as s:
        assert check(s.url, origin=ORIGIN, method="PUT").fixes["problem"] == "preflight-not-handled"
    with raw(answer([], [], pre_status=401)) as s:
        assert check(s.url, origin=ORIGIN, method="PUT").fixes["problem"] == "auth"


def test_fix_headers_and_snippets() -> None:
    with raw(answer([ACAO], [ACAO])) as s:
        result = check(s.url + "/f", origin=ORIGIN, method="PATCH", headers=[("X-Api", "k")],
                       credentials="include")  # fmt: skip
    fixes = result.fixes
    assert result.error == "kPreflightInvalidAllowCredentials"
    wrong = {(h["on"], h["name"]): h["value"] for h in fixes["headers"] if not h["ok"]}
    assert wrong[("preflight", "Access-Control-Allow-Credentials")] == "true"
    assert wrong[("preflight", "Access-Control-Allow-Methods")] == "PATCH"
    assert wrong[("preflight", "Access-Control-Allow-Headers")] == "x-api"
    snippets = fixes["snippets"]
    assert set(snippets) == {"fastapi", "starlette", "flask", "django", "express", "nginx", "apache", "caddy"}
    assert "from corsight.asgi import CORSMiddleware" in snippets["fastapi"]
    assert "from corsight.wsgi import CORSMiddleware" in snippets["flask"]
    assert "CORSIGHT = {" in snippets["django"] and "corsight.django" in snippets["django"]
    for name in ("fastapi", "starlette", "flask"):
        assert "allow_credentials=True" in snippets[name] and "'PATCH'" in snippets[name]
    assert "credentials: true" in snippets["express"]
    assert "content-type, x-api\";" in snippets["nginx"]


def test_snippet_from_fix_really_works() -> None:
    # The fastapi/starlette snippet's settings, applied to a real app, make the check pass.
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from corsight.asgi import CORSMiddleware

    async def endpoint(request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/api", endpoint, methods=["GET", "PUT"])],
        middleware=[Middleware(CORSMiddleware, allow_origins=[ORIGIN], allow_methods=["GET", "HEAD", "POST", "PUT"],
                               allow_headers=["x-api"], allow_credentials=True, max_age=600)],
    )  # fmt: skip
    with serve_asgi(app) as url:
        result = check(url + "/api", origin=ORIGIN, method="PUT", headers={"X-Api": "1"},
                       credentials="include", send=True)  # fmt: skip
        other = check(url + "/api", origin="http://evil.test", method="PUT", send=True)
    assert result.allowed, result.to_dict()
    assert not other.allowed and other.error is not None


def test_redirect_followed_with_taint() -> None:
    with raw(answer([], [("Access-Control-Allow-Origin", "*")])) as target:

        def script(method: str, path: str, headers: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
            return 302, [("Access-Control-Allow-Origin", "*"), ("Location", target.url + "/b")]

        with raw(script) as first:
            data = check(first.url + "/a", origin=ORIGIN).to_dict()
            got = target.log[0][2]
    assert data["allowed"]
    assert ("Origin", "null") in got
    assert [t["url"] for t in data["timeline"]] == [first.url + "/a", target.url + "/b"]


def test_same_origin_note() -> None:
    with raw(answer([], [])) as s:
        result = check(s.url + "/", origin=s.url)
    assert result.allowed and any("same-origin" in n for n in result.notes)


def test_forbidden_method_is_a_type_error() -> None:
    result = check("http://127.0.0.1:9/", origin=ORIGIN, method="TRACE")
    assert not result.allowed and result.error == "TypeError"
    assert result.chrome == (
        "Uncaught (in promise) TypeError: Failed to execute 'fetch' on 'Window': 'TRACE' HTTP"
        " method is unsupported."
    )


@pytest.mark.parametrize(
    ("url", "origin", "fragment"),
    [
        ("not a url", ORIGIN, "invalid URL"),
        ("ftp://127.0.0.1/", ORIGIN, "invalid URL"),
        ("http://127.0.0.1:1/", "http://app.test/path", "invalid origin"),
        ("http://127.0.0.1:1/", "app.test", "invalid"),
    ],
)
def test_bad_input_raises_check_error(url: str, origin: str, fragment: str) -> None:
    with pytest.raises(CheckError, match=fragment):
        check(url, origin=origin)


def test_connection_refused() -> None:
    port = free_port()
    with pytest.raises(CheckError, match="refused"):
        check(f"http://127.0.0.1:{port}/", origin=ORIGIN)


@contextlib.contextmanager
def not_http() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = sock.accept()
                with conn:
                    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n")
                    conn.recv(1024)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        sock.close()


def test_non_http_service() -> None:
    with not_http() as url, pytest.raises(CheckError, match=r"no HTTP response|not HTTP"):
        check(url, origin=ORIGIN)


def test_timeout() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)  # accepts connections (backlog) but never answers
    try:
        with pytest.raises(CheckError, match="timed out"):
            check(f"http://127.0.0.1:{sock.getsockname()[1]}/", origin=ORIGIN, timeout=0.5)
    finally:
        sock.close()


def test_tls_failure() -> None:
    # An https:// URL on a port that answers in clear text: the TLS handshake fails.
    with not_http() as url, pytest.raises(CheckError, match="TLS failure"):
        check(url.replace("http://", "https://"), origin=ORIGIN, timeout=3)


# --- the command line --------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_allowed_exit_0_and_json_is_to_dict() -> None:
    with raw(answer([], [ACAO])) as s:
        code, out, _ = run(s.url + "/", "--origin", ORIGIN, "--json")
        expected = check(s.url + "/", origin=ORIGIN).to_dict()
    assert code == 0
    data = json.loads(out)
    assert set(data) == set(expected)
    assert data["allowed"] is True and data["exposed_headers"] == expected["exposed_headers"]


def test_cli_blocked_exit_1_with_messages_and_fix() -> None:
    with raw(answer([], [])) as s:
        code, out, _ = run(s.url + "/", "--origin", ORIGIN, "-X", "PUT", "-H", "X-Key: 1", "--server", "flask")
    assert code == 1
    assert "BLOCKED" in out and "kPreflightMissingAllowOriginHeader" in out
    assert "Response to preflight request doesn't pass access control check" in out
    assert "Cross-Origin Request Blocked" in out
    assert "from corsight.wsgi import CORSMiddleware" in out


def test_cli_send_and_data() -> None:
    pre = [ACAO, ("Access-Control-Allow-Methods", "PUT")]
    with raw(answer(pre, [ACAO])) as s:
        code, out, _ = run(s.url + "/", "--origin", ORIGIN, "-X", "PUT", "--data", "hello", "--send", "--json")
        assert [m for m, _, _ in s.log] == ["OPTIONS", "PUT"]
    assert code == 0 and json.loads(out)["complete"] is True


@pytest.mark.parametrize(
    "args",
    [
        ["not a url", "--origin", ORIGIN],
        ["http://127.0.0.1:1/", "--origin", "http://app.test/"],
        ["http://127.0.0.1:1/", "--origin", ORIGIN, "-H", "no colon"],
        ["http://127.0.0.1:1/"],
        ["http://127.0.0.1:1/", "--origin", ORIGIN, "--credentials", "always"],
    ],
)
def test_cli_usage_errors_exit_2(args: list[str]) -> None:
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert "Traceback" not in err


def test_cli_network_errors_one_line_exit_2() -> None:
    port = free_port()
    with not_http() as bad:
        for url in (f"http://127.0.0.1:{port}/", bad):
            code, out, err = run(url, "--origin", ORIGIN)
            assert code == 2 and out == ""
            assert err.count("\n") == 1 and err.startswith("corsight check: error: ")


def test_console_script_has_no_traceback() -> None:
    exe = Path(sys.executable).with_name("corsight")
    port = free_port()
    proc = subprocess.run(
        [str(exe), "check", f"http://127.0.0.1:{port}/x", "--origin", ORIGIN],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "connection refused" in proc.stderr and "Traceback" not in proc.stderr


def test_a_cors_middleware_refusal_is_a_policy_problem_not_auth() -> None:
    """corsight's engine answers a refused preflight 403; that is not an authentication issue."""
    from typing import Any

    from corsight.asgi import CORSMiddleware
    from tests.servers import serve_asgi

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with serve_asgi(CORSMiddleware(app, allow_origins=["http://a.test"])) as url:
        fixes = check(url + "/x", origin="http://a.test", method="PUT").to_dict()["fixes"]
    assert fixes["problem"] == "policy"
    assert any(h["name"] == "Access-Control-Allow-Methods" for h in fixes["headers"])


def test_fix_judges_todays_lists_with_the_browser_model() -> None:
    """`*` in Access-Control-Allow-Headers already covers the header without credentials, so
    the fix must not ask for it; with credentials it does not, so the fix must."""
    star = [("Access-Control-Allow-Methods", "*"), ("Access-Control-Allow-Headers", "*")]
    for credentials, ok in (("omit", True), ("include", False)):
        with raw(answer(star, [])) as s:
            fixes = check(s.url, origin=ORIGIN, method="PATCH", headers=[("X-Api", "k")], credentials=credentials).fixes
        lists = {h["name"]: h["ok"] for h in fixes["headers"] if h["on"] == "preflight"}
        assert lists["Access-Control-Allow-Headers"] is ok
        assert lists["Access-Control-Allow-Methods"] is ok


# --- the public function, the verdict scripts read, and a fix that tells the truth ---------------


@pytest.mark.parametrize(
    "first",
    ["import corsight.check", "from corsight.check import check", "import corsight; corsight.check", "import corsight"],
)
def test_corsight_check_is_the_function_whatever_loads_first(first: str) -> None:
    """``corsight.check`` is the function (not a module, callable or not), also after the
    package ``corsight.check`` is loaded; the package's names import as usual."""
    code = (
        f"{first}\n"
        "import types, corsight\n"
        "import corsight.check\n"
        "from corsight.check import CheckError, CheckResult, check\n"
        "assert isinstance(corsight.check, types.FunctionType), corsight.check\n"
        "assert corsight.check is check and corsight.CheckError is CheckError\n"
        "assert corsight.check.__module__ == 'corsight.check'\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": src}, check=True, timeout=60)


def test_not_sent_is_its_own_verdict_exit_3() -> None:
    """Nothing failed, but the PUT was not sent: not ALLOWED (exit 0) but NOT VERIFIED (exit 3),
    never shown as a failure, and the way out is the CLI's flag."""
    pre = [ACAO, ("Access-Control-Allow-Methods", "PUT")]
    with raw(answer(pre, [ACAO])) as s:
        code, out, _ = run(s.url + "/", "--origin", ORIGIN, "-X", "PUT")
        json_code, data, _ = run(s.url + "/", "--origin", ORIGIN, "-X", "PUT", "--json")
        sent_code, _, _ = run(s.url + "/", "--origin", ORIGIN, "-X", "PUT", "--send")
    assert (code, json_code, sent_code) == (3, 3, 0)
    assert json.loads(data)["outcome"] == "not-verified"
    assert "NOT VERIFIED" in out and "ALLOWED" not in out and "BLOCKED" not in out
    not_sent = [line for line in out.splitlines() if "not sent" in line or "not-sent" in line]
    assert not_sent and not any("✗" in line for line in not_sent), not_sent
    assert "--send" in out and "send=True" not in out


def test_a_response_never_sent_is_not_called_absent() -> None:
    """The preflight fails, so the PUT is never sent: its headers are unknown, not absent."""
    with raw(answer([ACAO], [ACAO])) as s:
        code, out, _ = run(s.url + "/", "--origin", ORIGIN, "-X", "PUT")
        data = check(s.url + "/", origin=ORIGIN, method="PUT").to_dict()
    assert code == 1
    actual = [line for line in out.splitlines() if "on the actual response" in line]
    assert actual and all("unknown: not sent" in line and "absent" not in line for line in actual), actual
    assert "on the preflight response: Access-Control-Allow-Methods: PUT  (now absent)" in out
    rows = {(h["on"], h["name"]): h for h in data["fixes"]["headers"]}
    assert rows[("actual", "Access-Control-Allow-Origin")]["received"] is False
    assert rows[("preflight", "Access-Control-Allow-Methods")]["received"] is True


def test_a_header_missing_on_a_redirect_is_asked_of_the_redirect() -> None:
    def script(method: str, path: str, headers: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
        return (302, [("Location", "/b")]) if path == "/a" else (200, [ACAO])

    with raw(script) as s:
        code, out, _ = run(s.url + "/a", "--origin", ORIGIN)
    assert code == 1
    assert "on the redirect response: Access-Control-Allow-Origin: " + ORIGIN in out
    assert "on the actual response" not in out
    assert "The redirect response does not allow this origin" in out


def test_a_redirected_preflight_lists_no_header_to_add() -> None:
    def script(method: str, path: str, headers: list[tuple[str, str]]) -> tuple[int, list[tuple[str, str]]]:
        return 301, [("Location", "/items/"), ACAO]

    with raw(script) as s:
        code, out, _ = run(s.url + "/items", "--origin", ORIGIN, "-X", "PUT", "--server", "flask")
        fixes = check(s.url + "/items", origin=ORIGIN, method="PUT").fixes
    assert code == 1 and "kPreflightDisallowedRedirect" in out
    assert "the server must send" not in out and "CORSMiddleware" not in out
    assert fixes["problem"] == "redirect" and fixes["headers"] == [] and fixes["snippets"] == {}
