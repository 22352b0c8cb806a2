"""Recording a plain file under a stat-only policy skips the entity record: same spool, byte for byte.

``RecordedActivity.used``/``generated`` given a ``str`` take a fast path (one stat, the
entity id, one format call, one write); given a ``Path`` they take the generic path
through ``EntityBuilder.entity``. Both must write identical lines, and everything the
fast path does not handle (directories, FITS files, missing paths, URLs, entity ids,
undecodable names, explicit hash modes, names) must fall through to the generic path.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from provarchive.capture.entities import EntityBuilder
from provarchive.capture.events import encode
from provarchive.capture.recorder import RecordedActivity
from provarchive.capture.spool import compile_spool
from provarchive.model import ActivityDescription, Document

ACTIVITY_ID = "pa:activity-fastpath"


def _description() -> ActivityDescription:
    doc = Document(namespaces={"ex": "http://example.org/"})
    desc = doc.activity_description("ex:calib", name="calibrate")
    desc.usage("raw", multiplicity="*")
    desc.usage("other", multiplicity="*")
    desc.generation("dl1", multiplicity="*")
    return desc


def _targets(tmp_path: Path) -> list[tuple[str, str, str | None]]:
    """(used|generated, path text, role) covering the fast path and every fallback.

    Files are written once per test: a rewritten file would be a new entity.
    """
    data = tmp_path / "data"
    (data / "dir").mkdir(parents=True, exist_ok=True)
    (data / "later.dat").unlink(missing_ok=True)
    for name in ("dir/member.txt", "a.dat", 'odd "name"\n\u00e9.dat', "b.fits", "out.dat"):
        if not (data / name).exists():
            (data / name).write_bytes(b"x" * 10)
    targets: list[tuple[str, str, str | None]] = [
        ("used", str(data / "a.dat"), "raw"),  # clean absolute: fast
        ("used", str(data / "a.dat"), "other"),  # another role, another line template
        ("used", "data/a.dat", "raw"),  # relative: fast after abspath
        ("used", str(data / "." / "a.dat"), "raw"),  # not normalised: fast after abspath
        ("used", str(data / 'odd "name"\n\u00e9.dat'), "raw"),  # escaped in JSON: fast
        ("used", str(data / "b.fits"), "raw"),  # FITS: generic (checksums)
        ("used", str(data / "dir"), "raw"),  # directory: generic (collection)
        ("used", str(data / "missing.dat"), "raw"),  # missing: generic
        ("generated", str(data / "out.dat"), "dl1"),  # fast
        ("generated", str(data / "later.dat"), "dl1"),  # not written yet: pending, generic
    ]
    try:
        undecodable = os.fsdecode(os.fsencode(str(data)) + b"/bad\xff.dat")
        if not os.path.exists(undecodable):
            Path(undecodable).write_bytes(b"y")
    except (OSError, UnicodeError):  # pragma: no cover - a file system refusing such names
        pass
    else:
        targets.append(("used", undecodable, "raw"))  # lone surrogate: fast stat, generic encoder
    return targets


def _record(
    tmp_path: Path, spool: Path, as_path: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str | None], int]:
    """Record every target (as str, or as Path to force the generic path); (ids, generic calls).

    The generic path then also skips :func:`file_event_line` (which shares the fast
    path's formatting), so its spool is what :func:`encode` writes from entity records.
    """
    calls = 0
    generic = EntityBuilder.entity

    def counting(self: EntityBuilder, *args: object, **kwargs: object) -> dict[str, object]:
        nonlocal calls
        calls += 1
        return generic(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(EntityBuilder, "entity", counting)
    if as_path:  # the reference: entity records written by the generic encoder alone
        monkeypatch.setattr("provarchive.capture.recorder.file_event_line", lambda *args: None)
    monkeypatch.chdir(tmp_path)
    ids: list[str | None] = []
    act = RecordedActivity(
        "calibrate", spool=spool, hash="stat", description=_description(), environment=False, id=ACTIVITY_ID
    )
    with act:
        for kind, text, role in _targets(tmp_path):
            target = Path(text) if as_path else text
            ids.append(act.used(target, role) if kind == "used" else act.generated(target, role))
        ids.append(act.used("ex:known-entity", "raw"))
        ids.append(act.used("https://example.org/x.dat", "raw"))
        later = tmp_path / "data" / "later.dat"  # resolved when the activity ends
        later.write_bytes(b"late")
        os.utime(later, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))  # the same version both times
    monkeypatch.undo()
    return ids, calls


def _file_lines(spool: Path) -> list[bytes]:
    """The used/generated lines with the clock reading blanked (it differs between runs)."""
    lines = [line for line in spool.read_bytes().splitlines(keepends=True) if b'"e":"used"' in line[:12]]
    lines += [line for line in spool.read_bytes().splitlines(keepends=True) if b'"e":"generated"' in line[:17]]
    return [re.sub(rb',"t":[0-9.e+-]+', b',"t":0', line) for line in lines]


def test_fast_and_generic_paths_write_the_same_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_ids, fast_generic_calls = _record(tmp_path, tmp_path / "fast.jsonl", False, monkeypatch)
    slow_ids, slow_generic_calls = _record(tmp_path, tmp_path / "slow.jsonl", True, monkeypatch)
    assert fast_ids == slow_ids
    assert _file_lines(tmp_path / "fast.jsonl") == _file_lines(tmp_path / "slow.jsonl")
    assert len(_file_lines(tmp_path / "fast.jsonl")) == len(fast_ids)  # the pending None is later.dat
    # four spellings of a.dat, the odd and undecodable names and out.dat skipped entity()
    fast_targets = [text for _, text, _ in _targets(tmp_path) if text.endswith(".dat") and "missing" not in text]
    assert slow_generic_calls - fast_generic_calls == len(fast_targets) - 1  # later.dat was pending
    assert fast_generic_calls == len(fast_ids) + 1 - (len(fast_targets) - 1)  # + later.dat resolved
    fast_doc, slow_doc = compile_spool(tmp_path / "fast.jsonl"), compile_spool(tmp_path / "slow.jsonl")
    assert _entities(fast_doc) == _entities(slow_doc)


def _entities(doc: Document) -> list[tuple[object, ...]]:
    return sorted((str(e.id), e.name, e.location, repr(e.attributes)) for e in doc.entities)


def test_every_fast_line_is_what_the_generic_encoder_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(tmp_path, tmp_path / "fast.jsonl", False, monkeypatch)
    for line in (tmp_path / "fast.jsonl").read_bytes().splitlines(keepends=True):
        assert encode(json.loads(line)) == line


def test_explicit_hash_mode_or_name_takes_the_generic_path(tmp_path: Path) -> None:
    sample = tmp_path / "s.dat"
    sample.write_bytes(b"content")
    with RecordedActivity("a", spool=tmp_path / "s.jsonl", hash="stat", environment=False) as act:
        act.used(str(sample), hash="full")
        act.used(str(sample), name="the sample")
    events = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    used = [event["ent"] for event in events if event["e"] == "used"]
    assert used[0]["hash"]["status"] == "complete"
    assert used[1]["name"] == "the sample" and used[1]["hash"] == {"status": "stat"}
