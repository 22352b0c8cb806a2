"""ProvTAP over HTTP against a real server, with the archive on SQLite and on PostgreSQL.

The server is ``provarchive serve`` on a loopback port with a CTA-like archive
(``examples.pipeline``): run0.dl0 + calib0.fits → calibrate0 → run0.dl1 → reconstruct0 →
run0.dl2 → select0 → run0.dl3. Clients are httpx, pyvo and ``stilts tapquery``; every
VOTable returned is also checked with ``stilts votlint``.
"""

from __future__ import annotations

import io
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from provarchive.examples import pipeline
from provarchive.store import open_archive
from tests.conftest import require_command
from tests.web.conftest import Server, make_server, wait_final

PRODUCT = "ex:run0.dl3"
UPSTREAM_ENTITIES = {"ex:run0.dl2", "ex:run0.dl1", "ex:run0.dl0", "ex:calib0.fits"}


def start_tap_server(tmp: Path, archive_url: str | None) -> Server:
    """A service on an archive holding ``pipeline(300)``; ``archive_url`` None means SQLite in ``tmp``."""
    url = archive_url or str(tmp / "archive.db")
    with open_archive(url) as archive:
        archive.ingest(pipeline(300))
    config = "[service]\nslots = 2\nwait_max_s = 20.0\nmax_upload_bytes = 2000000\n[tap]\nsync_timeout_s = 2.0\n"
    if archive_url:
        config += f'[archive]\nurl = "{archive_url}"\n'
    server = make_server(tmp, config)
    server.start()
    return server


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def tap_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per backend for the test session (PostgreSQL: a fresh database); tests only read the archive."""
    archive_url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    if archive_url:  # a database of its own: other tests' records must not mix with these
        import uuid

        import psycopg

        admin = archive_url.rsplit("/", 1)[0] + "/postgres"
        name = f"provarchive_tap_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        archive_url = archive_url.rsplit("/", 1)[0] + f"/{name}"
    server = start_tap_server(tmp_path_factory.mktemp(f"tap-{request.param}"), archive_url)
    yield server
    server.stop()
    if archive_url:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tap(server: Server) -> str:
    return f"{server.url}/tap"


def sync(server: Server, query: str, method: str = "GET", **params: str) -> httpx.Response:
    data = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query, **params}
    if method == "GET":
        return httpx.get(f"{tap(server)}/sync", params=data, timeout=30)
    return httpx.post(f"{tap(server)}/sync", data=data, timeout=30)


def parse_votable(body: bytes):  # type: ignore[no-untyped-def]
    from astropy.io.votable import parse

    return parse(io.BytesIO(body)).get_first_table()


def votlint(body: bytes, tmp_path: Path) -> list[str]:
    """The ERROR and WARNING lines of ``stilts votlint`` for ``body`` (it exits 0 either way)."""
    stilts = require_command("stilts")
    path = tmp_path / f"r{time.monotonic_ns()}.vot"
    path.write_bytes(body)
    done = subprocess.run([stilts, "votlint", f"votable={path}"], capture_output=True, text=True, timeout=60)
    return [line for line in (done.stdout + done.stderr).splitlines() if line.startswith(("ERROR", "WARNING"))]


# ----------------------------------------------------------------------------- sync


def test_sync_get_and_post_give_the_same_votable_with_declared_metadata(tap_server: Server, tmp_path: Path) -> None:
    query = "SELECT TOP 5 id, name, generated_at_time FROM provenance.entity ORDER BY id"
    got = sync(tap_server, query)
    posted = sync(tap_server, query, method="POST")
    assert got.status_code == posted.status_code == 200
    assert got.headers["content-type"].startswith("application/x-votable+xml")
    assert got.content == posted.content
    assert b'<INFO name="QUERY_STATUS" value="OK"/>' in got.content
    table = parse_votable(got.content)
    assert [f.name for f in table.fields] == ["id", "name", "generated_at_time"]
    assert table.fields[0].ucd == "meta.id;meta.main" and table.fields[2].xtype == "timestamp"
    assert len(table.array) == 5
    assert votlint(got.content, tmp_path) == []


def test_lineage_udf_answers_how_was_this_made(tap_server: Server) -> None:
    query = f"SELECT e.id FROM provenance.entity AS e WHERE pa_is_ancestor(e.id, '{PRODUCT}') = 1"
    response = sync(tap_server, query, RESPONSEFORMAT="csv")
    assert response.status_code == 200, response.text
    assert set(response.text.split()[1:]) == UPSTREAM_ENTITIES


def test_maxrec_overflow_and_zero(tap_server: Server) -> None:
    cut = sync(tap_server, "SELECT id FROM provenance.entity", MAXREC="3")
    assert b'<INFO name="QUERY_STATUS" value="OVERFLOW"/>' in cut.content
    assert len(parse_votable(cut.content).array) == 3
    exact = sync(tap_server, "SELECT TOP 3 id FROM provenance.entity", MAXREC="3")
    assert b"OVERFLOW" not in exact.content
    empty = sync(tap_server, "SELECT id FROM provenance.entity", MAXREC="0")
    assert len(parse_votable(empty.content).array) == 0 and b"OVERFLOW" in empty.content


@pytest.mark.parametrize("lang", ["ADQL", "ADQL-2.0", "ADQL-2.1", "adql"])
def test_lang_variants_accepted(tap_server: Server, lang: str) -> None:
    assert sync(tap_server, "SELECT TOP 1 id FROM provenance.entity", LANG=lang).status_code == 200


def test_output_formats(tap_server: Server, tmp_path: Path) -> None:
    query = "SELECT TOP 4 e.id, e.name, g.activity, 2 * 3 AS six FROM provenance.entity AS e "
    query += "JOIN provenance.wasgeneratedby AS g ON g.entity = e.id ORDER BY e.id"
    td = sync(tap_server, query)
    b2 = sync(tap_server, query, RESPONSEFORMAT="votable/b2")
    assert b"<BINARY2>" in b2.content and votlint(b2.content, tmp_path) == []
    assert parse_votable(td.content).array.tolist() == parse_votable(b2.content).array.tolist()
    csv = sync(tap_server, query, RESPONSEFORMAT="text/csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "id,name,activity,six"
    tsv = sync(tap_server, query, FORMAT="tsv")
    assert tsv.text.splitlines()[1].split("\t")[3] == "6"
    js = sync(tap_server, query, RESPONSEFORMAT="json").json()
    assert [m["name"] for m in js["metadata"]] == ["id", "name", "activity", "six"] and len(js["data"]) == 4
    bad = sync(tap_server, query, RESPONSEFORMAT="fits")
    assert bad.status_code == 400 and b"QUERY_STATUS" in bad.content


def test_errors_are_error_votables(tap_server: Server, tmp_path: Path) -> None:
    for params in (
        {"QUERY": "DUFF QUERY"},
        {"QUERY": "SELECT TOP 1 id FROM provenance.entity", "LANG": "OOBLECK"},
        {"QUERY": "SELECT nothing FROM provenance.entity"},
        {"QUERY": "SELECT TOP 1 id FROM provenance.entity", "MAXREC": "-4"},
        {"QUERY": ""},
    ):
        query = params.pop("QUERY")
        response = sync(tap_server, query, **params)
        assert response.status_code == 400, params
        assert b'<INFO name="QUERY_STATUS" value="ERROR">' in response.content
        assert votlint(response.content, tmp_path) == []


def test_tap_schema_lists_only_published_tables(tap_server: Server) -> None:
    rows = sync(tap_server, "SELECT table_name FROM tap_schema.tables", RESPONSEFORMAT="csv").text.split()[1:]
    assert "provenance.entity" in rows and "tap_schema.key_columns" in rows
    assert not [r for r in rows if any(word in r for word in ("job", "user", "token", "ingest"))]
    size = sync(tap_server, 'SELECT "size", principal FROM tap_schema.columns', RESPONSEFORMAT="csv")
    assert size.status_code == 200
    keys = sync(tap_server, "SELECT key_id FROM tap_schema.keys", RESPONSEFORMAT="csv").text.split()
    assert {"tap_tables_schema", "tap_columns_table", "tap_key_columns_key"} <= set(keys)


def test_vosi_tables_and_per_table_endpoint(tap_server: Server) -> None:
    from lxml import etree

    tableset = etree.fromstring(httpx.get(f"{tap(tap_server)}/tables").content)
    names = [n.text for n in tableset.iterfind(".//table/name")]
    assert "provenance.used" in names and "tap_schema.columns" in names
    one = httpx.get(f"{tap(tap_server)}/tables/provenance.used")
    assert one.status_code == 200 and b'"time"' in one.content  # reserved word delimited
    assert httpx.get(f"{tap(tap_server)}/tables/main.jobs").status_code == 404


# ------------------------------------------------------------------- async and clients


def test_async_job_through_the_uws_machinery(tap_server: Server, tmp_path: Path) -> None:
    with httpx.Client(timeout=30) as client:
        created = client.post(
            f"{tap(tap_server)}/async",
            data={"LANG": "ADQL", "QUERY": "SELECT TOP 2 id FROM provenance.activity", "PHASE": "RUN", "X": "y"},
        )
        assert created.status_code == 303
        job_url = created.headers["location"]
        assert job_url.startswith(f"{tap(tap_server)}/async/")
        assert wait_final(client, job_url) == "COMPLETED"
        result = client.get(f"{job_url}/results/result")
        assert result.headers["content-type"].startswith("application/x-votable+xml")
        assert len(parse_votable(result.content).array) == 2
        assert votlint(result.content, tmp_path) == []
        listed = client.get(f"{tap(tap_server)}/async").text
        assert f'href="{job_url}"' in listed or f'xlink:href="{job_url}"' in listed
        failed = client.post(f"{tap(tap_server)}/async", data={"LANG": "ADQL", "QUERY": "DUFF", "PHASE": "RUN"})
        failed_url = failed.headers["location"]
        assert wait_final(client, failed_url) == "ERROR"
        error = client.get(f"{failed_url}/error")
        assert b'value="ERROR"' in error.content and error.headers["content-type"].startswith("application/x-votable")
        assert votlint(error.content, tmp_path) == []


def test_pyvo_sync_async_submit_tables_examples_upload(tap_server: Server, tmp_path: Path) -> None:
    import pyvo
    from astropy.table import Table

    service = pyvo.dal.TAPService(tap(tap_server))
    query = "SELECT TOP 3 id, name FROM provenance.entity ORDER BY id"
    assert len(service.run_sync(query)) == 3
    assert len(service.run_async(query, timeout=60)) == 3
    job = service.submit_job("SELECT COUNT(*) AS n FROM provenance.activity")
    job.run()
    job.wait(timeout=60)
    assert job.phase == "COMPLETED" and int(job.fetch_result().to_table()["n"][0]) > 0
    job.delete()
    assert "provenance.entity" in [t.name for t in service.tables]
    examples = service.examples
    assert len(examples) >= 5
    for example in examples:  # every example runs
        example.execute()
    mine = Table({"wanted": ["ex:run0.dl3", "ex:run1.dl3", "nope"]})
    joined = service.run_sync(
        "SELECT m.wanted, e.name FROM tap_upload.mine AS m JOIN provenance.entity AS e ON e.id = m.wanted",
        uploads={"mine": mine},
    )
    assert sorted(joined["wanted"]) == ["ex:run0.dl3", "ex:run1.dl3"]


def test_stilts_tapquery_sync_and_async(tap_server: Server) -> None:
    stilts = require_command("stilts")
    adql = "SELECT TOP 3 id FROM provenance.entity ORDER BY id"
    for mode in ("true", "false"):
        done = subprocess.run(
            [stilts, "tapquery", f"tapurl={tap(tap_server)}", f"adql={adql}", f"sync={mode}", "ofmt=csv", "out=-"]
            + ([] if mode == "true" else ["delete=always"]),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0] == "id" and len(done.stdout.splitlines()) == 4


# ----------------------------------------------------------------------- security

HOSTILE = [
    "DELETE FROM provenance.entity",
    "INSERT INTO provenance.entity (id) VALUES ('x')",
    "DROP TABLE provenance.entity",
    "SELECT id FROM provenance.entity; DELETE FROM provenance.entity",
    "SELECT * FROM jobs",
    "SELECT * FROM main.tokens",
    "SELECT * FROM provenance.ingest",
    "SELECT name FROM sqlite_master",
    "SELECT relname FROM pg_catalog.pg_class",
    "SELECT * FROM information_schema.tables",
    "SELECT pg_sleep(10)",
    "SELECT load_extension('/tmp/x.so')",
    "SELECT id FROM provenance.entity /* */ WHERE 1=1",
    'SELECT "id""; DROP TABLE x; --" FROM provenance.entity',
    "SELECT id FROM provenance.entity WHERE id = '' OR 1=1; --'",
    "SELECT id FROM provenance.entity -- comment\n; DELETE FROM provenance.entity",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r",
    "SELECT * INTO evil FROM provenance.entity",
]


def _state(server: Server) -> str:
    """Row counts of the seeded records and of TAP_SCHEMA, read through TAP itself."""
    # Only the seeded ``ex:`` records: TAP async jobs of earlier tests may still be archiving
    # their own provenance (``pa:`` ids), which is the job service working, not a change by ADQL.
    query = "SELECT COUNT(*) AS n FROM provenance.entity WHERE id LIKE 'ex:%' "
    query += "UNION ALL SELECT COUNT(*) FROM provenance.used WHERE entity LIKE 'ex:%' "
    query += "UNION ALL SELECT COUNT(*) FROM provenance.activity WHERE id LIKE 'ex:%' "
    query += "UNION ALL SELECT COUNT(*) FROM tap_schema.columns"
    return sync(server, query, RESPONSEFORMAT="csv").text


def test_hostile_adql_is_refused_and_changes_nothing(tap_server: Server) -> None:
    before = _state(tap_server)
    for query in HOSTILE:
        response = sync(tap_server, query, method="POST")
        assert response.status_code == 400, (query, response.text[:300])
        assert b'value="ERROR"' in response.content
    assert _state(tap_server) == before


def test_huge_cross_join_is_bounded_by_the_time_limit(tap_server: Server) -> None:
    tables = ", ".join(f"provenance.entity AS e{i}" for i in range(8))
    started = time.monotonic()
    response = sync(tap_server, f"SELECT COUNT(*) FROM {tables}", method="POST")
    assert response.status_code == 400 and b"limit" in response.content
    assert time.monotonic() - started < 60  # bounded by the 2 s sync limit of this server


def test_upload_errors_and_results_lint(tap_server: Server, tmp_path: Path) -> None:
    from astropy.io.votable import from_table, writeto
    from astropy.table import Table

    table_path = tmp_path / "mine.vot"
    writeto(from_table(Table({"wanted": ["ex:run0.dl3"], "weight": [2.5]})), str(table_path))
    query = "SELECT m.wanted, m.weight, e.name FROM tap_upload.mine AS m JOIN provenance.entity AS e ON e.id = m.wanted"

    def post(upload: str, files: dict[str, bytes]) -> httpx.Response:
        data = {"LANG": "ADQL", "QUERY": query, "UPLOAD": upload}
        return httpx.post(f"{tap(tap_server)}/sync", data=data, files=files, timeout=30)

    good = post("mine,param:t", {"t": table_path.read_bytes()})
    assert good.status_code == 200, good.text
    assert parse_votable(good.content).array["weight"][0] == 2.5
    assert votlint(good.content, tmp_path) == []
    for upload, files, words in (
        ("mine,param:absent", {"t": table_path.read_bytes()}, b"no file part"),
        ("mine,param:t", {"t": b"not a votable"}, b"not a readable VOTable"),
        ("1bad,param:t", {"t": table_path.read_bytes()}, b"table name"),
        ("mine,ftp://example.org/x", {"t": table_path.read_bytes()}, b"param:"),
    ):
        bad = post(upload, files)
        assert bad.status_code == 400 and words in bad.content, (upload, bad.text)


def test_tap_schema_rebuilt_by_servers_starting_together(fresh_postgres_url: str, tmp_path: Path) -> None:
    """Several servers on one database (or one data directory) may start at once: every rebuild succeeds."""
    import threading

    import psycopg

    from provarchive.web.tap_schema import build_tap_metadata, materialise_postgres, materialise_sqlite

    metadata = build_tap_metadata()
    errors: list[BaseException] = []

    def rebuild(kind: str) -> None:
        try:
            if kind == "postgres":
                with psycopg.connect(fresh_postgres_url, autocommit=True) as connection:
                    materialise_postgres(metadata, connection)
            else:
                materialise_sqlite(metadata, tmp_path / "tap_schema.db")
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=rebuild, args=(kind,)) for kind in ("postgres", "sqlite") * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = sum(len(t.columns) for t in metadata.tables)
    with psycopg.connect(fresh_postgres_url) as connection:
        assert connection.execute("SELECT COUNT(*) FROM tap_schema.columns").fetchone() == (expected,)
    import sqlite3

    with sqlite3.connect(tmp_path / "tap_schema.db") as connection:
        assert connection.execute("SELECT COUNT(*) FROM columns").fetchone() == (expected,)
    assert [p.name for p in tmp_path.iterdir()] == ["tap_schema.db"]  # no temporary file left
