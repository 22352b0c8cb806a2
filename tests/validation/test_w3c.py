"""W3C PROV-CONSTRAINTS rules on small documents built in code: one valid and one invalid case per rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from provarchive.examples import kitchen_sink
from provarchive.model import (
    ActedOnBehalfOf,
    Activity,
    Agent,
    Document,
    Entity,
    HadMember,
    QName,
    SpecializationOf,
    Used,
    WasAssociatedWith,
    WasAttributedTo,
    WasDerivedFrom,
    WasEndedBy,
    WasGeneratedBy,
    WasInfluencedBy,
    WasInformedBy,
    WasInvalidatedBy,
    WasStartedBy,
)
from provarchive.model.records import Record
from provarchive.validation import validate

T0 = datetime(2024, 3, 1, 21, 0, tzinfo=timezone.utc)


def doc_of(*records: Record) -> Document:
    doc = Document(namespaces={"ex": "http://example.org/"})
    for record in records:
        doc.add(record)
    return doc


def codes(doc: Document, severity: str = "error") -> set[str]:
    report = validate(doc, rules="w3c")
    return {issue.code for issue in report.issues if issue.severity == severity}


def only_issue(doc: Document, code: str):
    report = validate(doc, rules="w3c")
    found = [issue for issue in report.errors if issue.code == code]
    assert found, report.format_text()
    return found[0]


def test_kitchen_sink_is_valid() -> None:
    report = validate(kitchen_sink(), rules="w3c")
    assert report.valid, report.format_text()
    assert report.issues == []


# ------------------------------------------------------------------ uniqueness 22-29


def test_c22_activity_declared_twice_with_same_times_is_valid() -> None:
    doc = doc_of(Activity("ex:a", T0, None), Activity("ex:a", T0, T0 + timedelta(hours=1)))
    assert codes(doc) == set()


def test_c22_activity_declared_twice_with_different_start_times() -> None:
    doc = doc_of(Activity("ex:a", T0), Activity("ex:a", T0 + timedelta(hours=1)))
    issue = only_issue(doc, "W3C-C22")
    assert issue.rule == "W3C-C22 key-object"
    assert "ex:a" in issue.message and "startTime" in issue.message
    assert issue.records == ("ex:a",)


def test_c22_times_compare_as_instants() -> None:
    plus_one = timezone(timedelta(hours=1))
    doc = doc_of(Activity("ex:a", T0), Activity("ex:a", T0.astimezone(plus_one)))
    assert codes(doc) == set()


def test_c23_relations_with_one_id_must_agree() -> None:
    doc = doc_of(
        Activity("ex:a"),
        Entity("ex:e1"),
        Entity("ex:e2"),
        Used("ex:a", "ex:e1", id="ex:u1"),
        Used("ex:a", "ex:e2", id="ex:u1"),
    )
    issue = only_issue(doc, "W3C-C23")
    assert "ex:u1" in issue.message and "entity" in issue.message
    assert "ex:e1" in issue.message and "ex:e2" in issue.message


def test_c23_missing_arguments_unify_with_given_ones() -> None:
    doc = doc_of(
        Activity("ex:a"),
        Entity("ex:e1"),
        Used("ex:a", "ex:e1", id="ex:u1"),
        Used("ex:a", None, T0, id="ex:u1"),
    )
    assert codes(doc) == set()


def test_c23_derivation_without_activity_does_not_unify_with_one_that_has_it() -> None:
    doc = doc_of(
        Entity("ex:e1"),
        Entity("ex:e2"),
        WasDerivedFrom("ex:e2", "ex:e1", "ex:a", id="ex:d"),
        WasDerivedFrom("ex:e2", "ex:e1", id="ex:d"),
    )
    assert "W3C-C23" in codes(doc)


def test_c23_influence_shares_the_id_of_a_more_specific_relation() -> None:
    ok = doc_of(
        Activity("ex:a"), Entity("ex:e"), Used("ex:a", "ex:e", id="ex:u"), WasInfluencedBy("ex:a", "ex:e", id="ex:u")
    )
    assert codes(ok) == set()
    bad = doc_of(
        Activity("ex:a"), Entity("ex:e"), Used("ex:a", "ex:e", id="ex:u"), WasInfluencedBy("ex:a", "ex:x", id="ex:u")
    )
    assert "W3C-C23" in codes(bad)


def test_c24_one_generation_per_entity_and_activity() -> None:
    doc = doc_of(
        Entity("ex:e"),
        Activity("ex:a"),
        WasGeneratedBy("ex:e", "ex:a", id="ex:g1"),
        WasGeneratedBy("ex:e", "ex:a", id="ex:g2"),
    )
    issue = only_issue(doc, "W3C-C24")
    assert set(issue.records) == {"ex:g1", "ex:g2"}
    assert "one generation per entity and activity" in issue.message


def test_c24_anonymous_generations_merge_and_their_times_must_agree() -> None:
    same = doc_of(Entity("ex:e"), Activity("ex:a"), WasGeneratedBy("ex:e", "ex:a", T0), WasGeneratedBy("ex:e", "ex:a"))
    assert codes(same) == set()
    clash = doc_of(
        Entity("ex:e"),
        Activity("ex:a"),
        WasGeneratedBy("ex:e", "ex:a", T0),
        WasGeneratedBy("ex:e", "ex:a", T0 + timedelta(seconds=1)),
    )
    assert "W3C-C23" in codes(clash)


def test_c25_one_invalidation_per_entity_and_activity() -> None:
    doc = doc_of(
        Entity("ex:e"),
        Activity("ex:a"),
        WasInvalidatedBy("ex:e", "ex:a", id="ex:i1"),
        WasInvalidatedBy("ex:e", "ex:a", id="ex:i2"),
    )
    assert "W3C-C25" in codes(doc)


def test_c26_c27_one_start_and_end_per_activity_and_trigger() -> None:
    starts = doc_of(
        Activity("ex:a"),
        Activity("ex:b"),
        WasStartedBy("ex:a", None, "ex:b", id="ex:s1"),
        WasStartedBy("ex:a", None, "ex:b", id="ex:s2"),
    )
    assert "W3C-C26" in codes(starts)
    ends = doc_of(
        Activity("ex:a"),
        Activity("ex:b"),
        WasEndedBy("ex:a", None, "ex:b", id="ex:x1"),
        WasEndedBy("ex:a", None, "ex:b", id="ex:x2"),
    )
    assert "W3C-C27" in codes(ends)
    different_starters = doc_of(
        Activity("ex:a"), WasStartedBy("ex:a", None, "ex:b", id="ex:s1"), WasStartedBy("ex:a", None, "ex:c", id="ex:s2")
    )
    assert codes(different_starters) == set()


def test_c28_c29_start_and_end_times_match_the_activity() -> None:
    ok = doc_of(Activity("ex:a", T0, T0 + timedelta(hours=1)), WasStartedBy("ex:a", time=T0))
    assert codes(ok) == set()
    bad_start = doc_of(Activity("ex:a", T0), WasStartedBy("ex:a", time=T0 + timedelta(minutes=1), id="ex:s"))
    issue = only_issue(bad_start, "W3C-C28")
    assert set(issue.records) == {"ex:a", "ex:s"}
    bad_end = doc_of(Activity("ex:a", T0, T0 + timedelta(hours=1)), WasEndedBy("ex:a", time=T0 + timedelta(hours=2)))
    assert "W3C-C29" in codes(bad_end)


def test_mandatory_argument_missing_is_a_prov_dm_error() -> None:
    doc = doc_of(Entity("ex:c"), HadMember("ex:c", None))
    issue = only_issue(doc, "W3C-DM")
    assert "hadMember" in issue.message and "entity" in issue.message


# ------------------------------------------------------------------- ordering 30-49


def test_c42_derivation_cycle_is_a_strict_ordering_contradiction() -> None:
    doc = doc_of(
        Entity("ex:e1"),
        Entity("ex:e2"),
        WasDerivedFrom("ex:e2", "ex:e1", id="ex:d1"),
        WasDerivedFrom("ex:e1", "ex:e2", id="ex:d2"),
    )
    issue = only_issue(doc, "W3C-C42")
    assert "cannot be ordered" in issue.message
    assert {"ex:d1", "ex:d2"} <= set(issue.records)


def test_derivation_chain_is_valid() -> None:
    doc = doc_of(
        Entity("ex:e1"),
        Entity("ex:e2"),
        Entity("ex:e3"),
        WasDerivedFrom("ex:e2", "ex:e1"),
        WasDerivedFrom("ex:e3", "ex:e2"),
    )
    assert codes(doc) == set()


def test_specialization_and_derivation_contradict() -> None:
    """W3C ordering-specialization4: gen(e1) ≼ gen(e2) (C45) and gen(e2) ≺ gen(e1) (C42)."""
    doc = doc_of(
        Entity("ex:e1"),
        Entity("ex:e2"),
        SpecializationOf("ex:e2", "ex:e1"),
        WasGeneratedBy("ex:e2", None, id="ex:g2"),
        WasGeneratedBy("ex:e1", None, id="ex:g1"),
        WasDerivedFrom("ex:e1", "ex:e2", id="ex:d"),
    )
    issue = only_issue(doc, "W3C-C42")
    assert "C45" in issue.message


def test_derivation_through_an_activity_orders_use_before_generation() -> None:
    """Inference 11 + C41/C33/C34: a derivation's usage precedes its generation, within the activity."""
    doc = doc_of(
        Entity("ex:e1"),
        Entity("ex:e2"),
        Activity("ex:a"),
        WasDerivedFrom("ex:e2", "ex:e1", "ex:a", "ex:g", "ex:u"),
        Used("ex:a", "ex:e1", id="ex:u"),
        WasGeneratedBy("ex:e2", "ex:a", id="ex:g"),
    )
    assert codes(doc) == set()
    conflicting = doc_of(
        Entity("ex:e1"),
        Entity("ex:e2"),
        Activity("ex:a"),
        WasDerivedFrom("ex:e2", "ex:e1", "ex:a", "ex:g", "ex:u"),
        Used("ex:a", "ex:other", id="ex:u"),
    )
    assert "W3C-C23" in codes(conflicting)


