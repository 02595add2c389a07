"""What the real-browser tests share: a blank page to serve from a loopback origin, and a
fetch() run in it by headless Chromium, with what the page saw and what the console said."""

from __future__ import annotations

from typing import Any

PAGE_HTML = b"<!doctype html><meta charset=utf-8><title>corsight test page</title>"

FETCH = """async ([url, init]) => {
  try {
    const r = await fetch(url, init);
    const headers = {};
    r.headers.forEach((v, k) => { headers[k] = v; });
    return {ok: true, status: r.status, body: await r.text(), headers};
  } catch (e) {
    return {ok: false, error: String(e)};
  }
}"""


def page_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A WSGI app serving the blank page: the page's origin is wherever it is served."""
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [PAGE_HTML]


def browser_fetch(
    context: Any, page_url: str, url: str, init: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """Load the page at ``page_url``, run ``fetch(url, init)`` in it (``init`` as a dict or as
    keywords); ``ok``, ``status``, ``body``, readable ``headers`` (or ``error``) and the
    ``console`` lines."""
    init = {**(init or {}), **fields}
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(page_url + "/")
    result: dict[str, Any] = page.evaluate(FETCH, [url, init])
    page.wait_for_timeout(50)  # let Chromium print the console line of a blocked request
    result["console"] = console
    page.close()
    return result


def blocked_by_cors(result: dict[str, Any]) -> bool:
    """fetch() rejected and Chromium said why: "... has been blocked by CORS policy: ..."."""
    return not result["ok"] and any("blocked by CORS policy" in line for line in result["console"])
