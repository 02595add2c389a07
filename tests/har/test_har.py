"""``corsight har``: HAR files recorded by real Chromium (Playwright's record_har_path) while a
page on one loopback origin fetches another, and hand-made Chrome DevTools-style,
Firefox-style and partial HARs."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from corsight.browser import CorsError
from corsight.cli import main
from corsight.diagnosis import Cause
from corsight.har import analyze_file, analyze_har
from corsight.wsgi import CORSMiddleware
from tests.browser_page import page_app
from tests.servers import serve_wsgi


def plain_api(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Total", "42")])
    return [b'{"ok": true}']


def strict_api(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """No CORS middleware: OPTIONS is refused as an authentication layer would."""
    if environ["REQUEST_METHOD"] == "OPTIONS":
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"forbidden"]
    return plain_api(environ, start_response)


def har(entries: list[dict[str, Any]], pages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"log": {"version": "1.2", "creator": {"name": "test"}, "pages": pages or [], "entries": entries}}


def entry(
    method: str,
    url: str,
    request_headers: dict[str, str],
    status: int = 0,
    response_headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "status": status,
        "headers": [{"name": n, "value": v} for n, v in (response_headers or {}).items()],
    }
    for key in ("_error", "_failureText"):
        if key in extra:
            response[key] = extra.pop(key)
    return {
        "request": {
            "method": method,
            "url": url,
            "headers": [{"name": n, "value": v} for n, v in request_headers.items()],
        },
        "response": response,
        **extra,
    }


# --- HARs recorded by real Chromium --------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded(chromium: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A HAR recorded while the page fetches an API that allows it (some requests), and one
    without CORS at all; also the console lines Chromium printed, and the server URLs."""
    path = tmp_path_factory.mktemp("har") / "recorded.har"
    with serve_wsgi(page_app) as page_url:
        cors_api = CORSMiddleware(
            plain_api,
            allow_origins=[page_url],
            allow_methods=["GET", "PUT"],
            allow_headers=["X-Token"],
            expose_headers=["X-Total"],
        )
        with serve_wsgi(cors_api) as api, serve_wsgi(strict_api) as strict:
            context = chromium.new_context(record_har_path=str(path))
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(page_url + "/")
            cases = [
                [f"{api}/ok", {}],
                [f"{api}/put", {"method": "PUT", "headers": {"X-Token": "a"}}],
                [f"{api}/delete", {"method": "DELETE"}],
                [f"{strict}/plain", {}],
                [
                    f"{strict}/put",
                    {"method": "PUT", "headers": {"Content-Type": "application/json"}, "body": "{}"},
                ],
            ]
            outcomes = page.evaluate(
                """async (cases) => { const out = [];
                  for (const [url, init] of cases) {
                    try { const r = await fetch(url, init); out.push(r.status); }
                    catch (e) { out.push(String(e)); } }
                  return out; }""",
                cases,
            )
            page.wait_for_timeout(100)
            context.close()  # writes the HAR
            yield {
                "path": path,
                "page": page_url,
                "api": api,
                "strict": strict,
                "console": console,
                "outcomes": outcomes,
            }


@pytest.mark.browser
def test_recorded_har_finds_the_failed_requests(recorded: dict[str, Any]) -> None:
    assert recorded["outcomes"][:2] == [200, 200]
    assert all("Failed to fetch" in str(o) for o in recorded["outcomes"][2:])
    report = analyze_file(recorded["path"])
    by_url = {f.url: f for f in report.findings}
    api, strict = recorded["api"], recorded["strict"]
    assert not by_url[f"{api}/ok"].failed and not by_url[f"{api}/put"].failed
    for url in (f"{api}/delete", f"{strict}/plain", f"{strict}/put"):
        finding = by_url[url]
        assert finding.failed, url
        assert finding.origin == recorded["page"]
        assert finding.check_command and recorded["page"] in finding.check_command
    assert set(report.by_server()) == {api, strict}
    assert len(report.failed) == 3


