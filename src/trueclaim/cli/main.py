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
    ("serve", "serve", "serve"),
    ("worker", "worker", "worker"),
    ("export", "export", "export"),
    ("verify-bundle", "verify_bundle", "verify_bundle"),
)
_SUBAPPS: tuple[tuple[str, str, str], ...] = (("bench", "bench", "app"), ("db", "db", "app"))

# Commands added to a sub-app from another module: (sub-app, command name, module, function).
_SUBAPP_COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("bench", "make-mixed", "calibrate", "make_mixed"),
    ("bench", "fit", "calibrate", "fit"),
)


def _wire() -> None:
    for name, module, attr in _COMMANDS:
        mod = importlib.import_module(f"trueclaim.cli.commands.{module}")
        app.command(name)(_guarded(getattr(mod, attr)))
    for name, module, attr in _SUBAPPS:
        mod = importlib.import_module(f"trueclaim.cli.commands.{module}")
        sub: typer.Typer = getattr(mod, attr)
        for parent, command, extra_module, function in _SUBAPP_COMMANDS:
            if parent == name:
                extra = importlib.import_module(f"trueclaim.cli.commands.{extra_module}")
                sub.command(command)(getattr(extra, function))
        app.add_typer(guard_typer(sub), name=name)


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
