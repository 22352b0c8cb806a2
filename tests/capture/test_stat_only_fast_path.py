"""Recording a plain file under a stat-only policy skips the entity record: same spool, byte for byte.

``RecordedActivity.used``/``generated`` take a fast path for an existing plain file when
nothing is hashed (one stat, the entity id, one format call, one write). The reference
here is the same activity with that fast path switched off, so that every event goes
through ``EntityBuilder.entity`` and the generic encoder: both must write identical
lines, and everything the fast path does not handle (directories, FITS files, missing
paths, URLs, entity ids, undecodable names, explicit hash modes, names) must fall
through to the generic path.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from provarchive.capture.entities import EntityBuilder
from provarchive.capture.events import encode
from provarchive.capture.recorder import RecordedActivity
from provarchive.capture.spool import compile_spool
from provarchive.model import ActivityDescription, Document

ACTIVITY_ID = "pa:activity-fastpath"
#: One version of the output declared before it is written, the same in both runs.
LATER_MTIME_NS = 1_700_000_000_000_000_000


def _description() -> ActivityDescription:
    doc = Document(namespaces={"ex": "http://example.org/"})
    desc = doc.activity_description("ex:calib", name="calibrate")
    desc.usage("raw", multiplicity="*")
    desc.usage("other", multiplicity="*")
    desc.generation("dl1", multiplicity="*")
    return desc


def _targets(tmp_path: Path) -> list[tuple[str, str | Path, str | None, bool]]:
    """(used|generated, target, role, takes the fast path) for the fast path and every fallback.

    Files are written once per test: a rewritten file would be a new entity.
    """
    data = tmp_path / "data"
    (data / "dir").mkdir(parents=True, exist_ok=True)
    (data / "later.dat").unlink(missing_ok=True)
    for name in ("dir/member.txt", "a.dat", 'odd "name"\n\u00e9.dat', "b.fits", "out.dat"):
        if not (data / name).exists():
            (data / name).write_bytes(b"x" * 10)
    targets: list[tuple[str, str | Path, str | None, bool]] = [
        ("used", str(data / "a.dat"), "raw", True),  # clean absolute
        ("used", str(data / "a.dat"), "other", True),  # another role: another line template
        ("used", data / "a.dat", "raw", True),  # a Path
        ("used", "data/a.dat", "raw", True),  # relative: made absolute
        ("used", str(data / "." / "a.dat"), "raw", True),  # not normalised: made absolute
        ("used", str(data / 'odd "name"\n\u00e9.dat'), "raw", True),  # escaped in JSON
        ("used", str(data / "b.fits"), "raw", False),  # FITS: its checksums are read
        ("used", str(data / "dir"), "raw", False),  # directory: a collection
        ("used", str(data / "missing.dat"), "raw", False),  # missing
        ("used", "ex:known-entity", "raw", False),  # an entity id
        ("used", "https://example.org/x.dat", "raw", False),  # a URL
        ("generated", str(data / "out.dat"), "dl1", True),
        ("generated", data / "later.dat", "dl1", False),  # not written yet: recorded at the end
    ]
    try:
        undecodable = os.fsdecode(os.fsencode(str(data)) + b"/bad\xff.dat")
        if not os.path.exists(undecodable):
            Path(undecodable).write_bytes(b"y")
    except (OSError, UnicodeError):  # pragma: no cover - a file system refusing such names
        pass
    else:
        targets.append(("used", undecodable, "raw", True))  # fast stat, then the generic encoder
    return targets


def _record(tmp_path: Path, spool: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str | None], int]:
    """Record every target, with the fast path on or off; (returned ids, calls of entity())."""
    calls = 0
    generic = EntityBuilder.entity

    def counting(self: EntityBuilder, *args: object, **kwargs: object) -> dict[str, object]:
        nonlocal calls
        calls += 1
        return generic(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(EntityBuilder, "entity", counting)
    if not fast:
        monkeypatch.setattr(RecordedActivity, "_record_stat_only_file", lambda *args: None)
    monkeypatch.chdir(tmp_path)
    ids: list[str | None] = []
    act = RecordedActivity(
        "calibrate", spool=spool, hash="stat", description=_description(), environment=False, id=ACTIVITY_ID
    )
    with act:
        for kind, target, role, _fast in _targets(tmp_path):
            ids.append(act.used(target, role) if kind == "used" else act.generated(target, role))
        later = tmp_path / "data" / "later.dat"
        later.write_bytes(b"late")
        os.utime(later, ns=(LATER_MTIME_NS, LATER_MTIME_NS))
    monkeypatch.undo()
    return ids, calls


def _file_lines(spool: Path) -> list[bytes]:
    """The used/generated lines with the clock reading blanked (it differs between runs)."""
    lines = spool.read_bytes().splitlines(keepends=True)
    chosen = [line for line in lines if line.startswith((b'{"e":"used"', b'{"e":"generated"'))]
    return [re.sub(rb',"t":[0-9.e+-]+', b',"t":0', line) for line in chosen]


def test_fast_and_generic_paths_write_the_same_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_ids, fast_calls = _record(tmp_path, tmp_path / "fast.jsonl", True, monkeypatch)
    generic_ids, generic_calls = _record(tmp_path, tmp_path / "generic.jsonl", False, monkeypatch)
    targets = _targets(tmp_path)
    assert fast_ids == generic_ids
    pending = [index for index, (_, target, _, _) in enumerate(targets) if str(target).endswith("later.dat")]
    assert [index for index, entity_id in enumerate(fast_ids) if entity_id is None] == pending
    fast_lines = _file_lines(tmp_path / "fast.jsonl")
    assert fast_lines == _file_lines(tmp_path / "generic.jsonl")
    assert len(fast_lines) == len(targets)  # later.dat is written when the activity ends
    assert generic_calls == len(targets) + 1  # + later.dat at the end
    assert fast_calls == generic_calls - sum(1 for *_, fast in targets if fast)
    fast_doc, generic_doc = compile_spool(tmp_path / "fast.jsonl"), compile_spool(tmp_path / "generic.jsonl")
    assert _entities(fast_doc) == _entities(generic_doc)


def _entities(doc: Document) -> list[tuple[object, ...]]:
    return sorted((str(e.id), e.name, e.location, repr(e.attributes)) for e in doc.entities)


def test_every_fast_line_is_what_the_generic_encoder_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte for byte, except the clock: the fast path writes it with exactly 6 decimals."""
    _record(tmp_path, tmp_path / "fast.jsonl", True, monkeypatch)
    fast_paths = {os.path.abspath(tmp_path / target) for _, target, _, fast in _targets(tmp_path) if fast}
    fast_lines = 0
    for line in (tmp_path / "fast.jsonl").read_bytes().splitlines(keepends=True):
        event = json.loads(line)
        if event["e"] in ("used", "generated") and event["ent"].get("path") in fast_paths and b"\\udc" not in line:
            fast_lines += 1
            clock = re.search(rb',"t":([0-9.]+)', line)
            assert clock is not None and re.fullmatch(rb"[0-9]{10,}\.[0-9]{6}", clock.group(1))
            assert abs(event["t"] - time.time()) < 60
        assert re.sub(rb',"t":[0-9.e+-]+', b',"t":0', encode(event)) == re.sub(rb',"t":[0-9.e+-]+', b',"t":0', line)
    assert fast_lines == 7


