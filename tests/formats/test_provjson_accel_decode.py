"""The compiled PROV-JSON decoders (``_provjson_accel/decode.c``) on their own.

What they build is compared with the generated Python decoders and the careful path in
``test_provjson.py`` (every test there runs with and without them); here their time
reading is held to ``datetime.fromisoformat``, and their entry point is fed what a
mistake on the Python side would feed it: it must raise, never touch the wrong memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provarchive.formats import provjson_decoders
from provarchive.model import Entity, Used
from provarchive.model.ids import Namespaces
from provarchive.model.records import Record
from provarchive.model.w3c import keyed_kinds

from .accel_paths import require_accel


@pytest.fixture(scope="module")
def accel() -> Any:
    """The compiled module (CI requires it to be built)."""
    return require_accel()


def _fromisoformat(text: str) -> object:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return ValueError
    return (value, value.tzinfo)


def _parse_time(accel: Any, text: str) -> object:
    try:
        value = accel.parse_time(text)
    except ValueError:
        return ValueError
    return (value, value.tzinfo)


_TIMES = st.one_of(
    # the spellings read in C, with every field in and out of range
    st.builds(
        lambda y, mo, d, h, mi, s, frac, zone: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{frac}{zone}",
        st.integers(0, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 60),
        st.integers(0, 61),
        st.sampled_from(["", ".000000", ".123456", ".5", ".1234567", "."]),
        st.sampled_from(["", "Z", "+00:00", "-00:00", "+01:00", "z", "+00:00:00", "+0000", " "]),
    ),
    # anything close to them
    st.text(alphabet=st.sampled_from("0123456789-:T.Z+ ")),
)


@given(_TIMES)
def test_times_are_read_as_fromisoformat_reads_them(text: str) -> None:
    assert _parse_time(require_accel(), text) == _fromisoformat(text)


def test_usual_times_are_read(accel: Any) -> None:
    for text in ["2024-02-29T23:59:59", "2024-02-29T23:59:59.000001Z", "0001-01-01T00:00:00-00:00"]:
        assert _parse_time(accel, text) == _fromisoformat(text)
    for text in ["2023-02-29T00:00:00", "2024-04-31T00:00:00Z", "ü", ""]:
        assert _parse_time(accel, text) is ValueError
    with pytest.raises(TypeError):
        accel.parse_time(b"2024-01-01T00:00:00")


def _used_plan() -> tuple[Any, ...]:
    plan = provjson_decoders._accel_plan(keyed_kinds(Namespaces())["used"])  # type: ignore[index]
    assert plan is not None
    return plan


def _decode(accel: Any, plan: tuple[Any, ...], group: dict[str, Any], slow: Any = None) -> list[Record]:
    out: list[Record] = []

    def refuse(rid: str, body: object) -> None:
        raise AssertionError(f"unexpected slow({rid!r})")

    def attributes(body: dict[str, Any], rid: str, skip: frozenset[str]) -> list[tuple[str, Any]]:
        return [(key, value) for key, value in body.items() if key not in skip]

    accel.decode_records(plan, group, out, slow or refuse, ("ex:", "prov:"), lambda name: None, attributes, set(), None)
    return out


def test_a_plan_builds_records_with_every_slot_set(accel: Any) -> None:
    body = {"prov:activity": "ex:a", "prov:entity": "ex:e", "prov:time": "2024-01-01T00:00:00Z", "ex:x": "y"}
    (record,) = _decode(accel, _used_plan(), {"_:u1": body})
    assert isinstance(record, Used)
    assert (record.id, record.activity, record.entity, record.role) == (None, "ex:a", "ex:e", None)
    assert record.time == datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    assert record.attributes == [("ex:x", "y")]


def _with_class(plan: tuple[Any, ...], **changes: Any) -> tuple[Any, ...]:
    """``plan`` with its default class spec changed (fields by name)."""
    names = ["cls", "formal", "slots", "none", "bundle", "lists", "fixed", "skip"]
    spec = dict(zip(names, plan[5][0], strict=True))
    spec.update(changes)
    return (*plan[:5], (tuple(spec[name] for name in names), *plan[5][1:]), *plan[6:])


def test_plans_that_do_not_fit_their_class_are_refused(accel: Any) -> None:
    plan = _used_plan()
    group = {"_:u": {"prov:activity": "ex:a"}}
    outside = [
        _with_class(plan, formal=(10_000, 24, 32)),
        _with_class(plan, formal=(0, 24, 32)),
        _with_class(plan, none=(10_000,)),
        _with_class(plan, lists=(-8,)),
        _with_class(plan, bundle=10_000),
        _with_class(plan, fixed=((10_000, "x"),)),
        _with_class(plan, slots=((10_000, "prov:role", 0),)),
        (*plan[:6], 10_000, plan[7]),
    ]
    for bad in outside:
        with pytest.raises(ValueError, match="outside the instances"):
            _decode(accel, bad, group)
    shapes: list[tuple[Any, ...]] = [
        _with_class(plan, formal=(24, 32)),  # fewer formal offsets than keys
        _with_class(plan, slots=((24, "prov:role", 9),)),  # an unknown how
        _with_class(plan, slots=((24, b"prov:role", 0),)),  # a key that is not a str
        _with_class(plan, cls=type("Made", (Used,), {"__new__": lambda cls: object.__new__(cls)})),
        (*plan[:5], (), *plan[6:]),  # no class
        (*plan[:4], ["not", "a dict"], *plan[5:]),  # by_type
    ]
    for bad in shapes:
        with pytest.raises((ValueError, TypeError)):
            _decode(accel, bad, group)
    with pytest.raises(TypeError):  # known holds a name that is not a str
        accel.decode_records(plan, group, [], None, (1,), None, None, set(), None)


def test_unusual_records_go_to_slow_and_its_errors_propagate(accel: Any) -> None:
    handed: list[str] = []
    group: dict[str, Any] = {
        "_:u1": {"prov:activity": "ex:a"},
        "_:u2": ["a list"],
        "_:u3": {"prov:entity": "ex:e"},  # no subject
        "_:u4": {"prov:activity": "ex:a", "prov:time": "not a time"},
        "_:u5": {"prov:activity": "ex:a", "prov:time": "2024-13-01T00:00:00"},
        "_:u6": {"prov:activity": "ex:a", "prov:role": None, "ex:x": 1},
    }
    records = _decode(accel, _used_plan(), group, slow=lambda rid, body: handed.append(rid))
    assert [type(r) for r in records] == [Used]
    assert handed == ["_:u2", "_:u3", "_:u4", "_:u5", "_:u6"]

    def failing(rid: str, body: object) -> None:
        raise RuntimeError(f"slow {rid}")

    with pytest.raises(RuntimeError, match="slow _:u2"):
        _decode(accel, _used_plan(), group, slow=failing)


def test_a_slow_path_that_empties_the_section_is_survived(accel: Any) -> None:
    group: dict[str, Any] = {"_:u1": ["odd"], "_:u2": {"prov:activity": "ex:a"}}

    def clearing(rid: str, body: object) -> None:
        group.clear()

    assert _decode(accel, _used_plan(), group, slow=clearing) == []


def test_elements_get_the_bundle_they_are_read_into(accel: Any) -> None:
    plan = provjson_decoders._accel_plan(keyed_kinds(Namespaces())["entity"])  # type: ignore[index]
    out: list[Record] = []
    marker = object()
    accel.decode_records(plan, {"ex:e": {"prov:label": "E"}}, out, None, ("ex:",), None, None, set(), marker)
    (entity,) = out
    assert isinstance(entity, Entity)
    assert entity._bundle is marker and entity.name == "E" and entity.description is None
