"""TOML files: reading one (every failure a :class:`ConfigError`), the line each key is
written on (``tomllib`` gives no positions), and :data:`TOML`, the syntax in which a problem
found in a file quotes values and settings (``allow_credentials = true``, never ``True``)."""

from __future__ import annotations

import os
import re
import string
import sys
from dataclasses import dataclass, field
from typing import Any

from corsight.config.problems import E_TYPE, E_UNREADABLE
from corsight.errors import ConfigError, Plain, Problem, Syntax, Unwritable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        tomllib = None

KeyPath = tuple[Any, ...]  # keys from the root of a document or table; an int is an index in an array


@dataclass
class Document:
    """A parsed TOML file: its data, and where each key is written."""

    source: str
    data: dict[str, Any]
    text: str
    _lines: dict[KeyPath, int] | None = field(default=None, repr=False)

    def line(self, path: KeyPath) -> int | None:
        """The line (from 1) where the key at ``path`` is written, or its array item is."""
        if self._lines is None:
            self._lines = key_lines(self.text)
        return self._lines.get(path)

    def table(self, path: KeyPath) -> dict[str, Any]:
        """The table at ``path`` (``("tool", "corsight")``); :class:`ConfigError` if absent or
        not a table."""
        table: Any = self.data
        for key in path:
            table = table.get(key) if isinstance(table, dict) else None
        if table is None:
            header = ".".join(path)
            raise ConfigError(
                Problem.say(
                    "",
                    None,
                    "has no [{header}] table",
                    "add one, or put the settings in corsight.toml",
                    id=E_UNREADABLE,
                    source=self.source,
                    header=Plain(header),
                ),
                unreadable=True,
            )
        if not isinstance(table, dict):
            raise ConfigError(
                Problem.say(
                    ".".join(path),
                    table,
                    "{value} must be a table",
                    "",
                    id=E_TYPE,
                    source=self.source,
                    line=self.line(path),
                )
            )
        return table


def read_document(path: str | os.PathLike[str]) -> Document:
    """A TOML file, parsed; raises :class:`ConfigError` (``unreadable``) naming the file."""
    source = str(path)

    def unreadable(problem: str, fix: str, line: int | None = None) -> ConfigError:
        found = Problem.say(
            "", None, "{what}", fix, id=E_UNREADABLE, source=source, line=line, what=Plain(problem)
        )
        return ConfigError(found, unreadable=True)

    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise unreadable("cannot be read: reading TOML on Python 3.10 needs tomli", "pip install tomli")
    try:
        with open(path, "rb") as file:
            text = file.read().decode("utf-8")
        data: dict[str, Any] = tomllib.loads(text)
    except OSError as exc:
        raise unreadable(f"cannot be read ({exc.strerror or exc})", "check the path") from None
    except UnicodeDecodeError as exc:
        raise unreadable(f"is not valid TOML ({exc})", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        # Python 3.14 gives the line; before, only the message says it, as "(at line 3, column 1)".
        at = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = getattr(exc, "lineno", None) or (int(at.group(1)) if at else None)
        raise unreadable(f"is not valid TOML ({exc})", "fix the syntax", line) from None
    return Document(source, data, text)


# --- where keys are written ------------------------------------------------------------------------

_BARE = frozenset(string.ascii_letters + string.digits + "-_")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2) or match.group(3)
        return chr(int(code, 16)) if code else _SIMPLE_ESCAPES.get(match.group(4), match.group(4))

    return _ESCAPE.sub(one, text)


