"""Wires the subcommands together; each lives in ``cli/commands/<name>.py``."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import typer

from trueclaim.cli.errors import error_handler

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
_SUBAPPS: tuple[tuple[str, str, str], ...] = (("bench", "bench", "app"),)


def _wire() -> None:
    for name, module, attr in _COMMANDS:
        mod = importlib.import_module(f"trueclaim.cli.commands.{module}")
        app.command(name)(_guarded(getattr(mod, attr)))
    for name, module, attr in _SUBAPPS:
        mod = importlib.import_module(f"trueclaim.cli.commands.{module}")
        app.add_typer(guard_typer(getattr(mod, attr)), name=name)



def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command inside the one error handler (exit codes 1/2/3/130)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with error_handler():
            return fn(*args, **kwargs)

    return wrapper


def guard_typer(sub: typer.Typer) -> typer.Typer:
    """Wrap every command of a sub-app in the error handler."""
    for info in sub.registered_commands:
        if info.callback is not None:
            info.callback = _guarded(info.callback)
    return sub


def main() -> None:
    """Entry point of the ``trueclaim`` command."""
    with error_handler():
        app()


_wire()
