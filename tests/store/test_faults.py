"""Faults: a writer killed mid-ingest, many writers at once. Real processes, real databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from provarchive.examples import pipeline
from provarchive.model import same_provenance
from provarchive.store import Archive, open_archive

#: Worker: ingests a large document; says "inserting" when its transaction is writing rows.
KILLED_WRITER = textwrap.dedent(
    """
    import sys
    from provarchive.examples import pipeline
    from provarchive.store import open_archive
    from provarchive.store import engine

    archive = open_archive(sys.argv[1])
    doc = pipeline(int(sys.argv[2]))
    for cls in (engine.SQLiteBackend, engine.PostgresBackend):
        original = cls.insert_new
        def announcing(self, conn, table, rows, _original=original):
            if table == "used":
                print("inserting", flush=True)
            return _original(self, conn, table, rows)
        cls.insert_new = announcing
    archive.ingest(doc)
    print("committed", flush=True)
    """
)

#: Worker: ingests its own records plus records shared with every other worker, in chunks.
CONCURRENT_WRITER = textwrap.dedent(
    """
    import sys
    from provarchive.model import Document
    from provarchive.store import open_archive

    url, worker, chunks, per_chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    archive = open_archive(url)
    for chunk in range(chunks):
        doc = Document(namespaces={"ex": "http://example.org/c#"})
        shared = [doc.entity(f"ex:shared{k}", name=f"shared {k}") for k in range(20)]
        act = doc.activity(f"ex:w{worker}_act{chunk}")
        for k in range(per_chunk):
            e = doc.entity(f"ex:w{worker}_c{chunk}_e{k}", location=f"/w{worker}/{chunk}/{k}")
            e.generated_by(act)
            act.used(shared[k % 20])
        archive.ingest(doc, source=f"worker {worker} chunk {chunk}")
    print("done", flush=True)
    """
)


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_a_writer_killed_mid_ingest_leaves_the_archive_as_it_was(archive: Archive, archive_url: str) -> None:
    archive.ingest(pipeline(500))
    before, counts = archive.export(), archive.stats()
    worker = _python(KILLED_WRITER, archive_url, "60000")
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line.strip() == "inserting", worker.stderr.read() if worker.stderr else line
        time.sleep(0.05)  # let it write rows of the transaction
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    reopened = open_archive(archive_url)
    try:
        assert reopened.stats() == counts
        assert same_provenance(before, reopened.export())
        reopened.ingest(pipeline(800))  # and the archive still takes writes
        assert reopened.stats()["entity"] > counts["entity"]
    finally:
        reopened.close()


def test_eight_concurrent_writers_lose_nothing(archive: Archive, archive_url: str) -> None:
    workers, chunks, per_chunk = 8, 4, 150
    procs = [_python(CONCURRENT_WRITER, archive_url, str(w), str(chunks), str(per_chunk)) for w in range(workers)]
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    stats = archive.stats()
    assert stats["entity"] == workers * chunks * per_chunk + 20  # shared entities stored once
    assert stats["activity"] == workers * chunks
    assert stats["wasgeneratedby"] == workers * chunks * per_chunk
    assert stats["used"] == workers * chunks * min(per_chunk, 20)
    found = archive.search(location="/w7/3/*", limit=1000)
    assert len(found) == per_chunk


#: Worker: opens a brand-new archive (creating its schema) and stores one entity.
OPENING_WRITER = textwrap.dedent(
    """
    import sys
    from provarchive.model import Document
    from provarchive.store import open_archive

    archive = open_archive(sys.argv[1])
    doc = Document(namespaces={"ex": "http://example.org/o#"})
    doc.entity(f"ex:opened{sys.argv[2]}")
    archive.ingest(doc)
    print("done", flush=True)
    """
)


def test_many_processes_creating_the_archive_at_once(archive_url: str) -> None:
    if archive_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(archive_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS provenance CASCADE")
    procs = [_python(OPENING_WRITER, archive_url, str(n)) for n in range(5)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = open_archive(archive_url)
    try:
        assert store.stats()["entity"] == 5
    finally:
        store.close()
