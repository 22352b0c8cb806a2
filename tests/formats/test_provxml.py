"""PROV-XML: round trips, typed values, bundles, prov 3.2 interop, corpus, hostile input."""

from __future__ import annotations

import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prov.model import PROV, ProvDocument

from provarchive.formats import FormatError, UnsafeInputError, provxml, provxml_write
from provarchive.model import Document, Literal, QName, differences, same_provenance

from .outcomes import read_outcome


def class_names(doc: Document) -> list[str]:
    return sorted(type(r).__name__ for _b, r in doc.all_records())


def test_kitchen_sink_round_trip_keeps_every_class(doc: Document) -> None:
    back = provxml.loads(provxml.dumps(doc))
    assert differences(doc, back) == ([], [])
    assert class_names(back) == class_names(doc)
    assert set(back.bundles) == {"ex:bundle1"}


def test_typed_values_round_trip() -> None:
    doc = Document(namespaces={"ex": "http://example.org/"})
    when = datetime(2024, 3, 1, 21, 0, 0, 250000, tzinfo=timezone.utc)
    doc.entity(
        "ex:e",
        attributes=[
            ("ex:lang", Literal("bonjour", lang="fr")),
            ("ex:uri", Literal("https://example.org/x", datatype="xsd:anyURI")),
            ("ex:year", Literal("2024", datatype="xsd:gYear")),
            ("ex:qname", QName("ex:Thing")),
            ("ex:when", when),
            ("ex:int", 42),
            ("ex:big", 2**40),
            ("ex:float", 0.1),
            ("ex:yes", True),
            ("ex:no", False),
            ("ex:text", 'a < b & c > d "quoted"\nsecond line\r'),
            ("ex:odd name", "escaped element name"),
        ],
    )
    data = provxml.dumps(doc)
    assert b'xml:lang="fr"' in data and b'xsi:type="xsd:int"' in data
    back = provxml.loads(data)
    assert same_provenance(doc, back), differences(doc, back)
    values = dict(back.get("ex:e").attributes)
    assert values["ex:when"] == when and values["ex:big"] == 2**40 and values["ex:yes"] is True
    assert isinstance(values["ex:qname"], QName)


def test_bundles_have_their_own_namespaces() -> None:
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.entity("ex:outside")
    bundle = doc.bundle("ex:b1")
    bundle.add_namespace("in", "http://example.org/inner#")
    bundle.entity("in:inside", name="in the bundle")
    data = provxml.dumps(doc)
    back = provxml.loads(data)
    assert same_provenance(doc, back), differences(doc, back)
    assert b'<prov:bundleContent prov:id="ex:b1" xmlns:in="http://example.org/inner#">' in data


def _prov_document() -> ProvDocument:
    """A document built with prov's own API: the independent oracle for interop."""
    pd = ProvDocument()
    pd.add_namespace("ex", "http://example.org/")
    pd.entity(
        "ex:e1",
        {
            "prov:label": "raw",
            "prov:type": "ex:Dataset",
            "ex:n": 3,
            "ex:f": 1.5,
            "ex:ok": True,
            "ex:when": datetime(2024, 1, 1, 12, tzinfo=timezone.utc),
        },
    )
    pd.activity("ex:a1", datetime(2024, 1, 1, 10, tzinfo=timezone.utc), datetime(2024, 1, 1, 11, tzinfo=timezone.utc))
    pd.used(
        "ex:a1", "ex:e1", datetime(2024, 1, 1, 10, 30, tzinfo=timezone.utc), other_attributes={"prov:role": "input"}
    )
    pd.wasGeneratedBy("ex:e2", "ex:a1", identifier="ex:gen1")
    pd.agent("ex:bob", {"prov:type": "prov:Person"})
    pd.wasAssociatedWith("ex:a1", "ex:bob", "ex:plan1")
    pd.wasDerivedFrom("ex:e2", "ex:e1", "ex:a1")
    pd.hadMember("ex:c", "ex:e1")
    bundle = pd.bundle("ex:b")
    bundle.entity("ex:inner")
    return pd


def test_prov_reads_our_output_and_we_read_prov_output() -> None:
    pd = _prov_document()
    ours = provxml.loads(pd.serialize(format="xml"))
    assert ours.get("ex:e1") is not None and "ex:b" in ours.bundles
    again = ProvDocument.deserialize(content=provxml.dumps(ours), format="xml")
    assert again == pd


