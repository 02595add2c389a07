"""Django settings → a :class:`~corsight.routing.Router`: the ``CORSIGHT`` dict (the shape of
``corsight.toml``), or django-cors-headers' ``CORS_*`` settings with their defaults, so that a
migrated project answers browsers as before for its safe settings. Pure: takes any object with
the settings as attributes, and imports nothing of Django."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from corsight.config.loading import Loaded, build_policy, from_mapping
from corsight.config.migration import any_origin_with_credentials, prefix_regex
from corsight.config.problems import (
    E_CONFLICT,
    E_ROUTES,
    E_TYPE,
    IDS,
    W_IGNORED,
    W_NO_SETTINGS,
    without_repeats,
)
from corsight.errors import Plain, Problem
from corsight.policy import Policy
from corsight.routing import RouteKey, Router

#: The middleware, as ``MIDDLEWARE`` names it.
MIDDLEWARE_PATH = "corsight.django.middleware.CORSMiddleware"

#: django-cors-headers' defaults (4.x), used when a project still has ``CORS_*`` settings.
CORS_HEADERS_DEFAULTS: dict[str, Any] = {
    "allow_methods": ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"],
    "allow_headers": [
        "accept",
        "authorization",
        "content-type",
        "user-agent",
        "x-csrftoken",
        "x-requested-with",
    ],
    "expose_headers": [],
    "max_age": 86400,
    "allow_credentials": False,
    "allow_private_network": False,
}

#: corsight setting → django-cors-headers setting (and its older alias).
CORS_HEADERS_NAMES: dict[str, tuple[str, ...]] = {
    "allow_origins": ("CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST"),
    "allow_origin_regex": ("CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST"),
    "allow_all": ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"),
    "urls": ("CORS_URLS_REGEX",),
    "allow_methods": ("CORS_ALLOW_METHODS",),
    "allow_headers": ("CORS_ALLOW_HEADERS",),
    "expose_headers": ("CORS_EXPOSE_HEADERS",),
    "max_age": ("CORS_PREFLIGHT_MAX_AGE",),
    "allow_credentials": ("CORS_ALLOW_CREDENTIALS",),
    "allow_private_network": ("CORS_ALLOW_PRIVATE_NETWORK",),
}

_EVERY_PATH = frozenset({r"^.*$", r".*", r"^.*", r"^/.*$", r"^/.*", r"/.*"})


def read(settings: Any) -> Loaded:
    """The Router for a project's settings, and every problem (errors and warnings)."""
    corsight = getattr(settings, "CORSIGHT", None)
    legacy = {
        name: getattr(settings, name)
        for names in CORS_HEADERS_NAMES.values()
        for name in names
        if hasattr(settings, name)
    }
    if corsight is not None:
        if not isinstance(corsight, Mapping):
            fix = "write CORSIGHT = {example}"
            example = {"allow_origins": ["https://app.example.com"]}
            return Loaded(
                None,
                [
                    Problem.say(
                        "CORSIGHT",
                        corsight,
                        "{value} must be a dict of settings",
                        fix,
                        id=E_TYPE,
                        example=example,
                    )
                ],
            )
        loaded = from_mapping(corsight, name=lambda key: f"CORSIGHT.{key}")
        if legacy:
            loaded.problems.append(
                Problem.say(
                    ", ".join(sorted(legacy)),
                    None,
                    "are ignored: CORSIGHT is set, and it alone configures corsight",
                    "move what they say into CORSIGHT and remove them",
                    id=W_IGNORED,
                    warning=True,
                )
            )
        if loaded.result is not None:
            loaded.result = Router.of(loaded.result, {})
        return loaded
    if legacy:
        return from_cors_headers(legacy)
    return Loaded(
        Router(default=Policy()),
        [
            Problem.say(
                "CORSIGHT",
                None,
                "is not set: every cross-origin request is denied",
                "set CORSIGHT = {example}",
                id=W_NO_SETTINGS,
                warning=True,
                example={"allow_origins": ["https://app.example.com"]},
            )
        ],
    )


