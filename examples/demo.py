"""The corsight demo: a CORS failure shown in real Chromium, diagnosed by `corsight check`,
fixed by corsight's middleware; the usual copied "fix" caught by `corsight scan`; the same
failure worked around with `corsight proxy`; the policy written for nginx by
`corsight export`. Everything runs on loopback (127.0.0.1).

    ./run demo            (or: python -m examples.demo [--json])
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

PAGE = b"<!doctype html><meta charset=utf-8><title>Todo front end</title><h1>Todos</h1>"

# What the front end's script does: save a todo, with the user's session cookie.
FETCH = """async (url) => {
  try {
    const r = await fetch(url, {method: "PUT", credentials: "include",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify({title: "ship it"})});
    return {ok: true, status: r.status, body: await r.text()};
  } catch (e) { return {ok: false, error: String(e)}; }
}"""

# The fix, exactly as a FastAPI/Starlette user writes it: one middleware line.
FIXED_SETTINGS: dict[str, Any] = {
    "allow_methods": ["GET", "PUT", "DELETE"],
    "allow_headers": ["Content-Type"],
    "allow_credentials": True,
}


def todo_api() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def todo(request: Request) -> JSONResponse:
        if request.method == "PUT":
            return JSONResponse({"saved": await request.json()})
        return JSONResponse({"title": "write the demo"})

    return Starlette(routes=[Route("/todos/1", todo, methods=["GET", "PUT"])])


def page_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [PAGE]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(app: Any, port: int, asgi: bool) -> Iterator[str]:
    """Serve an app on 127.0.0.1:port in a thread (uvicorn for ASGI, wsgiref for WSGI)."""
    if asgi:
        import uvicorn

        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(5)
    else:
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

        httpd = make_server("127.0.0.1", port, app, handler_class=Quiet)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            httpd.shutdown()
            httpd.server_close()


def in_chromium(browser: Any, page_url: str, api_url: str) -> dict[str, Any]:
    """Load the page and run its fetch() in a fresh context; collect Chromium's console."""
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(page_url)
    result: dict[str, Any] = page.evaluate(FETCH, api_url)
    page.wait_for_timeout(100)
    result["console"] = [line for line in console if "CORS policy" in line]
    context.close()
    return result


def corsight_check_cli(api_url: str, origin: str, as_json: bool) -> dict[str, Any]:
    """Run `corsight check` as a user would, and return its JSON verdict."""
    args = [api_url, "--origin", origin, "-X", "PUT", "-H", "Content-Type: application/json",
            "--credentials", "include", "--data", '{"title": "ship it"}', "--send",
            "--server", "starlette"]  # fmt: skip
    command = [sys.executable, "-m", "corsight", "check", *args]
    if not as_json:
        print("\n$ corsight check " + " ".join(_quote(a) for a in args), flush=True)
        subprocess.run(command, check=False)
    verdict = subprocess.run([*command, "--json"], capture_output=True, text=True, check=False)
    return dict(json.loads(verdict.stdout))


def corsight_cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "corsight", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def copied_snippet_api() -> Any:
    """The fix most articles give: Starlette's middleware with '*' and credentials, which
    Starlette turns into "reflect every origin" — any website can read the user's data."""
    from starlette.middleware.cors import CORSMiddleware as StarletteCORS

    return StarletteCORS(todo_api(), allow_origins=["*"], allow_credentials=True, allow_methods=["*"])


def scan_findings(url: str, front_end: str) -> dict[str, Any]:
    args = ["scan", url, "--origin", front_end, "--json", "--fail-on", "never", "--no-progress"]
    report = json.loads(corsight_cli(*args).stdout)
    findings = [f for r in report["results"] for f in r["findings"]]
    return {"high": sorted({f["class"] for f in findings if f["severity"] == "high"}), "count": len(findings)}


