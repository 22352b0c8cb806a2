"""Properties of the validator on random W3C documents (hypothesis).

Random statements over a handful of ids produce every kind of clash (shared ids,
entities used as activities, derivation cycles). Whatever the input, the validator
must not fail, must name a known rule and the records concerned, and its verdict
must not depend on the order of the statements or on repeating them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provarchive.model import RELATION_CLASSES, Activity, Agent, Document, Entity
from provarchive.model.records import Record
from provarchive.validation import validate

IDS = ["ex:a", "ex:b", "ex:c", "ex:d"]
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
KINDS = sorted(RELATION_CLASSES)

maybe_id = st.one_of(st.none(), st.sampled_from(IDS))
maybe_time = st.one_of(st.none(), st.integers(0, 3).map(lambda h: T0 + timedelta(hours=h)))


@st.composite
def records(draw: st.DrawFn) -> Record:
    choice = draw(st.sampled_from(["entity", "activity", "agent"] + KINDS))
    if choice == "entity":
        return Entity(draw(st.sampled_from(IDS)))
    if choice == "activity":
        return Activity(draw(st.sampled_from(IDS)), draw(maybe_time), draw(maybe_time))
    if choice == "agent":
        return Agent(draw(st.sampled_from(IDS)))
    cls = RELATION_CLASSES[choice]
    args = []
    for _name, key in cls.FORMAL:
        if key in ("prov:time", "prov:startTime", "prov:endTime"):
            args.append(draw(maybe_time))
        elif len(args) < 2:
            args.append(draw(st.sampled_from(IDS)))  # first two arguments are mostly given
        else:
            args.append(draw(maybe_id))
    relation_id = draw(st.one_of(st.none(), st.sampled_from(["ex:r1", "ex:r2", "ex:a"])))
    return cls(*args, id=relation_id)


def document(statements: list[Record]) -> Document:
    doc = Document(namespaces={"ex": "http://example.org/"})
    for record in statements:
        doc.add(record)
    return doc


KNOWN_PREFIXES = ("W3C-C", "W3C-DM", "W3C-LINKS", "IVOA-")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=12))
def test_any_document_gets_a_report_naming_rules_and_records(statements: list[Record]) -> None:
    report = validate(document(statements))
    for issue in report.issues:
        assert issue.rule.startswith(KNOWN_PREFIXES), issue
        assert issue.message
        assert issue.records, issue


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=12), st.integers(0, 2**32))
def test_verdict_does_not_depend_on_statement_order(statements: list[Record], seed: int) -> None:
    shuffled = list(statements)
    random.Random(seed).shuffle(shuffled)
    first = validate(document(statements), rules="w3c")
    second = validate(document(shuffled), rules="w3c")
    assert first.valid == second.valid, (first.format_text(), second.format_text())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=10))
def test_repeating_every_statement_keeps_the_verdict(statements: list[Record]) -> None:
    once = validate(document(statements), rules="w3c")
    twice = validate(document(statements + statements), rules="w3c")
    assert once.valid == twice.valid, (once.format_text(), twice.format_text())
