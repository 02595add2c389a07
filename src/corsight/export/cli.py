"""``corsight export``: the command line over :func:`corsight.export.export`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from corsight.clierror import fail, fail_each
from corsight.errors import PolicyError
from corsight.export.result import ExportError
from corsight.export.targets import TARGETS, export
from corsight.policy import Policy
from corsight.safetext import dumps, visible


def _policy_from_flags(
    origins: tuple[str, ...],
    regexes: tuple[str, ...],
    methods: tuple[str, ...],
    headers: tuple[str, ...],
    expose: tuple[str, ...],
    credentials: bool,
    max_age: int | None,
    private_network: bool,
) -> Policy:
    def listed(values: tuple[str, ...]) -> list[str] | str:
        items = [item.strip() for value in values for item in value.split(",") if item.strip()]
        return "*" if items == ["*"] else items

    settings: dict[str, Any] = {
        "allow_origins": listed(origins),
        "allow_origin_regex": list(regexes) or None,
        "allow_headers": listed(headers),
        "expose_headers": listed(expose),
        "allow_credentials": credentials,
        "allow_private_network": private_network,
    }
    if methods:
        settings["allow_methods"] = listed(methods)
    if max_age is not None:
        settings["max_age"] = None if max_age < 0 else max_age
    return Policy(**settings)


def _policy_from_config(path: str, route: str | None) -> Policy:
    from corsight.config import load
    from corsight.routing import Router

    loaded = load(path)
    if isinstance(loaded, Policy):
        if route is not None:
            raise ExportError(f"{path} has one policy for every path; drop --route")
        return loaded
    assert isinstance(loaded, Router)
    if route is None:
        raise ExportError(f"{path} has per-route policies; export one at a time with --route PATH")
    policy = loaded.policy_for(route)
    if policy is None:
        raise ExportError(f"no policy of {path} covers {route}")
    return policy


@click.command("export")
@click.option("--to", "target", required=True, type=click.Choice(TARGETS), help="The server to configure")
@click.option("--config", "config_path", default=None, help="A corsight.toml (or pyproject.toml)")
@click.option("--route", default=None, help="With a per-route config: the path whose policy to export")
@click.option("--allow-origin", "origins", multiple=True, help="An allowed origin or pattern (repeatable)")
@click.option("--allow-origin-regex", "regexes", multiple=True, help="A regex the whole origin must match")
@click.option("--allow-method", "methods", multiple=True, help="An allowed method, or '*' (repeatable)")
@click.option("--allow-header", "headers", multiple=True, help="An allowed request header, or '*'")
@click.option("--expose-header", "expose", multiple=True, help="A response header script may read")
@click.option("--allow-credentials", is_flag=True, help="Allow cookies and HTTP authentication")
@click.option("--allow-private-network", is_flag=True, help="Answer Private Network Access preflights")
@click.option("--max-age", type=int, default=None, help="Seconds browsers may cache a preflight (-1: omit)")
@click.option("-o", "--output", default=None, help="Write the configuration to this file")
@click.option("--json", "as_json", is_flag=True, help="Print target, filename, content and notes as JSON")
def export_command(
    target: str,
    config_path: str | None,
    route: str | None,
    origins: tuple[str, ...],
    regexes: tuple[str, ...],
    methods: tuple[str, ...],
    headers: tuple[str, ...],
    expose: tuple[str, ...],
    allow_credentials: bool,
    allow_private_network: bool,
    max_age: int | None,
    output: str | None,
    as_json: bool,
) -> None:
    """Write a ready configuration for TARGET that does what one corsight policy does.

    \b
    Examples:
      corsight export --to nginx --allow-origin https://app.example.com --allow-credentials
      corsight export --to express --config corsight.toml -o cors.js

    \b
    Exit statuses: 0 written, 2 a policy with problems (one line each) or one the target
    cannot carry out exactly.
    """
    flags = origins or regexes or methods or headers or expose or allow_credentials or allow_private_network
    try:
        if config_path is not None:
            if flags or max_age is not None:
                raise ExportError("give either --config or policy flags, not both")
            policy = _policy_from_config(config_path, route)
        else:
            if not (origins or regexes):
                raise ExportError("no origin allowed: pass --allow-origin (or --config corsight.toml)")
            policy = _policy_from_flags(
                origins, regexes, methods, headers, expose, allow_credentials, max_age, allow_private_network
            )
        exported = export(policy, target)
    except PolicyError as exc:
        in_file_order = sorted(exc.problems, key=lambda problem: problem.line or 0)
        fail_each("export", in_file_order)
    except ExportError as exc:
        fail("export", " ".join(str(exc).split()))
    if output is not None:
        try:
            Path(output).write_text(exported.content)
        except OSError as exc:
            fail("export", f"cannot write {output}: {exc.strerror or exc}")
    if as_json:
        click.echo(dumps(exported.to_dict(), indent=2))
    elif output is None:
        click.echo(exported.content, nl=False)
    for note in [] if as_json else exported.notes:
        click.echo(f"note: {visible(note)}", err=True)
    if output is not None and not as_json:
        click.echo(f"wrote {output} ({target})", err=True)