def test_prov_round_trip_of_kitchen_sink(doc: Document) -> None:
    pd = ProvDocument.deserialize(content=provxml.dumps(doc), format="xml")
    back = provxml.loads(pd.serialize(format="xml"))
    assert differences(doc, back) == ([], [])
    try:
        from provarchive.formats import provjson
    except ImportError:  # pragma: no cover - written by another engineer
        return
    via_json = provjson.loads(pd.serialize(format="json"))
    assert differences(doc, via_json) == ([], [])


def test_prov_subtype_elements_are_read_as_types() -> None:
    pd = ProvDocument()
    pd.add_namespace("ex", "http://example.org/")
    pd.entity("ex:p", {"prov:type": PROV["Plan"]})
    pd.agent("ex:bob", {"prov:type": PROV["Person"]})
    data = pd.serialize(format="xml")
    assert "<prov:plan" in data and "<prov:person" in data
    back = provxml.loads(data)
    assert back.get("ex:bob").type == "Person"
    assert back.get("ex:p").attributes == [("prov:type", QName("prov:Plan"))]


def xml_files(root: Path) -> list[Path]:
    found = [p for p in root.rglob("*") if p.suffix in (".xml", ".provx") and "opus-jobdefs" not in p.parts]
    return sorted(found)


def test_reads_every_conformance_xml(conformance: Path) -> None:
    files = xml_files(conformance)
    assert len(files) > 200
    unreadable = []
    for path in files:
        try:
            provxml.loads(path.read_bytes())
        except FormatError as exc:
            assert exc.line is not None, path
            unreadable.append(path.name)
    assert unreadable == []


def test_voprov_legacy_layout_reads_as_ivoa_classes(conformance: Path) -> None:
    doc = provxml.loads((conformance / "voprov" / "reference_legacy.xml").read_bytes())
    usage = doc.get("ex:ud1")
    assert type(usage).__name__ == "UsageDescription"
    assert (usage.role, usage.activity_description, usage.entity_descriptions) == ("input", "ex:ad1", ["ex:ed1"])
    activity = doc.get("ex:a1")
    assert activity.description == "ex:ad1" and activity.name == "cal run"
    assert doc.get("ex:ag1").type == "Person"
    assert doc.get("ex:p1").description == "ex:pd1"
    configured = sorted(r.artefact_type for r in doc.records if type(r).__name__ == "WasConfiguredBy")
    assert configured == ["ConfigFile", "Parameter"]
    assert [e.id for e in doc.bundles["ex:b1"].entities] == ["ex:be1"]
    again = provxml.loads(provxml.dumps(doc))
    assert differences(doc, again) == ([], [])


def test_provtoolbox_bundle_dialect_and_header(conformance: Path) -> None:
    path = conformance / "w3c-prov/provtoolbox/unification/bundle-success1.xml"
    assert path.read_bytes().startswith(b"<?org.openprovenance.prov.xml")
    doc = provxml.loads(path.read_bytes())
    assert [e.id for e in doc.entities] == ["ex:e2"]
    assert [e.id for e in doc.bundles["ex:bundle1"].entities] == ["ex:e1"]


def test_nested_namespaces_resolve_to_the_right_uris(conformance: Path) -> None:
    doc = provxml.loads((conformance / "prov-examples/nested_default_namespace.xml").read_bytes())
    assert doc.namespaces.expand(doc.entities[0].id) == "http://example.org/0/e001"
    doc = provxml.loads((conformance / "prov-examples/namespace_redefined.xml").read_bytes())
    (entity,) = doc.entities
    ((key, value),) = entity.attributes
    assert doc.namespaces.expand(value) == "http://example.com/ns/new_ex#Workflow"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<prov:document xmlns:prov="http://www.w3.org/ns/prov#" xmlns:ex="http://example.org/">
  <prov:entity prov:id="ex:e"><prov:label>&x;</prov:label></prov:entity>
