"""Configuration: a :class:`~corsight.policy.Policy` or :class:`~corsight.routing.Router` from a
TOML file (``corsight.toml`` or ``[tool.corsight]`` in ``pyproject.toml``) and from
``CORSIGHT_*`` environment variables, with every problem reported at once.

The Policy refuses a bad setting with the first error it meets; here each setting is tried on
its own and then together with the others, so that a user fixing a config sees every problem
in one run, each with its fix. The framework adapters (Django settings, Flask's ``CORS_*``
config) report their problems through the same :class:`Problem`.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corsight.errors import PolicyError
from corsight.policy import SETTINGS, Policy
from corsight.routing import RouteKey, Router

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        tomllib = None


#: Problem ids, stable across releases (Django's system checks show them as ``corsight.E001``).
IDS = {
    "allow_origins": "E001",
    "allow_origin_regex": "E002",
    "allow_methods": "E003",
    "allow_headers": "E004",
    "expose_headers": "E005",
    "allow_credentials": "E006",
    "max_age": "E007",
    "allow_private_network": "E008",
    "allow_origin_callback": "E009",
    "origin_cache_size": "E009",
    "origin_cache_ttl": "E009",
}
E_COMBINATION = "E010"  # settings that are fine alone but not together (credentials with any origin)
E_UNKNOWN = "E011"  # a setting name that does not exist (a typo)
E_ROUTES = "E012"  # a route key or route table that cannot be used
E_TYPE = "E013"  # a container of settings of the wrong type
E_PREFIX_REGEX = "E014"  # a regex another library matched as a prefix (re.match)
E_CONFLICT = "E015"  # one setting given twice, under two names
E_UNREADABLE = "E016"  # a file that cannot be read or parsed

#: The settings whose combinations a Policy refuses (credentials with any origin or '*').
_COMBINED = frozenset({"allow_origins", "allow_origin_regex", "allow_credentials", "expose_headers"})

#: What the ``CORSIGHT_*`` variables hold: how each is parsed.
ENV_PREFIX = "CORSIGHT_"
_BOOLS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration: where, what, and how to fix it."""

    id: str
    setting: str
    value: Any
    message: str
    fix: str = ""
    source: str = ""
    warning: bool = False

    def describe(self) -> str:
        """``setting: what is wrong``, with the value when the message does not show it."""
        text = self.message
        if self.value is not None and text.startswith(("is ", "with ", "sets ", "must ", "are ")):
            text = f"{self.value!r} {text}"
        return f"{self.setting}: {text}"

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        fix = f"; {self.fix}" if self.fix else ""
        return f"{where}{self.describe()}{fix}"

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = repr(value)
        elif isinstance(value, list):
            value = [v if isinstance(v, (str, int, float, bool)) else repr(v) for v in value]
        return {
            "id": f"corsight.{self.id}",
            "level": "warning" if self.warning else "error",
            "source": self.source,
            "setting": self.setting,
            "value": value,
            "message": self.message,
            "fix": self.fix,
        }


class ConfigError(PolicyError):
    """A configuration with problems; ``problems`` lists every one, the message shows them all."""

    def __init__(self, problems: list[Problem], unreadable: bool = False) -> None:
        self.problems = problems
        #: True when a file could not be read or parsed (``corsight lint`` exits 2).
        self.unreadable = unreadable
        lines = [str(p) for p in problems]
        head = "1 problem" if len(lines) == 1 else f"{len(lines)} problems"
        super().__init__(f"CORS configuration has {head}:\n  " + "\n  ".join(lines))


#: Fixes for the Policy's errors whose message is only the problem (a wrong type).
_FIXES = {
    "allow_origins": "write a list of origins, e.g. ['https://app.example.com'], or '*'",
    "allow_origin_regex": "write a regex string or a list of them",
    "allow_methods": "write a list of methods, e.g. ['GET', 'PUT'], or '*'",
    "allow_headers": "write a list of header names, e.g. ['X-Token'], or '*'",
    "expose_headers": "write a list of header names, e.g. ['X-Total']",
    "allow_credentials": "write true or false",
    "allow_private_network": "write true or false",
    "allow_origin_callback": "pass a function origin -> bool ('package.module:function' in a file)",
    "origin_cache_size": "write a whole number, e.g. 1024",
    "origin_cache_ttl": "write seconds, e.g. 60",
}


