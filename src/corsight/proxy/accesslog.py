"""The access log: one JSON object per line, per request, written when the response ends.

Its values come from clients and upstreams (Origin, paths, errors): they are written with
:func:`corsight.safetext.dumps`, so no control character reaches a terminal tailing the log."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from corsight.safetext import dumps


class AccessLog:
    """Writes JSON lines to stdout (``"-"``), to a file (appended), or nowhere (``"off"``)."""

    def __init__(self, where: str = "-") -> None:
        self.where = where
        self._stream: IO[str] | None
        self._owned = False
        if where == "off":
            self._stream = None
        elif where == "-":
            self._stream = sys.stdout
        else:
            self._stream = open(where, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
            self._owned = True

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def write(self, **fields: Any) -> None:
        if self._stream is None:
            return
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), **fields}
        self._stream.write(dumps(record, separators=(",", ":")) + "\n")
        if not self._owned:
            self._stream.flush()

    def close(self) -> None:
        if self._owned and self._stream is not None:
            self._stream.close()
            self._stream = None
