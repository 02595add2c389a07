"""Real headless Chromium through the proxy: a page on one loopback origin reads an upstream
that sends no CORS headers at all, in open and upstream mode, with a preflighted POST."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.browser_page import blocked_by_cors, browser_fetch, page_app
from tests.proxy_support import serve_proxy
from tests.servers import serve_asgi, serve_wsgi

pytestmark = pytest.mark.browser

async def api(request: Request) -> JSONResponse:
    """An API that knows nothing about CORS."""
    return JSONResponse(
        {"method": request.method, "token": request.headers.get("x-token"), "body": (await request.body()).decode()},
        headers={"X-Total": "42"},
    )


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    app = Starlette(routes=[Route("/api/items", api, methods=["GET", "POST"])])
    with serve_wsgi(page_app) as allowed, serve_wsgi(page_app) as other, serve_asgi(app) as upstream:
        port = upstream.rsplit(":", 1)[1]
        with serve_proxy(allow_origins=[allowed], allow_targets=[f"127.0.0.1:{port}"]) as open_proxy, \
                serve_proxy(allow_origins=[allowed], upstream=upstream) as upstream_proxy:  # fmt: skip
            yield {"allowed": allowed, "other": other, "upstream": upstream,
                   "open": f"{open_proxy}/{upstream}/api/items", "upstream_mode": f"{upstream_proxy}/api/items"}  # fmt: skip


POST = {
    "method": "POST",
    "headers": {"Content-Type": "application/json", "X-Token": "t-1"},
    "body": '{"n": 1}',
}


def test_the_upstream_alone_is_blocked(servers: dict[str, str], browser_context: Any) -> None:
    result = browser_fetch(browser_context, servers["allowed"], f"{servers['upstream']}/api/items", POST)
    assert blocked_by_cors(result), result


@pytest.mark.parametrize("mode", ["open", "upstream_mode"])
def test_preflighted_post_with_custom_header_through_the_proxy(
    servers: dict[str, str], browser_context: Any, mode: str
) -> None:
    result = browser_fetch(browser_context, servers["allowed"], servers[mode], POST)
    assert result["ok"], result
    assert result["status"] == 200
    assert '"method":"POST"' in result["body"] and '"token":"t-1"' in result["body"]
    assert '"body":"{\\"n\\": 1}"' in result["body"]
    assert result["headers"]["x-total"] == "42"  # exposed by the proxy's policy
    assert result["headers"]["x-final-url"].endswith("/api/items")


@pytest.mark.parametrize("mode", ["open", "upstream_mode"])
def test_a_disallowed_page_origin_is_blocked(servers: dict[str, str], browser_context: Any, mode: str) -> None:
    result = browser_fetch(browser_context, servers["other"], servers[mode], POST)
    assert blocked_by_cors(result), result
    simple = browser_fetch(browser_context, servers["other"], servers[mode], {})
    assert blocked_by_cors(simple), simple


def test_the_page_can_read_the_proxys_errors(servers: dict[str, str], browser_context: Any) -> None:
    proxy = servers["open"].split("/http://")[0]
    refused = browser_fetch(browser_context, servers["allowed"], f"{proxy}/http://169.254.169.254/latest", {})
    assert refused["ok"] and refused["status"] == 403, refused
    assert "link-local" in refused["body"]
