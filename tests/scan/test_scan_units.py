"""Pieces of corsight scan without a network: targets and the Public Suffix List, probe
construction, severity, folding, input parsing."""

from __future__ import annotations

import io

import pytest

from corsight.browser import Origin
from corsight.scan.classes import CLASSES
from corsight.scan.cli import collect_urls
from corsight.scan.probes import ATTACKER, attack_probes, not_applicable, preflight_probes
from corsight.scan.severity import Severity, rate
from corsight.scan.target import ScanTargetError, parse_target
from corsight.scan.transport import ResolveError, parse_resolve


@pytest.mark.parametrize(
    ("url", "registrable", "internal"),
    [
        ("https://api.victim.example/x", "victim.example", False),
        ("https://www.shop.co.uk/", "shop.co.uk", False),
        ("https://user.github.io/", "user.github.io", False),
        ("http://127.0.0.1:8000/", None, True),
        ("http://10.1.2.3/", None, True),
        ("http://[::1]:8080/", None, True),
        ("http://localhost:3000/", None, True),
        ("api.victim.example", "victim.example", False),
    ],
)
def test_targets_use_the_public_suffix_list(url: str, registrable: str | None, internal: bool) -> None:
    target = parse_target(url)
    assert target.registrable == registrable
    assert target.internal is internal


def test_bare_host_gets_https_and_bad_inputs_raise() -> None:
    assert parse_target("api.victim.example").url == "https://api.victim.example/"
    for bad in ["", "ftp://x.example/", "http://[nope/"]:
        with pytest.raises(ScanTargetError):
            parse_target(bad)


def _origins(url: str, bases: list[str]) -> dict[str, list[str]]:
    target = parse_target(url)
    base_origins = []
    for b in bases:
        scheme, host, port = b.split("|")
        base_origins.append(Origin(scheme, host, int(port)))
    out: dict[str, list[str]] = {}
    for probe in attack_probes(target, base_origins):
        out.setdefault(probe.class_id or "", []).append(probe.origin or "")
    return out


def test_probes_aim_at_trusted_origins_and_registrable_domain() -> None:
    found = _origins("https://api.shop.co.uk/v1", ["https|www.shop.co.uk|443"])
    assert found["any-origin"] == [f"https://{ATTACKER}"]
    assert found["null-origin"] == ["null"]
    assert f"https://www.shop.co.uk.{ATTACKER}" in found["prefix-match"]
    assert found["suffix-match"] == ["https://corsightshop.co.uk"]
    assert "https://hop.co.uk" in found["substring-match"]
    assert "https://corsight-probe.shop.co.uk" in found["any-subdomain"]
    # Only dots whose replacement gives someone else's registrable domain: wwwxshop.co.uk
    # and www.shopxco.uk; never the dot inside the public suffix co.uk.
    assert sorted(found["unescaped-dot"]) == ["https://www.shopxco.uk", "https://wwwxshop.co.uk"]
    assert found["http-origin"] == ["http://www.shop.co.uk"]
    assert f"https://www.shop.co.uk_.{ATTACKER}" in found["special-characters"]
    assert f"https://localhost.{ATTACKER}" in found["localhost-origin"]


def test_every_probe_origin_is_unique_and_invented_hosts_are_marked() -> None:
    target = parse_target("https://api.victim.example/")
    probes = attack_probes(target, [target.origin])
    origins = [p.origin for p in probes]
    assert len(origins) == len(set(origins))
    # Hosts the scanner invents carry "corsight" so operators can tell scan traffic apart;
    # look-alikes (a dot replaced, a substring, the http twin) and real hosts cannot.
    marked = {"any-origin", "prefix-match", "suffix-match", "special-characters", "any-subdomain"}
    for probe in probes:
        if probe.class_id in marked:
            assert "corsight" in (probe.origin or ""), probe


def test_ip_target_skips_domain_classes_and_plain_http_skips_http_origin() -> None:
    target = parse_target("http://127.0.0.1:8080/")
    skipped = not_applicable(target, [target.origin])
    assert set(skipped) == {"suffix-match", "unescaped-dot", "http-origin"}
    classes = {p.class_id for p in attack_probes(target, [target.origin])}
    assert "suffix-match" not in classes and "http-origin" not in classes


