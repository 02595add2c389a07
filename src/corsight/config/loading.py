"""Loading a configuration: a :class:`~corsight.policy.Policy` or
:class:`~corsight.routing.Router` from a TOML file (``corsight.toml`` or ``[tool.corsight]`` in
``pyproject.toml``, found in the working folder or a parent) and ``CORSIGHT_*`` variables, with
every problem found in one pass, each with its id, its ``file:line`` and its fix."""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corsight.config.environment import env_name, read_environment
from corsight.config.problems import (
    E_ROUTES,
    E_TYPE,
    E_UNKNOWN,
    E_UNREADABLE,
    IDS,
    identified,
    without_repeats,
)
from corsight.config.toml import TOML, Document, KeyPath, read_document
from corsight.errors import ConfigError, Plain, PolicyError, Problem
from corsight.policy import SETTINGS, Policy
from corsight.routing import RouteKey, Router

Namer = Callable[[str], str]


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


def build_policy(
    settings: Mapping[str, Any], name: Namer = str, source: str = ""
) -> tuple[Policy | None, list[Problem]]:
    """A Policy from keyword settings, or ``None`` and every problem found (the Policy reports
    them all at once; a name that is not a setting is one more)."""
    problems: list[Problem] = []
    known = {}
    for key, value in settings.items():
        if key in IDS:
            known[key] = value
            continue
        close = difflib.get_close_matches(key, SETTINGS, n=1)
        fix = f"did you mean {name(close[0])}?" if close else "remove it"
        problems.append(
            Problem.say(name(key), value, "not a corsight setting", fix, id=E_UNKNOWN, source=source)
        )
    try:
        policy = Policy(**known)
    except PolicyError as error:
        return None, problems + identified(error.problems, name, source)
    return (policy if not problems else None), problems


def route_key(text: str) -> RouteKey:
    """A route key as written in a config: ``re:`` makes a full-match regex, anything else is a
    Router path key (``/api`` literal, ``/api/`` prefix, ``/files/*`` glob)."""
    if text.startswith("re:"):
        return re.compile(text[3:])
    return text


def from_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "",
    name: Namer = str,
    overrides: Mapping[str, Any] | None = None,
    override_name: Namer | None = None,
    line: Callable[[KeyPath], int | None] | None = None,
) -> Loaded:
    """A Policy (or, with ``routes``, a Router) from a TOML-shaped mapping.

    Top-level keys are the Policy's keyword arguments and make the default policy; ``routes``
    maps route keys to tables that override top-level settings (the rest are inherited), or
    to ``{enabled = false}`` for no CORS handling. ``overrides`` (environment variables) win
    over the top-level settings. ``line`` gives the line of a key path in the file, which each
    problem then carries.
    """
    problems: list[Problem] = []
    written: dict[str, KeyPath] = {}  # each setting's name as shown -> where it is written

    def named(shown: str, path: KeyPath) -> str:
        written[shown] = path
        return shown

    top = {k: v for k, v in data.items() if k != "routes"}
    overridden = dict(overrides or {})
    merged = {**top, **overridden}

    def top_name(key: str) -> str:
        if key in overridden and override_name is not None:
            return override_name(key)
        return named(name(key), (key,))

    if isinstance(merged.get("allow_origin_callback"), str):
        setting = top_name("allow_origin_callback")
        merged["allow_origin_callback"] = _import_callback(merged["allow_origin_callback"], setting, problems)
    default, found = build_policy(merged, top_name, source)
    problems += found
    routes_data = data.get("routes")
    routes: list[tuple[RouteKey, Policy | None]] = []
    shown_routes: list[tuple[str, Policy | None]] = []
    if routes_data is not None and not isinstance(routes_data, Mapping):
        problems.append(
            Problem.say(
                named(name("routes"), ("routes",)),
                routes_data,
                "{value} must be a table of route tables",
                'write [routes."/api/"] tables',
                id=E_TYPE,
            )
        )
        routes_data = {}
    for key, table in (routes_data or {}).items():
        where = named(name(f'routes."{key}"'), ("routes", key))
        if not isinstance(key, str) or not key.startswith(("/", "re:")):
            fix = "start it with '/' (a path, '/api/' prefix or '/files/*' glob) or 're:' (a regex)"
            problems.append(Problem.say(where, key, "{value} is not a route key", fix, id=E_ROUTES))
            continue
        try:
            compiled = route_key(key)
        except re.error as exc:
            problems.append(
                Problem.say(
                    where,
                    key,
                    "{value} is not a valid regular expression ({error})",
                    "fix its syntax",
                    id=E_ROUTES,
                    error=Plain(str(exc)),
                )
            )
            continue
        if not isinstance(table, Mapping):
            problems.append(
                Problem.say(
                    where,
                    table,
                    "{value} must be a table of settings",
                    "write [routes.{key}] followed by settings",
                    id=E_TYPE,
                    key=Plain(f'"{key}"'),
                )
            )
            continue
        table = dict(table)
        enabled = table.pop("enabled", True)
        if enabled is False:
            routes.append((compiled, None))
            shown_routes.append((key, None))
            continue
        if enabled is not True:
            problems.append(
                Problem.say(
                    named(f"{where}.enabled", ("routes", key, "enabled")),
                    enabled,
                    "expected {true} or {false}",
                    id=E_TYPE,
                    true=True,
                    false=False,
                )
            )

        def route_name(
            setting: str, where: str = where, key: str = key, table: Mapping[str, Any] = table
        ) -> str:
            if setting in table:
                return named(f"{where}.{setting}", ("routes", key, setting))
            return top_name(setting)

        if isinstance(table.get("allow_origin_callback"), str):
            setting = route_name("allow_origin_callback")
            table["allow_origin_callback"] = _import_callback(
                table["allow_origin_callback"], setting, problems
            )
        policy, found = build_policy({**merged, **table}, route_name, source)
        problems += found  # those of inherited settings are repeats of the top level's, removed below
        routes.append((compiled, policy))
        shown_routes.append((key, policy))
    problems = [_placed(p, source, written, data, line) for p in without_repeats(problems)]
    if problems:
        return Loaded(None, problems, default=default)
    if routes_data is None:
        return Loaded(default, problems, default=default)
    if not merged and routes:
        default = None  # only routes: paths they do not cover get no CORS handling
    return Loaded(Router(routes, default=default), problems, routes=shown_routes, default=default)


