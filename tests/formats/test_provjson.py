"""PROV-JSON: round trips, the exact value shapes prov uses, voprov input, errors."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from provarchive.examples import kitchen_sink, pipeline
from provarchive.formats import FormatError, provjson
from provarchive.model import (
    ActivityDescription,
    Agent,
    ConfigFile,
    Document,
    Literal,
    Parameter,
    QName,
    Used,
    WasConfiguredBy,
    WasGeneratedBy,
    differences,
    same_provenance,
)

from .accel_paths import PATHS, choose_path
from .outcomes import read_outcome

EX = "http://example.org/"


@pytest.fixture(autouse=True, params=PATHS)
def decoder_loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test with the compiled decoders (``_provjson_accel/decode.c``), then with the
    generated Python decoders alone."""
    from provarchive.formats import provjson_decoders

    return choose_path(request.param, monkeypatch, provjson_decoders)


def classes_by_id(doc: Document) -> Counter[tuple[str | None, str, str | None]]:
    """(bundle, class name, id) of every record: IVOA classes must survive a round trip."""
    return Counter((bundle.id, type(record).__name__, record.id) for bundle, record in doc.all_records())


def typed_document() -> Document:
    doc = Document(namespaces={"ex": EX})
    aware = datetime(2024, 3, 1, 21, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2024, 3, 1, 21, 0, 0)
    doc.entity(
        "ex:e",
        attributes=[
            ("ex:text", 'plain ünïcode "quoted" \\ back\nnew line'),
            ("ex:lang", Literal("bonjour", lang="fr")),
            ("ex:uri", Literal("https://example.org/x", datatype="xsd:anyURI")),
            ("ex:year", Literal("2024", datatype="xsd:gYear")),
            ("ex:long", Literal("3", datatype="xsd:long")),
            ("ex:custom", Literal("v", datatype="ex:MyType")),
            ("ex:qname", QName("ex:Thing")),
            ("prov:type", QName("prov:Plan")),
            ("ex:aware", aware),
            ("ex:naive", naive),
            ("ex:small", 42),
            ("ex:negative", -7),
            ("ex:big", 2**40),
            ("ex:huge", 10**30),
            ("ex:float", 0.1),
            ("ex:inf", float("inf")),
            ("ex:true", True),
            ("ex:false", False),
            ("ex:multi", "one"),
            ("ex:multi", "two"),
        ],
    )
    act = doc.activity("ex:a", aware, naive)
    act.used("ex:e", time=datetime(2024, 3, 1, 21, 0, 1, tzinfo=timezone.utc))
    return doc


def test_kitchen_sink_round_trip_keeps_statements_and_classes(doc: Document) -> None:
    back = provjson.loads(provjson.dumps(doc))
    assert same_provenance(doc, back), differences(doc, back)
    assert classes_by_id(back) == classes_by_id(doc)


def test_every_model_class_is_in_the_kitchen_sink(doc: Document) -> None:
    import provarchive.model as model

    names = {type(r).__name__ for _b, r in doc.all_records()}
    expected = {
        cls.__name__
        for cls in vars(model).values()
        if isinstance(cls, type) and issubclass(cls, model.Record) and cls.__name__[0] != "_"
    } - {"Record", "Element", "Relation", "Description"}
    assert expected <= names


def test_indent_gives_the_same_document(doc: Document) -> None:
    indented = provjson.dumps(doc, indent=True)
    assert b"\n  " in indented
    assert orjson.loads(indented) == orjson.loads(provjson.dumps(doc))


def test_typed_values_round_trip_exactly() -> None:
    doc = typed_document()
    back = provjson.loads(provjson.dumps(doc))
    assert same_provenance(doc, back), differences(doc, back)
    assert back.get("ex:e").attributes == doc.get("ex:e").attributes  # type: ignore[union-attr]
    act = back.get("ex:a")
    assert act.start_time == doc.get("ex:a").start_time  # type: ignore[union-attr]
    assert act.end_time.tzinfo is None  # type: ignore[union-attr]


