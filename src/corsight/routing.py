"""Per-route policies: a :class:`Router` picks the policy for a request by its path.

The path is the one the wrapped application routes on, relative to where it is mounted
(ASGI ``scope["path"]`` without ``scope["root_path"]``, WSGI ``PATH_INFO``, aiohttp's path
without the sub-application prefix), matched exactly: no ``+`` to space, no case folding, no
``..`` resolution, so a request cannot reach a route under one policy while matching another
(the flask-cors CVE class). Literal prefixes are looked up longest first, by hashing, then
patterns in the order given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Union

from corsight.engine import Engine
from corsight.errors import PolicyError
from corsight.policy import Policy

RouteKey = Union[str, "re.Pattern[str]"]


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` matches within one path segment, ``**`` across segments."""
    parts = re.split(r"(\*\*|\*)", pattern)
    regex = "".join({"**": ".*", "*": "[^/]*"}.get(part, re.escape(part)) for part in parts)
    return re.compile(regex)


def relative_path(path: str, root: str) -> str:
    """``path`` as the application mounted at ``root`` routes it: without ``root`` when the path
    starts with it followed by ``/`` or nothing (the mount point itself is ``/``), else as is
    (``/apiary`` is not under ``/api``; some servers already leave the root out)."""
    if not root or not path.startswith(root):
        return path
    rest = path[len(root) :]
    if not rest:
        return "/"
    return rest if rest[0] == "/" else path


class Router:
    """Policies by path.

    ``Router({"/api/": api_policy, "/public/**": public_policy, re.compile(r"/v[0-9]+/.*"):
    v_policy}, default=None)``. A literal key ``"/api"`` covers ``/api`` and everything under
    ``/api/`` (not ``/apiary``); a key ending in ``/`` covers what is under it; keys with ``*``
    are globs; compiled regexes must match the whole path. A route mapped to ``None`` gets no
    CORS handling at all, like a path no route covers when ``default`` is ``None``.

    Which path is matched:

    - **Relative to the mount point.** Keys are written as the wrapped application's own
      routes are: a Router for an app mounted at ``/v1`` (Starlette ``Mount``, FastAPI
      ``app.mount``, ``uvicorn --root-path /v1``, an aiohttp sub-app) says ``"/items"``, not
      ``"/v1/items"``. ASGI adapters remove ``root_path`` from ``path`` when the path starts
      with it followed by ``/`` or nothing (Starlette's rule; servers that leave ``root_path``
      out of ``path`` are unaffected); the mount point itself is ``/``, as is an empty WSGI
      ``PATH_INFO``.
    - **Decoded as the framework routes it.** ASGI ``path`` and WSGI ``PATH_INFO`` are
      percent-decoded, so ``/api%2Fadmin/x`` is matched as ``/api/admin/x``, the route
      Starlette or Flask serves it from (never ``raw_path``, which would let ``%2F`` slip past
      a key). aiohttp routes on its ``path_safe`` (``%2F`` stays encoded, one segment), so that
      is what its adapter matches.
    - **Trailing slashes as sent.** ``/items`` and ``/items/`` are different paths; a literal
      key ``"/items"`` covers both, a key ``"/items/"`` only the second, and globs and regexes
      match exactly what they say. A framework that redirects one spelling to the other
      answers the redirect under the policy of the path requested; the redirected request is
      decided again.
    """

    def __init__(
        self,
        routes: Mapping[RouteKey, Policy | None] | Iterable[tuple[RouteKey, Policy | None]] = (),
        default: Policy | None = None,
    ) -> None:
        items = list(routes.items()) if isinstance(routes, Mapping) else list(routes)
        engines: dict[int, Engine] = {}  # one engine per policy object

        def engine(policy: Policy | None) -> Engine | None:
            if policy is None:
                return None
            if not isinstance(policy, Policy):
                raise PolicyError(
                    f"routes: {policy!r} is not a corsight.Policy; map each path to Policy(...) or None"
                )
            return engines.setdefault(id(policy), Engine(policy))

        self._exact: dict[str, Engine | None] = {}
        self._prefixes: dict[str, Engine | None] = {}
        self._patterns: list[tuple[re.Pattern[str], Engine | None]] = []
        for key, policy in items:
            target = engine(policy)
            if isinstance(key, re.Pattern):
                self._patterns.append((key, target))
            elif not isinstance(key, str) or not key.startswith("/"):
                raise PolicyError(
                    f"routes: {key!r} is not a route; write a path starting with '/' or a compiled regex"
                )
            elif "*" in key:
                self._patterns.append((_glob(key), target))
            elif key.endswith("/"):
                self._prefixes.setdefault(key, target)
            else:
                self._exact.setdefault(key, target)
                self._prefixes.setdefault(key + "/", target)
        self._lengths = sorted({len(p) for p in self._prefixes}, reverse=True)
        self._default = engine(default)
        self.engines = tuple(engines.values())
        #: The engine for every path when there are no routes, only a default (adapters then
        #: skip the path lookup); ``None`` otherwise.
        self.single = self._default if not items else None

    @classmethod
    def of(cls, policy: Policy | Router | None, settings: Mapping[str, Any]) -> Router:
        """The router an adapter uses: the one given, a Policy for every path, or a Policy
        built from Starlette-style keyword arguments (never both)."""
        if policy is not None and settings:
            raise TypeError(f"pass either policy= or keyword settings, not both (got {sorted(settings)})")
        if isinstance(policy, Router):
            return policy
        if policy is None:
            return cls(default=Policy(**settings))
        if not isinstance(policy, Policy):
            raise TypeError(f"policy= takes a corsight.Policy or Router, got {policy!r}")
        return cls(default=policy)

    @property
    def is_async(self) -> bool:
        """Whether some policy has an async origin callback (only ASGI can await it)."""
        return any(e.is_async for e in self.engines)

    def engine_for(self, path: str) -> Engine | None:
        """The engine for a request path, or ``None`` when no policy covers it."""
        if self.single is not None:
            return self.single
        path = path or "/"  # the root of a mounted app: WSGI's empty PATH_INFO
        if path in self._exact:
            return self._exact[path]
        for length in self._lengths:
            if len(path) >= length and path[:length] in self._prefixes:
                return self._prefixes[path[:length]]
        for pattern, target in self._patterns:
            if pattern.fullmatch(path):
                return target
        return self._default

    def policy_for(self, path: str) -> Policy | None:
        """The policy for a request path, or ``None`` when no policy covers it."""
        engine = self.engine_for(path)
        return engine.policy if engine is not None else None
