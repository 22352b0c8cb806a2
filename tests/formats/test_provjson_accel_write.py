"""The compiled accelerator of PROV-JSON writing (``_provjson_accel/write.c``) on its own.

Its output is compared with the reference through the writer in
``test_provjson_write.py``; here each function is held to the pure-Python code it
replaces, and its entry points are fed what a mistake in the Python side would feed
them: they must raise, never read the wrong memory.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provarchive.formats import provjson_write
from provarchive.model import Activity, Agent, Entity, Used
from provarchive.model.records import Record
from tests.conftest import require_external


@pytest.fixture(scope="module")
def text() -> object:
    """The compiled module (CI requires it to be built)."""
    module = provjson_write._COMPILED
    require_external(
        "the compiled PROV-JSON accelerator (provarchive.formats._provjson_accel)",
        module is not None,
        "installing provarchive builds it where a C compiler and the Python headers are present",
    )
    return module


def _unexpected(data: bytes, escapes: int) -> bool:
    """What the search answers: a raw control character, or a backslash that is not one
    of the ``escapes`` orjson wrote. (The pure-Python search counts both together when
    ``escapes`` > 0, which tells the same for the texts the writer makes: orjson writes
    each control character as an escape, with its backslash.)"""
    return any(byte < 0x20 for byte in data) or data.count(b"\\") != escapes


@given(st.binary(max_size=64), st.integers(min_value=0, max_value=3))
def test_output_search_finds_every_raw_escape(data: bytes, escapes: int) -> None:
    module = provjson_write._COMPILED
    if module is None:
        pytest.skip("not built (test_output_search_is_built says whether CI requires it)")
    for piece in (data, b"x" * 13 + data, data + b"y" * 9):
        assert module.unexpected_escapes(piece, escapes) is _unexpected(piece, escapes)


def test_output_search_is_built(text: object) -> None:
    assert text.unexpected_escapes(b'{"a":"b"}', 0) is False  # type: ignore[attr-defined]
    assert text.unexpected_escapes(b'{"a":"\\\\"}' + b"z" * 40, 2) is False  # type: ignore[attr-defined]
    assert text.unexpected_escapes(b"z" * 40 + b'{"a":"\\"}', 0) is True  # type: ignore[attr-defined]
    assert text.unexpected_escapes(b"z" * 40 + b"\x1f", 0) is True  # type: ignore[attr-defined]
    assert text.unexpected_escapes(bytearray(b"\xc3\xa9\x7f\x80\xff" * 9), 0) is False  # type: ignore[attr-defined]


def test_type_counts_are_counter_s(text: object) -> None:
    records: list[Record] = [Entity("ex:a"), Entity("ex:b"), Activity("ex:c"), Entity("ex:d"), Used("ex:c", "ex:a")]
    for listing in (records, [], records[:1], records * 3, records[::-1]):
        counts = text.count_types(listing)  # type: ignore[attr-defined]
        assert list(counts.items()) == list(Counter(map(type, listing)).items())
    with pytest.raises(TypeError):
        text.count_types(tuple(records))  # type: ignore[attr-defined]


def test_slot_offsets_only_of_object_slots(text: object) -> None:
    assert text.slot_offset(Record.id) > 0  # type: ignore[attr-defined]
    for not_a_slot in (Record.attributes, Entity.__init__, "id", Agent):
        with pytest.raises(TypeError):
            text.slot_offset(not_a_slot)  # type: ignore[attr-defined]


def _call(text: object, records: list[Record], specs: dict[type, tuple], **callbacks: object) -> tuple:
    id_offset = text.slot_offset(Record.id)  # type: ignore[attr-defined]
    attrs_offset = text.slot_offset(Record._attributes)  # type: ignore[attr-defined]

    def refuse(*args: object) -> None:
        raise AssertionError(f"unexpected callback {args}")

    slow = callbacks.get("slow", refuse)
    extras = callbacks.get("extras", refuse)
    associate = callbacks.get("associate", refuse)
    return text.write_records(  # type: ignore[attr-defined]
        records, specs, 2, 1, slow, extras, associate, id_offset, attrs_offset, 0
    )


def test_specs_that_do_not_fit_their_class_are_refused(text: object) -> None:
    label = text.slot_offset(Entity.name)  # type: ignore[attr-defined]
    head = b'"prov:label":'
    good = (0, [], ((label, head, 0, 1, None, False),), frozenset({"prov:label"}), -1)
    assert _call(text, [Entity("ex:e", name="E")], {Entity: good})[2][0] == b',"ex:e":{"prov:label":"E"}'
    bad_offsets = [
        (0, [], ((10_000, head, 0, 1, None, False),), frozenset(), -1),  # beyond the instance
        (0, [], ((0, head, 0, 1, None, False),), frozenset(), -1),  # the object header
        (0, [], (), frozenset(), 10_000),  # the description slot
    ]
    for spec in bad_offsets:
        with pytest.raises(ValueError, match="outside the instances"):
            _call(text, [Entity("ex:e")], {Entity: spec})
    bad_shapes: list[tuple] = [
        (5, [], (), frozenset(), -1),  # a kind out of range
        (0, [], ((label, head, 9, 1, None, False),), frozenset(), -1),  # an unknown how
        (0, [], ((label, head, 0, 7, None, False),), frozenset(), -1),  # an unknown guard
        (0, [], ((0, head, 4, 0, "not bytes", False),), frozenset(), -1),  # a constant that is not bytes
        (0, (), (), frozenset(), -1),  # named not a list
    ]
    for spec in bad_shapes:
        with pytest.raises((ValueError, TypeError)):
            _call(text, [Entity("ex:e")], {Entity: spec})


def test_unset_slots_and_unusual_values_go_to_python(text: object) -> None:
    label = text.slot_offset(Entity.name)  # type: ignore[attr-defined]
    spec = (0, [], ((label, b'"prov:label":', 0, 1, None, False),), frozenset({"prov:label"}), -1)
    bare = Entity.__new__(Entity)  # no slot set at all
    subclass_value = Entity("ex:s", name=type("Text", (str,), {})("sub"))
    quoted = Entity('ex:"q"')
    handed: list[object] = []

    def slow(record: Record, n: int) -> tuple[int, int, str]:
        handed.append(record)
        return n, 0, ',"python":{}'

    n, _vp, texts, _before = _call(text, [bare, subclass_value, quoted, Entity("ex:ok")], {Entity: spec}, slow=slow)
    assert handed == [bare, subclass_value, quoted]
    assert texts[0] == b',"python":{},"python":{},"python":{},"ex:ok":{}'
    assert n == 0


def test_records_removed_by_a_callback_are_not_read(text: object) -> None:
    records: list[Record] = [Agent("ex:ag"), Entity("ex:e1"), Entity("ex:e2")]

    def slow(record: Record, n: int) -> tuple[int, int, str]:
        records.clear()  # the loop reads the list by index: it stops here
        return n, 0, ',"ex:ag":{}'

    spec = (0, [], (), frozenset(), -1)
    n, _vp, texts, _before = _call(text, records, {Entity: spec}, slow=slow)
    assert texts == (b',"ex:ag":{}', b"")


def test_callback_errors_and_bad_results_propagate(text: object) -> None:
    records: list[Record] = [Agent("ex:ag")]

    def failing(record: Record, n: int) -> tuple[int, int, str]:
        raise RuntimeError("from Python")

    with pytest.raises(RuntimeError, match="from Python"):
        _call(text, records, {}, slow=failing)
    for result in [(0, 9, ""), (0, 0, b""), (0, ""), None]:
        with pytest.raises((TypeError, ValueError)):
            _call(text, records, {}, slow=lambda record, n, result=result: result)


def test_times_in_and_out_of_utc(text: object) -> None:
    start = text.slot_offset(Activity.start_time)  # type: ignore[attr-defined]
    spec = (0, [], ((start, b'"prov:startTime":', 1, 1, None, False),), frozenset(), -1)
    from datetime import timedelta, timezone

    handed: list[object] = []

    def slow(record: Record, n: int) -> tuple[int, int, str]:
        handed.append(record)
        return n, 0, ""

    utc = Activity("ex:u", datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=timezone.utc))
    naive = Activity("ex:n", datetime(5, 1, 2, 3, 4, 5))
    elsewhere = Activity("ex:x", datetime(2024, 5, 6, tzinfo=timezone(timedelta(hours=2))))
    _n, _vp, texts, _before = _call(text, [utc, naive, elsewhere], {Activity: spec}, slow=slow)
    assert texts[0] == (
        b',"ex:u":{"prov:startTime":"2024-05-06T07:08:09.000010+00:00"},"ex:n":{"prov:startTime":"0005-01-02T03:04:05"}'
    )
    assert handed == [elsewhere]
