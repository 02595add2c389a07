"""``corsight ui`` end to end in headless Chromium: the UI server and two target APIs on
loopback (one behind corsight's middleware, one without CORS), the form filled by its labels,
and the page's verdict, diagram, messages, checks and fix compared with ``corsight.check``'s
own. The live tab runs the request in the same Chromium, and Chromium's console text is
compared with the prediction. Screenshots go to ``artifacts_dir``; the README's screenshot,
``docs/ui.png``, is kept current by the test that drives the blocked request (see
:func:`keep_docs_screenshot_current`)."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.routing import Route

from corsight.asgi import CORSMiddleware
from corsight.check import check
from corsight.export import export
from corsight.policy import Policy
from corsight.ui.server import UIServer
from tests.browser_page import page_app
from tests.servers import free_port, serve_asgi, serve_wsgi

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "ui.png"
STATIC = ROOT / "src" / "corsight" / "ui" / "static"


async def items(request: Request) -> JSONResponse:
    return JSONResponse({"items": []}, headers={"X-Total": "0"})


async def moved(request: Request) -> RedirectResponse:
    return RedirectResponse("/items", 302)


def routes() -> list[Route]:
    return [Route("/items", items, methods=["GET", "PUT"]), Route("/moved", moved)]


class Lab:
    """The UI, an API that allows ``origin`` and one that has no CORS at all."""

    def __init__(self, ui: UIServer, origin: str, allowing: str, blocking: str) -> None:
        self.ui = ui
        self.origin = origin
        self.allowing = allowing
        self.blocking = blocking


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    # The page origin is a free loopback port, so the live tab can serve its frame there.
    origin = f"http://127.0.0.1:{free_port()}"
    allowing = CORSMiddleware(
        Starlette(routes=routes()),
        allow_origins=[origin],
        allow_methods=["GET", "PUT"],
        allow_headers=["X-Api-Key"],
        expose_headers=["X-Total"],
    )
    ui = UIServer()
    ui.start()
    try:
        with serve_asgi(allowing) as ok, serve_asgi(Starlette(routes=routes())) as bad:
            yield Lab(ui, origin, ok + "/items", bad + "/items")
    finally:
        ui.stop()


# Every Content-Security-Policy violation the page meets (an inline style, a data: image...).
CSP_WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));"""


def open_ui(context: Any, lab: Lab, fragment: str = "", *, width: int = 1280, height: int = 900) -> Any:
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.add_init_script(CSP_WATCH)
    page.goto(lab.ui.url + fragment)
    page.wait_for_selector("body[data-ready='1']")
    return page


def csp_violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__csp"))


def fill(page: Any, url: str, origin: str, *, headers: str = "", server: str = "fastapi", **more: str) -> None:
    page.get_by_label("Request URL", exact=True).fill(url)
    page.get_by_label("Page origin", exact=True).fill(origin)
    page.get_by_label("Method", exact=True).fill(more.get("method", "GET"))
    page.get_by_label("Credentials mode", exact=True).select_option(more.get("credentials", "same-origin"))
    page.get_by_label("Request headers", exact=True).fill(headers)
    page.get_by_label("Request body", exact=True).fill(more.get("body", ""))
    page.get_by_label("Fix for server", exact=True).select_option(server)


def run_check(page: Any) -> None:
    page.get_by_role("button", name="Check").click()
    page.wait_for_selector("#verdict:not([hidden])")