def test_times_against_the_order_are_warnings() -> None:
    doc = doc_of(
        Activity("ex:a", T0, T0 + timedelta(hours=1)),
        Entity("ex:e"),
        Used("ex:a", "ex:e", T0 - timedelta(hours=1), id="ex:u"),
    )
    report = validate(doc, rules="w3c")
    assert report.valid
    warnings = [issue for issue in report.warnings if issue.code == "W3C-C33"]
    assert warnings and "ex:u" in warnings[0].records
    assert "start of ex:a" in warnings[0].message


def test_times_propagate_through_undated_events() -> None:
    """gen(e) by a (no time) precedes its usage by b: b's usage dated before a starts is reported."""
    doc = doc_of(
        Activity("ex:a", T0),
        Activity("ex:b"),
        Entity("ex:e"),
        WasGeneratedBy("ex:e", "ex:a"),
        Used("ex:b", "ex:e", T0 - timedelta(minutes=1), id="ex:u"),
    )
    report = validate(doc, rules="w3c")
    assert any(issue.severity == "warning" and "ex:u" in issue.records for issue in report.issues)


def test_informed_activity_cannot_end_before_informant_starts_in_time() -> None:
    doc = doc_of(
        Activity("ex:a1", T0, T0 + timedelta(hours=1)),
        Activity("ex:a2", T0 - timedelta(hours=3), T0 - timedelta(hours=2)),
        WasInformedBy("ex:a2", "ex:a1"),
    )
    assert "W3C-C35" in codes(doc, "warning")


