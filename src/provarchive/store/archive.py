"""The :class:`Archive`: the one object other layers use to store and query provenance.

It owns a backend (SQLite or PostgreSQL, see :mod:`.engine`) and delegates each
operation to the module that holds its rules: :mod:`.ingest`, :mod:`.lineage`,
:mod:`.impact`, :mod:`.search`. Every method opens its own short transaction, so an
Archive may be shared by threads of one process, and many processes may use the same
archive at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from ..model import Document, Namespaces
from . import impact as impact_mod
from . import lineage as lineage_mod
from . import search as search_mod
from .engine import Backend, StoreError, make_backend
from .impact import ImpactItem
from .ingest import IngestResult, ingest_document, read_namespaces
from .migrate import upgrade
from .rows import db_time, from_row, py_time
from .schema import EDGE_TABLES, SCHEMA, TABLES

__all__ = ["Archive", "open_archive"]

#: Tables counted by :meth:`Archive.stats` (the ProvDM tables and the marks; not the derived lineage_edge).
_STAT_TABLES = tuple(t.name for t in TABLES if t.name not in ("namespace", "ingest", "lineage_edge"))


def open_archive(url: str | os.PathLike[str], *, busy_timeout_s: float = 30.0, upgrade_schema: bool = True) -> Archive:
    """Open (and create or upgrade) the archive at ``url``.

    ``url`` is a plain path or ``sqlite:///path`` (SQLite) or ``postgresql://...``.
    """
    backend = make_backend(url, busy_timeout_s=busy_timeout_s)
    try:
        archive = Archive(backend)
        if upgrade_schema:
            archive.upgrade()
    except StoreError:
        backend.close()
        raise
    except Exception as exc:
        backend.close()
        raise StoreError(f"cannot open the archive at {os.fspath(url)!r}: {_first_line(exc)}") from exc
    return archive


def _first_line(exc: BaseException) -> str:
    message = str(exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


class Archive:
    """A provenance archive (see the module documentation and docs/archive.md)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (other layers keep their own tables in the same database)."""
        return self.backend.engine

    @property
    def url(self) -> str:
        return self.backend.url

    def upgrade(self) -> str | None:
        """Create or upgrade the schema to the newest revision; returns the revision before."""
        return upgrade(self.backend)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Archive {self.backend.name} {self.url}>"

    # ----------------------------------------------------------------------- write

    def ingest(
        self,
        doc: Document,
        *,
        merge: bool = False,
        source: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestResult:
        """Store ``doc`` in one transaction (idempotent; conflicts refused unless ``merge``).

        ``progress(done, total)``, if given, is called as records are stored.
        """
        return self._retrying(lambda: ingest_document(self.backend, doc, merge=merge, source=source, progress=progress))

    def mark(
        self, ids: Iterable[str], mark: str = "reprocess", *, note: str | None = None, by: str | None = None
    ) -> int:
        """Mark records (e.g. for reprocessing); the records themselves are not changed."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        with self.backend.write() as conn:
            return impact_mod.mark(conn, ids, mark, note=note, by=by)

    def invalidate(self, ids: Iterable[str], time: datetime) -> int:
        """Set ``invalidatedAtTime`` on entities that have none yet (e.g. the results of a
        destroyed job: the files are gone, the provenance stays). Nothing else changes;
        returns how many entities were updated."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        stored = db_time(time)
        value = stored if self.backend.name == "sqlite" else py_time(stored)
        sql = text(
            f"UPDATE {SCHEMA}.entity SET invalidated_at_time = :time"
            " WHERE id = :id AND bundle_id = '' AND invalidated_at_time IS NULL"
        )
        with self.backend.write() as conn:
            return sum(conn.execute(sql, {"time": value, "id": ident}).rowcount for ident in ids)

    def _retrying(self, work: Any) -> Any:
        """Run a write, retrying PostgreSQL deadlock/serialisation failures (they roll back cleanly)."""
        attempts = 5 if self.backend.name == "postgresql" else 1
        for attempt in range(attempts):
            try:
                return work()
            except StoreError as exc:
                cause = exc.__cause__
                sqlstate = getattr(getattr(cause, "orig", cause), "sqlstate", None)
                if sqlstate in ("40P01", "40001") and attempt + 1 < attempts:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------------ read

    def namespaces(self) -> Namespaces:
        """The archive's namespaces (every prefix used by stored identifiers)."""
        with self.engine.connect() as conn:
            return self._namespaces(conn)

    @staticmethod
    def _namespaces(conn: Any) -> Namespaces:
        stored = read_namespaces(conn)
        default = stored.pop("", None)
        return Namespaces(stored, default)

    def get(self, id: str) -> Document | None:
        """The record ``id`` with its direct relations (and its configuration), or None."""
        with self.engine.connect() as conn:
            found: list[tuple[str, Any]] = []
            for table in (
                "entity",
                "activity",
                "agent",
                "activitydescription",
                "entitydescription",
                "usagedescription",
                "generationdescription",
                "parameter",
                "parameterdescription",
                "configfile",
                "configfiledescription",
            ):
                found += lineage_mod.fetch_records(self.backend, conn, table, "id", [id], extra=" AND bundle_id = ''")
            if not found:
                return None
            doc = Document(namespaces=self._namespaces(conn))
            for _bundle, record in found:
                doc.add(record)
            artefacts: set[str] = set()
            for table, (first, second) in EDGE_TABLES.items():
                for column in (first, second):
                    for _bundle, record in lineage_mod.fetch_records(
                        self.backend, conn, table, column, [id], extra=" AND bundle_id = ''"
                    ):
                        if column == second and getattr(record, first) == id:
                            continue  # a self-loop, already found through the first column
                        doc.add(record)
                        if table == "wasconfiguredby" and column == first:
                            artefacts.add(record.artefact)  # type: ignore[attr-defined]
            for table in ("parameter", "configfile"):
                for _bundle, record in lineage_mod.fetch_records(
                    self.backend, conn, table, "id", sorted(artefacts), extra=" AND bundle_id = ''"
                ):
                    doc.add(record)
            return doc

    def export(self) -> Document:
        """The whole archive as one Document, bundles included (for backups and round trips)."""
        with self.engine.connect() as conn:
            doc = Document(namespaces=self._namespaces(conn))
            for spec in TABLES:
                if spec.name in ("namespace", "bundle", "ingest", "mark", "lineage_edge"):
                    continue
                columns = ", ".join(f'"{c}"' for c in spec.column_names)
                rows = conn.execute(text(f"SELECT {columns} FROM {SCHEMA}.{spec.name} ORDER BY {', '.join(spec.key)}"))
                for row in rows:
                    bundle_id, record = from_row(spec.name, row)
                    (doc if not bundle_id else doc.bundle(bundle_id)).add(record)
            return doc

    def lineage(
        self,
        ids: str | Sequence[str],
        *,
        direction: str = "back",
        depth: int | None = 1,
        members: bool = False,
        agents: bool = True,
        descriptions: bool = True,
        configuration: bool = True,
    ) -> Document:
        """The lineage of ``ids`` as a Document; ``depth=None`` means all (see :mod:`.lineage`)."""
        id_list = [ids] if isinstance(ids, str) else list(ids)
        if not id_list:
            raise ValueError("lineage needs at least one id")
        with self.engine.connect() as conn:
            return lineage_mod.lineage_document(
                self.backend,
                conn,
                self._namespaces(conn),
                id_list,
                direction=direction,
                depth=depth,
                members=members,
                agents=agents,
                descriptions=descriptions,
                configuration=configuration,
            )

    def lineage_ids(
        self, ids: str | Sequence[str], *, direction: str = "back", depth: int | None = None, members: bool = False
    ) -> dict[str, int | None]:
        """Only the ids reached by a lineage walk (start ids included) → distance (None if unlimited)."""
        id_list = [ids] if isinstance(ids, str) else list(ids)
        with self.engine.connect() as conn:
            return lineage_mod.walk(self.backend, conn, id_list, direction=direction, depth=depth, members=members)

    def impact(self, entity_id: str) -> list[ImpactItem]:
        """Every entity and activity downstream of ``entity_id``, with data level/type information."""
        with self.engine.connect() as conn:
            return impact_mod.impact(self.backend, conn, entity_id)

    def marks(self, mark: str | None = None) -> list[dict[str, object]]:
        """Every mark put with :meth:`mark` (optionally only one kind)."""
        with self.engine.connect() as conn:
            return impact_mod.marks_of(conn, mark)

    def search(
        self,
        *,
        description: str | None = None,
        version: str | None = None,
        type: str | None = None,
        parameter: str | None = None,
        value: str | None = None,
        config_file: str | None = None,
        agent: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        content_type: str | None = None,
        hash: str | None = None,
        location: str | None = None,
        used: str | None = None,
        kind: str = "entity",
        limit: int = 100,
        after: str | None = None,
    ) -> list[dict[str, Any]]:
        """Entities (or activities) matching every given filter (see :mod:`.search`)."""
        with self.engine.connect() as conn:
            return search_mod.search(
                self.backend,
                conn,
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
                kind=kind,
                limit=limit,
                after=after,
            )

    def stats(self) -> dict[str, int]:
        """Row count of every ProvDM table (and of bundles and marks)."""
        with self.engine.connect() as conn:
            sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {SCHEMA}.{t}" for t in _STAT_TABLES)
            return {name: int(n) for name, n in conn.execute(text(sql))}