def _quote(arg: str) -> str:
    return f"'{arg}'" if any(c in arg for c in " {}\"") else arg


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON only")
    options = parser.parse_args()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    from corsight import Policy, PolicyError
    from corsight.asgi import CORSMiddleware
    from corsight.proxy import ProxyConfig, create_app

    def say(text: str = "") -> None:
        if not options.json:
            print(text, flush=True)

    api_port, page_port = free_port(), free_port()
    with serve(page_app, page_port, asgi=False) as page_url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        say(f"Front end: {page_url}   API: http://127.0.0.1:{api_port}   (all on loopback)\n")

        say("1. The API has no CORS. The page saves a todo with fetch(PUT, JSON, credentials).")
        with serve(todo_api(), api_port, asgi=True) as api:
            before = in_chromium(browser, page_url, f"{api}/todos/1")
            say(f"   Real Chromium: {'allowed' if before['ok'] else 'BLOCKED'}; its console says:")
            for line in before["console"]:
                say(f"   > {line}")
            say("\n2. corsight check predicts it, without a browser, and says what to change:")
            predicted = corsight_check_cli(f"{api}/todos/1", page_url, options.json)
        same = predicted["message"]["chrome"] in before["console"]
        say(f"\n   Prediction matches Chromium's console word for word: {'yes' if same else 'NO'}")

        say("\n3. The fix: wrap the app in corsight's middleware (same keywords as Starlette's):")
        settings = {"allow_origins": [page_url], **FIXED_SETTINGS}
        say(f"   app = CORSMiddleware(app, {', '.join(f'{k}={v!r}' for k, v in settings.items())})")
        with serve(CORSMiddleware(todo_api(), **settings), api_port, asgi=True) as api:
            after = in_chromium(browser, page_url, f"{api}/todos/1")
            fixed_check = corsight_check_cli(f"{api}/todos/1", page_url, as_json=True)
            say(f"   Real Chromium: {'allowed' if after['ok'] else 'BLOCKED'}"
                f" -> {after.get('status')} {after.get('body', after.get('error'))}")
            say(f"   corsight check: {'allowed' if fixed_check['allowed'] else 'blocked'}")
            say("\n4. corsight scan: is the fix safe? And the fix most articles suggest instead?")
            fixed_scan = scan_findings(f"{api}/todos/1", page_url)
        say(f"   corsight's fix: no high finding ({fixed_scan['count']} lower finding(s))"
            if not fixed_scan["high"] else f"   corsight's fix: HIGH {fixed_scan['high']}")
        with serve(copied_snippet_api(), api_port, asgi=True) as api:
            copied_scan = scan_findings(f"{api}/todos/1", page_url)
        say(f"   Starlette with allow_origins=['*'], allow_credentials=True: HIGH {copied_scan['high']}")
        say("   corsight refuses that configuration at start-up instead:")
        try:
            Policy(["*"], allow_credentials=True)
        except PolicyError as error:
            say(f"   PolicyError: {error}")

        say("\n5. Can't change the API? corsight proxy in front of it (upstream mode):")
        proxy_port = free_port()
        with serve(todo_api(), api_port, asgi=True) as api:
            # Loopback is refused as a target by default: allow exactly this upstream.
            config = ProxyConfig(
                allow_origins=(page_url,), upstream=api, allow_credentials=True, cookies=True,
                allow_targets=(f"127.0.0.1:{api_port}",), access_log="off",
            )  # fmt: skip
            with serve(create_app(config), proxy_port, asgi=True) as proxy:
                proxied = in_chromium(browser, page_url, f"{proxy}/todos/1")
        say(f"   Real Chromium through the proxy: {'allowed' if proxied['ok'] else 'BLOCKED'}"
            f" -> {proxied.get('status')} {proxied.get('body', proxied.get('error'))}")
        browser.close()

    say("\n6. The same policy for nginx, proved in real nginx by the tests (corsight export --to nginx):")
    flags = [f"--allow-origin={page_url}", "--allow-method=GET,PUT,DELETE", "--allow-header=Content-Type",
             "--allow-credentials"]  # fmt: skip
    nginx = corsight_cli("export", "--to", "nginx", *flags)
    lines = [line for line in nginx.stdout.splitlines() if line and not line.startswith("#")]
    for line in lines[:6]:
        say(f"   {line}")
    say(f"   ... ({len(lines)} lines)")
    outcome = {
        "before": {"chromium_allowed": before["ok"], "console": before["console"],
                   "corsight_allowed": predicted["allowed"], "corsight_error": predicted["error"],
                   "message_matches": same},
        "after": {"chromium_allowed": after["ok"], "status": after.get("status"),
                  "corsight_allowed": fixed_check["allowed"]},
        "scan": {"fixed_high": fixed_scan["high"], "copied_snippet_high": copied_scan["high"]},
        "proxy": {"chromium_allowed": proxied["ok"], "status": proxied.get("status")},
        "export": {"nginx_ok": nginx.returncode == 0, "lines": len(lines)},
    }  # fmt: skip
    if options.json:
        print(json.dumps(outcome, indent=2))
    good = (
        not before["ok"] and same and after["ok"] and fixed_check["allowed"]
        and not fixed_scan["high"] and "any-origin" in copied_scan["high"]
        and proxied["ok"] and nginx.returncode == 0
    )  # fmt: skip
    say("\nDemo complete: failure shown, diagnosed and fixed." if good else "\nDemo FAILED.")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