def test_value_shapes_are_those_prov_writes() -> None:
    content = orjson.loads(provjson.dumps(typed_document()))
    entity = content["entity"]["ex:e"]
    assert entity["ex:small"] == {"$": "42", "type": "xsd:int"}
    assert entity["ex:big"] == {"$": str(2**40), "type": "xsd:long"}
    assert entity["ex:huge"] == {"$": str(10**30), "type": "xsd:integer"}
    assert entity["ex:float"] == {"$": "0.1", "type": "xsd:double"}
    assert entity["ex:inf"] == {"$": "INF", "type": "xsd:double"}
    assert entity["ex:true"] is True
    assert entity["ex:qname"] == {"$": "ex:Thing", "type": "xsd:QName"}
    assert entity["ex:lang"] == {"$": "bonjour", "lang": "fr"}
    assert entity["ex:aware"] == {"$": "2024-03-01T21:00:00.123456+02:00", "type": "xsd:dateTime"}
    assert entity["ex:naive"] == {"$": "2024-03-01T21:00:00", "type": "xsd:dateTime"}
    assert entity["ex:multi"] == ["one", "two"]
    assert content["activity"]["ex:a"]["prov:endTime"] == "2024-03-01T21:00:00"
    used = content["used"]["_:id1"]
    assert used == {"prov:activity": "ex:a", "prov:entity": "ex:e", "prov:time": "2024-03-01T21:00:01+00:00"}
    assert content["prefix"] == {"ex": EX}


def test_legacy_and_alternative_spellings_are_read() -> None:
    data = {
        "prefix": {"ex": EX, "x": "http://www.w3.org/2001/XMLSchema#", "default": "http://default.org/"},
        "entity": {
            "ex:e": {
                "ex:q": {"$": "ex:foo", "type": "prov:QUALIFIED_NAME"},
                "ex:n": {"$": 5, "type": "xsd:int"},
                "ex:d": {"$": 2.5, "type": "xsd:double"},
                "ex:i": {"$": "7", "type": "x:int"},
                "ex:u": {"$": "8", "type": "http://www.w3.org/2001/XMLSchema#int"},
                "ex:plain": 3,
                "ex:s": {"$": "text", "type": "xsd:string"},
                "ex:b": {"$": "1", "type": "xsd:boolean"},
            },
            "local": {},
        },
    }
    doc = provjson.loads(orjson.dumps(data))
    attributes = dict(doc.get("ex:e").attributes)  # type: ignore[union-attr]
    assert attributes == {
        "ex:q": QName("ex:foo"),
        "ex:n": 5,
        "ex:d": 2.5,
        "ex:i": 7,
        "ex:u": 8,
        "ex:plain": 3,
        "ex:s": "text",
        "ex:b": True,
    }
    assert isinstance(attributes["ex:q"], QName)
    assert doc.namespaces.default == "http://default.org/"
    assert "local" in doc


def test_statements_sharing_an_id_and_member_lists() -> None:
    data = {
        "prefix": {"ex": EX},
        "entity": {"ex:e": [{"ex:a": "1"}, {"ex:a": "2"}]},
        "hadMember": {"_:m": {"prov:collection": "ex:c", "prov:entity": ["ex:e1", "ex:e2", "ex:e3"]}},
    }
    doc = provjson.loads(orjson.dumps(data))
    assert [r.attributes for r in doc.entities] == [[("ex:a", "1")], [("ex:a", "2")]]
    members = [(r.collection, r.entity, r.id) for r in doc.relations]  # type: ignore[attr-defined]
    assert members == [("ex:c", "ex:e1", None), ("ex:c", "ex:e2", None), ("ex:c", "ex:e3", None)]
    again = provjson.loads(provjson.dumps(doc))
    assert same_provenance(doc, again)
    assert orjson.loads(provjson.dumps(doc))["entity"]["ex:e"] == [{"ex:a": "1"}, {"ex:a": "2"}]


