"""Guards how configuration files and variables are found and read (issue 12, item 4; issue 16,
lint): "a problem without the line it is on" (corsight.config.toml.key_lines must give the line
of every key and list item of any TOML document, in one linear pass, and never hang or raise on
any text), "a value quoted in Python inside a TOML file" (the TOML writer's output reads back
as the same value), "a configuration outside the project" (discovery walks up parent folders
as ruff and pytest do, and stops at the repository's root), and "an environment variable read
with the wrong type or mistaken for a typo" (typed fields; the proxy's variables are the
proxy's).
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corsight import Policy
from corsight.config import discover, load
from corsight.config.environment import Field, fields_of, read_environment
from corsight.config.toml import key_lines, value
from tests.config.test_config import allow_tenant
from tests.security.timing_ratio import LINEAR, growth

tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

ORIGIN = "https://app.example.com"

# --- the line of every key --------------------------------------------------------------------------

BARE = re.compile(r"[A-Za-z0-9_-]+")
KEYS = st.one_of(st.from_regex(BARE, fullmatch=True), st.text(max_size=6))
SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=8
)
#: Text for multi-line strings: what could fool a scanner (quotes, '=', '#', brackets, newlines).
TRICKY = st.text(alphabet="ab'\"=#[]{}.,\\ \n", max_size=30).filter(lambda t: "'''" not in t)


def _key(key: str) -> str:
    return key if BARE.fullmatch(key) else value(key)


def _note(expected: dict[tuple[Any, ...], int], path: tuple[Any, ...], data: Any, line: int) -> None:
    """Every key and item nested in an inline value is on the line of that value."""
    expected[path] = line
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, item in items:
        _note(expected, (*path, key), item, line)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[tuple[Any, ...], int]]:
    """A TOML document with the data it holds and the line of each key and item, laid out in
    every way a person writes one: comments, blank lines, multi-line arrays and strings,
    inline tables, dotted table headers."""
    lines: list[str] = []
    data: dict[str, Any] = {}
    expected: dict[tuple[Any, ...], int] = {}

    def entries(table: dict[str, Any], prefix: tuple[Any, ...]) -> None:
        for key in draw(st.lists(KEYS, max_size=4, unique=True)):
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "# a comment = [", "   "])))
            style = draw(st.sampled_from(["inline", "array", "string"]))
            path, start = (*prefix, key), len(lines) + 1
            if style == "array":
                items = draw(st.lists(SCALARS, max_size=3))
                lines.append(f"{_key(key)} = [  # items follow")
                expected[path] = start
                for index, item in enumerate(items):
                    lines.append(f"  {value(item)},")
                    expected[(*path, index)] = len(lines)
                lines.append("]")
                table[key] = items
            elif style == "string":
                text = draw(TRICKY)
                lines.append(f"{_key(key)} = '''")
                lines.extend(text.split("\n"))
                lines[-1] += "'''  # done"
                expected[path] = start
                table[key] = text
            else:
                item = draw(VALUES)
                lines.append(f"{_key(key)} = {value(item)}")
                _note(expected, path, item, start)
                table[key] = item

    entries(data, ())
    for name in draw(st.lists(KEYS, max_size=3, unique=True)):
        if name in data:
            continue
        header = (name, draw(KEYS)) if draw(st.booleans()) else (name,)
        lines.append(f"[{'.'.join(map(_key, header))}]")
        expected[header] = len(lines)
        table: dict[str, Any] = {}
        entries(table, header)
        nested = data.setdefault(name, {})
        if len(header) == 2:
            nested[header[1]] = table
        else:
            nested.update(table)
    return "\n".join(lines) + "\n", data, expected


@settings(max_examples=300, deadline=None)
@given(documents())
def test_every_key_and_item_is_found_on_its_line(document: tuple[str, dict[str, Any], dict[Any, int]]) -> None:
    text, data, expected = document
    assert tomllib.loads(text) == data  # the document says what the test thinks it says
    found = key_lines(text)
    assert {path: found.get(path) for path in expected} == expected
    assert set(found) == set(expected)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_scanned_without_error(text: str) -> None:
    key_lines(text)  # invalid TOML too: no exception, no endless loop


def test_deep_nesting_needs_no_recursion() -> None:
    depth = sys.getrecursionlimit() * 2
    found = key_lines("a = " + "[" * depth + "1" + "]" * depth + "\nb = 2\n")
    assert found[("b",)] == 2


def _configuration(entries: int) -> str:
    one = 'allow_origins = [\n  "https://a.example.com",  # x\n  \'https://b.example.com\',\n]\n'
    long = 'note = """' + "a\\\"b#c = [\n" * 4 + '"""\n'
    return "".join(f"[routes.\"/r{i}/\"]\n{one}{long}" for i in range(entries))


def test_the_scan_is_linear() -> None:
    ratio = growth(key_lines, _configuration(500), _configuration(1000))
    assert ratio < LINEAR, ratio


# --- values written as TOML -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_a_value_written_as_toml_reads_back_the_same(data: Any) -> None:
    assert tomllib.loads(f"x = {value(data)}")["x"] == data


def test_a_regex_is_written_as_its_author_writes_it() -> None:
    assert value(r"https://[a-z]+\.example\.com") == r"'https://[a-z]+\.example\.com'"
    assert value(True) == "true" and value(["GET", "PUT"]) == "['GET', 'PUT']"


# --- where the configuration is found -----------------------------------------------------------------


def test_discovery_walks_up_to_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = tmp_path / "workspace"
    repo = outer / "repo"
    deep = repo / "src" / "app"
    deep.mkdir(parents=True)
    (outer / "corsight.toml").write_text('allow_origins = ["https://other.example.com"]\n')
    (repo / ".git").mkdir()
    monkeypatch.chdir(deep)
    assert discover() is None  # the workspace's file is not this repository's
    (repo / "corsight.toml").write_text(f'allow_origins = ["{ORIGIN}"]\n')
    (repo / "src" / "pyproject.toml").write_text('[project]\nname = "app"\n')  # no [tool.corsight]
    assert discover() == Path("../../corsight.toml")
    assert load(env={}) == Policy([ORIGIN])
    (repo / "src" / "pyproject.toml").write_text('[tool.corsight]\nallow_origins = ["https://near.example"]\n')
    assert discover() == Path("../pyproject.toml")  # the nearest folder wins


def test_a_git_file_also_marks_the_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "corsight.toml").write_text(f'allow_origins = ["{ORIGIN}"]\n')
    worktree = tmp_path / "worktree"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: /elsewhere\n")  # a git worktree or submodule
    monkeypatch.chdir(worktree)
    assert discover() is None


def test_outside_a_repository_the_walk_reaches_the_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "corsight.toml").write_text(f'allow_origins = ["{ORIGIN}"]\n')
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    found = discover()
    assert found is not None and found.resolve() == (tmp_path / "corsight.toml").resolve()


# --- environment variables -----------------------------------------------------------------------------


def test_the_proxys_variables_are_not_typos_of_the_middlewares() -> None:
    settings, problems = read_environment({"CORSIGHT_PROXY_ALLOW_ORIGINS": ORIGIN, "CORSIGHT_ALLOW_ORIGINS": ORIGIN})
    assert settings == {"allow_origins": [ORIGIN]} and problems == []


def test_an_origin_callback_from_the_environment_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    policy = load(env={"CORSIGHT_ALLOW_ORIGIN_CALLBACK": "tests.config.test_config:allow_tenant"})
    assert isinstance(policy, Policy) and policy.allow_origin_callback is allow_tenant


@pytest.mark.parametrize(
    ("field", "text", "parsed"),
    [
        (Field(bool), " Yes ", True),
        (Field(bool), "off", False),
        (Field(int), "-3", -3),
        (Field(int, optional=True), "none", None),
        (Field(float), "2.5", 2.5),
        (Field(list), "a, b,,c ", ["a", "b", "c"]),
        (Field(list, separator=None), "x,1  y", ["x,1", "y"]),
    ],
)
def test_fields_parse_their_type(field: Field, text: str, parsed: Any) -> None:
    assert field.parse(text) == parsed


@pytest.mark.parametrize(
    ("field", "text"), [(Field(bool), "maybe"), (Field(int), "1_000"), (Field(int), "ten"), (Field(float), "nan")]
)
def test_fields_refuse_what_is_not_their_type(field: Field, text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        field.parse(text)


def test_fields_of_a_settings_class_and_strict_names() -> None:
    @dataclasses.dataclass(frozen=True)
    class Settings:
        hosts: tuple[str, ...] = ()
        verbose: bool = False
        port: int = 8080
        timeout: float = 1.0
        upstream: str | None = None

    fields = fields_of(Settings)
    env = {"APP_HOSTS": "a, b", "APP_VERBOSE": "1", "APP_PORT": "81", "APP_UPSTREAM": "none", "APP_PROT": "1"}
    settings, problems = read_environment(env, fields, prefix="APP_", strict=True)
    assert settings == {"hosts": ["a", "b"], "verbose": True, "port": 81, "upstream": None}
    (problem,) = problems
    assert problem.setting == "APP_PROT" and problem.fix == "did you mean APP_PORT?"
