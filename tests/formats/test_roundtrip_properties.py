"""Property tests: any document of entities with arbitrary values survives PROV-JSON and PROV-N."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provarchive.formats import FormatError, provjson, provn
from provarchive.model import Document, Literal, QName, differences, same_provenance

EX = "http://example.org/"

local_names = st.text(alphabet="abcXYZ019_-.=:;,()[]/#%~@", min_size=1, max_size=12)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
times = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda t: t.replace(microsecond=t.microsecond - t.microsecond % 1000)
)
aware_times = st.builds(
    lambda t, minutes: t.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    times,
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
values = st.one_of(
    texts,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    times,
    aware_times,
    local_names.map(lambda local: QName(f"ex:{local}")),
)
# Language-tagged and typed literals get keys of their own: model.compare cannot yet
# sort two literals of one key that differ only in having a language or a datatype.
literals = st.one_of(
    st.tuples(
        st.just("ex:lang"),
        st.builds(lambda text, lang: Literal(text, lang=lang), texts, st.sampled_from(["en", "fr", "de-CH"])),
    ),
    st.tuples(st.just("ex:uri"), st.builds(lambda text: Literal(text, datatype="xsd:anyURI"), texts)),
)
attributes = st.lists(
    st.one_of(st.tuples(st.sampled_from(["ex:a", "ex:b", "prov:label", "prov:type"]), values), literals), max_size=5
)


def build(entities: list[tuple[str, list[tuple[str, object]]]]) -> Document:
    doc = Document(namespaces={"ex": EX})
    for local, attrs in entities:
        doc.entity(f"ex:{local}", attributes=attrs)
    return doc


documents = st.lists(st.tuples(local_names, attributes), max_size=5).map(build)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(documents)
def test_prov_json_round_trip(doc: Document) -> None:
    back = provjson.loads(provjson.dumps(doc))
    assert same_provenance(doc, back), differences(doc, back)


@SETTINGS
@given(documents)
def test_prov_n_round_trip_or_refusal(doc: Document) -> None:
    try:
        text = provn.dumps(doc)
    except FormatError:
        return  # an identifier PROV-N cannot spell: refused, never written wrongly
    back = provn.loads(text)
    assert same_provenance(doc, back), differences(doc, back)
