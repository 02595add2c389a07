"""Guards the classes "validation stops at the first problem" and "a problem is only a string"
(issue 12, item 3): a Policy reports every problem of its settings at once, each a structured
Problem (setting, value, problem, fix, and the settings involved in a combination), on one
PolicyError whose message keeps the established ``setting: value problem; fix`` form; the
configuration layer adds ids without parsing messages; and a problem's quoted values and
settings are written again in TOML for a TOML file (``true``, never ``True``; no ``None``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight import Policy, PolicyError, config
from corsight.config.toml import TOML
from corsight.errors import ConfigError, CorsightError, Problem

GOOD = ["https://app.example.com", "https://*.example.org", "http://localhost:*", "null"]
BAD = ["https://a.example/", "ftp://b.example", "c.example", "https://*.com", "https://d.example:0"]


def refused(**settings: object) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        Policy(**settings)  # type: ignore[arg-type]
    return info.value


def test_every_problem_at_once() -> None:
    error = refused(
        allow_origins=["https://a.example/", "ftp://b.example", "https://ok.example"],
        allow_methods=["GET", "TRACE"],
        allow_headers=["Cookie", "X Y"],
        max_age=-1,
        allow_private_network="yes",
    )
    found = [(p.setting, p.value) for p in error.problems]
    assert found == [
        ("allow_private_network", "yes"),
        ("allow_origins", "https://a.example/"),
        ("allow_origins", "ftp://b.example"),
        ("max_age", -1),
        ("allow_methods", "TRACE"),
        ("allow_headers", "Cookie"),
        ("allow_headers", "X Y"),
    ]
    assert all(p.problem and p.fix for p in error.problems)
    # One line, as before: tools show it in one-line places (a CLI error, a snippet's comment).
    assert str(error).startswith("CORS policy has 7 problems: (1) allow_private_network: expected True or False")
    assert "\n" not in str(error) and "(7) allow_headers: 'X Y' is not an HTTP header name" in str(error)


def test_one_problem_keeps_its_message_and_its_fields() -> None:
    error = refused(allow_origins=["https://app.example.com/"])
    assert str(error) == (
        "allow_origins: 'https://app.example.com/' ends with '/'; browsers send the origin with no path; "
        "write 'https://app.example.com'"
    )
    assert (error.setting, error.value) == ("allow_origins", "https://app.example.com/")
    assert error.problem == "'https://app.example.com/' ends with '/'"
    assert error.fix == "browsers send the origin with no path; write 'https://app.example.com'"
    assert str(error) == f"{error.setting}: {error.problem}; {error.fix}"


def test_a_combination_names_the_settings_involved() -> None:
    error = refused(allow_origins="*", allow_credentials=True, expose_headers="*")
    assert [(p.setting, p.involves) for p in error.problems] == [
        ("allow_origins", ("allow_credentials",)),
        ("expose_headers", ("allow_credentials",)),
    ]
    assert refused(allow_origins=["https://a.example/"]).problems[0].involves == ()


def test_one_hierarchy() -> None:
    assert issubclass(PolicyError, CorsightError) and issubclass(PolicyError, ValueError)
    assert issubclass(ConfigError, PolicyError)
    assert config.ConfigError is ConfigError
    assert PolicyError("routes: a plain message").problems == [Problem("", None, "routes: a plain message")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(GOOD + BAD), max_size=8, unique=True), st.booleans())
def test_each_bad_origin_is_one_problem(origins: list[str], credentials: bool) -> None:
    bad = [o for o in origins if o in BAD]
    combinations = ["null"] if credentials and "null" in origins else []
    if not bad and not combinations:
        Policy(origins, allow_credentials=credentials)
        return
    error = refused(allow_origins=origins, allow_credentials=credentials)
    assert [p.value for p in error.problems if not p.involves] == bad
    assert [p.value for p in error.problems if p.involves] == combinations
    ids = {p.id for p in config.build_policy({"allow_origins": origins, "allow_credentials": credentials})[1]}
    assert ids == ({"E001"} if bad else set()) | ({"E010"} if combinations else set())


def test_problems_are_written_again_in_toml() -> None:
    def toml(**settings: object) -> list[str]:
        return [str(p.written_in(TOML)) for p in refused(**settings).problems]

    assert toml(allow_credentials="yes") == [
        "allow_credentials: expected true or false, got 'yes'; write true or false, not a string"
    ]
    (max_age,) = toml(max_age=10**6)
    assert "None" not in max_age and max_age.endswith("(Chromium caps it at 7200)")
    (wildcard,) = toml(allow_origins="*", allow_credentials=True)
    assert "'*' with allow_credentials = true would let" in wildcard
    assert wildcard.endswith("e.g. allow_origins = ['https://app.example.com']")
    (regex,) = toml(allow_origin_regex=r"https?://[a-z.]+", allow_credentials=True)
    assert r"e.g. 'https://[a-z0-9-]+\.example\.com'" in regex
    assert "with allow_credentials = true lets every website" in regex


def test_a_comma_joined_string_is_suggested_as_its_items() -> None:
    (problem,) = refused(allow_methods="GET, PUT").problems
    assert problem.fix == "pass a list, as in allow_methods=['GET', 'PUT']"
    assert problem.written_in(TOML).fix == "pass a list, as in allow_methods = ['GET', 'PUT']"