# ---------------------------------------------------------- typing and impossibility


def test_c55_an_id_used_as_entity_and_activity() -> None:
    doc = doc_of(Activity("ex:x"), Activity("ex:a"), Used("ex:a", "ex:x", id="ex:u"))
    issue = only_issue(doc, "W3C-C55")
    assert issue.rule == "W3C-C55 entity-activity-disjoint"
    assert issue.records[0] == "ex:x" and "ex:u" in issue.records
    assert "entity" in issue.message and "activity" in issue.message


def test_agent_may_also_be_an_entity() -> None:
    doc = doc_of(Agent("ex:bob"), Entity("ex:bob"), Activity("ex:a"), WasAssociatedWith("ex:a", "ex:bob"))
    assert codes(doc) == set()


def test_c51_derivation_with_generation_but_no_activity() -> None:
    doc = doc_of(Entity("ex:e1"), Entity("ex:e2"), WasDerivedFrom("ex:e2", "ex:e1", None, "ex:g", None))
    assert "W3C-C51" in codes(doc)


def test_c52_specialization_cannot_be_reflexive_even_through_a_cycle() -> None:
    assert "W3C-C52" in codes(doc_of(Entity("ex:e"), SpecializationOf("ex:e", "ex:e")))
    cycle = doc_of(
        Entity("ex:e1"), Entity("ex:e2"), SpecializationOf("ex:e1", "ex:e2"), SpecializationOf("ex:e2", "ex:e1")
    )
    assert "W3C-C52" in codes(cycle)
    assert codes(doc_of(Entity("ex:e1"), Entity("ex:e2"), SpecializationOf("ex:e1", "ex:e2"))) == set()


