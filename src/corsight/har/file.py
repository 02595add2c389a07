"""Reading a HAR file: bounded, strict JSON, validated once into typed records.

A HAR is untrusted input (anyone can send one with a bug report). Whatever the file holds,
:func:`load` and :func:`parse` return a :class:`Har` or raise :class:`HarError` with one line
that names what is wrong, down to the entry and the field; nothing else escapes. The size is
bounded before parsing, ``NaN``/``Infinity`` and numbers of hundreds of digits are refused,
nesting is bounded by the JSON parser's own recursion limit, and every field corsight reads
has the type the HAR 1.2 format gives it. Tool-specific fields (a leading ``_``, such as
Chrome's ``_initiator``) are read when they have the expected type and ignored otherwise:
the format leaves them to each tool.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from corsight.types import HeaderPairs

#: Larger files are refused before reading: a HAR of cross-origin requests is far smaller
#: (response bodies make the rest; export without them).
MAX_HAR_BYTES = 256 * 1024 * 1024
#: Longer integers are kept as :class:`_Oversized` (``int()`` of thousands of digits costs
#: quadratic time, and raises past 4300); a field that needs a number then refuses them.
MAX_INT_DIGITS = 30


class HarError(Exception):
    """The file is not a HAR that can be read (one line, exit status 2)."""


@dataclass(frozen=True)
class HarEntry:
    """One entry of ``log.entries``, as far as corsight reads it."""

    index: int
    method: str
    url: str
    request_headers: HeaderPairs
    cookies: bool  # ``request.cookies`` lists at least one cookie
    body: str | None  # ``request.postData.text``
    status: int  # 0 or -1: no response (a blocked request)
    response_headers: HeaderPairs
    error: str | None  # Chrome's ``_error`` / Firefox's ``_failureText``
    initiator_type: str | None
    initiator_url: str | None  # the script that made the request, where the HAR says it
    resource_type: str | None
    pageref: str | None

    @property
    def has_response(self) -> bool:
        return self.status > 0


@dataclass(frozen=True)
class Har:
    """A validated HAR: its entries in order, and its pages' titles by page id."""

    entries: tuple[HarEntry, ...]
    page_titles: Mapping[str, str]


class _Oversized:
    """A JSON integer too long to convert; refused where a number is needed."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"a {self.digits}-digit number"


def _integer(text: str) -> int | _Oversized:
    digits = len(text.lstrip("-").lstrip("0"))
    return int(text) if digits <= MAX_INT_DIGITS else _Oversized(len(text.lstrip("-")))


def _constant(name: str) -> NoReturn:
    raise HarError(f"not valid JSON: {name} is not a JSON number")


def read_json(path: str | Path) -> Any:
    """The file's JSON value (``"-"``: standard input); :class:`HarError` when it cannot be read,
    is larger than :data:`MAX_HAR_BYTES`, is not UTF-8 or is not strict JSON."""
    try:
        if str(path) == "-":
            path = "standard input"
            data = sys.stdin.buffer.read(MAX_HAR_BYTES + 1)
            size = len(data)
        else:
            with open(path, "rb") as file:
                # A regular file's size is known before reading; a FIFO or a device is read up
                # to one byte past the bound.
                size = os.fstat(file.fileno()).st_size
                data = b"" if size > MAX_HAR_BYTES else file.read(MAX_HAR_BYTES + 1)
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size > MAX_HAR_BYTES or len(data) > MAX_HAR_BYTES:
        raise HarError(
            f"{path} is larger than {MAX_HAR_BYTES >> 20} MiB: export the HAR without response"
            " bodies, or keep only the requests that matter"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HarError(f"{path} is not a HAR file: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_integer)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise HarError(f"{path} is not valid JSON ({where}: {exc.msg})") from None
    except RecursionError:
        raise HarError(f"{path} is not a HAR file: its JSON is nested too deeply") from None
    except HarError as exc:
        raise HarError(f"{path} is {exc}") from None


def load(path: str | Path) -> Har:
    """Read and validate a HAR file (:class:`HarError` with one line otherwise)."""
    data = read_json(path)
    try:
        return parse(data)
    except HarError as exc:
        raise HarError(f"{path}: {exc}") from None


# --- validation ---------------------------------------------------------------------------------


_MISSING = object()


def _kind(value: object) -> str:
    """How a wrong value is named in a message (never the value itself: it can be huge)."""
    if isinstance(value, _Oversized):
        return repr(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)  # null, true, false
    if isinstance(value, (int, float)):
        return repr(value)  # short: integers have at most MAX_INT_DIGITS digits here
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _name(where: str, field: str) -> str:
    """``entry 3: request.url`` or ``log.pages[0].id``."""
    return f"log.{field}" if where == "log" else f"{where}: {field}"


def _fail(where: str, field: str, needed: str, value: object) -> NoReturn:
    name = _name(where, field)
    if value is _MISSING:
        raise HarError(f"{name} is missing ({needed} is needed)")
    raise HarError(f"{name} must be {needed}, not {_kind(value)}")


def _text(value: object, where: str, field: str) -> str:
    if not isinstance(value, str):
        _fail(where, field, "a string", value)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise HarError(f"{_name(where, field)} is not valid Unicode (a lone surrogate escape)") from None
    return value


def _object(value: object, where: str, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        _fail(where, field, "an object", value)
    return value


def _list(value: object, where: str, field: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(where, field, "a list", value)
    return value


def _headers(value: object, where: str, field: str) -> HeaderPairs:
    found = []
    for position, item in enumerate(_list(value, where, field)):
        header = _object(item, where, f"{field}[{position}]")
        name = _text(header.get("name", _MISSING), where, f"{field}[{position}].name")
        found.append((name, _text(header.get("value", _MISSING), where, f"{field}[{position}].value")))
    return tuple(found)


def _optional_text(mapping: Mapping[str, Any], key: str) -> str | None:
    """A tool-specific string field: read when it is a (valid) string, else ignored."""
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _initiator(entry: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Chrome's ``_initiator``: its type, and the URL of the script that made the request
    (its own ``url``, else the first http(s) frame of its async stack)."""
    initiator = entry.get("_initiator")
    if not isinstance(initiator, dict):
        return None, None
    kind = _optional_text(initiator, "type")
    url = _optional_text(initiator, "url")
    stack = initiator.get("stack")
    while url is None and isinstance(stack, dict):  # a chain of parents: a loop, not recursion
        frames = stack.get("callFrames")
        for frame in frames if isinstance(frames, list) else []:
            candidate = _optional_text(frame, "url") if isinstance(frame, dict) else None
            if candidate and candidate.startswith(("http://", "https://")):
                url = candidate
                break
        stack = stack.get("parent")
    return kind, url


