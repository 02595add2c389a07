"""Showing text that corsight did not write — header values, URLs and messages from a scanned
server, a HAR file or a configuration file — without letting it act on the reader's terminal.

One rule, applied by every output path: a character that :meth:`str.isprintable` rejects is
shown as a visible escape, never written raw. That covers the C0 controls (ESC starts the
sequences that clear the screen, move the cursor or set the window title; BEL, backspace and
carriage return overwrite what was printed), DEL, the C1 controls U+0080-U+009F (U+009B is a
one-character CSI on many terminals), the format characters (bidi embeddings, overrides and
isolates U+202A-U+202E and U+2066-U+2069, zero-width characters, the soft hyphen, tag
characters: they reorder or hide text), lone surrogates (which cannot even be encoded), line
and paragraph separators, and non-ASCII spaces. Escapes read as in Python: ``\\t``, ``\\n``,
``\\r``, ``\\x1b``, ``\\u202e``, ``\\U000e0041``. A backslash already in the text is left as it
is: the human output is made safe, not reversible — the JSON output is the exact one.

- :func:`visible` for plain text (one-line errors, ``lint``, notes);
- :func:`styled` for Rich output: corsight's own markup template with the untrusted values put
  in as plain text, so a value is never read as markup (``[bold red]ALL CLEAR[/]`` prints as
  written);
- :func:`console` for the Rich console every human report prints to: it reads no markup or
  emoji codes in plain strings and escapes any control character left in what it renders, so a
  renderer that forgets :func:`styled` still cannot move the cursor;
- :func:`dumps` for JSON (``--json``, SARIF, the proxy's access log): valid JSON that decodes
  to exactly the original values, with every such character as a ``\\uXXXX`` escape (the
  standard library leaves C1, DEL, format characters and lone surrogates raw).

Out of scope: printable look-alikes (homoglyphs, full-width forms, combining marks) — they can
mislead a reader but cannot control the terminal.

Rich is imported only by the functions that need it: the proxy and the ``--json`` paths do not
load it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, *, keep: str = "") -> str:
    """``text`` with every character that is not printable written as a visible escape.

    ``keep`` names characters to leave as they are (the console keeps the line breaks and tabs
    of its own layout); values are always shown with ``keep=""``, so a value cannot start a
    line that looks like corsight's."""
    if text.isprintable():  # the common case, at C speed
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


# --- JSON ------------------------------------------------------------------------------------------

# In json.dumps(..., ensure_ascii=False) output every character outside printable ASCII is inside
# a string literal, except the newlines of `indent`: those are the only raw controls it may keep.
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e\n]")


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char.isprintable():
        return char
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells a code point above U+FFFF as a UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def dumps(data: Any, **options: Any) -> str:
    """``json.dumps(data, ensure_ascii=False, **options)`` with every non-printable character
    escaped: readable non-ASCII text stays as it is, ``json.loads`` gives back ``data``."""
    return _NOT_PLAIN_ASCII.sub(_json_escape, json.dumps(data, ensure_ascii=False, **options))


# --- Rich ------------------------------------------------------------------------------------------

_SLOT = "\x00"  # stands for a value while the template's markup is parsed; no template holds it


@functools.lru_cache(maxsize=512)
def _parsed(template: str) -> tuple[Text, tuple[int, ...]]:
    """The template's markup parsed once (templates are corsight's constants), and where its
    slots are in the plain text. The Text is shared: never modify it."""
    from rich.text import Text

    marked = Text.from_markup(template.replace("{}", _SLOT), emoji=False)
    return marked, tuple(i for i, char in enumerate(marked.plain) if char == _SLOT)


def styled(template: str, *values: object) -> Text:
    """A Rich Text from corsight's own markup ``template``, with each ``{}`` replaced by the
    next value shown as :func:`visible` plain text, in the style around its ``{}``.

    ``styled("[bold]{}[/bold] from {}", url, origin)``: the template is parsed as markup; the
    values never are."""
    from rich.text import Span, Text

    marked, slots = _parsed(template)
    if len(slots) != len(values):
        raise ValueError(f"{template!r} has {len(slots)} slots for {len(values)} values")
    shown = [visible(str(value)) for value in values]
    plain = marked.plain
    pieces: list[str] = []
    start = 0
    for slot, text in zip(slots, shown, strict=True):
        pieces += (plain[start:slot], text)
        start = slot + 1
    pieces.append(plain[start:])

    def moved(position: int) -> int:
        """Where a template position lands once the slots before it hold their values: a
        span around a slot grows to cover the whole value."""
        return position + sum(
            len(text) - 1 for slot, text in zip(slots, shown, strict=True) if slot < position
        )

    spans = [Span(moved(span.start), moved(span.end), span.style) for span in marked.spans]
    return Text("".join(pieces), style=marked.style, end=marked.end, spans=spans)


def console(*, file: IO[str] | None = None, stderr: bool = False) -> Console:
    """The Rich console for a human report: plain strings are printed as they are (no markup,
    no ``:emoji:`` codes, no highlighting), and every character it renders is printable or a
    line break or tab of its layout (Rich's own colour codes are added after that check)."""
    return _visible_console_class()(
        file=file, stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True
    )


@functools.cache
def _visible_console_class() -> type[Console]:
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment

    class VisibleConsole(Console):
        """Escapes what is left of control characters in every rendered segment: the last
        line of defence, whatever renderable a report builds."""

        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            for segment in super().render(renderable, options):
                # A control segment is Rich's own cursor movement (progress bars), not text.
                if segment.control is None and not segment.text.isprintable():
                    segment = Segment(visible(segment.text, keep="\n\t"), segment.style)
                yield segment

    return VisibleConsole