def test_explicit_hash_mode_name_or_hashing_policy_take_the_generic_path(tmp_path: Path) -> None:
    sample = tmp_path / "s.dat"
    sample.write_bytes(b"content")
    with RecordedActivity("a", spool=tmp_path / "s.jsonl", hash="stat", environment=False) as act:
        act.used(str(sample), hash="full")
        act.used(str(sample), name="the sample")
    with RecordedActivity("b", spool=tmp_path / "s.jsonl", hash="full", environment=False) as act:
        act.used(str(sample))
    events = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    used = [event["ent"] for event in events if event["e"] == "used"]
    assert used[0]["hash"]["status"] == "complete"
    assert used[1]["name"] == "the sample" and used[1]["hash"] == {"status": "stat"}
    assert used[2]["hash"]["status"] == "complete"


def test_recording_before_start_is_refused_on_both_paths(tmp_path: Path) -> None:
    sample = tmp_path / "s.dat"
    sample.write_bytes(b"content")
    act = RecordedActivity("a", spool=tmp_path / "s.jsonl", hash="stat", environment=False)
    for target in (str(sample), str(tmp_path / "missing.dat")):
        with pytest.raises(RuntimeError, match="is not started"):
            act.used(target)


def test_used_many_and_generated_many_write_what_one_call_per_file_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same lines in the same order, fallbacks included; plain files batched per BATCH_EVENTS."""
    from provarchive.capture import recorder

    targets = _targets(tmp_path)
    inputs = [target for kind, target, _, _ in targets if kind == "used"]
    outputs = [target for kind, target, _, _ in targets if kind == "generated"]
    monkeypatch.chdir(tmp_path)

    def record(spool: Path, many: bool) -> tuple[list[str | None], int]:
        (tmp_path / "data" / "later.dat").unlink(missing_ok=True)
        writes = 0
        write_line = recorder.SpoolWriter.write_line

        def counting(self: recorder.SpoolWriter, data: bytes) -> None:
            nonlocal writes
            writes += 1
            write_line(self, data)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(recorder, "BATCH_EVENTS", 4)  # so that a batch is pending at a fallback
            patch.setattr(recorder.SpoolWriter, "write_line", counting)
            act = RecordedActivity("calibrate", spool=spool, hash="stat", environment=False, id=ACTIVITY_ID)
            with act:
                if many:
                    ids = [*act.used_many(inputs, "raw"), *act.generated_many(outputs, "dl1")]
                else:
                    ids = [*(act.used(t, "raw") for t in inputs), *(act.generated(t, "dl1") for t in outputs)]
                later = tmp_path / "data" / "later.dat"
                later.write_bytes(b"late")
                os.utime(later, ns=(LATER_MTIME_NS, LATER_MTIME_NS))
        return ids, writes

    many_ids, many_writes = record(tmp_path / "many.jsonl", True)
    single_ids, single_writes = record(tmp_path / "single.jsonl", False)
    assert many_ids == single_ids
    assert _file_lines(tmp_path / "many.jsonl") == _file_lines(tmp_path / "single.jsonl")
    assert many_writes < single_writes
    strict = RecordedActivity("strict", spool=tmp_path / "s.jsonl", description=_description(), environment=False)
    with strict as act, pytest.raises(ValueError, match="not an input role"):
        act.used_many(inputs, "unknown")