def test_preflight_probes_ask_for_made_up_method_and_header() -> None:
    probes = preflight_probes("https://evil.example", "https://www.victim.example")
    kinds = [(p.kind, p.method, p.headers, p.trusted) for p in probes]
    assert ("preflight", "CORSIGHT", (), False) in kinds
    assert ("preflight", "GET", (("X-Corsight-Probe", "1"),), True) in kinds
    assert probes[-1].kind == "pna" and probes[-1].origin == "https://evil.example"


@pytest.mark.parametrize(
    ("with_c", "without_c", "internal", "cap", "expected"),
    [
        (True, True, False, Severity.HIGH, Severity.HIGH),
        (False, True, False, Severity.HIGH, Severity.LOW),
        (False, True, True, Severity.HIGH, Severity.HIGH),
        (False, False, True, Severity.HIGH, Severity.INFO),
        (True, True, False, Severity.MEDIUM, Severity.MEDIUM),
        (False, True, False, Severity.MEDIUM, Severity.LOW),
    ],
)
def test_severity_follows_what_can_be_read(
    with_c: bool, without_c: bool, internal: bool, cap: Severity, expected: Severity
) -> None:
    assert (
        rate(with_credentials=with_c, without_credentials=without_c, internal=internal, cap=cap) == expected
    )


def test_class_catalogue_is_consistent() -> None:
    for cls in CLASSES.values():
        assert cls.title and cls.description and cls.fix
        assert set(cls.implies) <= set(CLASSES)
        assert cls.id not in cls.implies


def test_resolve_and_url_inputs() -> None:
    assert parse_resolve(["api.victim.example:443:127.0.0.1", "x.example:80:[::1]"]) == {
        ("api.victim.example", 443): "127.0.0.1",
        ("x.example", 80): "::1",
    }
    for bad in ["api.example:443", "api.example:x:127.0.0.1", "::1"]:
        with pytest.raises(ResolveError):
            parse_resolve([bad])
    stdin = io.StringIO("https://a.example/\n# comment\n\nhttps://b.example/\n")
    urls = collect_urls(
        ["https://c.example/", "-", "https://a.example/"], io.StringIO("https://d.example/\n"), stdin
    )
    assert urls == ["https://c.example/", "https://a.example/", "https://b.example/", "https://d.example/"]


def test_without_an_accepted_trusted_origin_only_baseless_probes_are_sent() -> None:
    target = parse_target("https://api.victim.example/")
    classes = {p.class_id for p in attack_probes(target, [])}
    assert classes == {"any-origin", "null-origin", "third-party-origin", "localhost-origin"}
    skipped = not_applicable(target, [])
    assert set(skipped) == {
        "prefix-match",
        "suffix-match",
        "substring-match",
        "unescaped-dot",
        "any-subdomain",
        "special-characters",
        "http-origin",
    }
    assert "--origin" in skipped["prefix-match"]


def test_the_probe_requests_are_what_prepare_request_gives() -> None:
    # exchange prepares one request per URL and probe shape and gives it each probe's origin,
    # and derives the credentials-"omit" request with dataclasses.replace; that holds only
    # while the origin and the credentials mode feed nothing else in prepare_request.
    from dataclasses import replace

    from corsight.browser import prepare_request
    from corsight.scan.exchange import _request, page_origin

    target = parse_target("https://api.victim.example/v1/me?x=1")
    bases = [Origin("https", "www.victim.example", 443)]
    probes = [*attack_probes(target, bases), *preflight_probes(f"https://{ATTACKER}", None)]
    for probe in probes:
        if probe.kind == "pna" or probe.origin is None:
            continue
        for credentials in ("include", "omit"):
            derived = replace(_request(target, probe, "include"), credentials=credentials)
            prepared = prepare_request(
                target.url,
                origin=page_origin(probe.origin),
                method=probe.method,
                headers=list(probe.headers),
                credentials=credentials,  # type: ignore[arg-type]
            )
            assert derived == prepared
            assert (derived.dropped_headers, derived.header_order) == (
                prepared.dropped_headers,
                prepared.header_order,
            )