@pytest.mark.browser
def test_recorded_har_cli_exit_status_and_json(recorded: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["har", str(recorded["path"]), "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["failed"] == 3 and set(data["servers"]) == {recorded["api"], recorded["strict"]}
    human = CliRunner().invoke(main, ["har", str(recorded["path"])])
    assert human.exit_code == 1 and "find out: corsight check" in human.output


@pytest.mark.browser
def test_with_the_responses_recorded_the_message_is_chromiums_own(recorded: dict[str, Any]) -> None:
    """DevTools records the response of a blocked simple request and the preflight as its own
    entry; built from the servers' real answers, the report names the exact line Chromium
    printed for these requests."""
    page, strict = recorded["page"], recorded["strict"]
    plain = httpx.get(f"{strict}/plain", headers={"Origin": page})
    preflight_headers = {
        "Origin": page,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type",
    }
    pre = httpx.options(f"{strict}/put", headers=preflight_headers)
    devtools = har(
        [
            entry(
                "GET",
                f"{strict}/plain",
                {"Origin": page, "Accept": "*/*"},
                plain.status_code,
                dict(plain.headers),
                _error="net::ERR_FAILED",
            ),
            entry(
                "OPTIONS",
                f"{strict}/put",
                preflight_headers,
                pre.status_code,
                dict(pre.headers),
                _initiator={"type": "preflight", "url": f"{strict}/put"},
                _resourceType="preflight",
            ),
            entry(
                "PUT",
                f"{strict}/put",
                {"Origin": page, "Content-Type": "application/json"},
                0,
                _error="net::ERR_FAILED",
            ),
        ]
    )
    report = analyze_har(devtools)
    assert [f.failed for f in report.findings] == [True, True]
    plain_finding, put_finding = report.findings
    assert plain_finding.error == CorsError.MISSING_ALLOW_ORIGIN_HEADER.value
    assert put_finding.error == CorsError.PREFLIGHT_MISSING_ALLOW_ORIGIN_HEADER.value
    assert put_finding.preflight_index == 1
    for finding in report.findings:
        assert finding.known and finding.chrome in recorded["console"], (finding.chrome, recorded["console"])
    assert put_finding.diagnosis and plain_finding.diagnosis
    assert put_finding.diagnosis.cause is Cause.AUTH_BEFORE_CORS  # a 403 preflight: let OPTIONS through first
    assert plain_finding.diagnosis.cause is Cause.CORS_HEADERS and plain_finding.diagnosis.snippets


# --- hand-made HARs -------------------------------------------------------------------------------

APP = "https://app.example.com"
API = "https://api.example.com"


def test_firefox_style_har() -> None:
    """Firefox records the preflight as an OPTIONS entry and a blocked request with status 0."""
    firefox = har(
        [
            entry("GET", f"{APP}/", {"Host": "app.example.com"}, 200, {"Content-Type": "text/html"}),
            entry(
                "OPTIONS",
                f"{API}/items/1",
                {"Origin": APP, "Access-Control-Request-Method": "DELETE"},
                200,
                {"Access-Control-Allow-Origin": APP, "Access-Control-Allow-Methods": "GET, POST"},
            ),
            entry("DELETE", f"{API}/items/1", {"Origin": APP, "Referer": f"{APP}/"}, 0),
            entry(
                "GET",
                f"{API}/items",
                {"Origin": APP},
                200,
                {"Access-Control-Allow-Origin": "*", "Content-Type": "application/json"},
            ),
        ]
    )
    report = analyze_har(firefox)
    assert report.cross_origin == 2 and not report.notes  # the page's own document is not CORS
    (failed,) = report.failed
    assert failed.error == CorsError.METHOD_DISALLOWED_BY_PREFLIGHT_RESPONSE.value
    assert "Method DELETE is not allowed by Access-Control-Allow-Methods" in (failed.chrome or "")
    assert failed.firefox and "CORS" in failed.firefox
    assert failed.diagnosis and failed.diagnosis.required


def test_credentials_inferred_from_cookies() -> None:
    report = analyze_har(
        har(
            [
                entry(
                    "GET",
                    f"{API}/me",
                    {"Origin": APP, "Cookie": "session=1"},
                    200,
                    {"Access-Control-Allow-Origin": "*"},
                )
            ]
        )
    )
    (finding,) = report.findings
    assert finding.failed and finding.error == CorsError.WILDCARD_ORIGIN_NOT_ALLOWED.value


def test_page_origin_from_initiator_referer_or_page() -> None:
    entries = [
        entry("GET", f"{API}/a", {}, 200, {}, _initiator={"type": "script", "url": f"{APP}/main.js"}),
        entry("GET", f"{API}/b", {"Referer": f"{APP}/page"}, 200, {}),
        entry("GET", f"{API}/c", {}, 200, {}, pageref="page_1"),
        entry("GET", f"{API}/d", {}, 0, {}),
    ]
    report = analyze_har(har(entries, pages=[{"id": "page_1", "title": f"{APP}/spa"}]))
    assert [f.url.rsplit("/", 1)[1] for f in report.findings] == ["a", "b", "c"]
    assert all(f.origin == APP and f.failed for f in report.findings)
    assert any("origin is unknown" in n for n in report.notes)


def test_partial_entries_are_findings_and_notes_not_crashes() -> None:
    """Entries a browser writes for requests that got no answer, or that cannot be replayed,
    are findings and notes. (Malformed entries — not an object, a field missing or of the
    wrong type — are a one-line error: tests/security/test_har_input.py.)"""
    entries: list[Any] = [
        entry("GET", f"{API}/x", {"Origin": APP}, 0),  # blocked; which rule is not recorded
        entry("GET", f"{API}/y", {"Origin": APP}, 0, _failureText="net::ERR_CONNECTION_REFUSED"),
        entry("GET", "data:text/plain,hi", {"Origin": APP}, 200),
        entry("PUT", f"{API}/w", {"Origin": APP, "X-Bad\n": "v"}, 200, {}),
        entry("GET", f"{API}/v", {}, 0),  # no origin anywhere
    ]
    report = analyze_har(har(entries))
    by_url = {f.url: f for f in report.findings}
    assert set(by_url) == {f"{API}/x", f"{API}/y", f"{API}/w"}
    assert by_url[f"{API}/x"].failed and not by_url[f"{API}/x"].known
    refused = by_url[f"{API}/y"]
    assert refused.failed and any("below CORS" in n for n in refused.notes)
    assert any("cannot replay" in n for n in by_url[f"{API}/w"].notes)
    assert any("origin is unknown" in n for n in report.notes)


def test_only_passing_requests_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "ok.har"
    path.write_text(
        json.dumps(
            har([entry("GET", f"{API}/ok", {"Origin": APP}, 200, {"Access-Control-Allow-Origin": APP})])
        )
    )
    result = CliRunner().invoke(main, ["har", str(path), "--all"])
    assert result.exit_code == 0, result.output
    assert "no cross-origin request failed" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "no 'log' object"),
        ('{"log": {"entries": 3}}', "no 'entries' list"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_not_a_har_is_one_line_and_exit_2(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "bad.har"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = CliRunner().invoke(main, ["har", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corsight har: error:") and message in lines[0]


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["har", str(tmp_path / "nope.har")])
    assert result.exit_code == 2


# --- the credentials mode, which a HAR does not record ----------------------------------------------


def star_api(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Access-Control-Allow-Origin", "*"), ("Content-Type", "text/plain")])
    return [b"me"]


def test_a_credentialed_fetch_without_cookies_is_recognised_and_kept_in_the_command() -> None:
    """``fetch(url, {credentials: "include"})`` from a page with no cookie yet, against a server
    that answers ``*``: Chrome blocks it and records the response with ``net::ERR_FAILED``.
    The answer fails only a credentialed fetch, so the page made one; the suggested command
    keeps the mode, and run against the same server it is blocked as in the browser (without
    the mode it came back ALLOWED)."""
    with serve_wsgi(star_api) as api:
        recorded = entry(
            "GET", f"{api}/me", {"Origin": APP}, 200, {"Access-Control-Allow-Origin": "*"}, _error="net::ERR_FAILED"
        )
        (finding,) = analyze_har(har([recorded])).findings
        assert finding.failed and finding.known
        assert finding.error == CorsError.WILDCARD_ORIGIN_NOT_ALLOWED.value
        assert any("credentials: 'include'" in note for note in finding.notes)
        assert finding.check_command and finding.check_command.endswith("--credentials include")
        result = CliRunner().invoke(main, shlex.split(finding.check_command)[1:])
    assert result.exit_code == 1 and "kWildcardOriginNotAllowed" in result.output


def test_the_command_keeps_a_recorded_credentials_mode_and_says_when_it_is_unknown() -> None:
    blocked = [
        entry("GET", f"{API}/cookie", {"Origin": APP, "Cookie": "session=1"}, 0, _error="net::ERR_FAILED"),
        entry("GET", f"{API}/plain", {"Origin": APP}, 0, _error="net::ERR_FAILED"),
    ]
    with_cookie, plain = analyze_har(har(blocked)).findings
    assert with_cookie.check_command and with_cookie.check_command.endswith("--credentials include")
    assert plain.check_command and "--credentials" not in plain.check_command
    assert any("if the page sends credentials, add --credentials include" in note for note in plain.notes)
    assert not any("--credentials" in note for note in with_cookie.notes)


def test_dash_reads_the_har_from_standard_input() -> None:
    har = json.dumps({"log": {"version": "1.2", "entries": []}})
    result = CliRunner().invoke(main, ["har", "-"], input=har)
    assert result.exit_code == 0, result.output
    assert "standard input" in result.stdout
    broken = CliRunner().invoke(main, ["har", "-"], input="{broken")
    assert broken.exit_code == 2
    assert broken.stderr.startswith("corsight har: error: standard input is not valid JSON")
