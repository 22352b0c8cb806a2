"""One TAP query from parameters to response body, for the sync endpoint and async jobs.

:class:`TapEngine` owns what a query needs: the published metadata (the guard's
catalogue), the way to open a read-only connection to the archive, and the limits
(MAXREC default and hard limit, time limit, upload size). :meth:`TapEngine.run` takes
the DALI parameters (names already folded to upper case) and returns the body to send;
every client mistake raises :class:`TapError`, which the callers turn into an error
VOTable with ``QUERY_STATUS=ERROR``. The database is only ever reached through
:mod:`provarchive.adql` (guard, translation, read-only executor).

Async jobs run this same code in a subprocess (``python -m provarchive.web.tap_query``)
started by the job service, so an async query is an ordinary UWS job with provenance.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..adql import AdqlError, Catalogue, open_sqlite_readonly, run_query, translate
from ..config import TapSettings
from .tap_results import OutputFormat, describe_fields, parse_format, write_result
from .tap_schema import PublishedColumn, TapMetadata, build_tap_metadata

__all__ = ["TapConfig", "TapEngine", "TapError", "Upload", "main"]

#: LANG values accepted (ADQL 2.1 is a superset of what the translator needs from 2.0).
LANGUAGES = ("ADQL", "ADQL-2.0", "ADQL-2.1")
_UPLOAD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class TapError(ValueError):
    """A request the service refuses: the message is sent in the error VOTable."""


@dataclass(frozen=True)
class TapConfig:
    """Limits and locations of the TAP service (also written to a file for async jobs).

    The limits a user can configure default to those of :class:`~provarchive.config.TapSettings`
    (documented there), so the two cannot disagree.
    """

    archive_url: str
    tap_schema_path: str | None = None
    """SQLite only: the file holding the materialised TAP_SCHEMA."""
    maxrec_default: int = TapSettings.maxrec_default
    maxrec_hard: int = TapSettings.maxrec_hard
    sync_timeout_s: float = TapSettings.sync_timeout_s
    async_timeout_s: float = TapSettings.async_timeout_s
    max_upload_rows: int = TapSettings.max_upload_rows
    max_upload_bytes: int = TapSettings.max_upload_bytes
    max_uploads: int = 8
    max_lineage_depth: int = 100

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TapConfig:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Upload:
    """An uploaded file (part of a multipart request) by its part name."""

    part: str
    path: str


@dataclass(frozen=True)
class UploadedTable:
    """A VOTable parsed for TAP_UPLOAD: lower-case column names, SQL types, rows."""

    name: str
    columns: dict[str, str]
    rows: list[tuple[Any, ...]]
    #: How each column is described in results: the uploaded FIELD's own metadata.
    fields: dict[str, PublishedColumn]


def _postgres_dsn(url: str) -> str:
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


class TapEngine:
    """Runs TAP queries on the archive (see the module documentation)."""

    def __init__(self, config: TapConfig, metadata: TapMetadata | None = None) -> None:
        self.config = config
        self.metadata = metadata or build_tap_metadata()
        self.catalogue: Catalogue = self.metadata.catalogue(config.max_lineage_depth)
        self.dialect = "postgres" if is_postgres(config.archive_url) else "sqlite"
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        #: Recent translations by (query, MAXREC), oldest first (dict order); see _translate.
        self._translations: dict[tuple[str, int], Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connections

    def _sqlite_paths(self) -> tuple[Path, dict[str, Path]]:
        from sqlalchemy.engine import make_url

        from ..store.engine import provenance_file

        url = self.config.archive_url
        main = Path(make_url(url).database or "") if url.startswith("sqlite://") else Path(url)
        main = main.expanduser()
        attached = {"provenance": provenance_file(main)}
        if self.config.tap_schema_path:
            attached["tap_schema"] = Path(self.config.tap_schema_path)
        return main, attached

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A read-only connection (SQLite: fresh; PostgreSQL: pooled, autocommit)."""
        if self.dialect == "sqlite":
            main, attached = self._sqlite_paths()
            sqlite_connection = open_sqlite_readonly(main, attached)
            try:
                yield sqlite_connection
            finally:
                sqlite_connection.close()
            return
        import psycopg

        try:
            pg_connection = self._idle.get_nowait()
        except queue.Empty:
            pg_connection = psycopg.connect(_postgres_dsn(self.config.archive_url), autocommit=True)
        healthy = True
        try:
            yield pg_connection
        except BaseException:
            healthy = (
                not pg_connection.closed and pg_connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            )
            raise
        finally:
            if healthy and not pg_connection.closed:
                self._idle.put(pg_connection)
            else:
                pg_connection.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    # ------------------------------------------------------------------ parameters

    def maxrec(self, value: str | None) -> int:
        """MAXREC as applied: the default when absent, the hard limit at most."""
        if value is None or not value.strip():
            return self.config.maxrec_default
        text = value.strip()
        if not text.lstrip("+").isdigit():
            raise TapError(f"MAXREC must be a non-negative integer, not {value!r}")
        return min(int(text), self.config.maxrec_hard)

    @staticmethod
    def check_request(params: Mapping[str, str]) -> None:
        request = params.get("REQUEST")
        if request is not None and request.strip().lower() != "doquery":
            raise TapError(f"REQUEST={request} is not supported; the only request is doQuery")
        lang = (params.get("LANG") or "ADQL").strip()
        if lang.upper() not in LANGUAGES:
            raise TapError(f"LANG={lang} is not supported; use ADQL, ADQL-2.0 or ADQL-2.1")
        version = params.get("VERSION")
        if version is not None and version.strip() not in ("1.0", "1.1"):
            raise TapError(f"VERSION={version} is not supported; this service speaks TAP 1.1")
        if not (params.get("QUERY") or "").strip():
            raise TapError("QUERY is required: the ADQL query to run")

    def output_format(self, params: Mapping[str, str]) -> OutputFormat:
        try:
            return parse_format(params.get("RESPONSEFORMAT") or params.get("FORMAT"))
        except ValueError as exc:
            raise TapError(str(exc)) from None

    # ------------------------------------------------------------------------ uploads

    def parse_uploads(self, spec: str | None, files: Mapping[str, Upload]) -> list[UploadedTable]:
        """UPLOAD=name,param:part[;name,param:part...] → parsed tables (VOTable only)."""
        if not spec or not spec.strip():
            return []
        tables: list[UploadedTable] = []
        for item in spec.split(";"):
            if not item.strip():
                continue
            name, _, uri = item.partition(",")
            name, uri = name.strip(), uri.strip()
            if not _UPLOAD_NAME.match(name):
                raise TapError(f"UPLOAD: table name {name!r} must be a letter followed by letters, digits or _")
            if uri.startswith(("http://", "https://")):
                with self._fetched(name, uri) as path:
                    tables.append(self._read_votable(name.lower(), path))
                continue
            if not uri.startswith("param:"):
                raise TapError(f"UPLOAD {name}: give the table as param:<part> or an http(s) URL, not {uri!r}")
            part = files.get(uri[len("param:") :])
            if part is None:
                raise TapError(f"UPLOAD {name}: the request has no file part named {uri[6:]!r}")
            tables.append(self._read_votable(name.lower(), Path(part.path)))
        if len(tables) > self.config.max_uploads:
            raise TapError(f"UPLOAD: at most {self.config.max_uploads} tables per query")
        if len({t.name for t in tables}) != len(tables):
            raise TapError("UPLOAD: two tables have the same name")
        return tables

    @contextmanager
    def _fetched(self, name: str, url: str) -> Iterator[Path]:
        """Download an upload given by URL (TAPRegExt upload-http) to a temporary file, size-capped."""
        import tempfile

        import httpx

        limit = self.config.max_upload_bytes
        with tempfile.NamedTemporaryFile(prefix="tap-upload-", suffix=".vot") as handle:
            try:
                with httpx.stream("GET", url, timeout=30.0, follow_redirects=True) as response:
                    if response.status_code != 200:
                        raise TapError(f"UPLOAD {name}: {url} answered HTTP {response.status_code}")
                    received = 0
                    for chunk in response.iter_bytes():
                        received += len(chunk)
                        if received > limit:
                            raise TapError(f"UPLOAD {name}: {url} is larger than the limit of {limit} bytes")
                        handle.write(chunk)
            except httpx.HTTPError as exc:
                raise TapError(f"UPLOAD {name}: cannot fetch {url}: {exc}") from None
            handle.flush()
            yield Path(handle.name)

    def _read_votable(self, name: str, path: Path) -> UploadedTable:
        if path.stat().st_size > self.config.max_upload_bytes:
            raise TapError(f"UPLOAD {name}: the file exceeds the limit of {self.config.max_upload_bytes} bytes")
        import warnings

        from astropy.io.votable import parse_single_table

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = parse_single_table(str(path), verify="ignore")
        except Exception as exc:  # astropy raises many types for bad input
            raise TapError(f"UPLOAD {name}: not a readable VOTable: {str(exc).splitlines()[0]}") from None
        if len(table.array) > self.config.max_upload_rows:
            raise TapError(f"UPLOAD {name}: {len(table.array)} rows exceed the limit of {self.config.max_upload_rows}")
        columns: dict[str, str] = {}
        fields: dict[str, PublishedColumn] = {}
        kinds: list[str] = []
        for votable_field in table.fields:
            column_name = votable_field.name
            column_name = column_name.lower() if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", column_name) else column_name
            if column_name in columns or '"' in column_name or not column_name:
                raise TapError(f"UPLOAD {name}: column name {votable_field.name!r} is repeated or not usable")
            scalar = votable_field.arraysize in (None, "1")
            kind = votable_field.datatype
            if kind == "boolean" and scalar:
                sql = "BOOLEAN"
            elif kind in ("short", "int", "long", "unsignedByte") and scalar:
                sql = "BIGINT"
            elif kind in ("float", "double") and scalar:
                sql = "DOUBLE"
            else:
                sql = "TEXT"
            columns[column_name] = sql
            kinds.append(sql)
            arraysize: str | None
            xtype: str | None
            if sql == "TEXT" and kind not in ("char", "unicodeChar"):
                datatype, arraysize, xtype = "char", "*", None  # numeric arrays come back as text
            else:
                datatype = "short" if kind == "unsignedByte" else "char" if kind == "unicodeChar" else kind
                arraysize = None if scalar else votable_field.arraysize  # no arraysize: one value
                xtype = votable_field.xtype
            fields[column_name] = PublishedColumn(
                column_name,
                votable_field.description or "",
                datatype,
                arraysize,
                xtype,
                votable_field.unit.to_string("vounit") if votable_field.unit is not None else None,
                votable_field.ucd,
                votable_field.utype,
                False,
                False,
                False,
                sql,
            )
        rows = []
        data, mask = table.array.data, table.array.mask
        names = data.dtype.names or ()
        for index in range(len(data)):
            row = []
            for position, sql in enumerate(kinds):
                value = data[names[position]][index]
                masked = (
                    bool(mask[names[position]][index])
                    if mask is not None and not hasattr(mask[names[position]][index], "__len__")
                    else False
                )
                row.append(None if masked else _plain(value, sql))
            rows.append(tuple(row))
        return UploadedTable(name, columns, rows, fields)

    # -------------------------------------------------------------------------- query

    def run(
        self, params: Mapping[str, str], files: Mapping[str, Upload] | None = None, *, timeout: float | None = None
    ) -> tuple[OutputFormat, bytes]:
        """Run one query; (format, body). Raises TapError for anything the client must fix."""
        self.check_request(params)
        fmt = self.output_format(params)
        maxrec = self.maxrec(params.get("MAXREC"))
        uploads = self.parse_uploads(params.get("UPLOAD"), files or {})
        catalogue = self.catalogue
        if uploads:
            catalogue = catalogue.with_uploads({t.name: t.columns for t in uploads})
        try:
            translation = self._translate(params["QUERY"], catalogue, maxrec, cacheable=not uploads)
        except AdqlError as exc:
            raise TapError(_adql_message(exc)) from None
        limit = timeout if timeout is not None else self.config.sync_timeout_s
        with self.connection() as connection:
            try:
                if uploads:
                    with self._uploaded(connection, uploads, translation) as ready:
                        result = run_query(connection, ready, limit)
                else:
                    result = run_query(connection, translation, limit)
            except AdqlError as exc:
                raise TapError(_adql_message(exc)) from None
        declared = {(f"tap_upload.{t.name}", c): f for t in uploads for c, f in t.fields.items()}
        fields = describe_fields(result.columns, result.rows, self.metadata, declared)
        return fmt, write_result(fmt, fields, result.rows, overflow=result.overflow)

    def _translate(self, query: str, catalogue: Catalogue, maxrec: int, *, cacheable: bool) -> Any:
        """Translate, reusing the translation of a query seen recently (TOPCAT and scripts repeat them).

        Translation depends only on the text, MAXREC and the catalogue, which is fixed for
        queries without uploads; parsing and qualifying cost more than running a TOP 1000.
        """
        if not cacheable:
            return translate(query, self.dialect, catalogue, maxrec=maxrec)
        key = (query, maxrec)
        found = self._translations.get(key)
        if found is None:
            found = translate(query, self.dialect, catalogue, maxrec=maxrec)
            with self._lock:  # requests run on several threads
                if len(self._translations) >= 512:
                    self._translations.pop(next(iter(self._translations)))
                self._translations[key] = found
        return found

    @contextmanager
    def _uploaded(self, connection: Any, uploads: list[UploadedTable], translation: Any) -> Iterator[Any]:
        """Create the uploaded tables for one query and remove them afterwards."""
        if self.dialect == "sqlite":
            assert isinstance(connection, sqlite3.Connection)
            connection.execute("PRAGMA query_only = OFF")
            connection.execute("ATTACH DATABASE ':memory:' AS tap_upload")
            try:
                for table in uploads:
                    columns = ", ".join(f'"{c}" {_sqlite_type(t)}' for c, t in table.columns.items())
                    connection.execute(f'CREATE TABLE tap_upload."{table.name}" ({columns})')
                    marks = ", ".join("?" for _ in table.columns)
                    connection.executemany(f'INSERT INTO tap_upload."{table.name}" VALUES ({marks})', table.rows)
                connection.commit()
                connection.execute("PRAGMA query_only = ON")
                yield translation
            finally:
                connection.execute("DETACH DATABASE tap_upload")
            return
        # PostgreSQL: a uniquely named table per query in the tap_upload schema, dropped after.
        from dataclasses import replace

        sql = translation.sql
        created = []
        try:
            for table in uploads:
                unique = f"{table.name}_{uuid.uuid4().hex}"
                columns = ", ".join(f'"{c}" {_postgres_type(t)}' for c, t in table.columns.items())
                connection.execute(f'CREATE TABLE tap_upload."{unique}" ({columns})')
                created.append(unique)
                if table.rows:
                    marks = ", ".join("%s" for _ in table.columns)
                    with connection.cursor() as cursor:
                        cursor.executemany(f'INSERT INTO tap_upload."{unique}" VALUES ({marks})', table.rows)
                sql = sql.replace(f'"tap_upload"."{table.name}"', f'"tap_upload"."{unique}"')
            yield replace(translation, sql=sql)
        finally:
            for unique in created:
                connection.execute(f'DROP TABLE IF EXISTS tap_upload."{unique}"')


