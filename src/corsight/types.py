"""Type aliases shared by the models, the adapters and the tools, each defined once here.

Header lines keep their order and repeats (a ``Vary`` or ``Access-Control-Allow-Origin`` sent
twice matters to a browser), so they are pairs, never a dict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

#: One header line as text: ``("Access-Control-Allow-Origin", "https://app.example.com")``.
HeaderPair = tuple[str, str]

#: Header lines kept as they are (a response seen, a decision's headers): immutable, ordered.
HeaderPairs = tuple[HeaderPair, ...]

#: Header lines read in order: a tuple, a list, whatever a caller holds.
HeaderLines = Sequence[HeaderPair]

#: Request headers as a caller may give them: a mapping, header lines, or none.
HeaderInput = Mapping[str, str] | HeaderLines | None

#: One header line as an ASGI server sends it: lowercase name and value, in bytes.
RawHeaderPair = tuple[bytes, bytes]

#: ASGI header lines, as a scope or a ``http.response.start`` message carries them.
RawHeaders = Iterable[RawHeaderPair]

#: ASGI header lines being built, in order (the proxy's filtered request and response heads).
RawHeaderList = list[RawHeaderPair]

#: ``allow_origin_callback``: is this origin allowed? ``True`` or ``False``, or an awaitable of
#: one, which adapters that can await (ASGI, aiohttp, async Django) await.
OriginCallback = Callable[[str], bool | Awaitable[bool]]
