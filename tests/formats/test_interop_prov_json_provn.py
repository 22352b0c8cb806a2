"""Interoperability with prov 3.2.3 (the reference Python implementation).

What we write in PROV-JSON and PROV-N, prov reads without a warning and with the same
meaning; what prov writes, we read with the same meaning. Meanings are compared in
our canonical form: prov's document is written by prov as PROV-JSON and read by us,
then compared with :func:`same_provenance`.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import prov.model as pm
import pytest

from provarchive.examples import kitchen_sink, pipeline
from provarchive.formats import provjson, provn
from provarchive.formats.errors import FormatError
from provarchive.model import Document, canonical, differences, same_provenance

from .test_provjson import typed_document
from .test_provn import UNREADABLE

Reader = Callable[[bytes], Document]
FORMATS: dict[str, tuple[Callable[[Document], bytes], str]] = {
    "json": (provjson.dumps, "json"),
    "provn": (provn.dumps, "provn"),
}


def prov_reads(data: bytes, fmt: str) -> pm.ProvDocument:
    """prov's document from our bytes; any prov warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return pm.ProvDocument.deserialize(content=data.decode(), format=fmt)


def as_ours(prov_doc: pm.ProvDocument) -> Document:
    """prov's document, written by prov as PROV-JSON and read by us."""
    return provjson.loads(prov_doc.serialize(format="json"))


DOCUMENTS: dict[str, Callable[[], Document]] = {
    "kitchen_sink": kitchen_sink,
    "typed_values": typed_document,
    "pipeline": lambda: pipeline(400),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_prov_reads_what_we_write_with_the_same_meaning(name: str, fmt: str) -> None:
    doc = DOCUMENTS[name]()
    dumps, prov_format = FORMATS[fmt]
    prov_doc = prov_reads(dumps(doc), prov_format)
    back = as_ours(prov_doc)
    assert same_provenance(doc, back), differences(doc, back)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_we_read_prov_n_that_prov_writes(name: str) -> None:
    doc = DOCUMENTS[name]()
    prov_doc = prov_reads(provjson.dumps(doc), "json")
    ours = provn.loads(prov_doc.get_provn())
    assert same_provenance(doc, ours), differences(doc, ours)


def native_prov_document() -> pm.ProvDocument:
    """A document made with prov's own API, using values of every kind."""
    d = pm.ProvDocument()
    d.add_namespace("ex", "http://example.org/")
    d.set_default_namespace("http://default.org/")
    t = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    e = d.entity(
        "ex:e1",
        {
            "ex:int": 1,
            "ex:long": 2**40,
            "ex:float": 1.5,
            "ex:bool": False,
            "ex:str": 'with "quotes" and \\',
            "ex:lang": pm.Literal("hallo", langtag="de"),
            "ex:uri": pm.Literal("http://x.org/", pm.XSD_ANYURI),
            "ex:time": t,
            "ex:naive": datetime(2024, 5, 1, 12, 0),
            "prov:type": pm.PROV["Collection"],
            "ex:q": d.valid_qualified_name("ex:thing"),
        },
    )
    e.add_attributes({"ex:int": 2})
    a = d.activity("ex:a1", t, t + timedelta(hours=1), {"prov:label": "act"})
    d.activity("local")
    d.agent("ex:ag", {"prov:type": pm.PROV["Person"]})
    d.used(a, e, t, identifier="ex:u1", other_attributes={"prov:role": "input"})
    d.wasGeneratedBy("ex:e2", a)
    d.wasDerivedFrom("ex:e2", e, a, None, "ex:u1")
    d.wasAssociatedWith(a, "ex:ag", "ex:plan")
    d.wasAttributedTo("ex:e2", "ex:ag")
    d.actedOnBehalfOf("ex:ag2", "ex:ag", a)
    d.hadMember("ex:e1", "ex:e2")
    d.wasInformedBy("local", a)
    d.wasStartedBy("local", "ex:e1", a, t)
    d.wasEndedBy("local", None, None, t)
    d.wasInvalidatedBy("ex:e2", None, t)
    d.specializationOf("ex:e2", "ex:e1")
    d.alternateOf("ex:e2", "ex:e1")
    d.wasInfluencedBy("ex:e2", "ex:ag")
    b = d.bundle("ex:bundle")
    b.add_namespace("in", "http://inner.org/")
    b.entity("in:x", {"prov:label": "inside"})
    return d


@pytest.mark.parametrize("fmt", ["json", "provn"])
def test_we_read_what_prov_writes(fmt: str) -> None:
    prov_doc = native_prov_document()
    expected = as_ours(prov_doc)
    text = prov_doc.serialize(format=fmt)
    ours = provjson.loads(text) if fmt == "json" else provn.loads(text)
    assert same_provenance(expected, ours), differences(expected, ours)
    assert ours.count() == expected.count() >= 18


def test_prov_json_and_prov_n_of_prov_agree_with_each_other() -> None:
    prov_doc = native_prov_document()
    from_json = provjson.loads(prov_doc.serialize(format="json"))
    from_provn = provn.loads(prov_doc.get_provn())
    assert same_provenance(from_json, from_provn), differences(from_json, from_provn)


def _prov_n_corpus() -> list[Path]:
    from tests.conftest import CONFORMANCE

    return [p for p in sorted(CONFORMANCE.glob("**/*.provn")) if p.name not in UNREADABLE]


def _prov_json_corpus() -> list[Path]:
    from tests.conftest import CONFORMANCE

    return sorted(CONFORMANCE.glob("prov-examples/*.json")) + sorted(CONFORMANCE.glob("w3c-prov/**/*.json"))


@pytest.mark.parametrize("path", _prov_json_corpus() + _prov_n_corpus(), ids=lambda p: p.name)
def test_conformance_files_mean_to_us_what_they_mean_to_prov(path: Path) -> None:
    data = path.read_bytes()
    fmt = "json" if path.suffix == ".json" else "provn"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prov_doc = pm.ProvDocument.deserialize(content=data.decode(), format=fmt)
    except Exception:  # noqa: BLE001 - prov refuses some corpus files (bundle-fail1.provn)
        prov_doc = None
    read = provjson.loads if fmt == "json" else provn.loads
    if prov_doc is None:  # nothing to compare with: we still read it, or refuse it with a position
        try:
            read(data)
        except FormatError as error:
            assert error.line is not None, error
        return
    ours = read(data)
    expected = as_ours(prov_doc)
    assert as_sets(expected) == as_sets(ours), differences(expected, ours)


def as_sets(doc: Document) -> Counter[tuple[object, ...]]:
    """Canonical statements with each attribute list read as a set, as PROV-DM defines it.

    prov keeps one copy of a repeated attribute-value pair (pc1-full.provn repeats
    ``prov:type='prim:align_warp'``); we keep what the file says.
    """
    out: Counter[tuple[object, ...]] = Counter()
    for statement, count in canonical(doc).items():
        *head, attributes = statement
        out[(*head, tuple(sorted(set(attributes))))] += count
    return out