def _sqlite_type(sql: str) -> str:
    return {"BOOLEAN": "INTEGER", "BIGINT": "INTEGER", "DOUBLE": "REAL"}.get(sql, "TEXT")


def _postgres_type(sql: str) -> str:
    return {"BOOLEAN": "BOOLEAN", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE PRECISION"}.get(sql, "TEXT")


def _plain(value: Any, sql: str) -> Any:
    """A numpy value from an uploaded VOTable as a plain Python value of the column's SQL type."""
    if sql == "BOOLEAN":
        return bool(value)
    if sql == "BIGINT":
        return int(value)
    if sql == "DOUBLE":
        number = float(value)
        return None if number != number else number
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "tolist"):
        value = value.tolist()
    return value if isinstance(value, str) else str(value)


def _adql_message(error: AdqlError) -> str:
    where = ""
    if getattr(error, "line", None) is not None:
        where = f" (line {error.line}" + (f", column {error.column})" if getattr(error, "column", None) else ")")
    return f"{error.message if hasattr(error, 'message') else error}{where}"


# ---------------------------------------------------------------- async job entry point


def main(argv: list[str] | None = None) -> int:
    """Run one TAP query for an async job: parameters on the command line, result.* in the cwd."""
    parser = argparse.ArgumentParser(prog="provarchive.web.tap_query")
    parser.add_argument("--config", required=True)
    for name in ("query", "lang", "maxrec", "responseformat", "format", "request", "version", "upload"):
        parser.add_argument(f"--{name}")
    parser.add_argument("files", nargs="*", help="uploaded files, in the order UPLOAD names param: parts")
    args = parser.parse_args(argv)
    config = TapConfig.from_json(Path(args.config).read_text())
    engine = TapEngine(config)
    params = {
        key.upper(): value for key, value in vars(args).items() if key not in ("config", "files") and value is not None
    }
    parts = [u.partition(",")[2].strip()[len("param:") :] for u in (args.upload or "").split(";")]
    parts = [p for p in parts if p]
    files = {part: Upload(part, path) for part, path in zip(parts, args.files, strict=False)}
    try:
        fmt, body = engine.run(params, files, timeout=config.async_timeout_s)
    except TapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.close()
    Path(f"result.{EXTENSIONS[fmt.name]}").write_bytes(body)
    return 0


#: File extension of each output format in an async job's working directory.
EXTENSIONS = {"votable": "vot", "votable/b2": "vot", "csv": "csv", "tsv": "tsv", "json": "json"}


if __name__ == "__main__":  # pragma: no cover - exercised through async jobs
    raise SystemExit(main())
