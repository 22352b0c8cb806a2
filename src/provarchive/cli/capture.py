"""Capture commands: ``run`` (listed here, executed by the fast path), ``import ctapipe``, ``spool``.

``provarchive run`` never reaches this module when called from the shell: the entry
point dispatches it to :func:`provarchive.capture.wrapper.main` before Typer is imported
(its overhead budget is milliseconds). It is registered here too so that it appears in
``provarchive --help`` and works through Typer's test runner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import EXIT_INVALID, EXIT_UNREADABLE, fail, user_errors

__all__ = ["register"]


def _write_or_print(doc: object, output: Path | None, format: str | None) -> None:
    from ..formats import dumps, write

    if output is None or str(output) == "-":
        typer.echo(dumps(doc, format or "PROV-JSON").decode("utf-8"))  # type: ignore[arg-type]
    else:
        used = write(doc, output, format)  # type: ignore[arg-type]
        typer.echo(f"wrote {output} ({used.name})", err=True)


def register(app: typer.Typer) -> None:
    """Add the capture commands to ``app``."""

    @app.command(
        "run",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
        add_help_option=False,
    )
    def run(ctx: typer.Context) -> None:
        """Run a command and record its provenance: provarchive run [OPTIONS] -- CMD ARGS... (see run --help)."""
        from ..capture.wrapper import main

        raise typer.Exit(main(list(ctx.args)))

    importer = typer.Typer(help="Import provenance recorded by other tools.", no_args_is_help=True)

    @importer.command("ctapipe")
    def import_ctapipe(
        file: Annotated[Path, typer.Argument(help="ctapipe provenance log (one or several appended runs).")],
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Output document (default: PROV-JSON on stdout).")
        ] = None,
        format: Annotated[str | None, typer.Option("--format", "-f", help="Output format (default: from -o).")] = None,
        environment: Annotated[
            bool, typer.Option("--environment/--no-environment", help="Import the system information.")
        ] = True,
    ) -> None:
        """Convert a ctapipe provenance log (ctapipe's own JSON) into a PROV / IVOA ProvDM document."""
        from ..capture.ctapipe import import_ctapipe_log

        with user_errors(EXIT_UNREADABLE):
            doc = import_ctapipe_log(file, environment=environment)
        with user_errors(EXIT_INVALID):
            _write_or_print(doc, output, format)

    spool = typer.Typer(help="Compile or upload capture spools (JSON-Lines event logs).", no_args_is_help=True)

    @spool.command("compile")
    def compile_(
        file: Annotated[Path, typer.Argument(help="Spool file (.jsonl).")],
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Output document (default: PROV-JSON on stdout).")
        ] = None,
        format: Annotated[str | None, typer.Option("--format", "-f", help="Output format (default: from -o).")] = None,
        members: Annotated[
            str, typer.Option("--members", help="Expand collections: auto (<= 100 members), all or none.")
        ] = "auto",
    ) -> None:
        """Turn a spool into a provenance document (a spool cut off by a kill compiles too)."""
        from ..capture.spool import SpoolReport, compile_spool

        report = SpoolReport()
        with user_errors(EXIT_UNREADABLE):
            doc = compile_spool(file, members=members, report=report)
        if report.damaged_lines:
            typer.echo(
                f"warning: skipped {len(report.damaged_lines)} torn line(s): {report.damaged_lines[:5]}", err=True
            )
        if report.incomplete_activities:
            typer.echo(f"warning: {len(report.incomplete_activities)} activity(ies) never ended (killed?)", err=True)
        with user_errors(EXIT_INVALID):
            _write_or_print(doc, output, format)

    @spool.command("upload")
    def upload_(
        files: Annotated[list[Path], typer.Argument(help="Spool files to deliver.")],
        archive: Annotated[
            str | None,
            typer.Option("--archive", "-a", help="Archive URL (default: PROVARCHIVE_ARCHIVE or the data dir)."),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Send spools already marked as delivered.")] = False,
    ) -> None:
        """Deliver spools to the archive (idempotent; failures leave the spool in place)."""
        from ..capture.upload import upload

        failed = 0
        for path in files:
            if not path.is_file():
                raise fail(f"no such spool file: {path}", EXIT_UNREADABLE)
            result = upload(path, archive, force=force)
            if result.skipped:
                typer.echo(f"{path}: already delivered to {result.archive_url}")
            elif result.ok:
                added = getattr(result.ingest, "total_added", "?")
                unchanged = getattr(result.ingest, "unchanged", "?")
                typer.echo(f"{path}: {added} records added, {unchanged} already present")
            else:
                failed += 1
                typer.echo(f"{path}: not delivered ({result.error}); spool kept", err=True)
        if failed:
            raise typer.Exit(EXIT_INVALID)

    app.add_typer(importer, name="import")
    app.add_typer(spool, name="spool")
