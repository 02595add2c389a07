"""Policy validation: every mistake is refused at construction with the setting and the fix."""

from __future__ import annotations

import pytest

from corsight import Policy, PolicyError


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"allow_origins": ["*"], "allow_credentials": True}, "'*' with allow_credentials=True"),
        ({"allow_origins": "*", "allow_credentials": True}, "'*' with allow_credentials=True"),
        (
            {"allow_origins": ["https://a.example/"]},
            "ends with '/'; browsers send the origin with no path; write 'https://a.example'",
        ),
        ({"allow_origins": ["https://a.example/api"]}, "contains a path"),
        ({"allow_origins": ["https://a.example?x=1"]}, "contains a query"),
        ({"allow_origins": ["https://a.example#top"]}, "contains a fragment"),
        ({"allow_origins": ["https://user:pw@a.example"]}, "contains user information"),
        ({"allow_origins": ["ftp://a.example"]}, "unknown scheme 'ftp'"),
        ({"allow_origins": ["a.example"]}, "has no scheme"),
        ({"allow_origins": ["https://a.example:0"]}, "invalid port"),
        ({"allow_origins": ["https://a.example:99999"]}, "invalid port"),
        ({"allow_origins": ["https://a.example:"]}, "empty port"),
        ({"allow_origins": ["https://*a.example"]}, "malformed pattern"),
        ({"allow_origins": ["https://a.*.example"]}, "malformed pattern"),
        ({"allow_origins": ["https://*.com"]}, "top-level domain"),
        ({"allow_origins": ["https://exa mple.com"]}, "not a valid domain name"),
        ({"allow_origins": "https://a.example"}, "pass a list"),
        ({"allow_origins": ["*", "https://a.example"]}, "'*' already allows everything"),
        ({"allow_origins": ["null"], "allow_credentials": True}, "'null' with allow_credentials"),
        ({"allow_origin_regex": r"https://www.example\.com"}, "unescaped '.'"),
        ({"allow_origin_regex": r"https://.*example\.com"}, "unescaped '.'"),
        ({"allow_origin_regex": r"https://(a|b"}, "not a valid regular expression"),
        ({"allow_origin_regex": r".*"}, "matches the origin 'null'"),
        ({"allow_origin_regex": r"https?://[a-z.]+", "allow_credentials": True}, "admits any origin"),
        ({"max_age": -1}, "max_age: -1 is out of range"),
        ({"max_age": 86401}, "out of range"),
        ({"max_age": "600"}, "out of range"),
        ({"allow_headers": ["X Custom"]}, "not an HTTP header name"),
        ({"allow_headers": ["Cookie"]}, "cookies travel with allow_credentials=True"),
        ({"allow_headers": ["Sec-Fetch-Mode"]}, "script can never send"),
        ({"allow_methods": ["GET POST"]}, "not an HTTP method name"),
        ({"allow_methods": ["trace"]}, "browsers never send TRACE"),
        ({"expose_headers": ["*"], "allow_credentials": True}, "literally named '*'"),
        ({"expose_headers": ["X:Y"]}, "not an HTTP header name"),
        ({"allow_credentials": "true"}, "expected True or False"),
    ],
)
def test_mistakes_are_refused_with_the_fix(settings: dict, expected: str) -> None:
    with pytest.raises(PolicyError) as info:
        Policy(**settings)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("configured", "serialized"),
    [
        ("HTTPS://App.Example.COM", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://localhost:80", "http://localhost"),
        ("http://localhost:08080", "http://localhost:8080"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("http://[0:0:0:0:0:0:0:1]:3000", "http://[::1]:3000"),
        ("HTTPS://*.Example.com", "https://*.example.com"),
        ("null", "null"),
    ],
)
def test_origins_are_normalized_as_browsers_serialize_them(configured: str, serialized: str) -> None:
    policy = Policy([configured])
    assert policy.allow_origins == (serialized,)
    if "*" not in serialized:
        assert policy.allows_origin(serialized)


@pytest.mark.parametrize(
    ("pattern", "allowed", "denied"),
    [
        (
            "https://*.example.com",
            ["https://a.example.com", "https://a.b.example.com", "https://a_b.example.com"],
            [
                "https://example.com",
                "http://a.example.com",
                "https://a.example.com:8443",
                "https://aexample.com",
                "https://a.example.com.evil.io",
                "https://evil.io/.example.com",
                "https://A.example.com",
                "https://a..example.com",
                "https://.example.com",
            ],
        ),
        (
            "http://localhost:*",
            ["http://localhost", "http://localhost:3000", "http://localhost:65535"],
            [
                "https://localhost:3000",
                "http://localhost:0",
                "http://localhost:65536",
                "http://localhost:80",
                "http://localhost:03000",
                "http://localhost.evil.io:3000",
                "http://localhost:3000@evil.io",
            ],
        ),
        (
            "https://*.example.com:*",
            ["https://a.example.com:8443", "https://a.example.com"],
            ["https://example.com:8443", "https://a.example.com:443"],
        ),
    ],
)
def test_patterns(pattern: str, allowed: list[str], denied: list[str]) -> None:
    policy = Policy([pattern])
    for origin in allowed:
        assert policy.allows_origin(origin), origin
    for origin in denied:
        assert not policy.allows_origin(origin), origin


def test_regexes_full_match() -> None:
    policy = Policy(allow_origin_regex=[r"https://[a-z0-9-]+\.example\.com", r"http://127\.0\.0\.1:\d+"])
    assert policy.allows_origin("https://app.example.com")
    assert policy.allows_origin("http://127.0.0.1:8000")
    assert not policy.allows_origin("https://app.example.com.evil.io")
    assert not policy.allows_origin("xhttps://app.example.com")
    assert not policy.allows_origin("https://app.example.com\r\nSet-Cookie: a=b")


def test_null_only_when_listed() -> None:
    assert not Policy(["https://a.example"]).allows_origin("null")
    assert Policy(["null"]).allows_origin("null")


def test_policy_is_immutable_and_replace_revalidates() -> None:
    policy = Policy(["https://a.example"])
    with pytest.raises(AttributeError):
        policy.allow_credentials = True  # type: ignore[misc]
    assert policy.replace(allow_credentials=True).allow_credentials
    with pytest.raises(PolicyError):
        Policy(["*"]).replace(allow_credentials=True)
    assert Policy(["https://A.example"]) == Policy(["https://a.example"])


def test_methods_normalized_like_fetch() -> None:
    policy = Policy(allow_methods=["get", "put", "patch", "PATCH"])
    # Fetch uppercases the six standard methods only; `patch` is sent as written.
    assert policy.allow_methods == ("GET", "PUT", "patch", "PATCH")


def test_defaults() -> None:
    policy = Policy()
    assert policy.allow_methods == ("GET", "HEAD", "POST")
    assert policy.max_age == 600
    assert not policy.allows_origin("https://a.example")
