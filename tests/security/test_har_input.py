"""Guards two classes of ``corsight har`` (issue 11, finding 7):

- "a malformed HAR file crashes the command": whatever the file holds (deep nesting, wrong
  field types, ``NaN``/``Infinity``, a 5,000-digit status, non-object entries, missing fields,
  invalid UTF-8 or lone surrogates, a huge file), the command prints one line on stderr that
  names what is wrong (the entry and the field) and exits 2 — never a traceback, never exit 1
  (which means "a request failed"). The loader either returns typed records or raises
  :class:`HarError`, the one error the command turns into exit 2 (Hypothesis, over arbitrary
  JSON shapes and HAR-shaped ones, down to the analysis).
- "matching preflights to requests costs quadratic time": ``analyze_har`` of n and 2n entries in
  one run, in a shape where the former matching compared every request with every preflight.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from corsight.cli import main
from corsight.har import analyze_har
from corsight.har.file import MAX_HAR_BYTES, Har, HarError, parse, read_json
from tests.security.timing_ratio import LINEAR, growth

APP = "https://app.example.com"
API = "https://api.example.com"


def _entry(request: Any = None, response: Any = None, **extra: Any) -> dict[str, Any]:
    base_request = {"method": "GET", "url": f"{API}/x", "headers": [{"name": "Origin", "value": APP}]}
    base_response = {"status": 200, "headers": [{"name": "Access-Control-Allow-Origin", "value": APP}]}
    return {
        "request": base_request if request is None else request,
        "response": base_response if response is None else response,
        **extra,
    }


def _har(*entries: Any, **log: Any) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries), **log}})


def _with(part: str, **fields: Any) -> dict[str, Any]:
    """A well-formed entry whose ``request`` or ``response`` has ``fields`` replaced (a value
    of ``...`` removes the field)."""
    entry = _entry()
    for key, value in fields.items():
        if value is ...:
            del entry[part][key]
        else:
            entry[part][key] = value
    return entry


DEEP = 100_000
# (file content, what the one line must say)
MALFORMED: dict[str, tuple[str | bytes, str]] = {
    "deep nesting": ('{"log": {"entries": ' + "[" * DEEP + "]" * DEEP + "}}", "nested too deeply"),
    "deep nesting in an entry": (
        '{"log": {"entries": [{"_initiator": ' + '{"parent": ' * DEEP + "{}" + "}" * DEEP + "}]}}",
        "nested too deeply",
    ),
    "Infinity": (_har(_with("response", status=0)).replace('"status": 0', '"status": Infinity'), "Infinity"),
    "-Infinity": (
        _har(_with("response", status=0)).replace('"status": 0', '"status": -Infinity'),
        "Infinity",
    ),
    "NaN": (_har(_with("response", status=0)).replace('"status": 0', '"status": NaN'), "NaN"),
    "5,000-digit status": (
        _har(_with("response", status=0)).replace('"status": 0', '"status": ' + "9" * 5000),
        "entry 0: response.status must be an integer from -1 to 999, not a 5000-digit number",
    ),
    "status as a string": (_har(_with("response", status="200")), "entry 0: response.status"),
    "status as a float": (_har(_with("response", status=200.5)), "entry 0: response.status"),
    "status as a boolean": (_har(_with("response", status=True)), "entry 0: response.status"),
    "status under -1": (_har(_with("response", status=-5)), "entry 0: response.status"),
    "status over 999": (_har(_with("response", status=1000)), "entry 0: response.status"),
    "status missing": (_har(_entry(), _with("response", status=...)), "entry 1: response.status is missing"),
    "non-object entry (string)": (_har(_entry(), "entry"), "entry 1 must be an object, not a string"),
    "non-object entry (number)": (_har(3), "entry 0 must be an object, not 3"),
    "non-object entry (null)": (_har(None), "entry 0 must be an object, not null"),
    "non-object entry (list)": (_har([_entry()]), "entry 0 must be an object, not a list"),
    "request missing": (_har({"response": _entry()["response"]}), "entry 0: request is missing"),
    "response missing": (_har({"request": _entry()["request"]}), "entry 0: response is missing"),
    "response null": (_har({**_entry(), "response": None}), "entry 0: response must be an object, not null"),
    "request a list": (_har(_entry(request=[])), "entry 0: request must be an object, not a list"),
    "url missing": (_har(_with("request", url=...)), "entry 0: request.url is missing"),
    "url a number": (_har(_with("request", url=5)), "entry 0: request.url must be a string, not 5"),
    "method missing": (_har(_with("request", method=...)), "entry 0: request.method is missing"),
    "method a list": (_har(_with("request", method=["GET"])), "entry 0: request.method must be a string"),
    "method empty": (_har(_with("request", method="")), "entry 0: request.method is empty"),
    "headers missing": (_har(_with("request", headers=...)), "entry 0: request.headers is missing"),
    "headers a string": (
        _har(_with("request", headers="Origin: x")),
        "entry 0: request.headers must be a list",
    ),
    "headers a number": (_har(_with("response", headers=5)), "entry 0: response.headers must be a list"),
    "header not an object": (_har(_with("request", headers=["Origin"])), "entry 0: request.headers[0] must"),
    "header name missing": (
        _har(_with("request", headers=[{"value": APP}])),
        "entry 0: request.headers[0].name is missing",
    ),
    "header value an object": (
        _har(_with("response", headers=[{"name": "A", "value": {"x": 1}}])),
        "entry 0: response.headers[0].value must be a string, not an object",
    ),
    "cookies an object": (_har(_with("request", cookies={})), "entry 0: request.cookies must be a list"),
    "postData a number": (_har(_with("request", postData=5)), "entry 0: request.postData must be an object"),
    "postData.text a list": (
        _har(_with("request", postData={"text": []})),
        "entry 0: request.postData.text must be a string",
    ),
    "pageref a number": (_har(_entry(pageref=1)), "entry 0: pageref must be a string"),
    "pages a string": (_har(_entry(), pages="x"), "log.pages must be a list"),
    "page not an object": (_har(_entry(), pages=[1]), "log.pages[0] must be an object"),
    "page title a number": (
        _har(_entry(), pages=[{"id": "p", "title": 1}]),
        "log.pages[0].title must be a string",
    ),
    "lone surrogate in the URL": (
        _har(_with("request", url="https://api.example.com/PLACEHOLDER")).replace("PLACEHOLDER", "\\ud800"),
        "entry 0: request.url is not valid Unicode",
    ),
    "lone surrogate in a header": (
        _har(_with("response", headers=[{"name": "A", "value": "PLACEHOLDER"}])).replace(
            "PLACEHOLDER", "\\udfff"
        ),
        "entry 0: response.headers[0].value is not valid Unicode",
    ),
    "invalid UTF-8": (b'{"log": {"entries": ["\xff\xfe"]}}', "not UTF-8"),
    "UTF-16": ('{"log": {"entries": []}}'.encode("utf-16"), "not UTF-8"),
    "empty file": ("", "not valid JSON"),
    "truncated JSON": (_har(_entry())[:-10], "not valid JSON"),
    "not an object at the top": ("[1, 2]", "no 'log' object"),
    "entries not a list": ('{"log": {"entries": {}}}', "no 'entries' list"),
}


def _run(path: Path) -> Any:
    return CliRunner().invoke(main, ["har", str(path)])


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_har_is_one_line_naming_the_problem_and_exit_2(tmp_path: Path, case: str) -> None:
    content, message = MALFORMED[case]
    path = tmp_path / "bad.har"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = _run(path)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # not an uncaught exception
    (line,) = result.stderr.splitlines()
    assert line.startswith("corsight har: error:") and message in line, line
    assert len(line) < 300


def test_a_directory_is_one_line_too(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("corsight har: error: cannot read")


def test_a_file_over_the_size_bound_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.har"
    with path.open("wb") as file:
        file.truncate(MAX_HAR_BYTES + 1)  # sparse: nothing is written, nothing must be read
    result = _run(path)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert f"larger than {MAX_HAR_BYTES >> 20} MiB" in line


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("a 5,000-digit number in an unread field", '"time": ' + "9" * 5000),
        ("a deep unread field, within JSON's limits", '"_x": ' + "[" * 500 + "]" * 500),
        ("tool-specific fields of odd types", '"_initiator": "script", "_error": 5, "_resourceType": []'),
        ("a float where nothing is read", '"time": 1e400'),
    ],
)
def test_fields_corsight_does_not_read_may_be_anything(tmp_path: Path, name: str, fields: str) -> None:
    path = tmp_path / "ok.har"
    path.write_text('{"log": {"entries": [' + json.dumps(_entry())[:-1] + ", " + fields + "}]}}")
    result = _run(path)
    assert result.exit_code == 0, (name, result.output)


def test_no_response_is_status_0_or_minus_1() -> None:
    """Chrome and Firefox write 0 for a request without a response, Playwright -1."""
    for status in (0, -1):
        report = analyze_har(json.loads(_har(_with("response", status=status, headers=[]))))
        (finding,) = report.findings
        assert finding.failed and not finding.known and finding.status is None


# --- the loader over arbitrary shapes ---------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),  # NaN and infinities too: parse() is also the API for JSON parsed elsewhere
    st.text(max_size=20),
    st.sampled_from(["GET", "OPTIONS", f"{API}/x", APP, "\ud800", "Origin", "Access-Control-Request-Method"]),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


_HEADER = st.fixed_dictionaries(
    {
        "name": st.sampled_from(
            ["Origin", "Access-Control-Request-Method", "Access-Control-Allow-Origin", "X-A"]
        ),
        "value": st.sampled_from([APP, "null", "PUT", "GET", "*", "x\n", "https://[::1", ""]),
    }
)
_ENTRY = st.fixed_dictionaries(
    {
        "request": st.fixed_dictionaries(
            {
                "method": st.sampled_from(["GET", "OPTIONS", "PUT", "DELETE", "get"]),
                "url": st.sampled_from(
                    [f"{API}/x", f"{API}/y", f"{APP}/y", "data:,", "http://[::1]:9/", "https://"]
                ),
                # Most requests carry the page's Origin, so that they are cross-origin.
                "headers": st.lists(_HEADER, max_size=3).flatmap(
                    lambda h: st.sampled_from([[{"name": "Origin", "value": APP}, *h], h])
                ),
            },
            optional={
                "cookies": st.lists(st.builds(dict, name=st.just("s")), max_size=1),
                "postData": st.builds(dict, text=st.just("{}")),
            },
        ),
        "response": st.fixed_dictionaries(
            {
                "status": st.sampled_from([0, 200, 204, 302, 403, 500]),
                "headers": st.lists(_HEADER, max_size=3),
            },
            optional={"_error": st.sampled_from(["net::ERR_FAILED", "net::ERR_CONNECTION_REFUSED"])},
        ),
    },
    optional={"_resourceType": st.just("preflight"), "pageref": st.just("p")},
)
# Well-formed HARs, so that the analysis runs on every kind of entry.
_VALID = st.lists(_ENTRY, max_size=5).map(
    lambda entries: {"log": {"pages": [{"id": "p", "title": APP}], "entries": entries}}
)


@st.composite
def _mutated(draw: st.DrawFn) -> Any:
    """A well-formed HAR with one value somewhere replaced by any JSON value, or removed (every
    dict drawn is a fresh one: mutating it changes no other example)."""
    har = draw(_VALID)
    places: list[dict[str, Any]] = [har, har["log"]]
    for entry in har["log"]["entries"]:
        places += [entry, entry["request"], entry["response"], *entry["request"]["headers"]]
    place = draw(st.sampled_from(places))
    key = draw(st.sampled_from(sorted(place)))
    if draw(st.booleans()):
        del place[key]
    else:
        place[key] = draw(_JSON)
    return har


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_JSON, _VALID, _mutated()))
def test_the_loader_returns_records_or_raises_har_error(value: Any) -> None:
    try:
        har = parse(value)
    except HarError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(har, Har)
    report = analyze_har(har)
    event(f"{len(report.findings)} findings")  # and what it returns, the analysis takes without an exception
    assert report.entries == len(har.entries)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200) | _mutated().map(lambda v: json.dumps(v).encode()))
def test_any_bytes_are_json_or_har_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "x.har"
        path.write_bytes(data)
        try:
            read_json(path)
        except HarError as exc:
            assert "\n" not in str(exc)


# --- matching ---------------------------------------------------------------------------------------


class _URL(str):
    """A URL that counts how often it is compared for equality (a dict lookup compares only
    on a hash match; a scan compares with every candidate)."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        _URL.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def _matching_load(n: int, url: Callable[[int], str] = lambda i: f"{API}/{i:08d}") -> dict[str, Any]:
    """n preflights, then the n requests they were for, in the same order (each URL object
    made twice: equal values, distinct objects). A request carries a header fetch() refuses,
    so its own replay stops early: matching is most of the work."""

    def pair(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
        acrm = [{"name": "Origin", "value": APP}, {"name": "Access-Control-Request-Method", "value": "PUT"}]
        preflight = _entry(
            {"method": "OPTIONS", "url": url(i), "headers": acrm}, {"status": 204, "headers": []}
        )
        bad = [{"name": "Origin", "value": APP}, {"name": "X-Bad\n", "value": "1"}]
        request = _entry({"method": "PUT", "url": url(i), "headers": bad}, {"status": 0, "headers": []})
        return preflight, request

    pairs = [pair(i) for i in range(n)]
    return {"log": {"entries": [p for p, _ in pairs] + [r for _, r in pairs]}}


def test_matching_compares_each_request_with_a_bounded_number_of_preflights() -> None:
    """The former matching compared each request's URL with every earlier preflight's: n²/2
    comparisons. Counted, not timed: n and 2n give twice the comparisons."""
    counts = []
    for n in (300, 600):
        load = _matching_load(n, lambda i: _URL(f"{API}/{i:08d}"))
        _URL.comparisons = 0
        report = analyze_har(load)
        counts.append(_URL.comparisons)
        assert all(f.preflight_index == f.index - n for f in report.findings)  # each its own
    assert counts[1] <= 2.2 * counts[0], counts
    assert counts[1] <= 20 * 600, counts


def test_matching_preflights_to_requests_is_linear_in_time() -> None:
    small, large = _matching_load(1000), _matching_load(2000)
    assert growth(analyze_har, small, large, rounds=3) < LINEAR


def test_each_request_gets_the_latest_earlier_preflight_of_its_url_and_method() -> None:
    def preflight(url: str, method: str | None) -> dict[str, Any]:
        headers = [{"name": "Origin", "value": APP}]
        if method:
            headers.append({"name": "Access-Control-Request-Method", "value": method})
        grant = [
            {"name": "Access-Control-Allow-Origin", "value": APP},
            {"name": "Access-Control-Allow-Methods", "value": "PUT"},
        ]
        return _entry(
            {"method": "OPTIONS", "url": url, "headers": headers},
            {"status": 204, "headers": grant},
            _resourceType="preflight",
        )

    def put(url: str) -> dict[str, Any]:
        return _entry({"method": "PUT", "url": url, "headers": [{"name": "Origin", "value": APP}]})

    a, b = f"{API}/a", f"{API}/b"
    entries = [
        preflight(a, "PUT"),  # 0
        preflight(a, "PUT"),  # 1: the latest for the request at 3
        preflight(b, "DELETE"),  # 2: another method: never this request's
        put(a),  # 3 -> 1
        put(a),  # 4 -> 0
        preflight(b, None),  # 5: no method recorded: matches by URL
        put(b),  # 6 -> 5
        put(a),  # 7 -> none left
        preflight(a, "PUT"),  # 8: after every request: its own finding
    ]
    report = analyze_har(json.loads(_har(*entries)))
    matched = {f.index: f.preflight_index for f in report.findings}
    assert matched == {2: 2, 3: 1, 4: 0, 6: 5, 7: None, 8: 8}


def test_a_device_is_read_only_up_to_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A FIFO or a device has no size: it is read one byte past the bound, not to its end."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    monkeypatch.setattr("corsight.har.file.MAX_HAR_BYTES", 1 << 20)  # the real one is 256 MiB
    result = _run(Path("/dev/zero"))
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "larger than 1 MiB" in line
