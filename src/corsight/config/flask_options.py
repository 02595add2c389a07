"""flask-cors options and a Flask app's ``CORS_*`` config → a :class:`~corsight.routing.Router`,
so that an app configured for flask-cors answers browsers as before, for its safe settings.

flask-cors's names (``origins``, ``supports_credentials``…) and corsight's are both read, with
flask-cors's defaults under them, and ``resources`` becomes routes. What flask-cors accepted but
that was unsafe or ambiguous — its default ``origins='*'`` with ``supports_credentials=True``,
prefix-matched regexes — is a problem with its fix. Pure: no Flask import.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from corsight.config.environment import split_list
from corsight.config.loading import build_policy
from corsight.config.migration import any_origin_with_credentials, ends_anchored, prefix_regex
from corsight.config.problems import E_COMBINATION, E_CONFLICT, E_ROUTES, E_UNKNOWN, without_repeats
from corsight.errors import ConfigError, Plain, PolicyError, Problem
from corsight.origins import normalize_allowed
from corsight.policy import Policy
from corsight.routing import RouteKey, Router

#: flask-cors's defaults, kept so that a migrated app answers browsers as before.
FLASK_CORS_DEFAULTS: dict[str, Any] = {
    "origins": "*",
    "methods": ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"],
    "allow_headers": "*",
    "expose_headers": [],
    "supports_credentials": False,
    "max_age": None,
    "allow_private_network": False,
}

#: flask-cors name → corsight name.
FLASK_CORS_NAMES = {
    "origins": "allow_origins",
    "methods": "allow_methods",
    "allow_headers": "allow_headers",
    "expose_headers": "expose_headers",
    "supports_credentials": "allow_credentials",
    "max_age": "max_age",
    "allow_private_network": "allow_private_network",
}

#: corsight names accepted as they are (those that are not also flask-cors names).
CORSIGHT_NAMES = frozenset(
    {
        "allow_origins",
        "allow_origin_regex",
        "allow_methods",
        "allow_credentials",
        "allow_origin_callback",
        "origin_cache_size",
        "origin_cache_ttl",
    }
)

#: flask-cors options whose behaviour corsight has built in; accepted and ignored.
#: send_wildcard: '*' is sent when any origin is allowed without credentials, otherwise the
#: origin; automatic_options: preflights are always answered; vary_header: Vary is always
#: right; always_send: requests without Origin need no CORS headers; intercept_exceptions:
#: error responses always keep their CORS headers.
BUILT_IN = frozenset(
    {"send_wildcard", "automatic_options", "vary_header", "always_send", "intercept_exceptions"}
)

#: Characters that made flask-cors treat an origin string as a regex.
_REGEX_CHARS = frozenset("*\\]?$^[()")

_EVERY_PATH = frozenset({"*", "/*", ".*", "/.*", "/(.*)", "^/.*", "^.*", "^/*", "/.*$", "^/.*$", ".*$"})


# --- reading flask-cors options -------------------------------------------------------------------------


def _as_items(value: Any) -> Any:
    """flask-cors accepted a single string where a list was meant; corsight's Policy does not."""
    return split_list(value) if isinstance(value, str) else value


def _is_corsight_pattern(text: str) -> bool:
    """``https://*.example.com`` or ``http://localhost:*``: a corsight origin pattern."""
    if set(text) & _REGEX_CHARS != {"*"}:
        return False
    try:
        normalize_allowed(text)
    except PolicyError:
        return False
    return True


def _origins(value: Any, setting: str, source: str, problems: list[Problem]) -> tuple[Any, list[str]]:
    """flask-cors ``origins`` → (corsight ``allow_origins``, regexes)."""
    if value == "*" or not isinstance(value, (str, list, tuple, set, re.Pattern)):
        return value, []
    items: Iterable[Any] = [value] if isinstance(value, (str, re.Pattern)) else value
    origins: list[str] = []
    regexes: list[str] = []
    for item in items:
        pattern = item.pattern if isinstance(item, re.Pattern) else None
        if pattern is None and isinstance(item, str):
            if item == "*" or not set(item) & _REGEX_CHARS or _is_corsight_pattern(item):
                origins.append(item)
                continue
            pattern = item
        if pattern is None:
            origins.append(item)  # not a string: the Policy names the problem
            continue
        problem = prefix_regex(setting, pattern, "flask-cors", source)
        if problem is not None:
            problems.append(problem)
            continue
        regexes.append(pattern.removeprefix("^"))
    return origins, regexes


