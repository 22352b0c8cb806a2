"""The builder API: records are created, linked by id and found again."""

from datetime import datetime, timezone

import pytest

from provarchive.model import (
    Activity,
    ActivityDescription,
    Agent,
    Collection,
    Document,
    DuplicateIdError,
    Entity,
    HadMember,
    Parameter,
    Used,
    WasConfiguredBy,
    WasGeneratedBy,
)


def make_doc() -> Document:
    return Document(namespaces={"ex": "http://example.org/"})


def test_activity_used_and_generated_link_by_id():
    doc = make_doc()
    raw = doc.entity("ex:raw", name="raw")
    act = doc.activity("ex:cal", datetime(2024, 1, 1, tzinfo=timezone.utc))
    used = act.used(raw, role="input")
    gen = act.generated("ex:out", role="output")
    assert isinstance(used, Used) and used.activity == "ex:cal" and used.entity == "ex:raw"
    assert isinstance(gen, WasGeneratedBy) and gen.entity == "ex:out" and gen.activity == "ex:cal"
    assert used in doc.records and gen in doc.records
    assert doc["ex:raw"] is raw and doc.get("ex:missing") is None


def test_generated_ids_are_long_and_random():
    doc = make_doc()
    a, b = doc.entity(), doc.entity()
    assert a.id != b.id
    assert a.id.startswith("pa:entity-") and len(a.id) > 30


def test_parameter_creates_configuration_link():
    doc = make_doc()
    ad = doc.activity_description("ex:desc", name="calibrate")
    pd = ad.parameter("threshold", "float", min="0")
    act = doc.activity("ex:a", description=ad)
    param = act.parameter("threshold", 2.5, description=pd)
    assert isinstance(param, Parameter) and param.value == "2.5" and param.description == pd.id
    links = doc.of_type(WasConfiguredBy)
    assert len(links) == 1 and links[0].artefact == param.id and links[0].artefact_type == "Parameter"
    assert act.description == "ex:desc"
    assert pd.activity_description == "ex:desc"


def test_bool_and_list_parameter_values_use_votable_spelling():
    doc = make_doc()
    act = doc.activity("ex:a")
    assert act.parameter("flag", True).value == "true"
    assert act.parameter("coords", [1.5, 2]).value == "1.5 2"


def test_collection_members():
    doc = make_doc()
    coll = doc.collection("ex:c", members=["ex:m1", doc.entity("ex:m2")])
    assert isinstance(coll, Collection)
    assert [(m.collection, m.entity) for m in doc.of_type(HadMember)] == [("ex:c", "ex:m1"), ("ex:c", "ex:m2")]


def test_agent_type_is_a_closed_enumeration():
    doc = make_doc()
    with pytest.raises(ValueError, match="Person, Organization, SoftwareAgent"):
        doc.agent("ex:x", type="Robot")
    assert doc.agent("ex:y", type="SoftwareAgent").type == "SoftwareAgent"


def test_unknown_relation_argument_is_refused():
    with pytest.raises(TypeError, match="unknown argument"):
        Used("ex:a", "ex:e", colour="red")


def test_relation_accepts_records_as_references():
    doc = make_doc()
    e, a = doc.entity("ex:e"), doc.activity("ex:a")
    assert Used(a, e).entity == "ex:e"


def test_extra_attributes_are_kept_in_order_and_may_repeat():
    doc = make_doc()
    e = doc.entity("ex:e", attributes=[("prov:type", "a")])
    e.set("prov:type", "b").set("ex:size", 3)
    assert e.attribute_values("prov:type") == ["a", "b"]
    assert e.attribute("ex:size") == 3 and e.attribute("ex:none", 7) == 7


def test_kinds_of_records_are_listed():
    doc = make_doc()
    doc.entity("ex:e")
    doc.activity("ex:a")
    doc.agent("ex:g")
    doc.activity_description("ex:d", name="d")
    assert [type(r) for r in doc.entities] == [Entity]
    assert [type(r) for r in doc.activities] == [Activity]
    assert [type(r) for r in doc.agents] == [Agent]
    assert [type(r) for r in doc.descriptions] == [ActivityDescription]


def test_merge_reconciles_prefixes_and_skips_identical_records():
    a = Document(namespaces={"ex": "http://example.org/"})
    a.entity("ex:e1", name="one")
    b = Document(namespaces={"ex": "http://other.org/"})
    b.entity("ex:e1", name="other")
    b.activity("ex:a").used("ex:e1")
    a.merge(b)
    assert a.namespaces["ex_1"] == "http://other.org/"
    assert "ex_1:e1" in a and a["ex_1:e1"].name == "other"  # type: ignore[attr-defined]
    used = a.of_type(Used)[0]
    assert (used.activity, used.entity) == ("ex_1:a", "ex_1:e1")
    c = Document(namespaces={"ex": "http://example.org/"})
    c.entity("ex:e1", name="one")
    a.merge(c)
    assert len([r for r in a.records if r.id == "ex:e1"]) == 1


def test_merge_conflict_is_refused_unless_lenient():
    a = Document(namespaces={"ex": "http://example.org/"})
    a.entity("ex:e1", name="one")
    b = Document(namespaces={"ex": "http://example.org/"})
    b.entity("ex:e1", name="two")
    with pytest.raises(DuplicateIdError, match="ex:e1"):
        a.merge(b)
    a.merge(b, strict=False)
    assert len([r for r in a.records if r.id == "ex:e1"]) == 2


def test_bundles_have_their_own_records():
    doc = make_doc()
    b = doc.bundle("ex:b1")
    b.entity("ex:inner")
    assert "ex:inner" not in doc and "ex:inner" in b
    assert doc.count() == 1 and doc.bundle("ex:b1") is b


@pytest.mark.parametrize("elements_given", [False, True], ids=["found by extend", "given by the reader"])
@pytest.mark.parametrize("already_there", [False, True], ids=["empty bundle", "bundle with records"])
def test_extend_is_add_in_bulk(already_there: bool, elements_given: bool):
    """extend (readers' bulk path) gives what add gives record by record: order, the
    first element of an id found by get, every element pointing at its bundle; also
    when the reader names the elements itself (their _bundle already set, as the
    PROV-JSON decoders do)."""
    first, second = Entity("ex:e", name="first"), Entity("ex:e", name="second")
    records = [first, Used("ex:a", "ex:e"), Activity("ex:a"), second, Agent("ex:ag"), Entity("ex:other")]
    earlier = Entity("ex:other", name="earlier")
    by_add, by_extend = make_doc(), make_doc()
    for doc in (by_add, by_extend):
        if already_there:
            doc.add(earlier)
    for record in records:
        by_add.add(record)
    by_add_index = {ident: by_add.get(ident) for ident in ("ex:e", "ex:a", "ex:ag", "ex:other")}
    if elements_given:
        elements = [r for r in records if not isinstance(r, Used)]
        for element in elements:
            element._bundle = by_extend  # type: ignore[attr-defined]
        by_extend.extend(iter(records), elements=elements)  # type: ignore[arg-type]
    else:
        by_extend.extend(iter(records))
    assert by_extend.records == by_add.records
    assert {ident: by_extend.get(ident) for ident in by_add_index} == by_add_index
    assert by_extend.get("ex:e") is first
    assert by_extend.get("ex:other") is (earlier if already_there else records[-1])
    assert all(r._bundle is by_extend for r in records if not isinstance(r, Used))  # type: ignore[attr-defined]
