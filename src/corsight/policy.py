"""The Policy: what a server allows, validated once at construction.

Keyword names follow Starlette's ``CORSMiddleware`` so that switching is a one-line change.
Everything that can only be a mistake is refused here with a :class:`PolicyError` that names
the setting, the value and the fix, so that nothing can go wrong at request time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from corsight.errors import PolicyError
from corsight.httpsyntax import is_forbidden_method, is_token, normalize_method
from corsight.origins import OriginMatcher, normalize_allowed
from corsight.regexcheck import credentials_problem
from corsight.types import OriginCallback

#: Request headers a browser sets itself; script cannot, so allowing them is a mistake.
FORBIDDEN_REQUEST_HEADERS = frozenset({
    "accept-charset", "accept-encoding", "access-control-request-headers",
    "access-control-request-method", "connection", "content-length", "cookie", "cookie2",
    "date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te",
    "trailer", "transfer-encoding", "upgrade", "via",
})  # fmt: skip

#: Request headers always allowed, as Starlette does: browsers list ``content-type`` in a
#: preflight whenever its value is not a form type (``application/json``).
SAFELISTED_REQUEST_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})

#: The default methods: the ones a browser sends cross-origin without asking anyway.
DEFAULT_METHODS = ("GET", "HEAD", "POST")

#: Chromium caps max-age at 7200 s and Firefox at 86400 s; more than a day is a mistake.
MAX_MAX_AGE = 86400

_WILDCARD = ("*",)
_TOKEN_FIX = "use only letters, digits and !#$%&'*+-.^_`|~ (no spaces, colons or commas)"

#: Policy's keyword arguments that are plain data, which a config file or an export can hold.
DATA_SETTINGS = (
    "allow_origins",
    "allow_origin_regex",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
)
#: All of Policy's keyword arguments, in the order they are documented and reported.
SETTINGS = (*DATA_SETTINGS, "allow_origin_callback", "origin_cache_size", "origin_cache_ttl")


def _as_list(setting: str, value: Any, *, star_ok: bool = True) -> tuple[str, ...]:
    """Accept a list of strings (or ``"*"``); refuse a bare string, which would be a bug."""
    if isinstance(value, str):
        if star_ok and value == "*":
            return _WILDCARD
        raise PolicyError(f"{setting}: got the string {value!r}; pass a list, as in {setting}=[{value!r}]")
    try:
        items = tuple(value)
    except TypeError:
        raise PolicyError(
            f"{setting}: expected a list of strings, got {value!r}; write e.g. {setting}=['...']"
        ) from None
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(f"{setting}: {item!r} is not a string; write each entry as a string")
    if "*" in items:
        if not star_ok:
            raise PolicyError(f"{setting}: '*' is not allowed here; write the patterns themselves")
        if len(items) > 1:
            others = ", ".join(repr(i) for i in items if i != "*")
            raise PolicyError(f"{setting}: '*' already allows everything; remove {others}")
        return _WILDCARD
    return items


def _methods(value: Any) -> tuple[str, ...]:
    methods = _as_list("allow_methods", value)
    if methods == _WILDCARD:
        return methods
    result = []
    for method in methods:
        if not is_token(method):
            raise PolicyError(f"allow_methods: {method!r} is not an HTTP method name (a token); {_TOKEN_FIX}")
        # Browsers uppercase only the six standard methods; `patch` stays `patch` on the
        # wire and must be listed as the page's script writes it.
        if is_forbidden_method(method):
            raise PolicyError(f"allow_methods: browsers never send {method.upper()}; remove it")
        result.append(normalize_method(method))
    return tuple(dict.fromkeys(result))


def _header_names(setting: str, value: Any, *, forbidden: frozenset[str] = frozenset()) -> tuple[str, ...]:
    names = _as_list(setting, value)
    if names == _WILDCARD:
        return names
    result = []
    for name in names:
        if not is_token(name):
            raise PolicyError(f"{setting}: {name!r} is not an HTTP header name (a token); {_TOKEN_FIX}")
        lower = name.lower()
        if lower in forbidden or lower.startswith(("sec-", "proxy-")):
            hint = (
                "cookies travel with allow_credentials=True"
                if lower == "cookie"
                else "the browser sets it itself"
            )
            raise PolicyError(f"{setting}: script can never send {name!r} ({hint}); remove it")
        result.append(lower)
    return tuple(dict.fromkeys(result))


class Policy:
    """An immutable, validated CORS policy.

    ``allow_origins`` takes exact origins (``https://app.example.com``), ``"*"``, subdomain
    patterns (``https://*.example.com``: one or more labels, never the apex), any-port
    patterns (``http://localhost:*``) and ``"null"`` (only when listed).
    ``allow_origin_regex`` takes one regex or a list; each must match the whole origin, and
    with credentials none may admit a host an attacker can register (see
    :mod:`corsight.regexcheck`).
    ``allow_headers``/``allow_methods`` of ``"*"`` reflect what the preflight asked for, which
    works in browsers also with credentials and for ``Authorization``.
    ``max_age`` is how long (seconds) browsers may cache a preflight; ``None`` omits it.
    ``allow_origin_callback`` (sync or async ``origin -> bool``) decides origins the lists do
    not, at request time; answers are cached for ``origin_cache_ttl`` seconds, at most
    ``origin_cache_size`` of them. Only browsers' serializations of origins reach it, never
    ``null``; an answer other than ``True`` or ``False`` is a denial and a logged error.
    Patterns, regexes and the callback only ever see origins that pass
    :func:`corsight.originsyntax.is_serialized_origin`.
    """

    __slots__ = (
        "allow_credentials",
        "allow_headers",
        "allow_methods",
        "allow_origin_callback",
        "allow_origin_regex",
        "allow_origins",
        "allow_private_network",
        "expose_headers",
        "max_age",
        "origin_cache_size",
        "origin_cache_ttl",
        "origins",
    )

    allow_origins: tuple[str, ...]
    allow_origin_regex: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    allow_credentials: bool
    max_age: int | None
    allow_private_network: bool
    allow_origin_callback: OriginCallback | None
    origin_cache_size: int
    origin_cache_ttl: float
    origins: OriginMatcher

    def __init__(
        self,
        allow_origins: Iterable[str] | str = (),
        *,
        allow_origin_regex: str | Iterable[str] | None = None,
        allow_methods: Iterable[str] | str = DEFAULT_METHODS,
        allow_headers: Iterable[str] | str = (),
        expose_headers: Iterable[str] | str = (),
        allow_credentials: bool = False,
        max_age: int | None = 600,
        allow_private_network: bool = False,
        allow_origin_callback: OriginCallback | None = None,
        origin_cache_size: int = 1024,
        origin_cache_ttl: float = 60.0,
    ) -> None:
        for setting, flag in (
            ("allow_credentials", allow_credentials),
            ("allow_private_network", allow_private_network),
        ):
            if not isinstance(flag, bool):
                raise PolicyError(
                    f"{setting}: expected True or False, got {flag!r}; write True or False, not a string"
                )
        origins = _as_list("allow_origins", allow_origins)
        if allow_origin_regex is None:
            regexes: tuple[str, ...] = ()
        elif isinstance(allow_origin_regex, str):
            regexes = (allow_origin_regex,)
        else:
            regexes = _as_list("allow_origin_regex", allow_origin_regex, star_ok=False)
        normalized = tuple(dict.fromkeys(normalize_allowed(o) for o in origins))
        matcher = OriginMatcher(normalized, regexes)
        if allow_credentials:
            if matcher.allow_all:
                raise PolicyError(
                    "allow_origins: '*' with allow_credentials=True would let every website "
                    "read your users' data, and browsers reject it; list the origins of your "
                    "own front ends, e.g. allow_origins=['https://app.example.com']"
                )
            for regex in regexes:
                problem = credentials_problem(regex)
                if problem is not None:
                    raise problem
            if "null" in matcher.exact:
                raise PolicyError(
                    "allow_origins: 'null' with allow_credentials=True lets any site read your "
                    "users' data (sandboxed iframes send 'null'); remove 'null'"
                )
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, int) or not 0 <= max_age <= MAX_MAX_AGE
        ):
            raise PolicyError(
                f"max_age: {max_age!r} is out of range; use whole seconds from 0 to {MAX_MAX_AGE} "
                "(Chromium caps it at 7200), or None to let browsers use their 5 s default"
            )
        exposed = _header_names("expose_headers", expose_headers)
        if exposed == _WILDCARD and allow_credentials:
            raise PolicyError(
                "expose_headers: with allow_credentials=True browsers read '*' as a header "
                "literally named '*'; list the headers script may read"
            )
        if allow_origin_callback is not None and not callable(allow_origin_callback):
            raise PolicyError(
                f"allow_origin_callback: {allow_origin_callback!r} is not callable; "
                "pass a function of the origin that returns True or False"
            )
        if (
            isinstance(origin_cache_size, bool)
            or not isinstance(origin_cache_size, int)
            or origin_cache_size < 0
        ):
            raise PolicyError(
                f"origin_cache_size: {origin_cache_size!r} is not a count; use a whole number >= 0"
            )
        if (
            isinstance(origin_cache_ttl, bool)
            or not isinstance(origin_cache_ttl, (int, float))
            or origin_cache_ttl < 0
        ):
            raise PolicyError(
                f"origin_cache_ttl: {origin_cache_ttl!r} is not a duration; use a number of seconds >= 0"
            )
        set_ = object.__setattr__
        set_(self, "allow_origins", normalized)
        set_(self, "allow_origin_regex", regexes)
        set_(self, "allow_methods", _methods(allow_methods))
        set_(
            self,
            "allow_headers",
            _header_names("allow_headers", allow_headers, forbidden=FORBIDDEN_REQUEST_HEADERS),
        )
        set_(self, "expose_headers", exposed)
        set_(self, "allow_credentials", allow_credentials)
        set_(self, "max_age", max_age)
        set_(self, "allow_private_network", allow_private_network)
        set_(self, "allow_origin_callback", allow_origin_callback)
        set_(self, "origin_cache_size", origin_cache_size)
        set_(self, "origin_cache_ttl", float(origin_cache_ttl))
        set_(self, "origins", matcher)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Policy is immutable; build a new one with replace()")

    def replace(self, **changes: Any) -> Policy:
        """A new, validated Policy with some settings changed."""
        return Policy(**{**self.settings(), **changes})

    def settings(self) -> dict[str, Any]:
        """The normalized settings, as keyword arguments that rebuild this policy."""
        settings = {name: getattr(self, name) for name in SETTINGS}
        for name, value in settings.items():
            if isinstance(value, tuple):
                settings[name] = list(value)
        settings["allow_origin_regex"] = settings["allow_origin_regex"] or None
        return settings

    @property
    def allows_any_origin(self) -> bool:
        return self.origins.allow_all

    def allows_origin(self, origin: str) -> bool:
        """Whether a request ``Origin`` header value is allowed by this policy."""
        return origin in self.origins

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and self.settings() == other.settings()

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"Policy({args})"
