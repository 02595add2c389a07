"""Guards the class "a value no browser can send is reflected" (issue 11, finding 10).

Only a browser's serialization of an origin (Fetch's ``serialized-origin``: lowercase scheme,
host as lowercase labels or a canonical IP literal, optional port with no leading zero, not the
default, 1-65535) ever reaches a pattern, a regex or an origin callback, so nothing else can be
reflected in ``Access-Control-Allow-Origin``, by any policy shape. ``null`` only when listed.

An independent oracle (written here with a regex and :mod:`ipaddress`, not with corsight's
validator) says which strings are valid; Hypothesis feeds arbitrary text and near-miss
mutations of valid origins to every shape, including a callback that says yes to everything.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import string
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corsight import Policy, PolicyError
from corsight.asgi import CORSMiddleware as ASGICors
from corsight.asgi import decide_awaiting
from corsight.engine import Engine
from corsight.originsyntax import is_serialized_origin
from corsight.wsgi import CORSMiddleware as WSGICors
from tests.servers import serve_asgi, serve_wsgi

# -- the oracle ------------------------------------------------------------------------------

_SHAPE = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://"
    r"(?:(?P<host>[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*)|\[(?P<ipv6>[0-9a-f:]+)\])"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?"
)
_DEFAULTS = {"http": "80", "https": "443"}
#: Schemes whose documents never send a tuple origin (opaque, a socket, or no longer loaded).
_OPAQUE = {"about", "blob", "data", "file", "filesystem", "ftp", "javascript", "mailto", "tel", "ws", "wss"}


def oracle(origin: str) -> bool | None:
    """Whether a browser can send ``origin`` as a serialized tuple origin; ``None`` where this
    oracle does not judge (punycode labels and IPv4-mapped IPv6, judged by examples below)."""
    match = _SHAPE.fullmatch(origin)
    if match is None or len(origin) > 1024 or match["scheme"] in _OPAQUE:
        return False
    port = match["port"]
    if port is not None and (int(port) > 65535 or port == _DEFAULTS.get(match["scheme"])):
        return False
    if match["ipv6"] is not None:
        try:
            address = ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return False
        if address.ipv4_mapped is not None:
            return None
        return address.compressed == match["ipv6"]
    host = match["host"]
    last = host.rsplit(".", 1)[-1]
    if re.fullmatch(r"[0-9]+|0x[0-9a-f]*", last):
        try:
            return str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            return False
    if any(label.startswith("xn--") for label in host.split(".")):
        return None
    return True


# -- the shapes ------------------------------------------------------------------------------

EXACT = "https://app.example.com"


def _yes(origin: str) -> bool:
    return True


async def _ayes(origin: str) -> bool:
    return True


SHAPES: dict[str, Policy] = {
    "exact": Policy([EXACT], allow_credentials=True),
    "subdomain": Policy(["https://*.example.com"], allow_credentials=True),
    "subdomain-any-port": Policy(["http://*.example.com:*"]),
    "any-port": Policy(
        ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"], allow_credentials=True
    ),
    "regex": Policy(allow_origin_regex=r"https://[a-z0-9-]+\.example\.org(:[0-9]+)?", allow_credentials=True),
    # Without credentials a regex may admit every origin: it then admits exactly the valid ones.
    "regex-everything": Policy(allow_origin_regex=r"(?!null$).*"),
    "callback-yes": Policy([EXACT], allow_origin_callback=_yes, allow_credentials=True),
    "async-callback-yes": Policy([EXACT], allow_origin_callback=_ayes, allow_credentials=True),
}
ENGINES = {name: Engine(policy) for name, policy in SHAPES.items()}
#: Shapes that admit every valid origin: completeness is checked on them too.
ADMIT_ALL = ("regex-everything", "callback-yes", "async-callback-yes")


def reflected(engine: Engine, method: str, origin: str, preflight: bool) -> str | None:
    request = {"method": method, "origin": origin, "request_method": "GET" if preflight else None}
    decision = (
        asyncio.run(decide_awaiting(engine, **request)) if engine.is_async else engine.decide(**request)
    )
    return dict(decision.headers).get("Access-Control-Allow-Origin")


# -- generators ------------------------------------------------------------------------------

_label = st.text(string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=12)
_ipv4 = st.ip_addresses(v=4).map(str)
_ipv6 = st.ip_addresses(v=6).map(lambda a: f"[{a.compressed}]")
_host = st.one_of(
    st.lists(_label, min_size=1, max_size=4).map(".".join).filter(lambda h: oracle(f"http://{h}") is True),
    st.sampled_from(["example.com", "a.example.com", "a.b.example.com", "x.example.org", "localhost"]),
    _ipv4,
    _ipv6,
)
_port = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
_scheme = st.sampled_from(["http", "https", "chrome-extension", "capacitor"])
valid_origins = st.builds(lambda s, h, p: f"{s}://{h}{p}", _scheme, _host, _port).filter(
    lambda o: oracle(o) is True
)

_SPECIALS = [
    *"[]/\\@:?#%. \t\r\n\x00\x7f\x0b\x0c,;*+=!$&'\"()<>^`{|}~",
    "\x85", "\xa0", "é", "İ", "ı", "\u200b", "\u3002", "\uff0e", "\ufeff", "%2e", "%00", "..", "://",
]  # fmt: skip


def _uppercase(origin: str, i: int) -> str:
    i %= len(origin)
    return origin[:i] + origin[i].upper() + origin[i + 1 :]


def _mutations(origin: str) -> st.SearchStrategy[str]:
    """The near misses: one edit away from a valid origin, in every part of the grammar."""
    scheme, _, rest = origin.partition("://")
    if rest.startswith("["):
        host, _, port = rest.partition("]")
        host, port = host + "]", port[1:]
    else:
        host, _, port = rest.partition(":")
    position = st.integers(0, len(origin))
    return st.one_of(
        st.builds(lambda i, c: origin[:i] + c + origin[i:], position, st.sampled_from(_SPECIALS)),
        st.builds(lambda i: origin[:i] + origin[i + 1 :], position),
        position.map(lambda i: _uppercase(origin, i)),
        st.builds(
            lambda s: origin + s,
            st.sampled_from(["/", "/x", "?", "#", ".", ":", " ", "\r\n", "/.example.com"]),
        ),
        st.builds(lambda s: s + origin, st.sampled_from([" ", "x", "\t", "%20"])),
        st.builds(
            lambda p: f"{scheme}://{host}:{p}",
            st.sampled_from(["0", "00", "080", "65536", "99999", "1.0", "-1", "+1", "", "٣"]),
        ),
        st.builds(lambda p: f"{scheme}://{host}:0{p}" if p else origin, st.just(port)),
        st.builds(
            lambda u: f"{scheme}://{u}@{rest}", st.sampled_from(["user", "user:pw", "", "a.example.com"])
        ),
        st.just(f"{scheme}://{host}.{':' + port if port else ''}"),
        st.just(f"{scheme}://.{rest}"),
        st.just(f"{scheme}://{rest.replace('.', '..', 1)}"),
        st.just(f"{scheme}:/{rest}"),
        st.just(f"{scheme.upper()}://{rest}"),
        st.just(f"{scheme}://{rest}, {origin}"),
        st.just(f"{scheme}://{host}:{_DEFAULTS.get(scheme, '80')}"),
        st.builds(lambda s: f"{s}://{rest}", st.sampled_from(sorted(_OPAQUE))),
        st.just(f"{scheme}://[{host}]"),
        st.just(origin.replace("://", "://" + "a" * 64 + ".", 1)),
        st.just("null"),
        st.just(""),
    )


near_misses = valid_origins.flatmap(_mutations)
anything = st.one_of(st.text(max_size=60), st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
candidates = st.one_of(near_misses, anything, valid_origins)


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(origin=candidates, method=st.sampled_from(["GET", "POST", "OPTIONS"]), preflight=st.booleans())
def test_no_policy_shape_reflects_what_no_browser_sends(origin: str, method: str, preflight: bool) -> None:
    verdict = oracle(origin)
    assert verdict is None or is_serialized_origin(origin) is verdict, origin
    for name, engine in ENGINES.items():
        value = reflected(engine, method, origin, preflight)
        if value is None:
            assert not (verdict and name in ADMIT_ALL), f"{name} denied the valid origin {origin!r}"
            continue
        assert value == origin, (name, origin, value)
        assert origin == EXACT or verdict, f"{name} reflected {origin!r}, which no browser sends"


@settings(max_examples=300, deadline=None)
@given(origin=st.one_of(near_misses, anything))
def test_the_callback_sees_only_serialized_origins(origin: str) -> None:
    seen: list[str] = []

    def record(value: str) -> bool:
        seen.append(value)
        return True

    engine = Engine(Policy(allow_origin_callback=record, origin_cache_size=0))
    engine.decide(method="GET", origin=origin)
    engine.decide(method="OPTIONS", origin=origin, request_method="GET")
    assert all(is_serialized_origin(value) and oracle(value) is not False for value in seen), seen


# -- examples (each was reflected before the fix) --------------------------------------------


@pytest.mark.parametrize(
    ("shape", "origin"),
    [
        ("subdomain", "https://a]b.example.com"),
        ("subdomain", "https://a[b.example.com"),
        ("subdomain", "https://[a].example.com"),
        ("subdomain-any-port", "http://a]b.example.com:8080"),
        ("any-port", "http://127.0.0.1:8080]"),
        ("callback-yes", "https://evil.example/x"),
        ("callback-yes", "https://evil.example/"),
        ("callback-yes", "https://evil.example:80/.x"),
        ("callback-yes", "https://evil.example:0"),
        ("callback-yes", "https://evil.example:443"),
        ("callback-yes", "https://evil.example:08080"),
        ("callback-yes", "https://evil.example."),
        ("callback-yes", "https://evil..example"),
        ("callback-yes", "http://127.1"),
        ("callback-yes", "http://0x7f.0.0.1"),
        ("callback-yes", "http://[::ffff:127.0.0.1]"),
        ("callback-yes", "http://[0:0:0:0:0:0:0:1]"),
        ("callback-yes", "https://xn--abc.example"),
        ("callback-yes", "https://" + "a" * 64 + ".example"),
        ("regex-everything", "https://evil.example/x"),
        ("regex-everything", "https://a]b.example.com"),
        ("regex-everything", "HTTPS://EVIL.EXAMPLE"),
        ("regex-everything", "https://user@evil.example"),
        ("regex-everything", "javascript://evil.example/%0aalert(1)"),
        ("regex-everything", "javascript://evil.example"),
        ("callback-yes", "data://evil.example"),
        ("callback-yes", "ws://evil.example:8080"),
        ("callback-yes", "file://evil.example"),
    ],
)
def test_values_no_browser_sends_are_denied(shape: str, origin: str) -> None:
    assert oracle(origin) is not True
    for method, preflight in (("GET", False), ("OPTIONS", True)):
        assert reflected(ENGINES[shape], method, origin, preflight) is None, (shape, origin)


@pytest.mark.parametrize(
    ("origin", "valid"),
    [
        ("https://xn--bcher-kva.example", True),
        ("https://xn--strae-oqa.de", True),  # straße.de, as browsers (IDNA 2008) encode it
        ("https://xn--ls8h.la", True),  # an emoji
        ("https://xn--abc.example", False),  # decodes to control characters
        ("https://xn--zz.example", False),  # not punycode
        ("https://xn--bcher-kva.example".replace("kva", "KVA"), False),
        ("https://xn--" + "Bücher".encode("punycode").decode() + ".example", False),  # a capital
        ("http://[::ffff:7f00:1]", True),
        ("http://[::ffff:127.0.0.1]", False),
        ("http://[1::2:0:0:3]", True),  # the first longest run of zeros is compressed
        ("http://[1:0:0:2::3]", True),
        ("http://[1:0:0:2:0:0:3:4]", False),
        ("http://[1:0::2:0:0:3]", False),
    ],
)
def test_punycode_and_ipv6_as_browsers_write_them(origin: str, valid: bool) -> None:
    assert is_serialized_origin(origin) is valid
    assert (reflected(ENGINES["callback-yes"], "GET", origin, False) == origin) is valid


def test_null_only_when_listed() -> None:
    for engine in ENGINES.values():
        assert reflected(engine, "GET", "null", False) is None
    assert reflected(Engine(Policy(["null"])), "GET", "null", False) == "null"


@pytest.mark.parametrize(
    "origin",
    ["http://127.1", "http://1.2.3.256", "http://010.0.0.1", "https://example.123", "https://xn--abc.example",
     "https://" + "a" * 64 + ".example", "https://*.0.0.1", "http://[fe80::1%eth0]"],
)  # fmt: skip
def test_configured_origins_must_be_sendable(origin: str) -> None:
    with pytest.raises(PolicyError, match="allow_origins: "):
        Policy([origin])


# -- through the real middleware -------------------------------------------------------------

#: Bytes that HTTP can carry in a header and that a browser never sends as an Origin.
WIRE = [
    "https://a]b.example.com", "https://evil.example/x", "https://evil.example/", "https://evil.example:443",
    "https://evil.example:0", "https://Evil.example", "https://evil.example.", "https://user@evil.example",
    "http://127.1", "https://evil.example, https://app.example.com", "https://evil.example x",
    "https://\xe9vil.example",
]  # fmt: skip


def _everything_policy() -> Policy:
    return Policy(
        ["https://*.example.com", "http://localhost:*"],
        allow_origin_regex=r"https://[a-z0-9-]+\.example\.org",
        allow_origin_callback=_yes,
        allow_credentials=True,
    )


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _ok_wsgi(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.parametrize("server", ["asgi", "wsgi"])
def test_real_servers_never_reflect_unsendable_origins(server: str) -> None:
    serve = (
        serve_asgi(ASGICors(_ok, policy=_everything_policy()))
        if server == "asgi"
        else serve_wsgi(WSGICors(_ok_wsgi, policy=_everything_policy()))
    )
    with serve as url, httpx.Client(base_url=url) as client:
        for origin in WIRE:
            value = origin.encode("latin-1")
            for response in (
                client.get("/", headers={"Origin": value}),
                client.options("/", headers={"Origin": value, "Access-Control-Request-Method": "GET"}),
            ):
                assert "access-control-allow-origin" not in response.headers, (server, origin)
        allowed = client.get("/", headers={"Origin": "https://tenant.example.net:8443"})
        assert allowed.headers["access-control-allow-origin"] == "https://tenant.example.net:8443"
