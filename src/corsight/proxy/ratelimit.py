"""Per-origin and per-client rate limits, with the ``limits`` library.

In memory by default; with a Redis URL every proxy process shares the same counters. Limits
use a sliding window counter: smooth like a moving window, at the cost of a fixed one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter


@dataclass(frozen=True)
class Refusal:
    """A limit that was hit: what to tell the client and when to come back."""

    scope: str  # "origin" or "client"
    limit: str
    retry_after: int


class RateLimiter:
    """Checks a request's origin and client address against the configured limits."""

    def __init__(self, per_origin: str | None, per_client: str | None, redis_url: str | None = None) -> None:
        self.per_origin: list[RateLimitItem] = parse_many(per_origin) if per_origin else []
        self.per_client: list[RateLimitItem] = parse_many(per_client) if per_client else []
        self.storage: Storage
        if redis_url is not None:
            self.storage = RedisStorage(
                "async+" + redis_url, implementation="redispy", key_prefix="corsight-proxy"
            )
        else:
            self.storage = MemoryStorage()
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)

    @property
    def active(self) -> bool:
        return bool(self.per_origin or self.per_client)

    async def check(self, origin: str | None, client: str | None) -> Refusal | None:
        """Count one request; a :class:`Refusal` when a limit is exceeded."""
        checks = []
        if origin is not None:
            checks += [("origin", item, origin) for item in self.per_origin]
        if client is not None:
            checks += [("client", item, client) for item in self.per_client]
        for scope, item, key in checks:
            if not await self.limiter.hit(item, scope, key):
                stats = await self.limiter.get_window_stats(item, scope, key)
                retry = max(1, math.ceil(stats.reset_time - time.time()))
                return Refusal(scope, str(item), retry)
        return None

    async def ping(self) -> bool:
        try:
            return bool(await self.storage.check())
        except Exception:
            return False
