"""Database backends: SQLite (embedded default) and PostgreSQL (for scale).

Both put the archive tables in a schema called ``provenance`` so that one SQL text
works on both: PostgreSQL has a real schema; SQLite gets a second database file
attached under that name (``archive.db`` → ``archive.provenance.db``), so other layers
(the job service) keep their own tables in the main file.

What differs between the two lives here and nowhere else:

* how a write transaction starts (SQLite ``BEGIN IMMEDIATE`` so concurrent writers
  queue on the busy timeout instead of failing on a lock upgrade);
* how many rows get in fast (``executemany`` vs ``COPY`` into a temporary table);
* how a list of ids is passed as one parameter (``json_each`` vs ``unnest``);
* how a lineage walk runs: SQLite, in our process, goes one query per level of the
  walk (:meth:`Backend.walk_step_sql`); PostgreSQL, a round trip away, runs one
  recursive CTE (:meth:`Backend.walk_sql`; one recursive reference allowed, so the edge
  tables are joined LATERAL).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import methodcaller
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError

from .schema import SCHEMA, TABLE_BY_NAME

__all__ = ["Backend", "SQLiteBackend", "PostgresBackend", "make_backend", "StoreError"]


class StoreError(Exception):
    """The archive cannot do what was asked (bad URL, unreadable database, bad input)."""


class Backend:
    """What the archive needs from a database, with the SQL that differs per backend."""

    name = ""
    #: DBAPI placeholder for one positional parameter.
    placeholder = "?"

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    # -------------------------------------------------------------- transactions

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection inside a write transaction, committed on success."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def lock_lineage(self, conn: Connection) -> None:
        """Wait until no other transaction is updating ``lineage_edge``'s flags (see ingest).

        Nothing to do where write transactions are serialised already (SQLite).
        """

    def dbapi(self, conn: Connection) -> Any:
        """The driver connection under a SQLAlchemy connection (for bulk paths)."""
        return conn.connection.driver_connection

    # ------------------------------------------------------------------ bulk rows

    def insert_new(self, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert ``rows`` into ``provenance.<table>``, skipping existing keys; return how many were new."""
        raise NotImplementedError

    def stage(self, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> str:
        """Load ``rows`` into a temporary table shaped like ``table``; return its name."""
        raise NotImplementedError

    # -------------------------------------------------------------------- queries

    def id_list(self, param: str) -> str:
        """SQL for a set of ids passed as one parameter (see :meth:`id_param`)."""
        raise NotImplementedError

    def id_param(self, ids: Sequence[str]) -> Any:
        """The parameter value for :meth:`id_list`."""
        raise NotImplementedError

    def id_rows(self, param: str) -> str:
        """A FROM item ``ids`` with one row (column ``value``) per id of the JSON array text in ``:param``.

        For tens of thousands of ids: the driver sends one text that the server reads
        in C, where a PostgreSQL ``text[]`` parameter costs about 1 µs of client CPU per
        id to build. The rows come in the order of the array, so a sorted array makes
        an index probed per row read it in key order.
        """
        raise NotImplementedError

    def walk_sql(self, direction: str, *, members: bool, limited: bool) -> str:
        """A recursive walk from the ids in ``:start`` over ``lineage_edge``.

        ``direction`` "back" follows child → parent (ancestors), "forth" parent → child;
        ``members`` also follows hadMember (collection → member going back). Returns one
        row ``(ids, depths)``: two JSON array texts (see :meth:`array_value`), depths NULL unless
        ``limited``, in which case the walk stops at ``:depth`` and gives each node its
        smallest depth. UNION (not UNION ALL) removes duplicates, so diamonds are visited
        once and cycles end. One row instead of a row per node: the driver builds one
        list instead of thousands of tuples (a third less client CPU).
        """
        raise NotImplementedError

    def array_value(self, value: Any) -> list[Any]:
        """A Python list from a JSON array text the database returned (NULL, the empty aggregate, is []).

        Walks return JSON texts on both backends: orjson reads one faster than the
        driver parses an array of as many texts (PostgreSQL ``array_agg``).
        """
        return orjson.loads(value) if value else []

    #: Whether :func:`.lineage.walk` goes level by level with :meth:`walk_step_sql` (a query
    #: per level of the walk) rather than in one :meth:`walk_sql` query.
    walks_by_level = False

    def walk_step_sql(self, direction: str, *, members: bool) -> str:
        """One level of a walk: every neighbour of the ids in the JSON array ``:frontier``.

        Returns one row of two JSON arrays of neighbours, duplicates kept (the caller
        removes them with the ids it has seen): those to walk on from, and those where
        the walk ends, which have no edge onward (the flags of :func:`walk_edges`;
        always empty with ``members``). Only for ``walks_by_level``.
        """
        raise NotImplementedError

    def fetch_raw(self, conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run ``sql`` (``:name`` parameters) on the driver cursor and fetch every row."""
        cur = self.dbapi(conn).cursor()
        try:
            cur.execute(self.driver_sql(sql), params)
            return list(cur.fetchall())
        finally:
            cur.close()

    def driver_sql(self, sql: str) -> str:
        """``sql`` with ``:name`` parameters in the driver's own style."""
        return sql

    def close(self) -> None:
        self.engine.dispose()


def _insert_columns(table: str) -> str:
    return ", ".join(f'"{c}"' for c in TABLE_BY_NAME[table].column_names)


class SQLiteBackend(Backend):
    name = "sqlite"
    placeholder = "?"
    #: In our process a query costs a few microseconds, less than the recursive CTE's own
    #: bookkeeping per node (a queue and a distinct b-tree, both keyed on text ids): a walk
    #: of 10,000 nodes takes a third less CPU level by level (docs/performance.md).
    walks_by_level = True

    def __init__(self, path: Path, busy_timeout_s: float) -> None:
        self.path = path
        self.provenance_path = provenance_file(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # last in, first out: the connection just returned, whose page cache holds what the
        # last walk read, serves the next one (first in, first out rotates between the
        # caches of every connection a threaded server has opened)
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": busy_timeout_s}, pool_use_lifo=True)
        timeout_ms = int(busy_timeout_s * 1000)
        attach = str(self.provenance_path)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # We issue BEGIN ourselves (below) so that writers can ask for IMMEDIATE.
            dbapi_connection.isolation_level = None
            dbapi_connection.execute(f"PRAGMA busy_timeout = {timeout_ms}")
            dbapi_connection.execute("ATTACH DATABASE ? AS provenance", (attach,))
            for schema in ("main", SCHEMA):
                dbapi_connection.execute(f"PRAGMA {schema}.journal_mode = WAL")
                dbapi_connection.execute(f"PRAGMA {schema}.synchronous = NORMAL")
                # per database: an attached file gets SQLite's default 2 MB page cache
                # otherwise, and a walk over a large archive then rereads pages from the OS
                dbapi_connection.execute(f"PRAGMA {schema}.cache_size = -65536")
            dbapi_connection.execute("PRAGMA temp_store = MEMORY")

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        super().__init__(engine, str(path))

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def insert_new(self, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        spec = TABLE_BY_NAME[table]
        marks = ", ".join("?" * len(spec.columns))
        cur = self.dbapi(conn).cursor()
        cur.executemany(
            f"INSERT INTO {SCHEMA}.{table} ({_insert_columns(table)}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows
        )
        return int(cur.rowcount)

    def stage(self, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> str:
        name = f"temp.stage_{table}"
        dbapi = self.dbapi(conn)
        dbapi.execute(f"DROP TABLE IF EXISTS {name}")
        dbapi.execute(f"CREATE TEMP TABLE stage_{table} AS SELECT * FROM {SCHEMA}.{table} WHERE 0")
        marks = ", ".join("?" * len(TABLE_BY_NAME[table].columns))
        dbapi.executemany(f"INSERT INTO {name} ({_insert_columns(table)}) VALUES ({marks})", rows)
        return name

    def id_list(self, param: str) -> str:
        return f"(SELECT value FROM json_each(:{param}))"

    def id_param(self, ids: Sequence[str]) -> Any:
        return orjson.dumps(list(ids)).decode()

    def id_rows(self, param: str) -> str:
        return f"json_each(:{param}) AS ids"

    def walk_step_sql(self, direction: str, *, members: bool) -> str:
        # CROSS JOIN keeps the frontier outside: one probe of the covering index per id;
        # the edge tables' neighbours are gathered as JSON texts (no row per neighbour)
        edges = walk_edges(direction, members)
        table, frm, to, flag = edges[0]
        if flag is None:  # with members: every node found goes on
            steps = " UNION ALL ".join(
                f"SELECT e.{to} AS node FROM json_each(:frontier) AS f CROSS JOIN {SCHEMA}.{table} AS e "
                f"ON e.{frm} = f.value"
                for table, frm, to, _flag in edges
            )
            return f"SELECT json_group_array(node), '[]' FROM ({steps})"
        return (
            f"SELECT json_group_array(e.{to}) FILTER (WHERE e.{flag}), "
            f"json_group_array(e.{to}) FILTER (WHERE NOT e.{flag}) "
            f"FROM json_each(:frontier) AS f CROSS JOIN {SCHEMA}.{table} AS e ON e.{frm} = f.value"
        )

    def walk_sql(self, direction: str, *, members: bool, limited: bool) -> str:
        # SQLite allows several recursive SELECTs in one CTE: one per edge table, each a
        # nested loop over the walk probing that table's covering index. ORDER BY makes
        # the queue pop ids in key order, so consecutive probes share b-tree pages (15-20 %
        # less CPU than first in, first out; the set reached is the same)
        depth_col, start_depth, next_depth, guard = (
            (", depth", ", 0", ", w.depth + 1", " WHERE w.depth < :depth") if limited else ("", "", "", "")
        )
        steps = [
            f"SELECT e.{to}{next_depth} FROM walk w JOIN {SCHEMA}.{table} e ON e.{frm} = w.id{guard}"
            for table, frm, to, _flag in walk_edges(direction, members)
        ]
        steps[-1] += " ORDER BY 1"
        final = (
            "SELECT json_group_array(id), json_group_array(depth) "
            "FROM (SELECT id, min(depth) AS depth FROM walk GROUP BY id)"
            if limited
            else "SELECT json_group_array(id), NULL FROM walk"
        )
        return (
            f"WITH RECURSIVE walk(id{depth_col}) AS (SELECT value{start_depth} FROM json_each(:start) "
            f"UNION {' UNION '.join(steps)}) {final}"
        )


class PostgresBackend(Backend):
    name = "postgresql"
    placeholder = "%s"

    def driver_sql(self, sql: str) -> str:
        return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)

    def __init__(self, url: str) -> None:
        sa_url = make_url(url)
        if sa_url.drivername in ("postgresql", "postgres"):
            sa_url = sa_url.set(drivername="postgresql+psycopg")
        # JIT off: the planner's estimates for a recursive walk pass jit_above_cost, and
        # compiling then costs about 10 ms, more than the walk itself (short OLTP queries
        # never gain from JIT). An ``options`` in the URL's query is kept as given.
        connect_args = {} if "options" in sa_url.query else {"options": "-c jit=off"}
        engine = create_engine(sa_url, connect_args=connect_args)
        event.listen(engine, "checkout", _ping_on_checkout)
        super().__init__(engine, url)

    def fetch_raw(self, conn: Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """As :meth:`Backend.fetch_raw`; outside any transaction, in autocommit.

        One statement sees one snapshot either way; without a transaction it costs one
        round trip instead of three (``BEGIN``, the statement, the ``ROLLBACK`` when the
        connection goes back to the pool): about 0.15 ms of a walk.
        """
        dbapi = self.dbapi(conn)
        if conn.in_transaction() or dbapi.info.transaction_status != _IDLE:
            return super().fetch_raw(conn, sql, params)
        dbapi.autocommit = True
        try:
            return super().fetch_raw(conn, sql, params)
        finally:
            if dbapi.info.transaction_status == _IDLE:  # else the connection is lost: left to the next ping
                dbapi.autocommit = False

    def lock_lineage(self, conn: Connection) -> None:
        # a transaction-level advisory lock: held until commit, so the next ingest's
        # reads of lineage_edge (read committed) see this one's edges
        self.dbapi(conn).execute("SELECT pg_advisory_xact_lock(%s)", (_LINEAGE_LOCK_KEY,))

    def insert_new(self, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        """COPY straight into the table when every key is new (the common case, 2-3x faster);
        else stage the rows and insert only the new ones."""
        if not rows:
            return 0
        import psycopg

        cur = self.dbapi(conn).cursor()
        cur.execute("SAVEPOINT provarchive_copy")
        try:
            self._copy(cur, f"{SCHEMA}.{table}", table, rows)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT provarchive_copy")
        else:
            cur.execute("RELEASE SAVEPOINT provarchive_copy")
            return len(rows)
        return self._insert_staged(conn, table, rows)

    def _insert_staged(self, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        staged = self.stage(conn, table, rows)
        key = ", ".join(TABLE_BY_NAME[table].key)
        cur = self.dbapi(conn).cursor()
        # A fixed order of inserted keys: two concurrent ingests of overlapping
        # documents then wait for each other instead of deadlocking.
        cur.execute(
            f"INSERT INTO {SCHEMA}.{table} ({_insert_columns(table)}) "
            f"SELECT {_insert_columns(table)} FROM {staged} ORDER BY {key} ON CONFLICT DO NOTHING"
        )
        return int(cur.rowcount)

    def stage(self, conn: Connection, table: str, rows: Sequence[tuple[Any, ...]]) -> str:
        name = f"stage_{table}"
        cur = self.dbapi(conn).cursor()
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} (LIKE {SCHEMA}.{table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {name}")
        self._copy(cur, name, table, rows)
        return name

    @staticmethod
    def _copy(cur: Any, target: str, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        with cur.copy(f"COPY {target} ({_insert_columns(table)}) FROM STDIN") as copy:
            for start in range(0, len(rows), _COPY_CHUNK):
                copy.write(copy_text(rows[start : start + _COPY_CHUNK]))

    def id_list(self, param: str) -> str:
        return f"(SELECT unnest(CAST(:{param} AS text[])))"

    def id_param(self, ids: Sequence[str]) -> Any:
        return list(ids)

    def id_rows(self, param: str) -> str:
        return f"json_array_elements_text(CAST(:{param} AS json)) AS ids(value)"

    def walk_sql(self, direction: str, *, members: bool, limited: bool) -> str:
        # PostgreSQL allows one recursive reference: the edge tables are joined LATERAL,
        # which also pins the plan to index probes per walked node (a hash join would
        # scan the whole edge table on every step). Each row says whether its node leads
        # on (``onward``, the edge's flag); only those are probed. A node's flag is the
        # same on every edge into it, so UNION still meets each node once (a start id may
        # come again with another flag: the caller's dict and the GROUP BY drop it)
        branches = " UNION ALL ".join(
            f"SELECT e.{to}, {'true' if flag is None else f'e.{flag} = 1'} FROM {SCHEMA}.{table} e WHERE e.{frm} = w.id"
            for table, frm, to, flag in walk_edges(direction, members)
        )
        depth_col, start_depth, next_depth, guard = (
            (", depth", ", 0", ", w.depth + 1", " AND w.depth < :depth") if limited else ("", "", "", "")
        )
        final = (
            "SELECT CAST(json_agg(id) AS text), CAST(json_agg(depth) AS text) "
            "FROM (SELECT id, min(depth) AS depth FROM walk GROUP BY id) AS r"
            if limited
            else "SELECT CAST(json_agg(id) AS text), NULL FROM walk"
        )
        return (
            f"WITH RECURSIVE walk(id, onward{depth_col}) AS ("
            f"SELECT s, true{start_depth} FROM unnest(CAST(:start AS text[])) AS s "
            f"UNION SELECT x.id, x.onward{next_depth} FROM walk w "
            f"CROSS JOIN LATERAL ({branches}) AS x(id, onward) WHERE w.onward{guard}"
            f") {final}"
        )


def _ping_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Check a PostgreSQL connection as the pool hands it out; a lost one is replaced.

    What ``pool_pre_ping`` does, in one round trip instead of two and without leaving a
    transaction open (its ``SELECT 1`` begins one), so that a statement run alone can
    then run in autocommit (:meth:`PostgresBackend.fetch_raw`). As with the pre-ping, a
    failed ping discards every pooled connection older than now (the server restarted).
    """
    import psycopg

    try:
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute("SELECT 1")
        finally:
            if dbapi_connection.info.transaction_status == _IDLE:
                dbapi_connection.autocommit = False
    except psycopg.Error as exc:
        raise InvalidatePoolError(f"connection lost: {exc}") from exc


#: psycopg's transaction status of a connection outside any transaction.
_IDLE = 0

#: Arbitrary constant naming the PostgreSQL advisory lock of lineage_edge's flags ("edge").
_LINEAGE_LOCK_KEY = 0x65646765

#: Rows per COPY write (about a megabyte of text).
_COPY_CHUNK = 5000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_count_nulls = methodcaller("count", None)


def copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """Rows in PostgreSQL's COPY text format.

    Written by hand rather than with ``copy.write_row`` because one ``str.join`` per row
    is several times faster, and the rows hold only text, None and integers.

    Almost no value holds a character COPY must escape (backslash, tab, newline,
    carriage return), and escaping each value costs four times the join. So the rows are
    joined as they are first, and the result is checked with a few counts over the whole
    text: as many tabs and newlines as the separators, no carriage return, and one
    backslash per NULL marker. Only if a count is off is the text rebuilt escaping every
    value (:func:`_escaped_copy_text`); both give the same text.
    """
    if not rows:
        return ""
    lines = [
        "\t".join(
            [
                v if v.__class__ is str else "\\N" if v is None else str.__str__(v) if isinstance(v, str) else str(v)
                for v in row
            ]
        )
        for row in rows
    ]
    lines.append("")
    text = "\n".join(lines)
    nulls = sum(map(_count_nulls, rows))
    if (
        text.count("\\") == nulls
        and text.count("\t") == sum(map(len, rows)) - len(rows)
        and text.count("\n") == len(rows)
        and "\r" not in text
    ):
        return text
    return _escaped_copy_text(rows)


def _escaped_copy_text(rows: Sequence[tuple[Any, ...]]) -> str:
    """:func:`copy_text` escaping every value (the rows where a value needs it)."""
    escapes = _COPY_ESCAPES
    lines = [
        "\t".join("\\N" if v is None else v.translate(escapes) if isinstance(v, str) else str(v) for v in row)
        for row in rows
    ]
    lines.append("")
    return "\n".join(lines)


def walk_edges(direction: str, members: bool) -> list[tuple[str, str, str, str | None]]:
    """(table, column matched against the walk, column giving the next node, its flag) for a walk.

    The lineage relations are all in ``lineage_edge``; hadMember, followed only on
    request, is read from its own table (both its covering indexes exist). The flag
    column (``lineage_edge`` only) is 1 when the next node has edges of its own in the
    direction of the walk, 0 when the walk ends there. With ``members`` no flag is
    given: a node with no lineage edge onward may still have members to follow.
    """
    edges: list[tuple[str, str, str, str | None]] = [("lineage_edge", "child", "parent", "parent_has_parents")]
    if members:
        edges = [("lineage_edge", "child", "parent", None), ("hadmember", "collection", "entity", None)]
    if direction == "forth":
        edges = [(table, to, frm, None if flag is None else "child_has_children") for table, frm, to, flag in edges]
    return edges


def provenance_file(path: Path) -> Path:
    """The file attached as ``provenance`` next to a SQLite archive ``path``."""
    if path.suffix:
        return path.with_suffix(f".provenance{path.suffix}")
    return path.with_name(path.name + ".provenance")


def make_backend(url: str | os.PathLike[str], *, busy_timeout_s: float = 30.0) -> Backend:
    """The backend for an archive location: a path, ``sqlite:///path`` or ``postgresql://...``."""
    text = os.fspath(url).strip()
    if not text:
        raise StoreError("no archive location given (use --archive, PROVARCHIVE_ARCHIVE or the config file)")
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return PostgresBackend(text)
    if text.startswith("sqlite://"):
        parsed = make_url(text)
        if not parsed.database or parsed.database == ":memory:":
            raise StoreError("an archive needs a SQLite file, not an in-memory database")
        return SQLiteBackend(Path(parsed.database).expanduser(), busy_timeout_s)
    if "://" in text:
        raise StoreError(f"unsupported archive URL {text!r}: use a path, sqlite:///path or postgresql://...")
    return SQLiteBackend(Path(text).expanduser(), busy_timeout_s)