def _placed(
    problem: Problem,
    source: str,
    written: Mapping[str, KeyPath],
    data: Mapping[str, Any],
    line: Callable[[KeyPath], int | None] | None,
) -> Problem:
    """The problem with its source, and its line when it is about a key of the file (about one
    item of a list, the item's line)."""
    path = written.get(problem.setting)
    if path is None or line is None:
        return dataclasses.replace(problem, source=problem.source or source)
    found: Any = data
    for key in path:
        found = found.get(key) if isinstance(found, Mapping) else None
    item: tuple[Any, ...] = ()
    if isinstance(found, list) and problem.value in found and problem.value != found:
        item = (found.index(problem.value),)
    return dataclasses.replace(problem, source=source, line=line((*path, *item)) or line(path))


def _import_callback(spec: str, setting: str, problems: list[Problem]) -> Any:
    """``"package.module:function"`` → the function, or ``None`` and a problem."""
    module_name, sep, attr = spec.partition(":")
    ident = IDS["allow_origin_callback"]
    if not sep or not module_name or not attr:
        problems.append(
            Problem.say(
                setting, spec, "{value} is not an import path", "write 'package.module:function'", id=ident
            )
        )
        return None
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        problems.append(
            Problem.say(
                setting,
                spec,
                "{value} cannot be imported ({error})",
                "check the module path and that it is importable",
                id=ident,
                error=Plain(str(exc)),
            )
        )
        return None
    return target


# --- files ----------------------------------------------------------------------------------------------

CONFIG_FILE = "corsight.toml"
PYPROJECT = "pyproject.toml"
#: Where ``[tool.corsight]`` sits in ``pyproject.toml``.
PYPROJECT_TABLE = ("tool", "corsight")
_PYPROJECT_HAS_TABLE = re.compile(r"^\s*\[tool\.corsight(\.|\])", re.MULTILINE)


def discover(directory: str | os.PathLike[str] = ".") -> Path | None:
    """The configuration file for ``directory``: its ``corsight.toml``, else its
    ``pyproject.toml`` with a ``[tool.corsight]`` table, else the same in its parent, and so up
    to the root of the repository (the folder holding ``.git``) or of the filesystem.

    Like ruff and pytest, a file in a parent folder applies to its subfolders. Unlike them, the
    walk stops at the repository's root: a configuration above it belongs to another project (a
    home folder, a shared workspace), and a CORS policy taken from it without a word would be
    one nobody reviewed with this code.
    """
    start = Path(directory)
    for folder in (start, *start.resolve().parents):
        for name in (CONFIG_FILE, PYPROJECT):
            candidate = folder / name
            if candidate.is_file() and (name == CONFIG_FILE or _has_corsight_table(candidate)):
                return candidate if folder is start else _shown(candidate)
        if (folder / ".git").exists():
            return None
    return None