def texts(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def test_blocked_request_shows_chromes_message_checks_and_fix(browser_context: Any, lab: Lab, artifacts_dir: Path) -> None:
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.ui.url.rstrip("/"))
    page = open_ui(browser_context, lab)
    fill(page, lab.blocking, lab.origin, headers="X-Api-Key: k", server="flask")
    run_check(page)
    expected = check(lab.blocking, origin=lab.origin, headers=[("X-Api-Key", "k")], server="flask")
    assert not expected.allowed

    # The headline leads with the cause in words; Chromium's error kind is the detail.
    assert page.locator("#verdict-word").inner_text().strip().lower() == "blocked"
    assert page.locator("#verdict-cause").inner_text() == "Nothing on the server answers the preflight (OPTIONS → 405)"
    assert page.locator("#verdict-detail").inner_text() == expected.error == "kPreflightMissingAllowOriginHeader"
    assert page.locator("#chrome-message").inner_text() == expected.chrome
    assert page.locator("#firefox-message").inner_text() == expected.firefox
    # The preflight and why: the header the browser model names.
    assert "X-Api-Key".lower() in page.locator("#preflight").inner_text().lower()
    # Each check, pass or fail, in the model's order.
    rows = texts(page, "#checks tr")
    assert len(rows) == len(expected.checks)
    for row, c in zip(rows, expected.checks, strict=True):
        assert row.startswith("✓ pass" if c.passed else "✗ fail")
        assert c.name in row
    # The timeline: preflight OPTIONS with its ACRH header and the 405 answer.
    timeline = page.locator("#timeline").inner_text()
    assert "Preflight: OPTIONS " + lab.blocking in timeline
    assert "Access-Control-Request-Headers" in timeline and "HTTP 405" in timeline
    # The fix: what is wrong, then a short snippet for the chosen server, copied by the button.
    assert page.locator("#fix-summary").inner_text() == expected.fixes["summary"]
    assert page.locator("#snippet-title").inner_text() == "In flask"
    snippet = page.locator("#snippet").text_content()
    assert snippet.splitlines()[1:] == [
        "from corsight.wsgi import CORSMiddleware",
        "",
        "app.wsgi_app = CORSMiddleware(",
        "    app.wsgi_app,",
        f'    allow_origins=["{lab.origin}"],',
        '    allow_headers=["x-api-key"],',
        ")",
    ]
    # The README shows the page as the user sees it after pressing Check.
    stale_screenshot = keep_docs_screenshot_current(page)
    page.get_by_role("button", name="Copy snippet").click()
    expect(page.locator("#copy-status")).to_contain_text("copied")
    assert page.evaluate("navigator.clipboard.readText()") == snippet
    # ... and the same policy as the complete file corsight export writes, to copy or download.
    exported = export(Policy([lab.origin], allow_headers=["x-api-key"]), "flask")
    page.get_by_text("The complete configuration: corsight_cors.py for flask").click()
    assert page.locator("#export").text_content() == exported.content
    assert page.locator("#export-command").inner_text() == (
        f"corsight export --to flask --allow-origin {lab.origin} --allow-header x-api-key -o corsight_cors.py"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Download corsight_cors.py").click()
    assert download.value.suggested_filename == "corsight_cors.py"
    assert Path(download.value.path()).read_text() == exported.content
    # The favicon loads under the page's own Content-Security-Policy; nothing was blocked by it.
    assert page.evaluate(
        "async () => { const i = new Image(); i.src = document.querySelector('link[rel=icon]').href;"
        " await i.decode(); return i.naturalWidth; }"
    ) > 0
    assert csp_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "ui-blocked.png"), full_page=True)
    page.close()
    if stale_screenshot:
        pytest.fail(stale_screenshot)


# --- the README's screenshot -------------------------------------------------------------------------

SCREENSHOT_KEY = "corsight-page"
# The text of what the screenshot shows at 1280x900 (the header, the form with its values, the
# tabs, the verdict, the diagram, the start of the fix), taken from the DOM rather than from the
# pixels' positions, so that fonts that wrap differently on another machine change nothing.
SHOWN_TEXT = """() => {
    const parts = ["header", "#form", "[role=tablist]", "#verdict", "#exchange", "#fix"]
        .map((selector) => document.querySelector(selector).textContent);
    for (const field of document.querySelectorAll("#form input, #form select, #form textarea")) {
        parts.push(`${field.id}=${field.type === "checkbox" ? field.checked : field.value}`);
    }
    return parts.join(" ").replace(/\\s+/g, " ");
}"""


