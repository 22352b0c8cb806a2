"""The IVOA ↔ W3C mapping: every class is written as W3C statements and read back."""

from datetime import datetime, timezone

from provarchive.examples import kitchen_sink
from provarchive.model import (
    PROV,
    VOPROV,
    Activity,
    ActivityDescription,
    Agent,
    Document,
    Literal,
    Namespaces,
    QName,
    Statement,
    Used,
    WasAttributedTo,
    WasConfiguredBy,
    from_statements,
    same_provenance,
    to_statements,
)


def roundtrip(doc: Document) -> Document:
    ns, statements = to_statements(doc)
    return from_statements(statements, ns)  # type: ignore[return-value]


def test_kitchen_sink_comes_back_record_for_record():
    doc = kitchen_sink()
    back = roundtrip(doc)
    assert [type(r) for r in back.records] == [type(r) for r in doc.records]
    for original, read in zip(doc.records, back.records):
        assert original == read, (original, read)


def test_ivoa_names_map_to_w3c_terms():
    doc = Document(namespaces={"ex": "http://example.org/"})
    ad = doc.activity_description("ex:d", name="calibrate", version="1")
    act = doc.activity("ex:a", name="run 1", description=ad, comment="fine")
    act.used("ex:e", role="raw")
    doc.entity("ex:e").attributed_to(doc.agent("ex:g", type="Person", name="Ann"), role="Creator")
    ns, statements = to_statements(doc)
    assert ns["voprov"] == VOPROV
    by_kind: dict[str, list[Statement]] = {}
    for st in statements:
        by_kind.setdefault(st.kind, []).append(st)
    desc = next(s for s in by_kind["entity"] if s.id == "ex:d")
    assert ("prov:type", QName("prov:Plan")) in desc.attributes
    assert ("prov:type", QName("voprov:ActivityDescription")) in desc.attributes
    assert ("prov:label", "calibrate") in desc.attributes
    activity = by_kind["activity"][0]
    assert ("prov:label", "run 1") in activity.attributes and ("voprov:comment", "fine") in activity.attributes
    plan = by_kind["wasAssociatedWith"][0]
    assert plan.formal == ["ex:a", None, "ex:d"]
    assert ("prov:role", "raw") in by_kind["used"][0].attributes
    # PROV-DM forbids prov:role on attribution: the IVOA role is voprov:role there
    assert ("voprov:role", "Creator") in by_kind["wasAttributedTo"][0].attributes
    agent = by_kind["agent"][0]
    assert ("prov:type", QName("prov:Person")) in agent.attributes


def test_configuration_is_a_typed_influence():
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.activity("ex:a").parameter("n", 3)
    _ns, statements = to_statements(doc)
    influence = next(s for s in statements if s.kind == "wasInfluencedBy")
    assert ("prov:type", QName("voprov:WasConfiguredBy")) in influence.attributes
    back = roundtrip(doc)
    assert isinstance(back.of_type(WasConfiguredBy)[0], WasConfiguredBy)


def test_any_known_voprov_uri_is_recognised_under_any_prefix():
    ns = Namespaces({"ivoa": "http://ivoa.net/ns/voprov#", "ex": "http://example.org/"})
    st = Statement("entity", "ex:d", [], [("prov:type", QName("ivoa:ActivityDescription")), ("prov:label", "x")])
    doc = from_statements([st], ns)
    assert isinstance(doc["ex:d"], ActivityDescription) and doc["ex:d"].name == "x"


def test_plain_w3c_document_is_unchanged():
    ns = Namespaces({"ex": "http://example.org/"})
    t = datetime(2020, 1, 1, tzinfo=timezone.utc)
    statements = [
        Statement("activity", "ex:a", [t, None], [("prov:label", "a"), ("prov:label", "second label")]),
        Statement("agent", "ex:g", [], [("prov:type", QName("ex:Robot"))]),
        Statement("used", "ex:u1", ["ex:a", "ex:e", t], [("prov:role", "in"), ("ex:n", 1)]),
        Statement("wasAttributedTo", None, ["ex:e", "ex:g"], []),
    ]
    doc = from_statements(statements, ns)
    act = doc["ex:a"]
    assert isinstance(act, Activity) and act.name == "a" and act.attributes == [("prov:label", "second label")]
    agent = doc["ex:g"]
    assert isinstance(agent, Agent) and agent.type is None
    used = doc.of_type(Used)[0]
    assert used.id == "ex:u1" and used.role == "in" and used.attributes == [("ex:n", 1)]
    assert doc.of_type(WasAttributedTo)[0].role is None
    ns2, again = to_statements(doc)
    assert [(s.kind, s.id) for s in again] == [(s.kind, s.id) for s in statements]
    assert same_provenance(doc, from_statements(again, ns2))  # type: ignore[arg-type]


def test_association_with_agent_and_plan_is_kept_as_association():
    ns = Namespaces({"ex": "http://example.org/"})
    statements = [
        Statement("activity", "ex:a", [None, None], []),
        Statement("wasAssociatedWith", None, ["ex:a", "ex:ag", "ex:plan"], []),
    ]
    doc = from_statements(statements, ns)
    assert doc["ex:a"].description is None  # type: ignore[attr-defined]
    assert len(doc.relations) == 1


def test_attribute_names_written_by_the_mapping_are_plain_strings():
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.activity("ex:a").parameter("n", 3)
    _ns, statements = to_statements(doc)
    for st in statements:
        assert all(type(key) is str for key, _value in st.attributes)