def test_bundles_with_their_own_prefixes() -> None:
    doc = Document(namespaces={"ex": EX})
    doc.entity("ex:outer")
    bundle = doc.bundle("ex:b1")
    bundle.add_namespace("ex", "http://other.org/")  # same prefix, another namespace
    bundle.add_namespace("in", "http://inner.org/")
    bundle.entity("in:x", name="inner")
    content = orjson.loads(provjson.dumps(doc))
    assert content["bundle"]["ex:b1"]["prefix"] == {"ex": "http://other.org/", "in": "http://inner.org/"}
    back = provjson.loads(provjson.dumps(doc))
    assert same_provenance(doc, back), differences(doc, back)
    assert back.bundles["ex:b1"].get("in:x").name == "inner"  # type: ignore[union-attr]


def test_prov_examples_with_bundles_read(conformance: Path) -> None:
    doc = provjson.loads((conformance / "prov-examples" / "bundle4.json").read_bytes())
    assert len(doc.bundles) == 2
    assert all(len(b) for b in doc.bundles.values())


# ----------------------------------------------------------------------------- voprov


def test_voprov_legacy_sections_become_ivoa_records(conformance: Path) -> None:
    doc = provjson.loads((conformance / "voprov" / "reference_legacy.json").read_bytes())
    ad = doc.get("ex:ad1")
    assert isinstance(ad, ActivityDescription)
    assert (ad.name, ad.version, ad.docurl, ad.type) == ("Calibrate", "1.0", "http://doc", "calib")
    assert doc.get("ex:a1").description == "ex:ad1"  # type: ignore[union-attr]
    assert doc.get("ex:e1").description == "ex:ed1"  # type: ignore[union-attr]
    parameter = doc.get("ex:p1")
    assert isinstance(parameter, Parameter)
    assert (parameter.name, parameter.value, parameter.description) == ("threshold", "5", "ex:pd1")
    assert isinstance(doc.get("ex:cf1"), ConfigFile)
    configured = sorted((r.artefact, r.artefact_type) for r in doc.of_type(WasConfiguredBy))
    assert configured == [("ex:cf1", "ConfigFile"), ("ex:p1", "Parameter")]
    usage = doc.get("ex:ud1")
    assert usage.activity_description == "ex:ad1" and usage.entity_descriptions == ["ex:ed1"]  # type: ignore[union-attr]
    used = doc.of_type(Used)[0]
    assert used.usage_description == "ex:ud1"
    assert doc.of_type(WasGeneratedBy)[0].generation_description == "ex:gd1"
    alice = doc.get("ex:ag1")
    assert isinstance(alice, Agent) and alice.type == "Person" and alice.email == "a@x.org"
    assert doc.get("ex:e1").generated_at_time == datetime(2023, 1, 1)  # type: ignore[union-attr]
    assert doc.bundles["ex:b1"].get("ex:be1").name == "in bundle"  # type: ignore[union-attr]


