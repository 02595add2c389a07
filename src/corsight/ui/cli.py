"""The ``corsight ui`` command: start the local UI and open it in the browser."""

from __future__ import annotations

import threading
import webbrowser

import click

from corsight.clierror import fail, need_extra


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on")
@click.option(
    "--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="Port (0: a free one)"
)
@click.option("--no-open", is_flag=True, help="Do not open the page in a browser")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a non-loopback --host: other machines could then make this one send requests",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Another host name the page may be reached by (with --allow-remote)",
)
def ui_command(
    host: str, port: int, no_open: bool, allow_remote: bool, allowed_hosts: tuple[str, ...]
) -> None:
    """Start the corsight web page: a form for the request, the browser's verdict, the fix,
    and a live test in your own browser. Listens on loopback only unless --allow-remote.

    \b
    Example:
      corsight ui --port 8765 --no-open

    \b
    Exit statuses: 0 stopped with Ctrl-C, 2 the address cannot be used.
    """
    try:
        from corsight.ui.server import NotLoopback, UIServer, is_loopback
    except ImportError as exc:
        need_extra("ui", exc.name, "ui")
    try:
        server = UIServer(host, port, allow_remote=allow_remote, allowed_hosts=allowed_hosts)
    except NotLoopback as exc:
        fail("ui", str(exc))
    except OSError as exc:
        fail("ui", f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    if not is_loopback(host):
        click.echo(
            f"corsight ui: WARNING: listening on {host}, beyond loopback. Anyone who can reach this"
            " address and open the page can make this machine send HTTP requests, including to"
            " services only it can reach. Stop with Ctrl-C when done.",
            err=True,
        )
    click.echo(f"corsight ui: {server.url}  (Ctrl-C to stop)")
    if not no_open:

        def open_when_ready() -> None:
            while not server.server.started and not server.server.should_exit:
                threading.Event().wait(0.05)
            if server.server.started:
                webbrowser.open(server.url)

        threading.Thread(target=open_when_ready, daemon=True).start()
    server.run()
