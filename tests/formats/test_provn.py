"""PROV-N: round trips, the whole grammar (both parser paths), escaping, errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from provarchive.examples import kitchen_sink, pipeline
from provarchive.formats import FormatError, provn
from provarchive.model import (
    Document,
    Literal,
    QName,
    Record,
    Used,
    WasAssociatedWith,
    WasDerivedFrom,
    differences,
    same_provenance,
)

from .outcomes import read_outcome
from .test_provjson import classes_by_id, typed_document

EX = "http://example.org/"


def test_kitchen_sink_round_trip_keeps_statements_and_classes(doc: Document) -> None:
    back = provn.loads(provn.dumps(doc))
    assert same_provenance(doc, back), differences(doc, back)
    assert classes_by_id(back) == classes_by_id(doc)


def test_typed_values_round_trip_exactly() -> None:
    doc = typed_document()
    text = provn.dumps(doc)
    back = provn.loads(text)
    assert same_provenance(doc, back), differences(doc, back)
    assert back.get("ex:e").attributes == doc.get("ex:e").attributes  # type: ignore[union-attr]
    assert b'ex:lang="bonjour"@fr' in text
    assert b"ex:qname='ex:Thing'" in text
    assert b"ex:small=42" in text
    assert b'ex:big="1099511627776" %% xsd:long' in text
    assert b'ex:true="true" %% xsd:boolean' in text
    assert b"activity(ex:a, 2024-03-01T21:00:00.123456+02:00, 2024-03-01T21:00:00)" in text


def test_layout_is_the_one_prov_writes() -> None:
    doc = Document(namespaces={"ex": EX})
    doc.activity("ex:a")
    doc.add(Used("ex:a", "ex:e", id="ex:u1", role="r"))
    doc.add(WasAssociatedWith("ex:a", None, "ex:plan"))
    doc.add(WasDerivedFrom("ex:e2", "ex:e1"))
    assert provn.dumps(doc).decode() == (
        "document\n"
        "  prefix ex <http://example.org/>\n"
        "\n"
        "  activity(ex:a, -, -)\n"
        '  used(ex:u1; ex:a, ex:e, -, [prov:role="r"])\n'
        "  wasAssociatedWith(ex:a, -, ex:plan)\n"
        "  wasDerivedFrom(ex:e2, ex:e1, -, -, -)\n"
        "endDocument\n"
    )


def test_large_pipeline_round_trip() -> None:
    doc = pipeline(3000)
    back = provn.loads(provn.dumps(doc))
    assert same_provenance(doc, back)
    assert classes_by_id(back) == classes_by_id(doc)


# ------------------------------------------------------------------------ the grammar

HAND_WRITTEN = r'''
// a comment before the document
document
  /* block comment
     over lines */
  default <http://default.org/>
  prefix ex <http://example.org/>   // trailing comment
  prefix xsd <http://www.w3.org/2001/XMLSchema#>

  entity(ex:e1,[ex:s="a \"quoted\" \\ string\twith\ttabs", ex:n=-12, ex:q='ex:other',
                ex:t="2020-01-01T00:00:00Z" %% xsd:dateTime, ex:l="hello"@en-GB,
                ex:long="""two