def test_voprov_tutorial_is_rewritten_as_strict_w3c(conformance: Path) -> None:
    import warnings

    import prov.model as pm

    doc = provjson.loads((conformance / "voprov" / "voprov-tutorial-cell24.json").read_bytes())
    assert {doc.get(a).description for a in ("ps:245931", "ps:245932", "ps:245933")} == {"ps:bias_subtraction"}  # type: ignore[union-attr]
    (bundle,) = doc.bundles.values()
    assert isinstance(bundle.get("ps:bias_subtraction"), ActivityDescription)
    written = provjson.dumps(doc)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prov_doc = pm.ProvDocument.deserialize(content=written.decode(), format="json")
    again = provjson.loads(str(prov_doc.serialize(format="json")))
    assert same_provenance(doc, again), differences(doc, again)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        (b'{\n  "entity": {\n    "ex:e": {,}\n  }\n}', 3, 14),
        (b'{"prefix": {"ex": "http://e/"}\n', 2, 1),
        (b"", 1, 1),
        (b'{\n "a": tru\n}', 2, 7),
    ],
)
def test_malformed_json_reports_line_and_column(text: bytes, line: int, column: int) -> None:
    with pytest.raises(FormatError) as info:
        provjson.loads(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.format == "PROV-JSON"


def _error(data: object) -> FormatError:
    with pytest.raises(FormatError) as info:
        provjson.loads(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    return info.value


def test_relation_without_its_subject_names_record_and_key() -> None:
    error = _error({"prefix": {"ex": EX}, "used": {"ex:u1": {"prov:entity": "ex:e"}}})
    assert "ex:u1" in str(error) and "prov:activity" in str(error)
    assert error.line == 6  # the line of "ex:u1", which lacks the key


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"ex:a": {"type": "xsd:int"}}, ['"$"']),
        ({"ex:a": {"$": "1", "type": "xsd:int", "unit": "m"}}, ["unit"]),
        ({"ex:a": {"$": ["1"], "type": "xsd:int"}}, ['"$"']),
        ({"ex:a": {"$": "x", "type": "zz:T"}}, ["'zz'"]),
        ({"ex:a": {"$": "zz:x", "type": "xsd:QName"}}, ["'zz'"]),
        ({"zz:a": "x"}, ["'zz'"]),
        ({"ex:a": None}, ["null"]),
        ({"ex:a": []}, ["empty"]),
        ({"ex:a": [[1]]}, ["nested"]),
    ],
)
def test_bad_attribute_values_name_record_and_key(body: dict[str, object], words: list[str]) -> None:
    error = _error({"prefix": {"ex": EX}, "entity": {"ex:e": body}})
    key = next(iter(body))
    assert "'ex:e'" in str(error) and repr(key) in str(error)
    for word in words:
        assert word in str(error)
    assert error.line is not None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"entity": {"zz:e": {}}}, ["'zz'", "zz:e"]),
        ({"entity": {"plain": {}}}, ["no default namespace"]),
        ({"prefix": {"ex": EX}, "used": {"_:u": {"prov:activity": "zz:a"}}}, ["'zz'", "prov:activity"]),
        ({"prefix": {"ex": EX}, "used": {"_:u": {"prov:activity": 5}}}, ["identifier", "prov:activity"]),
        ({"prefix": {"ex": EX}, "activity": {"ex:a": {"prov:startTime": "yesterday"}}}, ["xsd:dateTime"]),
        ({"prefix": {"ex": EX}, "entities": {}}, ["unknown section 'entities'"]),
        ({"prefix": {"ex": EX}, "entity": []}, ["'entity' section"]),
        ({"prefix": {"ex": 5}}, ["prefix 'ex'"]),
        ({"prefix": {"ex": EX}, "entity": {"ex:e": "text"}}, ["object"]),
        ([], ["JSON object"]),
    ],
)
def test_structural_errors_say_what_and_where(data: object, words: list[str]) -> None:
    error = _error(data)
    for word in words:
        assert word in str(error)


# ------------------------------------------------------------------------- conformance


def _json_files() -> list[Path]:
    from tests.conftest import CONFORMANCE

    files = sorted(CONFORMANCE.glob("prov-examples/*.json"))
    files += sorted(CONFORMANCE.glob("w3c-prov/**/*.json"))
    files += sorted(CONFORMANCE.glob("voprov/*.json"))
    return files


@pytest.mark.parametrize("path", _json_files(), ids=lambda p: p.name)
def test_every_conformance_prov_json_file_reads(path: Path) -> None:
    doc = provjson.loads(path.read_bytes())
    assert doc.count() > 0
    again = provjson.loads(provjson.dumps(doc))
    assert same_provenance(doc, again), differences(doc, again)


def test_conformance_corpus_has_json_files() -> None:
    assert len(_json_files()) >= 20


def test_large_pipeline_round_trip() -> None:
    doc = pipeline(3000)
    back = provjson.loads(provjson.dumps(doc))
    assert same_provenance(doc, back)
    assert classes_by_id(back) == classes_by_id(doc)


def test_kitchen_sink_fixture_is_fresh() -> None:
    assert same_provenance(kitchen_sink(), kitchen_sink())


def test_registry_reads_and_writes_prov_json_files(doc: Document, tmp_path: Path) -> None:
    from provarchive import formats

    path = tmp_path / "run42.json"
    assert formats.write(doc, path).name == "PROV-JSON"
    back = formats.read(path)
    assert same_provenance(doc, back)
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "entity": {"ex:e": {}\n}\n')
    with pytest.raises(FormatError) as info:
        formats.read(broken)
    assert info.value.source == str(broken) and info.value.line is not None


