"""The README and docs/ stay true to the code: every ``corsight.*`` name they mention exists,
every Python block compiles and its imports resolve, every ``corsight ...`` command line shown
parses with the options the command really has, and every relative link points into the
repository."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import click
import pytest

from corsight.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# A dotted name: corsight.a.b (file names such as corsight.toml, check ids such as corsight.E001
# and TOML table names such as corsight.routes are not Python names and are filtered below).
_DOTTED = re.compile(r"`[^`]*?\b(corsight(?:\.[A-Za-z_]\w*)+)")
_NOT_PYTHON = re.compile(r"^corsight\.(toml|[EW]\d{3}|routes)$")


def _blocks(language: set[str]) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for lang, body in _FENCE.findall(doc.read_text(encoding="utf-8")):
            if lang in language:
                found.append((f"{doc.relative_to(ROOT)}", body))
    return found


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ModuleNotFoundError(dotted)


def _mentioned_names() -> list[tuple[str, str]]:
    names = set()
    for doc in DOCS:
        for name in _DOTTED.findall(doc.read_text(encoding="utf-8")):
            if not _NOT_PYTHON.match(name):
                names.add((str(doc.relative_to(ROOT)), name))
    return sorted(names)


@pytest.mark.parametrize(("doc", "name"), _mentioned_names())
def test_every_mentioned_name_exists(doc: str, name: str) -> None:
    try:
        _resolve(name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{doc} mentions {name}, which does not exist ({exc})")


def test_every_python_block_compiles_and_its_imports_resolve() -> None:
    blocks = _blocks({"python", "py"})
    assert blocks
    for where, body in blocks:
        compile(body, where, "exec")
        for line in body.splitlines():
            if re.match(r"\s*(from corsight[\w.]* import |import corsight)", line):
                statement = line.split("#")[0].strip().rstrip("(")
                if statement.endswith("import"):
                    continue  # a parenthesised import list; its module is checked below
                exec(statement, {})


def _command_lines() -> list[tuple[str, list[str]]]:
    lines = []
    for where, body in _blocks({"sh", "console", "bash", "shell", ""}):
        text = re.sub(r"\\\n\s*", " ", body)  # continuation lines
        for line in text.splitlines():
            line = line.strip().removeprefix("$ ")
            if not line.startswith("corsight ") or re.match(r"corsight \w+: ", line):
                continue  # not a command, or a line of corsight's own output
            line = re.split(r"\s#\s|\s{2,}#", line)[0]
            line = re.split(r"\s[|>]\s", line)[0]
            argv = shlex.split(line)[1:]
            if any(arg.startswith("[") for arg in argv):
                continue  # a synopsis, e.g. corsight lint [FILE] [--json]
            lines.append((where, argv))
    return lines


@pytest.mark.parametrize(
    ("where", "argv"), _command_lines(), ids=lambda v: " ".join(v) if isinstance(v, list) else v
)
def test_every_command_line_shown_parses(
    where: str, argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The files a command line names (urls.txt, session.har) exist in the reader's folder.
    monkeypatch.chdir(tmp_path)
    for arg in argv:
        if re.fullmatch(r"[\w.-]+\.(txt|har|toml|json)", arg):
            (tmp_path / arg).write_text("")
    ctx = click.Context(main)
    command = main.get_command(ctx, argv[0])
    assert command is not None, f"{where}: no command {argv[0]!r}"
    try:
        command.make_context(argv[0], argv[1:], parent=ctx)
    except click.UsageError as exc:
        pytest.fail(f"{where}: `corsight {' '.join(argv)}` does not parse: {exc.format_message()}")


def test_relative_links_point_into_the_repository() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)", text) + re.findall(r"`(\.\./[^`]+)`", text):
            if re.match(r"[a-z]+:", target):
                continue
            resolved = (doc.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
            assert resolved.exists(), f"{doc.name} links to a missing file: {target}"


def test_server_lists_name_every_server_the_cli_offers() -> None:
    from corsight.check import SERVERS

    for doc in DOCS:
        for listed in re.findall(r"--server ([a-z]+(?:\|[a-z]+)+)", doc.read_text(encoding="utf-8")):
            assert set(listed.split("|")) == set(SERVERS), f"{doc.name}: --server {listed}"