def test_c53_relation_ids_of_different_kinds() -> None:
    doc = doc_of(
        Entity("ex:e"),
        Activity("ex:a"),
        Used("ex:a", "ex:e", id="ex:r"),
        WasGeneratedBy("ex:e", "ex:a", id="ex:r"),
    )
    issue = only_issue(doc, "W3C-C53")
    assert "used" in issue.message and "wasGeneratedBy" in issue.message


def test_c54_element_and_relation_share_an_id() -> None:
    doc = doc_of(Entity("ex:e"), Activity("ex:a"), Entity("ex:u"), Used("ex:a", "ex:e", id="ex:u"))
    assert "W3C-C54" in codes(doc)


def test_c56_empty_collection_cannot_have_members() -> None:
    empty = Entity("ex:c", attributes=[("prov:type", QName("prov:EmptyCollection"))])
    doc = doc_of(empty, Entity("ex:e"), HadMember("ex:c", "ex:e"))
    assert "W3C-C56" in codes(doc)
    assert codes(doc_of(empty, Entity("ex:e"))) == set()


def test_delegation_activity_may_be_left_out() -> None:
    doc = doc_of(Agent("ex:ag1"), Agent("ex:ag2"), ActedOnBehalfOf("ex:ag2", "ex:ag1"))
    assert codes(doc) == set()


def test_each_bundle_is_checked_on_its_own() -> None:
    doc = doc_of(Entity("ex:x"))
    bundle = doc.bundle("ex:b1")
    bundle.add(Activity("ex:x"))  # fine: different instance from the top level
    assert codes(doc) == set()
    bundle.add(Activity("ex:a"))
    bundle.add(Used("ex:a", "ex:x"))
    issue = only_issue(doc, "W3C-C55")
    assert issue.message.startswith("in bundle ex:b1:")


@pytest.mark.parametrize("rules", ["w3c", "all"])
def test_pipeline_example_is_valid(rules: str) -> None:
    from provarchive.examples import pipeline

    assert validate(pipeline(2_000), rules=rules).valid


def test_c56_empty_collection_typed_with_a_qname_literal() -> None:
    from provarchive.model import Literal

    empty = Entity("ex:c", attributes=[("prov:type", Literal("prov:EmptyCollection", datatype="xsd:QName"))])
    assert "W3C-C56" in codes(doc_of(empty, Entity("ex:e"), HadMember("ex:c", "ex:e")))


H = timedelta(hours=1)