def problem_from(
    error: Exception, settings: Mapping[str, Any], name: Callable[[str], str], *, combination: bool = False
) -> Problem:
    """A :class:`Problem` from a PolicyError ``"setting: what is wrong; the fix"``, with the
    setting renamed as the user wrote it (``CORSIGHT_ALLOW_ORIGINS``, ``CORS_ALLOWED_ORIGINS``)."""
    text = str(error)
    setting, sep, rest = text.partition(": ")
    if not sep or setting not in IDS:
        setting, rest = "", text
    problem, _, fix = rest.partition("; ")
    fix = fix or _FIXES.get(setting, "")
    ident = E_COMBINATION if combination else IDS.get(setting, E_TYPE)
    return Problem(
        ident,
        name(setting) if setting else "",
        settings.get(setting),
        problem,
        fix,
    )


def build_policy(
    settings: Mapping[str, Any], name: Callable[[str], str] = str, source: str = ""
) -> tuple[Policy | None, list[Problem]]:
    """A Policy from keyword settings, or ``None`` and every problem found.

    Each setting is tried alone, then the good ones together (repeatedly, dropping the setting
    a combination error names), so that all problems surface in one pass.
    """
    problems: list[Problem] = []
    good: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in IDS:
            close = difflib.get_close_matches(key, SETTINGS, n=1)
            fix = f"did you mean {name(close[0])}?" if close else "remove it"
            problems.append(Problem(E_UNKNOWN, name(key), value, "not a corsight setting", fix, source))
            continue
        found = _item_problems(key, value, settings, name)
        if not found:
            try:
                Policy(**{key: value})
            except (PolicyError, TypeError, ValueError) as exc:
                found = [problem_from(exc, settings, name)]
        problems += [_with_source(p, source) for p in found]
        if not found:
            good[key] = value
    policy = None
    for _ in range(len(good) + 1):
        try:
            policy = Policy(**good)
            break
        except (PolicyError, TypeError, ValueError) as exc:
            problems.append(_with_source(problem_from(exc, settings, name, combination=True), source))
            culprit = str(exc).partition(": ")[0]
            if culprit not in good:
                break
            del good[culprit]
    return (policy if not problems else None), problems


_LISTS = frozenset(
    {"allow_origins", "allow_origin_regex", "allow_methods", "allow_headers", "expose_headers"}
)


def _item_problems(
    key: str, value: Any, settings: Mapping[str, Any], name: Callable[[str], str]
) -> list[Problem]:
    """Each bad item of a list setting, so that two bad origins are two problems."""
    if key not in _LISTS or isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return []
    found = []
    for item in value:
        if item == "*":
            continue
        one: dict[str, Any] = {key: [item]}
        try:
            Policy(**one)
        except (PolicyError, TypeError, ValueError) as exc:
            problem = problem_from(exc, settings, name)
            found.append(
                Problem(problem.id, problem.setting, item, problem.message, problem.fix, problem.source)
            )
    return found


def without_repeats(problems: list[Problem]) -> list[Problem]:
    """``problems`` with each one once: the same problem is met again when a setting is
    inherited by several routes or tried both alone and with the others."""
    return list({(p.id, p.setting, p.message, repr(p.value)): p for p in problems}.values())


def ends_anchored(pattern: str) -> bool:
    """Whether a regex ends with an unescaped ``$`` or with ``\\Z``: the only regexes that
    ``re.match`` (flask-cors, django-cors-headers) applied to a whole string, not a prefix."""
    if pattern.endswith("\\Z"):
        return True
    head = pattern[:-1]
    return pattern.endswith("$") and (len(head) - len(head.rstrip("\\"))) % 2 == 0


def _with_source(problem: Problem, source: str) -> Problem:
    if not source:
        return problem
    return Problem(
        problem.id, problem.setting, problem.value, problem.message, problem.fix, source, problem.warning
    )