def _max_age(value: Any) -> Any:
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def translate(
    options: Mapping[str, Any], name: Callable[[str], str] = str, source: str = ""
) -> tuple[dict[str, Any], list[Problem]]:
    """flask-cors (and corsight) keyword options → the Policy's keyword arguments, and every
    problem found. Keys absent from ``options`` are not filled in (see :data:`FLASK_CORS_DEFAULTS`)."""
    problems: list[Problem] = []
    settings: dict[str, Any] = {}
    given: dict[str, str] = {}  # corsight name -> the name the user wrote
    for key, value in options.items():
        if key in BUILT_IN or key == "resources":
            continue
        target = FLASK_CORS_NAMES.get(key) or (key if key in CORSIGHT_NAMES else None)
        if target is None:
            known = sorted({*FLASK_CORS_NAMES, *CORSIGHT_NAMES, *BUILT_IN, "resources"})
            close = difflib.get_close_matches(key, known, n=1)
            fix = f"did you mean {name(close[0])}?" if close else "remove it"
            problems.append(
                Problem.say(name(key), value, "not a CORS option", fix, id=E_UNKNOWN, source=source)
            )
            continue
        if target in given:
            problems.append(
                Problem.say(
                    name(key),
                    value,
                    "{value} sets the same thing as {other}",
                    "keep one of the two",
                    id=E_CONFLICT,
                    source=source,
                    other=Plain(name(given[target])),
                )
            )
            continue
        given[target] = key
        if key == "origins":
            origins, regexes = _origins(value, name(key), source, problems)
            settings["allow_origins"] = origins
            if regexes:
                settings["allow_origin_regex"] = [*settings.get("allow_origin_regex", []), *regexes]
        elif target in ("allow_methods", "allow_headers", "expose_headers"):
            settings[target] = _as_items(value)
        elif target == "max_age":
            settings[target] = _max_age(value)
        elif target == "allow_origin_regex" and "allow_origin_regex" in settings:
            regex = [value] if isinstance(value, str) else list(value)
            settings[target] = [*regex, *settings[target]]
        else:
            settings[target] = value
    return settings, problems


_FLASK_NAME = {corsight: flask for flask, corsight in FLASK_CORS_NAMES.items()}


def _displayer(
    resource: Mapping[str, Any], given: Iterable[str], written: Mapping[str, str], where: str
) -> Callable[[str], str]:
    """Problems name settings as the user wrote them: ``origins``, ``CORS_ORIGINS``,
    ``resources['/api/*'].origins``, or corsight's own name when that is what was used."""
    present = {*resource, *given}

    def display(key: str) -> str:
        flask_name = _FLASK_NAME.get(key)
        if flask_name is not None and (flask_name in present or key not in present):
            key = flask_name
        if key in resource:
            return f"{where}.{key}"
        return written.get(key, key)

    return display


def _policy(
    options: Mapping[str, Any], display: Callable[[str], str], source: str = ""
) -> tuple[Policy | None, list[Problem]]:
    """One Policy from merged flask-cors options (flask-cors's defaults under them)."""
    settings, problems = translate(options, display, source)
    defaults, _ = translate(FLASK_CORS_DEFAULTS)
    merged = {**defaults, **settings}
    if "allow_origin_regex" in settings and "allow_origins" not in settings:
        merged["allow_origins"] = []  # regexes given: the default '*' would make them pointless
    if merged.get("allow_credentials") is True and merged.get("allow_origins") == "*":
        problems.append(
            any_origin_with_credentials(
                display("allow_origins"),
                "*",
                library="flask-cors",
                credentials="supports_credentials=True",
                fix="list the front ends that may call you with cookies: "
                "CORS(app, origins=['https://app.example.com'], supports_credentials=True)",
                which=" (given)" if "allow_origins" in settings else " (flask-cors's default)",
                source=source,
            )
        )
        merged.pop("allow_credentials")
    if options.get("send_wildcard") is True and options.get("supports_credentials") is True:
        problems.append(
            Problem.say(
                display("send_wildcard"),
                True,
                "{value} with supports_credentials=True browsers reject 'Access-Control-Allow-Origin: *'",
                "remove send_wildcard",
                id=E_COMBINATION,
                source=source,
            )
        )
    policy, found = build_policy(merged, display, source)
    problems += found
    return (policy if not problems else None), problems


