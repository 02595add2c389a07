"""``corsight proxy``: the click command that builds a :class:`ProxyConfig` and serves it.

Settings come from defaults, then ``--config`` (TOML), then ``CORSIGHT_PROXY_*`` variables,
then flags. Any bad input is one line on stderr and exit status 2.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import click

from corsight.clierror import fail, fail_each, need_extra
from corsight.errors import ConfigError
from corsight.proxy.config import FIELDS, ProxyConfig, build_config, read_env, read_toml
from corsight.safetext import dumps, visible


class _OneLineCommand(click.Command):
    """Usage errors as one line (``corsight proxy: error: ...``), not click's usage block."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            fail("proxy", exc.format_message().replace("\n", " "))


def _many(*names: str, **kw: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(*names, multiple=True, **kw)


@click.command("proxy", cls=_OneLineCommand)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML file of settings")
@click.option("--upstream", help="Upstream mode: send every request to this base URL")
@_many("--allow-origin", "allow_origins", metavar="ORIGIN", help="Page origin allowed to use it ('*': any)")
@_many("--allow-origin-regex", "allow_origin_regex", metavar="REGEX", help="Allowed origins (full match)")
@_many("--allow-method", "allow_methods", metavar="METHOD", help="Allowed method [default: any]")
@_many("--allow-header", "allow_headers", metavar="NAME", help="Allowed request header [default: any]")
@_many("--expose-header", "expose_headers", metavar="NAME", help="Response header script may read [all]")
@click.option("--allow-credentials", is_flag=True, default=None, help="Let pages send cookies")
@click.option("--max-age", type=int, help="Seconds browsers may cache a preflight [600]")
@click.option(
    "--allow-private-network",
    is_flag=True,
    default=None,
    help="Answer Private Network Access preflights (public pages calling a local proxy)",
)
@_many("--require-header", "require_headers", metavar="NAME", help="Requests must carry one of these headers")
@click.option("--rate-limit-origin", metavar="RATE", help="Per page origin, e.g. '600/hour'")
@click.option("--rate-limit-client", metavar="RATE", help="Per client address, e.g. '10/second;1000/hour'")
@click.option("--redis-url", metavar="URL", help="Share rate limits through Redis (redis://host:6379/0)")
@_many("--allow-target", "allow_targets", metavar="HOST[:PORT]", help="Reachable despite address rules")
@click.option("--redirects", type=click.Choice(["follow", "pass"]), help="Follow redirects or pass them back")
@click.option("--max-redirects", type=int, help="Redirects followed at most [5]")
@click.option("--cookies/--no-cookies", default=None, help="Forward Cookie/Set-Cookie (upstream mode only)")
@click.option("--forwarded/--no-forwarded", default=None, help="Send X-Forwarded-For/-Proto/-Host [on]")
@_many(
    "--trusted-proxy",
    "trusted_proxies",
    metavar="ADDRESS",
    help="Proxy in front whose X-Forwarded-* headers are kept (address or network)",
)
@click.option("--connect-timeout", type=float, help="Seconds to connect upstream [10]")
@click.option("--read-timeout", type=float, help="Seconds the upstream may stay silent [30]")
@click.option("--response-timeout", type=float, help="Seconds for a whole upstream response; 0: none [300]")
@click.option("--max-request-bytes", type=int, help="Largest request body [10 MiB]")
@click.option("--max-response-bytes", type=int, help="Largest response body [no limit]")
@click.option("--ca-file", help="Also trust the CA certificates in this PEM file")
@click.option("--host", help="Address to listen on [127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on [8080]")
@click.option("--access-log", metavar="PATH", help="JSON-lines access log: '-' stdout, a file, or 'off'")
@click.option("--health-path", help="Health endpoint [/__corsight/health]")
@click.option("--graceful-timeout", type=float, help="Seconds to finish requests on shutdown [10]")
@click.option("--head-timeout", type=float, help="Seconds a client has to send a request head [10]")
@click.option("--max-head-bytes", type=int, help="Largest request head (request line and headers) [65536]")
@click.option("--http", type=click.Choice(["auto", "httptools", "h11"]), help="uvicorn's HTTP parser [auto]")
@click.option("--print-config", is_flag=True, help="Print the resulting settings as JSON and exit")
def proxy_command(config_file: str | None, print_config: bool, **flags: Any) -> None:
    """A CORS proxy for APIs you cannot change (open mode, or --upstream URL).

    \b
    open mode:      corsight proxy --allow-origin https://app.example.com
                    then fetch("http://127.0.0.1:8080/https://api.example.com/items")
    upstream mode:  corsight proxy --allow-origin http://localhost:3000 --upstream http://localhost:5000

    \b
    Exit statuses: 0 stopped (SIGINT or SIGTERM: open requests finish first), 2 a bad setting
    (one line each), a port in use or an access log that cannot be written.
    """
    try:
        import aiohttp  # noqa: F401
        import limits  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        need_extra("proxy", exc.name, "proxy")
    try:
        config = load_config(config_file, flags)
    except ConfigError as exc:
        fail_each("proxy", exc.problems)
    if print_config:
        click.echo(dumps(config.public_dict(), indent=2))
        return
    serve(config)


def load_config(config_file: str | None, flags: dict[str, Any], environ: dict[str, str] | None = None
                ) -> ProxyConfig:  # fmt: skip
    file_settings = read_toml(config_file) if config_file else {}
    flag_settings = {k: v for k, v in flags.items() if k in FIELDS and v is not None}
    return build_config(file_settings, read_env(environ), flag_settings)


def serve(config: ProxyConfig) -> None:
    """Serve ``config`` with uvicorn until SIGINT/SIGTERM, then finish open requests.

    The access log is opened and the port bound before anything is printed, so that a bad log
    path or a port in use is one line and exit 2, not a "listening" banner and then a failure."""
    import socket

    import uvicorn

    from corsight.proxy.app import create_app
    from corsight.proxy.server import uvicorn_options

    host = f"[{config.host}]" if ":" in config.host else config.host
    try:
        app = create_app(config)
    except OSError as exc:
        fail("proxy", f"cannot write the access log {config.access_log}: {exc.strerror or exc}")
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((config.host, config.port))
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        fail("proxy", f"cannot listen on {host}:{config.port}: {exc.strerror or exc}")
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            **uvicorn_options(config),
            log_level="warning",
            access_log=False,  # ours is the JSON access log
            lifespan="on",
            timeout_graceful_shutdown=math.ceil(config.graceful_timeout),
            server_header=False,
            proxy_headers=False,  # the client address is the peer's; X-Forwarded-For is only appended to
        )
    )
    where = f"{config.upstream}" if config.upstream else "any public http(s) URL"
    port = listener.getsockname()[1]
    click.echo(visible(f"corsight proxy ({config.mode} mode, to {where}) on http://{host}:{port}"), err=True)
    server.run(sockets=[listener])
    if not server.started:  # e.g. the app's start-up failed: uvicorn has said why
        sys.exit(2)
