"""Guards the class "an origin regex with a hole is accepted with credentials" (issue 11,
finding 11): ``https://[a-z0-9.-]*example\\.com`` admitted ``attackerexample.com``; ``.?`` and
``.{1}`` glued to host text and a negative lookahead got past the checks.

With ``allow_credentials=True``, a regex is refused at construction when it admits an origin an
attacker can own, found by probing it with hosts built from what it admits (a name glued before
or after its own host text, other top-level domains, another site under the same suffix,
user-information shapes, each scheme), or when a wildcard chooses the registrable part of a host;
lookarounds are set aside while probing. The error keeps the format
``<setting>: <value> <problem>; <fix>``. Hypothesis builds dangerous regexes from the known hole
shapes (all refused) and safe ones (anchored at label boundaries, escaped dots, label classes
without dots: all accepted).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight import Policy, PolicyError

#: The error format every PolicyError keeps: setting, value, problem; fix.
FORMAT = re.compile(r"allow_origin_regex: '.+' [^;]+; .+", re.DOTALL)


def refusal(regex: str) -> str:
    with pytest.raises(PolicyError) as info:
        Policy(allow_origin_regex=regex, allow_credentials=True)
    message = str(info.value)
    assert FORMAT.fullmatch(message), message
    return message


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        # The finding's three.
        (r"https://[a-z0-9.-]*example\.com", "admits 'https://attackerexample.com'"),
        (r"https://.?example\.com", "unescaped '.'"),
        (r"https://.{1}example\.com", "unescaped '.'"),
        (r"https://.{0,3}example\.com", "unescaped '.'"),
        (r"https://.+?example\.com", "unescaped '.'"),
        (r"(?!https?://attacker)(?!null$).*", "admits any origin"),
        (r"https?://(?!attacker)[a-z.-]+", "lookaround is set aside"),
        (r"(?!.*(attacker|evil|invalid))https://[a-z.]+", "lookaround is set aside"),
        (r"https://(?!attacker)[a-z0-9-]*example\.com", "lookaround is set aside"),
        # Glued before or after the host text, other TLDs, another site, a suffix, userinfo.
        (r"https://[\w-]*example\.com", "'https://attackerexample.com'"),
        (r"https://[^/]*example\.com", "'https://attackerexample.com'"),
        (r"https://\S*example\.com", "'https://attackerexample.com'"),
        (r"https://a*example\.com", "'https://aexample.com'"),
        (r"https://(app|[a-z]*)example\.com", "admits 'https://attacker"),
        (r"https://app\.example[a-z]*\.com", "'https://app.exampleattacker.com'"),
        (r"https://app\.example\.[a-z]+", "'https://app.example.zz'"),
        (r"https://app\.example\.com[a-z.]*", "'https://app.example.comattacker.net'"),
        (r"https://app\.example\.com(\.[a-z]+)*", "'https://app.example.com.attacker.net'"),
        (r"https://app\.[a-z]+\.com", "admits 'https://app.attacker"),
        (r"https://[a-z]+\.co\.uk", "'https://attackera.co.uk'"),
        (r"https?://\d+\.\d+\.\d+\.\d+(:\d+)?", "'http://203.0.113.7'"),
        (r"https://app\.example\.com(@[a-z.]+)?", "'https://app.example.com@attacker.net'"),
        (r"http://localhost[a-z.]*:3000", "admits 'http://localhost"),
        # Each scheme: the https host is fine, the http branch is not.
        (r"https://app\.example\.com|http://[a-z.]+\.example\.com|http://[a-z]+", "'http://attacker"),
        # A wildcard chooses the site itself.
        (r"https://example-[a-z]+\.com", "example-"),
        (r"chrome-extension://[a-p]{32}", "lets a wildcard choose the site"),
        (r"https://[a-z]{3}\.com", "lets a wildcard choose the site"),
    ],
)
def test_regexes_with_holes_are_refused_with_credentials(regex: str, expected: str) -> None:
    assert expected in refusal(regex)


@pytest.mark.parametrize(
    "regex",
    [
        r"https://[a-z0-9-]+\.example\.com",
        r"https://([a-z0-9-]+\.)*example\.com",
        r"https://(www\.)?example\.com",
        r"https://example\.(com|org)",
        r"https://example\.com(\.au)?",
        r"https?://(localhost|127\.0\.0\.1)(:\d+)?",
        r"https://app-[0-9]+\.preview\.example\.dev",
        r"https://(?!admin\.)[a-z]+\.example\.com",
        r"https://.*\.example\.com",  # only serialized origins reach it: no '/' or '@'
        r"^https://(.+\.)?example\.com$",
        r"https://app[.]example[.]com",
        r"https://[a-z]+\.example\.co\.uk",
        r"http://\[::1\]:\d+",
        r"http://192\.168\.\d+\.\d+(:\d+)?",
        r"(?i)https://APP\.EXAMPLE\.COM",
    ],
)
def test_safe_regexes_are_accepted_with_credentials(regex: str) -> None:
    Policy(allow_origin_regex=regex, allow_credentials=True)


def test_without_credentials_only_the_syntax_checks_apply() -> None:
    Policy(allow_origin_regex=r"https://[a-z0-9.-]*example\.com")
    with pytest.raises(PolicyError, match="unescaped"):
        Policy(allow_origin_regex=r"https://.?example\.com")


def test_a_hole_after_many_alternatives_is_found() -> None:
    sites = "|".join(
        f"{name}\\.example{i}\\.com"
        for i, name in enumerate(f"site{chr(97 + i % 26)}{i}x" for i in range(80))
    )
    assert "admits 'https://attacker" in refusal(f"https://({sites}|[a-z]*example\\.com)")
    assert "admits 'https://" in refusal(f"https://({sites}|app\\.example\\.org\\.[a-z]+)")
    Policy(allow_origin_regex=f"https?://({sites})(:[0-9]+)?", allow_credentials=True)


def test_every_regex_of_a_list_is_checked() -> None:
    message = refusal([r"https://app\.example\.com", r"https://[a-z.-]*example\.org"])  # type: ignore[arg-type]
    assert "example\\\\.org" in message and "attackerexample.org" in message


# -- properties ------------------------------------------------------------------------------

# Four letters or more: shorter names (co, com, ne...) are second-level public suffixes.
_name = st.text("abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=10).filter(lambda n: "attacker" not in n)
_tld = st.sampled_from(["com", "org", "net", "dev", "io", "app", "co\\.uk", "com\\.au"])
#: A site's registrable domain, escaped (``example\.com``).
_site = st.builds(lambda n, t: f"{n}\\.{t}", _name, _tld)
_scheme = st.sampled_from(["https", "http", "https?"])
_wild_label = st.sampled_from([r"[a-z0-9-]+", r"[a-z]+", r"\w+", r"[a-z0-9-]{1,63}", r"[^.]+"])
_label = st.one_of(_wild_label, st.sampled_from([r"app", r"(api|www)"]))

#: Wildcards that can put anything (also a dot, or nothing) right before the host text.
_GLUE = [r"[a-z0-9.-]*", r"[a-z0-9.-]+", r"[\w.-]*", r"[^/]*", r"\S*", r"\S+", r"[a-z]*", r"[a-z0-9-]*",
         r"\w*", r"[^.]*", r"(.*)", r"(.+)?", r"(.)?", r"(.){1}", r"[a-z]?", r"\w{1,5}", r"(|[a-z]+)"]  # fmt: skip
#: Wildcards after the host text that can add labels or glue onto the top-level domain.
_TAIL = [r".*", r".+", r"(\..*)?", r"[a-z.]*", r"\S*", r"[^:]*", r"(\.[a-z]+)*", r"[a-z]+", r"\w*"]
_LOOKAHEAD = ["", r"(?!.*attacker)", r"(?!https?://attacker)", r"(?!.*\.invalid)", r"(?=https?://)"]


@st.composite
def dangerous_regexes(draw: st.DrawFn) -> str:
    scheme, site, label = draw(_scheme), draw(_site), draw(_label)
    tld = draw(st.sampled_from([r"[a-z]+", r"[a-z]{2,}", r"\w+", r"[a-z]{2,3}", r"(com|[a-z]{2})"]))
    name = site.split("\\.")[0]
    hole = draw(
        st.sampled_from(
            [
                f"{scheme}://{draw(st.sampled_from(_GLUE))}{site}",  # glued before
                f"{scheme}://({label}\\.)?{draw(st.sampled_from(_GLUE))}{site}",
                f"{scheme}://{label}\\.{site}{draw(st.sampled_from(_TAIL))}",  # after
                f"{scheme}://{label}\\.{name}\\.{tld}",  # any top-level domain
                f"{scheme}://{label}\\.[a-z0-9-]+\\.{site.split(chr(92) + '.', 1)[1]}",  # any site
                f"{scheme}://{name}-{draw(_wild_label)}\\.{site.split(chr(92) + '.', 1)[1]}",  # glued label
            ]
        )
    )
    safe = f"https://{label}\\.{site}"
    regex = draw(st.sampled_from([hole, f"({safe}|{hole})", f"(?:{hole})(:[0-9]+)?"]))
    return draw(st.sampled_from(_LOOKAHEAD)) + regex


@st.composite
def safe_regexes(draw: st.DrawFn) -> str:
    scheme, site, label = draw(_scheme), draw(_site), draw(_label)
    host = draw(
        st.sampled_from(
            [
                site,
                f"{label}\\.{site}",
                f"({label}\\.)?{site}",
                f"({label}\\.)*{site}",
                f"{label}-{label}\\.{site}",
            ]
        )
    )
    port = draw(st.sampled_from(["", r"(:[0-9]+)?", r":\d{4}", r"(:(3000|8080))?"]))
    lookaround = draw(st.sampled_from(["", r"(?!https://admin\.)", r"(?=[a-z])"]))
    return f"{lookaround}{scheme}://{host}{port}"


@settings(max_examples=300, deadline=None)
@given(regex=dangerous_regexes())
def test_dangerous_regexes_are_refused(regex: str) -> None:
    refusal(regex)


@settings(max_examples=200, deadline=None)
@given(regex=safe_regexes())
def test_safe_regexes_are_accepted(regex: str) -> None:
    Policy(allow_origin_regex=regex, allow_credentials=True)


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\n", "\x7f", "\x9b", "\u202e"])
def test_a_regex_with_a_non_printable_character_is_refused(char: str) -> None:
    # No origin contains one, so it can only be a mistake, and `corsight export` would copy the
    # raw byte into a configuration printed on a terminal.
    regex = f"https://a{char}\\.example\\.com"
    with pytest.raises(PolicyError, match=r"allow_origin_regex: .* has the non-printable character"):
        Policy(allow_origin_regex=regex)
    Policy(allow_origin_regex=r"https://a\x1b\.example\.com")  # the escape, written out, is fine
