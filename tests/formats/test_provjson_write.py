"""PROV-JSON writer: the text written straight from records is the reference's, byte for byte.

``provjson.dumps`` writes the JSON text itself and leaves to ``dumps_tree`` (dicts
encoded by orjson, the reference) whatever it does not write exactly. Every test here
writes a document both ways and compares the bytes, or the error both raise; and every
test runs twice, with the compiled record loop (``_provjson_accel/write.c``) and with the
generated Python that writes where it is not built.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provarchive.examples import kitchen_sink, pipeline
from provarchive.formats import provjson, provjson_write
from provarchive.model import (
    Activity,
    ActivityDescription,
    Document,
    Entity,
    Literal,
    ParameterDescription,
    QName,
    UsageDescription,
    Used,
)
from provarchive.model.ids import VOPROV

from .accel_paths import PATHS, choose_path
from .test_provjson import typed_document
from .test_provxml import _corpus_documents

EX = "http://example.org/"


@pytest.fixture(autouse=True, params=PATHS)
def record_loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test with the compiled record loop, then with the generated Python alone."""
    return choose_path(request.param, monkeypatch, provjson_write)


def _both_ways(doc: Document) -> tuple[object, object]:
    """What ``dumps`` (the text path) and ``dumps_tree`` (the reference) make of ``doc``:
    the bytes, or the error's type and message."""
    results: list[object] = []
    for write in (provjson.dumps, provjson_write.dumps_tree):
        try:
            results.append(write(doc))
        except Exception as error:  # noqa: BLE001 - any error must be the same both ways
            results.append((type(error), str(error)))
    return results[0], results[1]


def _text_path_writes(doc: Document) -> bool:
    """Whether the text path writes ``doc`` itself (rather than giving it to the reference)."""
    try:
        return provjson_write._TextWriter(VOPROV).document(doc) is not None
    except Exception:  # noqa: BLE001 - it gives up by raising too
        return False


def _assert_same(doc: Document) -> None:
    new, old = _both_ways(doc)
    assert new == old


def _document() -> Document:
    return Document(namespaces={"ex": EX})


# ------------------------------------------------------------------ whole documents


def test_corpus_and_examples_are_written_the_same_both_ways(conformance: Path) -> None:
    docs = [pipeline(300), kitchen_sink(), typed_document(), *_corpus_documents(conformance)]
    text_path = 0
    for doc in docs:
        _assert_same(doc)
        # documents with repeated ids in a kind (JSON arrays) are the reference's to write
        text_path += _text_path_writes(doc) or _repeats_an_id(doc)
        doc.bundles.clear()
        _assert_same(doc)
    assert len(docs) > 250
    assert text_path == len(docs)


def _repeats_an_id(doc: Document) -> bool:
    for bundle in (doc, *doc.bundles.values()):
        named = [(type(record).kind, record.id) for record in bundle.records if record.id is not None]
        if len(set(named)) != len(named):
            return True
    return False


def test_pipeline_is_written_by_the_text_path() -> None:
    doc = pipeline(3000)
    assert _text_path_writes(doc)
    _assert_same(doc)


def test_indented_output_is_the_reference_s() -> None:
    doc = kitchen_sink()
    assert provjson.dumps(doc, indent=True) == provjson_write.dumps_tree(doc, indent=True)
    assert orjson.loads(provjson.dumps(doc, indent=True)) == orjson.loads(provjson.dumps(doc))


def test_empty_documents_and_records_without_fields() -> None:
    _assert_same(_document())
    _assert_same(Document())
    doc = _document()
    doc.entity("ex:bare")
    doc.add(Used(None, None))
    doc.add(Activity("ex:a"))
    assert _text_path_writes(doc)
    _assert_same(doc)


# ------------------------------------------------------------------ awkward values

AWKWARD_TEXTS = [
    "",
    'say "hi"',
    "back\\slash",
    '\\"',
    "line\nbreak\ttab\rreturn",
    "nul\x00 and \x1f unit separator",
    "del \x7f, nbsp \xa0, line separator \u2028",
    "ünïcödé ✓ 🛰",
    "{,",
    '"}',
    "ends with a backslash\\",
    "x" * 5000,
]


@pytest.mark.parametrize("text", AWKWARD_TEXTS, ids=range(len(AWKWARD_TEXTS)))
def test_awkward_strings_in_every_place(text: str) -> None:
    doc = _document()
    doc.use_voprov()
    entity = doc.entity(f"ex:e{text}", name=text, location=text, comment=text, attributes=[("ex:note", text)])
    activity = doc.activity(f"ex:a{text}", name=text)
    activity.used(entity, role=text)
    doc.add(Used(f"ex:x{text}", f"ex:y{text}"))
    doc.entity("ex:keyed", attributes=[(f"ex:k{text}", "v"), ("ex:other", text)])
    _assert_same(doc)


