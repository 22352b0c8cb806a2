"""Ingest: whole documents back, idempotence, conflicts, merge policy, namespaces, bad input."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from provarchive.examples import kitchen_sink, pipeline
from provarchive.formats import read, write
from provarchive.model import Document, Used, differences, same_provenance
from provarchive.store import Archive, ConflictError, StoreError, open_archive

EX = "http://example.org/cta#"


def test_a_document_comes_back_whole(archive: Archive, doc: Document) -> None:
    result = archive.ingest(doc, source="kitchen sink")
    assert result.total_added == doc.count()
    assert result.unchanged == 0
    assert "ex:run042.dl0.fits" in result.ids and "ex:alice" in result.ids
    back = archive.export()
    assert same_provenance(doc, back), differences(doc, back)
    assert set(back.bundles) == {"ex:bundle1"}


def test_the_same_document_twice_adds_nothing(archive: Archive) -> None:
    archive.ingest(kitchen_sink())
    before = archive.stats()
    again = archive.ingest(kitchen_sink())
    assert again.total_added == 0
    assert again.unchanged == kitchen_sink().count()
    assert archive.stats() == before


def test_overlapping_documents_add_only_what_is_new(archive: Archive) -> None:
    archive.ingest(pipeline(300))
    bigger = pipeline(600)
    result = archive.ingest(bigger)
    assert 0 < result.total_added < bigger.count()
    assert same_provenance(bigger, archive.export())


def test_a_conflict_is_refused_and_changes_nothing(archive: Archive) -> None:
    archive.ingest(kitchen_sink())
    before = archive.export()
    changed = kitchen_sink()
    changed.get("ex:run042.dl0.fits").location = "file:///elsewhere.fits"  # type: ignore[union-attr]
    changed.entity("ex:brand-new")  # would be added, but the whole document is refused
    with pytest.raises(ConflictError) as caught:
        archive.ingest(changed)
    assert caught.value.record_id == "ex:run042.dl0.fits"
    assert "location" in str(caught.value) and "elsewhere" in str(caught.value)
    assert archive.get("ex:brand-new") is None
    assert same_provenance(before, archive.export())


def test_merge_completes_stored_records_and_never_overwrites(archive: Archive) -> None:
    first = Document(namespaces={"ex": EX})
    first.entity("ex:a", name="stored name", attributes=[("ex:k", "v1")])
    archive.ingest(first)
    second = Document(namespaces={"ex": EX})
    second.entity("ex:a", name="other name", location="file:///a.fits", attributes=[("ex:k", "v2")])
    with pytest.raises(ConflictError):
        archive.ingest(second)
    result = archive.ingest(second, merge=True)
    assert result.merged == 1
    stored = archive.get("ex:a").get("ex:a")  # type: ignore[union-attr]
    assert stored.name == "stored name"  # stored value kept
    assert stored.location == "file:///a.fits"  # missing value completed
    assert sorted(stored.attribute_values("ex:k")) == ["v1", "v2"]  # attributes united


def test_clashing_prefix_is_renamed_not_confused(archive: Archive) -> None:
    one = Document(namespaces={"ex": "http://one.example/"})
    one.entity("ex:x", name="from one")
    two = Document(namespaces={"ex": "http://two.example/"})
    two.entity("ex:x", name="from two")
    archive.ingest(one)
    archive.ingest(two)  # the same local name in another namespace is another record
    namespaces = archive.namespaces()
    renamed = namespaces.prefix_for("http://two.example/")
    assert renamed not in (None, "ex")
    assert archive.get(f"{renamed}:x").get(f"{renamed}:x").name == "from two"  # type: ignore[union-attr]
    assert archive.get("ex:x").get("ex:x").name == "from one"  # type: ignore[union-attr]
    merged = Document(namespaces={"ex": "http://one.example/"})
    merged.entity("ex:x", name="from one")
    merged.merge(two)
    assert same_provenance(merged, archive.export())


def test_times_are_stored_as_utc_instants(archive: Archive) -> None:
    from datetime import timedelta

    doc = Document(namespaces={"ex": EX})
    paris = timezone(timedelta(hours=2))
    doc.activity("ex:act", datetime(2024, 5, 1, 12, 0, tzinfo=paris), datetime(2024, 5, 1, 12, 0, 30, 5, tzinfo=paris))
    archive.ingest(doc)
    act = archive.get("ex:act").get("ex:act")  # type: ignore[union-attr]
    assert act.start_time == datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
    assert act.end_time == datetime(2024, 5, 1, 10, 0, 30, 5, tzinfo=timezone.utc)


def test_a_bad_record_names_itself_and_leaves_the_archive_unchanged(archive: Archive) -> None:
    archive.ingest(pipeline(100))
    before = archive.export()
    bad = pipeline(200)
    bad.add(Used(None, "ex:run0.dl0"))  # type: ignore[arg-type]  # a usage without its activity
    with pytest.raises(StoreError, match="activity is required"):
        archive.ingest(bad)
    assert same_provenance(before, archive.export())
    assert archive.get("ex:calibrate6") is None  # new in the refused document


def test_unstorable_attribute_value_is_refused_with_the_record_id(archive: Archive) -> None:
    doc = Document(namespaces={"ex": EX})
    doc.entity("ex:odd", attributes=[("ex:v", object())])
    with pytest.raises(StoreError, match="ex:odd"):
        archive.ingest(doc)
    assert archive.stats()["entity"] == 0


def test_prov_json_files_ingest_like_documents(archive: Archive, tmp_path: Path) -> None:
    path = tmp_path / "pipeline.json"
    original = pipeline(400)
    write(original, path)
    archive.ingest(read(path), source=str(path))
    assert same_provenance(original, archive.export())


def test_open_archive_rejects_unknown_urls(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported archive URL"):
        open_archive("mysql://localhost/x")
    with pytest.raises(StoreError, match="in-memory"):
        open_archive("sqlite://")
    with pytest.raises(StoreError, match="no archive location"):
        open_archive("")


def test_sqlite_provenance_lives_in_an_attached_database(tmp_path: Path) -> None:
    store = open_archive(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        store.ingest(kitchen_sink())
    finally:
        store.close()
    assert (tmp_path / "a.provenance.db").is_file()
    import sqlite3

    with sqlite3.connect(tmp_path / "a.provenance.db") as conn:
        assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == 9


def test_awkward_text_survives_the_bulk_paths(archive: Archive) -> None:
    """Tabs, newlines, backslashes and a literal \\N go through COPY/executemany unchanged."""
    doc = Document(namespaces={"ex": EX})
    awkward = "tab\there\nnew line\r\\N back\\slash é ✓"
    doc.entity("ex:awkward", name=awkward, comment="\\", attributes=[("ex:note", awkward)])
    archive.ingest(doc)
    stored = archive.get("ex:awkward").get("ex:awkward")  # type: ignore[union-attr]
    assert stored.name == awkward and stored.comment == "\\"
    assert stored.attribute("ex:note") == awkward


def test_progress_is_reported_up_to_the_whole_document(archive: Archive) -> None:
    doc = pipeline(300)
    seen: list[tuple[int, int]] = []
    archive.ingest(doc, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (doc.count(), doc.count())
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)


class _Name(str):
    """A str subclass, as identifiers may be (QName-like)."""

    def __str__(self) -> str:
        return "not the value"


@pytest.mark.parametrize(
    "rows",
    [
        [("a", None, "b", 3), ("", None, None, 0)],  # the common case: no escapes
        [("tab\there", None), ("x", "y")],
        [("new\nline", "cr\rhere"), (None, None)],
        [("\\N", None), ("back\\slash", "\\")],  # a literal \N is not a NULL
        [(_Name("ex:a"), "é ✓", True)],
        [("a", None, "b"), ("c", "d\te", None)],  # a tab in a value, the other counts right
        [["list", None], ["rows", "too"]],
    ],
)
def test_copy_text_fast_join_agrees_with_escaping_every_value(rows: list[tuple[object, ...]]) -> None:
    """COPY text is joined unescaped when the counts show nothing to escape, else rebuilt
    escaping every value: both must give the same text."""
    from provarchive.store.engine import _escaped_copy_text, copy_text

    assert copy_text(rows) == _escaped_copy_text(rows)  # type: ignore[arg-type]
    assert copy_text([]) == ""