ACAO_VALUES = [
    None,
    "*",
    "https://www.victim.example",
    "https://corsight-attacker.example",
    "null",
    "https://www.victim.example, https://corsight-attacker.example",
    "https://corsight-attacker.example/",
    "corsight-attacker.example",
    "HTTPS://corsight-attacker.example",
]
ACAC_VALUES = [None, "true", "TRUE", "false", ""]


def _headers(acao: str | None, acac: str | None, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    out = [("Vary", "Origin"), *extra]
    if acao is not None:
        out.append(("Access-Control-Allow-Origin", acao))
    if acac is not None:
        out.append(("Access-Control-Allow-Credentials", acac))
    return out


@pytest.mark.parametrize("redirect", [False, True])
def test_without_credentials_the_model_refuses_for_the_same_reasons(redirect: bool) -> None:
    # exchange.send_fetch skips the credentials-"omit" replay when the credentialed fetch was
    # allowed, or refused for a reason in SAME_WITHOUT_CREDENTIALS: the model must agree.
    from dataclasses import replace

    from corsight.browser import Response, prepare_request, simulate
    from corsight.scan.exchange import SAME_WITHOUT_CREDENTIALS

    origin = "https://corsight-attacker.example"
    url = "https://api.victim.example/v1/me"
    final = "https://api.victim.example/v2/me"
    request = prepare_request(url, origin=origin, headers=[("Accept", "*/*")], credentials="include")
    omit = replace(request, credentials="omit")
    checked = 0
    for acao in ACAO_VALUES:
        for acac in ACAC_VALUES:
            for status in (200, 404):
                answers = {("GET", url): Response.of(status, _headers(acao, acac))}
                if redirect:
                    hop = _headers(origin, "true", ("Location", final))
                    answers = {("GET", url): Response.of(302, hop), ("GET", final): answers[("GET", url)]}
                included, omitted = simulate(request, answers), simulate(omit, answers)
                if included.allowed and included.complete:
                    assert omitted.allowed and omitted.complete, (acao, acac, status)
                    checked += 1
                elif included.cors_error in SAME_WITHOUT_CREDENTIALS:
                    assert omitted.cors_error is included.cors_error, (acao, acac, status)
                    assert not omitted.allowed
                    checked += 1
    assert checked > 40


def test_a_settled_first_answer_is_judged_alike_on_every_path_of_an_origin() -> None:
    # exchange memoizes the model's judgement of a hostile GET by (target origin, page origin,
    # request, answer) when the first answer settles the fetch, and the first request's headers
    # by (target origin, page origin, request): the model must not look at the path for either.
    from dataclasses import replace

    from corsight.browser import Fetch, Outgoing, PreflightCache, Response, prepare_request, simulate

    urls = [
        "https://api.victim.example/v1/me?x=1",
        "https://api.victim.example/",
        "https://api.victim.example/a/b/",
    ]
    origins = ["https://corsight-attacker.example", "null", "https://www.victim.example"]
    responses = [
        (status, _headers(acao, acac))
        for acao in ACAO_VALUES
        for acac in ACAC_VALUES
        for status in (200, 404)
    ]
    responses += [(302, _headers("*", None, ("Location", "/elsewhere"))), (204, [])]
    settled = 0
    for origin in origins:
        firsts = set()
        for url in urls:
            step = Fetch(
                prepare_request(url, origin=origin, headers=[("Accept", "*/*")], credentials="include")
            ).start()
            assert isinstance(step, Outgoing) and step.kind == "actual" and step.url == url
            firsts.add((step.method, step.headers))
        assert len(firsts) == 1
        for status, headers in responses:
            seen = set()
            for url in urls:
                request = prepare_request(
                    url, origin=origin, headers=[("Accept", "*/*")], credentials="include"
                )
                answers = {("GET", url): Response.of(status, headers)}
                verdicts = [
                    simulate(r, answers, cache=PreflightCache())
                    for r in (request, replace(request, credentials="omit"))
                ]
                if len(verdicts[0].exchanges) != 1:
                    continue
                seen.add(tuple((v.allowed, v.complete, v.cors_error, v.exposed_headers) for v in verdicts))
            assert len(seen) <= 1, (origin, status, headers)
            settled += bool(seen)
    assert settled > 100