def test_voprov_namespace_is_configurable(doc: Document) -> None:
    from provarchive.formats import provn

    plain = Document(namespaces={"ex": EX})
    plain.activity_description("ex:desc", name="calibrate")
    uri = "http://ivoa.net/ns/voprov#"
    content = orjson.loads(provjson.dumps(plain, voprov_uri=uri))
    assert content["prefix"]["voprov"] == uri
    assert f"prefix voprov <{uri}>".encode() in provn.dumps(plain, voprov_uri=uri)
    assert isinstance(provjson.loads(provjson.dumps(plain, voprov_uri=uri)).get("ex:desc"), ActivityDescription)


# ----------------------------------------------- generated decoders against statements


def _read_both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object, int]:
    """What loads gives with the generated decoders and with statements only, and how
    many records the decoders left to statements."""
    from provarchive.formats import provjson_reader

    def outcome() -> object:
        return read_outcome(lambda: provjson.loads(data), also=provjson.dumps)

    slow = 0
    careful = provjson_reader._Reader.statement

    def counted(self: object, *args: object) -> None:
        nonlocal slow
        slow += 1
        careful(self, *args)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(provjson_reader._Reader, "statement", counted)
        fast = outcome()
    with monkeypatch.context() as patch:
        patch.setattr(provjson_reader, "keyed_kinds", lambda namespaces: None)
        statements_only = outcome()
    return fast, statements_only, slow