_EVERY = object()  # a resources key that covers every path


def _route_key(key: Any, setting: str, problems: list[Problem]) -> RouteKey | object | None:
    """A flask-cors ``resources`` key → a Router key, :data:`_EVERY`, or ``None`` (a problem)."""
    if isinstance(key, re.Pattern):
        return key  # corsight full-matches it against the path
    if not isinstance(key, str):
        problems.append(Problem.say(setting, key, "{value} is not a path regex", "use a string", id=E_ROUTES))
        return None
    if key in _EVERY_PATH:
        return _EVERY
    text = key.removeprefix("^")
    exact = ends_anchored(text) and not text.endswith("\\Z")
    if exact:
        text = text[:-1]
    for suffix in ("/.*", "/*", ".*"):
        if not exact and text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if text.startswith("/") and not set(text) & (_REGEX_CHARS | set("+{}|")):
        # "." stays literal: narrower than flask-cors's "any character", never broader.
        return re.compile(re.escape(text)) if exact else text.rstrip("/") or "/"
    problems.append(
        Problem.say(
            setting,
            key,
            "{value} is a regex that flask-cors matched at the start of the path (re.match), so its "
            "meaning cannot be carried over unchanged",
            "write a corsight route key: '/api' (the path and everything under it), a glob "
            "'/api/*/items' ('*' is one path segment, '**' several), or re.compile(r'...') "
            "matching the whole path",
            id=E_ROUTES,
        )
    )
    return None


def router_from_options(options: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> Router:
    """The Router for flask-cors-style ``options`` over ``CORS_*`` ``config``; raises
    :class:`~corsight.errors.ConfigError` listing every problem."""
    problems: list[Problem] = []
    written: dict[str, str] = {}
    merged: dict[str, Any] = {}
    config = config or {}
    for key, value in config.items():
        if key.startswith("CORS_") and key != "CORS_RESOURCES":
            merged[key[5:].lower()] = value
            written[key[5:].lower()] = key
    for key, value in options.items():
        written.pop(key, None)
        merged[key] = value
    resources = merged.pop("resources", config.get("CORS_RESOURCES"))
    resources_name = "resources" if "resources" in options else "CORS_RESOURCES"
    if resources is None or isinstance(resources, (str, re.Pattern)):
        resources = {resources or "/*": {}}
    elif isinstance(resources, (list, tuple)):
        resources = {key: {} for key in resources}
    elif not isinstance(resources, Mapping):
        problems.append(
            Problem.say(resources_name, resources, "{value} is not a dict, list or string", id=E_ROUTES)
        )
        resources = {}
    routes: list[tuple[RouteKey, Policy | None]] = []
    default: Policy | None = None
    for key, resource in resources.items():
        where = f"{resources_name}[{key!r}]"
        if not isinstance(resource, Mapping):
            problems.append(
                Problem.say(where, resource, "{value} must be a dict of options", "e.g. {{}}", id=E_ROUTES)
            )
            continue
        route = _route_key(key, where, problems)
        policy, found = _policy({**merged, **resource}, _displayer(resource, merged, written, where))
        problems += found
        if route is None or policy is None:
            continue
        if route is _EVERY:
            default = policy
        else:
            routes.append((route, policy))  # type: ignore[arg-type]
    problems = without_repeats(problems)
    if problems:
        raise ConfigError(problems)
    return Router(routes, default=default)
