"""The shared HTTP grammar: comma-separated lists, ``#token`` lists and ``Vary``, parsed in one
place (:mod:`corsight.httpsyntax`) for both models and every tool."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corsight.httpsyntax import (
    TOKEN_CHARS,
    parse_token_list,
    split_header_values,
    split_list,
    varies_on,
    vary_names,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "corsight"
tokens = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=12)
blanks = st.text(alphabet=" \t", max_size=3)


def test_parse_token_list() -> None:
    assert parse_token_list(" PUT ,, DELETE,") == (["PUT", "DELETE"], None)
    assert parse_token_list("a b") == ([], "a b")
    assert parse_token_list(None) == ([], None)
    assert parse_token_list("GET, x y, {").invalid == "x y"


@given(st.lists(st.tuples(blanks, tokens, blanks), max_size=8), st.integers(0, 3))
def test_split_list_returns_the_items_whatever_the_blanks_and_empty_items(
    items: list[tuple[str, str, str]], empties: int
) -> None:
    value = ",".join([f"{before}{item}{after}" for before, item, after in items] + [" "] * empties)
    names = [item for _, item, _ in items]
    assert split_list(value) == names
    assert parse_token_list(value) == (names, None)


@pytest.mark.parametrize(
    ("vary", "name", "expected"),
    [
        (None, "origin", False),
        ("", "origin", False),
        ("Origin", "origin", True),
        ("Accept-Encoding,\tORIGIN", "Origin", True),
        ("*", "origin", True),
        ("X-Origin-Id", "origin", False),  # a name that contains "origin" is another name
        ("Origins", "origin", False),
        ("Access-Control-Request-Method, Origin", "access-control-request-method", True),
    ],
)
def test_varies_on_compares_whole_names(vary: str | None, name: str, expected: bool) -> None:
    assert varies_on(vary, name) is expected


def test_vary_names_are_lower_cased_and_keep_the_star() -> None:
    assert vary_names(" Origin , ,Accept ") == {"origin", "accept"}
    assert vary_names("*") == {"*"}
    assert vary_names(None) == frozenset()


def test_fetch_splitting_keeps_quoted_commas_and_empty_values() -> None:
    assert split_header_values('a, "b,c" ,,d') == ["a", '"b,c"', "", "d"]
    assert split_header_values('"x\\",y", z') == ['"x\\",y"', "z"]


def _comma_splits(path: Path) -> list[int]:
    """Lines of ``path`` that split a string on a comma by hand."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("split", "rsplit", "partition", "rpartition")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in (",", b",", ", ")
        ):
            lines.append(node.lineno)
    return lines


def test_the_browser_model_and_the_scanner_split_header_lists_only_through_httpsyntax() -> None:
    files = sorted([*(SRC / "browser").rglob("*.py"), *(SRC / "scan").rglob("*.py")])
    assert len(files) > 10
    found = {str(f.relative_to(SRC)): lines for f in files if (lines := _comma_splits(f))}
    assert found == {}
