"""corsight scan against the lab: every class detected at the severity the browser model
justifies, correct servers (corsight's own middleware included) clean, bad peers reported
per URL. All traffic goes to 127.0.0.1; realistic names are mapped there with --resolve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from corsight.scan import CLASSES, ScanOptions, ScanReport, Severity, TargetResult, TransportOptions, scan
from corsight.scan.transport import parse_resolve
from tests.scanlab import CORRECT_PATHS, HOST, TLS_ONLY, app
from tests.scanlab import servers as bad
from tests.servers import serve_asgi

# Findings above informational each lab path must produce, and nothing else above info.
EXPECTED: dict[str, dict[str, str]] = {
    "/reflect-creds": {"any-origin": "high"},
    "/reflect-nocreds": {"any-origin": "low"},
    "/null": {"null-origin": "high"},
    "/startswith": {"prefix-match": "high"},
    "/regex-unanchored": {"prefix-match": "high"},
    "/endswith": {"suffix-match": "high"},
    "/contains": {"substring-match": "high"},
    "/host-in-allowed": {"substring-match": "high"},
    "/unescaped-dot": {"unescaped-dot": "high"},
    "/any-subdomain": {"any-subdomain": "medium"},
    "/parser": {"special-characters": "high"},
    "/third-party": {"third-party-origin": "high"},
    "/github-pages": {"third-party-origin": "high"},
    "/localhost": {"localhost-origin": "low"},
    "/localhost-regex": {"localhost-origin": "high"},
    "/wildcard": {"wildcard-origin": "low"},
    "/wildcard-creds": {"wildcard-origin": "low"},
    "/invalid-list": {},
    "/missing-vary": {"missing-vary-origin": "low"},
    "/preflight-echo": {},
    "/preflight-echo-any": {"any-origin": "high", "permissive-preflight": "high"},
    "/pna": {"wildcard-origin": "low"},
    "/redirect-samesite": {"any-origin": "high"},
    "/redirect-offsite": {},
    "/http-trusted": {},  # plain-http target: trusting http:// adds nothing; see the TLS test
    **{path: {} for path in CORRECT_PATHS},
}
# Informational findings that must be there too.
EXPECTED_INFO = {
    "/invalid-list": "invalid-allow-origin",
    "/preflight-echo": "permissive-preflight",
    "/pna": "private-network-access",
    "/exact": "credentials-dynamic-origin",
}


def _above_info(result: TargetResult) -> dict[str, str]:
    return {f.class_id: f.severity.label for f in result.findings if f.severity > Severity.INFO}


def _options(port: int, **kw: object) -> ScanOptions:
    transport = TransportOptions(
        resolve=parse_resolve([f"{HOST}:{port}:127.0.0.1"]),
        concurrency=32,
        per_host=32,
        timeout=5.0,
    )
    return ScanOptions(transport=transport, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def lab_port() -> Iterator[int]:
    with serve_asgi(app) as base:
        yield int(base.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def lab_report(lab_port: int) -> ScanReport:
    urls = [f"http://{HOST}:{lab_port}{path}" for path in EXPECTED]
    return scan(urls, _options(lab_port))


def _result(report: ScanReport, path: str) -> TargetResult:
    return next(r for r in report.results if r.url.endswith(path))


@pytest.mark.parametrize("path", list(EXPECTED))
def test_lab_path_findings(lab_report: ScanReport, path: str) -> None:
    result = _result(lab_report, path)
    assert result.error is None
    assert _above_info(result) == EXPECTED[path], [f.to_dict()["explanation"] for f in result.findings]
    if path in EXPECTED_INFO:
        assert EXPECTED_INFO[path] in {f.class_id for f in result.findings}


def test_every_class_is_tested_not_only_until_the_first_hit(lab_report: ScanReport) -> None:
    result = _result(lab_report, "/preflight-echo-any")
    # http-origin cannot apply to a plain-http target; everything else is probed.
    assert set(result.tested) == set(CLASSES) - {"http-origin"}
    assert result.not_applicable == {"http-origin": "the target itself is plain http"}
    # Hits of narrower classes are kept as evidence under the broad one; the classes of many
    # probes that a credentialed any-origin hit already decides are reported as implied.
    top = next(f for f in result.findings if f.class_id == "any-origin")
    folded = {o.probe.class_id for o in top.also}
    assert {"null-origin", "prefix-match", "suffix-match", "substring-match"} <= folded
    implied = {"special-characters", "third-party-origin", "localhost-origin"}
    assert set(top.implied) == implied == set(result.implied)
    assert all(result.implied[c][0] == "any-origin" for c in implied)
    assert "implied by any-origin" in result.to_dict()["implied"]["special-characters"]


def test_implied_classes_are_not_sent_where_a_narrower_hit_could_still_say_more(
    lab_report: ScanReport,
) -> None:
    # A prefix check with credentials decides the special characters (each such origin starts
    # with the trusted one); an uncredentialed any-origin hit decides nothing (a narrower origin
    # might still get credentials), nor does a hit of a class that implies none of them.
    assert set(_result(lab_report, "/startswith").implied) == {"special-characters"}
    assert _result(lab_report, "/reflect-nocreds").implied == {}
    assert _result(lab_report, "/parser").implied == {}
    assert _result(lab_report, "/third-party").implied == {}
    special = {
        o.probe.class_id for f in _result(lab_report, "/parser").findings for o in [f.outcome, *f.also]
    }
    assert "special-characters" in special


def test_findings_carry_probe_headers_explanation_and_fix(lab_report: ScanReport) -> None:
    finding = next(f for f in _result(lab_report, "/startswith").findings if f.class_id == "prefix-match")
    data = finding.to_dict()
    assert data["probe"]["origin"] == "https://www.victim.example.corsight-attacker.example"
    assert ["Origin", data["probe"]["origin"]] in data["probe"]["request_headers"]
    names = {n.lower(): v for n, v in data["response"]["headers"]}
    assert names["access-control-allow-origin"] == data["probe"]["origin"]
    assert names["access-control-allow-credentials"] == "true"
    assert data["readable"] == {
        "with_credentials": True,
        "without_credentials": True,
        "exposed_headers": ["cache-control", "content-type"],
    }
    assert "victim's cookies" in data["explanation"]
    assert data["fix"].startswith("Compare whole origins")


def test_same_site_redirect_followed_offsite_not(lab_report: ScanReport) -> None:
    followed = next(
        f for f in _result(lab_report, "/redirect-samesite").findings if f.class_id == "any-origin"
    )
    assert [h.kind for h in followed.outcome.hops] == ["actual", "actual"]
    assert followed.outcome.hops[-1].url.endswith("/reflect-creds")
    offsite = _result(lab_report, "/redirect-offsite")
    assert offsite.error is None and offsite.requests > 10


def test_internal_targets_rate_reads_without_credentials_high(lab_port: int) -> None:
    paths = ["/wildcard", "/reflect-nocreds", "/pna"]
    report = scan([f"http://127.0.0.1:{lab_port}{p}" for p in paths], _options(lab_port))
    got = {r.url.rsplit("/", 1)[1]: _above_info(r) for r in report.results}
    assert got == {
        "wildcard": {"wildcard-origin": "high"},
        "reflect-nocreds": {"any-origin": "high"},
        "pna": {"wildcard-origin": "high", "private-network-access": "high"},
    }
    assert all(r.target is not None and r.target.internal for r in report.results)


def test_internal_flag_for_a_named_host(lab_port: int) -> None:
    report = scan([f"http://{HOST}:{lab_port}/pna"], _options(lab_port, internal=True))
    assert _above_info(report.results[0])["private-network-access"] == "high"


def test_every_class_is_detected_somewhere(lab_report: ScanReport, tls_report: ScanReport) -> None:
    seen = {f.class_id for r in lab_report.results for f in r.findings}
    seen |= {o.probe.class_id for r in lab_report.results for f in r.findings for o in f.also}
    seen |= {f.class_id for r in tls_report.results for f in r.findings}
    assert seen >= set(CLASSES)


# --- TLS -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    made = bad.make_certificate(tmp_path_factory.mktemp("tls"), HOST)
    if made is None:
        pytest.skip("openssl is not installed")
    cert, key = made
    with bad.serve_asgi_tls(app, cert, key) as port:
        yield port, cert


@pytest.fixture(scope="module")
def tls_report(tls_lab: tuple[int, Path]) -> ScanReport:
    port, cert = tls_lab
    options = _options(port)
    options.transport.verify = str(cert)
    paths = [*TLS_ONLY, "/exact", "/corsight", "/endswith"]
    return scan([f"https://{HOST}:{port}{p}" for p in paths], options)


def test_https_target_trusting_http_origin(tls_report: ScanReport) -> None:
    result = _result(tls_report, "/http-trusted")
    assert _above_info(result) == {"http-origin": "medium"}
    finding = result.findings[0]
    assert finding.outcome.probe.origin == "http://www.victim.example"
    assert "http-origin" in result.tested


def test_https_correct_servers_clean_and_http_folded_into_suffix(tls_report: ScanReport) -> None:
    assert _above_info(_result(tls_report, "/exact")) == {}
    assert _above_info(_result(tls_report, "/corsight")) == {}
    suffix = _result(tls_report, "/endswith")
    assert _above_info(suffix) == {"suffix-match": "high"}
    top = suffix.findings[0]
    assert "http-origin" in {o.probe.class_id for o in top.also}


def test_untrusted_certificate_is_reported_not_raised(tls_lab: tuple[int, Path]) -> None:
    port, _ = tls_lab
    report = scan([f"https://{HOST}:{port}/exact"], _options(port))
    assert report.results[0].error is not None
    assert "CERT" in report.results[0].error or "TLS" in report.results[0].error


# --- bad peers -----------------------------------------------------------------------------------------


def test_bad_peers_are_reported_per_url_and_the_scan_goes_on(lab_port: int) -> None:
    behaviours = [bad.not_http, bad.huge_headers, bad.garbage_status, bad.silent, bad.reset, bad.huge_body]
    with (
        bad.serve_raw(bad.not_http) as p1,
        bad.serve_raw(bad.huge_headers) as p2,
        bad.serve_raw(bad.garbage_status) as p3,
        bad.serve_raw(bad.silent) as p4,
        bad.serve_raw(bad.reset) as p5,
        bad.serve_raw(bad.huge_body) as p6,
    ):
        ports = [p1, p2, p3, p4, p5, p6]
        closed = bad.free_port()
        urls = [f"http://127.0.0.1:{p}/" for p in ports]
        urls += [
            f"http://127.0.0.1:{closed}/",
            "ftp://127.0.0.1/x",
            "http://[not-a-host/",
            f"http://{HOST}:{lab_port}/reflect-creds",
        ]
        options = _options(lab_port)
        options.transport.timeout = 1.5
        options.transport.retries = 0
        report = scan(urls, options)
    by_url = {r.input: r for r in report.results}
    errors = {u: by_url[u].error for u in urls}
    assert len(behaviours) == 6
    for url in urls[:5] + urls[6:9]:
        assert errors[url], url
    # A banner and a close, or a status line that is not HTTP: either way no crash, a clear error.
    assert "INVALID_HTTP_RESPONSE" in (errors[urls[0]] or "") or "CONNECTION_RESET" in (errors[urls[0]] or "")
    assert "INVALID_HTTP_RESPONSE" in (errors[urls[2]] or "")
    assert "TIMED_OUT" in (errors[urls[3]] or "")
    assert "CONNECTION_REFUSED" in (errors[urls[6]] or "")
    assert "only http and https" in (errors[urls[7]] or "")
    # The huge body is never downloaded: its headers are judged like any other.
    assert errors[urls[5]] is None
    assert _above_info(by_url[urls[5]]) == {"wildcard-origin": "high"}
    assert _above_info(by_url[urls[-1]]) == {"any-origin": "high"}
