"""The origin callback: a user's function that decides an origin at request time (for origins
kept in a database), behind a bounded answer cache with a time to live, so that a flood of
distinct origins can neither grow memory nor hammer the database.

A callback's answer counts only when it is exactly ``True`` or ``False``. Anything else (a
coroutine from an async function that does not look async, a truthy string, ``None``, an
exception) denies the origin and logs one error on the ``corsight.origin_callback`` logger: a
broken callback fails closed and says so, it never admits every origin.

The time to live is measured on a clock the engine is given (``time.monotonic`` unless a test
or an embedding passes its own), never read here behind the caller's back.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from corsight.types import OriginCallback

#: Seconds on a monotonic scale: what the answer cache measures its time to live on.
Clock = Callable[[], float]

logger = logging.getLogger(__name__)


def looks_async(callback: object) -> bool:
    """Whether calling ``callback`` returns an awaitable, as far as can be told without calling
    it: async functions, also behind ``functools.wraps``, ``lru_cache`` or ``partial``, and
    objects with an async ``__call__``. A lambda around an async function cannot be told."""
    seen = callback
    while True:
        if inspect.iscoroutinefunction(seen) or inspect.iscoroutinefunction(
            getattr(seen, "__call__", None)  # noqa: B004 - async callable objects
        ):
            return True
        if isinstance(seen, functools.partial):
            seen = seen.func
            continue
        wrapped = getattr(seen, "__wrapped__", None)
        if wrapped is None or wrapped is seen:
            return False
        seen = wrapped


class OriginCallbackCache:
    """Answers "is this origin allowed?" by asking a callback, remembering answers for ``ttl``
    seconds of ``clock`` (``time.monotonic`` by default), at most ``size`` of them (least
    recently used first out)."""

    def __init__(
        self,
        callback: OriginCallback,
        *,
        size: int = 1024,
        ttl: float = 60.0,
        clock: Clock | None = None,
    ) -> None:
        self.callback = callback
        self.clock = time.monotonic if clock is None else clock
        #: Whether the callback is known to be async, so that only an adapter that awaits can
        #: use it (synchronous adapters refuse it when they start).
        self.is_async = looks_async(callback)
        self.size = size
        self.ttl = ttl
        self._answers: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        self._lock = threading.Lock()  # WSGI servers ask from many threads
        #: Answers of awaitables the callback returned, for as long as something keeps them.
        self._settled: weakref.WeakKeyDictionary[Any, object] = weakref.WeakKeyDictionary()

    def _cached(self, origin: str) -> bool | None:
        with self._lock:
            entry = self._answers.get(origin)
            if entry is None:
                return None
            allowed, expires = entry
            if expires <= self.clock():
                del self._answers[origin]
                return None
            self._answers.move_to_end(origin)
            return allowed

    def _remember(self, origin: str, allowed: bool) -> bool:
        if self.size and self.ttl:
            with self._lock:
                self._answers[origin] = (allowed, self.clock() + self.ttl)
                self._answers.move_to_end(origin)
                while len(self._answers) > self.size:
                    self._answers.popitem(last=False)
        return allowed

    def _answer(self, origin: str, answer: object) -> bool:
        if answer is True or answer is False:
            return self._remember(origin, answer)
        if inspect.iscoroutine(answer):
            answer.close()  # an awaitable's answer is not awaited again
        logger.error(
            "allow_origin_callback returned %r for %r, not True or False; the origin is denied. "
            "Return exactly True or False.",
            answer,
            origin,
        )
        return False

    def _call(self, origin: str) -> object:
        try:
            return self.callback(origin)
        except Exception:
            logger.exception("allow_origin_callback raised for %r; the origin is denied", origin)
            return False  # logged once, here; not remembered, so the next request asks again

    def allows(self, origin: str) -> bool:
        """The answer for ``origin``, from the cache or a synchronous call of the callback.

        An awaitable answer cannot be awaited here (a WSGI server, or :meth:`Engine.decide`
        called directly): the origin is denied, loudly.
        """
        cached = self._cached(origin)
        if cached is not None:
            return cached
        answer = self._call(origin)
        if inspect.isawaitable(answer):
            if inspect.iscoroutine(answer):
                answer.close()  # never run: no "was never awaited" warning on top of the error
            logger.error(
                "allow_origin_callback returned an awaitable for %r in a synchronous server "
                "(WSGI), which cannot await it; the origin is denied. Pass a plain function "
                "that returns True or False, or serve the app with ASGI.",
                origin,
            )
            return False
        return self._answer(origin, answer)

    async def aallows(self, origin: str) -> bool:
        """The answer for ``origin``, awaiting the callback's answer when it is awaitable
        (whether or not the callback looks async)."""
        cached = self._cached(origin)
        if cached is not None:
            return cached
        answer = self._call(origin)
        if inspect.isawaitable(answer):
            awaitable = answer
            try:
                # The very awaitable it handed out before: functools.lru_cache around an async
                # function returns the same, already awaited, coroutine for the same origin.
                answer = self._settled[awaitable]
            except (KeyError, TypeError):
                try:
                    answer = await awaitable
                except Exception:
                    logger.exception("allow_origin_callback raised for %r; the origin is denied", origin)
                    return False
                with contextlib.suppress(TypeError):  # neither hashable nor weakly referable
                    self._settled[awaitable] = answer
        return self._answer(origin, answer)