def png_text(data: bytes) -> dict[str, str]:
    """The tEXt entries of a PNG."""
    found: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"tEXt":
            key, _, value = data[pos + 8 : pos + 8 + length].partition(b"\0")
            found[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return found


def with_png_text(data: bytes, key: str, value: str) -> bytes:
    """The PNG with a tEXt entry added after its header chunk."""
    body = key.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = len(body).to_bytes(4, "big") + b"tEXt" + body + zlib.crc32(b"tEXt" + body).to_bytes(4, "big")
    after_header = 8 + 12 + int.from_bytes(data[8:12], "big")
    return data[:after_header] + chunk + data[after_header:]


def keep_docs_screenshot_current(page: Any) -> str | None:
    """docs/ui.png is this page, as this test drives it, at 1280x900.

    A screenshot cannot be compared with a fresh one pixel for pixel: the loopback ports differ
    on every run and a new Chromium or font draws text slightly differently. So the PNG carries
    a fingerprint of what it shows: the page's assets (HTML, CSS, script, icon), the viewport,
    and the text of the parts on screen (:data:`SHOWN_TEXT`) with the ports left out. When the page would show anything
    else, the test writes a fresh screenshot to docs/ui.png and fails, saying so: the change
    is then committed with the screenshot, and CI, where nothing commits, keeps failing until
    it is. When nothing changed the file is left alone, so running the tests dirties nothing.
    Returns the failure to report once the rest of the test has run."""
    assets = hashlib.sha256()
    for path in sorted(STATIC.iterdir()):
        assets.update(path.name.encode() + b"\0" + path.read_bytes())
    text = re.sub(r"(127\.0\.0\.1|localhost|\[::1\]):\d+", r"\1:PORT", page.evaluate(SHOWN_TEXT))
    size = page.viewport_size
    fingerprint = hashlib.sha256(
        assets.digest() + f"{size['width']}x{size['height']}\n{text}".encode()
    ).hexdigest()
    committed = png_text(DOCS_SCREENSHOT.read_bytes()).get(SCREENSHOT_KEY) if DOCS_SCREENSHOT.exists() else None
    if committed == fingerprint:
        return None
    focused = page.evaluate("document.activeElement.id")
    page.evaluate("document.activeElement.blur()")  # no focus ring in the README's picture
    DOCS_SCREENSHOT.write_bytes(with_png_text(page.screenshot(), SCREENSHOT_KEY, fingerprint))
    page.locator(f"#{focused}").focus()
    return (
        "docs/ui.png did not show the page as it is now; this test wrote a fresh one: look at it"
        " and commit it with the change to the page"
    )


def test_allowed_request_and_the_share_link(browser_context: Any, lab: Lab, artifacts_dir: Path) -> None:
    browser_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=lab.ui.url.rstrip("/"))
    page = open_ui(browser_context, lab)
    fill(page, lab.allowing, lab.origin, headers="X-Api-Key: k", credentials="omit", server="express")
    run_check(page)
    expected = check(lab.allowing, origin=lab.origin, headers=[("X-Api-Key", "k")], credentials="omit")
    assert expected.allowed and expected.chrome is None
    assert page.locator("#verdict-word").inner_text().strip().lower() == "allowed"
    assert all(r.startswith("✓ pass") for r in texts(page, "#checks tr"))
    assert len(texts(page, "#checks tr")) == len(expected.checks)
    assert "x-total" in page.locator("#notes").inner_text().lower()
    assert page.locator("#snippet-box").is_hidden()
    page.screenshot(path=str(artifacts_dir / "ui-allowed.png"), full_page=True)

    page.get_by_role("button", name="Copy share link").click()
    expect(page.locator("#share-status")).to_contain_text("copied")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.locator("#share-link").input_value()
    assert link.startswith(lab.ui.url) and "#" in link
    page.close()

    # Opening the link fills the form, and runs nothing until the user presses Check.
    shared = open_ui(browser_context, lab, "#" + link.split("#", 1)[1])
    assert shared.get_by_label("Request URL", exact=True).input_value() == lab.allowing
    assert shared.get_by_label("Page origin", exact=True).input_value() == lab.origin
    assert shared.get_by_label("Request headers", exact=True).input_value() == "X-Api-Key: k"
    assert shared.get_by_label("Credentials mode", exact=True).input_value() == "omit"
    assert shared.get_by_label("Fix for server", exact=True).input_value() == "express"
    assert shared.locator("#verdict").is_hidden()
    run_check(shared)
    assert shared.locator("#verdict-word").inner_text().strip().lower() == "allowed"
    shared.close()


