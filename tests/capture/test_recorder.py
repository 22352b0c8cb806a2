"""The Python API: nesting per thread and task, outcomes, descriptions, collections, hashing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from pathlib import Path

import pytest

from provarchive.capture import activity, current_activity
from provarchive.capture.recorder import file_entity_id, wait_for_deferred_hashes
from provarchive.capture.spool import compile_spool, read_events
from provarchive.model import Collection, Document, HadMember, WasInformedBy


def _events(spool: Path) -> list[dict]:
    return list(read_events(spool))


def _activity_by_name(doc: Document, name: str):
    matches = [a for a in doc.activities if a.name == name]
    assert len(matches) == 1, [a.name for a in doc.activities]
    return matches[0]


def _parent_of(doc: Document, act) -> str | None:
    value = act.attribute("pa:parent")
    return None if value is None else str(value)


def test_nested_activities_get_parent_links_and_inputs_link_steps(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"
    raw = tmp_path / "raw.dat"
    raw.write_bytes(b"raw events")
    with activity("pipeline", spool=spool, parameters={"gain": 1.5}) as outer:
        with activity("calibrate") as calib:
            assert current_activity() is calib
            calib.used(raw, role="raw")
            (tmp_path / "dl1.dat").write_bytes(b"dl1")
            dl1 = calib.generated(tmp_path / "dl1.dat", role="dl1")
        with activity("reconstruct") as reco:
            used = reco.used(tmp_path / "dl1.dat", role="dl1")
        assert current_activity() is outer
    assert current_activity() is None
    doc = compile_spool(spool)
    pipeline, calibrate, reconstruct = (_activity_by_name(doc, n) for n in ("pipeline", "calibrate", "reconstruct"))
    assert _parent_of(doc, calibrate) == pipeline.id == _parent_of(doc, reconstruct)
    assert _parent_of(doc, pipeline) is None
    informed = {(r.informed, r.informant) for r in doc.of_type(WasInformedBy)}
    assert informed == {(calibrate.id, pipeline.id), (reconstruct.id, pipeline.id)}
    assert used == dl1  # the same file version is one entity: the steps are linked
    entity = doc[dl1]
    assert entity.attribute("pa:hash") == hashlib.sha256(b"dl1").hexdigest()
    assert entity.attribute("pa:hashStatus") == "complete"
    assert [p.value for p in doc.of_type(type(doc[f"{pipeline.id}_param_gain"]))] == ["1.5"]
    for act in (pipeline, calibrate, reconstruct):
        assert act.attribute("pa:status") == "completed" and act.end_time is not None


def test_threads_each_have_their_own_nesting(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with activity(f"outer-{index}", spool=spool):
                barrier.wait(timeout=10)  # all outers open at once
                with activity(f"inner-{index}"):
                    barrier.wait(timeout=10)  # all inners open at once
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    doc = compile_spool(spool)
    for i in range(4):
        outer, inner = _activity_by_name(doc, f"outer-{i}"), _activity_by_name(doc, f"inner-{i}")
        assert _parent_of(doc, inner) == outer.id
        assert _parent_of(doc, outer) is None


def test_asyncio_tasks_inherit_the_activity_they_were_created_in(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"

    @activity("step")
    async def step(index: int) -> int:
        await asyncio.sleep(0.01 * (3 - index))  # finish in reverse order
        current_activity().parameter("index", index)
        return index

    async def main() -> list[int]:
        async with activity("gather", spool=spool):
            return await asyncio.gather(*(step(i) for i in range(3)))

    assert asyncio.run(main()) == [0, 1, 2]
    doc = compile_spool(spool)
    gather = _activity_by_name(doc, "gather")
    steps = [a for a in doc.activities if a.name == "step"]
    assert len(steps) == 3
    assert {_parent_of(doc, s) for s in steps} == {gather.id}


def test_failure_keyboard_interrupt_and_exit_codes_are_recorded(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"
    with pytest.raises(ZeroDivisionError), activity("boom", spool=spool):
        1 / 0  # noqa: B018
    with pytest.raises(KeyboardInterrupt), activity("ctrl-c", spool=spool):
        raise KeyboardInterrupt
    with pytest.raises(SystemExit), activity("exit3", spool=spool):
        raise SystemExit(3)

    @activity(spool=spool)
    def fine() -> str:
        return "ok"

    assert fine() == "ok"
    doc = compile_spool(spool)
    boom = _activity_by_name(doc, "boom")
    assert (boom.attribute("pa:status"), boom.attribute("pa:exitCode")) == ("failed", 1)
    assert "ZeroDivisionError" in boom.attribute("pa:error")
    ctrl = _activity_by_name(doc, "ctrl-c")
    assert (ctrl.attribute("pa:status"), ctrl.attribute("pa:exitCode")) == ("interrupted", 130)
    exit3 = _activity_by_name(doc, "exit3")
    assert (exit3.attribute("pa:status"), exit3.attribute("pa:exitCode")) == ("failed", 3)
    assert _activity_by_name(doc, "test_failure_keyboard_interrupt_and_exit_codes_are_recorded.<locals>.fine")


def test_description_roles_are_checked_and_linked(tmp_path: Path) -> None:
    doc = Document()
    desc = doc.activity_description("ex:calib-desc", name="calibrate", version="1.0")
    desc.usage("raw", multiplicity="1")
    desc.generation("dl1", multiplicity="1")
    desc.parameter("gain", "float")
    spool = tmp_path / "s.jsonl"
    (tmp_path / "raw").write_text("r")
    with activity("calibrate", spool=spool, description=desc, parameters={"gain": 2}) as act:
        with pytest.raises(ValueError, match="not an input role"):
            act.used(tmp_path / "raw", role="calibration")
        act.used(tmp_path / "raw", role="raw")
    compiled = compile_spool(spool)
    calibrate = _activity_by_name(compiled, "calibrate")
    assert calibrate.description == "ex:calib-desc"
    assert compiled.get("ex:calib-desc_usage_raw") is not None
    (used,) = [r for r in compiled.relations if type(r).__name__ == "Used" and r.role == "raw"]
    assert used.usage_description == "ex:calib-desc_usage_raw"
    warnings = calibrate.attribute_values("pa:warning")
    assert any("'dl1'" in w for w in warnings)  # required output never recorded
    param = compiled[f"{calibrate.id}_param_gain"]
    assert param.description == "ex:calib-desc_param_gain"


def test_directory_output_is_one_collection_with_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    for i in range(150):
        (out / ("sub" if i % 2 else "") / f"f{i}.txt").write_text(str(i))
    spool = tmp_path / "s.jsonl"
    with activity("many", spool=spool, hash="stat") as act:
        collection_id = act.generated(out, role="products")
    compact = compile_spool(spool)  # 150 > 100 members: not expanded by default
    coll = compact[collection_id]
    assert isinstance(coll, Collection)
    assert coll.attribute("pa:memberCount") == 150
    assert not compact.of_type(HadMember)
    assert len(compact.entities) < 10
    expanded = compile_spool(spool, members="all")
    members = {r.entity for r in expanded.of_type(HadMember)}
    assert len(members) == 150
    sample = out / "f0.txt"
    st = sample.stat()
    assert file_entity_id(str(sample), st.st_size, st.st_mtime_ns) in members


def test_open_output_hashes_while_writing_and_deferred_hashes_arrive(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"
    payload = b"0123456789" * 100_000
    big = tmp_path / "big.bin"
    big.write_bytes(payload)
    with activity("write", spool=spool) as act:
        with act.open_output(tmp_path / "out.bin", role="result") as handle:
            handle.write(payload)
        with act.open_output(tmp_path / "out.txt", "w", role="text") as text:
            text.write("héllo\n")
        deferred = act.used(big, role="big", hash="deferred")
        stat_only = act.used(big, role="again", hash="stat")
    wait_for_deferred_hashes()
    doc = compile_spool(spool)
    generated = {r.role: doc[r.entity] for r in doc.relations if type(r).__name__ == "WasGeneratedBy"}
    assert generated["result"].attribute("pa:hash") == hashlib.sha256(payload).hexdigest()
    assert generated["result"].attribute("pa:hashComputed") == "while-written"
    assert generated["text"].attribute("pa:hash") == hashlib.sha256("héllo\n".encode()).hexdigest()
    assert doc[deferred].attribute("pa:hash") == hashlib.sha256(payload).hexdigest()
    assert doc[deferred].attribute("pa:hashStatus") == "complete"
    assert stat_only == deferred  # same file version, one entity
    kinds = [e["e"] for e in _events(spool)]
    assert kinds.count("hash") == 1


def test_pending_output_ids_urls_and_missing_inputs(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"
    with activity("misc", spool=spool) as act:
        assert act.generated(tmp_path / "later.txt", role="late") is None  # declared before it exists
        (tmp_path / "later.txt").write_text("now")
        assert act.used("ex:known-entity", role="ref") == "ex:known-entity"
        url = act.used("https://example.org/data.fits", role="remote")
        missing = act.used(tmp_path / "nope.txt", role="gone")
        agent = act.agent("Ada Lovelace", email="ada@example.org", role="operator")
    doc = compile_spool(spool)
    late = [r for r in doc.relations if type(r).__name__ == "WasGeneratedBy" and r.role == "late"]
    assert doc[late[0].entity].attribute("pa:hash") == hashlib.sha256(b"now").hexdigest()
    assert doc[url].location == "https://example.org/data.fits"
    assert doc[missing].attribute("pa:hashStatus") == "missing"
    assert doc.get("ex:known-entity") is None  # a reference, not re-declared
    assert doc[agent].email == "ada@example.org"


def test_parent_activity_and_spool_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spool = tmp_path / "job.jsonl"
    monkeypatch.setenv("PROVARCHIVE_SPOOL", str(spool))
    monkeypatch.setenv("PROVARCHIVE_PARENT_ACTIVITY", "pa:activity-job42")
    with activity("step-a"), activity("step-a-inner"):
        pass
    with activity("step-b"):
        pass
    doc = compile_spool(spool)
    assert _parent_of(doc, _activity_by_name(doc, "step-a")) == "pa:activity-job42"
    assert _parent_of(doc, _activity_by_name(doc, "step-b")) == "pa:activity-job42"
    assert _parent_of(doc, _activity_by_name(doc, "step-a-inner")) == _activity_by_name(doc, "step-a").id
    env_events = [e for e in _events(spool) if e["e"] == "env"]
    assert len(env_events) == 1  # the environment is written once per process and spool


def test_default_spool_lives_in_the_data_dir(isolated_capture: Path) -> None:
    with activity("somewhere") as act:
        path = Path(act.spool_path)
    assert path.parent == isolated_capture / "spool"
    assert json.loads(path.read_text().splitlines()[-1])["e"] == "end"
