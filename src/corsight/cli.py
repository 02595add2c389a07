"""The ``corsight`` command line: one click group, one sub-command per tool.

Exit statuses: 0 allowed, 1 blocked by the browser, 2 usage or network error (one line on
stderr, never a traceback), 3 not verified (``check`` did not send the actual request),
130 interrupted with Ctrl-C (the shell's convention, quietly).
"""

from __future__ import annotations

import difflib
import re
import sys
from typing import Any

import click

from corsight.clierror import fail, need_extra

# Sub-command -> ("module:attribute", the extra that brings its dependencies). A command's module
# is imported only when that command runs (or for --help), so `corsight scan` does not pay for the
# proxy, the UI, httpx and the rest.
COMMANDS = {
    "check": ("corsight.check.cli:check_command", "cli"),
    "export": ("corsight.export.cli:export_command", "cli"),
    "har": ("corsight.har.cli:har_command", "cli"),
    "lint": ("corsight.config.lint:lint_command", "cli"),
    "proxy": ("corsight.proxy.cli:proxy_command", "proxy"),
    "scan": ("corsight.scan.cli:scan_command", "scan"),
    "ui": ("corsight.ui.cli:ui_command", "ui"),
}


def needs_extra(name: str, missing: str, extra: str) -> click.Command:
    """A stand-in for a command whose extra is not installed: its help says what to install, and
    running it prints that one line and exits 2."""

    def refuse() -> None:
        need_extra(name, missing, extra)

    return click.Command(
        name,
        callback=refuse,
        help=f"(not installed: pip install 'corsight[{extra}]')",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )


def first_sentence(text: str) -> str:
    """A command's summary for the command list: its help up to the first full stop, whole (click
    would cut it at 45 characters, mid-sentence)."""
    paragraph = " ".join(text.split("\n\n", 1)[0].split())
    end = re.search(r"[.?!] ", paragraph)
    return paragraph if end is None else paragraph[: end.start() + 1]


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use, that lists them with whole
    sentences, suggests the command meant when a name is mistyped, and exits 130 on Ctrl-C."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, first_sentence(command.help or "")))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            ctx.fail(f"No such command '{name}'.{hint}")
        return super().resolve_command(ctx, args)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:  # `corsight --bogus`: one line too
            fail("", exc.format_message())

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            sys.exit(130)  # click would print "Aborted!" and exit 1
        except click.UsageError as exc:
            # One line, as for every other bad input (click prints usage, a hint and the error).
            command = exc.ctx.command.name if exc.ctx is not None and exc.ctx.command is not self else ""
            fail(command or "", exc.format_message())

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
    """corsight: CORS done right. Why a browser blocks a cross-origin request, and the fix.

    \b
    Start with:  corsight check https://api.example.com/items --origin https://app.example.com
    Each command's --help has examples and its exit statuses.
    """


if __name__ == "__main__":  # pragma: no cover
    main()
