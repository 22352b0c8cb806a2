"""Archive commands: ingest, lineage, impact, search, stats and ``db upgrade``.

The archive is the one given with ``--archive`` (a path, ``sqlite:///path`` or
``postgresql://...``), else ``PROVARCHIVE_ARCHIVE`` / the config file / the default
``<data dir>/archive.db`` (:func:`provarchive.config.load_settings`). Each command calls
one :class:`provarchive.store.Archive` method; expected failures print one
``error: ...`` line and exit non-zero.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import EXIT_INVALID, EXIT_UNREADABLE, fail

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Archive

__all__ = ["register"]

ArchiveOption = Annotated[
    str | None,
    typer.Option(
        "--archive",
        "-a",
        help="Archive location (path, sqlite:///path or postgresql://...).",
        envvar="PROVARCHIVE_ARCHIVE",
        show_envvar=True,
    ),
]
#: Documents with at least this many records get a progress bar while they are stored.
_PROGRESS_MIN_RECORDS = 50_000


def _archive_url(given: str | None) -> str:
    if given:
        return given
    from ..config import load_settings

    return load_settings().archive_url


@contextmanager
def _store_errors(code: int = EXIT_INVALID) -> Iterator[None]:
    """Store, format and value errors become one line and an exit code."""
    from ..formats.errors import FormatError
    from ..store import StoreError

    try:
        yield
    except (StoreError, FormatError, ValueError) as exc:
        sys.stdout.flush()
        raise fail(str(exc), code) from None
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise fail(f"{exc.strerror}: {exc.filename}", EXIT_UNREADABLE) from None


@contextmanager
def _opened(url: str | None) -> Iterator[Archive]:
    from ..store import open_archive

    with _store_errors():
        archive = open_archive(_archive_url(url))
    try:
        with _store_errors():
            yield archive
    finally:
        archive.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def register(app: typer.Typer) -> None:
    """Add the archive commands to ``app``."""

    @app.command("ingest")
    def ingest(
        files: Annotated[list[Path], typer.Argument(help="Provenance documents (any readable format).")],
        archive: ArchiveOption = None,
        merge: Annotated[
            bool, typer.Option("--merge", help="Complete stored records instead of refusing conflicts.")
        ] = False,
        format: Annotated[str | None, typer.Option("--format", "-f", help="Input format (default: detected).")] = None,
    ) -> None:
        """Store documents in the archive, one transaction per file (idempotent)."""
        from rich.progress import Progress

        from ..formats import read

        total_added = total_unchanged = 0
        with _opened(archive) as store, Progress(transient=True) as bar:
            overall = bar.add_task("files", total=len(files), visible=len(files) > 1)
            for path in files:
                with _store_errors(EXIT_UNREADABLE):
                    doc = read(path, format)
                count = doc.count()
                # a bar for large documents only: small ones are stored before it would show
                task = bar.add_task(path.name, total=count, visible=count >= _PROGRESS_MIN_RECORDS)
                try:
                    result = store.ingest(
                        doc,
                        merge=merge,
                        source=str(path),
                        progress=partial(_advance, bar, task),
                    )
                except Exception as exc:
                    from ..store import StoreError

                    if isinstance(exc, StoreError):
                        raise fail(f"{path}: {exc}", EXIT_INVALID) from None
                    raise
                bar.remove_task(task)
                total_added += result.total_added
                total_unchanged += result.unchanged
                merged = f", {result.merged} merged" if result.merged else ""
                bar.console.print(
                    f"{path}: {result.total_added} records added, {result.unchanged} already present{merged}",
                    highlight=False,
                )
                bar.advance(overall)
        if len(files) > 1:
            typer.echo(f"total: {total_added} added, {total_unchanged} already present")

    @app.command("lineage")
    def lineage(
        ids: Annotated[list[str], typer.Argument(help="Entity or activity id(s), e.g. ex:map.fits.")],
        back: Annotated[
            bool, typer.Option("--back/--forth", help="Back to the inputs (default) or forth to uses.")
        ] = True,
        depth: Annotated[str, typer.Option("--depth", "-d", help="Relations to follow: a number or 'all'.")] = "1",
        members: Annotated[bool, typer.Option("--members", help="Also walk into collection members.")] = False,
        format: Annotated[
            str | None, typer.Option("--format", "-f", help="Serialise (PROV-JSON, PROV-N, ...).")
        ] = None,
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
        archive: ArchiveOption = None,
    ) -> None:
        """Show how records were made (--back) or what was made from them (--forth)."""
        from ..formats import dumps, write

        if depth.lower() in ("all", "none"):
            max_depth = None
        else:
            try:
                max_depth = int(depth)
            except ValueError:
                raise fail(f"--depth must be a number or 'all', not {depth!r}", EXIT_INVALID) from None
            if max_depth < 0:
                raise fail("--depth must be >= 0", EXIT_INVALID)
        with _opened(archive) as store:
            missing = [i for i in ids if store.get(i) is None]
            if missing:
                raise fail(f"not in the archive: {', '.join(missing)}", EXIT_INVALID)
            doc = store.lineage(ids, direction="back" if back else "forth", depth=max_depth, members=members)
            if output is not None:
                write(doc, output, format)
                typer.echo(f"{output}: {doc.count()} records")
            elif format is not None:
                sys.stdout.buffer.write(dumps(doc, format))
                sys.stdout.flush()
            else:
                _print_tree(doc, ids, back)

    @app.command("impact")
    def impact(
        entity_id: Annotated[str, typer.Argument(help="The entity that turned out wrong.")],
        mark: Annotated[
            str | None, typer.Option("--mark", help="Mark every downstream record, e.g. reprocess.")
        ] = None,
        note: Annotated[str | None, typer.Option("--note", help="Why (stored with the mark).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        archive: ArchiveOption = None,
    ) -> None:
        """List everything downstream of an entity (and optionally mark it)."""
        from dataclasses import asdict

        with _opened(archive) as store:
            if store.get(entity_id) is None:
                raise fail(f"not in the archive: {entity_id}", EXIT_INVALID)
            items = store.impact(entity_id)
            if mark:
                store.mark([i.id for i in items], mark, note=note)
                items = store.impact(entity_id)
        if as_json:
            typer.echo(json.dumps([_jsonable(asdict(i)) for i in items], indent=1))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"downstream of {entity_id}: {len(items)} records")
        for column in ("id", "kind", "name", "description", "type", "time", "marks"):
            table.add_column(column)
        for item in items:
            table.add_row(
                item.id,
                item.entity_kind or item.kind,
                item.name or "",
                item.description or "",
                item.type or "",
                _jsonable(item.time) or "",
                ", ".join(item.marks),
            )
        Console().print(table)

    @app.command("search")
    def search(
        kind: Annotated[str, typer.Option("--kind", help="entity or activity.")] = "entity",
        description: Annotated[
            str | None, typer.Option(help="ActivityDescription name (of the generating activity).")
        ] = None,
        version: Annotated[str | None, typer.Option(help="ActivityDescription version.")] = None,
        type: Annotated[str | None, typer.Option("--type", help="Description type, e.g. DL2.")] = None,
        parameter: Annotated[str | None, typer.Option(help="Parameter name.")] = None,
        value: Annotated[str | None, typer.Option(help="Parameter value.")] = None,
        config_file: Annotated[str | None, typer.Option(help="Config file id, name or location.")] = None,
        agent: Annotated[str | None, typer.Option(help="Agent id or name.")] = None,
        since: Annotated[str | None, typer.Option(help="Not before (ISO 8601).")] = None,
        until: Annotated[str | None, typer.Option(help="Not after (ISO 8601).")] = None,
        content_type: Annotated[str | None, typer.Option(help="Dataset content type.")] = None,
        hash: Annotated[str | None, typer.Option("--hash", help="A hash attribute value.")] = None,
        location: Annotated[str | None, typer.Option(help="Location pattern (* and ?).")] = None,
        used: Annotated[str | None, typer.Option(help="Generated by an activity that used this entity.")] = None,
        limit: Annotated[int, typer.Option(help="At most this many results.")] = 100,
        after: Annotated[str | None, typer.Option(help="Page on: results after this id.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        archive: ArchiveOption = None,
    ) -> None:
        """Find entities or activities by description, parameter, agent, time, hash, location..."""
        with _opened(archive) as store:
            rows = store.search(
                kind=kind,
                description=description,
                version=version,
                type=type,
                parameter=parameter,
                value=value,
                config_file=config_file,
                agent=agent,
                since=since,
                until=until,
                content_type=content_type,
                hash=hash,
                location=location,
                used=used,
                limit=limit,
                after=after,
            )
        if as_json:
            typer.echo(json.dumps(_jsonable(rows), indent=1))
            return
        from rich.console import Console
        from rich.table import Table

        columns = (
            ("id", "name", "location", "type", "generated_at_time")
            if kind == "entity"
            else ("id", "name", "description_name", "version", "start_time")
        )
        table = Table(title=f"{len(rows)} {kind}{'' if len(rows) == 1 else 's'}")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(_jsonable(row.get(c)) or "") for c in columns))
        Console().print(table)

    @app.command("stats")
    def stats(
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        archive: ArchiveOption = None,
    ) -> None:
        """Count the records of each kind in the archive."""
        with _opened(archive) as store:
            counts = store.stats()
            where = store.url
        if as_json:
            typer.echo(json.dumps(counts, indent=1))
            return
        typer.echo(f"archive: {where}")
        for name, count in counts.items():
            if count:
                typer.echo(f"{name:24s} {count:>12,}")

    db = typer.Typer(help="Archive database maintenance.", no_args_is_help=True)

    @db.command("upgrade")
    def db_upgrade(archive: ArchiveOption = None) -> None:
        """Create the archive schema or upgrade it to the newest revision."""
        from ..store import open_archive
        from ..store.migrate import HEAD_REVISION

        with _store_errors():
            store = open_archive(_archive_url(archive), upgrade_schema=False)
            try:
                before = store.upgrade()
            finally:
                store.close()
        if before == HEAD_REVISION:
            typer.echo(f"archive schema already at revision {HEAD_REVISION}")
        else:
            typer.echo(f"archive schema upgraded from {before or 'nothing'} to revision {HEAD_REVISION}")

    app.add_typer(db, name="db")


def _advance(bar: Any, task: Any, done: int, _total: int) -> None:
    bar.update(task, completed=done)


def _print_tree(doc: Any, roots: list[str], back: bool) -> None:
    """A rich tree: each node with the records one step further (back or forth)."""
    from rich.console import Console
    from rich.tree import Tree

    from ..model import Activity, Entity, Used, WasGeneratedBy

    children: dict[str, list[tuple[str, str]]] = {}
    for record in doc.records:
        if isinstance(record, WasGeneratedBy) and record.activity:
            a, b = (record.entity, record.activity) if back else (record.activity, record.entity)
            children.setdefault(a, []).append((b, "generated by" if back else "generated"))
        elif isinstance(record, Used) and record.entity:
            a, b = (record.activity, record.entity) if back else (record.entity, record.activity)
            children.setdefault(a, []).append((b, "used" if back else "used by"))

    def label(ident: str) -> str:
        record = doc.get(ident)
        name = getattr(record, "name", None)
        kind = "activity" if isinstance(record, Activity) else "entity" if isinstance(record, Entity) else ""
        return f"[bold]{ident}[/bold] {kind}" + (f" — {name}" if name else "")

    console = Console()
    for root in roots:
        tree = Tree(label(root))
        seen = {root}
        stack = [(root, tree)]
        while stack:
            node, branch = stack.pop()
            for child, how in children.get(node, []):
                sub = branch.add(f"[dim]{how}[/dim] {label(child)}" + (" (see above)" if child in seen else ""))
                if child not in seen:
                    seen.add(child)
                    stack.append((child, sub))
        console.print(tree)
    console.print(f"{doc.count()} records (use --format to serialise them)", highlight=False)
