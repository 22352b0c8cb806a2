"""``record.attributes`` made on first use: readers and constructors leave most records
without a list of their own, and nothing a caller can see differs from a list per record.

Readers, writers and the row maker read the hidden slot; every test here compares a
record whose slot was never made into a list with the same record after it was, so a
reader or writer that forgot the slot (or read it wrongly) fails one of them.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from provarchive import formats
from provarchive.examples import kitchen_sink, pipeline
from provarchive.model import Document, Entity, QName, Record, Used
from provarchive.model.compare import canonical
from provarchive.model.configuration import ConfigFile, Parameter, WasConfiguredBy
from provarchive.model.descriptions import DESCRIPTION_CLASSES
from provarchive.model.records import RELATION_CLASSES, Activity, Agent, Collection, DatasetEntity, Element, ValueEntity
from provarchive.store.rows import to_row

#: Formats whose readers make records (DOT and SVG are written only).
READABLE = [f.name for f in formats.FORMATS if f.readable]


def every_class_without_attributes() -> list[Record]:
    """One record of every model class, made by its constructor with no extra attribute."""
    records: list[Record] = [
        Entity("ex:e"),
        Collection("ex:c"),
        ValueEntity("ex:v", value="1"),
        DatasetEntity("ex:d"),
        Activity("ex:a"),
        Agent("ex:g"),
        Parameter("ex:p", name="n", value=1),
        ConfigFile("ex:f", name="f"),
        WasConfiguredBy("ex:a", "ex:p", artefact_type="Parameter"),
    ]
    records += [cls(f"ex:{cls.__name__}") for cls in DESCRIPTION_CLASSES.values()]  # type: ignore[call-arg]
    records += [cls("ex:x", "ex:y") for cls in RELATION_CLASSES.values()]
    return records


def materialise(doc: Document) -> int:
    """Ask every record of ``doc`` (bundles included) for its list; how many records."""
    n = 0
    for _bundle, record in doc.all_records():
        assert type(record.attributes) is list
        n += 1
    return n


@pytest.mark.parametrize("record", every_class_without_attributes(), ids=lambda r: type(r).__name__)
def test_every_class_gives_a_list_that_keeps_what_is_appended(record: Record) -> None:
    attributes = record.attributes
    assert attributes == [] and type(attributes) is list
    assert record.attributes is attributes  # the same list every time, not a fresh one
    record.attributes.append(("ex:k", "v"))
    record.set("ex:k", 2)
    assert record.attributes == [("ex:k", "v"), ("ex:k", 2)]
    assert record.attribute_values("ex:k") == ["v", 2]


def test_constructors_copy_what_they_are_given_and_the_setter_keeps_it() -> None:
    given = [("ex:k", "v")]
    entity = Entity("ex:e", attributes=given)
    given.append(("ex:other", 1))  # as before: the constructor copied the list
    assert entity.attributes == [("ex:k", "v")]
    assert Entity("ex:g", attributes=iter([("ex:k", 1)])).attributes == [("ex:k", 1)]
    assert Entity("ex:h", attributes=iter([])).attributes == []
    mine: list[tuple[str, Any]] = []
    entity.attributes = mine  # as before: assignment stores the caller's list
    mine.append(("ex:n", 3))
    assert entity.attributes is mine and entity.attribute("ex:n") == 3


def test_records_with_and_without_their_list_are_equal() -> None:
    for record in every_class_without_attributes():
        twin = copy.copy(record)
        twin.attributes  # noqa: B018 - made into a list, the original not
        assert twin == record and record == twin
        twin.set("ex:k", 1)
        assert twin != record and record != twin
        record.set("ex:k", 1)
        assert twin == record


def test_copies_and_pickles_of_records_without_a_list() -> None:
    for record in every_class_without_attributes():
        for clone in (copy.copy(record), copy.deepcopy(record), pickle.loads(pickle.dumps(record))):
            assert clone == record
            clone.set("ex:k", 1)
            assert record.attributes == []  # the clone's list is its own
            assert clone.attributes == [("ex:k", 1)]
        record.set("ex:k", 2)
        assert pickle.loads(pickle.dumps(record)).attributes == [("ex:k", 2)]


@pytest.mark.parametrize("fmt", READABLE)
def test_records_read_give_lists_that_keep_what_is_appended(fmt: str) -> None:
    doc = kitchen_sink()
    data = formats.dumps(doc, fmt)
    back = formats.loads(data, fmt)
    # elements: PROV-O has no place for attributes of some relations (mentionOf, ...)
    plain = [r for _b, r in back.all_records() if isinstance(r, Element) and not r.attributes]
    assert plain, "the kitchen sink has records without extra attributes"
    for i, record in enumerate(plain):
        record.attributes.append(("ex:added", f"v{i}"))
    again = formats.loads(formats.dumps(back, fmt), fmt)
    found = {(r.id, r.attribute("ex:added")) for _b, r in again.all_records() if r.attribute("ex:added")}
    assert found == {(r.id, f"v{i}") for i, r in enumerate(plain)}  # PROV-O keeps no order


def written(doc: Document, fmt: str) -> Any:
    """The bytes ``doc`` is written as; for PROV-O (whose blank nodes are named anew
    each time) the canonical form of what they read back as."""
    data = formats.dumps(doc, fmt)
    return canonical(formats.loads(data, fmt)) if fmt == "PROV-O" else data


@pytest.mark.parametrize("fmt", READABLE)
def test_writers_give_the_same_output_whether_or_not_records_have_their_list(fmt: str) -> None:
    for doc_of in (kitchen_sink, lambda: pipeline(2000)):
        read = formats.loads(formats.dumps(doc_of(), fmt), fmt)
        made = doc_of()
        before = written(read, fmt), written(made, fmt)
        assert materialise(read) == materialise(made) > 0
        assert (written(read, fmt), written(made, fmt)) == before


def test_rows_are_the_same_whether_or_not_records_have_their_list() -> None:
    doc = pipeline(2000)
    doc.add(Used("ex:a", "ex:e", attributes=[("ex:k", QName("ex:v"))]))
    records = list(doc.records)
    before = [to_row(r) for r in records]
    for r in records:
        r.attributes  # noqa: B018
    assert [to_row(r) for r in records] == before
    assert any(row[-1] for _table, row in before)  # some row carries attributes
