"""The provenance archive: ingest, lineage, impact and search on SQLite or PostgreSQL.

::

    from provarchive.store import open_archive

    archive = open_archive("archive.db")        # or "postgresql://user@host/db"
    archive.ingest(doc, source="run42.json")
    how = archive.lineage("ex:map.fits", depth=None)
    hit = archive.impact("ex:calib3.fits")

See docs/archive.md for the how-to and the rules (transactions, idempotence, conflicts,
merge policy, schema).
"""

from .archive import Archive, open_archive
from .engine import StoreError
from .impact import ImpactItem
from .ingest import ConflictError, IngestResult
from .schema import SCHEMA, TABLES, ColumnSpec, TableSpec, build_metadata

__all__ = [
    "SCHEMA",
    "TABLES",
    "Archive",
    "ColumnSpec",
    "ConflictError",
    "ImpactItem",
    "IngestResult",
    "StoreError",
    "TableSpec",
    "build_metadata",
    "open_archive",
]