def _has_corsight_table(pyproject: Path) -> bool:
    try:
        return bool(_PYPROJECT_HAS_TABLE.search(pyproject.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def _shown(path: Path) -> Path:
    """A path found in a parent folder, relative to the working folder when that is shorter."""
    try:
        relative = Path(os.path.relpath(path))
    except ValueError:  # another drive
        return path
    return relative if len(str(relative)) < len(str(path)) else path


def _table(document: Document) -> tuple[KeyPath, dict[str, Any]]:
    """Where corsight's settings are in a file, and the settings: the whole of
    ``corsight.toml``, ``[tool.corsight]`` of ``pyproject.toml``."""
    if Path(document.source).name == PYPROJECT:
        return PYPROJECT_TABLE, document.table(PYPROJECT_TABLE)
    return (), document.data


def from_env(env: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The settings ``CORSIGHT_*`` variables give, parsed twelve-factor style, and every problem.

    Lists are comma-separated (``CORSIGHT_ALLOW_ORIGINS=https://a.com,https://b.com``);
    regexes are separated by whitespace (a regex may contain commas); booleans are true/false,
    1/0, yes/no, on/off; ``CORSIGHT_MAX_AGE=none`` omits max-age. A variable that looks like a
    misspelt setting is a problem; other ``CORSIGHT_*`` names (``CORSIGHT_CONFIG``) belong to
    other uses and are left alone.
    """
    return read_environment(env, ids=IDS)


def analyze_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Loaded:
    """Everything :func:`load` would do, without raising for problems: the result (``None``
    when there are errors), every problem, and the sources read. Raises :class:`ConfigError`
    only when a file cannot be read or no configuration exists at all."""
    environ: Mapping[str, str] = os.environ if env is None else env
    if path is None and environ.get("CORSIGHT_CONFIG"):
        path = environ["CORSIGHT_CONFIG"]
    file = Path(path) if path is not None else discover()
    document = read_document(file) if file is not None else None
    prefix, data = _table(document) if document is not None else ((), {})
    overrides, env_problems = from_env(environ)
    sources = [document.source] if document is not None else []
    if overrides or env_problems:
        sources.append("environment")
    if not sources:
        raise ConfigError(
            Problem.say(
                "configuration",
                None,
                "none found: no corsight.toml, and no pyproject.toml with [tool.corsight], here or in "
                "a parent folder up to the repository's root; and no CORSIGHT_* variables",
                "create corsight.toml or set CORSIGHT_ALLOW_ORIGINS",
                id=E_UNREADABLE,
            ),
            unreadable=True,
        )
    loaded = from_mapping(
        data,
        source=document.source if document is not None else "",
        name=lambda key: ".".join((*prefix, key)),
        overrides=overrides,
        override_name=env_name,
        line=(lambda keys: document.line((*prefix, *keys))) if document is not None else None,
    )
    loaded.problems = env_problems + [
        _in_its_syntax(p, document.source if document is not None else "") for p in loaded.problems
    ]
    if loaded.errors:
        loaded.result = None
    loaded.sources = sources
    return loaded


def _in_its_syntax(problem: Problem, file: str) -> Problem:
    """A problem of the file is written in TOML; one of an environment variable is named after
    it and keeps the Policy's wording."""
    if problem.setting.startswith("CORSIGHT_"):
        return dataclasses.replace(problem, source="environment", line=None)
    return problem.written_in(TOML) if file and problem.source == file else problem


def load(path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Policy | Router:
    """The Policy (or Router, when the file has ``routes``) a configuration describes.

    ``path`` is a ``corsight.toml`` or ``pyproject.toml``; without it, ``$CORSIGHT_CONFIG``,
    then :func:`discover` (``corsight.toml``, then ``pyproject.toml``'s ``[tool.corsight]``, in
    the working folder or the nearest parent, up to the repository's root) are tried.
    ``CORSIGHT_*`` variables of ``env`` (default ``os.environ``) override the file's top-level
    settings. Raises :class:`ConfigError` listing every problem, each with its fix.
    """
    loaded = analyze_config(path, env)
    if loaded.errors or loaded.result is None:
        raise ConfigError(loaded.errors or loaded.problems)
    return loaded.result
