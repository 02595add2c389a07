"""Dynamic origins: a user's callback that decides an origin at request time (for origins kept
in a database), behind a bounded cache with a time to live, so that a flood of distinct origins
can neither grow memory nor hammer the database."""

from __future__ import annotations

import inspect
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

OriginCallback = Callable[[str], bool | Awaitable[bool]]


class DynamicOrigins:
    """Answers "is this origin allowed?" by asking a callback, remembering answers for ``ttl``
    seconds, at most ``size`` of them (least recently used first out)."""

    def __init__(self, callback: OriginCallback, *, size: int = 1024, ttl: float = 60.0) -> None:
        self.callback = callback
        self.is_async = inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(
            getattr(callback, "__call__", None)  # noqa: B004 - async callable objects
        )
        self.size = size
        self.ttl = ttl
        self._answers: OrderedDict[str, tuple[bool, float]] = OrderedDict()

    def _cached(self, origin: str) -> bool | None:
        entry = self._answers.get(origin)
        if entry is None:
            return None
        allowed, expires = entry
        if expires < time.monotonic():
            del self._answers[origin]
            return None
        self._answers.move_to_end(origin)
        return allowed

    def _remember(self, origin: str, allowed: bool) -> bool:
        self._answers[origin] = (allowed, time.monotonic() + self.ttl)
        self._answers.move_to_end(origin)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return allowed

    def allows(self, origin: str) -> bool:
        """The answer for ``origin``; calls a sync callback when it is not cached.

        For an async callback, :meth:`warm` must have been awaited first; an origin it did not
        warm is denied rather than blocking the event loop.
        """
        cached = self._cached(origin)
        if cached is not None:
            return cached
        if self.is_async:
            return False
        return self._remember(origin, bool(self.callback(origin)))

    async def warm(self, origin: str) -> None:
        """Ask an async callback about ``origin`` unless the answer is cached."""
        if self._cached(origin) is None:
            answer = self.callback(origin)
            if inspect.isawaitable(answer):
                answer = await answer
            self._remember(origin, bool(answer))
