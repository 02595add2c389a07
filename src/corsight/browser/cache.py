"""The CORS-preflight cache, as an object the caller owns and passes to each fetch.

Modelled on Chromium's ``PreflightCache``: one entry per (serialized request origin, URL) —
the origin is ``null`` for a tainted request, so tainted and untainted requests never share
entries — holding the last successful preflight's result and its expiry. A non-credentialed
entry never serves a credentialed request; ``*`` in an entry only counts when the entry was
made without credentials. Time is a number of seconds the caller supplies (``now``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corsight.browser.checks import PreflightResult
from corsight.browser.request import Request


@dataclass(frozen=True)
class CacheEntry:
    result: PreflightResult
    expires_at: float


@dataclass
class PreflightCache:
    """``{(origin, url): entry}``; empty at first. Share one between fetches to model a tab."""

    entries: dict[tuple[str, str], CacheEntry] = field(default_factory=dict)
    authorization_covered_by_wildcard: bool = True

    def store(self, serialized_origin: str, url: str, result: PreflightResult, now: float) -> bool:
        """Remember a successful preflight; returns False when max-age makes it unusable
        (0 or negative: the entry would already be expired)."""
        key = (serialized_origin, url)
        if result.max_age <= 0:
            self.entries.pop(key, None)
            return False
        self.entries[key] = CacheEntry(result, now + result.max_age)
        return True

    def clear(self, serialized_origin: str, url: str) -> None:
        self.entries.pop((serialized_origin, url), None)

    def lookup(self, serialized_origin: str, url: str, now: float) -> CacheEntry | None:
        entry = self.entries.get((serialized_origin, url))
        if entry is None:
            return None
        if entry.expires_at <= now:
            del self.entries[(serialized_origin, url)]
            return None
        return entry

    def can_skip_preflight(self, request: Request, serialized_origin: str, url: str, now: float) -> bool:
        """Whether a live entry already allows this request's method and headers."""
        entry = self.lookup(serialized_origin, url, now)
        if entry is None:
            return False
        result = entry.result
        if request.credentials_included and not result.credentials:
            return False
        if request.use_cors_preflight and request.method not in result.methods:
            return False
        if result.method_failure(request.method) is not None:
            return False
        failure = result.header_failure(
            request, authorization_covered_by_wildcard=self.authorization_covered_by_wildcard
        )
        return failure is None