class _Scanner:
    """One pass over a valid TOML document, noting the line of every key and array item."""

    def __init__(self, text: str) -> None:
        self.text, self.i, self.line = text, 0, 1
        self.found: dict[KeyPath, int] = {}

    def note(self, path: KeyPath) -> None:
        self.found.setdefault(path, self.line)

    def char(self) -> str:
        return self.text[self.i : self.i + 1]

    def skip(self, newlines: bool) -> None:
        """Past spaces and comments, and newlines when they may appear here."""
        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if char == "#":
                end = text.find("\n", self.i)
                self.i = len(text) if end < 0 else end
            elif char == "\n" and newlines:
                self.line += 1
                self.i += 1
            elif char in " \t\r":
                self.i += 1
            else:
                return

    def string(self) -> str:
        """Past the string starting here; its text when it is a one-line string (a key)."""
        text, start = self.text, self.i
        quote = text[start]
        delimiter = quote * 3 if text.startswith(quote * 3, start) else quote
        i = start + len(delimiter)
        while i < len(text) and not text.startswith(delimiter, i):
            i += 2 if quote == '"' and text[i] == "\\" else 1
        end = i
        i += len(delimiter)
        extra = 0
        while len(delimiter) == 3 and extra < 2 and text[i : i + 1] == quote:
            end, i, extra = end + 1, i + 1, extra + 1  # quotes before the closing three are content
        self.line += text.count("\n", start, i)
        self.i = i
        body = text[start + len(delimiter) : end]
        return _unescape(body) if quote == '"' else body

    def key(self) -> KeyPath:
        """A dotted key (``a."b c".d``), and past it."""
        parts = []
        while True:
            self.skip(newlines=False)
            if self.char() in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.i
                while self.i < len(self.text) and self.text[self.i] in _BARE:
                    self.i += 1
                parts.append(self.text[start : self.i])
            self.skip(newlines=False)
            if self.char() != ".":
                return tuple(parts)
            self.i += 1

    def assignment(self, prefix: KeyPath) -> KeyPath:
        """``key =`` in a table or an inline table; the key's full path, and past the ``=``."""
        path = prefix + self.key()
        self.note(path)
        self.skip(newlines=False)
        self.i += self.char() == "="
        return path

    def value(self, path: KeyPath) -> None:
        """Past one value and every key and item nested in it (no recursion: a stack)."""
        stack: list[list[Any]] = []  # ["[", path, index] or ["{", path]
        while True:
            self.skip(newlines=bool(stack))
            char = self.char()
            if char in ("[", "{"):
                self.i += 1
                self.skip(newlines=True)
                if self.char() in ("]", "}"):
                    self.i += 1  # an empty array or table
                elif char == "[":
                    stack.append(["[", path, 0])
                    path = (*path, 0)
                    self.note(path)
                    continue
                else:
                    stack.append(["{", path])
                    path = self.assignment(path)
                    continue
            elif char in ('"', "'"):
                self.string()
            else:
                start = self.i  # a number, a boolean or a date: up to what may follow a value
                while self.i < len(self.text) and self.text[self.i] not in ",]}\n#":
                    self.i += 1
                self.i += self.i == start and self.i < len(self.text)  # always move on
            while stack:  # after a value: the next item or key, or the end of its container
                self.skip(newlines=True)
                top, char = stack[-1], self.char()
                if char == ",":
                    self.i += 1
                    self.skip(newlines=True)
                    if top[0] == "[" and self.char() != "]":
                        top[2] += 1
                        path = (*top[1], top[2])
                        self.note(path)
                        break
                    if top[0] == "{" and self.char() != "}":
                        path = self.assignment(top[1])
                        break
                elif char in ("]", "}"):
                    self.i += 1
                    stack.pop()
                else:
                    return  # not valid TOML: give up quietly
            else:
                return

    def document(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.skip(newlines=True)
            if self.i >= len(self.text):
                return self.found
            start = self.i
            if self.char() == "[":
                double = self.text.startswith("[[", self.i)
                self.i += 2 if double else 1
                table = self.key()
                self.note(table)
                self.i += 2 if double else 1
            else:
                self.value(self.assignment(table))
            if self.i == start:
                return self.found  # not valid TOML: give up quietly


def key_lines(text: str) -> dict[KeyPath, int]:
    """The line (from 1) of each key of a TOML document by its path from the root, table
    headers included, and of each array item by the array's path and the item's index.

    One pass over the text, in time linear in its length. An array of tables is noted by its
    header's path, without an index."""
    return _Scanner(text).document()


# --- writing values as TOML ----------------------------------------------------------------------


def _string(text: str) -> str:
    """A literal string (``'...'``, backslashes as they are) when it can hold ``text``, else a
    basic string with escapes."""
    if "'" not in text and text.isprintable():
        return f"'{text}'"
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def value(data: Any) -> str:
    """``data`` as a TOML value; :class:`Unwritable` for ``None``, which TOML has no way to write."""
    if data is None:
        raise Unwritable("TOML has no null")
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, float) and data != data:
        return "nan"
    if isinstance(data, float) and data in (float("inf"), float("-inf")):
        return "inf" if data > 0 else "-inf"
    if isinstance(data, (int, float)):
        return repr(data)
    if isinstance(data, str):
        return _string(data)
    if isinstance(data, (list, tuple)):
        return "[" + ", ".join(map(value, data)) + "]"
    if isinstance(data, dict):
        return "{ " + ", ".join(f"{_key(k)} = {value(v)}" for k, v in data.items()) + " }"
    return repr(data)  # a Python object (an imported callback): there is no TOML for it


def _key(key: Any) -> str:
    text = str(key)
    return text if text and set(text) <= _BARE else _string(text)


#: How a problem found in a TOML file quotes values and settings.
TOML = Syntax(value, _string, lambda name, data: f"{name} = {value(data)}")
