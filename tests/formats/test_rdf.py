"""PROV-O: Turtle and TriG round trips, qualified patterns, prov 3.2 interop, corpus."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from prov.model import ProvDocument
from rdflib import Dataset, Graph, URIRef

from provarchive.formats import FormatError, provxml, rdf
from provarchive.model import Document, Literal, QName, differences
from provarchive.model.records import SpecializationOf

PROV = "http://www.w3.org/ns/prov#"
EX = "http://example.org/"


def class_names(doc: Document) -> list[str]:
    return sorted(type(r).__name__ for _b, r in doc.all_records())


def without_bundles(doc: Document) -> Document:
    doc.bundles.clear()
    return doc


def test_kitchen_sink_round_trip_through_trig(doc: Document) -> None:
    back = rdf.loads(rdf.dumps(doc, format="trig"))
    assert differences(doc, back) == ([], [])
    assert class_names(back) == class_names(doc)
    assert set(back.bundles) == {"ex:bundle1"}


def test_kitchen_sink_round_trip_through_turtle(doc: Document) -> None:
    doc = without_bundles(doc)
    back = rdf.loads(rdf.dumps(doc))
    assert differences(doc, back) == ([], [])
    assert class_names(back) == class_names(doc)


def test_turtle_refuses_bundles_and_the_default_switches_to_trig(doc: Document) -> None:
    with pytest.raises(FormatError, match="trig"):
        rdf.dumps(doc, format="turtle")
    assert differences(doc, rdf.loads(rdf.dumps(doc))) == ([], [])


def test_qualified_usage_keeps_role_time_and_id() -> None:
    doc = Document(namespaces={"ex": EX})
    act = doc.activity("ex:a", datetime(2024, 1, 1, tzinfo=timezone.utc))
    act.used("ex:e", role="raw", time=datetime(2024, 1, 1, 0, 0, 1, tzinfo=timezone.utc), id="ex:u1")
    act.used("ex:f")
    data = rdf.dumps(doc)
    graph = Graph().parse(data=data.decode(), format="turtle")
    usage = URIRef(EX + "u1")
    assert (URIRef(EX + "a"), URIRef(PROV + "qualifiedUsage"), usage) in graph
    assert str(graph.value(usage, URIRef(PROV + "hadRole"))) == "raw"
    assert graph.value(usage, URIRef(PROV + "entity")) == URIRef(EX + "e")
    # a bare relation is the starting-point property
    assert (URIRef(EX + "a"), URIRef(PROV + "used"), URIRef(EX + "f")) in graph
    assert differences(doc, rdf.loads(data)) == ([], [])


def test_typed_values_round_trip() -> None:
    doc = Document(namespaces={"ex": EX})
    doc.entity(
        "ex:e",
        name="label",
        location="file:///data/x.fits",
        attributes=[
            ("ex:lang", Literal("bonjour", lang="fr")),
            ("ex:uri", Literal("https://example.org/x", datatype="xsd:anyURI")),
            ("ex:year", Literal("2024", datatype="xsd:gYear")),
            ("ex:qname", QName("ex:Thing")),
            ("ex:when", datetime(2024, 3, 1, 21, 0, 0, 250000, tzinfo=timezone.utc)),
            ("ex:int", 42),
            ("ex:float", 0.1),
            ("ex:yes", True),
            ("prov:type", QName("ex:Dataset")),
        ],
    )
    back = rdf.loads(rdf.dumps(doc))
    assert differences(doc, back) == ([], [])


def test_relations_without_qualified_form_refuse_ids() -> None:
    doc = Document(namespaces={"ex": EX})
    doc.add(SpecializationOf("ex:a", "ex:b", id="ex:s1"))
    with pytest.raises(FormatError, match="specializationOf"):
        rdf.dumps(doc)


def test_prov_reads_our_trig_and_we_read_prov_trig(doc: Document) -> None:
    prov_doc = ProvDocument.deserialize(content=rdf.dumps(doc, format="trig"), format="rdf", rdf_format="trig")
    assert differences(doc, provxml.loads(prov_doc.serialize(format="xml"))) == ([], [])
    from_prov = ProvDocument.deserialize(content=provxml.dumps(doc), format="xml")
    back = rdf.loads(from_prov.serialize(format="rdf", rdf_format="trig"))
    assert differences(doc, back) == ([], [])


def test_turtle_interop_with_prov_both_ways(doc: Document) -> None:
    doc = without_bundles(doc)
    prov_doc = ProvDocument.deserialize(content=rdf.dumps(doc), format="rdf", rdf_format="turtle")
    assert differences(doc, provxml.loads(prov_doc.serialize(format="xml"))) == ([], [])
    back = rdf.loads(prov_doc.serialize(format="rdf", rdf_format="turtle"))
    assert differences(doc, back) == ([], [])
    try:
        from provarchive.formats import provjson
    except ImportError:  # pragma: no cover - another engineer's module
        return
    assert differences(doc, provjson.loads(prov_doc.serialize(format="json"))) == ([], [])


@pytest.mark.parametrize("name", ["bundle1.ttl", "bundle4.trig", "delegation8.ttl", "derivation13.ttl", "member3.ttl"])
def test_corpus_files_read_like_prov_reads_them(conformance: Path, name: str) -> None:
    path = conformance / "prov-examples" / name
    ours = rdf.loads(path.read_bytes())
    theirs = ProvDocument.deserialize(
        content=path.read_text(), format="rdf", rdf_format=path.suffix[1:].replace("ttl", "turtle")
    )
    assert differences(ours, provxml.loads(theirs.serialize(format="xml"))) == ([], [])


def test_every_corpus_rdf_file_reads(conformance: Path) -> None:
    files = [p for p in conformance.rglob("*") if p.suffix in (".ttl", ".trig")]
    assert files
    for path in files:
        assert rdf.loads(path.read_bytes()).count() > 0, path


def test_derivation_subtype_uses_its_own_property(conformance: Path) -> None:
    doc = rdf.loads((conformance / "prov-examples" / "derivation13.ttl").read_bytes())
    (derivation,) = doc.relations
    assert ("prov:type", QName("prov:PrimarySource")) in derivation.attributes
    data = rdf.dumps(doc).decode()
    assert "prov:qualifiedPrimarySource" in data


def test_malformed_turtle_is_a_format_error_with_line() -> None:
    with pytest.raises(FormatError) as info:
        rdf.loads(b"@prefix ex: <http://example.org/> .\n\nex:a ex:b .\n")
    assert info.value.line == 3 and info.value.column in (10, 11)
    with pytest.raises(FormatError, match="not bound"):
        rdf.loads(b"nope:a nope:b nope:c .")
    with pytest.raises(FormatError):
        rdf.loads(b"@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;;; .\nex:d ex:e")


def test_trig_named_graphs_are_bundles(doc: Document) -> None:
    dataset = Dataset()
    dataset.parse(data=rdf.dumps(doc, format="trig").decode(), format="trig")
    names = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert "http://example.org/cta#bundle1" in names


def test_identifiers_that_are_not_iris_are_refused_clearly() -> None:
    doc = Document(namespaces={"ex": EX})
    doc.entity("ex:a<b>")
    with pytest.raises(FormatError, match="not allowed in an IRI"):
        rdf.dumps(doc)
