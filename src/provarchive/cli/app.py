"""Assembles the Typer application from the command modules.

Each module of this package owns the commands of one layer and exposes
``register(app)``; the library does the work, the commands only parse options, print
and turn errors into exit codes.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["build_app", "COMMAND_MODULES"]

#: Command modules, in the order their commands appear in ``--help``.
COMMAND_MODULES = ("documents", "archive", "capture", "service")


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="provarchive",
        help="Provenance for astronomy data processing: model, formats, archive, capture and VO services.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue  # that layer's commands are not installed in this checkout
            raise
        module.register(app)
    return app
