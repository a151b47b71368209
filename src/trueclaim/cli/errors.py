"""The CLI's one error handler: our errors exit 1 (input errors 2), others 3, Ctrl-C 130.

Modelled on pre-commit's error_handler: an unexpected exception prints one line and writes the
full traceback to a log file whose path is printed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

err_console = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_ERROR = 1
EXIT_INPUT = 2
EXIT_CRASH = 3
EXIT_INTERRUPT = 130


class CLIError(Exception):
    """An error the user can fix; printed without a traceback."""

    exit_code = EXIT_ERROR


class InputError(CLIError):
    """The input files or arguments cannot be used."""

    exit_code = EXIT_INPUT


def log_path() -> Path:
    base = Path(os.environ.get("TRUECLAIM_HOME", Path(tempfile.gettempdir()) / "trueclaim"))
    return base / "trueclaim.log"


@contextmanager
def error_handler() -> Iterator[None]:
    import click
    import typer

    from trueclaim.forensics.errors import ForensicsError

    try:
        yield
    except (
        typer.Exit,
        typer.Abort,
        click.exceptions.Exit,
        click.exceptions.Abort,
        click.ClickException,
    ):
        raise
    except CLIError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(exc.exit_code)
    except ForensicsError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(EXIT_INTERRUPT)
    except Exception as exc:
        path = log_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(traceback.format_exc())
            where = f"; the traceback is in {path}"
        except OSError:
            where = ""
        err_console.print(
            f"[bold red]An unexpected error occurred:[/] {type(exc).__name__}: {exc}{where}"
        )
        sys.exit(EXIT_CRASH)