def test_a_raw_backslash_next_to_escaped_values_is_found() -> None:
    # the escapes orjson writes for the first label are counted; the raw backslash of
    # the second label is one more, so the reference writes the document
    doc = _document()
    doc.entity("ex:a", name='has "quotes"')
    doc.entity("ex:b", name="has a \\ backslash")
    assert not _text_path_writes(doc)
    _assert_same(doc)
    doc = _document()
    doc.entity("ex:a", name='has "quotes" and \\ (escaped by orjson)')
    assert _text_path_writes(doc)
    _assert_same(doc)


def test_a_raw_backslash_after_a_record_given_up_with_escaped_extras_is_found() -> None:
    # the first record's extras hold an escape (counted once encoded) and its label is
    # not a plain string (the record then goes to the careful path, which encodes the
    # extras again): the raw backslash of the second must still be found
    doc = _document()
    doc.entity("ex:e1", name=Literal("typed", datatype="xsd:token"), attributes=[("ex:a", 'x"y'), ("ex:b", "z")])
    doc.entity("ex:e2", name="back\\slash")
    _assert_same(doc)


def test_surrogates_and_unwritable_values_fail_the_same_way() -> None:
    doc = _document()
    doc.entity("ex:e", name="lone \ud800 surrogate")
    new, old = _both_ways(doc)
    assert new == old and isinstance(new, tuple)
    doc = _document()
    doc.entity("ex:e", attributes=[("ex:thing", object())])
    new, old = _both_ways(doc)
    assert new == old and isinstance(new, tuple)
    doc = _document()
    doc.add(type("Odd", (Entity,), {})("ex:odd"))
    new, old = _both_ways(doc)
    assert new == old and isinstance(new, tuple)


DATETIMES = [
    datetime(2024, 1, 1),
    datetime(2024, 1, 1, 12, 30, 5, 120000),
    datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=timezone.utc),
    datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2))),
    datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30, seconds=15))),
    datetime(999, 12, 31, 23, 59, 59),
]


@pytest.mark.parametrize("when", DATETIMES, ids=str)
def test_datetimes_in_formal_slots_ivoa_slots_and_extras(when: datetime) -> None:
    doc = _document()
    activity = doc.activity("ex:a", when, when)
    entity = doc.entity("ex:e", generated_at_time=when, invalidated_at_time=when, attributes=[("ex:t", when)])
    activity.used(entity, time=when)
    entity.generated_by(activity, time=when)
    assert _text_path_writes(doc)
    _assert_same(doc)


def test_values_that_are_not_plain_strings() -> None:
    doc = _document()
    doc.use_voprov()
    values: list[object] = [
        0,
        -7,
        2**31,
        2**63,
        10**30,
        True,
        False,
        0.1,
        -0.0,
        1e300,
        float("inf"),
        float("nan"),
        QName("ex:Thing"),
        Literal("bonjour", lang="fr"),
        Literal("x", datatype="xsd:string"),
        Literal("2024", datatype="xsd:gYear"),
        Literal('q"uote', datatype="ex:T"),
        datetime(2024, 5, 1, tzinfo=timezone.utc),
    ]
    for i, value in enumerate(values):
        # in string slots, a time slot, a QName slot, a formal slot and as an extra attribute
        doc.entity(f"ex:e{i}", name=value, location=value, comment=value, attributes=[("ex:v", value)])  # type: ignore[arg-type]
        typed = doc.entity(f"ex:g{i}", generated_at_time=value)  # type: ignore[arg-type]
        typed.description = value  # type: ignore[assignment]
        doc.add(Used(value, value, time=value))  # type: ignore[arg-type]
    _assert_same(doc)


def test_qualified_names_and_non_string_ids() -> None:
    doc = _document()
    doc.entity(QName("ex:q"), name="id is a QName")  # type: ignore[arg-type]
    doc.add(Used(QName("ex:a"), QName("ex:e")))
    doc.add(Entity(7))  # type: ignore[arg-type]
    doc.add(Entity("ex:a\\b"))
    _assert_same(doc)


# ------------------------------------------------------------ ids, kinds and numbering


def test_repeated_ids_become_arrays_as_in_the_reference() -> None:
    doc = _document()
    doc.entity("ex:e", name="first")
    doc.entity("ex:e", name="second")
    doc.activity("ex:e")  # the same id in another kind: no array
    assert not _text_path_writes(doc)
    _assert_same(doc)
    assert orjson.loads(provjson.dumps(doc))["entity"]["ex:e"] == [{"prov:label": "first"}, {"prov:label": "second"}]


def test_named_ids_that_look_anonymous() -> None:
    doc = _document()
    doc.add(Used("ex:a", "ex:e1", id="_:id2"))
    doc.add(Used("ex:a", "ex:e2"))
    doc.add(Used("ex:a", "ex:e3"))
    _assert_same(doc)
    doc = _document()
    doc.add(Used("ex:a", "ex:e1"))
    doc.add(Used("ex:a", "ex:e2", id="_:id1"))
    _assert_same(doc)
    doc = _document()  # a named "_:" id in a kind without anonymous statements is plain
    doc.entity("_:id1")
    doc.add(Used("ex:a", "ex:e1"))
    assert _text_path_writes(doc)
    _assert_same(doc)