lines with "quotes" inside""", ex:typed="x" %% ex:MyType, ex:qn="ex:foo" %% xsd:QName,
                prov:type='prov:Plan'])
  entity( ex:a\=b )
  entity(ex:run.1-2, [])
  entity(ex:x:y)
  entity(ex:%20pct)
  entity(plain)
  activity(ex:act, 2020-01-01T10:00:00.5+01:00, -)
  activity(ex:act2)
  used(ex:u1 ; ex:act, ex:e1, 2020-01-01T10:00:01Z, [prov:role="in"])
  used(-; ex:act, -, -)
  used(ex:act,ex:e1,-)
  wasGeneratedBy(ex:e2, ex:act, -)
  wasGeneratedBy(ex:e3)
  wasDerivedFrom(ex:e2, ex:e1, ex:act, -, ex:u1, [prov:type='prov:Revision'])
  wasAssociatedWith(ex:act, -, ex:plan)
  actedOnBehalfOf(ex:ag2, ex:ag1)
  hadMember(ex:c, ex:e1)
  wasInformedBy(ex:act2, ex:act)
  wasStartedBy(ex:act2, -, -, 2020-01-01T11:00:00)
  specializationOf(ex:e2, ex:e1)
  alternateOf(ex:e2, ex:e1)
  bundle ex:b1
    prefix in <http://inner.org/>
    entity(in:x, [prov:label="inner"])
  endBundle
  bundle ex:b2
    entity(ex:y)
    mentionOf(ex:y, ex:e1, ex:b1)
  endBundle
endDocument
// done
'''


def test_hand_written_document_uses_the_whole_grammar() -> None:
    doc = provn.loads(HAND_WRITTEN)
    attributes = dict(doc.get("ex:e1").attributes)  # type: ignore[union-attr]
    assert attributes["ex:s"] == 'a "quoted" \\ string\twith\ttabs'
    assert attributes["ex:n"] == -12
    assert attributes["ex:q"] == QName("ex:other") and isinstance(attributes["ex:q"], QName)
    assert attributes["ex:t"] == datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert attributes["ex:l"] == Literal("hello", lang="en-GB")
    assert attributes["ex:long"] == 'two\nlines with "quotes" inside'
    assert attributes["ex:typed"] == Literal("x", datatype="ex:MyType")
    assert attributes["ex:qn"] == QName("ex:foo")
    for ident in ("ex:a=b", "ex:run.1-2", "ex:x:y", "ex:%20pct", "plain", "ex:act2"):
        assert ident in doc, ident
    act = doc.get("ex:act")
    assert act.start_time == datetime(2020, 1, 1, 10, 0, 0, 500000, tzinfo=timezone(timedelta(hours=1)))  # type: ignore[union-attr]
    used = doc.of_type(Used)
    assert [(u.id, u.entity, u.role) for u in used] == [
        ("ex:u1", "ex:e1", "in"),
        (None, None, None),
        (None, "ex:e1", None),
    ]
    derivation = doc.of_type(WasDerivedFrom)[0]
    assert (derivation.activity, derivation.generation, derivation.usage) == ("ex:act", None, "ex:u1")
    assert doc.namespaces.default == "http://default.org/"
    assert doc.bundles["ex:b1"].namespaces.declared() == {"in": "http://inner.org/"}
    assert doc.bundles["ex:b1"].get("in:x").name == "inner"  # type: ignore[union-attr]
    assert len(doc.bundles["ex:b2"]) == 2
    # what we write from it reads back the same
    again = provn.loads(provn.dumps(doc))
    assert same_provenance(doc, again), differences(doc, again)


@pytest.mark.parametrize(
    "make", [lambda: pipeline(200), kitchen_sink, typed_document], ids=["pipeline", "sink", "typed"]
)
def test_fast_and_general_paths_agree(make: Callable[[], Document]) -> None:
    """The canonical layout (fast path) and a reflowed copy (general path) mean the same."""
    doc = make()
    canonical_text = provn.dumps(doc).decode()
    reflowed = canonical_text.replace(", ", " ,\n   ").replace("(", " ( /* c */ ")
    assert reflowed != canonical_text
    fast, general = provn.loads(canonical_text), provn.loads(reflowed)
    assert same_provenance(fast, general), differences(fast, general)
    assert classes_by_id(fast) == classes_by_id(general)


def test_identifiers_needing_escapes_are_written_escaped() -> None:
    doc = Document(namespaces={"ex": EX})
    for ident in ("ex:a=b", "ex:-start", "ex:end.", "ex:p(1)", "ex:semi;colon", "ex:x,y", "ex:1.2.3"):
        doc.entity(ident, name=ident)
    text = provn.dumps(doc)
    assert b"entity(ex:a\\=b," in text and b"entity(ex:\\-start," in text and b"entity(ex:end\\.," in text
    back = provn.loads(text)
    assert same_provenance(doc, back), differences(doc, back)


def test_identifier_that_prov_n_cannot_spell_is_refused() -> None:
    doc = Document(namespaces={"ex": EX})
    doc.entity("ex:with space")
    with pytest.raises(FormatError, match="with space"):
        provn.dumps(doc)
    percent = Document(namespaces={"ex": EX})
    percent.entity("ex:100%")
    with pytest.raises(FormatError, match="100%"):
        provn.dumps(percent)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("entity(ex:e)", 1, 1, ["'document'"]),
        ("document\n  prefix ex <http://e/>\n  entity(ex:e\nendDocument", 4, 1, ["',' or ')'"]),
        ("document\n  prefix ex <http://e/>\n  entity(zz:e)\nendDocument", 3, 10, ["'zz'"]),
        ("document\n  entity(e)\nendDocument", 2, 10, ["no default namespace"]),
        ("document\n  prefix ex <http://e/>\n  entety(ex:e)\nendDocument", 3, 3, ["unknown statement 'entety'"]),
        ('document\n  prefix ex <http://e/>\n  entity(ex:e, [ex:a="open])\nendDocument', 3, 22, ["unterminated"]),
        ("document\n  prefix ex <http://e/>\n  entity(ex:e, [ex:a=])\nendDocument", 3, 22, ["a literal"]),
        ("document\n  prefix ex <http://e/>\n  entity(ex:e, [ex:a 1])\nendDocument", 3, 22, ["'='"]),
        ("document\n  prefix ex <http://e/>\n  used(ex:a, ex:e, ex:t)\nendDocument", 3, 20, ["a time or '-'"]),
        (
            "document\n  prefix ex <http://e/>\n  used(ex:a, 2020-01-01T00:00:00, -)\nendDocument",
            3,
            14,
            ["a time cannot"],
        ),
        ("document\n  prefix ex <http://e/>\n  used(-, ex:e, -)\nendDocument", 3, 8, ["cannot be '-'"]),
        ("document\n  prefix ex <http://e/>\n  wasInformedBy(ex:a, ex:b, ex:c)\nendDocument", 3, 29, ["at most 2"]),
        ("document\n  prefix ex <http://e/>\n  entity(ex:e)\nendDocument\nentity(ex:f)", 5, 1, ["end of the document"]),
        ("document\n  /* never closed\nendDocument", 2, 3, ["unterminated comment"]),
        ('document\n  prefix ex <http://e/>\n  entity(ex:e, [ex:a="\\q"])\nendDocument', 3, 22, ["escape"]),
        ("document\n  prefix ex http://e/\nendDocument", 2, 13, ["IRI"]),
        ("document\n  prefix ex <http://e/>\n  entity(ex:e)\n", 4, 1, ["'endDocument'"]),
        ("document\n  bundle ex:b\n  endBundle\nendDocument", 2, 10, ["'ex'"]),
    ],
)
def test_errors_give_line_column_and_what_was_expected(text: str, line: int, column: int, words: list[str]) -> None:
    with pytest.raises(FormatError) as info:
        provn.loads(text)
    error = info.value
    assert (error.line, error.column) == (line, column), str(error)
    for word in words:
        assert word in str(error)
    assert error.format == "PROV-N"


def test_not_utf8_is_reported_with_position() -> None:
    with pytest.raises(FormatError) as info:
        provn.loads(b"document\n  \xff\nendDocument")
    assert (info.value.line, info.value.column) == (2, 3)


# ------------------------------------------------------------------------- conformance

#: Files that are not readable PROV-N, and why: a relation whose first argument is the
#: marker '-' (W3C "FAIL-DM" cases: the grammar wants an identifier there), and
#: ProvToolbox's escaping test, whose unprefixed names have no default namespace.
UNREADABLE = {
    "container0.provn": "no default namespace",
    "unification-membership-f2-FAIL-DM.provn": "cannot be '-'",
    "association-fail6.provn": "cannot be '-'",
    "attribution-fail2.provn": "cannot be '-'",
    "communication-fail2.provn": "cannot be '-'",
    "delegation-fail6.provn": "cannot be '-'",
    "influence-fail2.provn": "cannot be '-'",
    "mention-fail1.provn": "cannot be '-'",
    "specialization-fail2.provn": "cannot be '-'",
}


def _provn_files() -> list[Path]:
    from tests.conftest import CONFORMANCE

    return sorted(CONFORMANCE.glob("**/*.provn"))


@pytest.mark.parametrize("path", _provn_files(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_every_conformance_prov_n_file_reads(path: Path) -> None:
    if path.name in UNREADABLE:
        with pytest.raises(FormatError, match=UNREADABLE[path.name]) as info:
            provn.loads(path.read_bytes())
        assert info.value.line is not None and info.value.column is not None
        return
    doc = provn.loads(path.read_bytes())
    again = provn.loads(provn.dumps(doc))
    assert same_provenance(doc, again), differences(doc, again)


def test_conformance_corpus_has_prov_n_files() -> None:
    assert len(_provn_files()) >= 150


def test_registry_reads_and_writes_prov_n_files(doc: Document, tmp_path: Path) -> None:
    from provarchive import formats

    path = tmp_path / "run42.provn"
    assert formats.write(doc, path).name == "PROV-N"
    assert formats.detect_format(None, path.read_bytes()[:4096]).name == "PROV-N"
    back = formats.read(path)
    assert same_provenance(doc, back)
    broken = tmp_path / "broken.provn"
    broken.write_text("document\n  entity(zz:x)\nendDocument\n")
    with pytest.raises(FormatError) as info:
        formats.read(broken)
    assert info.value.source == str(broken) and info.value.line == 2


def test_namespace_that_is_not_an_iri_is_refused_and_blank_relation_ids_dropped() -> None:
    bad = Document(namespaces={"ex": "http://example.org/with space/"})
    with pytest.raises(FormatError, match="namespace"):
        provn.dumps(bad)
    doc = Document(namespaces={"ex": EX})
    doc.add(Used("ex:a", "ex:e", id="_:u1"))
    assert b"used(ex:a, ex:e, -)" in provn.dumps(doc)


def test_voprov_prov_n_output_reads_into_ivoa_slots(conformance: Path) -> None:
    doc = provn.loads((conformance / "voprov" / "voprov-tutorial-cell10.provn").read_bytes())
    emma = doc.get("staff:Emma")
    assert emma is not None and emma.email == "emma@myobservatory.com"  # type: ignore[attr-defined]
    assert doc.get("obs:image1.fits").name == "image"  # type: ignore[union-attr]
    assert doc.namespaces.default == "http://www.ivoa.net/documents/ProvenanceDM/index.html#"


def test_strings_holding_the_separator_read_back() -> None:
    doc = Document(namespaces={"ex": EX})
    doc.entity("ex:e", name="a, b", attributes=[("ex:x", "c, d"), ("ex:y", Literal("e, f", lang="en")), ("ex:z", 1)])
    doc.entity("ex:f", name='", "', attributes=[("ex:w", Literal("g, h", datatype="ex:T"))])
    back = provn.loads(provn.dumps(doc))
    assert same_provenance(doc, back), differences(doc, back)
    assert back.get("ex:e").attributes == doc.get("ex:e").attributes  # type: ignore[union-attr]


# ------------------------------------------------------------- fast path against general


def _statements_read(text: str, fast_path: bool) -> list[list[tuple]]:
    """The statements the parser hands on (per container), each value with its type.

    The fast path's record makers are off here (every statement stays a tuple): the
    records they build are compared with the careful path's in
    test_records_built_by_the_fast_path_are_those_of_the_general_path."""
    from provarchive.formats import provn_parser
    from provarchive.formats.provn_parser import _Parser

    def plain(statements: list) -> list[tuple]:
        out = []
        for st in statements:
            kind, ident, formal, attrs = (st.kind, st.id, st.formal, st.attributes) if hasattr(st, "kind") else st
            formal_typed = [(type(v), v) for v in formal]
            attrs_typed = [(k, type(v), v, getattr(v, "lang", None), getattr(v, "datatype", None)) for k, v in attrs]
            out.append((kind, ident, formal_typed, attrs_typed))
        return out

    class Capture(_Parser):
        def build(self, top, bundles):  # type: ignore[no-untyped-def]
            return [plain(top.statements)] + [plain(inner.statements) for _, inner, _ in bundles]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(provn_parser, "record_makers", lambda namespaces: {})
        return Capture(text, fast_path=fast_path).document()  # type: ignore[return-value]


#: Lines the line-by-line fast path must read exactly as the general path, or leave
#: to it: separators, brackets and parentheses inside strings, ids, blank nodes,
#: whitespace variants, comments, two statements on a line, a long string whose lines
#: look like statements, times the fast path does not take.
TRICKY = r'''document
  default <http://default.org/>
  prefix ex <http://example.org/>
  entity(ex:e1, [prov:label="a, b", ex:x="c]", ex:y="(d)", ex:z="[e", ex:w="x, ex:v=1"])
  entity(ex:e2, [prov:label="a, b", ex:x="c]", ex:y="(d)", ex:z="[e", ex:w="x, ex:v=1"])
  entity(ex:e3, [ex:l="hi"@en, ex:t="2020-01-01T00:00:00Z" %% xsd:dateTime, ex:q='ex:e1', ex:n=-3])
  entity(ex:e4, [ex:l="hi"@en, ex:t="2020-01-01T00:00:00Z" %% xsd:dateTime, ex:q='ex:e1', ex:n=-3])
  entity(ex:e5, [ex:i="7" %% xsd:int, ex:d="1.5" %% xsd:double, ex:b="true" %% xsd:boolean, ex:u="v" %% ex:T])
  entity(ex:e6, [ex:i="7" %% xsd:int, ex:d="1.5" %% xsd:double, ex:b="true" %% xsd:boolean, ex:u="v" %% ex:T])
  entity(plain1, [prov:type='plain2'])
  entity(ex:e7)<trailing spaces>
  entity(ex:e8)	// a comment after it
  entity(ex:e9) entity(ex:e10)
  entity(ex:e11, [])
  entity(ex:e12,[ex:a=1])
  entity(ex:e13, [ex:s="with \"escape\""])
  entity(ex:e15, [ex:t="2021-01-01T00:00:00Z" %% xsd:dateTime, ex:i="8" %% xsd:int, prov:label="new list"])
  entity(ex:e17, [ex:i="1" %%  xsd:int, ex:j="2"  %% xsd:int])
  entity(ex:e16, [ex:i="x" %% xsd:int, ex:u="w" %% ex:T, ex:q="ex:e1" %% xsd:QName, ex:l="bye"@en])
  entity(ex:e14, [ex:s="""long
  entity(ex:not_a_statement)
  """])
  activity(ex:a1, 2020-01-01T10:00:00.5+01:00, -, [prov:label="act"])
  activity(ex:a2, 2020-01-01T24:00:00Z, -)
  activity(ex:a3, -, -)
  activity(ex:a4)
  used(ex:u1; ex:a1, ex:e1, 2020-01-01T10:00:01Z, [prov:role="in"])
  used(-; ex:a1, ex:e3, -)
  used(ex:a1, ex:e4)
  used(ex:a1,ex:e5,-)
  wasGeneratedBy(ex:e6, ex:a1, -, [prov:role="out", ex:n=2])
  wasGeneratedBy(ex:e7, ex:a1, -, [prov:role="out", ex:n=2])
  wasDerivedFrom(ex:e2, ex:e1, ex:a1, -, ex:u1, [prov:type='prov:Revision'])
  wasDerivedFrom(ex:e3, ex:e1, -, -, -)
  wasAssociatedWith(ex:a1, -, ex:plan)
  wasAssociatedWith(ex:a2, ex:ag, -, [prov:role="r"])
  agent(ex:ag, [prov:type='prov:Person', prov:label="Ann, B."])
  wasStartedBy(ex:a2, -, -, 2020-01-01T11:00:00)
  hadMember(ex:c, ex:e1)
  /* a block comment
  entity(ex:commented_out)
  */
  mentionOf(ex:e2, ex:e1, ex:b1)
  bundle ex:b1
    prefix in <http://inner.org/>
    entity(in:x, [prov:label="inner", prov:type='in:T'])
    entity(in:y, [prov:label="inner", prov:type='in:T'])
  endBundle
endDocument
'''.replace("<trailing spaces>", "   ")


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_fast_path_reads_every_statement_as_the_general_path(line_end: str) -> None:
    text = TRICKY.replace("\n", line_end)
    assert _statements_read(text, fast_path=True) == _statements_read(text, fast_path=False)
    canonical = provn.dumps(provn.loads(TRICKY)).decode()
    assert _statements_read(canonical, fast_path=True) == _statements_read(canonical, fast_path=False)


@pytest.mark.parametrize(
    "make", [lambda: pipeline(300), kitchen_sink, typed_document], ids=["pipeline", "sink", "typed"]
)
def test_fast_path_reads_canonical_documents_as_the_general_path(make: Callable[[], Document]) -> None:
    text = provn.dumps(make()).decode()
    assert _statements_read(text, fast_path=True) == _statements_read(text, fast_path=False)


@pytest.mark.parametrize(
    "line",
    [
        "entity(zz:e)",
        "entity(ex:e, [zz:a=1])",
        "entity(ex:e, [ex:a='zz:b'])",
        'entity(ex:e, [ex:a="x" %% zz:T])',
        "used(-, ex:e, -)",
        "used(ex:a, ex:e, ex:t)",
        "used(ex:a, 2020-01-01T00:00:00Z, -)",
        "wasInformedBy(ex:a, ex:b, ex:c)",
        "entity(ex:e, ex:f)",
        "entity(ex:e; ex:f)",
        'entity(ex:e, [ex:a="open])',
        "used(ex:a, ex:e, 2020-13-01T00:00:00Z)",
        "entity(ex:e, [ex:a=])",
        'entity(ex:e, [prov:label="a\rb"])',
        'entity(ex:e, [ex:a="x" %% zz:T])',
        'entity(ex:e, [ex:a="x"" %% xsd:int])',
        'entity(ex:e, [ex:a="x", "y"])',
        'entity(ex:e, [ex:a="x"y"])',
    ],
)
def test_fast_path_leaves_bad_lines_to_the_general_path(line: str) -> None:
    """A bad canonical-looking line gets the general path's error, at the same place."""
    # the line before makes ex:a, prov:label and xsd:int known names (the quicker checks of known names)
    before = 'entity(ex:before, [ex:a="x", prov:label="y", ex:n="1" %% xsd:int])'
    text = f"document\n  prefix ex <http://e/>\n  {before}\n  {line}\n  entity(ex:after)\nendDocument\n"
    errors = []
    for fast_path in (True, False):
        with pytest.raises(FormatError) as info:
            _statements_read(text, fast_path=fast_path)
        errors.append((str(info.value), info.value.line, info.value.column))
    assert errors[0] == errors[1]
    assert errors[0][1] == 4