def _entry(index: int, value: object) -> HarEntry:
    where = f"entry {index}"
    if not isinstance(value, dict):
        raise HarError(f"{where} must be an object, not {_kind(value)}")
    request = _object(value.get("request", _MISSING), where, "request")
    response = _object(value.get("response", _MISSING), where, "response")
    method = _text(request.get("method", _MISSING), where, "request.method")
    if not method:
        raise HarError(f"{where}: request.method is empty")
    status = response.get("status", _MISSING)
    # No response is 0 (Chrome, Firefox) or -1 (Playwright).
    if isinstance(status, bool) or not isinstance(status, int) or not -1 <= status <= 999:
        _fail(where, "response.status", "an integer from -1 to 999", status)
    cookies = request.get("cookies", [])
    body = None
    if "postData" in request:
        post = _object(request["postData"], where, "request.postData")
        if "text" in post:
            body = _text(post["text"], where, "request.postData.text")
    pageref = value.get("pageref")
    initiator_type, initiator_url = _initiator(value)
    return HarEntry(
        index=index,
        method=method,
        url=_text(request.get("url", _MISSING), where, "request.url"),
        request_headers=_headers(request.get("headers", _MISSING), where, "request.headers"),
        cookies=bool(_list(cookies, where, "request.cookies")),
        body=body,
        status=status,
        response_headers=_headers(response.get("headers", _MISSING), where, "response.headers"),
        error=_optional_text(response, "_error")
        or _optional_text(response, "_failureText")
        or _optional_text(value, "_error"),
        initiator_type=initiator_type,
        initiator_url=initiator_url,
        resource_type=_optional_text(value, "_resourceType"),
        pageref=None if pageref is None else _text(pageref, where, "pageref"),
    )


def _page_titles(pages: object) -> dict[str, str]:
    titles: dict[str, str] = {}
    for index, value in enumerate(_list(pages, "log", "pages")):
        page = _object(value, "log", f"pages[{index}]")
        if "id" in page and "title" in page:
            titles[_text(page["id"], "log", f"pages[{index}].id")] = _text(
                page["title"], "log", f"pages[{index}].title"
            )
    return titles


def parse(data: object) -> Har:
    """Validate a HAR's JSON value into a :class:`Har` (:class:`HarError` otherwise)."""
    if not isinstance(data, dict) or not isinstance(data.get("log"), dict):
        raise HarError("not a HAR file: no 'log' object at the top")
    log = data["log"]
    entries = log.get("entries")
    if not isinstance(entries, list):
        raise HarError("not a HAR file: 'log' has no 'entries' list")
    return Har(
        entries=tuple(_entry(index, value) for index, value in enumerate(entries)),
        page_titles=_page_titles(log.get("pages", [])),
    )


__all__: Sequence[str] = ("MAX_HAR_BYTES", "Har", "HarEntry", "HarError", "load", "parse", "read_json")