def test_keyed_rendering_agrees_with_the_statements():
    """to_keyed (PROV-JSON's one-pass writer) and to_statements are one mapping, two shapes."""
    from provarchive.model.w3c import W3C_FORMAL, to_keyed

    doc = kitchen_sink()
    ns_statements, statements = to_statements(doc)
    ns_keyed, keyed = to_keyed(doc, lambda value: ("encoded", value))
    assert ns_keyed.declared() == ns_statements.declared()
    assert [(kind, ident) for kind, ident, _fields in keyed] == [(st.kind, st.id) for st in statements]
    for (kind, _ident, fields), st in zip(keyed, statements):
        expected: dict[str, object] = {}
        for key, value in zip(W3C_FORMAL[kind], st.formal):
            if value is not None:
                expected[key] = value
        for key, value in st.attributes:
            rendered = value if type(value) is str else ("encoded", value)
            if key in expected:
                previous = expected[key]
                expected[key] = [*previous, rendered] if isinstance(previous, list) else [previous, rendered]
            else:
                expected[key] = rendered
        formal_keys = set(W3C_FORMAL[kind])
        assert {k: v for k, v in fields.items() if k not in formal_keys} == {
            k: v for k, v in expected.items() if k not in formal_keys
        }, (kind, st)
        assert {k for k in fields if k in formal_keys} == {k for k in expected if k in formal_keys}, (kind, st)


def _file_by_kind_and_id(keyed: list[tuple[str, str | None, dict[str, object]]]) -> dict[str, dict[str, object]]:
    """The filing rule of to_keyed_groups, written plainly: kinds in order of their first
    statement, ids shared by several statements give a list, statements without an id
    get the next free ``_:idN`` (N counted over all kinds)."""
    groups: dict[str, dict[str, object]] = {}
    anonymous = 0
    for kind, ident, fields in keyed:
        group = groups.setdefault(kind, {})
        if ident is None:
            anonymous += 1
            while f"_:id{anonymous}" in group:
                anonymous += 1
            group[f"_:id{anonymous}"] = fields
        elif ident in group:
            current = group[ident]
            group[ident] = [*current, fields] if isinstance(current, list) else [current, fields]
        else:
            group[ident] = fields
    return groups


def test_keyed_groups_file_the_keyed_records_by_kind_and_id():
    """to_keyed_groups (PROV-JSON's writer) is to_keyed filed by kind and id, including
    ids shared by several statements and named ids that look like the generated ones."""
    from provarchive.model.w3c import to_keyed, to_keyed_groups

    tricky = Document(namespaces={"ex": "http://example.org/"})
    tricky.add(Used("ex:a", "ex:e", id="_:id2"))
    tricky.add(Used("ex:a", "ex:e"))  # _:id1
    tricky.add(Used("ex:a", "ex:e"))  # _:id2 is taken: _:id3
    tricky.add(Used("ex:a", "ex:e", id="_:id2"))  # shares _:id2
    tricky.entity("ex:twice", name="one")
    tricky.entity("ex:twice", name="two")
    tricky.activity("ex:planned", description="ex:plan")  # writes an association too
    _ns, groups = to_keyed_groups(tricky, str)
    assert list(groups) == ["used", "entity", "activity", "wasAssociatedWith"]
    assert list(groups["used"]) == ["_:id2", "_:id1", "_:id3"] and len(groups["used"]["_:id2"]) == 2
    assert list(groups["wasAssociatedWith"]) == ["_:id4"]
    sink = kitchen_sink()
    for bundle in (tricky, sink, *sink.bundles.values()):
        encode = lambda value: ("encoded", value)  # noqa: E731
        ns_keyed, keyed = to_keyed(bundle, encode)
        ns_groups, groups = to_keyed_groups(bundle, encode)
        assert ns_groups.declared() == ns_keyed.declared()
        expected = _file_by_kind_and_id(keyed)
        assert list(groups) == list(expected)
        for kind in expected:
            assert list(groups[kind].items()) == list(expected[kind].items()), kind


def test_slots_are_taken_once_by_every_prefix_and_the_rest_is_kept_in_order():
    """The generated per-class take of from_statements: a slot takes the first value
    that converts, under any prefix bound to its namespace; list slots take them all."""
    ns = Namespaces({"ex": "http://example.org/", "voprov": VOPROV, "vp2": "http://ivoa.net/ns/voprov#", "p": PROV})
    statements = [
        Statement(
            "used",
            None,
            ["ex:a", "ex:e", None],
            [
                ("p:role", 5),  # does not convert: kept
                ("prov:role", "input"),  # taken
                ("p:role", "again"),  # slot already filled: kept
                ("vp2:usageDescription", QName("ex:ud")),  # taken as a plain identifier
                ("ex:other", "x"),
            ],
        ),
        Statement(
            "entity",
            "ex:pd",
            [],
            [
                ("prov:type", QName("voprov:ParameterDescription")),
                ("voprov:options", "a"),
                ("vp2:options", 2),
                ("prov:label", Literal("n", datatype="xsd:string")),
            ],
        ),
    ]
    doc = from_statements(statements, ns)
    used, desc = doc.records
    assert (used.role, used.usage_description) == ("input", "ex:ud")  # type: ignore[attr-defined]
    assert type(used.usage_description) is str  # type: ignore[attr-defined]
    assert used.attributes == [("p:role", 5), ("p:role", "again"), ("ex:other", "x")]
    assert desc.options == ["a", "2"] and desc.name == "n" and desc.attributes == []  # type: ignore[attr-defined]