def test_live_tab_agrees_with_the_prediction(browser_context: Any, lab: Lab, artifacts_dir: Path) -> None:
    page = open_ui(browser_context, lab)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    fill(page, lab.blocking, lab.origin, headers="X-Api-Key: k")
    tab = page.get_by_role("tab", name="Live test in this browser")
    tab.click()
    page.get_by_role("button", name="Run in this browser").click()
    page.wait_for_selector("#live-agreement")
    expected = check(lab.blocking, origin=lab.origin, headers=[("X-Api-Key", "k")])
    # The frame was served on the chosen origin, so Chromium sent that very Origin.
    assert lab.origin in page.locator("#live-where").inner_text()
    assert "agrees" in page.locator("#live-agreement").inner_text()
    assert "fetch() rejected: TypeError" in page.locator("#live-browser").inner_text()
    assert page.locator("#live-chrome").inner_text() == expected.chrome
    page.wait_for_timeout(100)
    assert [m for m in console if "CORS policy" in m] == [expected.chrome]
    page.screenshot(path=str(artifacts_dir / "ui-live-blocked.png"), full_page=True)

    fill(page, lab.allowing, lab.origin, headers="X-Api-Key: k")
    page.get_by_role("button", name="Run in this browser").click()
    expect(page.locator("#live-browser")).to_contain_text("resolved")
    assert "agrees" in page.locator("#live-agreement").inner_text()
    assert "HTTP 200" in page.locator("#live-browser").inner_text()
    assert "x-total: 0" in page.locator("#live-result").inner_text()
    page.screenshot(path=str(artifacts_dir / "ui-live-allowed.png"), full_page=True)
    page.close()


def test_live_tab_runs_from_its_own_origin_for_a_remote_origin(browser_context: Any, lab: Lab) -> None:
    page = open_ui(browser_context, lab)
    fill(page, lab.blocking, "https://app.example.com")
    page.get_by_role("tab", name="Live test in this browser").click()
    page.get_by_role("button", name="Run in this browser").click()
    page.wait_for_selector("#live-agreement")
    where = page.locator("#live-where").inner_text()
    own = lab.ui.url.rstrip("/")
    assert f"this page's own origin, {own}" in where and "https://app.example.com" in where
    assert "agrees" in page.locator("#live-agreement").inner_text()
    assert "Blocked" in page.locator("#live-predicted").inner_text()
    page.close()


def test_bad_input_is_a_message_on_the_page(browser_context: Any, lab: Lab) -> None:
    page = open_ui(browser_context, lab)
    page.get_by_role("button", name="Check").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "URL is required" in alert.inner_text()
    fill(page, lab.blocking, "app.example.com")
    page.get_by_role("button", name="Check").click()
    expect(alert).not_to_contain_text("URL is required")
    assert "origin" in alert.inner_text().lower() and "Traceback" not in alert.inner_text()
    fill(page, lab.blocking, lab.origin, headers="no colon here")
    page.get_by_role("button", name="Check").click()
    expect(alert).to_contain_text("line 1")
    assert "'Name: value'" in alert.inner_text()
    fill(page, "http://127.0.0.1:9/x", lab.origin)
    page.get_by_role("button", name="Check").click()
    expect(alert).to_contain_text("refused")
    assert page.locator("#verdict").is_hidden()
    page.close()


