"""``corsight.check`` agrees with real headless Chromium on the same loopback servers:
outcome, console text, and the preflight's CORS headers."""

from __future__ import annotations

from typing import Any

import pytest

from corsight.check import check
from tests.check.test_check import RawServer, Script, answer

pytestmark = pytest.mark.browser

PAGE: Script = lambda m, p, h: (200, [("Content-Type", "text/html")])  # noqa: E731


def scenarios(origin: str) -> list[tuple[str, Script, dict[str, Any]]]:
    acao = ("Access-Control-Allow-Origin", origin)
    return [
        ("missing", answer([], []), {}),
        ("allowed", answer([], [acao, ("X-A", "1"), ("Access-Control-Expose-Headers", "x-a")]), {}),
        ("two-lines", answer([], [acao, acao]), {}),
        ("wildcard-credentials", answer([], [("Access-Control-Allow-Origin", "*")]),
         {"credentials": "include"}),
        ("acac-case", answer([], [acao, ("Access-Control-Allow-Credentials", "True")]),
         {"credentials": "include"}),
        ("preflight-500", answer([], [], pre_status=500), {"method": "PUT"}),
        ("preflight-status", answer([acao], [acao], pre_status=500), {"method": "PUT"}),
        ("method-case", answer([acao, ("Access-Control-Allow-Methods", "put")], [acao]),
         {"method": "PUT"}),
        ("headers", answer([acao], [acao]), {"headers": {"X-B": "1", "X-A": "2"}}),
        ("star-authorization", answer([acao, ("Access-Control-Allow-Headers", "*")], [acao]),
         {"headers": {"Authorization": "x", "X-C": "1"}}),
        ("bad-acam", answer([acao, ("Access-Control-Allow-Methods", "Bad value")], [acao]),
         {"method": "PUT"}),
    ]  # fmt: skip


def run_in_chromium(context: Any, page_url: str, url: str, kw: dict[str, Any]) -> tuple[str, list[str]]:
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto(page_url)
    init = {"method": kw.get("method", "GET"), "headers": kw.get("headers", {}),
            "credentials": kw.get("credentials", "same-origin")}  # fmt: skip
    outcome = page.evaluate(
        "async ([u, i]) => { try { const r = await fetch(u, i);"
        " return 'OK ' + [...r.headers.keys()].sort().join(','); }"
        " catch (e) { return 'ERR'; } }",
        [url, init],
    )
    page.wait_for_timeout(150)
    page.close()
    return outcome, [m for m in messages if "CORS policy" in m]


def test_check_matches_chromium(browser_context: Any) -> None:
    page = RawServer(PAGE)
    origin = page.url
    try:
        for name, script, kw in scenarios(origin):
            server = RawServer(script)
            try:
                url = f"{server.url}/{name}"
                outcome, console = run_in_chromium(browser_context, origin + "/", url, kw)
                chromium_pre = [h for m, _, h in server.log if m == "OPTIONS"]
                server.log.clear()
                result = check(url, origin=origin, send=True, **kw)
                ours_pre = [h for m, _, h in server.log if m == "OPTIONS"]
                assert result.allowed is outcome.startswith("OK"), name
                if result.allowed:
                    assert outcome == "OK " + ",".join(result.exposed_headers), name
                else:
                    assert console == [result.chrome], name
                cors = ("accept", "access-control-request-method",
                        "access-control-request-headers", "origin")  # fmt: skip
                assert [[(n, v) for n, v in h if n.lower() in cors] for h in chromium_pre] == [
                    [(n, v) for n, v in h if n.lower() in cors] for h in ours_pre
                ], name
            finally:
                server.close()
    finally:
        page.close()
