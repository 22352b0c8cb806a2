"""Helpers shared by the command modules: error reporting and exit codes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

__all__ = ["fail", "user_errors", "EXIT_INVALID", "EXIT_UNREADABLE"]

EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def user_errors(code: int = EXIT_UNREADABLE) -> Iterator[None]:
    """Turn expected errors (bad files, bad values) into one clear line and an exit code."""
    from ..formats.errors import FormatError

    try:
        yield
    except (FormatError, ValueError, KeyError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        message = str(exc)
        if isinstance(exc, KeyError) and exc.args:
            message = str(exc.args[0])
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            message = f"{exc.strerror}: {exc.filename}"
        sys.stdout.flush()
        raise fail(message, code) from None