def test_keyboard_only(browser_context: Any, lab: Lab) -> None:
    page = open_ui(browser_context, lab)
    page.get_by_label("Request URL", exact=True).focus()
    page.keyboard.type(lab.allowing)
    page.keyboard.press("Tab")
    page.keyboard.type(lab.origin)
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("#verdict:not([hidden])")
    assert page.locator("#verdict-word").inner_text().strip().lower() == "allowed"
    # The tabs follow the ARIA pattern: arrow keys move between them.
    page.get_by_role("tab", name="Prediction").focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("tab", name="Live test in this browser").get_attribute("aria-selected") == "true"
    assert page.locator("#panel-live").is_visible() and page.locator("#panel-predict").is_hidden()
    page.keyboard.press("ArrowLeft")
    assert page.get_by_role("tab", name="Prediction").get_attribute("aria-selected") == "true"
    # Every form control has a label; the verdict is announced.
    unlabeled = page.evaluate(
        "[...document.querySelectorAll('#form input:not([type=hidden]):not([hidden]), #form select, #form textarea')]"
        ".filter(e => !e.labels || e.labels.length === 0).map(e => e.id)"
    )
    assert unlabeled == []
    assert page.locator("#verdict-live").get_attribute("aria-live") == "polite"
    page.close()


def test_another_sites_page_cannot_run_a_check(browser_context: Any, lab: Lab) -> None:
    """A page on another origin posts to the UI's API, as a CORS fetch and as a no-cors
    (form-shaped) one: Chromium blocks the first, the server refuses both, and the target
    the attacker named receives nothing."""
    hits: list[str] = []

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        hits.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def evil_page(request: Request) -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>elsewhere</title>")

    api = lab.ui.url + "api/check"
    with serve_asgi(Starlette(routes=[Route("/", evil_page)])) as evil, serve_asgi(counting) as target:
        page = browser_context.new_page()
        page.goto(evil + "/")
        outcomes = page.evaluate(
            """async ([api, target]) => {
                const body = JSON.stringify({url: target + "/secret", origin: "http://x.test"});
                const out = [];
                try {
                    const r = await fetch(api, {method: "POST", headers: {"Content-Type": "application/json"}, body});
                    out.push("read " + r.status);
                } catch (e) { out.push("blocked"); }
                const r2 = await fetch(api, {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}, body});
                out.push(r2.type);
                return out;
            }""",
            [api, target],
        )
        page.close()
    assert outcomes == ["blocked", "opaque"]
    assert hits == []


CONTRAST_JS = """() => {
    const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
        const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (node) => {
        for (let n = node; n; n = n.parentElement) {
            const c = rgb(getComputedStyle(n).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const failures = [];
    for (const node of document.querySelectorAll("body *")) {
        const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
        if (!own || !node.checkVisibility() || node.closest("button:disabled")) continue;
        const style = getComputedStyle(node);
        const a = lum(rgb(style.color)), b = lum(background(node));
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
        const large = size >= 24 || (bold && size >= 18.66);
        if (ratio < (large ? 3 : 4.5)) failures.push(`${node.tagName}#${node.id} ${ratio.toFixed(2)}: ${node.textContent.trim().slice(0, 40)}`);
    }
    return failures;
}"""


def test_text_contrast_meets_wcag_aa(browser_context: Any, lab: Lab) -> None:
    page = open_ui(browser_context, lab)
    fill(page, lab.blocking, lab.origin, headers="X-Api-Key: k", method="PUT")
    run_check(page)
    assert page.evaluate(CONTRAST_JS) == []
    page.get_by_role("tab", name="Live test in this browser").click()
    assert page.locator("#live-warning").is_visible()
    page.get_by_role("button", name="Run in this browser").click()
    page.wait_for_selector("#live-agreement")
    assert page.evaluate(CONTRAST_JS) == []
    page.close()