@pytest.mark.parametrize("association_first", [False, True])
def test_plan_associations_make_their_kind_where_the_reference_does(association_first: bool) -> None:
    doc = _document()
    doc.use_voprov()
    doc.entity("ex:e")
    plan = doc.activity_description("ex:plan", name="the plan")
    if association_first:
        doc.activity("ex:early").associated_with(doc.agent("ex:someone"))
    doc.activity("ex:a", description=plan)
    doc.activity(None, description=plan)  # type: ignore[arg-type]
    doc.add(Used("ex:a", "ex:e"))
    doc.activity("ex:b").associated_with(doc.agent("ex:agent"))
    doc.activity("ex:c", description=plan, attributes=[("prov:label", "forces the reference's dict")])
    assert _text_path_writes(doc)
    _assert_same(doc)


def test_extra_attributes_the_plan_also_writes_or_repeats() -> None:
    doc = _document()
    doc.entity("ex:a", name="label", attributes=[("prov:label", "another label")])
    doc.entity("ex:b", attributes=[("ex:multi", "one"), ("ex:multi", "two")])
    doc.entity("ex:c", attributes=[("ex:x", "1"), ("ex:y", 2), ("prov:type", QName("ex:T"))])
    doc.entity("ex:d", attributes=[(QName("ex:q"), "key is a QName")])  # type: ignore[list-item]
    doc.entity("ex:e", attributes=[])
    assert _text_path_writes(doc)
    _assert_same(doc)


def test_list_slots_with_no_one_or_several_values() -> None:
    doc = _document()
    doc.use_voprov()
    doc.add(ParameterDescription("ex:p0", name="p", options=[]))
    doc.add(ParameterDescription("ex:p1", name="p", options=["a"]))
    doc.add(ParameterDescription("ex:p2", name="p", options=["a", 'b"', 3]))  # type: ignore[list-item]
    doc.add(UsageDescription("ex:u0", role="in", entity_descriptions=[]))
    doc.add(UsageDescription("ex:u1", role="in", entity_descriptions=["ex:d1"]))
    doc.add(UsageDescription("ex:u2", role="in", entity_descriptions=["ex:d1", "ex:d2"]))
    doc.add(ActivityDescription("ex:ad", name="written from the reference's dicts (prov:type twice)"))
    _assert_same(doc)


@pytest.mark.parametrize(
    "namespaces",
    [
        {"vp": VOPROV},
        {'v"p': VOPROV},
        {"ex": EX, "voprov": "http://example.org/not-voprov#"},
    ],
    ids=["voprov as vp", "a prefix JSON escapes", "voprov taken"],
)
def test_voprov_prefixes(namespaces: dict[str, str]) -> None:
    doc = Document(namespaces={"ex": EX, **namespaces})
    doc.entity("ex:e", comment="an IVOA slot", generated_at_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    doc.entity("ex:f", name="plain")
    _assert_same(doc)
    doc = Document(namespaces={"ex": EX, **namespaces})
    doc.entity("ex:f", name="no voprov name written")
    _assert_same(doc)


def test_bundles() -> None:
    doc = Document(namespaces={"ex": EX}, default_namespace="http://example.org/default#")
    doc.entity("ex:top")
    inner = doc.bundle("ex:b1")
    inner.add_namespace("in", "http://example.org/inner#")
    inner.entity("in:e", name="inside")
    doc.bundle('ex:b"2').entity("ex:e", name="bundle id with a quote")
    empty = doc.bundle("ex:b3")
    assert len(empty) == 0
    assert _text_path_writes(doc)
    _assert_same(doc)


# ------------------------------------------------------------------ random documents

awkward_text = st.text(
    alphabet=st.sampled_from(["a", "é", '"', "\\", "\n", "\x00", "{", ",", ":", "_", " ", "🛰"]), max_size=8
)
values = st.one_of(
    awkward_text,
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(3000, 1, 1)),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5))])),
    awkward_text.map(lambda text: QName(f"ex:{text}")),
)
ids = st.one_of(st.none(), awkward_text.map(lambda text: f"ex:{text}"), st.sampled_from(["_:id1", "_:id2", "ex:same"]))


@st.composite
def documents(draw: st.DrawFn) -> Document:
    doc = _document()
    if draw(st.booleans()):
        doc.use_voprov()
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        kind = draw(st.sampled_from(["entity", "activity", "used"]))
        attributes = draw(st.lists(st.tuples(st.sampled_from(["ex:a", "ex:b", "prov:label"]), values), max_size=3))
        if kind == "entity":
            record: Entity | Activity | Used = Entity(
                draw(ids), name=draw(values), generated_at_time=draw(values), attributes=attributes
            )
        elif kind == "activity":
            record = Activity(draw(ids), draw(values), draw(values), name=draw(values), attributes=attributes)
        else:
            record = Used(draw(ids), draw(ids), time=draw(values), role=draw(values), attributes=attributes)
        doc.add(record)
    return doc


@settings(
    max_examples=300,
    deadline=None,
    # the record_loop fixture's choice holds for every example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents())
def test_random_documents_are_written_the_same_both_ways(doc: Document) -> None:
    _assert_same(doc)