@pytest.mark.parametrize(
    ("make", "left_to_statements"),
    [
        # the sink's ActivityDescription (two prov:type), descriptions with lists, an activity's plan
        (kitchen_sink, 6),
        (lambda: pipeline(500), 0),
        (typed_document, 0),
    ],
    ids=["sink", "pipeline", "typed"],
)
def test_generated_decoders_build_what_statements_build(
    make: object, left_to_statements: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = provjson.dumps(make())  # type: ignore[operator]
    fast, statements_only, slow = _read_both_ways(data, monkeypatch)
    assert fast == statements_only
    assert slow == left_to_statements  # the decoders did the rest


def test_generated_decoders_agree_on_the_conformance_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in _json_files():
        fast, statements_only, _slow = _read_both_ways(path.read_bytes(), monkeypatch)
        assert fast == statements_only, path.name


_ODD_VALUES: list[object] = [
    5,
    True,
    None,
    [],
    ["a", "b"],
    [{"$": "voprov:Parameter", "type": "xsd:QName"}, {"$": "prov:Plan", "type": "xsd:QName"}],
    {"$": "voprov:Parameter", "type": "xsd:QName"},
    {"$": "voprov:WasConfiguredBy", "type": "xsd:QName"},
    {"$": "prov:Person", "type": "xsd:QName"},
    {"$": "prov:Collection", "type": "prov:QUALIFIED_NAME"},
    {"$": "zz:x", "type": "xsd:QName"},
    {"$": "ex:x", "type": "xsd:QName"},
    {"$": "2024-01-01T24:00:00Z", "type": "xsd:dateTime"},
    {"$": "2024-01-01T10:00:00Z", "type": "xsd:dateTime"},
    {"$": "x", "type": "xsd:string"},
    {"$": "fr", "lang": "fr"},
    "2024-01-01T24:00:00",
    "2024-01-01",
    "zz:ref",
    "plain",
]
_ODD_KEYS = [
    "prov:type",
    "prov:label",
    "prov:role",
    "voprov:role",
    "voprov:generatedAtTime",
    "voprov:entityDescription",
    "voprov:artefactType",
    "voprov:options",
    "prov:time",
    "prov:startTime",
    "prov:agent",
    "prov:plan",
    "prov:activity",
    "prov:entity",
    "ex:other",
]


@pytest.mark.parametrize("key", _ODD_KEYS)
def test_generated_decoders_agree_on_odd_values(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every odd value under every key the decoders read, in every section of the sink:
    read by the decoders or left to statements, the outcome (records or error) is the same."""
    base = orjson.loads(provjson.dumps(kitchen_sink()))
    for value in _ODD_VALUES:
        content = orjson.loads(orjson.dumps(base))
        for section, group in content.items():
            if section in ("prefix", "bundle"):
                continue
            for body in list(group.values())[:2]:
                if isinstance(body, dict):
                    body[key] = value
        fast, statements_only, _slow = _read_both_ways(orjson.dumps(content), monkeypatch)
        assert fast == statements_only, (key, value)


def _nulls_ids_and_extras() -> list[dict[str, Any]]:
    """Small documents with a JSON null under a key the decoders read, alone or next to
    an extra attribute, and relations under named, anonymous and undeclared ids."""
    from provarchive.model import w3c

    def document(section: str, rid: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "prefix": {"ex": EX, "voprov": w3c.VOPROV},
            "activity": {"ex:a": {"prov:label": "a"}},
            "entity": {"ex:e": {"prov:label": "e"}},
            section: {rid: body},
        }

    cases = []
    for key in ("prov:label", "prov:location", "voprov:comment", "voprov:generatedAtTime", "prov:type"):
        for extra in ({}, {"ex:extra": "x"}):
            cases.append(document("entity", "ex:n", {key: None, **extra}))
    used = {"prov:activity": "ex:a", "prov:entity": "ex:e"}
    for key in ("prov:activity", "prov:entity", "prov:time", "prov:role"):
        for extra in ({}, {"ex:extra": 1}):
            cases.append(document("used", "_:u", {**used, key: None, **extra}))
    for rid in ("ex:u", "_:u", "zz:u", "u", "_", ""):
        cases.append(document("used", rid, dict(used)))
        cases.append(document("entity", rid, {"prov:label": "x"}))
    return cases


def test_generated_decoders_agree_on_nulls_ids_and_extra_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = []
    for content in _nulls_ids_and_extras():
        fast, statements_only, _slow = _read_both_ways(orjson.dumps(content), monkeypatch)
        assert fast == statements_only, content
        outcomes.append(fast[0] if isinstance(fast, tuple) else None)
    assert "error" in outcomes and outcomes.count("error") < len(outcomes)  # both kinds of outcome met


@pytest.mark.parametrize(
    "prefixes",
    [{"p": "http://www.w3.org/ns/prov#"}, {"vp2": "http://ivoa.net/ns/voprov#"}, {"default": EX}],
    ids=["prov-alias", "two-voprov", "default"],
)
def test_namespaces_that_alias_names_are_read_the_same(
    prefixes: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    content = orjson.loads(provjson.dumps(kitchen_sink()))
    content["prefix"].update(prefixes)
    content["entity"]["ex:aliased"] = {
        "p:type": {"$": "vp2:Parameter", "type": "xsd:QName"},
        "vp2:role": "x",
        "label": "y",
    }
    fast, statements_only, _slow = _read_both_ways(orjson.dumps(content), monkeypatch)
    assert fast == statements_only


def test_generated_code_is_kept_for_a_bounded_number_of_prefixes() -> None:
    """The voprov prefix is the input's choice: a service reading documents that each
    name it differently must not keep generated code for every one of them."""
    from provarchive.formats import provjson_decoders
    from provarchive.model import w3c

    for i in range(w3c.CACHE_LIMIT + 20):
        data = {
            "prefix": {f"vp{i}": w3c.VOPROV, "ex": EX},
            "entity": {"ex:p": {"prov:type": {"$": f"vp{i}:Parameter", "type": "xsd:QName"}, "prov:value": "3"}},
        }
        doc = provjson.loads(orjson.dumps(data))
        assert isinstance(doc.get("ex:p"), Parameter)
        provjson.dumps(doc)
    assert len(provjson_decoders._DECODERS) <= w3c.CACHE_LIMIT
    assert len(w3c._KEYED_KINDS) <= w3c.CACHE_LIMIT
    assert len(w3c._CODE) <= w3c.CACHE_LIMIT