def test_scan_tab_reports_what_corsight_scan_finds(browser_context: Any, lab: Lab, artifacts_dir: Path) -> None:
    from corsight.scan import ScanOptions, scan

    async def reflecting(scope: Any, receive: Any, send: Any) -> None:
        origin = dict(scope["headers"]).get(b"origin")
        headers = [(b"content-type", b"application/json")]
        if origin:
            headers += [(b"access-control-allow-origin", origin), (b"access-control-allow-credentials", b"true")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    with serve_asgi(reflecting) as base:
        url = base + "/me"
        page = open_ui(browser_context, lab)
        fill(page, url, lab.origin)
        page.get_by_role("tab", name="Scan for misconfigurations").click()
        assert page.get_by_label("URL to scan", exact=True).input_value() == url
        assert page.get_by_label("Trusted origins", exact=True).input_value() == lab.origin
        page.get_by_role("button", name="Scan", exact=True).click()
        expect(page.locator("#scan-summary")).to_contain_text("finding")
        # Playwright's sync API holds this thread's event loop: scan from another thread.
        with ThreadPoolExecutor(1) as pool:
            expected = pool.submit(scan, [url], ScanOptions(trusted_origins=[lab.origin])).result().results[0]
        titles = [t.split(" ", 1)[1] for t in texts(page, "#scan-findings article h3")]
        assert titles == [f.cls.title for f in expected.findings]
        first = page.locator("#scan-findings article").first
        assert first.locator(".sev").inner_text() == expected.findings[0].severity.label.upper()
        assert expected.findings[0].cls.fix in first.inner_text()
        assert page.evaluate(CONTRAST_JS) == []
        page.screenshot(path=str(artifacts_dir / "ui-scan.png"), full_page=True)
        page.close()


def test_pressing_check_shows_the_verdict_focused_and_in_view(browser_context: Any, lab: Lab) -> None:
    """At 1280x900 the verdict is beside the form; on a narrow window it is below the form and
    the page scrolls to it. Either way it is on screen and has the focus after Check."""
    for width, beside in ((1280, True), (800, False)):
        page = open_ui(browser_context, lab, width=width, height=900)
        fill(page, lab.blocking, lab.origin, headers="X-Api-Key: k")
        page.get_by_role("button", name="Check").click()
        page.wait_for_selector("#verdict:not([hidden])")
        expect(page.locator("#verdict")).to_be_focused()
        box = page.locator("#verdict").bounding_box()
        form = page.locator("#form").bounding_box()
        assert box is not None and form is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900, (width, box)
        if beside:
            assert box["x"] >= form["x"] + form["width"], (box, form)
            assert page.evaluate("scrollY") == 0  # nothing had to move
        else:
            assert box["y"] >= form["y"] + form["height"], (box, form)
            assert page.evaluate("scrollY") > 0
        page.close()


# Each case: the request, then (kind, failed) per step of the exchange as the diagram draws it.
DIAGRAMS = [
    ("allowing", "/items", {"headers": "X-Api-Key: k"}, [("preflight", False), ("actual", False)]),
    ("allowing", "/moved", {}, [("redirect", False), ("actual", False)]),
    ("allowing", "/items", {"method": "PUT"}, [("preflight", False), ("actual", False)]),
    ("blocking", "/moved", {}, [("redirect", True)]),
    ("blocking", "/items", {"headers": "X-Api-Key: k"}, [("preflight", True)]),
]


def test_the_exchange_is_a_sequence_diagram_with_the_failing_step_marked(browser_context: Any, lab: Lab) -> None:
    page = open_ui(browser_context, lab)
    for server, path, more, steps in DIAGRAMS:
        url = (lab.allowing if server == "allowing" else lab.blocking).removesuffix("/items") + path
        fill(page, url, lab.origin, **more)
        page.get_by_role("button", name="Check").click()
        expect(page.locator("#exchange-caption")).not_to_have_text("")
        page.wait_for_function(
            "([url, n]) => document.querySelectorAll('#exchange-diagram g.seq-step').length === n"
            " && document.querySelector('#exchange-steps li') !== null"
            " && document.getElementById('exchange-steps').textContent.includes(new URL(url).pathname)",
            arg=[url, len(steps)],
        )
        groups = page.locator("#exchange-diagram svg g.seq-step")
        drawn = []
        for i in range(groups.count()):
            group = groups.nth(i)
            # One arrow pair per step: the request to the server and its answer.
            assert group.locator("line.seq-request").count() == 1 and group.locator("line.seq-response").count() == 1
            failed = "failed" in (group.get_attribute("class") or "")
            drawn.append((group.get_attribute("data-kind"), failed))
            # Marked in words and a sign, not by colour alone.
            assert ("✗ blocked here:" in group.text_content()) is failed
        assert drawn == steps, (path, more)
        # The text alternative: one sentence per step, the failing one says so.
        sentences = texts(page, "#exchange-steps li")
        assert len(sentences) == len(steps)
        for sentence, (_, failed) in zip(sentences, steps, strict=True):
            assert ("The browser stops here" in sentence) is failed
        caption = page.locator("#exchange-caption").inner_text()
        failing = [n for n, (_, failed) in enumerate(steps, 1) if failed]
        assert caption.startswith(f"Blocked at step {failing[0]}") if failing else ("resolves" in caption or "allowed so far" in caption)
        # An unsent PUT is drawn dashed and says so.
        if more.get("method") == "PUT":
            assert "not sent" in groups.nth(1).text_content() and "unsent" in (groups.nth(1).get_attribute("class") or "")
    assert page.locator("#exchange-diagram svg").get_attribute("aria-hidden") == "true"
    assert csp_violations(page) == []
    page.close()


def test_live_tab_says_so_when_the_chosen_origins_port_is_taken(browser_context: Any, lab: Lab) -> None:
    """A real app holds the chosen origin's port: the live test runs from the UI's own origin,
    the page says so in a notice, and gives the fetch() to paste into the app's console — which,
    run in a page of that origin, is refused by Chromium exactly as predicted for it."""
    with serve_wsgi(page_app) as app_origin:
        port = int(app_origin.rsplit(":", 1)[1])
        own = lab.ui.url.rstrip("/")
        page = open_ui(browser_context, lab)
        fill(page, lab.blocking, app_origin, headers="X-Api-Key: k")
        page.get_by_role("tab", name="Live test in this browser").click()
        page.get_by_role("button", name="Run in this browser").click()
        page.wait_for_selector("#live-agreement")
        notice = page.locator("#live-notice")
        expect(notice).to_be_visible()
        text = notice.inner_text()
        assert f"Not run from {app_origin}." in text and f"port {port} is in use on 127.0.0.1" in text
        assert f"ran from this page's own origin, {own}" in text
        assert page.locator("#live-agreement").inner_text().endswith(f"prediction for {own}.")
        snippet = page.locator("#live-console-snippet").text_content()
        assert snippet.startswith(f'fetch("{lab.blocking}", ')
        page.close()

        app_page = browser_context.new_page()
        console: list[str] = []
        app_page.on("console", lambda m: console.append(m.text))
        app_page.goto(app_origin + "/")
        app_page.evaluate(snippet)
        app_page.wait_for_timeout(100)
        app_page.close()
    expected = check(lab.blocking, origin=app_origin, headers=[("X-Api-Key", "k")])
    assert expected.chrome in console
    assert any(line.startswith("rejected TypeError") for line in console), console