# ------------------------------------------- records built by the fast path against statements

#: Lines whose records the fast path's makers must build as from_statements does, or
#: leave to it: IVOA slots met twice, of the wrong type (a QName, a language-tagged or
#: typed string), typed times, several or unknown prov:types, anonymous plan-only
#: associations, blank and absent ids, comments and unusual spacing between them, and
#: a bundle that binds the IVOA namespace to another prefix.
AWKWARD = r"""document
  prefix ex <http://example.org/>
  prefix voprov <http://www.ivoa.net/documents/ProvenanceDM/index.html#>
  entity(ex:e1, [prov:label="one", prov:label="two"])
  entity(ex:e2, [prov:label='ex:label'])
  entity(ex:e3, [prov:label="hi"@en, ex:n=-3])
  entity(ex:e4, [prov:label="typed" %% xsd:string, ex:big="12345678901" %% xsd:long])
  entity(ex:e5, [prov:type='voprov:DatasetEntity', voprov:generatedAtTime="2024-03-01T21:00:00+00:00" %% xsd:dateTime])
  entity(ex:e6, [prov:type='voprov:DatasetEntity', voprov:generatedAtTime="2024-03-01T21:00:00"])
  entity(ex:e7, [prov:type='voprov:DatasetEntity', prov:type='prov:Collection'])
  entity(ex:e8, [prov:type='ex:Unknown', prov:label="u"])
  entity(ex:e9, [prov:type="voprov:DatasetEntity"])
  entity(ex:e10, [prov:type='prov:Collection', ex:q='voprov:x'])
  entity(ex:e11, [prov:type='voprov:Parameter', prov:value="6.5", prov:label="p", ex:t="x" %% ex:T])
  entity(ex:e12)
  // a comment line between statements
  activity(ex:a1, 2024-01-01T00:00:00+00:00, 2024-01-01T00:05:00.5-02:00, [prov:label="a", prov:label="b"])
  activity(ex:a2, -, -, [ex:when="2024-01-01T00:00:00Z" %% xsd:dateTime])
  activity(ex:a3)
  activity( ex:a4 , - , - )
  used(ex:a1, ex:e1, -, [prov:role="in", prov:role="again"])
  used(ex:u1; ex:a1, ex:e2, 2024-01-01T00:00:01Z)
  used(-; ex:a1, ex:e3, -)
  used(ex:u2; ex:a1, ex:e4, -, [prov:role='ex:r'])
  wasGeneratedBy(ex:e5, ex:a1, -, [prov:role="out"@en])
  wasGeneratedBy(ex:e6, -, 2024-01-01T00:06:00Z)
  wasAssociatedWith(ex:a1, -, ex:e12)
  wasAssociatedWith(ex:assoc; ex:a2, -, ex:e12)
  wasAssociatedWith(ex:a3, -, ex:e12, [prov:role="plan"])
  wasAssociatedWith(ex:a4, ex:ag, -)
  agent(ex:ag, [prov:type='prov:SoftwareAgent', prov:type='prov:Person'])
  wasInfluencedBy(ex:a1, ex:e11, [prov:type='voprov:WasConfiguredBy', voprov:artefactType="Parameter"])
  wasInfluencedBy(ex:a1, ex:e11, [prov:type='voprov:WasConfiguredBy', voprov:artefactType="P", voprov:artefactType="Q"])
  wasInfluencedBy(ex:a1, ex:e11, [prov:type='voprov:WasConfiguredBy'])
  wasInfluencedBy(ex:a1, ex:e11, [voprov:artefactType="Parameter"])
  wasInfluencedBy(ex:a1, ex:e11)
  wasDerivedFrom(ex:e2, ex:e1, ex:a1, ex:u2, -, [prov:type='prov:Revision'])
  wasDerivedFrom(ex:e3, ex:e1)
  hadMember(ex:e10, ex:e12)
  wasInformedBy(ex:a2, ex:a1)   /* a trailing comment */
  entity(ex:e13, [prov:label="x"]) entity(ex:e14)
  entity(ex:e1)
  bundle ex:b1
    prefix vp <http://www.ivoa.net/documents/ProvenanceDM/index.html#>
    entity(ex:in1, [prov:type='vp:DatasetEntity', prov:label="inner"])
    entity(ex:in2, [prov:type='voprov:DatasetEntity', prov:label="inner"])
    wasInfluencedBy(ex:a1, ex:in1, [prov:type='vp:WasConfiguredBy', vp:artefactType="ConfigFile"])
  endBundle
  bundle ex:b2
    default <http://default.org/>
    entity(plain, [prov:type='voprov:Parameter', prov:label="p"])
    used(act, plain, -)
  endBundle
endDocument
"""