def from_cors_headers(values: Mapping[str, Any]) -> Loaded:
    """django-cors-headers' ``CORS_*`` settings → a Router, with problems named as written."""
    problems: list[Problem] = []
    written: dict[str, str] = {}
    given: dict[str, Any] = {}
    for setting, names in CORS_HEADERS_NAMES.items():
        present = [n for n in names if n in values]
        if len(present) > 1:
            problems.append(
                Problem.say(
                    present[1],
                    values[present[1]],
                    "{value} is an old name of {name}",
                    "remove {old}",
                    id=E_CONFLICT,
                    name=Plain(present[0]),
                    old=Plain(present[1]),
                )
            )
        if present:
            written[setting] = present[0]
            given[setting] = values[present[0]]
    settings: dict[str, Any] = {k: v for k, v in CORS_HEADERS_DEFAULTS.items()}
    for key in (
        "allow_methods",
        "allow_headers",
        "expose_headers",
        "allow_credentials",
        "allow_private_network",
    ):
        if key in given:
            settings[key] = given[key]
    if "max_age" in given:
        # django-cors-headers omits the header for 0; browsers then cache for 5 seconds.
        settings["max_age"] = given["max_age"] or None
    allow_all = given.get("allow_all", False)
    if not isinstance(allow_all, bool):
        problems.append(
            Problem.say(
                written["allow_all"],
                allow_all,
                "expected {true} or {false}",
                id=E_TYPE,
                true=True,
                false=False,
            )
        )
    if allow_all is True:
        settings["allow_origins"] = "*"
        written["allow_origins"] = written["allow_all"]
        if settings["allow_credentials"] is True:
            problems.append(
                any_origin_with_credentials(
                    written["allow_all"],
                    True,
                    library="django-cors-headers",
                    credentials="CORS_ALLOW_CREDENTIALS = True",
                    fix="list your front ends in CORS_ALLOWED_ORIGINS and remove " + written["allow_all"],
                )
            )
            settings.pop("allow_credentials")
    else:
        settings["allow_origins"] = _origins(given.get("allow_origins", []), written, problems)
    regexes = given.get("allow_origin_regex")
    if regexes is not None:
        settings["allow_origin_regex"] = _regexes(regexes, written["allow_origin_regex"], problems)

    def name(key: str) -> str:
        return written.get(key) or CORS_HEADERS_NAMES.get(key, (key,))[0]

    policy, found = build_policy(settings, name)
    problems += found
    route = _urls(given.get("urls"), problems) if "urls" in given else None
    problems = without_repeats(problems)
    if problems or policy is None:
        return Loaded(None, problems)
    if route is None:
        return Loaded(Router(default=policy), problems, default=policy)
    return Loaded(Router([(route, policy)]), problems, routes=[(str(given["urls"]), policy)])


def _origins(value: Any, written: Mapping[str, str], problems: list[Problem]) -> Any:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        return value  # the Policy explains the right type
    origins = []
    for origin in value:
        if isinstance(origin, str) and origin.startswith("file://"):
            problems.append(
                Problem.say(
                    written.get("allow_origins", "CORS_ALLOWED_ORIGINS"),
                    origin,
                    "{value} is not an origin browsers send: pages opened from files send 'Origin: null'",
                    "list 'null' if you mean them (never with CORS_ALLOW_CREDENTIALS)",
                    id=IDS["allow_origins"],
                )
            )
            continue
        origins.append(origin)
    return origins


def _regexes(value: Any, setting: str, problems: list[Problem]) -> Any:
    items = [value] if isinstance(value, (str, re.Pattern)) else value
    if not isinstance(items, (list, tuple)):
        return value
    patterns = []
    for item in items:
        pattern = item.pattern if isinstance(item, re.Pattern) else item
        if not isinstance(pattern, str):
            patterns.append(pattern)
            continue
        problem = prefix_regex(setting, pattern, "django-cors-headers")
        if problem is not None:
            problems.append(problem)
            continue
        patterns.append(pattern)
    return patterns


def _urls(value: Any, problems: list[Problem]) -> RouteKey | None:
    """``CORS_URLS_REGEX`` (``re.match`` on ``path_info``, a prefix match) → the same set of
    paths as a full-matching route key; ``None`` for every path."""
    pattern = value.pattern if isinstance(value, re.Pattern) else value
    flags = value.flags if isinstance(value, re.Pattern) else 0
    if not isinstance(pattern, str):
        problems.append(Problem.say("CORS_URLS_REGEX", value, "{value} must be a regex string", id=E_ROUTES))
        return None
    if pattern in _EVERY_PATH:
        return None
    try:
        # re.match(R, path) succeeds exactly when (?:R)(?s:.*) matches the whole path.
        return re.compile(f"(?:{pattern})(?s:.*)", flags)
    except re.error as exc:
        problems.append(
            Problem.say(
                "CORS_URLS_REGEX",
                value,
                "{value} is not a valid regular expression ({error})",
                "fix it",
                id=E_ROUTES,
                error=Plain(str(exc)),
            )
        )
        return None
