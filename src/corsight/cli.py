"""The ``corsight`` command line: one click group, one sub-command per tool.

Exit statuses: 0 allowed, 1 blocked by the browser, 2 usage or network error (one line on
stderr, never a traceback).
"""

from __future__ import annotations

from typing import Any

import click

# Sub-command -> "module:attribute". A command's module is imported only when that command runs
# (or for --help), so `corsight scan` does not pay for the proxy, the UI, httpx and the rest.
COMMANDS = {
    "check": "corsight.check_cli:check_command",
    "export": "corsight.export.cli:export_command",
    "har": "corsight.har_cli:har_command",
    "lint": "corsight.lint:lint_command",
    "proxy": "corsight.proxy.cli:proxy_command",
    "scan": "corsight.scan.cli:scan_command",
    "ui": "corsight.ui.command:ui_command",
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            module_name, _, attribute = COMMANDS[cmd_name].partition(":")
            module: Any = __import__(module_name, fromlist=[attribute])
            command = getattr(module, attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, cmd_name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="corsight")
def main() -> None:
    """corsight: CORS done right."""


if __name__ == "__main__":  # pragma: no cover
    main()