# --- route tables ------------------------------------------------------------------------------------


def route_key(text: str) -> RouteKey:
    """A route key as written in a config: ``re:`` makes a full-match regex, anything else is a
    Router path key (``/api`` literal, ``/api/`` prefix, ``/files/*`` glob)."""
    if text.startswith("re:"):
        return re.compile(text[3:])
    return text


@dataclass
class Loaded:
    """What a configuration produced: the policy or router, and every problem found."""

    result: Policy | Router | None
    problems: list[Problem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    #: The routes as written (key, policy or None for "no CORS"), and the default policy.
    routes: list[tuple[str, Policy | None]] = field(default_factory=list)
    default: Policy | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]


def from_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "",
    name: Callable[[str], str] = str,
    overrides: Mapping[str, Any] | None = None,
    override_name: Callable[[str], str] | None = None,
) -> Loaded:
    """A Policy (or, with ``routes``, a Router) from a TOML-shaped mapping.

    Top-level keys are the Policy's keyword arguments and make the default policy; ``routes``
    maps route keys to tables that override top-level settings (the rest are inherited), or
    to ``{enabled = false}`` for no CORS handling. ``overrides`` (environment variables) win
    over the top-level settings.
    """
    problems: list[Problem] = []
    top = {k: v for k, v in data.items() if k != "routes"}
    if "allow_origin_callback" in top and isinstance(top["allow_origin_callback"], str):
        top["allow_origin_callback"] = _import_callback(
            top["allow_origin_callback"], name("allow_origin_callback"), source, problems
        )
    overridden = dict(overrides or {})
    merged = {**top, **overridden}

    def top_name(key: str) -> str:
        if key in overridden and override_name is not None:
            return override_name(key)
        return name(key)

    default, found = build_policy(merged, top_name, source)
    problems += found
    routes_data = data.get("routes")
    if routes_data is None:
        return Loaded(default if not problems else None, problems, default=default)
    if not isinstance(routes_data, Mapping):
        problems.append(
            Problem(
                E_TYPE,
                name("routes"),
                routes_data,
                "must be a table of route tables",
                'write [routes."/api/"] tables',
                source,
            )
        )
        return Loaded(None, problems)
    routes: list[tuple[RouteKey, Policy | None]] = []
    written: list[tuple[str, Policy | None]] = []
    for key, table in routes_data.items():
        where = name(f'routes."{key}"')
        if not isinstance(key, str) or not (key.startswith("/") or key.startswith("re:")):
            problems.append(
                Problem(
                    E_ROUTES,
                    where,
                    key,
                    "is not a route key",
                    "start it with '/' (a path, '/api/' prefix or '/files/*' glob) or 're:' (a regex)",
                    source,
                )
            )
            continue
        try:
            compiled = route_key(key)
        except re.error as exc:
            problems.append(
                Problem(
                    E_ROUTES,
                    where,
                    key,
                    f"is not a valid regular expression ({exc})",
                    "fix its syntax",
                    source,
                )
            )
            continue
        if not isinstance(table, Mapping):
            problems.append(
                Problem(
                    E_TYPE,
                    where,
                    table,
                    "must be a table of settings",
                    f'write [routes."{key}"] followed by settings',
                    source,
                )
            )
            continue
        table = dict(table)
        enabled = table.pop("enabled", True)
        if enabled is False:
            routes.append((compiled, None))
            written.append((key, None))
            continue
        if enabled is not True:
            problems.append(
                Problem(E_TYPE, f"{where}.enabled", enabled, "expected true or false", "", source)
            )
        if isinstance(table.get("allow_origin_callback"), str):
            table["allow_origin_callback"] = _import_callback(
                table["allow_origin_callback"], f"{where}.allow_origin_callback", source, problems
            )
        policy, found = build_policy({**merged, **table}, _route_namer(where, table, top_name), source)
        # Problems of inherited settings alone were already reported at the top level; a
        # combination is the route's own when the table sets one of the settings involved.
        own_combination = bool(set(table) & _COMBINED)
        problems += [
            p for p in found if p.setting.startswith(where) or (p.id == E_COMBINATION and own_combination)
        ]
        routes.append((compiled, policy))
        written.append((key, policy))
    problems = without_repeats(problems)
    if problems:
        return Loaded(None, problems)
    if not merged and routes:
        default = None  # only routes: paths they do not cover get no CORS handling
    try:
        router = Router(routes, default=default)
    except PolicyError as exc:  # pragma: no cover - keys and policies were validated above
        problems.append(Problem(E_ROUTES, name("routes"), None, str(exc), "", source))
        return Loaded(None, problems)
    return Loaded(router, problems, routes=written, default=default)


