"""``corsight lint``: validate a CORS configuration and print every problem with its
``file:line``, its id and its fix, in the file's own syntax.

Exit statuses: 0 clean (warnings allowed), 1 errors, 2 a file that cannot be read or no
configuration at all.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from corsight.config.loading import Loaded, analyze_config
from corsight.config.toml import TOML
from corsight.errors import ConfigError, Problem, Unwritable
from corsight.policy import Policy
from corsight.safetext import dumps, visible


def _describe(policy: Policy | None) -> str:
    if policy is None:
        return "no CORS handling"
    settings = {
        k: v
        for k, v in policy.settings().items()
        if k not in ("origin_cache_size", "origin_cache_ttl") and v not in (None, [], False)
    }
    return ", ".join(f"{k}={v!r}" for k, v in settings.items()) or "allows no origin"


def _summary(loaded: Loaded) -> dict[str, Any]:
    return {
        "default": None if loaded.default is None else _jsonable(loaded.default),
        "routes": {key: None if p is None else _jsonable(p) for key, p in loaded.routes},
    }


def _jsonable(policy: Policy) -> dict[str, Any]:
    settings = policy.settings()
    callback = settings.pop("allow_origin_callback")
    settings["allow_origin_callback"] = None if callback is None else repr(callback)
    return settings


def _echo(line: str, *, err: bool = False) -> None:
    """One line of the human output: setting names, values and paths come from the
    configuration, so the line is shown visible (no control character reaches the terminal)."""
    click.echo(visible(line), err=err)


def _line(problem: Problem) -> str:
    """``error corsight.E001 corsight.toml:3: allow_origins = 'x': what is wrong``: the value is
    shown, in the file's syntax, when the text does not quote it."""
    level = "warning" if problem.warning else "error"
    where = f"{problem.where}: " if problem.where else ""
    value = ""
    if problem.value is not None and not problem.quotes_value:
        try:
            shown = TOML.value(problem.value) if problem.line is not None else repr(problem.value)
        except Unwritable:
            shown = repr(problem.value)
        value = f" = {shown}"
    return f"{level} corsight.{problem.id} {where}{problem.setting}{value}: {problem.problem}"


@click.command("lint")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--env/--no-env",
    "use_env",
    default=None,
    help="Also read CORSIGHT_* variables (the default without FILE; off with FILE)",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON")
def lint_command(file: str | None, use_env: bool | None, as_json: bool) -> None:
    """Validate a corsight configuration and print every problem with its fix: FILE
    (corsight.toml or pyproject.toml), or what the middleware would load here: corsight.toml or
    pyproject's [tool.corsight] in this folder or the nearest parent (up to the repository's
    root), and CORSIGHT_* variables.

    \b
    Example:  corsight lint corsight.toml
    Exit statuses: 0 clean, 1 problems, 2 no configuration or a file that cannot be read.
    """
    if use_env is None:
        use_env = file is None
    env = os.environ if use_env else {}
    try:
        loaded = analyze_config(file, env=env)
    except ConfigError as exc:
        if as_json:
            problems = [p.to_dict() for p in exc.problems]
            sources = [p.source for p in exc.problems if p.source]
            click.echo(dumps({"ok": False, "sources": sources, "problems": problems}, indent=2))
        else:
            for problem in exc.problems:
                _echo(f"corsight lint: error: {problem}", err=True)
        sys.exit(2 if exc.unreadable else 1)
    errors = loaded.errors
    if as_json:
        out: dict[str, Any] = {
            "ok": not errors,
            "sources": loaded.sources,
            "problems": [p.to_dict() for p in loaded.problems],
        }
        if not errors:
            out["policy"] = _summary(loaded)
        click.echo(dumps(out, indent=2))
        sys.exit(1 if errors else 0)
    _echo(f"corsight lint: {', '.join(loaded.sources)}")
    # The environment's problems first, then the file's in the order of its lines.
    for problem in sorted(loaded.problems, key=lambda p: (p.line is not None, p.line or 0)):
        _echo(_line(problem))
        if problem.fix:
            _echo(f"    fix: {problem.fix}")
    if errors:
        count = len(errors)
        _echo(f"{count} error{'s' if count != 1 else ''}")
        sys.exit(1)
    if loaded.routes:
        for key, policy in loaded.routes:
            _echo(f"route {key}: {_describe(policy)}")
        _echo(f"other paths: {_describe(loaded.default)}")
    else:
        _echo(f"policy: {_describe(loaded.default)}")
    _echo("ok")
