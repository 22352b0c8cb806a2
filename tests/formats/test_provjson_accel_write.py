"""The compiled accelerator of PROV-JSON writing (``_provjson_accel/write.c``) on its own.

Its output is compared with the reference through the writer in
``test_provjson_write.py``; here each function is held to the pure-Python code it
replaces, and its entry points are fed what a mistake in the Python side would feed
them: they must raise, never read the wrong memory.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provarchive.formats.accel import slot_offset
from provarchive.model import Activity, Agent, Entity, Used
from provarchive.model.records import Record

from .accel_paths import require_accel


@pytest.fixture(scope="module")
def accel() -> Any:
    """The compiled module (CI requires it to be built)."""
    return require_accel()


def _unexpected(data: bytes, escapes: int) -> bool:
    """What the search answers: a raw control character, or a backslash that is not one
    of the ``escapes`` orjson wrote. (The pure-Python search counts both together when
    ``escapes`` > 0, which tells the same for the texts the writer makes: orjson writes
    each control character as an escape, with its backslash.)"""
    return any(byte < 0x20 for byte in data) or data.count(b"\\") != escapes


@given(st.binary(max_size=64), st.integers(min_value=0, max_value=3))
def test_output_search_finds_every_raw_escape(data: bytes, escapes: int) -> None:
    module = require_accel()
    for piece in (data, b"x" * 13 + data, data + b"y" * 9):
        assert module.unexpected_escapes(piece, escapes) is _unexpected(piece, escapes)


def test_output_search_is_built(accel: Any) -> None:
    assert accel.unexpected_escapes(b'{"a":"b"}', 0) is False
    assert accel.unexpected_escapes(b'{"a":"\\\\"}' + b"z" * 40, 2) is False
    assert accel.unexpected_escapes(b"z" * 40 + b'{"a":"\\"}', 0) is True
    assert accel.unexpected_escapes(b"z" * 40 + b"\x1f", 0) is True
    assert accel.unexpected_escapes(bytearray(b"\xc3\xa9\x7f\x80\xff" * 9), 0) is False


def test_type_counts_are_counter_s(accel: Any) -> None:
    records: list[Record] = [Entity("ex:a"), Entity("ex:b"), Activity("ex:c"), Entity("ex:d"), Used("ex:c", "ex:a")]
    for listing in (records, [], records[:1], records * 3, records[::-1]):
        counts = accel.count_types(listing)
        assert list(counts.items()) == list(Counter(map(type, listing)).items())
    with pytest.raises(TypeError):
        accel.count_types(tuple(records))


def test_slot_offsets_only_of_object_slots(accel: Any) -> None:
    assert accel.slot_offset(Record.id) > 0
    for not_a_slot in (Record.attributes, Entity.__init__, "id", Agent):
        with pytest.raises(TypeError):
            accel.slot_offset(not_a_slot)
    assert slot_offset(Entity, "name") == accel.slot_offset(Entity.name)
    for not_a_slot_name in ("attributes", "no_such_slot"):
        with pytest.raises(TypeError):
            slot_offset(Entity, not_a_slot_name)


def _call(accel: Any, records: list[Record], specs: dict[type, tuple], **callbacks: object) -> tuple:
    id_offset = accel.slot_offset(Record.id)
    attrs_offset = accel.slot_offset(Record._attributes)

    def refuse(*args: object) -> None:
        raise AssertionError(f"unexpected callback {args}")

    slow = callbacks.get("slow", refuse)
    extras = callbacks.get("extras", refuse)
    associate = callbacks.get("associate", refuse)
    return accel.write_records(records, specs, 2, 1, slow, extras, associate, id_offset, attrs_offset, 0)


def test_specs_that_do_not_fit_their_class_are_refused(accel: Any) -> None:
    label = accel.slot_offset(Entity.name)
    head = b'"prov:label":'
    good = (0, [], ((label, head, 0, 1, None, False),), frozenset({"prov:label"}), -1)
    assert _call(accel, [Entity("ex:e", name="E")], {Entity: good})[2][0] == b',"ex:e":{"prov:label":"E"}'
    bad_offsets = [
        (0, [], ((10_000, head, 0, 1, None, False),), frozenset(), -1),  # beyond the instance
        (0, [], ((0, head, 0, 1, None, False),), frozenset(), -1),  # the object header
        (0, [], (), frozenset(), 10_000),  # the description slot
    ]
    for spec in bad_offsets:
        with pytest.raises(ValueError, match="outside the instances"):
            _call(accel, [Entity("ex:e")], {Entity: spec})
    bad_shapes: list[tuple] = [
        (5, [], (), frozenset(), -1),  # a kind out of range
        (0, [], ((label, head, 9, 1, None, False),), frozenset(), -1),  # an unknown how
        (0, [], ((label, head, 0, 7, None, False),), frozenset(), -1),  # an unknown guard
        (0, [], ((0, head, 4, 0, "not bytes", False),), frozenset(), -1),  # a constant that is not bytes
        (0, (), (), frozenset(), -1),  # named not a list
    ]
    for spec in bad_shapes:
        with pytest.raises((ValueError, TypeError)):
            _call(accel, [Entity("ex:e")], {Entity: spec})


def test_unset_slots_and_unusual_values_go_to_python(accel: Any) -> None:
    label = accel.slot_offset(Entity.name)
    spec = (0, [], ((label, b'"prov:label":', 0, 1, None, False),), frozenset({"prov:label"}), -1)
    bare = Entity.__new__(Entity)  # no slot set at all
    subclass_value = Entity("ex:s", name=type("Text", (str,), {})("sub"))
    quoted = Entity('ex:"q"')
    handed: list[object] = []

    def slow(record: Record, n: int) -> tuple[int, int, str]:
        handed.append(record)
        return n, 0, ',"python":{}'

    n, _vp, texts, _before = _call(accel, [bare, subclass_value, quoted, Entity("ex:ok")], {Entity: spec}, slow=slow)
    assert handed == [bare, subclass_value, quoted]
    assert texts[0] == b',"python":{},"python":{},"python":{},"ex:ok":{}'
    assert n == 0


def test_records_removed_by_a_callback_are_not_read(accel: Any) -> None:
    records: list[Record] = [Agent("ex:ag"), Entity("ex:e1"), Entity("ex:e2")]

    def slow(record: Record, n: int) -> tuple[int, int, str]:
        records.clear()  # the loop reads the list by index: it stops here
        return n, 0, ',"ex:ag":{}'

    spec = (0, [], (), frozenset(), -1)
    n, _vp, texts, _before = _call(accel, records, {Entity: spec}, slow=slow)
    assert texts == (b',"ex:ag":{}', b"")


def test_callback_errors_and_bad_results_propagate(accel: Any) -> None:
    records: list[Record] = [Agent("ex:ag")]

    def failing(record: Record, n: int) -> tuple[int, int, str]:
        raise RuntimeError("from Python")

    with pytest.raises(RuntimeError, match="from Python"):
        _call(accel, records, {}, slow=failing)
    for result in [(0, 9, ""), (0, 0, b""), (0, ""), None]:
        with pytest.raises((TypeError, ValueError)):
            _call(accel, records, {}, slow=lambda record, n, result=result: result)


def test_times_in_and_out_of_utc(accel: Any) -> None:
    start = accel.slot_offset(Activity.start_time)
    spec = (0, [], ((start, b'"prov:startTime":', 1, 1, None, False),), frozenset(), -1)
    from datetime import timedelta, timezone

    handed: list[object] = []

    def slow(record: Record, n: int) -> tuple[int, int, str]:
        handed.append(record)
        return n, 0, ""

    utc = Activity("ex:u", datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=timezone.utc))
    naive = Activity("ex:n", datetime(5, 1, 2, 3, 4, 5))
    elsewhere = Activity("ex:x", datetime(2024, 5, 6, tzinfo=timezone(timedelta(hours=2))))
    _n, _vp, texts, _before = _call(accel, [utc, naive, elsewhere], {Activity: spec}, slow=slow)
    assert texts[0] == (
        b',"ex:u":{"prov:startTime":"2024-05-06T07:08:09.000010+00:00"},"ex:n":{"prov:startTime":"0005-01-02T03:04:05"}'
    )
    assert handed == [elsewhere]
