"""JobService: every UWS operation and every job rule, independent of HTTP.

Web handlers call one method each; the executor calls the :class:`ExecutionHost`
methods (``next_queued``, ``claim``, ``started``, ``finished``). Phase rules are asked
of :mod:`.phases`; rows are written by :class:`.storage.JobStore`; files live under
``<jobs_dir>/<job id>/`` (``inputs/``, ``work/``, ``stdout.txt``, ``stderr.txt``,
``exit.json``, ``provenance.json``).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .definitions import JobDefinition, ParameterError, load_definition, validate_parameters
from .errors import PermissionDeniedError, UnknownJobError, UsageError
from .executors.base import Executor, LaunchSpec, Outcome
from .inputs import InputLimits, Upload, check_inputs_complete, gather_inputs, input_parameters, split_inputs
from .launch import build_launch_spec
from .models import Job, JobParameter, User, utc_ms
from .outputs import collect_outputs, describe_failure
from .phases import ACTIVE, WAITABLE, Phase, require_editable, require_transition
from .reaper import runner_identity
from .storage import JobStore

__all__ = ["JobService", "JobServiceConfig"]

log = logging.getLogger("provarchive.jobs")


@dataclass
class JobServiceConfig:
    """What the service needs to know; built from ``ServiceSettings`` by the app."""

    jobs_dir: Path
    """Where job directories (inputs, working directory, logs) are created."""
    max_active_jobs_per_user: int = 50
    """QUEUED + EXECUTING jobs one owner may have; more PHASE=RUN requests get 403."""
    default_destruction_days: float = 7.0
    """A job is destroyed this long after creation unless the client asks otherwise."""
    max_destruction_days: float = 30.0
    """Later destruction requests are cut back to this (UWS lets the server override)."""
    wait_max_s: float = 60.0
    """Longest a WAIT request blocks, whatever the client asks (proxies cut longer ones)."""
    input_limits: InputLimits = field(default_factory=InputLimits)
    voprov_namespace: str | None = None
    """URI for the IVOA terms in job provenance (None: the model's default)."""
    capture_provenance: bool = True
    """Build and ingest a provenance document for every finished job."""


class JobService:
    """The UWS job domain: create, update, run, abort, delete, wait; and job completion."""

    def __init__(
        self,
        store: JobStore,
        executor: Executor,
        config: JobServiceConfig,
        *,
        archive: Any = None,
    ) -> None:
        self.store = store
        self.executor = executor
        self.config = config
        self.archive = archive
        self._definitions: dict[tuple[str, str], JobDefinition] = {}
        self._newest: dict[str, tuple[str, float]] = {}
        #: Which service process claims jobs here; restart reconciliation leaves live ones alone.
        self.runner_id = runner_identity()
        self._changed = threading.Condition()

    # -------------------------------------------------------------- life cycle

    def start(self) -> None:
        """Create tables, reconcile jobs left by a previous run, then start executing."""
        from .reaper import reconcile

        self.store.create_schema()
        self.config.jobs_dir.mkdir(parents=True, exist_ok=True)
        reconcile(self)
        self.executor.start(self)

    def stop(self) -> None:
        """Stop dispatching; running jobs continue and are adopted at the next start."""
        self.executor.shutdown()

    # -------------------------------------------------------------- definitions

    def add_definition(self, definition: JobDefinition) -> bool:
        """Store a definition version; False if that exact version is already there."""
        added = self.store.add_definition(definition.name, definition.version, definition.to_yaml(), utc_ms())
        self._definitions[(definition.name, definition.version)] = definition
        self._newest.pop(definition.name, None)
        return added

    def get_definition(self, name: str, version: str | None = None) -> JobDefinition:
        """The newest version of ``name`` (or the given version); UnknownJobError if absent.

        Which version is the newest is remembered for one second, so a version added by
        another process (``provarchive jobdef add``) is used within a second.
        """
        if version is None:
            newest = self._newest.get(name)
            if newest is not None and time.monotonic() - newest[1] < 1.0:
                version = newest[0]
        if version is not None and (name, version) in self._definitions:
            return self._definitions[(name, version)]
        found = self.store.definition_body(name, version)
        if found is None:
            raise UnknownJobError(f"no job definition {name!r}" + (f" version {version!r}" if version else ""))
        definition = self._definitions.get((name, found[0]))
        if definition is None:
            definition = load_definition(found[1], f"{name} {found[0]}")
            self._definitions[(name, found[0])] = definition
        if version is None:
            self._newest[name] = (found[0], time.monotonic())
        return definition

    def list_definitions(self) -> list[JobDefinition]:
        """The newest version of every definition, by name."""
        names = sorted({name for name, _, _ in self.store.definition_versions()})
        return [self.get_definition(name) for name in names]

    def definition_versions(self, name: str) -> list[str]:
        """Every stored version of ``name``, oldest first."""
        return [v for n, v, _ in self.store.definition_versions() if n == name]

    # -------------------------------------------------------------------- jobs

    def create_job(
        self,
        jobdef_name: str,
        caller: User | None,
        parameters: Sequence[tuple[str, str]],
        uploads: Mapping[str, Upload] | None = None,
        *,
        run_id: str | None = None,
        execution_duration: str | None = None,
        destruction: str | None = None,
        run: bool = False,
    ) -> Job:
        """Create a PENDING job (QUEUED at once when ``run``); every value is checked first."""
        definition = self.get_definition(jobdef_name)
        now = utc_ms()
        job = Job(
            id=uuid.uuid4().hex,
            jobdef_name=definition.name,
            jobdef_version=definition.version,
            owner=caller.name if caller else None,
            phase=Phase.PENDING,
            creation_time=now,
            destruction=now + timedelta(days=self.config.default_destruction_days),
            execution_duration=definition.execution_duration,
            run_id=run_id,
        )
        if execution_duration is not None:
            job.execution_duration = self._check_duration(definition, execution_duration)
        if destruction is not None:
            job.destruction = self._check_destruction(job, destruction)
        job_dir = self.config.jobs_dir / job.id
        values, input_values = split_inputs(definition, parameters)
        try:
            checked = validate_parameters(definition, values, complete=run)
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
        if run:
            self._check_can_run(caller)
        if input_values or uploads:
            job_dir.mkdir(parents=True)  # otherwise the launch creates it: creation stays cheap
        try:
            job.inputs = gather_inputs(
                definition,
                job_dir / "inputs",
                input_values,
                uploads or {},
                complete=run,
                limits=self.config.input_limits,
                get_entity=self._get_entity,
            )
            job.parameters = [JobParameter(k, v) for k, v in checked.items()] + input_parameters(job.inputs)
            job.workdir = str(job_dir / "work")
            if run:
                job.phase, job.queued_at = Phase.QUEUED, utc_ms()
            self.store.insert_job(job)
        except BaseException:
            shutil.rmtree(job_dir, ignore_errors=True)
            raise
        if run:
            self.executor.wake()
        log.info("job created", extra={"job": job.id, "definition": definition.id, "phase": job.phase.value})
        return job

    def get_job(self, job_id: str, caller: User | None, *, anonymous_mode: bool = False) -> Job:
        """The job, if it exists and ``caller`` may see it (owner or admin)."""
        job = self.store.get_job(job_id)
        if job is None:
            raise UnknownJobError(f"no job {job_id!r}")
        if caller is not None and not caller.admin and job.owner != caller.name:
            raise PermissionDeniedError(f"job {job_id} belongs to another user")
        if caller is None and job.owner is not None and not anonymous_mode:
            raise PermissionDeniedError(f"job {job_id} belongs to another user")
        return job

    def list_jobs(
        self,
        jobdef_name: str,
        caller: User | None,
        *,
        phases: Iterable[Phase] | None = None,
        after: datetime | None = None,
        last: int | None = None,
    ) -> list[Job]:
        """The caller's jobs of one definition (all jobs for an admin or in anonymous mode)."""
        self.get_definition(jobdef_name)
        if last is not None and last <= 0:
            raise UsageError(f"LAST must be a positive integer, not {last}")
        return self.store.list_jobs(
            jobdef_name=jobdef_name,
            owner=caller.name if caller else None,
            all_owners=caller is None or caller.admin,
            phases=phases,
            after=after,
            last=last,
        )

    def run_job(self, job: Job, caller: User | None) -> None:
        """PHASE=RUN: PENDING → QUEUED before returning (pyvo's wait() relies on it)."""
        require_transition(job.phase, Phase.QUEUED)
        definition = self.get_definition(job.jobdef_name, job.jobdef_version)
        given = {p.name: p.value for p in job.parameters if not p.by_reference}
        roles = {i.role for i in job.inputs}
        try:
            complete = validate_parameters(definition, {k: v for k, v in given.items() if k not in roles})
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
        check_inputs_complete(definition, job.inputs)
        self._check_can_run(caller)
        filled = [JobParameter(k, v, is_post=k in given) for k, v in complete.items()] + input_parameters(job.inputs)
        self.store.replace_parameters(job.id, filled, expected=Phase.PENDING)
        if not self.store.update_job(job.id, expected=[Phase.PENDING], phase=Phase.QUEUED, queued_at=utc_ms()):
            raise UsageError("the job changed phase while it was being started; look at it again")
        self._notify()
        self.executor.wake()

    def abort_job(self, job: Job) -> None:
        """PHASE=ABORT: the job is ABORTED when this returns and its processes are killed."""
        require_transition(job.phase, Phase.ABORTED)
        if not self.store.update_job(
            job.id, expected=[Phase.PENDING, Phase.QUEUED, Phase.EXECUTING], phase=Phase.ABORTED, end_time=utc_ms()
        ):
            require_transition(self.store.get_phase(job.id) or job.phase, Phase.ABORTED)
        fresh = self.store.get_job(job.id) or job
        if fresh.start_time is not None:
            # It was claimed: its process is killed now (or as soon as it starts, see started()),
            # and finished() records the provenance when the process is gone.
            self.executor.abort(fresh)
        elif self.config.capture_provenance:
            self._record_provenance(fresh, Outcome(exit_code=None))
        self._notify()

    def delete_job(self, job: Job) -> None:
        """DELETE: kill it if running, remove its files and rows (archive entities stay)."""
        from .reaper import destroy

        if job.phase is Phase.EXECUTING:
            self.store.update_job(job.id, expected=[Phase.EXECUTING], phase=Phase.ABORTED, end_time=utc_ms())
            self.executor.abort(job)
        destroy(self, job)
        self._notify()

    def set_execution_duration(self, job: Job, value: str) -> None:
        require_editable(job.phase, "the execution duration")
        seconds = self._check_duration(self.get_definition(job.jobdef_name, job.jobdef_version), value)
        if not self.store.update_job(job.id, expected=[Phase.PENDING], execution_duration=seconds):
            require_editable(self.store.get_phase(job.id) or job.phase, "the execution duration")

    def set_destruction(self, job: Job, value: str) -> None:
        """Any phase may change the destruction time (UWS 1.1 §2.2.3.3)."""
        self.store.update_job(job.id, destruction=self._check_destruction(job, value))

    def update_parameters(
        self, job: Job, parameters: Sequence[tuple[str, str]], uploads: Mapping[str, Upload] | None = None
    ) -> None:
        """POST …/parameters or PUT …/parameters/{name} while PENDING; values checked first."""
        require_editable(job.phase, "parameters")
        definition = self.get_definition(job.jobdef_name, job.jobdef_version)
        values, input_values = split_inputs(definition, parameters)
        try:
            checked = validate_parameters(definition, values, complete=False)
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
        merged = {p.name: p for p in job.parameters if not p.by_reference}
        for name, value in checked.items():
            merged[name] = JobParameter(name, value)
        inputs = job.inputs
        if input_values or uploads:
            new = gather_inputs(
                definition,
                self.config.jobs_dir / job.id / "inputs",
                input_values,
                uploads or {},
                complete=False,
                limits=self.config.input_limits,
                get_entity=self._get_entity,
            )
            replaced = {i.role for i in new}
            inputs = [i for i in job.inputs if i.role not in replaced] + new
            self.store.replace_inputs(job.id, inputs)
        if not self.store.replace_parameters(
            job.id, list(merged.values()) + input_parameters(inputs), expected=Phase.PENDING
        ):
            require_editable(self.store.get_phase(job.id) or job.phase, "parameters")

    def wait(self, job: Job, timeout_s: float, phase: Phase | None = None) -> Job:
        """Block while the job stays in its phase (UWS WAIT), at most ``wait_max_s``.

        Works across server processes: the database is polled with a backoff (10 ms
        doubling to 500 ms), and a change made in this process wakes the wait at once.
        """
        if job.phase not in WAITABLE or (phase is not None and phase is not job.phase):
            return job
        limit = self.config.wait_max_s if timeout_s < 0 else min(timeout_s, self.config.wait_max_s)
        deadline = time.monotonic() + limit
        step = 0.01
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with self._changed:
                self._changed.wait(min(step, remaining))
            step = min(step * 2, 0.5)
            current = self.store.get_phase(job.id)
            if current is None or current is not job.phase:
                break
        fresh = self.store.get_job(job.id)
        if fresh is None:
            raise UnknownJobError(f"job {job.id} was deleted while waiting")
        return fresh

    def result(self, job: Job, result_id: str) -> Any:
        """The result ``result_id`` of ``job`` (looked up by id: a client never names a path)."""
        found = next((r for r in job.results if r.id == result_id), None)
        if found is None:
            raise UnknownJobError(f"job {job.id} has no result {result_id!r}")
        return found

    def job_dir(self, job: Job) -> Path:
        return self.config.jobs_dir / job.id

    # ------------------------------------------------------- ExecutionHost (executor side)

    def next_queued(self) -> tuple[str, int] | None:
        head = self.store.next_queued()
        if head is None:
            return None
        job_id, name, version = head
        try:
            return job_id, self.get_definition(name, version).slots
        except UnknownJobError:
            return job_id, 1

    def claim(self, job_id: str) -> LaunchSpec | None:
        if not self.store.claim(job_id, utc_ms(), self.runner_id):
            return None
        self._notify()
        job = self.store.get_job(job_id)
        if job is None:
            return None
        try:
            return build_launch_spec(self, job)
        except Exception as exc:  # a broken definition must fail the job, not the dispatcher
            log.exception("preparing job %s failed", job_id)
            self._finish(job, Phase.ERROR, [], f"the job could not be prepared: {exc}", Outcome(None, lost=True))
            return None

    def started(self, job_id: str, pid: int, process_start: float | None) -> bool:
        self.store.update_job(job_id, pid=pid, process_start=process_start)
        return self.store.get_phase(job_id) is Phase.EXECUTING  # False: aborted or deleted meanwhile

    def finished(self, job_id: str, outcome: Outcome) -> None:
        job = self.store.get_job(job_id)
        if job is None:
            return  # destroyed while it ran
        if job.phase is Phase.ABORTED:
            self._finish(job, Phase.ABORTED, [], None, outcome)
            return
        results, missing = ([], []) if outcome.exit_code != 0 else collect_outputs(self, job)
        failure = describe_failure(job, outcome, missing, self.job_dir(job) / "stderr.txt")
        self._finish(job, Phase.ERROR if failure else Phase.COMPLETED, results, failure, outcome)

    # ------------------------------------------------------------------ internals

    def _finish(self, job: Job, phase: Phase, results: list[Any], failure: str | None, outcome: Outcome) -> None:
        """Record results and provenance, then the final phase; the archive ingest comes last.

        ``provenance.json`` is written before the phase changes, so a client that sees
        the final phase can fetch the provenance at once; the archive ingest follows
        (a few ms) so that it is not on the path of WAIT latency.
        """
        from .outputs import log_results
        from .provenance import ingest_job_provenance, write_job_provenance

        job.results = results + log_results(self, job)
        job.end_time = job.end_time if phase is Phase.ABORTED and job.end_time else utc_ms()
        job.error_message = failure
        job.phase = phase
        self.store.set_results(job.id, job.results)
        doc = None
        if self.config.capture_provenance:
            try:
                doc = write_job_provenance(self, job, outcome)
            except Exception as exc:  # provenance must never change the job's outcome
                log.exception("provenance of job %s failed", job.id)
                self.store.update_job(job.id, provenance_error=f"{type(exc).__name__}: {exc}")
        changes: dict[str, Any] = {"end_time": job.end_time}
        if phase is not Phase.ABORTED:
            changes.update(phase=phase, error_type="fatal" if failure else None, error_message=failure)
        self.store.update_job(job.id, expected=[Phase.EXECUTING, Phase.QUEUED, Phase.ABORTED], **changes)
        self._notify()
        log.info("job finished", extra={"job": job.id, "phase": phase.value, "error": failure})
        if doc is not None:
            try:
                self.store.update_job(job.id, activity_id=ingest_job_provenance(self, job, doc))
            except Exception as exc:
                log.exception("archiving the provenance of job %s failed", job.id)
                self.store.update_job(job.id, provenance_error=f"{type(exc).__name__}: {exc}")

    def _record_provenance(self, job: Job, outcome: Outcome) -> None:
        from .provenance import record_job_provenance

        try:
            activity_id = record_job_provenance(self, job, outcome)
            self.store.update_job(job.id, activity_id=activity_id, provenance_error=None)
        except Exception as exc:  # provenance must never change the job's outcome
            log.exception("provenance of job %s failed", job.id)
            self.store.update_job(job.id, provenance_error=f"{type(exc).__name__}: {exc}")

    @property
    def _get_entity(self) -> Any:
        return self.archive.get if self.archive is not None else None

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _check_can_run(self, caller: User | None) -> None:
        limit = self.config.max_active_jobs_per_user
        if limit and self.store.count_active(caller.name if caller else None, ACTIVE) >= limit:
            raise PermissionDeniedError(f"you already have {limit} jobs queued or executing; wait for some to finish")

    @staticmethod
    def _check_duration(definition: JobDefinition, value: str) -> int:
        text = str(value).strip()
        if not text.isdigit():
            raise UsageError(f"EXECUTIONDURATION must be a whole number of seconds ≥ 0, not {value!r}")
        seconds = int(text)
        maximum = definition.execution_duration_max
        if maximum and (seconds == 0 or seconds > maximum):
            return maximum  # UWS lets the server override; the job shows the value it will get
        return seconds

    def _check_destruction(self, job: Job, value: str) -> datetime:
        from .timeparse import parse_utc

        try:
            moment = parse_utc(value)
        except ValueError as exc:
            raise UsageError(f"DESTRUCTION: {exc}") from None
        latest = job.creation_time + timedelta(days=self.config.max_destruction_days)
        return min(moment, latest)