def _route_namer(
    where: str, table: Mapping[str, Any], top_name: Callable[[str], str]
) -> Callable[[str], str]:
    return lambda key: f"{where}.{key}" if key in table else top_name(key)


def _import_callback(spec: str, setting: str, source: str, problems: list[Problem]) -> Any:
    """``"package.module:function"`` → the function, or ``None`` and a problem."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        problems.append(
            Problem(
                IDS["allow_origin_callback"],
                setting,
                spec,
                "is not an import path",
                "write 'package.module:function'",
                source,
            )
        )
        return None
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        problems.append(
            Problem(
                IDS["allow_origin_callback"],
                setting,
                spec,
                f"cannot be imported ({exc})",
                "check the module path and that it is importable",
                source,
            )
        )
        return None
    return target


# --- environment ----------------------------------------------------------------------------------


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


def from_env(env: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The settings ``CORSIGHT_*`` variables give, parsed twelve-factor style.

    Lists are comma-separated (``CORSIGHT_ALLOW_ORIGINS=https://a.com,https://b.com``),
    ``*`` stays ``*``; regexes are separated by whitespace (a regex may contain commas);
    booleans are true/false, 1/0, yes/no, on/off; ``CORSIGHT_MAX_AGE=none`` omits max-age.
    A variable that looks like a misspelt setting is a problem; other ``CORSIGHT_*`` names
    (``CORSIGHT_CONFIG``) belong to other uses and are left alone.
    """
    settings: dict[str, Any] = {}
    problems: list[Problem] = []
    known = {env_name(s): s for s in SETTINGS}
    for var, raw in env.items():
        if not var.startswith(ENV_PREFIX):
            continue
        setting = known.get(var)
        if setting is None:
            close = difflib.get_close_matches(var, list(known), n=1, cutoff=0.85)
            if close:
                problems.append(
                    Problem(
                        E_UNKNOWN,
                        var,
                        raw,
                        "not a corsight setting",
                        f"did you mean {close[0]}?",
                        "environment",
                    )
                )
            continue
        value = raw.strip()
        try:
            settings[setting] = _parse_env(setting, value)
        except ValueError as exc:
            problems.append(Problem(IDS[setting], var, raw, str(exc), _env_fix(setting), "environment"))
    return settings, problems


def _parse_env(setting: str, value: str) -> Any:
    if setting in ("allow_credentials", "allow_private_network"):
        parsed = _BOOLS.get(value.lower())
        if parsed is None:
            raise ValueError("expected true or false")
        return parsed
    if setting == "max_age":
        if value.lower() in ("", "none"):
            return None
        if not value.isdigit():
            raise ValueError("expected whole seconds")
        return int(value)
    if setting == "origin_cache_size":
        if not value.isdigit():
            raise ValueError("expected a whole number")
        return int(value)
    if setting == "origin_cache_ttl":
        try:
            return float(value)
        except ValueError:
            raise ValueError("expected a number of seconds") from None
    if setting == "allow_origin_callback":
        return value
    if setting == "allow_origin_regex":
        return value.split()
    if value == "*":
        return "*"
    return [item.strip() for item in value.split(",") if item.strip()]


def _env_fix(setting: str) -> str:
    return {
        "allow_credentials": "write true or false",
        "allow_private_network": "write true or false",
        "max_age": "write whole seconds, e.g. 600, or none",
        "origin_cache_size": "write e.g. 1024",
        "origin_cache_ttl": "write seconds, e.g. 60",
    }.get(setting, "")


# --- files ------------------------------------------------------------------------------------------------


