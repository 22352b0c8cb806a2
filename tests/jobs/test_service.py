"""JobService with the real local executor and a real archive (SQLite file; PostgreSQL storage too)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy

from provarchive.jobs.definitions import load_definition
from provarchive.jobs.errors import PermissionDeniedError, UnknownJobError, UsageError
from provarchive.jobs.executors.local import LocalExecutor, child_pid_path
from provarchive.jobs.models import Job, User, utc_ms
from provarchive.jobs.phases import (
    FINAL,
    InvalidPhaseError,
    Phase,
    can_transition,
    parse_phase,
    require_editable,
    require_transition,
)
from provarchive.jobs.reaper import Reaper, reconcile
from provarchive.jobs.service import JobService, JobServiceConfig
from provarchive.jobs.storage import JobStore

DATA = Path(__file__).resolve().parent / "data"
pytestmark = pytest.mark.timeout(120)


def test_phase_machine() -> None:
    assert can_transition(Phase.PENDING, Phase.QUEUED) and can_transition(Phase.EXECUTING, Phase.ABORTED)
    assert not can_transition(Phase.COMPLETED, Phase.QUEUED) and not can_transition(Phase.PENDING, Phase.COMPLETED)
    for final in FINAL:
        with pytest.raises(InvalidPhaseError):
            require_transition(final, Phase.ABORTED)
    with pytest.raises(InvalidPhaseError, match="only be run from PENDING"):
        require_transition(Phase.QUEUED, Phase.QUEUED)
    with pytest.raises(InvalidPhaseError, match="while the job is PENDING"):
        require_editable(Phase.EXECUTING, "parameters")
    with pytest.raises(ValueError, match="unknown phase 'RUNNING'"):
        parse_phase("RUNNING")


def make_service(tmp_path: Path, *, slots: int = 2, archive: object = None, **config: object) -> JobService:
    engine = archive.engine if archive is not None else sqlalchemy.create_engine(f"sqlite:///{tmp_path}/jobs.db")  # type: ignore[attr-defined]
    service = JobService(
        JobStore(engine),
        LocalExecutor(slots, poll_interval_s=0.1),
        JobServiceConfig(jobs_dir=tmp_path / "jobs", **config),  # type: ignore[arg-type]
        archive=archive,
    )
    service.start()
    for path in DATA.glob("*.yaml"):
        service.add_definition(load_definition(path.read_bytes(), str(path)))
    return service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[JobService]:
    handle = make_service(tmp_path)
    yield handle
    handle.stop()


def finish(service: JobService, job: Job, timeout_s: float = 30) -> Job:
    deadline = time.monotonic() + timeout_s
    while job.phase not in FINAL and time.monotonic() < deadline:
        job = service.wait(job, 5)
    return job


def test_queue_is_fifo_and_respects_slots(tmp_path: Path) -> None:
    service = make_service(tmp_path, slots=1)
    try:
        jobs = [service.create_job("sleep", None, [("seconds", "0.3")], run=True) for _ in range(3)]
        time.sleep(0.15)
        phases = [service.store.get_phase(j.id) for j in jobs]
        assert phases[0] is Phase.EXECUTING and phases[1:] == [Phase.QUEUED, Phase.QUEUED]
        done = [finish(service, j) for j in jobs]
        assert all(j.phase is Phase.COMPLETED for j in done)
        starts = [j.start_time for j in done]
        assert starts == sorted(starts)  # oldest first
        assert done[0].end_time <= done[1].start_time  # type: ignore[operator]
    finally:
        service.stop()


def test_definition_versions_are_kept_and_jobs_keep_theirs(service: JobService) -> None:
    old = service.create_job("fail", None, [])
    newer = load_definition((DATA / "fail.yaml").read_text().replace('version: "1"', 'version: "2"'))
    assert service.add_definition(newer) and not service.add_definition(newer)
    with pytest.raises(ValueError, match="already exists with different content"):
        service.add_definition(load_definition((DATA / "trivial.yaml").read_text().replace("trivial", "fail")))
    assert service.definition_versions("fail") == ["1", "2"]
    assert service.create_job("fail", None, []).jobdef_version == "2"
    assert service.store.get_job(old.id).jobdef_version == "1"  # type: ignore[union-attr]


def test_owner_checks_and_limits(tmp_path: Path) -> None:
    service = make_service(tmp_path, max_active_jobs_per_user=1)
    try:
        alice, bob, admin = User("alice"), User("bob"), User("root", admin=True)
        job = service.create_job("sleep", alice, [("seconds", "5")], run=True)
        with pytest.raises(PermissionDeniedError):
            service.get_job(job.id, bob)
        assert service.get_job(job.id, admin).owner == "alice"
        with pytest.raises(PermissionDeniedError, match="queued or executing"):
            service.create_job("sleep", alice, [], run=True)
        assert [j.id for j in service.list_jobs("sleep", bob)] == []
        assert [j.id for j in service.list_jobs("sleep", admin)] == [job.id]
        with pytest.raises(UnknownJobError):
            service.get_job("nope", alice)
        service.abort_job(service.get_job(job.id, alice))
    finally:
        service.stop()


def test_bad_values_are_usage_errors(service: JobService) -> None:
    with pytest.raises(UsageError, match="EXECUTIONDURATION"):
        service.create_job("sleep", None, [], execution_duration="ten")
    with pytest.raises(UsageError, match="DESTRUCTION"):
        service.create_job("sleep", None, [], destruction="2030-13-45")
    with pytest.raises(UsageError, match="given more than once"):
        service.create_job("sleep", None, [("seconds", "1"), ("SECONDS", "2")])
    with pytest.raises(UsageError, match="LAST must be a positive integer"):
        service.list_jobs("sleep", None, last=0)
    assert not list((service.config.jobs_dir).iterdir())  # refused jobs leave no directory


def test_reaper_destroys_expired_jobs_and_invalidates_their_results(tmp_path: Path) -> None:
    from provarchive.model.records import WasInvalidatedBy
    from provarchive.store import open_archive

    archive = open_archive(tmp_path / "archive.db")
    service = make_service(tmp_path, archive=archive)
    try:
        job = finish(service, service.create_job("echo", None, [("text", "bye")], run=True))
        assert job.phase is Phase.COMPLETED
        deadline = time.monotonic() + 10
        while service.store.get_job(job.id).activity_id is None and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.01)  # the archive ingest follows the final phase by a few ms
        job = service.store.get_job(job.id)  # type: ignore[assignment]
        entity_id = next(r.entity_id for r in job.results if r.id == "values")
        assert entity_id and archive.get(entity_id) is not None
        job_dir = service.job_dir(job)
        assert job_dir.is_dir()
        service.set_destruction(job, (utc_ms() - timedelta(seconds=1)).isoformat())
        assert Reaper(service).run_once() == 1
        assert not job_dir.exists() and service.store.get_job(job.id) is None
        kept = archive.get(entity_id)  # the provenance of the result stays, marked invalidated
        assert kept is not None and kept.get(entity_id) is not None
        assert kept[entity_id].invalidated_at_time is not None  # type: ignore[attr-defined]
        assert any(isinstance(r, WasInvalidatedBy) for r in kept.records)
    finally:
        service.stop()


@pytest.mark.postgres
def test_job_storage_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    engine = sqlalchemy.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    service = JobService(
        JobStore(engine), LocalExecutor(1, poll_interval_s=0.1), JobServiceConfig(jobs_dir=tmp_path / "jobs")
    )
    service.start()
    try:
        service.add_definition(load_definition((DATA / "echo.yaml").read_bytes()))
        job = finish(service, service.create_job("echo", User("pg"), [("text", "postgres")], run=True))
        assert job.phase is Phase.COMPLETED and job.owner == "pg"
        assert [j.id for j in service.list_jobs("echo", User("pg"), phases=[Phase.COMPLETED], last=5)] == [job.id]
    finally:
        service.stop()


def test_inner_steps_recorded_with_the_capture_api_are_merged(service: JobService) -> None:
    from provarchive.formats import loads
    from provarchive.model.records import Activity, WasInformedBy

    job = finish(service, service.create_job("inner", None, [], run=True))
    assert job.phase is Phase.COMPLETED, job.error_message
    doc = loads((service.job_dir(job) / "provenance.json").read_bytes(), "PROV-JSON")
    job_activity = f"pa:job-{job.id}"
    inner = [a for a in doc.of_type(Activity) if a.name == "inner step"]
    assert len(inner) == 1
    links = [r for r in doc.of_type(WasInformedBy) if r.informed == inner[0].id]
    assert [r.informant for r in links] == [job_activity]


def test_configuration_files_are_config_files_in_provenance(service: JobService, tmp_path: Path) -> None:
    from provarchive.formats import loads
    from provarchive.jobs.inputs import Upload
    from provarchive.model import ConfigFile, ConfigFileDescription, Used

    upload = tmp_path / "part"
    upload.write_text("gain: 2\n")
    job = service.create_job("configured", None, [], {"settings": Upload("settings.yaml", str(upload))}, run=True)
    job = finish(service, job)
    assert job.phase is Phase.COMPLETED, job.error_message
    doc = loads((service.job_dir(job) / "provenance.json").read_bytes(), "PROV-JSON")
    configs = doc.of_type(ConfigFile)
    assert [c.name for c in configs] == ["settings"]
    assert ("pa:sha256", next(i.sha256 for i in job.inputs)) in configs[0].attributes
    assert configs[0].description == doc.of_type(ConfigFileDescription)[0].id
    assert not [u for u in doc.of_type(Used) if u.entity == configs[0].id]


@pytest.mark.parametrize(
    ("shim_started", "reason"), [(True, "without an exit status"), (False, "before this job's process was started")]
)
def test_restart_tells_a_lost_job_that_had_started_from_one_that_had_not(
    tmp_path: Path, shim_started: bool, reason: str
) -> None:
    """The service can die after the shim started the job but before it stored the pid.

    The shim's pid file is then the only witness that the job ran: the reason given
    must not say it never started (this raced in tests/web/test_uws_faults.py).
    """
    service = make_service(tmp_path, slots=1)
    try:
        job = service.create_job("sleep", None, [("seconds", "60")])
        assert service.store.update_job(job.id, phase=Phase.EXECUTING, start_time=utc_ms())
        job_dir = service.job_dir(job)
        job_dir.mkdir(parents=True, exist_ok=True)
        (job_dir / "stdout.txt").write_text("")  # the launch opened stdout: not requeued
        if shim_started:
            child_pid_path(str(job_dir / "exit.json")).write_text("999999999")  # gone: no such pid
        counts = reconcile(service)
        assert counts["lost"] == 1
        lost = service.store.get_job(job.id)
        assert lost is not None and lost.phase is Phase.ERROR
        assert reason in (lost.error_message or "")
    finally:
        service.stop()
