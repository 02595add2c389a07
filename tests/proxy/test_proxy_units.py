"""Pure tests of the proxy's parts: address classification, target parsing, allow lists,
header filtering, configuration sources and the command line's errors. Nothing is sent."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from corsight.proxy import ConfigError, ProxyConfig, build_config, read_env, read_toml
from corsight.proxy.cli import proxy_command
from corsight.proxy.headers import request_headers, response_headers
from corsight.proxy.targets import AllowedTarget, TargetError, TargetRules, classify, parse_ip, parse_target


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
        ("0.0.0.0", "unspecified"), ("0.1.2.3", "unspecified"), ("::", "unspecified"),
        ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
        ("192.168.1.1", "private"), ("100.64.0.1", "private"), ("fd12:3456::1", "private"),
        ("fec0::1", "private"), ("64:ff9b:1::a00:1", "private"),
        ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fe80::1%2", "link-local"),
        ("224.0.0.1", "multicast"), ("224.0.1.1", "multicast"), ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"), ("ff0e::1", "multicast"),
        ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("192.0.2.1", "reserved"),
        ("198.18.0.1", "reserved"), ("2001:db8::1", "reserved"), ("2001::1", "reserved"),
        ("100::1", "reserved"), ("4000::1", "reserved"), ("::2:3:4:5:6", "reserved"),
        # IPv4 inside IPv6: judged by the IPv4 address it stands for.
        ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"),
        ("::127.0.0.1", "loopback"), ("::10.0.0.1", "private"),
        ("64:ff9b::127.0.0.1", "loopback"), ("64:ff9b::a9fe:a9fe", "link-local"),
        ("2002:7f00:1::1", "loopback"), ("2002:a9fe:a9fe::", "link-local"), ("2002:c0a8:101::", "private"),
        ("::ffff:0.0.0.0", "unspecified"),
    ],
)  # fmt: skip
def test_refused_addresses(address: str, reason: str) -> None:
    assert classify(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "93.184.216.34", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
     "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"],
)  # fmt: skip
def test_public_addresses(address: str) -> None:
    assert classify(ipaddress.ip_address(address)) is None


@given(st.ip_addresses(v=4))
def test_every_ipv4_address_is_judged_the_same_in_every_ipv6_form(address: ipaddress.IPv4Address) -> None:
    reason = classify(address)
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | int(address))
    sixtofour = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))
    assert classify(mapped) == classify(nat64) == classify(sixtofour) == reason


@given(st.ip_addresses())
def test_non_global_addresses_are_never_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    # Python's table is looser (it calls multicast global) but never stricter than ours.
    if not address.is_global:
        assert classify(address) is not None


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"),
     ("0x7f.0.0.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
     ("[::1]", "::1"), ("169.254.169.254.", "169.254.169.254"), ("example.com", None), ("a.b1", None)],
)  # fmt: skip
def test_parse_ip_reads_every_ipv4_spelling(host: str, expected: str | None) -> None:
    ip = parse_ip(host)
    assert (ip.compressed if ip else None) == expected


def test_parse_target() -> None:
    t = parse_target("HTTPS://API.Example.com./v1/items?q=a%20b#frag")
    assert (t.scheme, t.host, t.port, t.path, t.ip) == ("https", "api.example.com", 443, "/v1/items?q=a%20b", None)
    assert t.url == "https://api.example.com/v1/items?q=a%20b"
    v6 = parse_target("http://[::1]:8080")
    assert v6.host == "::1" and v6.port == 8080 and v6.path == "/" and v6.netloc == "[::1]:8080"
    assert parse_target("http://0x7f.1:80/").host == "127.0.0.1"
    for bad, status in [("gopher://x/", 403), ("javascript:alert(1)", 403), ("http:/x", 400),
                        ("//x/y", 400), ("http://a@b/", 400), ("http://[::1/", 400), ("http:///x", 400),
                        ("http://ex ample/", 400), ("http://bad_host!/", 400), ("http://256.256.256.256/", 400)]:  # fmt: skip
        with pytest.raises(TargetError) as info:
            parse_target(bad)
        assert info.value.status == status, bad


def test_allow_list_entries_and_rules() -> None:
    loop = ipaddress.ip_address("127.0.0.1")
    rules = TargetRules(tuple(AllowedTarget.parse(e) for e in
                              ["localhost:5000", "127.0.0.2", "10.0.0.0/8:443", "[::1]:8080", "Internal.Test."]))  # fmt: skip
    assert rules.check("localhost", loop, 5000) is None
    assert rules.check("localhost", loop, 5001) is not None
    assert rules.check("127.0.0.1", loop, 5000) is not None  # the entry names a host, not its address
    assert rules.check("x", ipaddress.ip_address("127.0.0.2"), 1) is None
    assert rules.check("x", ipaddress.ip_address("10.9.9.9"), 443) is None
    assert rules.check("x", ipaddress.ip_address("10.9.9.9"), 80) is not None
    assert rules.check("::1", ipaddress.ip_address("::1"), 8080) is None
    assert rules.check("internal.test", ipaddress.ip_address("192.168.0.1"), 80) is None
    assert rules.check("example.com", ipaddress.ip_address("93.184.216.34"), 25) is None
    message = rules.check("evil.test", ipaddress.ip_address("169.254.169.254"), 80)
    assert message == "evil.test resolves to 169.254.169.254, a link-local address; the proxy does not reach link-local addresses"
    for bad in ["", "a b", "host:0", "host:70000", "[::1", "[::1]x", "x:y"]:
        with pytest.raises(ValueError):
            AllowedTarget.parse(bad)


def test_request_headers() -> None:
    raw = [(b"host", b"proxy:1"), (b"connection", b"keep-alive, x-hop"), (b"x-hop", b"1"),
           (b"cookie", b"a=b"), (b"x-token", b"t"), (b"x-forwarded-for", b"1.2.3.4"),
           (b"access-control-request-method", b"PUT"), (b"transfer-encoding", b"chunked"),
           (b"content-length", b"3"), (b"proxy-authorization", b"x"), (b"te", b"trailers")]  # fmt: skip
    out = request_headers(raw, host="api.test", cookies=False, forwarded=True, client="9.9.9.9",
                          proto="https", proxy_host="proxy:1")  # fmt: skip
    assert out == [("Host", "api.test"), ("x-token", "t"), ("X-Forwarded-For", "9.9.9.9"),
                   ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "proxy:1")]  # fmt: skip
    kept = request_headers(raw, host="h", cookies=True, forwarded=False, client="9.9.9.9", proto="http",
                           proxy_host=None)  # fmt: skip
    assert ("cookie", "a=b") in kept and not any(n.lower().startswith("x-forwarded") for n, _ in kept)


def test_response_headers() -> None:
    raw = [(b"Content-Type", b"text/plain"), (b"Set-Cookie", b"a=b"), (b"Connection", b"close, X-Hop"),
           (b"X-Hop", b"1"), (b"Transfer-Encoding", b"chunked"), (b"Access-Control-Allow-Origin", b"*"),
           (b"Alt-Svc", b'h3=":443"'), (b"Strict-Transport-Security", b"max-age=1"), (b"ETag", b'"x"')]  # fmt: skip
    assert response_headers(raw, cookies=False, shared_origin=True) == [
        (b"content-type", b"text/plain"), (b"etag", b'"x"'),
        (b"content-security-policy", b"sandbox"), (b"x-content-type-options", b"nosniff")]  # fmt: skip
    kept = response_headers(raw, cookies=True, shared_origin=False)
    assert (b"set-cookie", b"a=b") in kept and (b"strict-transport-security", b"max-age=1") in kept


# --- configuration ------------------------------------------------------------------------------


def test_config_defaults_and_policy() -> None:
    c = ProxyConfig(allow_origins=["https://app.test"], require_headers=["X-Requested-With"],
                    allow_headers=["X-Token"], expose_headers=["X-Total"])  # fmt: skip
    assert c.mode == "open" and c.redirects == "follow" and not c.cookies
    assert c.policy.allow_headers == ("x-token", "x-requested-with")
    assert c.policy.expose_headers == ("x-total", "x-final-url")
    up = ProxyConfig(allow_origins=["*"], upstream="http://127.0.0.1:5000")
    assert up.mode == "upstream"
    assert up.rules.check("127.0.0.1", ipaddress.ip_address("127.0.0.1"), 5000) is None
    assert up.rules.check("127.0.0.1", ipaddress.ip_address("127.0.0.1"), 5001) is not None


@pytest.mark.parametrize(
    ("settings", "words"),
    [({}, "--allow-origin"), ({"allow_origins": "https://a.test"}, "list of strings"),
     ({"allow_origins": ["https://a.test/"]}, "ends with '/'"),
     ({"allow_origins": ["*"], "cookies": True}, "upstream"),
     ({"allow_origins": ["*"], "allow_credentials": True}, "cookies are stripped"),
     ({"allow_origins": ["*"], "redirects": "maybe"}, "'follow' nor 'pass'"),
     ({"allow_origins": ["*"], "read_timeout": 0}, "read_timeout"),
     ({"allow_origins": ["*"], "max_redirects": 99}, "max_redirects"),
     ({"allow_origins": ["*"], "rate_limit_client": "fast"}, "not a rate"),
     ({"allow_origins": ["*"], "redis_url": "localhost:6379"}, "redis://"),
     ({"allow_origins": ["*"], "upstream": "file:///etc"}, "only http and https"),
     ({"allow_origins": ["*"], "allow_targets": ["a b"]}, "not a host name"),
     ({"allow_origins": ["*"], "ca_file": "/nonexistent.pem"}, "ca_file"),
     ({"allow_origins": ["*"], "trusted_proxies": ["proxy.local"]}, "trusted_proxies"),
     ({"allow_origins": ["*"], "response_timeout": float("nan")}, "response_timeout"),
     ({"allow_origins": ["*"], "head_timeout": 0}, "head_timeout"),
     ({"allow_origins": ["*"], "max_head_bytes": 10}, "max_head_bytes"),
     ({"allow_origins": ["*"], "http": "zttp"}, "http")],
)  # fmt: skip
def test_config_errors_name_the_setting_and_the_fix(settings: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_config(settings)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_config_sources_later_layers_win(tmp_path: Path) -> None:
    file = tmp_path / "proxy.toml"
    file.write_text('[proxy]\nallow-origins = ["https://a.test"]\nmax_redirects = 2\nredirects = "pass"\n'
                    'allow_targets = "localhost:5000"\n')  # fmt: skip
    env = read_env({"CORSIGHT_PROXY_MAX_REDIRECTS": "3", "CORSIGHT_PROXY_COOKIES": "false",
                    "CORSIGHT_PROXY_ALLOW_TARGETS": "a.test:1, b.test", "OTHER": "x"})  # fmt: skip
    config = build_config(read_toml(file), env, {"redirects": "follow", "allow_origins": ()})
    assert config.allow_origins == ("https://a.test",)
    assert config.max_redirects == 3 and config.redirects == "follow"
    assert config.allow_targets == ("a.test:1", "b.test")
    with pytest.raises(ConfigError, match="nope: not a corsight setting"):
        file.write_text("nope = 1\n")
        read_toml(file)
    with pytest.raises(ConfigError, match="CORSIGHT_PROXY_NOPE"):
        read_env({"CORSIGHT_PROXY_NOPE": "1"})
    with pytest.raises(ConfigError, match="expected true or false"):
        read_env({"CORSIGHT_PROXY_COOKIES": "maybe"})
    env = read_env({"CORSIGHT_PROXY_RESPONSE_TIMEOUT": "0", "CORSIGHT_PROXY_HEAD_TIMEOUT": "2.5",
                    "CORSIGHT_PROXY_TRUSTED_PROXIES": "10.0.0.0/8, ::1", "CORSIGHT_PROXY_HTTP": "h11"})  # fmt: skip
    config = build_config({"allow_origins": ["*"]}, env)
    assert config.response_timeout is None and config.head_timeout == 2.5 and config.http == "h11"
    assert [str(n) for n in config.trusted] == ["10.0.0.0/8", "::1/128"]


@pytest.mark.parametrize(
    "args",
    [["--port", "x"], [], ["--allow-origin", "*", "--redirects", "sometimes"], ["--allow-origin", "null*"],
     ["--allow-origin", "*", "--config", "/nonexistent.toml"], ["--nope"],
     ["--allow-origin", "*", "--allow-method", "TRACE"], ["--allow-origin", "*", "--http", "zttp"],
     ["--allow-origin", "*", "--trusted-proxy", "x y"], ["--allow-origin", "*", "--response-timeout", "-1"],
     ["--allow-origin", "*", "--head-timeout", "nan"]],
)  # fmt: skip
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str]) -> None:
    result = CliRunner().invoke(proxy_command, args, env={"CORSIGHT_PROXY_PORT": None})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("corsight proxy: error: "), result.output
    assert "Traceback" not in result.output


def test_cli_print_config(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_text('allow_origins = ["https://a.test"]\nredis_url = "redis://user:secret@127.0.0.1:6379/0"\n')
    result = CliRunner().invoke(proxy_command, ["--config", str(file), "--upstream", "http://127.0.0.1:9",
                                                "--print-config"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"upstream": "http://127.0.0.1:9"' in result.output and "secret" not in result.output


def test_none_unsets_an_optional_setting_in_the_file_and_the_environment(tmp_path: Path) -> None:
    # Before, "none" was read as None and then skipped as "not given": the default (300 s) stayed.
    file = tmp_path / "p.toml"
    file.write_text('allow-origins = "*"\nresponse-timeout = "none"\nmax_age = 60\n')
    assert build_config(read_toml(file)).response_timeout is None
    env = read_env({"CORSIGHT_PROXY_RESPONSE_TIMEOUT": "none", "CORSIGHT_PROXY_MAX_AGE": "none"})
    config = build_config(read_toml(file), env)
    assert config.response_timeout is None and config.max_age is None
    with pytest.raises(ConfigError, match="CORSIGHT_PROXY_PORT"):
        read_env({"CORSIGHT_PROXY_PORT": "none"})  # not optional: refused, not the default
    file.write_text('allow-origins = "*"\nport = "none"\n')
    with pytest.raises(ConfigError, match="port"):
        build_config(read_toml(file))


def test_cli_shows_every_problem_each_on_its_line(tmp_path: Path) -> None:
    file = tmp_path / "p.toml"
    file.write_text('[proxy]\nallow-origins = "*"\nnope = 1\nredirect = "pass"\n')
    result = CliRunner().invoke(proxy_command, ["--config", str(file)], env={"CORSIGHT_PROXY_PORT": None})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert [line.split(": ", 2)[2] for line in lines] == [
        f"{file}:3: nope: not a corsight setting; remove it",
        f"{file}:4: redirect: not a corsight setting; did you mean redirects?",
    ], result.output
    assert all(line.startswith("corsight proxy: error: ") for line in lines)