def read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The corsight table of a TOML file: the whole of ``corsight.toml``, or
    ``[tool.corsight]`` of ``pyproject.toml``. Raises :class:`ConfigError` (``unreadable``)."""
    p = Path(path)
    source = str(path)
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise ConfigError(
            [
                Problem(
                    E_UNREADABLE, source, None, "reading TOML on Python 3.10 needs tomli", "pip install tomli"
                )
            ],
            unreadable=True,
        )
    try:
        data: dict[str, Any] = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            [Problem(E_UNREADABLE, source, None, f"cannot be read ({reason})", "check the path")],
            unreadable=True,
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [Problem(E_UNREADABLE, source, None, f"is not valid TOML ({exc})", "fix the syntax")],
            unreadable=True,
        ) from None
    if p.name == "pyproject.toml":
        table = data.get("tool", {}).get("corsight")
        if table is None:
            raise ConfigError(
                [
                    Problem(
                        E_UNREADABLE,
                        source,
                        None,
                        "has no [tool.corsight] table",
                        "add one, or put the settings in corsight.toml",
                    )
                ],
                unreadable=True,
            )
        if not isinstance(table, dict):
            raise ConfigError([Problem(E_TYPE, "tool.corsight", table, "must be a table", "", source)])
        return dict(table)
    return data


def discover(directory: str | os.PathLike[str] = ".") -> Path | None:
    """``corsight.toml`` in ``directory``, else its ``pyproject.toml`` if it has ``[tool.corsight]``."""
    here = Path(directory)
    if (here / "corsight.toml").is_file():
        return here / "corsight.toml"
    pyproject = here / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8")
        except OSError:
            return None
        if re.search(r"^\s*\[tool\.corsight(\.|\])", text, re.MULTILINE):
            return pyproject
    return None


def analyze(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Loaded:
    """Everything :func:`load` would do, without raising for problems: the result (``None``
    when there are errors), every problem, and the sources read. Raises :class:`ConfigError`
    only when a file cannot be read or no configuration exists at all."""
    environ: Mapping[str, str] = os.environ if env is None else env
    if path is None and environ.get("CORSIGHT_CONFIG"):
        path = environ["CORSIGHT_CONFIG"]
    file = Path(path) if path is not None else discover()
    data: dict[str, Any] = {}
    sources: list[str] = []
    if file is not None:
        data = read_file(file)
        sources.append(str(file))
    overrides, env_problems = from_env(environ)
    if overrides or env_problems:
        sources.append("environment")
    if not sources:
        raise ConfigError(
            [
                Problem(
                    E_UNREADABLE,
                    "configuration",
                    None,
                    "none found: no corsight.toml, no [tool.corsight] "
                    "in pyproject.toml and no CORSIGHT_* variables",
                    "create corsight.toml or set CORSIGHT_ALLOW_ORIGINS",
                )
            ],
            unreadable=True,
        )
    prefix = "tool.corsight." if file is not None and file.name == "pyproject.toml" else ""
    loaded = from_mapping(
        data,
        source=str(file) if file is not None else "",
        name=lambda k: prefix + k,
        overrides=overrides,
        override_name=env_name,
    )
    loaded.problems = env_problems + [
        _with_source(p, "environment") if p.setting.startswith(ENV_PREFIX) else p for p in loaded.problems
    ]
    if loaded.errors:
        loaded.result = None
    loaded.sources = sources
    return loaded


def load(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Policy | Router:
    """The Policy (or Router, when the file has ``routes``) a configuration describes.

    ``path`` is a ``corsight.toml`` or ``pyproject.toml``; without it, ``$CORSIGHT_CONFIG``,
    then ``./corsight.toml``, then ``./pyproject.toml``'s ``[tool.corsight]`` are tried.
    ``CORSIGHT_*`` variables of ``env`` (default ``os.environ``) override the file's top-level
    settings. Raises :class:`ConfigError` listing every problem, each with its fix.
    """
    loaded = analyze(path, env)
    if loaded.errors or loaded.result is None:
        raise ConfigError(loaded.errors or loaded.problems)
    return loaded.result
