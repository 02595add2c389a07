"""The Policy: what a server allows, validated once at construction.

Keyword names follow Starlette's ``CORSMiddleware`` so that switching is a one-line change.
Everything that can only be a mistake is refused here, every mistake at once, with a
:class:`PolicyError` whose problems name the setting, the value and the fix, so that nothing
can go wrong at request time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from corsight.errors import Clause, Plain, PolicyError, Problem, Setting
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
_CREDENTIALS = Setting("allow_credentials", True)
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


def _as_list(setting: str, value: Any, problems: list[Problem], *, star_ok: bool = True) -> tuple[str, ...]:
    """A list of strings (or ``"*"``); a bare string, which would be a bug, is a problem.

    The problems found are appended to ``problems``; what is returned is the usable part."""
    if isinstance(value, str):
        if star_ok and value == "*":
            return _WILDCARD
        # "GET, PUT" was meant as two entries: suggest them, not a one-element list.
        entries = [item.strip() for item in value.split(",") if item.strip()] or [value]
        problems.append(
            Problem.say(
                setting,
                value,
                "got the string {value}",
                "pass a list, as in {example}",
                example=Setting(setting, entries),
            )
        )
        return ()
    try:
        items = tuple(value)
    except TypeError:
        problems.append(
            Problem.say(
                setting,
                value,
                "expected a list of strings, got {value}",
                "write e.g. {example}",
                example=Setting(setting, ["..."]),
            )
        )
        return ()
    strings = []
    for item in items:
        if isinstance(item, str):
            strings.append(item)
        else:
            problems.append(
                Problem.say(setting, item, "{value} is not a string", "write each entry as a string")
            )
    if "*" in strings and not star_ok:
        problems.append(
            Problem.say(setting, "*", "{value} is not allowed here", "write the patterns themselves")
        )
        return tuple(item for item in strings if item != "*")
    if "*" in strings and len(strings) > 1:
        others = ", ".join(repr(i) for i in strings if i != "*")
        problems.append(
            Problem.say(
                setting, value, "'*' already allows everything", "remove {others}", others=Plain(others)
            )
        )
    elif "*" in strings:
        return _WILDCARD
    return tuple(strings)


def _methods(value: Any, problems: list[Problem]) -> tuple[str, ...]:
    methods = _as_list("allow_methods", value, problems)
    if methods == _WILDCARD:
        return methods
    result = []
    for method in methods:
        if not is_token(method):
            problems.append(
                Problem.say(
                    "allow_methods", method, "{value} is not an HTTP method name (a token)", _TOKEN_FIX
                )
            )
        # Browsers uppercase only the six standard methods; `patch` stays `patch` on the
        # wire and must be listed as the page's script writes it.
        elif is_forbidden_method(method):
            problems.append(
                Problem.say(
                    "allow_methods",
                    method,
                    "browsers never send {method}",
                    "remove it",
                    method=Plain(method.upper()),
                )
            )
        else:
            result.append(normalize_method(method))
    return tuple(dict.fromkeys(result))


def _header_names(
    setting: str, value: Any, problems: list[Problem], *, forbidden: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    names = _as_list(setting, value, problems)
    if names == _WILDCARD:
        return names
    result = []
    for name in names:
        lower = name.lower()
        if not is_token(name):
            problems.append(
                Problem.say(setting, name, "{value} is not an HTTP header name (a token)", _TOKEN_FIX)
            )
        elif lower in forbidden or lower.startswith(("sec-", "proxy-")):
            hint = (
                Clause("cookies travel with {credentials}", {"credentials": _CREDENTIALS})
                if lower == "cookie"
                else Plain("the browser sets it itself")
            )
            problems.append(
                Problem.say(setting, name, "script can never send {value} ({hint})", "remove it", hint=hint)
            )
        else:
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
        problems: list[Problem] = []
        for setting, flag in (
            ("allow_credentials", allow_credentials),
            ("allow_private_network", allow_private_network),
        ):
            if not isinstance(flag, bool):
                problems.append(
                    Problem.say(
                        setting,
                        flag,
                        "expected {true} or {false}, got {value}",
                        "write {true} or {false}, not a string",
                        true=True,
                        false=False,
                    )
                )
        credentials = allow_credentials is True
        normalized = []
        for origin in _as_list("allow_origins", allow_origins, problems):
            try:
                normalized.append(normalize_allowed(origin))
            except PolicyError as error:
                problems += error.problems
        normalized = list(dict.fromkeys(normalized))
        if allow_origin_regex is None:
            regexes: tuple[str, ...] = ()
        elif isinstance(allow_origin_regex, str):
            regexes = (allow_origin_regex,)
        else:
            regexes = _as_list("allow_origin_regex", allow_origin_regex, problems, star_ok=False)
        try:
            matcher = OriginMatcher(normalized, regexes)
        except PolicyError as error:
            problems += error.problems
            refused = {p.value for p in error.problems if p.setting == "allow_origin_regex"}
            regexes = tuple(r for r in regexes if r not in refused)
        if credentials:
            if "*" in normalized:
                problems.append(
                    Problem.say(
                        "allow_origins",
                        "*",
                        "{value} with {credentials} would let every website read your users' data, "
                        "and browsers reject it",
                        "list the origins of your own front ends, e.g. {example}",
                        involves=("allow_credentials",),
                        credentials=_CREDENTIALS,
                        example=Setting("allow_origins", ["https://app.example.com"]),
                    )
                )
            problems += filter(None, map(credentials_problem, regexes))
            if "null" in normalized:
                problems.append(
                    Problem.say(
                        "allow_origins",
                        "null",
                        "{value} with {credentials} lets any site read your users' data "
                        "(sandboxed iframes send 'null')",
                        "remove 'null'",
                        involves=("allow_credentials",),
                        credentials=_CREDENTIALS,
                    )
                )
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, int) or not 0 <= max_age <= MAX_MAX_AGE
        ):
            problems.append(
                Problem.say(
                    "max_age",
                    max_age,
                    "{value} is out of range",
                    f"use whole seconds from 0 to {MAX_MAX_AGE} (Chromium caps it at 7200){{none}}",
                    none=Clause(", or {none} to let browsers use their 5 s default", {"none": None}),
                )
            )
        exposed = _header_names("expose_headers", expose_headers, problems)
        if exposed == _WILDCARD and credentials:
            problems.append(
                Problem.say(
                    "expose_headers",
                    "*",
                    "{value} with {credentials} browsers read '*' as a header literally named '*'",
                    "list the headers script may read",
                    involves=("allow_credentials",),
                    credentials=_CREDENTIALS,
                )
            )
        if allow_origin_callback is not None and not callable(allow_origin_callback):
            problems.append(
                Problem.say(
                    "allow_origin_callback",
                    allow_origin_callback,
                    "{value} is not callable",
                    "pass a function of the origin that returns True or False",
                )
            )
        if (
            isinstance(origin_cache_size, bool)
            or not isinstance(origin_cache_size, int)
            or origin_cache_size < 0
        ):
            problems.append(
                Problem.say(
                    "origin_cache_size",
                    origin_cache_size,
                    "{value} is not a count",
                    "use a whole number >= 0",
                )
            )
        if (
            isinstance(origin_cache_ttl, bool)
            or not isinstance(origin_cache_ttl, (int, float))
            or origin_cache_ttl < 0
        ):
            problems.append(
                Problem.say(
                    "origin_cache_ttl",
                    origin_cache_ttl,
                    "{value} is not a duration",
                    "use a number of seconds >= 0",
                )
            )
        methods = _methods(allow_methods, problems)
        headers = _header_names("allow_headers", allow_headers, problems, forbidden=FORBIDDEN_REQUEST_HEADERS)
        if problems:
            raise PolicyError(problems)
        set_ = object.__setattr__
        set_(self, "allow_origins", tuple(normalized))
        set_(self, "allow_origin_regex", regexes)
        set_(self, "allow_methods", methods)
        set_(self, "allow_headers", headers)
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
