"""The ``corsight`` command line: one click group, one sub-command per tool.

Exit statuses: 0 allowed, 1 blocked by the browser, 2 usage or network error (one line on
stderr, never a traceback).
"""

from __future__ import annotations

from typing import Any

import click

from corsight.clierror import fail

# Sub-command -> ("module:attribute", the extra that brings its dependencies). A command's module
# is imported only when that command runs (or for --help), so `corsight scan` does not pay for the
# proxy, the UI, httpx and the rest.
COMMANDS = {
    "check": ("corsight.check_cli:check_command", "cli"),
    "export": ("corsight.export.cli:export_command", "cli"),
    "har": ("corsight.har_cli:har_command", "cli"),
    "lint": ("corsight.lint:lint_command", "cli"),
    "proxy": ("corsight.proxy.cli:proxy_command", "proxy"),
    "scan": ("corsight.scan.cli:scan_command", "scan"),
    "ui": ("corsight.ui.command:ui_command", "ui"),
}


def needs_extra(name: str, missing: str, extra: str) -> click.Command:
    """A stand-in for a command whose extra is not installed: its help says what to install, and
    running it prints that one line and exits 2."""

    def refuse() -> None:
        fail(name, f"{missing} is missing: pip install 'corsight[{extra}]'")

    return click.Command(
        name,
        callback=refuse,
        help=f"(not installed: pip install 'corsight[{extra}]')",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in COMMANDS:
            target, extra = COMMANDS[cmd_name]
            module_name, _, attribute = target.partition(":")
            try:
                module: Any = __import__(module_name, fromlist=[attribute])
            except ModuleNotFoundError as exc:
                if exc.name is None or exc.name.startswith("corsight"):
                    raise
                command = needs_extra(cmd_name, exc.name, extra)
            else:
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
