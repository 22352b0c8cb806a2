"""``provarchive serve``, ``provarchive jobdef ...`` and ``provarchive user add``.

Each command calls one library function: :func:`provarchive.web.app.serve`,
:meth:`JobService.add_definition` (after :func:`load_definition` validated the file),
:func:`provarchive.web.auth.add_user`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from .common import fail, user_errors

__all__ = ["register"]

jobdef_app = typer.Typer(
    help="Add, list, show and validate job definitions (ActivityDescriptions).", no_args_is_help=True
)
user_app = typer.Typer(help="Manage users of token authentication.", no_args_is_help=True)

CONFIG_OPTION = typer.Option(None, "--config", "-c", help="TOML configuration file (default: provarchive.toml).")


def _settings(config: Path | None) -> Any:
    from ..config import load_settings

    with user_errors():
        return load_settings(config)


def _service(config: Path | None) -> Any:
    from ..web.app import build_service

    service = build_service(_settings(config))
    service.store.create_schema()
    return service


def serve(
    host: str = typer.Option(None, help="Address to listen on (default from the configuration: 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default from the configuration: 8000)."),
    config: Path = CONFIG_OPTION,
    jobdefs: list[Path] = typer.Option([], "--jobdefs", help="Directory or file of job definitions to load."),
    examples: bool = typer.Option(False, "--examples", help="Also load the example job definitions."),
    log_level: str = typer.Option("INFO", help="Log level (DEBUG, INFO, WARNING)."),
) -> None:
    """Run the UWS job service (with VOSI and the job definitions) until interrupted."""
    from ..web.app import EXAMPLES_DIR
    from ..web.app import serve as run

    settings = _settings(config)
    if host:
        settings.service.host = host
    if port:
        settings.service.port = port
    folders = list(jobdefs) + ([EXAMPLES_DIR] if examples else [])
    typer.echo(f"provarchive job service on http://{settings.service.host}:{settings.service.port}/", err=True)
    run(settings, definitions=folders, log_level=log_level.upper())


@jobdef_app.command("validate")
def jobdef_validate(files: list[Path] = typer.Argument(..., help="YAML or OPUS VOTable definitions.")) -> None:
    """Check definitions without storing them; every problem is listed."""
    from ..jobs.definitions import DefinitionError, load_definition

    bad = 0
    for path in files:
        with user_errors():
            data = path.read_bytes()
        try:
            definition = load_definition(data, str(path))
        except DefinitionError as exc:
            bad += 1
            typer.echo(f"{path}: invalid", err=True)
            for problem in exc.problems:
                typer.echo(f"  - {problem}", err=True)
            continue
        typer.echo(f"{path}: valid ({definition.id})")
    if bad:
        raise typer.Exit(1)


@jobdef_app.command("add")
def jobdef_add(
    files: list[Path] = typer.Argument(..., help="YAML or OPUS VOTable definitions."), config: Path = CONFIG_OPTION
) -> None:
    """Validate and store definitions; older versions are kept, jobs keep their version."""
    from ..jobs.definitions import load_definition

    service = _service(config)
    for path in files:
        with user_errors(1):
            definition = load_definition(path.read_bytes(), str(path))
            added = service.add_definition(definition)
        typer.echo(f"{definition.id}: {'added' if added else 'already stored'}")


@jobdef_app.command("list")
def jobdef_list(config: Path = CONFIG_OPTION) -> None:
    """List stored definitions with their versions (newest last)."""
    service = _service(config)
    for definition in service.list_definitions():
        versions = ", ".join(service.definition_versions(definition.name))
        typer.echo(f"{definition.name}\t{versions}\t{definition.description or ''}")


@jobdef_app.command("show")
def jobdef_show(
    name: str,
    version: str = typer.Option(None, help="Version to show (default: the newest)."),
    format: str = typer.Option("yaml", help="yaml, json or votable."),
    config: Path = CONFIG_OPTION,
) -> None:
    """Print a stored definition."""
    from ..jobs.errors import UnknownJobError

    service = _service(config)
    try:
        definition = service.get_definition(name, version)
    except UnknownJobError as exc:
        raise fail(str(exc)) from None
    if format == "json":
        typer.echo(json.dumps(definition.to_dict(), indent=2))
    elif format == "votable":
        from ..jobs.opus import to_votable

        typer.echo(to_votable(definition).decode())
    elif format == "yaml":
        typer.echo(definition.to_yaml(), nl=False)
    else:
        raise fail(f"--format must be yaml, json or votable, not {format!r}")


@user_app.command("add")
def user_add(
    name: str,
    admin: bool = typer.Option(False, "--admin", help="The user sees and manages every job."),
    config: Path = CONFIG_OPTION,
) -> None:
    """Create a user (or give them a new token) and print the token; it is stored hashed only."""
    from ..web.auth import add_user

    service = _service(config)
    with user_errors(1):
        token = add_user(service, name, admin=admin)
    typer.echo(token)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(jobdef_app, name="jobdef")
    app.add_typer(user_app, name="user")