</prov:document>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<prov:document xmlns:prov="http://www.w3.org/ns/prov#"><prov:entity prov:id="e"><prov:label>&lol3;</prov:label>
</prov:entity></prov:document>"""

DTD = b"""<?xml version="1.0"?>
<!DOCTYPE prov:document SYSTEM "http://example.org/prov.dtd">
<prov:document xmlns:prov="http://www.w3.org/ns/prov#"/>"""


@pytest.mark.parametrize(
    "data", [XXE, LAUGHS, DTD, XXE.decode("utf-8").encode("utf-16")], ids=["xxe", "laughs", "dtd", "utf16-xxe"]
)
def test_hostile_xml_is_refused(data: bytes) -> None:
    with pytest.raises(UnsafeInputError) as info:
        provxml.loads(data)
    assert "passwd" not in str(info.value)


def test_malformed_xml_reports_line_and_column() -> None:
    data = b'<prov:document xmlns:prov="http://www.w3.org/ns/prov#">\n  <prov:entity prov:id="e">\n</prov:document>'
    with pytest.raises(FormatError) as info:
        provxml.loads(data)
    assert info.value.line == 3 and info.value.column is not None
    assert "malformed XML" in str(info.value)


def test_structural_errors_name_the_line() -> None:
    data = b'<prov:document xmlns:prov="http://www.w3.org/ns/prov#">\n<prov:used><prov:activity/></prov:used>\n</prov:document>'
    with pytest.raises(FormatError, match="prov:ref") as info:
        provxml.loads(data)
    assert info.value.line == 2
    with pytest.raises(FormatError, match="xsd:dateTime"):
        provxml.loads(
            b'<prov:document xmlns:prov="http://www.w3.org/ns/prov#"><prov:activity prov:id="a">'
            b"<prov:startTime>yesterday</prov:startTime></prov:activity></prov:document>"
        )


def test_unrepresentable_characters_are_refused_on_write() -> None:
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.entity("ex:e", name="bell \x07")
    with pytest.raises(FormatError, match="U\\+0007"):
        provxml.dumps(doc)


def test_pipeline_round_trip_is_exact() -> None:
    from provarchive.examples import pipeline

    doc = pipeline(2000)
    assert same_provenance(doc, provxml.loads(provxml.dumps(doc)))


def test_elements_inside_attribute_values_are_refused() -> None:
    data = (
        b'<prov:document xmlns:prov="http://www.w3.org/ns/prov#" xmlns:ex="http://example.org/">\n'
        b'<prov:entity prov:id="ex:a">\n<ex:v><ex:w>1</ex:w></ex:v></prov:entity></prov:document>'
    )
    with pytest.raises(FormatError, match="must be text") as info:
        provxml.loads(data)
    assert info.value.line == 3


def test_typed_text_that_does_not_parse_is_kept_as_a_literal() -> None:
    from provarchive.formats.xsd_values import from_lexical, to_lexical

    assert from_lexical("abc", "xsd:int") == Literal("abc", "xsd:int")
    assert from_lexical("maybe", "xsd:boolean") == Literal("maybe", "xsd:boolean")
    assert from_lexical("1", "xsd:boolean") is True
    assert from_lexical("2024", "xsd:gYear") == Literal("2024", "xsd:gYear")
    assert from_lexical("bon", "xsd:string", "fr") == Literal("bon", lang="fr")
    assert to_lexical(2**40) == (str(2**40), "xsd:long", None)
    assert to_lexical(datetime(2024, 1, 1, tzinfo=timezone.utc)) == ("2024-01-01T00:00:00Z", "xsd:dateTime", None)


XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"), max_size=30
).filter(lambda t: not any("\x00" < c < " " and c not in "\t\n\r" for c in t))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(XML_TEXT, st.integers(), st.floats(allow_nan=False), st.booleans()), max_size=4))
def test_any_representable_value_round_trips(values: list) -> None:
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.entity("ex:e", attributes=[("ex:v", v) for v in values])
    assert differences(doc, provxml.loads(provxml.dumps(doc))) == ([], [])


def test_corpus_reads_exactly_as_prov_reads_it(conformance: Path) -> None:
    """Every corpus file prov 3.2 can read gives the same statements through both readers."""
    compared = 0
    for path in xml_files(conformance):
        if "voprov" in path.parts:
            continue
        data = path.read_bytes()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # prov's notes on what it drops
                theirs = ProvDocument.deserialize(content=data, format="xml")
        except Exception:  # prov refuses some W3C examples (e.g. xsd:QName values without a prefix)
            continue
        assert differences(provxml.loads(data), provxml.loads(theirs.serialize(format="xml"))) == ([], []), path
        compared += 1
    assert compared > 200


# ---------------------------------------------------------- line reader against the tree


def _read_both_ways(data: bytes) -> list[tuple]:
    """What the line reader (through ``loads``) and lxml's tree make of ``data``: the
    document as PROV-JSON plus classes by id, or the error with its line."""
    from provarchive.formats import provjson

    from .test_provjson import classes_by_id

    results: list[tuple] = []
    for read in (provxml.loads, provxml._loads_tree):
        try:
            doc = read(data)
        except FormatError as error:
            results.append(("error", type(error), str(error), error.line))
        else:
            results.append(("read", provjson.dumps(doc), classes_by_id(doc)))
    return results


def test_canonical_documents_read_line_by_line_as_the_tree_reads_them() -> None:
    from provarchive.examples import kitchen_sink, pipeline

    from .test_provjson import typed_document

    for doc in (pipeline(300), kitchen_sink(), typed_document()):
        data = provxml.dumps(doc)
        # the line reader takes every document without bundles
        assert (provxml._read_canonical(data) is not None) == (not doc.bundles)
        fast, tree = _read_both_ways(data)
        assert fast == tree
        assert fast[0] == "read"


HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n<prov:document xmlns:prov=\"http://www.w3.org/ns/prov#\""
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xmlns:ex="http://example.org/">\n'
)

#: Record bodies the line reader must read exactly as the tree, or leave to it.
LINE_CASES = {
    "text with > and quotes": '<prov:entity prov:id="ex:e">\n<prov:label>a > b "q" c/></prov:label>\n</prov:entity>',
    "id holding >": '<prov:entity prov:id="ex:a>b"/>',
    "empty value": '<prov:entity prov:id="ex:e">\n    <ex:v></ex:v>\n</prov:entity>',
    "typed and language values": (
        '<prov:entity prov:id="ex:e">\n<ex:i xsi:type="xsd:int">7</ex:i>\n<ex:l xml:lang="en">hi</ex:l>\n'
        '<ex:q xsi:type="xsd:QName">ex:other</ex:q>\n<ex:b xml:lang="fr" xsi:type="xsd:string">oui</ex:b>\n'
        '<ex:t xsi:type="ex:T">x</ex:t>\n</prov:entity>'
    ),
    "blank lines": '\n<prov:entity prov:id="ex:e">\n\n<prov:label>x</prov:label>\n\n</prov:entity>\n\n',
    "subtype elements": (
        '<prov:plan prov:id="ex:p"/>\n<prov:person prov:id="ex:ann">\n<prov:label>Ann</prov:label>\n</prov:person>'
    ),
    "members": (
        '<prov:hadMember>\n<prov:collection prov:ref="ex:c"/>\n<prov:entity prov:ref="ex:a"/>\n'
        '<prov:entity prov:ref="ex:b"/>\n</prov:hadMember>'
    ),
    "relation with id and time": (
        '<prov:used prov:id="ex:u">\n<prov:activity prov:ref="ex:a"/>\n<prov:entity prov:ref="ex:e"/>\n'
        "<prov:time>2024-01-01T00:00:01.5+01:00</prov:time>\n<prov:role>in</prov:role>\n</prov:used>"
    ),
    "empty relation": "<prov:wasInformedBy/>",
    "unprefixed element": '<prov:entity prov:id="ex:e">\n<v>1</v>\n</prov:entity>',
    "escaped local name": '<prov:entity prov:id="ex:e">\n<ex:a_x0020_b>1</ex:a_x0020_b>\n</prov:entity>',
    "comment": '<!-- c -->\n<prov:entity prov:id="ex:e"/>',
    "reference": '<prov:entity prov:id="ex:e">\n<prov:label>a &amp; b</prov:label>\n</prov:entity>',
    "cdata": '<prov:entity prov:id="ex:e">\n<prov:label><![CDATA[x]]></prov:label>\n</prov:entity>',
    "two records on a line": '<prov:entity prov:id="ex:e"/><prov:entity prov:id="ex:f"/>',
    "value on two lines": '<prov:entity prov:id="ex:e">\n<prov:label>a\nb</prov:label>\n</prov:entity>',
    "value over lines, indented": '<prov:entity prov:id="ex:e">\n  <ex:v>a\n    b\n  </ex:v>\n</prov:entity>',
    "unclosed value over lines": '<prov:entity prov:id="ex:e">\n<ex:v>a\n<ex:w>b</ex:w>\n</prov:entity>',
    "spaces in tags": '<prov:entity  prov:id="ex:e" >\n<prov:label >x</prov:label >\n</prov:entity>',
    "single quotes": "<prov:entity prov:id='ex:e'/>",
    "time with a type": (
        '<prov:activity prov:id="ex:a">\n<prov:startTime xsi:type="xsd:dateTime">2024-01-01T00:00:00Z'
        "</prov:startTime>\n</prov:activity>"
    ),
    "end-of-day time": (
        '<prov:activity prov:id="ex:a">\n<prov:startTime>2024-01-01T24:00:00Z</prov:startTime>\n</prov:activity>'
    ),
    "indentations as we write and others": (
        '  <prov:used prov:id="ex:u">\n    <prov:activity prov:ref="ex:a"/>\n  <prov:entity prov:ref="ex:e"/>\n'
        "    \n    <prov:role>in</prov:role>\n      <prov:role>out</prov:role>\n<prov:role>x</prov:role>\n"
        '    </prov:used>\n  <prov:entity prov:id="ex:e">\n    <prov:label>x</prov:label>\n  </prov:entity>'
    ),
    "bundle": '<prov:bundleContent prov:id="ex:b">\n<prov:entity prov:id="ex:e"/>\n</prov:bundleContent>',
    # bad documents: the tree's error
    "nested value": '<prov:entity prov:id="ex:e">\n<ex:v><ex:w>1</ex:w></ex:v>\n</prov:entity>',
    "bad time": '<prov:activity prov:id="ex:a">\n<prov:startTime>soon</prov:startTime>\n</prov:activity>',
    "reference as text": "<prov:used>\n<prov:activity>ex:a</prov:activity>\n</prov:used>",
    "unknown prov element": '<prov:thing prov:id="ex:e"/>',
    "undeclared prefix": '<prov:entity prov:id="ex:e">\n<zz:v>1</zz:v>\n</prov:entity>',
    "unterminated attribute": '<prov:entity prov:id=">\n</prov:entity>',
    "no quotes": "<prov:entity prov:id=>\n</prov:entity>",
    "quote glued to the tag": '<prov:used"x">\n</prov:used>',
    "< in an id": '<prov:entity prov:id="ex:<e"/>',
    "< in a reference": '<prov:used>\n<prov:activity prov:ref="ex:<a"/>\n</prov:used>',
    "unclosed record": '<prov:entity prov:id="ex:e">\n<prov:label>x</prov:label>',
    "mismatched closing tag": '<prov:entity prov:id="ex:e">\n<prov:label>x</prov:labels>\n</prov:entity>',
    "indented mismatched closing tag": '  <prov:entity prov:id="ex:e">\n    <prov:label>x</prov:label>\n  </prov:e>',
    "indented value holding an element": '  <prov:entity prov:id="ex:e">\n    <ex:v>1<ex:w/></ex:v>\n  </prov:entity>',
    "control character": '<prov:entity prov:id="ex:e">\n<prov:label>bell \x07</prov:label>\n</prov:entity>',
}


#: The cases the line reader reads itself (the others it leaves to the tree).
LINE_READ = {
    "text with > and quotes",
    "id holding >",
    "empty value",
    "typed and language values",
    "blank lines",
    "subtype elements",
    "members",
    "relation with id and time",
    "empty relation",
    "unprefixed element",
    "escaped local name",
    "value on two lines",
    "value over lines, indented",
    "indentations as we write and others",
}


@pytest.mark.parametrize("name", LINE_CASES)
@pytest.mark.parametrize("tail", ["</prov:document>\n", "</prov:document>"])
def test_line_reader_reads_or_leaves_each_layout_as_the_tree(name: str, tail: str) -> None:
    data = f"{HEAD}{LINE_CASES[name]}\n{tail}".encode()
    fast, tree = _read_both_ways(data)
    assert fast == tree
    assert (provxml._read_canonical(data) is not None) == (name in LINE_READ)


def test_text_after_the_root_is_the_tree_s_error() -> None:
    data = f'{HEAD}<prov:entity prov:id="ex:e"/>\n</prov:document>\nmore\n'.encode()
    fast, tree = _read_both_ways(data)
    assert fast == tree and fast[0] == "error"


def test_generated_kind_writers_write_what_the_plain_loop_writes() -> None:
    from provarchive.examples import kitchen_sink, pipeline
    from provarchive.model.w3c import Statement, to_statements

    from .test_provjson import typed_document

    for doc in (pipeline(300), kitchen_sink(), typed_document()):
        ns, statements = to_statements(doc)
        # odd lengths of the formal list go to the plain loop inside the kind writers too
        statements += [
            Statement("used", None, ["ex:a"], []),
            Statement("wasInformedBy", "ex:i", ["ex:a", "ex:b", "x"], []),
        ]
        generated, plain = provxml_write._Writer(), provxml_write._Writer()
        generated.statements(statements, ns, "  ")
        for statement in statements:
            plain.statement(statement, ns, "  ")
        assert "".join(generated.out) == "".join(plain.out)


# ------------------------------------------------- writer: from records against statements


def _write_both_ways(doc: Document) -> tuple[object, object]:
    """What the record writer (``dumps``) and the statement writer make of ``doc``: bytes or the error."""
    results: list[object] = []
    for write in (provxml.dumps, provxml_write.dumps_statements):
        try:
            results.append(write(doc))
        except (FormatError, KeyError, TypeError) as error:
            results.append((type(error), str(error), getattr(error, "line", None)))
    return results[0], results[1]


def _takes_record_path(doc: Document) -> bool:
    return provxml_write._RecordWriter(doc.namespaces, provxml_write.VOPROV).document(doc.records) is not None


def _corpus_documents(conformance: Path) -> list[Document]:
    from provarchive.formats import provjson

    docs = []
    for path in xml_files(conformance):
        docs.append(provxml.loads(path.read_bytes()))
    for path in sorted(conformance.rglob("*.json")):
        try:
            docs.append(provjson.loads(path.read_bytes()))
        except (FormatError, ValueError):
            continue
    return docs


def test_record_writer_writes_what_the_statement_writer_writes(conformance: Path) -> None:
    from provarchive.examples import kitchen_sink, pipeline

    from .test_provjson import typed_document

    docs = [pipeline(300), kitchen_sink(), typed_document(), *_corpus_documents(conformance)]
    record_path = 0
    for doc in docs:
        new, old = _write_both_ways(doc)
        assert new == old
        # without its bundles too: documents with bundles go to the statement writer whole
        doc.bundles.clear()
        new, old = _write_both_ways(doc)
        assert new == old
        record_path += _takes_record_path(doc)
    assert len(docs) > 250
    assert record_path > 0.9 * len(docs)


def test_record_writer_agrees_on_voprov_declarations_and_errors() -> None:
    from provarchive.model import Entity

    def document(namespaces: dict[str, str]) -> Document:
        return Document(namespaces={"ex": "http://example.org/", **namespaces})

    voprov = "http://www.ivoa.net/documents/ProvenanceDM/index.html#"
    cases = []
    # a voprov name in an extra attribute: declared only if the plans write a voprov name
    for ivoa in (False, True):
        doc = document({})
        doc.entity("ex:e", attributes=[("voprov:note", "x")])
        if ivoa:
            doc.entity("ex:f", comment="an IVOA slot")
        cases.append(doc)
        # a datatype URI under the voprov namespace, compacted only if it is declared
        doc = document({})
        doc.entity("ex:e", attributes=[("ex:v", Literal("1", datatype=voprov + "thing"))])
        if ivoa:
            doc.entity("ex:f", comment="an IVOA slot")
        cases.append(doc)
    # voprov bound to another prefix; an undeclared prefix; a character XML cannot hold
    doc = document({"vp": voprov})
    doc.entity("ex:e", comment="c", attributes=[("vp:x", 1)])
    cases.append(doc)
    doc = document({})
    doc.entity("ex:e", attributes=[("nope:x", "1")])
    cases.append(doc)
    doc = document({})
    doc.entity("ex:e", name="bad \x01 label")
    cases.append(doc)
    # a record class the mapping does not know
    doc = document({})
    doc.add(type("Odd", (Entity,), {})("ex:odd"))
    cases.append(doc)
    outcomes = []
    for doc in cases:
        new, old = _write_both_ways(doc)
        assert new == old
        outcomes.append(type(new))
    assert bytes in outcomes and tuple in outcomes


# ------------------------------------------- records built by the line reader against tuples


def _records_both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """What loads gives with the line reader's record makers and with tuples only: every
    record slot by slot, which record each id finds, or the error with its position."""
    from provarchive.formats import provxml_records

    def outcome() -> object:
        return read_outcome(lambda: provxml.loads(data))

    made = outcome()
    with monkeypatch.context() as patch:
        patch.setattr(provxml, "record_makers", lambda namespaces: {})
        tuples_only = outcome()
    assert provxml_records.record_makers  # the real makers are back
    return made, tuples_only


def test_records_built_by_the_line_reader_are_those_from_statements_builds(
    conformance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provarchive.examples import kitchen_sink, pipeline

    from .test_provjson import typed_document

    sources = [provxml.dumps(doc) for doc in (pipeline(300), kitchen_sink(), typed_document())]
    sources += [path.read_bytes() for path in xml_files(conformance)]
    sources += [provxml.dumps(doc) for doc in _corpus_documents(conformance) if not doc.bundles]
    made_here = 0
    for data in sources:
        made, tuples_only = _records_both_ways(data, monkeypatch)
        assert made == tuples_only
        canonical = provxml._read_canonical(data)
        if canonical is not None:
            made_here += sum(1 for item in canonical[1] if type(item) is not tuple)
    assert made_here > 1000  # the makers did build most pipeline records


def test_line_reader_makers_leave_the_unusual_shapes_to_statements() -> None:
    from provarchive.formats.provxml_records import record_makers
    from provarchive.model import Namespaces

    makers = record_makers(Namespaces({"ex": "http://example.org/"}))
    assert "agent" not in makers and "hadMember" not in makers and "wasInfluencedBy" not in makers
    assert makers["wasAssociatedWith"]("_:a", ["ex:act", None, "ex:plan"], []) is not None
    assert makers["wasAssociatedWith"](None, ["ex:act", None, "ex:plan"], []) is None  # maybe a description
    assert makers["entity"]("ex:e", [], [("prov:type", QName("prov:Plan"))]) is None
    assert makers["entity"]("ex:e", [], [("prov:label", "a"), ("prov:label", "b")]) is None  # second label
    assert makers["entity"]("ex:e", [], [("prov:label", Literal("a", lang="en"))]) is None
    entity = makers["entity"]("ex:e", [], [("prov:label", "a"), ("ex:size", 3)])
    assert entity is not None and entity.name == "a" and entity.attributes == [("ex:size", 3)]
    assert record_makers(Namespaces({"p": "http://www.w3.org/ns/prov#"})) == {}  # ambiguous names
    collection = makers["entity"]("ex:c", [], [("prov:label", "c"), ("prov:type", QName("prov:Collection"))])
    assert type(collection).__name__ == "Collection" and collection.attributes == []
    two_types = [("prov:type", QName("prov:Collection")), ("prov:type", QName("prov:Collection"))]
    assert makers["entity"]("ex:c", [], two_types) is None
    assert makers["entity"]("ex:c", [], [("prov:type", "prov:Collection")]) is None  # a string, not a QName
    assert "wasInfluencedBy" not in makers  # no voprov prefix: no WasConfiguredBy
    vp = record_makers(Namespaces({"voprov": "http://www.ivoa.net/documents/ProvenanceDM/index.html#"}))
    configured = [("prov:type", QName("voprov:WasConfiguredBy")), ("voprov:artefactType", "Parameter")]
    made = vp["wasInfluencedBy"](None, ["ex:act", "ex:p"], [*configured, ("ex:n", 1)])
    assert type(made).__name__ == "WasConfiguredBy" and made.artefact_type == "Parameter"
    assert made.attributes == [("ex:n", 1)]
    assert vp["wasInfluencedBy"](None, ["ex:act", "ex:p"], []) is None  # a plain influence
    assert vp["wasInfluencedBy"](None, ["ex:act", "ex:p"], [*configured, configured[1]]) is None
    time = datetime(2024, 1, 1, tzinfo=timezone.utc)
    dataset = vp["entity"]("ex:d", [], [("prov:type", QName("voprov:DatasetEntity")), ("voprov:generatedAtTime", time)])
    assert type(dataset).__name__ == "DatasetEntity" and dataset.generated_at_time == time
    assert vp["entity"]("ex:d", [], [("voprov:generatedAtTime", "2024")]) is None  # not a datetime
