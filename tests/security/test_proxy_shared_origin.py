"""Class guarded: **a site reached through open mode acts on the proxy's own origin**
(issue 11, finding 9, fourth bullet).

In open mode every site shares the proxy's origin. Response headers that act on an origin
rather than on one response (Clear-Site-Data, Service-Worker-Allowed, HSTS, NEL/Report-To,
Accept-CH, Set-Cookie, Refresh, Link rel=serviceworker, ...; the list and the reasons are in
:data:`corsight.proxy.headers.SHARED_ORIGIN_DROPPED`) are dropped, every upstream response is
served with ``Content-Security-Policy: sandbox`` and ``X-Content-Type-Options: nosniff``, and a
service worker script is never fetched, so no upstream page can run script as the proxy's
origin. Upstream mode (one site, chosen by the operator) keeps them. Tested over HTTP on
loopback and in real headless Chromium, where a proxied page's script must not run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from corsight.proxy.headers import SHARED_ORIGIN_DROPPED
from tests.proxy_support import serve_proxy
from tests.servers import serve_asgi

PAGE = "http://page.test"
SCRIPT_PAGE = ("<!doctype html><title>before</title><script>document.title = 'script ran';"
               "try { localStorage.setItem('planted', '1') } catch (e) {}</script>")  # fmt: skip

ORIGIN_ACTING = {
    "Clear-Site-Data": '"cookies", "storage"',
    "Service-Worker-Allowed": "/",
    "Strict-Transport-Security": "max-age=63072000",
    "Alt-Svc": 'h3=":443"',
    "NEL": '{"report_to": "x", "max_age": 86400}',
    "Report-To": '{"group": "x", "max_age": 86400, "endpoints": [{"url": "https://evil.test/r"}]}',
    "Reporting-Endpoints": 'x="https://evil.test/r"',
    "Accept-CH": "Sec-CH-UA-Model",
    "Critical-CH": "Sec-CH-UA-Model",
    "Origin-Agent-Cluster": "?1",
    "Set-Login": "logged-in",
    "Refresh": "0; url=https://evil.test/",
    "Expect-CT": "max-age=86400, enforce",
    "Public-Key-Pins-Report-Only": 'pin-sha256="x"; max-age=1',
}
calls: list[str] = []


async def page(request: Request) -> Response:
    calls.append(request.url.path)
    headers = {**ORIGIN_ACTING, "X-Content-Type-Options": "sniff-please", "Content-Security-Policy": "img-src 'none'"}
    response = HTMLResponse(SCRIPT_PAGE, headers=headers)
    response.set_cookie("session", "upstream")
    response.headers.append("Link", "</sw.js>; rel=serviceworker")
    response.headers.append("Link", "</items?page=2>; rel=next")
    return response


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    app = Starlette(routes=[Route("/page", page), Route("/sw.js", page)])
    with serve_asgi(app) as upstream:
        port = upstream.rsplit(":", 1)[1]
        with serve_proxy(allow_origins=["*"], allow_targets=[f"127.0.0.1:{port}"]) as open_proxy, \
                serve_proxy(allow_origins=["*"], upstream=upstream) as upstream_proxy:  # fmt: skip
            yield {"open": f"{open_proxy}/{upstream}/page", "open_proxy": open_proxy,
                   "upstream_mode": f"{upstream_proxy}/page", "sw": f"{open_proxy}/{upstream}/sw.js"}  # fmt: skip


def test_open_mode_drops_headers_that_act_on_the_proxy_origin_and_sandboxes(servers: dict[str, str]) -> None:
    r = httpx.get(servers["open"], headers={"Origin": PAGE}, trust_env=False)
    assert r.status_code == 200
    for name in ORIGIN_ACTING:
        assert name.lower().encode() in SHARED_ORIGIN_DROPPED
        assert name not in r.headers, name
    assert "set-cookie" not in r.headers
    assert r.headers.get_list("content-security-policy") == ["img-src 'none'", "sandbox"]
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]
    assert r.headers.get_list("link") == ["</items?page=2>; rel=next"]


def test_upstream_mode_keeps_them(servers: dict[str, str]) -> None:
    r = httpx.get(servers["upstream_mode"], headers={"Origin": PAGE}, trust_env=False)
    assert r.status_code == 200
    assert r.headers["clear-site-data"] == ORIGIN_ACTING["Clear-Site-Data"]
    assert r.headers.get_list("content-security-policy") == ["img-src 'none'"]
    assert len(r.headers.get_list("link")) == 2


def test_open_mode_never_serves_a_service_worker_script(servers: dict[str, str]) -> None:
    before = len(calls)
    r = httpx.get(servers["sw"], headers={"Service-Worker": "script"}, trust_env=False)
    assert r.status_code == 403 and "service worker" in r.text
    assert calls[before:] == []  # the upstream was not asked


@pytest.mark.browser
def test_a_proxied_page_runs_no_script_as_the_proxy_origin(servers: dict[str, str], browser_context: Any) -> None:
    tab = browser_context.new_page()
    tab.goto(servers["open"])
    tab.wait_for_timeout(100)
    assert tab.title() == "before"  # the page's script did not run
    tab.goto(servers["open_proxy"] + "/")  # the proxy's own page, on the proxy's origin
    assert tab.evaluate("localStorage.getItem('planted')") is None
    tab.close()