def _ordering_cases() -> dict[int, list[Record]]:
    """For each ordering constraint, dated events that contradict exactly its edge."""
    return {
        30: [Activity("ex:a", T0 + H, T0)],
        33: [Activity("ex:a", T0, T0 + H), Entity("ex:e"), Used("ex:a", "ex:e", T0 - H, id="ex:u")],
        34: [Activity("ex:a", T0, T0 + H), Entity("ex:e"), WasGeneratedBy("ex:e", "ex:a", T0 - H, id="ex:g")],
        35: [Activity("ex:a1", T0 + 2 * H), Activity("ex:a2", None, T0 + H), WasInformedBy("ex:a2", "ex:a1")],
        36: [Entity("ex:e"), WasGeneratedBy("ex:e", None, T0 + H), WasInvalidatedBy("ex:e", None, T0)],
        37: [Activity("ex:a"), Entity("ex:e"), WasGeneratedBy("ex:e", None, T0 + H), Used("ex:a", "ex:e", T0)],
        38: [Activity("ex:a"), Entity("ex:e"), Used("ex:a", "ex:e", T0 + H), WasInvalidatedBy("ex:e", None, T0)],
        41: [
            Entity("ex:e1"),
            Entity("ex:e2"),
            Activity("ex:a"),
            WasDerivedFrom("ex:e2", "ex:e1", "ex:a", "ex:g", "ex:u", id="ex:d"),
            Used("ex:a", "ex:e1", T0 + H, id="ex:u"),
            WasGeneratedBy("ex:e2", "ex:a", T0, id="ex:g"),
        ],
        42: [
            Entity("ex:e1"),
            Entity("ex:e2"),
            WasGeneratedBy("ex:e1", None, T0 + H),
            WasGeneratedBy("ex:e2", None, T0),
            WasDerivedFrom("ex:e2", "ex:e1"),
        ],
        43: [
            Activity("ex:a"),
            Entity("ex:e"),
            WasGeneratedBy("ex:e", None, T0 + H),
            WasStartedBy("ex:a", "ex:e", None, T0),
        ],
        44: [
            Activity("ex:a"),
            Entity("ex:e"),
            WasGeneratedBy("ex:e", None, T0 + H),
            WasEndedBy("ex:a", "ex:e", None, T0),
        ],
        45: [
            Entity("ex:e1"),
            Entity("ex:e2"),
            WasGeneratedBy("ex:e1", None, T0 + H),
            WasGeneratedBy("ex:e2", None, T0),
            SpecializationOf("ex:e2", "ex:e1"),
        ],
        46: [
            Entity("ex:e1"),
            Entity("ex:e2"),
            WasInvalidatedBy("ex:e2", None, T0 + H),
            WasInvalidatedBy("ex:e1", None, T0),
            SpecializationOf("ex:e2", "ex:e1"),
        ],
        47: [
            Activity("ex:a", T0 + H),
            Agent("ex:ag"),
            Entity("ex:ag"),
            WasInvalidatedBy("ex:ag", None, T0),
            WasAssociatedWith("ex:a", "ex:ag"),
        ],
        48: [
            Entity("ex:e"),
            Agent("ex:ag"),
            Entity("ex:ag"),
            WasGeneratedBy("ex:ag", None, T0 + H),
            WasGeneratedBy("ex:e", None, T0),
            WasAttributedTo("ex:e", "ex:ag"),
        ],
        49: [
            Agent("ex:ag1"),
            Agent("ex:ag2"),
            Entity("ex:ag1"),
            Entity("ex:ag2"),
            WasGeneratedBy("ex:ag1", None, T0 + H),
            WasInvalidatedBy("ex:ag2", None, T0),
            ActedOnBehalfOf("ex:ag2", "ex:ag1"),
        ],
    }


@pytest.mark.parametrize("constraint", sorted(_ordering_cases()))
def test_each_ordering_constraint_orders_dated_events(constraint: int) -> None:
    """Every ordering edge is built: its dated events in the wrong order give a warning naming it."""
    report = validate(doc_of(*_ordering_cases()[constraint]), rules="w3c")
    assert report.valid, report.format_text()
    assert f"W3C-C{constraint}" in {issue.code for issue in report.warnings}, report.format_text()


def test_identifiers_compare_as_full_uris() -> None:
    """Two prefixes bound to one namespace name the same things."""
    doc = Document(namespaces={"ex": "http://example.org/", "ex2": "http://example.org/"})
    doc.add(Activity("ex:x"))
    doc.add(Activity("ex:a"))
    doc.add(Used("ex:a", "ex2:x", id="ex:u"))
    issue = only_issue(doc, "W3C-C55")
    assert "ex:x" in issue.message or "ex2:x" in issue.message