def _records_read(text: str, fast_path: bool) -> object:
    """The records the parser builds (each slot by slot, and which record each id
    finds), or the error with its position."""
    from provarchive.formats.provn_parser import _Parser

    return read_outcome(lambda: _Parser(text, fast_path=fast_path).document())


def _built_by_the_fast_path(text: str) -> int:
    """How many records the fast path's makers built themselves (not tuples for from_statements)."""
    from provarchive.formats.provn_parser import _Parser

    class Capture(_Parser):
        def build(self, top, bundles):  # type: ignore[no-untyped-def]
            statements = top.statements + [st for _, inner, _ in bundles for st in inner.statements]
            return sum(1 for st in statements if isinstance(st, Record))

    return Capture(text).document()  # type: ignore[return-value]


def test_records_built_by_the_fast_path_are_those_of_the_general_path() -> None:
    from tests.conftest import CONFORMANCE

    sources = [provn.dumps(doc).decode() for doc in (pipeline(300), kitchen_sink(), typed_document())]
    sources += [AWKWARD, AWKWARD.replace("\n", "\r\n"), TRICKY, TRICKY.replace("\n", "\r\n")]
    sources += [provn.dumps(provn.loads(AWKWARD)).decode()]
    sources += [path.read_bytes().decode("utf-8") for path in sorted(CONFORMANCE.glob("**/*.provn"))]
    for text in sources:
        assert _records_read(text, fast_path=True) == _records_read(text, fast_path=False)
    assert _records_read(AWKWARD, fast_path=True)[0] != "error"  # type: ignore[index]
    assert _built_by_the_fast_path(sources[0]) > 300  # the makers built all but the agent of pipeline(300)
    assert _built_by_the_fast_path(AWKWARD) > 10


@pytest.mark.parametrize(
    "line",
    [
        "entity(ex:e, [zz:a=1])",
        "used(-, ex:e, -)",
        "used(ex:a, ex:e, 2020-13-01T00:00:00Z)",
        "entity(ex:e, [prov:type='voprov:DatasetEntity', prov:type='zz:T'])",
        "wasInfluencedBy(ex:a, ex:e, [prov:type='voprov:WasConfiguredBy', voprov:artefactType=])",
    ],
)
def test_fast_path_with_records_gives_the_general_paths_errors(line: str) -> None:
    """A bad line after lines the makers build fails as the general path says, at the same place."""
    before = "entity(ex:before, [prov:type='voprov:DatasetEntity', prov:label=\"y\"])\n  used(ex:a, ex:before, -)"
    text = (
        "document\n  prefix ex <http://e/>\n  prefix voprov <http://www.ivoa.net/documents/ProvenanceDM/index.html#>\n"
        f"  {before}\n  {line}\n  entity(ex:after)\nendDocument\n"
    )
    fast, general = _records_read(text, fast_path=True), _records_read(text, fast_path=False)
    assert fast == general
    assert isinstance(fast, tuple) and fast[0] == "error" and fast[2] == 6
