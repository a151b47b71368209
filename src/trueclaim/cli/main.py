"""Wires the subcommands together; each lives in ``cli/commands/<name>.py``."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="trueclaim",
    help="Check after-sales claim photos for forgery, and run the claim service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (command name, module, function). Sub-apps are (name, module, "app").
_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("check", "check", "check"),
    ("demo", "demo", "demo"),
)
_SUBAPPS: tuple[tuple[str, str, str], ...] = ()


def _wire() -> None:
    for name, module, attr in _COMMANDS:
        mod = importlib.import_module(f"trueclaim.cli.commands.{module}")
        app.command(name)(getattr(mod, attr))
    for name, module, attr in _SUBAPPS:
        mod = importlib.import_module(f"trueclaim.cli.commands.{module}")
        app.add_typer(getattr(mod, attr), name=name)


_wire()


def main() -> None:
    """Entry point of the ``trueclaim`` command."""
    from trueclaim.cli.errors import error_handler

    with error_handler():
        app()
